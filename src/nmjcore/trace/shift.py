"""Global shift between two sections, by phase correlation of their segment masks.

Poorly aligned sections jump as a whole; the shift found here is subtracted from the centroids
and applied to the overlap before candidates are chosen, so an axon that jumped still overlaps
itself.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numba
import numpy as np
import scipy.fft

#: Masks are subsampled down to about this size before the FFT: the shift only needs to be
#: good to a pixel or two (segments are tens of pixels across), and a 256 px FFT is ~50x
#: cheaper than a 1024 px one.
COARSE_SIZE = 256


@functools.lru_cache(maxsize=8)
def _hann(shape) -> np.ndarray:
    return np.outer(np.hanning(shape[0]), np.hanning(shape[1])).astype(np.float32)


@numba.njit(cache=True, nogil=True)
def _coarse_mask(labels, factor, window, mask, windowed):
    """Every ``factor``-th pixel of the mask into ``mask`` (cheaper than a block mean, and as
    good for segments many pixels across), and its windowed, mean-free copy into
    ``windowed``. Returns the number of foreground samples."""
    H, W = mask.shape
    total = 0
    for i in range(H):
        for j in range(W):
            v = 1 if labels[i * factor, j * factor] != 0 else 0
            mask[i, j] = v
            total += v
    mean = np.float32(total / (H * W))
    for i in range(H):
        for j in range(W):
            windowed[i, j] = (mask[i, j] - mean) * window[i, j]
    return total


@numba.njit(cache=True, nogil=True)
def _normalised_cross_power(fa, fb):
    """``fb * conj(fa) / |fb * conj(fa)|``, in place in ``fb``."""
    H, W = fa.shape
    for i in range(H):
        for j in range(W):
            ar, ai = fa[i, j].real, fa[i, j].imag
            br, bi = fb[i, j].real, fb[i, j].imag
            re = br * ar + bi * ai
            im = bi * ar - br * ai
            m = np.sqrt(re * re + im * im)
            inv = np.float32(1.0) / m if m > np.float32(1e-12) else np.float32(1e12)
            fb[i, j] = complex(re * inv, im * inv)


@numba.njit(cache=True, nogil=True)
def _peak(corr, limit):
    """Row and column of the largest value among the cyclic offsets within ``limit`` (an int
    number of samples; >= half the size: all)."""
    H, W = corr.shape
    best, bi, bj = -np.inf, 0, 0
    for i in range(H):
        if min(i, H - i) > limit:
            continue
        lo, hi = min(limit + 1, W), max(W - limit, 0)  # columns [0, lo) and [hi, W)
        for j in range(W):
            if lo <= j < hi:
                continue
            if corr[i, j] > best:
                best, bi, bj = corr[i, j], i, j
    return bi, bj


@numba.njit(cache=True, nogil=True)
def _agreement(a, b, dy, dx):
    """Pearson correlation of the 0/1 masks ``a`` and ``b`` over their common part when ``b``
    is moved by -(dy, dx), -1 where it is undefined."""
    H, W = a.shape
    n = su = sv = suv = 0
    for i in range(max(0, -dy), min(H, H - dy)):
        for j in range(max(0, -dx), min(W, W - dx)):
            u = np.int64(a[i, j])
            v = np.int64(b[i + dy, j + dx])
            n += 1
            su += u
            sv += v
            suv += u * v
    if n < 2:
        return -1.0
    cov = suv - su * sv / n
    var = (su - su * su / n) * (sv - sv * sv / n)  # u * u = u for 0/1 values
    return cov / np.sqrt(var) if var > 0 else -1.0


def _peak_offset(values: np.ndarray) -> float:
    """Sub-sample offset of a peak from three samples around it (parabola through them)."""
    left, centre, right = values
    denom = left - 2.0 * centre + right
    return 0.0 if denom >= 0 else float(np.clip(0.5 * (left - right) / denom, -0.5, 0.5))


@dataclass(frozen=True, eq=False)
class Spectrum:
    """What the shift estimate needs of one section: its subsampled mask and the spectrum of
    that mask, Hann-windowed. Made once per section, used for both of its pairs."""

    shape: tuple  #: (Y, X) of the section
    factor: int  #: subsampling step
    mask: np.ndarray  #: (H, W) uint8, 1 = segment
    spectrum: np.ndarray | None  #: rfft2 of the windowed mask, None when the mask is empty


def section_spectrum(labels) -> Spectrum:
    """The :class:`Spectrum` of a 2D label image or mask (non-zero = segment)."""
    labels = np.asarray(labels)
    if labels.ndim != 2:
        raise ValueError(f"labels: expected a 2D array, got shape {labels.shape}")
    if labels.dtype == np.bool_:
        labels = labels.view(np.uint8)
    factor = max(1, max(labels.shape) // COARSE_SIZE)
    shape = (-(-labels.shape[0] // factor), -(-labels.shape[1] // factor))
    mask = np.empty(shape, np.uint8)
    windowed = np.empty(shape, np.float32)
    if labels.size == 0 or _coarse_mask(labels, factor, _hann(shape), mask, windowed) == 0:
        return Spectrum(labels.shape, factor, mask, None)
    return Spectrum(labels.shape, factor, mask, scipy.fft.rfft2(windowed))


def shift_between(sa: Spectrum, sb: Spectrum, *, max_shift=None) -> tuple[float, float]:
    """:func:`estimate_shift` from the two sections' :class:`Spectrum`."""
    if sa.shape != sb.shape:
        raise ValueError(f"a, b: expected two 2D arrays of one shape, got {sa.shape} and "
                         f"{sb.shape}")
    if sa.spectrum is None or sb.spectrum is None:
        return 0.0, 0.0
    cross = sb.spectrum * 1  # a copy, normalised in place
    _normalised_cross_power(sa.spectrum, cross)
    corr = scipy.fft.irfft2(cross, s=sa.mask.shape)
    H, W = corr.shape
    limit = max(H, W) if max_shift is None else int(np.floor(float(max_shift) / sa.factor))
    iy, ix = _peak(corr, min(limit, max(H, W)))
    dy = iy - H if iy >= (H + 1) // 2 else iy  # cyclic offset -> signed, as np.fft.fftfreq
    dx = ix - W if ix >= (W + 1) // 2 else ix
    if _agreement(sa.mask, sb.mask, 0, 0) >= _agreement(sa.mask, sb.mask, dy, dx):
        return 0.0, 0.0  # the peak is noise (dense or featureless masks): keep the sections
    sy = _peak_offset(corr[[(iy - 1) % H, iy, (iy + 1) % H], ix])
    sx = _peak_offset(corr[iy, [(ix - 1) % W, ix, (ix + 1) % W]])
    return float((dy + sy) * sa.factor), float((dx + sx) * sa.factor)


def estimate_shift(a, b, *, max_shift=None) -> tuple[float, float]:
    """Translation ``(dy, dx)`` that moves section ``a`` onto section ``b``.

    Content at ``a[y, x]`` is found at ``b[y + dy, x + dx]``.

    Parameters
    ----------
    a, b : (Y, X) ndarray
        Label images or masks of two sections (non-zero = segment), same shape.
    max_shift : float or None
        Largest shift considered, px, per axis; default any shift below half the section
        size (the most a cyclic correlation can tell apart).

    Returns
    -------
    (dy, dx) : tuple of float
        Pixels; (0, 0) when either section is empty.

    Notes
    -----
    Normalised cross-power spectrum (phase correlation, Kuglin & Hines 1975) of the two masks,
    subsampled to about ``COARSE_SIZE`` px and Hann-windowed so the section borders do not
    correlate; the peak is refined to sub-sample precision by a parabola through its
    neighbours along each axis. The peak is kept only if the masks agree better there than
    without a shift (Pearson correlation over the common part), which guards dense masks,
    whose phase correlation has no clear peak, against a spurious jump. The pixel loops run
    in Numba without the GIL and the FFTs in SciPy, which releases it too, so section pairs
    estimate their shifts in parallel; :func:`section_spectrum` and :func:`shift_between`
    split the work so that each section's spectrum is computed once for both its pairs.
    """
    a = np.asarray(a)
    b = np.asarray(b)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"a, b: expected two 2D arrays of one shape, got {a.shape} and {b.shape}")
    return shift_between(section_spectrum(a), section_spectrum(b), max_shift=max_shift)


def overlapping_windows(shape, shift) -> tuple[tuple[slice, slice], tuple[slice, slice]]:
    """The boxes of ``a`` and ``b`` that cover the same tissue under an integer ``shift``."""
    box_a, box_b = [], []
    for n, s in zip(shape, shift):
        s = int(round(s))
        lo = max(0, -s)
        hi = min(n, n - s)
        hi = max(hi, lo)
        box_a.append(slice(lo, hi))
        box_b.append(slice(lo + s, hi + s))
    return tuple(box_a), tuple(box_b)
