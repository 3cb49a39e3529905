"""segment_section stage by stage: thread CPU time of each step per 1024x1024 section, 1 thread.

    python benchmarks/profile_segment.py [--repeats N]

Thread CPU time (time.thread_time) rather than wall time, so that other processes on a shared
machine disturb the numbers less (they still share caches and cores). Cases: a phantom
section and VNC stack 1's first section (../shared/data), the ground-truth mask as input.
Each stage is timed by wrapping the function segment_section calls for it; "other" is the
rest (checks, seed bookkeeping, the final renumbering).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from _harness import parser

import nmjcore as nc
from nmjcore import ops
from nmjcore.segment import section

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
STAGES = [(section, "_foreground", "foreground"), (ops, "connected_components", "ccl"),
          (ops, "distance_transform", "edt"), (ops, "find_seeds", "seeds"),
          (section, "_elevation", "elevation"), (ops, "watershed", "watershed"),
          (section, "_merge_shallow_borders", "merge")]


def timed(spent, module, name, label):
    original = getattr(module, name)

    def wrapper(*args, **kwargs):
        start = time.thread_time()
        try:
            return original(*args, **kwargs)
        finally:
            spent[label] = spent.get(label, 0.0) + time.thread_time() - start

    setattr(module, name, wrapper)


def main() -> None:
    args = parser(__doc__).parse_args()
    repeats = max(args.repeats, 10)
    cases = {"phantom": nc.synth.phantom((1, 1024, 1024), n_axons=150, seed=3).axons[0] > 0}
    if (DATA / "vnc_stack1.h5").exists():
        import h5py

        with h5py.File(DATA / "vnc_stack1.h5", "r") as f:
            cases["vnc_stack1"] = f["membrane"][0] == 0
    spent: dict[str, float] = {}
    for module, name, label in STAGES:
        timed(spent, module, name, label)
    for case, mask in cases.items():
        section.segment_section(mask, threads=1)  # compile and warm up
        rounds: dict[str, list[float]] = {}
        for _ in range(repeats):
            spent.clear()
            start = time.thread_time()
            section.segment_section(mask, threads=1)
            total = time.thread_time() - start
            spent["other"] = total - sum(spent.values())
            spent["total"] = total
            for label, seconds in spent.items():
                rounds.setdefault(label, []).append(seconds)
        print(f"{case} {mask.shape[0]}x{mask.shape[1]}, 1 thread, thread CPU ms "
              f"(median, min of {repeats})")
        for label in [s[2] for s in STAGES] + ["other", "total"]:
            values = 1e3 * np.array(rounds.get(label, [0.0]))
            print(f"  {label:12s} {np.median(values):7.2f} {values.min():7.2f}")


if __name__ == "__main__":
    main()
