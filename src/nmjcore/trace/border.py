"""Axons that leave the field of view and come back: links across the field border.

A jump of the sections (or a slow drift) can push an axon out of the imaged field for many
sections. Its chain ends at the last section that shows it and a new chain starts where it
comes back, both near the border once the section shifts are compensated. In tissue
coordinates (centroids minus the accumulated shifts) the axon barely moves, so the two ends
are found by position: an end whose segment is predicted to lie beyond the border in the
next section, or within ``EXIT_INSET`` of the search radius of it (a *border end*), may link
to a start predicted likewise in the previous section (a *border start*) up to ``max_gap``
sections later, when the
positions agree after extrapolating both chains' drift. All candidates are costed at once
and solved with one sparse assignment (links of kind ``"border"``).
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from .. import ops
from .candidates import CostWeights
from .pairs import _margins

#: Sections over which a chain's drift is measured (tissue coordinates, px per section).
DRIFT_SECTIONS = 5
#: A chain end is a border end when its centroid, moved by the shift to the next section,
#: lies within this share of the search radius of the field border, or beyond it.
EXIT_INSET = 0.25
#: Drift beyond this (px per section, per axis) is taken for a clipped or misread centroid.
DRIFT_LIMIT = 2.0


def tissue_offsets(shifts: np.ndarray) -> np.ndarray:
    """(Z, 2) position of every section's origin in the tissue frame of section 0: the
    accumulated (dy, dx) shifts; a centroid ``c`` of section z lies at ``c - offset[z]``."""
    shifts = np.asarray(shifts, np.float64).reshape(-1, 2)
    return np.vstack([np.zeros((1, 2)), np.cumsum(shifts, axis=0)])


def _inset(points: np.ndarray, shape) -> np.ndarray:
    """Signed distance of each (y, x) point to the field border, negative outside."""
    lo = np.minimum(points[:, 0], points[:, 1])
    hi = np.minimum(shape[0] - 1 - points[:, 0], shape[1] - 1 - points[:, 1])
    return np.minimum(lo, hi)


def _drift(position, step, nodes, sections: int):
    """Mean displacement per section of each node's chain over up to ``sections`` steps
    along ``step`` (a node's neighbour on its chain, -1 = none); 0 for lone nodes."""
    cur = nodes.copy()
    taken = np.zeros(len(nodes), np.int64)
    for _ in range(sections):
        nxt = np.where(cur >= 0, step[np.maximum(cur, 0)], -1)
        ok = nxt >= 0
        cur = np.where(ok, nxt, cur)
        taken += ok
    return np.where(taken[:, None] > 0, (position[cur] - position[nodes])
                    / np.maximum(taken, 1)[:, None], 0.0)


def border_links(centroids, areas, z_of, shifts, shape, node_a, node_b, kind, *,
                 radius: float, max_gap: int, cost_limit: float, weights: CostWeights):
    """Links from border ends to border starts (see the module docstring).

    Parameters
    ----------
    centroids : (N, 2) float64, areas : (N,) int64, z_of : (N,) int64
        Every segment of the stack (a node), its section.
    shifts : (Z - 1, 2)
        Estimated shift from each section to the next.
    shape : (Y, X)
    node_a, node_b, kind : the links found so far (``node_a`` in the earlier section).
    radius : float
        Distance scale, px (tissue coordinates, after the drift), for a gap of up to
        ``DRIFT_SECTIONS``; it grows with the square root of longer gaps, as the drift's
        error does.
    max_gap : int
        Longest absence bridged, sections (``z_b - z_a``).

    Returns
    -------
    (rows, cols, cost, margin) : node indices of the ends and starts linked, cost and the
    margin to the best alternative (as for the other links).

    Notes
    -----
    ``cost = (distance * min(d / scale, 1) + area * (1 - small / large)) /
    (distance + area)`` with ``d`` the distance of the two tissue positions once the mean of
    both chains' drifts (motion over their last ``DRIFT_SECTIONS`` sections, clipped to
    ``DRIFT_LIMIT``) is extrapolated over the gap, and ``scale = radius * sqrt(max(gap /
    DRIFT_SECTIONS, 1))``; without pixel overlap to go by, the overlap weight is left out.
    The shifts accumulate their errors (the estimate is good to about a pixel per pair), one
    reason the position is compared to a scale that widens with the gap.
    """
    e = np.zeros(0, np.int64)
    empty = (e, e, np.zeros(0), np.zeros(0))
    n = len(z_of)
    Z = len(shifts) + 1
    if n == 0 or max_gap < 2 or Z < 3:
        return empty
    offset = tissue_offsets(shifts)
    tissue = centroids - offset[z_of]
    forward = np.zeros(n, bool)
    backward = np.zeros(n, bool)
    forward[node_a] = True
    backward[node_b] = True
    nxt = np.full(n, -1, np.int64)
    prv = np.full(n, -1, np.int64)
    adjacent = (kind == "match") & (z_of[node_b] - z_of[node_a] == 1)
    nxt[node_a[adjacent]] = node_b[adjacent]
    prv[node_b[adjacent]] = node_a[adjacent]

    step = np.vstack([shifts, np.zeros((1, 2))])  # shift from section z to z + 1
    ends = np.flatnonzero(~forward & (z_of < Z - 1))
    ends = ends[_inset(centroids[ends] + step[z_of[ends]], shape) < EXIT_INSET * radius]
    back = np.vstack([np.zeros((1, 2)), shifts])  # shift from z - 1 to z
    starts = np.flatnonzero(~backward & (z_of > 0))
    starts = starts[_inset(centroids[starts] - back[z_of[starts]], shape) < EXIT_INSET * radius]
    if len(ends) == 0 or len(starts) == 0:
        return empty

    v_end = np.clip(-_drift(tissue, prv, ends, DRIFT_SECTIONS), -DRIFT_LIMIT, DRIFT_LIMIT)
    v_start = np.clip(_drift(tissue, nxt, starts, DRIFT_SECTIONS), -DRIFT_LIMIT, DRIFT_LIMIT)
    reach = radius * np.sqrt(max(max_gap / DRIFT_SECTIONS, 1.0))
    near = cKDTree(tissue[ends]).query_ball_tree(cKDTree(tissue[starts]),
                                                 reach + DRIFT_LIMIT * max_gap)
    i = np.repeat(np.arange(len(ends)), [len(x) for x in near])
    j = np.array([k for x in near for k in x], np.int64)
    gap = z_of[starts[j]] - z_of[ends[i]]
    ok = (gap >= 2) & (gap <= max_gap)
    i, j, gap = i[ok], j[ok], gap[ok]
    if len(i) == 0:
        return empty
    predicted = tissue[ends[i]] + 0.5 * gap[:, None] * (v_end[i] + v_start[j])
    d = np.hypot(*(tissue[starts[j]] - predicted).T)
    scale = radius * np.sqrt(np.maximum(gap / DRIFT_SECTIONS, 1.0))
    small = np.minimum(areas[ends[i]], areas[starts[j]])
    large = np.maximum(areas[ends[i]], areas[starts[j]])
    w = weights.distance + weights.area
    cost = (weights.distance * np.minimum(d / scale, 1.0)
            + weights.area * (1.0 - small / large)) / (w if w > 0 else 1.0)
    use = cost < cost_limit
    i, j, cost = i[use], j[use], cost[use]
    if len(i) == 0:
        return empty
    order = np.lexsort((j, i))
    i, j, cost = i[order], j[order], cost[order]
    row_to_col, _, _ = ops.lapjv_sparse(len(ends), len(starts), i, j, cost,
                                        cost_limit=cost_limit)
    row_to_col = np.asarray(row_to_col, np.int64)
    rows = np.flatnonzero(row_to_col >= 0)
    cols = row_to_col[rows]
    chosen = np.searchsorted(i * len(starts) + j, rows * len(starts) + cols)
    margin = _margins(i, j, cost, chosen, len(ends), len(starts))
    return ends[rows], starts[cols], cost[chosen], margin
