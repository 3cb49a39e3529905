"""ROI merging: separately traced windows put into one id space.

Each window (its own axon ids, traced on its own) sits at an offset in the whole stack;
windows may overlap. In every overlap the ids of the two windows are matched one to one
(LAPJV on ``1 - IoU`` within the overlap), and one union-find pass over those matches gives
the global ids, so an axon that runs through several windows keeps one id.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import ops
from .ids import union_find
from .sections import apply_id_map, overlaps

MATCH_DTYPE = np.dtype([("roi_a", np.int64), ("id_a", np.uint64), ("roi_b", np.int64),
                        ("id_b", np.uint64), ("iou", np.float64)])


@dataclass(frozen=True, eq=False)
class MergedRois:
    """The result of :func:`merge_rois`.

    ``ids``: the (Z, Y, X) volume of global ids covering every window (0 outside them; where
    windows overlap the first window's non-zero label is kept), or None with ``paste=False``.
    ``roi_ids`` / ``global_ids``: per window, its sorted local ids and the global id of each.
    ``matches``: one row per matched pair of ids (``roi_a, id_a, roi_b, id_b, iou``).
    """

    ids: np.ndarray | None
    roi_ids: list
    global_ids: list
    matches: np.ndarray


def _check_offsets(offsets, n):
    out = []
    try:
        rows = [tuple(int(v) for v in o) for o in offsets]
    except (TypeError, ValueError):
        raise TypeError(f"offsets: expected one (z, y, x) of ints per window, got {offsets!r}")
    if len(rows) != n or any(len(r) != 3 or min(r) < 0 for r in rows):
        raise ValueError(f"offsets: expected {n} non-negative (z, y, x) offsets, got {offsets!r}")
    out.extend(rows)
    return out


def merge_rois(rois, offsets, *, min_iou=0.5, paste=True) -> MergedRois:
    """Put separately traced windows into one id space by matching ids in their overlaps.

    Parameters
    ----------
    rois : sequence of (Z, Y, X) ndarray of integer labels
        The axon ids of each window (e.g. ``link(...).ids``), 0 = background.
    offsets : sequence of (z, y, x)
        Position of each window's first voxel in the whole stack.
    min_iou : float in [0, 1)
        Two ids are the same axon when their intersection over union, within the windows'
        overlap, exceeds this.
    paste : bool
        Build the volume of global ids; otherwise only the id maps.

    Returns
    -------
    MergedRois
    """
    rois = [np.ascontiguousarray(r) for r in rois]
    for k, r in enumerate(rois):
        if r.ndim != 3 or r.dtype.kind not in "biu":
            raise ValueError(f"rois: expected 3D integer label arrays, window {k} is "
                             f"{r.dtype} {r.shape}")
    offsets = _check_offsets(offsets, len(rois))
    if not 0.0 <= float(min_iou) < 1.0:
        raise ValueError(f"min_iou: expected a number in [0, 1), got {min_iou}")
    roi_ids = []
    for r in rois:
        ids = np.unique(r)
        roi_ids.append(ids[ids != 0])
    node0 = np.r_[0, np.cumsum([len(i) for i in roi_ids])].astype(np.int64)

    node_a, node_b, costs, rows = [], [], [], []
    for i in range(len(rois)):
        for j in range(i + 1, len(rois)):
            lo = np.maximum(offsets[i], offsets[j])
            hi = np.minimum(np.add(offsets[i], rois[i].shape), np.add(offsets[j], rois[j].shape))
            if np.any(hi <= lo):
                continue
            box_i = tuple(slice(a - o, b - o) for a, b, o in zip(lo, hi, offsets[i]))
            box_j = tuple(slice(a - o, b - o) for a, b, o in zip(lo, hi, offsets[j]))
            a, b = np.ascontiguousarray(rois[i][box_i]), np.ascontiguousarray(rois[j][box_j])
            ids_a, ids_b, inter = overlaps(a, b)
            if len(ids_a) == 0:
                continue
            ua, na = np.unique(a[a != 0], return_counts=True)
            ub, nb = np.unique(b[b != 0], return_counts=True)
            pa, pb = np.searchsorted(ua, ids_a), np.searchsorted(ub, ids_b)
            iou = inter / (na[pa] + nb[pb] - inter)
            row_to_col, _, _ = ops.lapjv_sparse(len(ua), len(ub), pa, pb, 1.0 - iou,
                                                cost_limit=1.0 - float(min_iou))
            row_to_col = np.asarray(row_to_col, np.int64)
            r = np.flatnonzero(row_to_col >= 0)
            c = row_to_col[r]
            keys = pa.astype(np.int64) * len(ub) + pb
            order = np.argsort(keys)
            pick = order[np.searchsorted(keys[order], r * len(ub) + c)]
            node_a.append(node0[i] + np.searchsorted(roi_ids[i], ua[r]))
            node_b.append(node0[j] + np.searchsorted(roi_ids[j], ub[c]))
            costs.append(1.0 - iou[pick])
            m = np.zeros(len(r), MATCH_DTYPE)
            m["roi_a"], m["id_a"], m["roi_b"], m["id_b"] = i, ua[r], j, ub[c]
            m["iou"] = iou[pick]
            rows.append(m)
    cat = (lambda xs, dt: np.concatenate(xs) if xs else np.zeros(0, dt))
    ids, _ = union_find(int(node0[-1]), cat(node_a, np.int64), cat(node_b, np.int64),
                        cat(costs, np.float64))
    dtype = np.uint32 if len(ids) == 0 or ids.max() <= np.iinfo(np.uint32).max else np.uint64
    ids = ids.astype(dtype)
    global_ids = [ids[node0[k]:node0[k + 1]] for k in range(len(rois))]

    volume = None
    if paste:
        shape = np.max([np.add(o, r.shape) for o, r in zip(offsets, rois)], axis=0) \
            if rois else np.zeros(3, np.int64)
        volume = np.zeros(tuple(int(s) for s in shape), dtype)
        for k in reversed(range(len(rois))):  # the first window is pasted last, so it wins
            box = tuple(slice(o, o + s) for o, s in zip(offsets[k], rois[k].shape))
            mapped = apply_id_map(rois[k], roi_ids[k], global_ids[k])
            target = volume[box]
            np.copyto(target, mapped, where=mapped != 0)
    return MergedRois(volume, roi_ids, global_ids, cat(rows, MATCH_DTYPE))
