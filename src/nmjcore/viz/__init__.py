"""Pictures: label images in distinct, stable colours over EM."""

from __future__ import annotations

import numpy as np

from ..io import labels_to_rgb


def overlay(image, labels, *, alpha=0.5, colors=None):
    """Labels coloured (stable colours per id, see :func:`nmjcore.io.labels_to_rgb`) over EM.

    Parameters
    ----------
    image : (Y, X) ndarray of uint8
        The EM section, shown in grey.
    labels : (Y, X) ndarray of integers
        0 stays transparent.
    alpha : float
        Opacity of the colours, in [0, 1].
    colors : dict {id: (r, g, b)}, optional
        A colour table to keep ids stable across pictures.

    Returns
    -------
    rgb : (Y, X, 3) ndarray of uint8
    """
    image = np.asarray(image)
    labels = np.asarray(labels)
    if image.shape != labels.shape or image.ndim != 2:
        raise ValueError(f"labels: expected the 2D shape of image {image.shape}, got {labels.shape}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha: expected a value in [0, 1], got {alpha}")
    grey = np.repeat(image.astype(np.float32)[..., None], 3, axis=-1)
    rgb, _ = labels_to_rgb(labels, colors)
    inside = (labels != 0)[..., None]
    blended = np.where(inside, (1 - alpha) * grey + alpha * rgb, grey)
    return np.clip(blended + 0.5, 0, 255).astype(np.uint8)


__all__ = ["overlay"]
