"""Anchors: manually labelled sections whose axon ids the tracing must keep.

An anchor is given for a section either as a 2D label image of global axon ids (the manual
labels, drawn on that section) or as a mapping {segment id: axon id}. A segment takes the
anchor id that covers most of it, when that covers at least half of its pixels.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .sections import Segments, overlaps

#: A segment takes an anchor label only when it covers at least this share of its pixels.
MIN_ANCHOR_COVER = 0.5


def normalise_anchors(anchors, shape) -> dict:
    """``{z: 2D label image or {segment id: axon id}}`` from a dict or a (Z, Y, X) volume.

    In a volume, the sections with any non-zero label are the anchor sections.
    """
    if anchors is None:
        return {}
    Z = shape[0]
    if isinstance(anchors, Mapping):
        out = {}
        for z, value in anchors.items():
            if isinstance(z, bool) or not isinstance(z, (int, np.integer)) or not 0 <= z < Z:
                raise ValueError(f"anchors: expected section indices in [0, {Z}), got {z!r}")
            if isinstance(value, Mapping):
                out[int(z)] = {int(k): int(v) for k, v in value.items()}
                if any(v <= 0 for v in out[int(z)].values()):
                    raise ValueError(f"anchors: axon ids must be positive, section {z}")
                continue
            image = np.asarray(value)
            if image.shape != tuple(shape[1:]) or image.dtype.kind not in "biu":
                raise ValueError(f"anchors: section {z}: expected a {tuple(shape[1:])} integer "
                                 f"label image or a {{segment id: axon id}} mapping, got "
                                 f"{image.dtype} {image.shape}")
            out[int(z)] = image
        return out
    volume = np.asarray(anchors) if not hasattr(anchors, "shape") else anchors
    if tuple(volume.shape) != tuple(shape):
        raise ValueError(f"anchors: expected a dict or a volume of shape {tuple(shape)}, got "
                         f"shape {tuple(volume.shape)}")
    out = {}
    for z in range(Z):
        image = np.asarray(volume[z])
        if image.dtype.kind not in "biu":
            raise TypeError(f"anchors: expected integer labels, got {image.dtype}")
        if image.any():
            out[z] = image
    return out


def segment_anchor_ids(section: np.ndarray, segments: Segments, anchor) -> np.ndarray:
    """The anchor axon id of each segment of ``section`` (0 = none), uint64."""
    out = np.zeros(len(segments), np.uint64)
    if isinstance(anchor, Mapping):
        for seg_id, axon_id in anchor.items():
            pos = np.searchsorted(segments.ids, seg_id)
            if pos >= len(segments) or segments.ids[pos] != seg_id:
                raise ValueError(f"anchors: segment id {seg_id} is not in its section")
            out[pos] = axon_id
        return out
    image = np.ascontiguousarray(anchor)
    if image.dtype.kind == "i" and image.size and image.min() < 0:
        raise ValueError("anchors: expected non-negative axon ids")
    ids_s, ids_a, counts = overlaps(section, image)
    if len(ids_s) == 0:
        return out
    order = np.lexsort((counts, ids_s))
    last = np.r_[ids_s[order][1:] != ids_s[order][:-1], True]
    best = order[last]
    pos = segments.index(ids_s[best])
    cover = counts[best] >= MIN_ANCHOR_COVER * segments.areas[pos]
    out[pos[cover]] = ids_a[best][cover].astype(np.uint64)
    return out
