"""Global shift between two sections, by phase correlation of their segment masks.

Poorly aligned sections jump as a whole; the shift found here is subtracted from the centroids
and applied to the overlap before candidates are chosen, so an axon that jumped still overlaps
itself.
"""

from __future__ import annotations

import numpy as np
import scipy.fft

#: Masks are subsampled down to about this size before the FFT: the shift only needs to be
#: good to a pixel or two (segments are tens of pixels across), and a 256 px FFT is ~50x
#: cheaper than a 1024 px one.
COARSE_SIZE = 256


def _coarse(labels: np.ndarray, factor: int) -> np.ndarray:
    """Every ``factor``-th pixel of the mask (cheaper than a block mean, and as good for
    segments many pixels across)."""
    return (labels[::factor, ::factor] != 0).astype(np.float32)


def _peak_offset(values: np.ndarray) -> float:
    """Sub-sample offset of a peak from three samples around it (parabola through them)."""
    left, centre, right = values
    denom = left - 2.0 * centre + right
    return 0.0 if denom >= 0 else float(np.clip(0.5 * (left - right) / denom, -0.5, 0.5))


def _agreement(a: np.ndarray, b: np.ndarray, dy: int, dx: int) -> float:
    """Correlation of ``a`` and ``b`` over their common part when ``b`` is moved by -(dy, dx)."""
    (ya, xa), (yb, xb) = overlapping_windows(a.shape, (dy, dx))
    u, v = a[ya, xa].ravel(), b[yb, xb].ravel()
    if u.size < 2:
        return -1.0
    u, v = u - u.mean(), v - v.mean()
    denom = float(np.sqrt((u * u).sum() * (v * v).sum()))
    return float((u * v).sum()) / denom if denom > 0 else -1.0


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
    whose phase correlation has no clear peak, against a spurious jump.
    """
    a = np.asarray(a)
    b = np.asarray(b)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"a, b: expected two 2D arrays of one shape, got {a.shape} and {b.shape}")
    factor = max(1, max(a.shape) // COARSE_SIZE)
    ca, cb = _coarse(a, factor), _coarse(b, factor)
    if not ca.any() or not cb.any():
        return 0.0, 0.0
    window = np.outer(np.hanning(ca.shape[0]), np.hanning(ca.shape[1])).astype(np.float32)
    fa = scipy.fft.rfft2((ca - ca.mean()) * window)
    fb = scipy.fft.rfft2((cb - cb.mean()) * window)
    cross = fb * np.conj(fa)
    cross /= np.maximum(np.abs(cross), 1e-12)
    corr = scipy.fft.irfft2(cross, s=ca.shape)
    H, W = corr.shape
    limit = (np.inf if max_shift is None else float(max_shift)) / factor
    dy = np.fft.fftfreq(H, 1.0 / H)
    dx = np.fft.fftfreq(W, 1.0 / W)
    outside = (np.abs(dy)[:, None] > limit) | (np.abs(dx)[None, :] > limit)
    corr[outside] = -np.inf
    iy, ix = np.unravel_index(int(np.argmax(corr)), corr.shape)
    if _agreement(ca, cb, 0, 0) >= _agreement(ca, cb, int(dy[iy]), int(dx[ix])):
        return 0.0, 0.0  # the peak is noise (dense or featureless masks): keep the sections
    sy = _peak_offset(corr[[(iy - 1) % H, iy, (iy + 1) % H], ix])
    sx = _peak_offset(corr[iy, [(ix - 1) % W, ix, (ix + 1) % W]])
    return float((dy[iy] + sy) * factor), float((dx[ix] + sx) * factor)


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
