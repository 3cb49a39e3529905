"""Per-label voxel count, centroid, bounding box and mean intensity, in one pass."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .. import _core
from ._validate import as_array, as_integer_image, resolve_threads

# Intensity dtypes the kernel reads directly; every other numeric dtype is read as float64.
_NATIVE_INTENSITY = (np.uint8, np.uint16, np.float32, np.float64)


class RegionProperties(NamedTuple):
    """Statistics of the non-zero labels of an image, one row per label, sorted by id."""

    ids: np.ndarray  #: (n,) the labels present, dtype of the label image
    counts: np.ndarray  #: (n,) int64 voxel counts
    centroids: np.ndarray  #: (n, ndim) float64 mean voxel coordinate, (z,) y, x
    bbox: np.ndarray  #: (n, 2 * ndim) int64 minimum coordinates, then exclusive maxima
    mean_intensity: np.ndarray | None  #: (n,) float64, or None without ``intensity``


def region_properties(labels, intensity=None, *, threads=None) -> RegionProperties:
    """Voxel count, centroid, bounding box and mean intensity of every label, in one pass.

    Parameters
    ----------
    labels : (Z, Y, X) or (Y, X) ndarray of bool or integer
        Label image; every non-zero value is a region. Ids may be any values of the dtype
        (huge, sparse, negative).
    intensity : ndarray of bool, integer or float, same shape as ``labels``, optional
        Image whose mean over each region is wanted.
    threads : int, optional
        Worker threads; default all cores.

    Returns
    -------
    RegionProperties
        ``ids`` (sorted, dtype of ``labels``), ``counts`` (int64), ``centroids`` (float64,
        (n, ndim), voxel coordinates), ``bbox`` (int64, (n, 2 * ndim): mins then exclusive
        maxes, as slices ``bbox[i, :ndim]:bbox[i, ndim:]``) and ``mean_intensity`` (float64,
        or None). A label image without labels gives empty arrays.

    Notes
    -----
    One pass over the image, row by row as runs of one label, with an open-addressing hash
    table from id to statistics, so the cost does not depend on the ids' range. Counts,
    centroids and boxes do not depend on ``threads``; nor does the mean of an integer
    ``intensity`` (summed exactly). The mean of a float ``intensity`` is summed in float64 in
    an order that depends on ``threads`` only (differences at rounding level). NaN in
    ``intensity`` makes that region's mean NaN.

    Examples
    --------
    >>> import numpy as np, nmjcore as nc
    >>> labels = np.array([[0, 7, 7], [0, 0, 7], [900, 0, 0]], dtype=np.uint32)
    >>> props = nc.region_properties(labels, intensity=np.arange(9).reshape(3, 3))
    >>> props.ids, props.counts
    (array([  7, 900], dtype=uint32), array([3, 1]))
    >>> props.centroids[0], props.bbox[0], props.mean_intensity
    (array([0.33333333, 1.66666667]), array([0, 1, 2, 3]), array([2.66666667, 6.        ]))
    """
    source = as_array(labels, "labels")
    array = as_integer_image(source, "labels", allowed_ndim=(2, 3))
    values = None
    if intensity is not None:
        values = _as_intensity(intensity, array.shape)
    if array.size == 0:
        ndim = array.ndim
        return RegionProperties(np.zeros(0, source.dtype), np.zeros(0, np.int64),
                                np.zeros((0, ndim)), np.zeros((0, 2 * ndim), np.int64),
                                None if values is None else np.zeros(0))
    ids, counts, centroids, bbox, mean = _core.region_properties(array, values,
                                                                 resolve_threads(threads))
    if source.dtype == np.bool_:
        ids = ids.astype(np.bool_)
    return RegionProperties(ids, counts, centroids, bbox, mean)


def _as_intensity(intensity, shape) -> np.ndarray:
    values = as_array(intensity, "intensity")
    if values.dtype.kind not in "biuf":
        raise TypeError(f"intensity: expected a bool, integer or float array, got dtype "
                        f"{values.dtype}")
    if values.shape != shape:
        raise ValueError(f"intensity: expected the shape of labels {shape}, got {values.shape}")
    if values.dtype == np.bool_:
        values = values.view(np.uint8)
    dtype = values.dtype.newbyteorder("=")
    if dtype not in _NATIVE_INTENSITY:
        dtype = np.float64
    return np.ascontiguousarray(values, dtype=dtype)
