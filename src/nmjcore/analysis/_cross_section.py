"""Cross-sections of a labelled object on a plane: sampling (Numba), area and minimum width."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def sample_plane(labels, label_id, centre, u, v, half, out):
    """``out[i, j] = labels[round(centre + (i - half) u + (j - half) v)] == label_id``.

    ``centre``, ``u`` and ``v`` are in voxel coordinates (z, y, x); points outside the volume
    count as outside the object (nearest-neighbour sampling).
    """
    nz, ny, nx = labels.shape
    n = 2 * half + 1
    for i in range(n):
        a = i - half
        for j in range(n):
            b = j - half
            z = int(np.floor(centre[0] + a * u[0] + b * v[0] + 0.5))
            y = int(np.floor(centre[1] + a * u[1] + b * v[1] + 0.5))
            x = int(np.floor(centre[2] + a * u[2] + b * v[2] + 0.5))
            inside = 0 <= z < nz and 0 <= y < ny and 0 <= x < nx
            out[i, j] = inside and labels[z, y, x] == label_id


@njit(cache=True, nogil=True)
def centre_piece(grid, half, n_angles):
    """The 4-connected piece of ``grid`` at its centre (or nearest the centre when the centre
    is outside): its pixel count, its minimum caliper width in grid steps and whether it
    reaches the grid's border.

    The width is the smallest extent of the piece's boundary-pixel centres over ``n_angles``
    directions in [0, pi), plus one step (the extent a pixel adds; unbiased on average for a
    disc). Returns (0, 0.0, False) for an empty grid.
    """
    n = grid.shape[0]
    si, sj, best = -1, -1, 1 << 62
    for i in range(n):
        for j in range(n):
            if grid[i, j]:
                d = (i - half) ** 2 + (j - half) ** 2
                if d < best:
                    best, si, sj = d, i, j
    if si < 0:
        return 0, 0.0, False
    member = np.zeros((n, n), np.bool_)
    stack = np.empty((n * n, 2), np.int64)
    stack[0, 0], stack[0, 1] = si, sj
    member[si, sj] = True
    top, count, border = 1, 0, False
    bi = np.empty(n * n, np.float64)
    bj = np.empty(n * n, np.float64)
    nb = 0
    while top > 0:
        top -= 1
        i, j = stack[top, 0], stack[top, 1]
        count += 1
        edge = False
        for di, dj in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            a, b = i + di, j + dj
            if a < 0 or a >= n or b < 0 or b >= n:
                border = True
                edge = True
                continue
            if not grid[a, b]:
                edge = True
            elif not member[a, b]:
                member[a, b] = True
                stack[top, 0], stack[top, 1] = a, b
                top += 1
        if edge:
            bi[nb], bj[nb] = i, j
            nb += 1
    width = np.inf
    for k in range(n_angles):
        t = np.pi * k / n_angles
        c, s = np.cos(t), np.sin(t)
        lo, hi = np.inf, -np.inf
        for m in range(nb):
            p = bi[m] * c + bj[m] * s
            lo = min(lo, p)
            hi = max(hi, p)
        width = min(width, hi - lo)
    return count, width + 1.0, border


def plane_axes(direction):
    """Two unit vectors spanning the plane perpendicular to ``direction`` (z, y, x)."""
    d = np.asarray(direction, dtype=np.float64)
    d = d / np.sqrt(d @ d)
    helper = (1.0, 0.0, 0.0) if abs(d[0]) < 0.9 else (0.0, 1.0, 0.0)
    u = _cross(d, helper)
    u /= np.sqrt(u @ u)
    # For an axon along z this puts u along x and v along y (in-section axes).
    return _cross(d, u), u


def _cross(a, b):  # np.cross costs ~20 us of overhead per call on 3-vectors
    return np.array([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2],
                     a[0] * b[1] - a[1] * b[0]])


#: Directions over which the minimum width is searched: a quarter-degree apart, so a piece of
#: length L and width w is over-measured by at most about L * 0.002.
N_ANGLES = 720


def cross_section(labels, label_id, centre_nm, direction, sampling, step, half):
    """Area-equivalent diameter and minimum width (nm) of ``label_id``'s cross-section through
    ``centre_nm`` perpendicular to ``direction`` (both (z, y, x), nm), sampled every ``step`` nm
    on a (2 half + 1)^2 grid that is doubled while the piece reaches its border. The piece is
    the 4-connected one at (or nearest) the centre.

    Returns ``(diameter, width)``; NaN when the plane misses the object.
    """
    sampling = np.asarray(sampling, dtype=np.float64)
    e1, e2 = plane_axes(direction)
    centre = np.asarray(centre_nm, dtype=np.float64) / sampling
    target = labels.dtype.type(label_id)
    for _ in range(4):
        grid = np.empty((2 * half + 1, 2 * half + 1), np.bool_)
        sample_plane(labels, target, centre, e1 * step / sampling, e2 * step / sampling, half,
                     grid)
        count, width, border = centre_piece(grid, half, N_ANGLES)
        if count == 0:
            return np.nan, np.nan
        if not border:
            break
        half *= 2
    return 2.0 * np.sqrt(count * step * step / np.pi), width * step
