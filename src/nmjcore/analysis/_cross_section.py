"""Cross-sections of a labelled object on a plane: sampling (Numba), area and minimum width."""

from __future__ import annotations

import numpy as np
from numba import njit
from scipy import ndimage
from scipy.spatial import ConvexHull, QhullError


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


def plane_axes(direction):
    """Two unit vectors spanning the plane perpendicular to ``direction`` (z, y, x)."""
    d = np.asarray(direction, dtype=np.float64)
    d = d / np.linalg.norm(d)
    helper = np.array([1.0, 0.0, 0.0]) if abs(d[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    u = np.cross(d, helper)
    u /= np.linalg.norm(u)
    # For an axon along z this puts u along x and v along y (in-section axes).
    return np.cross(d, u), u


def min_width(points, step):
    """Minimum caliper width of a set of pixel centres of spacing ``step``: over the directions
    normal to the edges of their convex hull (where the minimum is attained), the extent of the
    centres plus one ``step`` (the extent a pixel adds; unbiased on average for a disc)."""
    if len(points) < 3:
        return step if len(points) else 0.0
    try:
        hull = points[ConvexHull(points).vertices]
    except QhullError:  # all on one line
        return step
    edges = np.roll(hull, -1, axis=0) - hull
    normals = np.stack([-edges[:, 1], edges[:, 0]], axis=1)
    normals /= np.linalg.norm(normals, axis=1, keepdims=True)
    proj = hull @ normals.T
    return float((proj.max(axis=0) - proj.min(axis=0)).min() + step)


def cross_section(labels, label_id, centre_nm, direction, sampling, step, half):
    """Area-equivalent diameter and minimum width (nm) of ``label_id``'s cross-section through
    ``centre_nm`` perpendicular to ``direction`` (both (z, y, x), nm), sampled every ``step`` nm
    on a (2 half + 1)^2 grid that is doubled while the object reaches its border.

    Returns ``(diameter, width)``; NaN when the plane misses the object.
    """
    sampling = np.asarray(sampling, dtype=np.float64)
    e1, e2 = plane_axes(direction)
    centre = np.asarray(centre_nm, dtype=np.float64) / sampling
    for _ in range(4):
        grid = np.empty((2 * half + 1, 2 * half + 1), np.bool_)
        sample_plane(labels, labels.dtype.type(label_id), centre, e1 * step / sampling,
                     e2 * step / sampling, half, grid)
        if not grid.any():
            return np.nan, np.nan
        pieces, _ = ndimage.label(grid)
        at = pieces[half, half]
        if at == 0:  # the centroid of a curved section can fall outside it: nearest piece
            ii, jj = np.nonzero(pieces)
            k = np.argmin((ii - half) ** 2 + (jj - half) ** 2)
            at = pieces[ii[k], jj[k]]
        mask = pieces == at
        if not (mask[0].any() or mask[-1].any() or mask[:, 0].any() or mask[:, -1].any()):
            break
        half *= 2
    area = mask.sum() * step * step
    points = np.argwhere(mask).astype(np.float64) * step
    return 2.0 * np.sqrt(area / np.pi), min_width(points, step)
