"""Numba kernels of the preprocessing stage, one section (or one block of it) per call.

All release the GIL (``nogil=True``) so that :mod:`._sections` can run them on several
sections at once from a thread pool.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def histogram(section, counts):
    """``counts[v] += number of pixels == v`` for an integer section (counts sized 2**bits)."""
    ny, nx = section.shape
    for y in range(ny):
        for x in range(nx):
            counts[section[y, x]] += 1


@njit(cache=True, nogil=True)
def apply_lut(section, lut, out):
    """``out = lut[section]``, element by element (a grey-level map)."""
    ny, nx = section.shape
    for y in range(ny):
        for x in range(nx):
            out[y, x] = lut[section[y, x]]


@njit(cache=True, nogil=True)
def block_mean(section, factor, out):
    """Mean over ``factor`` x ``factor`` blocks; edge blocks average the pixels they have."""
    ny, nx = section.shape
    oy, ox = out.shape
    for by in range(oy):
        y0, y1 = by * factor, min(ny, (by + 1) * factor)
        for bx in range(ox):
            x0, x1 = bx * factor, min(nx, (bx + 1) * factor)
            total = 0.0
            for y in range(y0, y1):
                for x in range(x0, x1):
                    total += section[y, x]
            out[by, bx] = total / ((y1 - y0) * (x1 - x0))


@njit(cache=True, nogil=True)
def block_mode(section, factor, out):
    """Most frequent value of each ``factor`` x ``factor`` block (ties: the smallest value);
    edge blocks use the pixels they have."""
    ny, nx = section.shape
    oy, ox = out.shape
    buffer = np.empty(factor * factor, section.dtype)
    for by in range(oy):
        y0, y1 = by * factor, min(ny, (by + 1) * factor)
        for bx in range(ox):
            x0, x1 = bx * factor, min(nx, (bx + 1) * factor)
            n = 0
            for y in range(y0, y1):
                for x in range(x0, x1):
                    buffer[n] = section[y, x]
                    n += 1
            values = np.sort(buffer[:n])
            best, best_count, run = values[0], 1, 1
            for i in range(1, n):
                run = run + 1 if values[i] == values[i - 1] else 1
                if run > best_count:
                    best, best_count = values[i], run
            out[by, bx] = best
