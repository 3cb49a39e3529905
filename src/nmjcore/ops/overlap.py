"""Overlap (contingency) table of two label images."""

from __future__ import annotations

import numpy as np

from .. import _core
from ._validate import as_integer_image, check_same_shape, resolve_threads


def overlap_table(a, b, *, threads=None):
    """Voxel counts of every pair of ids that overlap in two label images.

    Parameters
    ----------
    a, b : (Z, Y, X) or (Y, X) ndarray of bool or integer
        Label images of one shape; each may have its own integer dtype. Ids may be huge and
        sparse (any value of the dtype): nothing is indexed by id.
    threads : int, optional
        Worker threads; default all cores.

    Returns
    -------
    ids_a : (P,) ndarray, dtype of ``a``
    ids_b : (P,) ndarray, dtype of ``b``
    counts : (P,) ndarray of int64
        One entry per distinct pair ``(ids_a[k], ids_b[k])`` occurring at ``counts[k] > 0``
        voxels, sorted by ``(ids_a, ids_b)``. Pairs with a zero (background) id are
        included; filter them with e.g. ``keep = (ids_a != 0) & (ids_b != 0)``. The counts
        sum to ``a.size``. Bool images are reported as uint8.

    Notes
    -----
    One pass: runs of one pair along the contiguous axis are counted before they reach a
    per-thread hash table, then the tables are merged and sorted, so the result does not
    depend on ``threads``.

    Examples
    --------
    >>> import numpy as np, nmjcore as nc
    >>> a = np.array([[1, 1, 0], [2, 2, 2]], np.uint32)
    >>> b = np.array([[5, 5, 5], [5, 0, 0]], np.uint16)
    >>> nc.overlap_table(a, b)
    (array([0, 1, 2, 2], dtype=uint32), array([5, 5, 0, 5], dtype=uint16), array([1, 2, 2, 1]))
    """
    first = as_integer_image(a, "a", allowed_ndim=(2, 3))
    second = as_integer_image(b, "b", allowed_ndim=(2, 3))
    check_same_shape(first, second, "a, b")
    if first.size == 0:
        return (np.zeros(0, first.dtype), np.zeros(0, second.dtype), np.zeros(0, np.int64))
    return _core.overlap_table(first, second, resolve_threads(threads))
