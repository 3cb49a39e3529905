"""Links between the segments of two sections: assignment, branches, and gap closing.

One section pair is independent of every other, so :func:`match_pair` runs in a thread pool
(the overlap table and the assignment release the GIL). Positions below index a section's
:class:`~nmjcore.trace.sections.Segments`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import ops
from .candidates import Candidates, CostWeights, candidates, default_radius
from .shift import estimate_shift

MATCH, GAP, SPLIT, MERGE, BORDER = "match", "gap", "split", "merge", "border"


@dataclass(frozen=True, eq=False)
class PairLinks:
    """The links found between section ``z_a`` and section ``z_b``."""

    z_a: int
    z_b: int
    rows: np.ndarray  #: (L,) int64 positions in section z_a
    cols: np.ndarray  #: (L,) int64 positions in section z_b
    cost: np.ndarray  #: (L,) float64
    margin: np.ndarray  #: (L,) float64 next-best candidate cost minus this cost (inf: none)
    kind: np.ndarray  #: (L,) str
    shift: tuple  #: (dy, dx) estimated between the two sections, px


def _margins(rows, cols, cost, chosen, n_rows, n_cols) -> np.ndarray:
    """How much dearer the best alternative of each chosen pair is, over its row and column
    (inf when it has none). ``chosen`` indexes the chosen pairs among ``rows, cols, cost``."""
    other = np.ones(len(rows), bool)
    other[chosen] = False
    best_row = np.full(n_rows, np.inf)
    best_col = np.full(n_cols, np.inf)
    np.minimum.at(best_row, rows[other], cost[other])
    np.minimum.at(best_col, cols[other], cost[other])
    return np.minimum(best_row[rows[chosen]], best_col[cols[chosen]]) - cost[chosen]


def assign(cand: Candidates, n_rows: int, n_cols: int, cost_limit: float, keep_rows=None,
           keep_cols=None):
    """One-to-one links among the candidates, total cost minimal, each below ``cost_limit``.

    ``keep_rows`` / ``keep_cols`` (bool masks) restrict the pairs to those segments.
    Returns (rows, cols, cost, margin).
    """
    use = np.ones(len(cand.rows), bool)
    if keep_rows is not None:
        use &= keep_rows[cand.rows]
    if keep_cols is not None:
        use &= keep_cols[cand.cols]
    use &= cand.cost < cost_limit
    r, c, w = cand.rows[use], cand.cols[use], cand.cost[use]
    if len(r) == 0:
        e = np.zeros(0, np.int64)
        return e, e, np.zeros(0), np.zeros(0)
    row_to_col, _, _ = ops.lapjv_sparse(n_rows, n_cols, r, c, w, cost_limit=cost_limit)
    row_to_col = np.asarray(row_to_col, dtype=np.int64)
    rows = np.flatnonzero(row_to_col >= 0)
    cols = row_to_col[rows]
    # Candidate keys row * n_cols + col are sorted (see candidates), so a search finds each.
    chosen = np.searchsorted(r * n_cols + c, rows * n_cols + cols)
    return rows, cols, w[chosen], _margins(r, c, w, chosen, n_rows, n_cols)


#: A branch link needs the divided segment covered this much by its two parts together.
MIN_PARTITION = 0.7


def _intersection(cand: Candidates, rows, cols, n_cols: int) -> np.ndarray:
    """Overlap of the pairs (rows, cols), 0 where col is -1 or the pair is no candidate."""
    keys = cand.rows * n_cols + cand.cols  # sorted (see candidates)
    want = rows * n_cols + np.maximum(cols, 0)
    pos = np.minimum(np.searchsorted(keys, want), max(len(keys) - 1, 0))
    hit = (cols >= 0) & (len(keys) > 0) & (keys[pos] == want)
    return np.where(hit, cand.intersection[pos], 0)


def branches(cand: Candidates, seg_a, seg_b, match_a, match_b, min_fraction: float):
    """Split/merge links of the segments the assignment left over.

    A segment of ``b`` left unmatched is linked (split) to the segment of ``a`` it overlaps
    most, and one of ``a`` (merge) to the segment of ``b`` it overlaps most, when that
    overlap covers at least ``min_fraction`` of the left-over segment and the divided
    segment is covered to ``MIN_PARTITION`` by the left-over one and its own match together
    (it really divides in two, rather than touching a neighbour's fragment).
    ``match_a`` / ``match_b``: the assignment's partner of each segment, -1 = none.
    Returns (rows, cols, cost, kind).
    """
    out_r, out_c, out_w, out_k = [], [], [], []
    has = cand.intersection > 0
    n_b = len(seg_b)
    for side, kind in ((1, SPLIT), (0, MERGE)):
        own = cand.cols if side else cand.rows
        left = (match_b if side else match_a)[own] < 0
        area = (seg_b.areas if side else seg_a.areas)[own]
        sel = np.flatnonzero(has & left & (cand.intersection >= min_fraction * area))
        if len(sel) == 0:
            continue
        # The most-overlapping partner of each left-over segment: last of each group after
        # sorting by (segment, overlap).
        order = sel[np.lexsort((cand.intersection[sel], own[sel]))]
        grouped = own[order]
        last = np.ones(len(order), bool)
        last[:-1] = grouped[1:] != grouped[:-1]
        best = order[last]
        r, c = cand.rows[best], cand.cols[best]
        if side:  # a divides into c and a's match
            sibling = _intersection(cand, r, match_a[r], n_b)
            divided = seg_a.areas[r]
        else:  # b is made of r and b's match
            partner = match_b[c]
            sibling = np.where(partner >= 0, _intersection(cand, np.maximum(partner, 0), c,
                                                           n_b), 0)
            divided = seg_b.areas[c]
        keep = cand.intersection[best] + sibling >= MIN_PARTITION * divided
        out_r.append(r[keep])
        out_c.append(c[keep])
        out_w.append(cand.cost[best][keep])
        out_k.append(np.full(int(keep.sum()), kind))
    if not out_r:
        e = np.zeros(0, np.int64)
        return e, e, np.zeros(0), np.zeros(0, "U5")
    return (np.concatenate(out_r), np.concatenate(out_c), np.concatenate(out_w),
            np.concatenate(out_k))


def match_pair(a, b, seg_a, seg_b, z_a: int, z_b: int, *, weights: CostWeights,
               cost_limit: float, search_radius, compensate_shift: bool, min_branch_overlap,
               sources=None, targets=None, shift=None) -> PairLinks:
    """Links from section ``a`` (index ``z_a``) to section ``b`` (``z_b``).

    Adjacent sections (``sources``/``targets`` None): assignment, then branches of the
    leftovers when ``min_branch_overlap`` is not None. Gap closing (``sources``, ``targets``:
    bool masks of the segments still without a forward / backward link): assignment among
    those only, links of kind ``"gap"``. ``shift``: the shift from ``a`` to ``b`` when known
    (e.g. from :func:`~nmjcore.trace.shift.shift_between`), else estimated here.
    """
    if not compensate_shift:
        shift = (0.0, 0.0)
    elif shift is None:
        shift = estimate_shift(a, b)
    radius = default_radius(seg_a, seg_b) if search_radius is None else search_radius
    cand = candidates(a, b, seg_a, seg_b, shift, radius=radius, weights=weights)
    rows, cols, cost, margin = assign(cand, len(seg_a), len(seg_b), cost_limit, sources,
                                      targets)
    gap = sources is not None
    kind = np.full(len(rows), GAP if gap else MATCH)
    if not gap and min_branch_overlap is not None:
        match_a = np.full(len(seg_a), -1, np.int64)
        match_b = np.full(len(seg_b), -1, np.int64)
        match_a[rows] = cols
        match_b[cols] = rows
        br, bc, bw, bk = branches(cand, seg_a, seg_b, match_a, match_b, min_branch_overlap)
        rows, cols = np.concatenate([rows, br]), np.concatenate([cols, bc])
        cost, kind = np.concatenate([cost, bw]), np.concatenate([kind, bk])
        margin = np.concatenate([margin, np.zeros(len(br))])
    return PairLinks(z_a, z_b, rows.astype(np.int64), cols.astype(np.int64),
                     cost.astype(np.float64), margin.astype(np.float64), kind.astype("U5"),
                     shift)
