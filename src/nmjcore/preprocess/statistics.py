"""Grey-level statistics of sections: exact histograms, quantiles, running references.

Each section of an integer image (uint8 or uint16) is summarised by its exact histogram, from
which any quantile is read with linear interpolation inside a grey level (level ``v`` spans
``[v - 0.5, v + 0.5]``), so quantiles vary smoothly with the image. A running reference is the
median, over the neighbouring sections within a window, of the same statistic.
"""

from __future__ import annotations

import warnings

import numpy as np

from . import _kernels
from ._sections import IMAGE_DTYPES, Sections, Workers, block_depth, progress_bar

__all__ = ["PROBABILITIES", "histogram", "quantiles", "running_median", "section_quantiles"]

#: The probabilities at which every section's quantile function is kept: 65 knots, 1/64
#: apart, linear in between (float32, 260 bytes per section).
PROBABILITIES = np.linspace(0.0, 1.0, 65)


def levels(dtype) -> int:
    """Number of grey levels of an image dtype (256 for uint8, 65536 for uint16)."""
    return 1 << (8 * np.dtype(dtype).itemsize)


def histogram(section: np.ndarray) -> np.ndarray:
    """Exact histogram (int64, one bin per grey level) of a 2D uint8/uint16 section."""
    counts = np.zeros(levels(section.dtype), np.int64)
    _kernels.histogram(section, counts)
    return counts


def quantiles(counts: np.ndarray, probabilities=PROBABILITIES) -> np.ndarray:
    """Grey-level quantiles (float64) of a histogram at ``probabilities`` in [0, 1].

    Level ``v`` is spread evenly over ``[v - 0.5, v + 0.5]``: probability 0 gives the lowest
    level present minus 0.5, probability 1 the highest plus 0.5.
    """
    cdf = np.cumsum(counts, dtype=np.float64)
    total = cdf[-1]
    target = np.clip(np.asarray(probabilities, np.float64) * total, 1e-9 * total, total)
    idx = np.searchsorted(cdf, target, side="left")
    below = np.where(idx > 0, cdf[np.maximum(idx - 1, 0)], 0.0)
    return idx - 0.5 + (target - below) / counts[idx]


def section_quantiles(stack, *, threads=None, progress=None) -> np.ndarray:
    """(Z, 65) float32: each section's quantiles at :data:`PROBABILITIES`, one pass."""
    with Sections(stack, dtypes=IMAGE_DTYPES) as sections, Workers(threads) as workers:
        out = np.empty((len(sections), PROBABILITIES.size), np.float32)
        with progress_bar(len(sections), "section statistics", progress) as bar:
            for z0, block in sections.blocks(block_depth(workers.threads)):
                rows = workers.map(lambda i: quantiles(histogram(block[i])), len(block))
                out[z0:z0 + len(block)] = rows
                bar.update(len(block))
    return out


def running_median(values: np.ndarray, window: int, exclude=None) -> np.ndarray:
    """Median of ``values[z']`` over the neighbours ``0 < |z' - z| <= window // 2``.

    Parameters
    ----------
    values : (Z,) or (Z, K) array
        One statistic (or K) per section.
    window : int
        Odd number of sections centred on each one; the section itself is left out.
    exclude : (Z,) bool array, optional
        Sections that never serve as a neighbour (e.g. bad sections).

    Returns
    -------
    reference : float64 array, shape of ``values``
        Where a section has no usable neighbour, the median of all usable sections; where none
        is usable at all, its own value.
    """
    values = np.asarray(values, np.float64)
    flat = values.reshape(len(values), -1)
    n, k = flat.shape
    half = window // 2
    usable = np.ones(n, bool) if exclude is None else ~np.asarray(exclude, bool)
    masked = np.where(usable[:, None], flat, np.nan)
    padded = np.full((n + 2 * half, k), np.nan)
    padded[half:half + n] = masked
    out = np.empty_like(flat)
    step = max(1, 2**16 // max(1, k * window))  # window copies of ~0.5 MiB at a time
    for z0 in range(0, n, step):
        z1 = min(n, z0 + step)
        windows = np.lib.stride_tricks.sliding_window_view(padded[z0:z1 + 2 * half], window,
                                                           axis=0).copy()
        windows[..., half] = np.nan
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows: handled below
            out[z0:z1] = np.nanmedian(windows, axis=-1)
    missing = np.isnan(out).any(axis=1)
    if missing.any():
        fallback = np.median(flat[usable], axis=0) if usable.any() else None
        out[missing] = flat[missing] if fallback is None else fallback
    return out.reshape(values.shape)

