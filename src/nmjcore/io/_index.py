"""Basic NumPy indexing turned into boxes that every backend can read.

A key such as ``[3, 10:50:2, ::-1]`` becomes one positive-step ``range`` per axis (what the
backends read) plus the post-processing that NumPy would do: drop the axes indexed by an
integer and reverse the axes indexed with a negative step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Selection:
    ranges: tuple[range, ...]  # one per axis, step > 0
    dropped: tuple[bool, ...]  # axis indexed by an integer
    flipped: tuple[bool, ...]  # axis indexed with a negative step

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(r) for r in self.ranges)

    @property
    def slices(self) -> tuple[slice, ...]:
        return tuple(slice(r.start, r.stop, r.step) for r in self.ranges)

    @property
    def result_shape(self) -> tuple[int, ...]:
        return tuple(len(r) for r, d in zip(self.ranges, self.dropped) if not d)

    def finish(self, block: np.ndarray) -> np.ndarray:
        """The box as read -> what NumPy indexing would have returned."""
        if any(self.flipped) or any(self.dropped):
            block = block[tuple(0 if d else slice(None, None, -1 if f else None)
                                for d, f in zip(self.dropped, self.flipped))]
        return block

    def prepare(self, value, dtype) -> np.ndarray:
        """A value to assign -> the box-shaped block in backend order."""
        block = np.asarray(value, dtype=dtype)
        block = np.broadcast_to(block, self.result_shape)
        block = block.reshape(self.shape)
        if any(self.flipped):
            block = block[tuple(slice(None, None, -1 if f else None) for f in self.flipped)]
        return block


def _positive(start: int, stop: int, step: int, n: int) -> tuple[range, bool]:
    r = range(start, stop, step)
    if len(r) == 0:
        return range(0, 0, 1), False
    if step > 0:
        return range(r[0], r[-1] + 1, step), False
    return range(r[-1], r[0] + 1, -step), True


def select(key, shape: tuple[int, ...]) -> Selection:
    """Normalize a basic index ``key`` for an array of ``shape``.

    Raises
    ------
    IndexError
        Integer out of bounds, or too many indices.
    TypeError
        Fancy indexing (arrays, lists, booleans) or ``None``/``np.newaxis``.
    """
    if not isinstance(key, tuple):
        key = (key,)
    n_ellipsis = sum(k is Ellipsis for k in key)
    if n_ellipsis > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if n_ellipsis:
        at = next(i for i, k in enumerate(key) if k is Ellipsis)
        fill = len(shape) - (len(key) - 1)
        key = key[:at] + (slice(None),) * max(fill, 0) + key[at + 1:]
    if len(key) > len(shape):
        raise IndexError(f"too many indices: volume is {len(shape)}-dimensional, "
                         f"but {len(key)} were indexed")
    key = key + (slice(None),) * (len(shape) - len(key))
    ranges, dropped, flipped = [], [], []
    for axis, (k, n) in enumerate(zip(key, shape)):
        if isinstance(k, slice):
            r, f = _positive(*k.indices(n), n)
            ranges.append(r)
            dropped.append(False)
            flipped.append(f)
        elif isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_)):
            i = int(k)
            if not -n <= i < n:
                raise IndexError(f"index {i} is out of bounds for axis {axis} with size {n}")
            i %= n
            ranges.append(range(i, i + 1))
            dropped.append(True)
            flipped.append(False)
        elif k is None:
            raise TypeError("volumes do not support np.newaxis/None in an index; "
                            "add the axis to the returned array")
        else:
            raise TypeError(f"volumes support basic indexing only (integers, slices, ...), got "
                            f"{type(k).__name__} for axis {axis}; read a box and index the "
                            "returned array")
    return Selection(tuple(ranges), tuple(dropped), tuple(flipped))
