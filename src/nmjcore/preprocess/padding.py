"""Padding sections to a target size (reflect or constant) and cropping back."""

from __future__ import annotations

import numpy as np

__all__ = ["crop_padding", "pad_to", "padding_for"]

MODES = ("reflect", "symmetric", "edge", "constant")


def padding_for(shape, target, *, align="center") -> tuple[tuple[int, int], ...]:
    """``(before, after)`` per axis taking ``shape`` to ``target`` on its last axes.

    ``target`` covers the trailing axes (e.g. (Y, X) of a (Z, Y, X) stack); an entry of None
    leaves that axis as it is. ``align="center"`` splits the padding (the odd pixel after),
    ``"start"`` puts it all after the data.
    """
    shape = tuple(int(s) for s in shape)
    try:
        target = tuple(None if t is None else int(t) for t in target)
    except TypeError:
        raise TypeError(f"shape: expected a tuple of ints, got {target!r}") from None
    if len(target) > len(shape):
        raise ValueError(f"shape: {target} has more axes than the image's {shape}")
    if align not in ("center", "start"):
        raise ValueError(f"align: expected 'center' or 'start', got {align!r}")
    full = (None,) * (len(shape) - len(target)) + target
    pads = []
    for n, t in zip(shape, full):
        t = n if t is None else t
        if t < n:
            raise ValueError(f"shape: target {target} is smaller than the image {shape}; "
                             "crop first")
        extra = t - n
        before = extra // 2 if align == "center" else 0
        pads.append((before, extra - before))
    return tuple(pads)


def pad_to(image, shape, *, mode="reflect", constant=0, align="center"):
    """Pad an image or stack to ``shape`` on its trailing axes; returns the padding too.

    Parameters
    ----------
    image : ndarray
        (Y, X), (Z, Y, X) or any array.
    shape : tuple of int (None to keep an axis)
        Target size of the trailing axes, e.g. (512, 512) for every section of a stack.
    mode : {"reflect", "symmetric", "edge", "constant"}
        As :func:`numpy.pad`: ``"reflect"`` mirrors about the edge pixel (``d c b | a b c d |
        c b a``), repeated as often as needed for a pad wider than the image (an axis of
        length 1 repeats its pixel); ``"constant"`` fills with ``constant``.
    constant : scalar
        Fill value of ``mode="constant"``.
    align : {"center", "start"}
        Where the data sits in the padded array.

    Returns
    -------
    padded : ndarray, dtype of ``image``
    padding : tuple of (int, int)
        ``(before, after)`` per axis, for :func:`crop_padding`.

    Examples
    --------
    >>> import numpy as np
    >>> padded, padding = pad_to(np.array([[1, 2, 3]]), (3, 5))
    >>> padded
    array([[2, 1, 2, 3, 2],
           [2, 1, 2, 3, 2],
           [2, 1, 2, 3, 2]])
    >>> crop_padding(padded, padding)
    array([[1, 2, 3]])
    """
    image = np.asarray(image)
    if mode not in MODES:
        raise ValueError(f"mode: expected one of {list(MODES)}, got {mode!r}")
    padding = padding_for(image.shape, shape, align=align)
    if mode == "constant":
        value = np.asarray(constant)
        if value.ndim or np.asarray(value.astype(image.dtype)) != value:
            raise ValueError(f"constant: {constant!r} does not fit dtype {image.dtype}")
        return np.pad(image, padding, mode="constant", constant_values=value.item()), padding
    return np.pad(image, padding, mode=mode), padding


def crop_padding(padded, padding):
    """The region of ``padded`` that :func:`pad_to` filled from the image (a view)."""
    padded = np.asarray(padded) if not hasattr(padded, "shape") else padded
    padding = tuple((int(b), int(a)) for b, a in padding)
    if len(padding) != len(padded.shape):
        raise ValueError(f"padding: expected {len(padded.shape)} (before, after) pairs, got "
                         f"{len(padding)}")
    if any(b < 0 or a < 0 or b + a > n for (b, a), n in zip(padding, padded.shape)):
        raise ValueError(f"padding: {padding} does not fit an array of shape {padded.shape}")
    return padded[tuple(slice(b, n - a) for (b, a), n in zip(padding, padded.shape))]
