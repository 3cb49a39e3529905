"""Where tiles go and how overlapping tiles are blended."""

from __future__ import annotations

import math

import numpy as np

BLENDS = ("cosine", "gaussian", "constant")


def tile_starts(size: int, tile: int, overlap: int, multiple: int = 1) -> tuple[int, list[int]]:
    """Tile length and start positions covering ``[0, size)`` with at least ``overlap`` px shared.

    ``tile`` is the largest length; the fewest tiles that fit are spread evenly and shrunk to
    the shortest length (rounded up to ``multiple``, the model's stride) that still overlaps by
    ``overlap``, so a 1024 px section with tiles of 512 and overlap 64 takes three tiles of 384
    px, not three of 512.
    """
    if size <= tile:
        return size, [0]
    n = math.ceil((size - overlap) / (tile - overlap))
    length = math.ceil((size + (n - 1) * overlap) / n)
    length = min(tile, -(-length // multiple) * multiple)
    step = (size - length) / (n - 1)
    return length, [int(round(i * step)) for i in range(n)]


def window_1d(length: int, overlap: int, blend: str, at_start: bool, at_end: bool) -> np.ndarray:
    """Blending weights along one tile axis.

    Edges on the image border keep weight 1 (no neighbour to blend with). An inner edge gets
    weight 0 over its outer ``overlap // 4`` px (where a convolution sees the tile's padding,
    so those values are never used) and then rises over the next ``overlap // 2`` px: a
    raised cosine, or a Gaussian ramp, whose two overlapping halves sum to 1.
    """
    w = np.ones(length, dtype=np.float64)
    if blend == "constant" or overlap <= 0:
        return w.astype(np.float32)
    margin = overlap // 4
    ramp_len = max(overlap - 2 * margin, 1)
    u = (np.arange(ramp_len) + 0.5) / ramp_len
    if blend == "cosine":
        ramp = 0.5 - 0.5 * np.cos(np.pi * u)
    else:
        # cumulative Gaussian (sigma = ramp / 6): smooth, and symmetric so the halves sum to 1
        from scipy.special import ndtr

        ramp = ndtr((u - 0.5) * 6.0)
    edge = np.concatenate([np.zeros(margin), ramp])[:length]
    if not at_start:
        w[:edge.size] = np.minimum(w[:edge.size], edge)
    if not at_end:
        w[length - edge.size:] = np.minimum(w[length - edge.size:], edge[::-1])
    return w.astype(np.float32)


def tiles(shape, tile, overlap, multiple, blend):
    """Every tile of a (D, H, W) block grid: ``(starts, lengths, window)`` per tile, windows
    (d, h, w) float32. ``tile``/``overlap``/``multiple`` are per axis."""
    axes = []
    for size, t, o, m in zip(shape, tile, overlap, multiple):
        length, starts = tile_starts(size, t, o, m)
        axes.append([(s, length, window_1d(length, o, blend, s == 0, s + length >= size))
                     for s in starts])
    out = []
    for z in axes[0]:
        for y in axes[1]:
            for x in axes[2]:
                window = z[2][:, None, None] * y[2][None, :, None] * x[2][None, None, :]
                out.append(((z[0], y[0], x[0]), (z[1], y[1], x[1]), window))
    return out
