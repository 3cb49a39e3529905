"""Overlap of two binary masks."""

from __future__ import annotations

import numpy as np

from ..ops._validate import as_integer_image, check_same_shape


def _areas(a, b):
    first = as_integer_image(a, "a", allowed_ndim=(1, 2, 3, 4))
    second = as_integer_image(b, "b", allowed_ndim=(1, 2, 3, 4))
    check_same_shape(first, second, "a, b")
    fa, fb = first != 0, second != 0
    return np.count_nonzero(fa & fb), np.count_nonzero(fa), np.count_nonzero(fb)


def dice(a, b):
    """Dice coefficient ``2 |A & B| / (|A| + |B|)`` of two masks (non-zero = foreground).

    Parameters
    ----------
    a, b : ndarray of bool or integer, one shape

    Returns
    -------
    float
        In [0, 1]; 1.0 when both masks are empty (they agree everywhere).

    Examples
    --------
    >>> import numpy as np, nmjcore as nc
    >>> nc.metrics.dice(np.array([1, 1, 0, 0]), np.array([0, 1, 1, 0]))
    0.5
    """
    both, area_a, area_b = _areas(a, b)
    return 1.0 if area_a + area_b == 0 else float(2.0 * both / (area_a + area_b))


def iou(a, b):
    """Intersection over union (Jaccard index) ``|A & B| / |A | B|`` of two masks.

    Parameters
    ----------
    a, b : ndarray of bool or integer, one shape

    Returns
    -------
    float
        In [0, 1]; 1.0 when both masks are empty.

    Examples
    --------
    >>> import numpy as np, nmjcore as nc
    >>> round(nc.metrics.iou(np.array([1, 1, 0, 0]), np.array([0, 1, 1, 0])), 4)
    0.3333
    """
    both, area_a, area_b = _areas(a, b)
    union = area_a + area_b - both
    return 1.0 if union == 0 else float(both / union)
