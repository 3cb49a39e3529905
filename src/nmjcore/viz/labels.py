"""Label images in distinct, stable colours over EM."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..io import atomic_path, labels_to_rgb
from ._figure import check_size, new_figure, save, style

#: Muscle fibres are drawn dimmer than axons, so the axons stay in front.
FIBRE_ALPHA = 0.3


def overlay(image, labels, *, alpha=0.5, colors=None):
    """Labels coloured (stable colours per id, see :func:`nmjcore.io.labels_to_rgb`) over EM.

    Parameters
    ----------
    image : (Y, X) ndarray of uint8, or (Y, X, 3) uint8 RGB
        The EM section (shown in grey), or an image already coloured (e.g. an overlay of the
        muscle fibres, to put the axons on top).
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
    if image.shape[:2] != labels.shape or labels.ndim != 2 or image.ndim not in (2, 3) or (
            image.ndim == 3 and image.shape[2] != 3):
        raise ValueError(f"labels: expected the 2D shape of image {image.shape}, got "
                         f"{labels.shape}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha: expected a value in [0, 1], got {alpha}")
    base = image.astype(np.float32)
    if base.ndim == 2:
        base = np.repeat(base[..., None], 3, axis=-1)
    rgb, _ = labels_to_rgb(labels, colors)
    inside = (labels != 0)[..., None]
    blended = np.where(inside, (1 - alpha) * base + alpha * rgb, base)
    return np.clip(blended + 0.5, 0, 255).astype(np.uint8)


def present_ids(volume) -> np.ndarray:
    """The sorted distinct non-zero ids of a label volume. Marks ids in a table, a slab at a
    time, when they are small (much faster than a sort for 10^8 voxels), else ``np.unique``."""
    volume = np.asarray(volume)
    if volume.size == 0:
        return np.zeros(0, volume.dtype)
    top = int(volume.max())
    if volume.dtype.kind == "i" and int(volume.min()) < 0 or top > 2**24:
        ids = np.unique(volume)
        return ids[ids != 0]
    seen = np.zeros(top + 1, bool)
    flat = volume.reshape(volume.shape[0], -1) if volume.ndim > 1 else volume[None]
    rows = max(1, (1 << 22) // max(1, flat.shape[1]))
    for start in range(0, flat.shape[0], rows):
        seen[flat[start:start + rows]] = True
    seen[0] = False
    return np.flatnonzero(seen).astype(volume.dtype)


def color_tables(axons=None, fibres=None):
    """One colour table per label volume covering all its ids, so every frame and picture
    shows an id in the same colour. Fibres get alternative (salted) colours."""
    from ..io import label_color

    tables = []
    for volume, salt in ((axons, 0), (fibres, 7)):
        if volume is None:
            tables.append(None)
            continue
        ids = present_ids(volume)
        table = {0: (0, 0, 0)}
        used = {(0, 0, 0)}
        for i in ids[ids != 0].tolist():
            k = salt
            while (c := label_color(i, k)) in used:
                k += 1
            table[i] = c
            used.add(c)
        tables.append(table)
    return tuple(tables)


def section_rgb(raw, axons, fibres=None, *, alpha=0.55, colors=None, fibre_colors=None):
    """One section as RGB: EM in grey (black without ``raw``), fibres dimmed, axons on top."""
    axons = np.asarray(axons)
    base = np.zeros(axons.shape, np.uint8) if raw is None else np.asarray(raw)
    if fibres is not None:
        base = overlay(base, fibres, alpha=FIBRE_ALPHA, colors=fibre_colors)
    return overlay(base, axons, alpha=alpha, colors=colors)


def save_overlay(path, raw, axons, fibres=None, *, alpha=0.55, colors=None) -> Path:
    """Write one section's overlay as a PNG at the section's own pixel size."""
    from PIL import Image

    rgb = section_rgb(raw, axons, fibres, alpha=alpha, colors=colors)
    path = Path(path)
    with atomic_path(path) as tmp:
        Image.fromarray(rgb).save(tmp, format="PNG")
    return path


def label_figure(path, raw, axons, fibres=None, *, sampling=None, title=None, alpha=0.55,
                 colors=None, figsize=(8.0, 8.0), dpi=150) -> Path:
    """A figure of one section: the overlay, a title, and a 1 µm scale bar when ``sampling``
    (y, x) nm is given."""
    figsize, dpi = check_size(figsize, dpi)
    rgb = section_rgb(raw, axons, fibres, alpha=alpha, colors=colors)
    fig = new_figure(figsize, dpi)
    with style():
        ax = fig.add_axes([0.02, 0.02, 0.96, 0.9])
        ax.imshow(rgb, interpolation="nearest")
        ax.set_axis_off()
        if title:
            ax.set_title(title)
        if sampling is not None:
            _scale_bar(ax, rgb.shape, float(sampling[-1]))
    return save(fig, path)


def _scale_bar(ax, shape, pixel_nm):
    """A white bar of a round length near a fifth of the image width, bottom left."""
    width_um = shape[1] * pixel_nm / 1e3
    length = max(v for v in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100) if v <= max(width_um / 5,
                                                                               0.1))
    px = length * 1e3 / pixel_nm
    y = shape[0] * 0.95
    x0 = shape[1] * 0.04
    ax.plot([x0, x0 + px], [y, y], color="white", lw=4, solid_capstyle="butt")
    ax.text(x0 + px / 2, y - shape[0] * 0.02, f"{length:g} µm", color="white", ha="center",
            va="bottom", fontsize=12, fontweight="bold")
