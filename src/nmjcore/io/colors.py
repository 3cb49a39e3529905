"""Colour label images (RGB, as annotation tools such as VAST export them) <-> integer ids.

A colour table is a plain ``dict`` ``{id: (r, g, b)}``; black is always id 0 (background).
Both directions take a table and return it extended, so a stack converted section by section,
or written and read back, keeps one reproducible mapping.
"""

from __future__ import annotations

import csv
import os

import numpy as np

from .atomic import atomic_path

__all__ = ["label_color", "labels_to_rgb", "rgb_to_labels", "read_color_table",
           "write_color_table"]

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: neighbouring ids get unrelated bits."""
    x = x.astype(np.uint64)
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * _M1
        x = (x ^ (x >> np.uint64(27))) * _M2
        return x ^ (x >> np.uint64(31))


def _hash_colors(ids: np.ndarray, salt: int = 0) -> np.ndarray:
    """(N,) ids -> (N, 3) uint8: hue from the hash, saturation 0.55-1, value 0.65-1 (not black)."""
    with np.errstate(over="ignore"):
        bits = _mix(np.asarray(ids, dtype=np.uint64) + np.uint64(salt) * _GOLDEN)
    h = (bits & np.uint64(0xFFFF)).astype(np.float64) / 65536.0
    s = 0.55 + 0.45 * ((bits >> np.uint64(16)) & np.uint64(0xFF)).astype(np.float64) / 255.0
    v = 0.65 + 0.35 * ((bits >> np.uint64(24)) & np.uint64(0xFF)).astype(np.float64) / 255.0
    i = np.floor(h * 6.0).astype(np.int64) % 6
    f = h * 6.0 - np.floor(h * 6.0)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    r = np.choose(i, [v, q, p, p, t, v])
    g = np.choose(i, [t, v, v, q, p, p])
    b = np.choose(i, [p, p, t, v, v, q])
    return np.rint(np.stack([r, g, b], axis=-1) * 255.0).astype(np.uint8)


def label_color(label_id: int, salt: int = 0) -> tuple[int, int, int]:
    """The deterministic colour of ``label_id`` (black for 0); ``salt`` gives alternatives.

    Examples
    --------
    >>> label_color(0)
    (0, 0, 0)
    >>> label_color(7) == label_color(7) != label_color(8)
    True
    """
    if int(label_id) == 0:
        return (0, 0, 0)
    return tuple(int(c) for c in _hash_colors(np.array([int(label_id)]), salt)[0])


def _pack(rgb: np.ndarray) -> np.ndarray:
    rgb = rgb.astype(np.uint32)
    return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]


def _check_table(colors, name: str = "colors") -> dict[int, tuple[int, int, int]]:
    if colors is None:
        return {0: (0, 0, 0)}
    if not isinstance(colors, dict):
        raise TypeError(f"{name}: expected a dict {{id: (r, g, b)}} or None, "
                        f"got {type(colors).__name__}")
    table: dict[int, tuple[int, int, int]] = {}
    seen: dict[tuple[int, int, int], int] = {}
    for key, value in colors.items():
        try:
            label = int(key)
            rgb = tuple(int(c) for c in value)
        except (TypeError, ValueError):
            raise TypeError(f"{name}: entry {key!r}: {value!r} is not id: (r, g, b)") from None
        if label < 0 or len(rgb) != 3 or not all(0 <= c <= 255 for c in rgb):
            raise ValueError(f"{name}: entry {key!r}: {value!r}: expected id >= 0 and three "
                             "values in 0..255")
        if (label == 0) != (rgb == (0, 0, 0)):
            raise ValueError(f"{name}: black is reserved for id 0 (background); got "
                             f"{label}: {rgb}")
        if rgb in seen and seen[rgb] != label:
            raise ValueError(f"{name}: ids {seen[rgb]} and {label} share the colour {rgb}")
        seen[rgb] = label
        table[label] = rgb
    table[0] = (0, 0, 0)
    return table


def labels_to_rgb(labels, colors=None):
    """Integer labels -> an RGB image, with the colour table used.

    Parameters
    ----------
    labels : ndarray of non-negative integers, any shape (e.g. (Y, X) or (Z, Y, X))
    colors : dict {id: (r, g, b)}, optional
        Colours to keep. Ids not in it get :func:`label_color`; when that colour is already
        taken (or would be black), the next salt is tried, ids handled in increasing order, so
        the result depends only on the table and the ids present.

    Returns
    -------
    rgb : ndarray of uint8, shape ``labels.shape + (3,)``
        Black where ``labels == 0``.
    colors : dict {id: (r, g, b)}
        ``colors`` (a copy) extended by the ids of ``labels``; pass it to the next call.

    Examples
    --------
    >>> import numpy as np
    >>> rgb, table = labels_to_rgb(np.array([[0, 5], [5, 9]], dtype=np.uint32))
    >>> rgb.shape, rgb.dtype, rgb[0, 0].tolist(), sorted(table)
    ((2, 2, 3), dtype('uint8'), [0, 0, 0], [0, 5, 9])
    >>> back, _ = rgb_to_labels(rgb, table)
    >>> back.tolist()
    [[0, 5], [5, 9]]
    """
    labels = np.asarray(labels)
    if labels.dtype.kind not in "biu":
        raise TypeError(f"labels: expected an integer array, got dtype {labels.dtype}")
    table = _check_table(colors)
    ids = np.unique(labels)
    if ids.size and ids[0] < 0:
        raise ValueError(f"labels: expected non-negative ids, found {ids[0]}")
    used = set(table.values())
    new = [label for label in ids.tolist() if label not in table]
    first = _hash_colors(np.array(new, dtype=np.uint64)).tolist() if new else []
    for label, rgb in zip(new, first):
        rgb, salt = tuple(rgb), 0
        while rgb in used:
            salt += 1
            rgb = label_color(label, salt)
        table[label] = rgb
        used.add(rgb)
    palette = np.array([table[label] for label in ids.tolist()], dtype=np.uint8).reshape(-1, 3)
    rgb = palette[np.searchsorted(ids, labels)] if ids.size else np.zeros(
        labels.shape + (3,), np.uint8)
    return rgb, table


def rgb_to_labels(rgb, colors=None, *, dtype=np.uint32):
    """An RGB label image -> integer ids, with the colour table used.

    Parameters
    ----------
    rgb : ndarray of uint8, shape (..., 3) or (..., 4)
        A fourth (alpha) channel is ignored.
    colors : dict {id: (r, g, b)}, optional
        Known colours. Black is always 0. Colours not in the table get new ids after the
        largest id of the table, in increasing order of the packed value ``r<<16 | g<<8 | b``.
    dtype : dtype
        Integer dtype of the returned labels (default uint32).

    Returns
    -------
    labels : ndarray of ``dtype``, shape ``rgb.shape[:-1]``
    colors : dict {id: (r, g, b)}
        ``colors`` (a copy) extended by the new colours.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.zeros((2, 2, 3), np.uint8); image[0, 1] = (255, 0, 0); image[1] = (0, 0, 9)
    >>> labels, table = rgb_to_labels(image)
    >>> labels.tolist(), table
    ([[0, 2], [1, 1]], {0: (0, 0, 0), 1: (0, 0, 9), 2: (255, 0, 0)})
    """
    rgb = np.asarray(rgb)
    if rgb.dtype != np.uint8:
        raise TypeError(f"rgb: expected uint8 colours, got dtype {rgb.dtype}")
    if rgb.ndim < 1 or rgb.shape[-1] not in (3, 4):
        raise ValueError(f"rgb: expected shape (..., 3) or (..., 4), got {rgb.shape}")
    dtype = np.dtype(dtype)
    if dtype.kind not in "iu":
        raise TypeError(f"dtype: expected an integer dtype, got {dtype}")
    table = _check_table(colors)
    by_color = {(r << 16) | (g << 8) | b: label for label, (r, g, b) in table.items()}
    packed = _pack(rgb[..., :3])
    colours, inverse = np.unique(packed, return_inverse=True)
    next_id = max(table) + 1
    ids = np.empty(colours.size, dtype=np.uint64)
    for i, colour in enumerate(colours.tolist()):
        label = by_color.get(colour)
        if label is None:
            label = next_id
            next_id += 1
            table[label] = (colour >> 16, (colour >> 8) & 255, colour & 255)
        ids[i] = label
    if ids.size and int(ids.max()) > np.iinfo(dtype).max:
        raise ValueError(f"dtype: ids up to {int(ids.max())} do not fit {dtype}")
    labels = ids.astype(dtype)[inverse.reshape(packed.shape)]
    return labels, table


def write_color_table(path, colors) -> None:
    """Save a colour table as CSV ``id,r,g,b`` (sorted by id), atomically."""
    table = _check_table(colors)
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "r", "g", "b"])
        for label in sorted(table):
            writer.writerow([label, *table[label]])


def read_color_table(path) -> dict[int, tuple[int, int, int]]:
    """Read a colour table written by :func:`write_color_table` (CSV ``id,r,g,b``)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"path: colour table {os.fspath(path)!r} does not exist")
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None or not {"id", "r", "g", "b"} <= set(reader.fieldnames):
            raise ValueError(f"path: {os.fspath(path)!r}: expected columns id,r,g,b, "
                             f"got {reader.fieldnames}")
        rows = {}
        for line, row in enumerate(reader, start=2):
            try:
                rows[int(row["id"])] = (int(row["r"]), int(row["g"]), int(row["b"]))
            except (TypeError, ValueError):
                raise ValueError(f"path: {os.fspath(path)}:{line}: not integers: "
                                 f"{row}") from None
    return _check_table(rows, name=f"path {os.fspath(path)!r}")
