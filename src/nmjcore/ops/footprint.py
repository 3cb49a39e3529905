"""Flat structuring elements (footprints) for :func:`nmjcore.erode` and friends.

Every constructor returns a boolean ndarray; any boolean array works as a footprint too.
Public as :mod:`nmjcore.footprint`.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_count, check_choice


def _shape(size, ndim) -> tuple[int, ...]:
    check_choice(ndim, "ndim", (1, 2, 3))
    sizes = (size,) * ndim if np.isscalar(size) else tuple(size)
    if len(sizes) != ndim:
        raise ValueError(f"size: expected {ndim} values (one per axis), got {len(sizes)}")
    shape = tuple(as_count(s, "size") for s in sizes)
    if min(shape) < 1:
        raise ValueError(f"size: expected positive sizes, got {sizes}")
    return shape


def box(size, ndim: int = 2) -> np.ndarray:
    """A full box (rectangle, cuboid).

    Parameters
    ----------
    size : int or sequence of int
        Side length, one for every axis or one per axis. Even sizes are allowed; the origin is
        then at ``size // 2`` (as in ``scipy.ndimage``).
    ndim : int, default 2
        Number of axes when ``size`` is a scalar.

    Returns
    -------
    footprint : ndarray of bool, all True

    Examples
    --------
    >>> import nmjcore as nc
    >>> nc.footprint.box(3).shape, nc.footprint.box((1, 5)).shape
    ((3, 3), (1, 5))
    """
    if not np.isscalar(size):
        ndim = len(size)
    return np.ones(_shape(size, ndim), dtype=bool)


def cross(size: int = 3, ndim: int = 2) -> np.ndarray:
    """A cross (plus sign): the centre and the axis-aligned arms through it.

    ``cross(3, ndim)`` is ``scipy.ndimage.generate_binary_structure(ndim, 1)``, the default
    footprint of :func:`nmjcore.erode` and friends.

    Parameters
    ----------
    size : int, default 3
        Odd side length of the bounding box; the arms are ``size // 2`` long.
    ndim : int, default 2

    Returns
    -------
    footprint : ndarray of bool, shape ``(size,) * ndim``

    Examples
    --------
    >>> import nmjcore as nc
    >>> nc.footprint.cross().astype(int)
    array([[0, 1, 0],
           [1, 1, 1],
           [0, 1, 0]])
    """
    (side,) = _shape(size, 1)
    if side % 2 == 0:
        raise ValueError(f"size: expected an odd size, got {side}")
    shape = _shape(side, ndim)
    grids = np.indices(shape) - side // 2
    return (grids != 0).sum(axis=0) <= 1


def _sphere(radius, ndim: int) -> np.ndarray:
    r = as_count(radius, "radius")
    axis = np.arange(-r, r + 1)
    grids = np.meshgrid(*([axis] * ndim), indexing="ij")
    return sum(g * g for g in grids) <= r * r


def disk(radius: int) -> np.ndarray:
    """A digital disk: every pixel within ``radius`` of the centre (Euclidean).

    Equals ``skimage.morphology.disk(radius)`` (as bool).

    Parameters
    ----------
    radius : int

    Returns
    -------
    footprint : ndarray of bool, shape ``(2 * radius + 1, 2 * radius + 1)``

    Examples
    --------
    >>> import nmjcore as nc
    >>> nc.footprint.disk(1).astype(int)
    array([[0, 1, 0],
           [1, 1, 1],
           [0, 1, 0]])
    """
    return _sphere(radius, 2)


def ball(radius: int) -> np.ndarray:
    """A digital ball: every voxel within ``radius`` of the centre (Euclidean).

    Equals ``skimage.morphology.ball(radius)`` (as bool). In voxel units: on anisotropic
    stacks build an ellipsoid footprint yourself (any boolean array works).

    Parameters
    ----------
    radius : int

    Returns
    -------
    footprint : ndarray of bool, shape ``(2 * radius + 1,) * 3``
    """
    return _sphere(radius, 3)


__all__ = ["ball", "box", "cross", "disk"]
