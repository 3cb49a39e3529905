"""Mip levels: down-sampling by ``2**level`` in y and x, and up-sampling of predictions back.

Level ``k`` of a (Z, Y, X) stack has shape (Z, ceil(Y / 2**k), ceil(X / 2**k)): each pixel
covers a ``2**k`` x ``2**k`` block of level 0 (edge blocks cover what remains). Sections (z)
are never resampled: serial-section EM is anisotropic and the network sees sections.
"""

from __future__ import annotations

import numpy as np
import scipy.ndimage as ndi

from . import _kernels
from ._sections import Sections, Workers, map_sections, output, progress_bar

__all__ = ["downsample", "upsample"]

DOWN_METHODS = ("mean", "mode", "nearest")


def _check_level(level) -> int:
    if isinstance(level, bool) or not isinstance(level, (int, np.integer)) or level < 0:
        raise ValueError(f"level: expected an int >= 0, got {level!r}")
    return int(level)


def _as_stack(image, name: str):
    """A 2D image becomes a one-section stack (and is squeezed back)."""
    if isinstance(image, np.ndarray) and image.ndim == 2:
        return image[None], True
    return image, False


def _scaled_sampling(sampling, factor):
    if sampling is None:
        return None
    return (sampling[0], sampling[1] * factor, sampling[2] * factor)


def downsample(image, level=1, *, method=None, labels=False, out=None, threads=None,
               progress=None):
    """Mip level ``level`` of an image or label stack: blocks of ``2**level`` px in y and x.

    Parameters
    ----------
    image : (Z, Y, X) or (Y, X) ndarray, Volume or path
        An image (any integer or float dtype) or labels.
    level : int >= 0
        Mip level; the block is ``2**level`` px square. Level 0 copies.
    method : {"mean", "mode", "nearest"}, optional
        ``"mean"``: block mean, rounded to the nearest integer (halves up) for integer
        images (default for images). ``"mode"``: most frequent value of the block, the smallest on a tie (default
        with ``labels=True``). ``"nearest"``: the block's first (top-left) pixel.
    labels : bool
        The input is labels; selects ``"mode"`` by default and forbids ``"mean"``.
    out : None, ndarray, writable Volume or path
        Where the result goes (as in :func:`deflicker`); a path records the scaled sampling.
    threads : int, optional
        Sections processed at once; default all cores.

    Returns
    -------
    result : ndarray or Volume, dtype of ``image``
        Shape (Z, ceil(Y / 2**level), ceil(X / 2**level)) (or 2D for a 2D input).

    Examples
    --------
    >>> import numpy as np
    >>> image = np.arange(16, dtype=np.uint8).reshape(4, 4)
    >>> downsample(image, 1)
    array([[ 3,  5],
           [11, 13]], dtype=uint8)
    >>> downsample(np.array([[1, 1, 2], [3, 1, 2]], np.uint32), 1, labels=True)
    array([[1, 2]], dtype=uint32)
    """
    level = _check_level(level)
    if method is None:
        method = "mode" if labels else "mean"
    if method not in DOWN_METHODS:
        raise ValueError(f"method: expected one of {list(DOWN_METHODS)}, got {method!r}")
    if labels and method == "mean":
        raise ValueError("method: 'mean' mixes label ids; use 'mode' or 'nearest' for labels")
    stack, squeeze = _as_stack(image, "image")
    factor = 1 << level
    with Sections(stack, "image") as sections:
        if method == "mode" and sections.dtype.kind not in "biu":
            raise TypeError(f"image: method 'mode' expects integer labels, got "
                            f"{sections.dtype}")
        n, ny, nx = sections.shape
        shape = (n, -(-ny // factor), -(-nx // factor))
        with Workers(threads) as workers, \
                output(out, shape, sections.dtype,
                       sampling=_scaled_sampling(sections.sampling, factor)) as (target, finish), \
                progress_bar(n, "downsample", progress) as bar:
            map_sections(sections, lambda section: _down_section(section, factor, method),
                         shape[1:], target, workers, bar)
            result = finish()
    return result[0] if squeeze and isinstance(result, np.ndarray) else result


def _down_section(section, factor, method):
    if factor == 1 or method == "nearest":
        return section[::factor, ::factor]
    shape = (-(-section.shape[0] // factor), -(-section.shape[1] // factor))
    if method == "mode":
        out = np.empty(shape, section.dtype)
        _kernels.block_mode(section, factor, out)
        return out
    means = np.empty(shape, np.float64)
    _kernels.block_mean(section, factor, means)
    if section.dtype.kind in "biu":
        info = np.iinfo(section.dtype) if section.dtype.kind != "b" else None
        means = np.floor(means + 0.5)
        if info is not None:
            means = np.clip(means, info.min, info.max)
    return means.astype(section.dtype)


def upsample(image, level=1, *, shape=None, order=0, out=None, threads=None, progress=None):
    """Bring a mip-level ``level`` stack (e.g. predictions) back to level 0.

    Parameters
    ----------
    image : (Z, Y, X) or (Y, X) ndarray, Volume or path
        Probabilities, labels or images at mip level ``level``.
    level : int >= 0
        The mip level of ``image``.
    shape : (int, int), optional
        (Y, X) at level 0, to crop the edge blocks' overhang back (as given by the level-0
        stack: ``ceil(Y / 2**level)`` must equal the input's height). Default: the full
        ``2**level`` times the input.
    order : {0, 1}
        0: each pixel repeated over its block (labels, masks). 1: bilinear between pixel
        centres (``scipy.ndimage.zoom`` with ``grid_mode=True``, edges held), for
        probabilities; integer dtypes are rounded.
    out, threads, progress
        As in :func:`downsample`.

    Returns
    -------
    result : ndarray or Volume, dtype of ``image``
        Shape (Z, Y, X) (or 2D for a 2D input).

    Examples
    --------
    >>> import numpy as np
    >>> upsample(np.array([[1, 2]], np.uint8), 1, shape=(2, 3))
    array([[1, 1, 2],
           [1, 1, 2]], dtype=uint8)
    """
    level = _check_level(level)
    if order not in (0, 1):
        raise ValueError(f"order: expected 0 (repeat) or 1 (bilinear), got {order!r}")
    stack, squeeze = _as_stack(image, "image")
    factor = 1 << level
    with Sections(stack, "image") as sections:
        n, ny, nx = sections.shape
        if shape is None:
            full = (ny * factor, nx * factor)
        else:
            try:
                full = tuple(int(s) for s in shape)
            except TypeError:
                raise TypeError(f"shape: expected (Y, X) ints, got {shape!r}") from None
            if len(full) != 2 or -(-full[0] // factor) != ny or -(-full[1] // factor) != nx:
                raise ValueError(f"shape: {shape!r} does not reduce to the input's "
                                 f"({ny}, {nx}) at level {level}")
        with Workers(threads) as workers, \
                output(out, (n, *full), sections.dtype,
                       sampling=_scaled_sampling(sections.sampling, 1 / factor)) \
                as (target, finish), progress_bar(n, "upsample", progress) as bar:
            map_sections(sections,
                         lambda section: _up_section(section, factor, order)[:full[0], :full[1]],
                         full, target, workers, bar)
            result = finish()
    return result[0] if squeeze and isinstance(result, np.ndarray) else result


def _up_section(section, factor, order):
    if factor == 1:
        return section
    if order == 0:
        return np.repeat(np.repeat(section, factor, axis=0), factor, axis=1)
    values = ndi.zoom(section.astype(np.float64), factor, order=1, grid_mode=True,
                      mode="nearest")
    if section.dtype.kind in "iu":
        info = np.iinfo(section.dtype)
        values = np.clip(np.rint(values), info.min, info.max)
    return values.astype(section.dtype)
