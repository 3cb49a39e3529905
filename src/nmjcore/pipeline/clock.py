"""Wall time of each stage of a run, and the lines that report it."""

from __future__ import annotations

import contextlib
import time


class StageClock:
    """Times named stages (``with clock("segment"): ...``) in the order they ran."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def __call__(self, name: str):
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - t0

    @property
    def total(self) -> float:
        return sum(self.seconds.values())

    def lines(self) -> list[str]:
        """One line per stage: name, seconds and share of the total."""
        total = self.total or 1.0
        width = max((len(n) for n in self.seconds), default=0)
        return [f"{name:<{width}}  {s:7.2f} s  {100 * s / total:5.1f} %"
                for name, s in self.seconds.items()]
