"""Contact areas between the labels of a volume: every touching pair in one pass."""

from __future__ import annotations

import numpy as np

from .. import _core
from ._validate import as_integer_image, as_sampling, check_non_negative_ids, resolve_threads


def contact_areas(labels, sampling=None, *, return_centroids=False, threads=None):
    """Area of the surface shared by every pair of touching labels.

    Parameters
    ----------
    labels : (Z, Y, X) or (Y, X) ndarray of integers
        Label volume, 0 = background (touches nothing). To measure axons against muscle
        fibres, put both in one volume with distinct ids (e.g. fibre ids offset past the
        largest axon id).
    sampling : float or sequence of float, optional
        Voxel size (z, y, x) in nm, e.g. ``(40, 16, 16)``; default 1 nm along every axis.
    return_centroids : bool, default False
        Also return where each contact lies.
    threads : int, optional
        Worker threads; default all cores.

    Returns
    -------
    ids_a, ids_b : (N,) ndarray, dtype of ``labels``
        The touching pairs, ``ids_a < ids_b``, sorted by (a, b).
    area : (N,) ndarray of float64
        Shared surface in µm²: the faces between face-adjacent voxels of the two labels,
        each weighted by its physical area (``sy * sx`` for a face between two sections,
        ``sz * sx`` and ``sz * sy`` for the in-section faces). For a 2D image the result is the
        shared boundary length in µm.
    centroids : (N, 3) or (N, 2) ndarray of float64, only with ``return_centroids``
        Mean position of the shared faces, nm, (z, y, x) (face-count weighted).

    Notes
    -----
    One pass over the volume in C++: each voxel is compared with its +x, +y and +z neighbour
    (6-connectivity), faces between two different non-zero labels are counted per axis in
    per-thread hash tables, merged and sorted; the result does not depend on ``threads``.
    Face counting measures a voxelised surface: a plane cut obliquely through the grid is
    overestimated (by up to ``|nx| + |ny| + |nz|`` over 1 for a unit normal n), a surface
    aligned with the grid is exact.

    Examples
    --------
    >>> import numpy as np, nmjcore as nc
    >>> labels = np.zeros((2, 3, 4), np.uint32)
    >>> labels[0], labels[1, :2] = 1, 2
    >>> a, b, area = nc.contact_areas(labels, (40, 16, 16))
    >>> a.tolist(), b.tolist(), area.round(6).tolist()
    ([1], [2], [0.002048])
    """
    array = as_integer_image(labels, "labels", allowed_ndim=(2, 3))
    spacing = as_sampling(sampling, array.ndim)
    check_non_negative_ids(array, "labels")
    result = _core.contact_faces(array, resolve_threads(threads))
    return _areas(result, spacing, return_centroids)


def contact_areas_between(labels_a, labels_b, sampling=None, *, return_centroids=False,
                          threads=None):
    """Contact areas between the objects of two label volumes (e.g. axons and muscle fibres).

    A voxel belongs to ``labels_b`` where it is non-zero there, else to ``labels_a``; only
    faces between an object of ``labels_a`` and one of ``labels_b`` count (not a-a or b-b).
    Equals :func:`contact_areas` on one volume with the ``b`` ids offset past the ``a`` ids,
    without building that volume.

    Parameters
    ----------
    labels_a, labels_b : (Z, Y, X) or (Y, X) ndarrays of integers, same shape
        Ids below 2**63, 0 = background.
    sampling, return_centroids, threads
        As for :func:`contact_areas`.

    Returns
    -------
    ids_a : (N,) ndarray, dtype of ``labels_a``
    ids_b : (N,) ndarray, dtype of ``labels_b``
    area : (N,) ndarray of float64, µm² (µm for 2D)
    centroids : (N, ndim) ndarray of float64, nm, only with ``return_centroids``

    Sorted by (a, b).

    Examples
    --------
    >>> import numpy as np, nmjcore as nc
    >>> axons = np.zeros((4, 2, 2), np.uint32); axons[:2] = 7
    >>> fibres = np.zeros((4, 2, 2), np.uint8); fibres[2:] = 1
    >>> nc.contact_areas_between(axons, fibres, (40, 16, 16))[2].round(6).tolist()
    [0.001024]
    """
    a = as_integer_image(labels_a, "labels_a", allowed_ndim=(2, 3))
    b = as_integer_image(labels_b, "labels_b", allowed_ndim=(2, 3))
    if a.shape != b.shape:
        raise ValueError(f"labels_b: expected the shape of labels_a {a.shape}, got {b.shape}")
    spacing = as_sampling(sampling, a.ndim)
    for array, name in ((a, "labels_a"), (b, "labels_b")):
        check_non_negative_ids(array, name)
        if array.dtype == np.uint64 and array.size and array.max() >= 2**63:
            raise ValueError(f"{name}: expected ids below 2**63, found {array.max()}")
    result = _core.contact_faces_between(a, b, resolve_threads(threads))
    return _areas(result, spacing, return_centroids)


def _areas(result, spacing, return_centroids):
    """(ids_a, ids_b, area[, centroids]) from the kernel's face counts per axis."""
    ids_a, ids_b, faces, centre_sum = result
    ndim = len(spacing)
    spacing3 = (1.0,) * (3 - ndim) + tuple(spacing)
    sz, sy, sx = spacing3
    if ndim == 3:
        face_um2 = np.array([sy * sx, sz * sx, sz * sy]) * 1e-6
    else:  # boundary length: the "face" of a pixel edge is its length
        face_um2 = np.array([0.0, sx, sy]) * 1e-3
    area = faces @ face_um2
    if not return_centroids:
        return ids_a, ids_b, area
    count = faces.sum(axis=1, keepdims=True).astype(np.float64)
    centroids = centre_sum / np.maximum(count, 1.0) * np.asarray(spacing3)
    return ids_a, ids_b, area, centroids[:, 3 - ndim:]
