"""Flat erosion, dilation, opening and closing of 2D and 3D images, binary and greyscale."""

from __future__ import annotations

import numpy as np

from .. import _core
from ._validate import as_array, as_numeric_image, as_positive_int, check_choice, resolve_threads
from .footprint import cross

_BORDERS = {"constant": 0, "reflect": 1, "nearest": 2, "mirror": 3}


def _as_footprint(footprint, ndim: int) -> np.ndarray:
    """Boolean, C-contiguous, with ``ndim`` axes (leading axes of length 1 added)."""
    if footprint is None:
        return cross(3, ndim)
    array = as_array(footprint, "footprint")
    if array.dtype.kind not in "biu":
        raise TypeError(f"footprint: expected a bool or integer array, got dtype {array.dtype}")
    if array.ndim > ndim or array.ndim == 0:
        raise ValueError(f"footprint: expected 1..{ndim} dimensions (as image), got shape "
                         f"{array.shape}")
    if array.size == 0 or not array.any():
        raise ValueError("footprint: expected at least one True element")
    array = np.ascontiguousarray(array != 0)
    return array.reshape((1,) * (ndim - array.ndim) + array.shape)


def _border(array: np.ndarray, mode, cval) -> tuple[int, float]:
    if mode is None:
        mode = "constant" if array.dtype == np.bool_ else "reflect"
    check_choice(mode, "mode", list(_BORDERS))
    if cval is None:
        cval = 0
    if isinstance(cval, bool):
        cval = int(cval)
    if not isinstance(cval, (int, float, np.integer, np.floating)) or np.isnan(cval):
        raise TypeError(f"cval: expected a number, got {cval!r}")
    if array.dtype == np.bool_:
        if cval not in (0, 1):
            raise ValueError(f"cval: expected 0/False or 1/True for a bool image, got {cval}")
    elif array.dtype.kind != "f":
        info = np.iinfo(array.dtype)
        if cval != int(cval) or not info.min <= cval <= info.max:
            raise ValueError(f"cval: expected an integer within {array.dtype}'s range, got {cval}")
    return _BORDERS[mode], float(cval)


def _rank(image, footprint, dilate: bool, iterations, mode, cval, threads) -> np.ndarray:
    array = as_numeric_image(image, "image", allowed_ndim=(2, 3))
    fp = _as_footprint(footprint, array.ndim)
    count = as_positive_int(iterations, "iterations")
    border, value = _border(array, mode, cval)
    workers = resolve_threads(threads)
    if array.size == 0:
        return array.copy()
    return _core.morphology(array, fp, dilate, border, value, count, workers)


_PARAMETERS = """
    Parameters
    ----------
    image : (Z, Y, X) or (Y, X) ndarray of bool, integer or float
        A bool image is binary; any other dtype is greyscale (flat structuring element).
        NaN is rejected.
    footprint : ndarray of bool, optional
        The structuring element: True where it is part of it, e.g. :func:`nmjcore.footprint.box`,
        ``disk``, ``ball``, ``cross`` or any boolean array. Its origin is at ``size // 2`` on
        every axis (as in ``scipy.ndimage``, even sizes included). With fewer axes than
        ``image`` it applies to every section (leading axes of length 1). Default: the cross
        of connectivity 1 (``scipy.ndimage.generate_binary_structure(ndim, 1)``).
    iterations : int, default 1
        How many times to apply it.
    mode : {'constant', 'reflect', 'nearest', 'mirror'}, optional
        What is read outside the image, named as in ``scipy.ndimage``. Default: 'constant'
        (with ``cval`` False) for bool images, as ``scipy.ndimage.binary_*`` with
        ``border_value=0``; 'reflect' for greyscale, as ``scipy.ndimage.grey_*``.
    cval : number, default 0
        The value outside the image with ``mode='constant'``.
    threads : int, optional
        Worker threads; default all cores.

    Returns
    -------
    out : ndarray, same shape and dtype as ``image``
"""

_NOTES = """
    Notes
    -----
    A full box is separable: one sliding window per axis, van Herk / Gil-Werman along y and
    z, so the time does not grow with the box. Any other footprint is cut into runs along x
    whose window min/max comes from a sparse table of every source row. Results equal
    ``scipy.ndimage.binary_{op}`` (bool images) and ``scipy.ndimage.grey_{op}`` (others)
    exactly, borders included.
"""


def erode(image, footprint=None, *, iterations=1, mode=None, cval=None, threads=None):
    """Erosion: the minimum over the footprint around every pixel (binary: AND)."""
    return _rank(image, footprint, False, iterations, mode, cval, threads)


def dilate(image, footprint=None, *, iterations=1, mode=None, cval=None, threads=None):
    """Dilation: the maximum over the mirrored footprint around every pixel (binary: OR)."""
    return _rank(image, footprint, True, iterations, mode, cval, threads)


def opening(image, footprint=None, *, iterations=1, mode=None, cval=None, threads=None):
    """Opening: erosion, then dilation by the same footprint (``iterations`` times each)."""
    eroded = erode(image, footprint, iterations=iterations, mode=mode, cval=cval, threads=threads)
    return dilate(eroded, footprint, iterations=iterations, mode=mode, cval=cval, threads=threads)


def closing(image, footprint=None, *, iterations=1, mode=None, cval=None, threads=None):
    """Closing: dilation, then erosion by the same footprint (``iterations`` times each)."""
    dilated = dilate(image, footprint, iterations=iterations, mode=mode, cval=cval,
                     threads=threads)
    return erode(dilated, footprint, iterations=iterations, mode=mode, cval=cval, threads=threads)


_EXAMPLES = {
    "erode": """
    Examples
    --------
    >>> import numpy as np, nmjcore as nc
    >>> mask = np.zeros((5, 5), bool); mask[1:4, 1:4] = True
    >>> nc.erode(mask, nc.footprint.box(3)).sum()
    np.int64(1)
    >>> nc.erode(np.array([[5, 3, 9, 1, 7]], np.uint8), nc.footprint.box((1, 3)))
    array([[3, 3, 1, 1, 1]], dtype=uint8)
""",
    "dilate": """
    Examples
    --------
    >>> import numpy as np, nmjcore as nc
    >>> mask = np.zeros((5, 5), bool); mask[2, 2] = True
    >>> nc.dilate(mask, nc.footprint.box(3)).sum()
    np.int64(9)
""",
    "opening": """
    Examples
    --------
    >>> import numpy as np, nmjcore as nc
    >>> mask = np.zeros((7, 7), bool); mask[1:6, 1:6] = True; mask[0, 3] = True
    >>> bool(nc.opening(mask, nc.footprint.box(3))[0, 3])
    False
""",
    "closing": """
    Examples
    --------
    >>> import numpy as np, nmjcore as nc
    >>> mask = np.zeros((7, 7), bool); mask[1:6, 1:6] = True; mask[3, 3] = False
    >>> bool(nc.closing(mask, nc.footprint.box(3))[3, 3])
    True
""",
}

for _fn, _op in ((erode, "erosion"), (dilate, "dilation"), (opening, "opening"),
                 (closing, "closing")):
    _fn.__doc__ += "\n" + _PARAMETERS + _NOTES.replace("{op}", _op) + _EXAMPLES[_fn.__name__]
