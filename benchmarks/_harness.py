"""Side-by-side timing shared by every benchmark script.

Each case builds its input once, then times nmjcore and its peers alternately (one warm-up
call each, then ``repeats`` rounds, every implementation once per round) and reports the
median. Ratios are ``peer_ms / nmjcore_ms``: above 1 means nmjcore is faster.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = {}
    for pkg in ("nmjcore", "numpy", "scipy", "edt", "connected-components-3d", "lap",
                "scikit-image", "opencv-python-headless", "numba", "torch"):
        try:
            versions[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "versions": versions}


class Bench:
    """Collects rows ``(case, threads, {impl: ms})`` and prints/writes them with ratios."""

    def __init__(self, name: str, repeats: int = 5):
        self.name = name
        self.repeats = repeats
        self.rows: list[dict] = []
        self.speedups: list[dict] = []

    def compare(self, case: str, impls: dict[str, Callable[[], object]], threads: int = 1,
                reference: str = "nmjcore") -> dict:
        for fn in impls.values():
            fn()
        samples: dict[str, list[float]] = {k: [] for k in impls}
        for _ in range(self.repeats):
            for key, fn in impls.items():
                t0 = time.perf_counter()
                fn()
                samples[key].append(time.perf_counter() - t0)
        ms = {k: 1e3 * statistics.median(v) for k, v in samples.items()}
        row = {"case": case, "threads": threads, "ms": ms,
               "ratio": {k: ms[k] / ms[reference] for k in ms if k != reference}}
        self.rows.append(row)
        peers = "  ".join(f"{k} {v:8.2f} ms ({row['ratio'][k]:5.2f}x)"
                          for k, v in ms.items() if k != reference)
        print(f"{case:<44} t={threads}  nmjcore {ms[reference]:8.2f} ms  {peers}", flush=True)
        return row

    def measure(self, case: str, fn: Callable[[], object], count: int, unit: str = "items",
                threads: int = 1, warmup: bool = True,
                setup: Callable[[], object] | None = None) -> dict:
        """Time ``fn`` alone (no peer): median ms and ``count / seconds`` as ``unit``/s.

        ``setup`` runs untimed before every call (e.g. to delete the previous output).
        """
        if warmup:
            if setup:
                setup()
            fn()
        samples = []
        for _ in range(self.repeats):
            if setup:
                setup()
            t0 = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t0)
        ms = 1e3 * statistics.median(samples)
        rate = count / (ms / 1e3)
        row = {"case": case, "threads": threads, "ms": {"nmjcore": ms},
               "rate": {unit + "/s": rate}}
        self.rows.append(row)
        print(f"{case:<44} t={threads}  nmjcore {ms:8.2f} ms  {rate:10.1f} {unit}/s", flush=True)
        return row

    def self_speedup(self) -> list[dict]:
        """nmjcore's 1-thread time / its N-thread time, per case measured at both, printed."""
        one = {r["case"]: r["ms"]["nmjcore"] for r in self.rows if r["threads"] == 1}
        out = []
        for r in self.rows:
            if r["threads"] > 1 and r["case"] in one:
                speedup = one[r["case"]] / r["ms"]["nmjcore"]
                out.append({"case": r["case"], "threads": r["threads"], "speedup": speedup})
                print(f"{r['case']:<44} nmjcore t=1 / t={r['threads']}: {speedup:5.2f}x")
        self.speedups = out
        return out

    def write(self) -> Path:
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / f"{self.name}.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps({"machine": machine(), "rows": self.rows,
                                   "self_speedup": self.speedups}, indent=1))
        os.replace(tmp, path)
        print(f"wrote {path}")
        return path


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--repeats", type=int, default=5, help="timed rounds per case (median)")
    p.add_argument("--quick", action="store_true", help="smaller inputs, for a smoke run")
    return p
