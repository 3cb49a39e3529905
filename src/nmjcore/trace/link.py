"""``link``: the 2D segments of every section become 3D axons with one id each."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from ..ops._validate import resolve_threads
from .anchors import normalise_anchors, segment_anchor_ids
from .border import border_links
from .candidates import CostWeights, median_diameter
from .ids import union_find
from .pairs import BORDER, PairLinks, match_pair
from .proofreading import build_queue, end_uncertainty, link_uncertainty
from .sections import SectionSource, Segments, apply_id_map
from .shift import section_spectrum, shift_between

LINK_DTYPE = np.dtype([("z_a", np.int64), ("id_a", np.uint64), ("z_b", np.int64),
                       ("id_b", np.uint64), ("cost", np.float64), ("kind", "U6")])
#: Adjacent section pairs per task (they share the shift estimate's per-section spectra).
CHAIN = 16
CONFLICT_DTYPE = np.dtype([("anchor_a", np.uint64), ("anchor_b", np.uint64)] +
                          [(name, LINK_DTYPE[name]) for name in LINK_DTYPE.names])


@dataclass(frozen=True, eq=False)
class Trace:
    """The result of :func:`link`.

    Attributes
    ----------
    ids : (Z, Y, X) ndarray of uint32 (uint64 past 2**32 - 1 axons), or None
        Axon id of every pixel, 0 = background; None when ``link(..., relabel=False)``
        (use :meth:`relabel` section by section).
    links : structured ndarray
        One row per link: ``z_a, id_a, z_b, id_b`` (section index and segment id of both
        ends, ``z_a < z_b``), ``cost``, ``kind`` ('match', 'gap', 'split', 'merge' or
        'border': an axon that left the field of view and came back, see
        :mod:`nmjcore.trace.border`).
    queue : structured ndarray
        Proofreading queue, most uncertain first: ``kind`` (a link's kind, or 'start'/'end'
        for an axon that starts after the first / stops before the last section), ``z_a,
        id_a, z_b, id_b`` (``z_b = -1`` for ends), ``uncertainty`` in [0, 1].
    conflicts : structured ndarray
        Links refused because they would join two different anchor ids: ``anchor_a,
        anchor_b`` and the link's fields.
    segment_ids, axon_ids : list of ndarray
        Per section, the sorted segment ids and the axon id given to each: the id maps.
    shifts : (Z - 1, 2) ndarray of float64
        Estimated (dy, dx) from each section to the next, px.
    """

    ids: np.ndarray | None
    links: np.ndarray
    queue: np.ndarray
    conflicts: np.ndarray
    segment_ids: list
    axon_ids: list
    shifts: np.ndarray

    def relabel(self, z: int, section) -> np.ndarray:
        """Axon ids of the segments of section ``z`` (its 2D label image ``section``)."""
        section = np.asarray(section)
        return apply_id_map(section, self.segment_ids[z], self.axon_ids[z])


def _check_number(value, name, low, *, allow_inf=False, low_open=True):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected a number, got {type(value).__name__}")
    value = float(value)
    if math.isnan(value) or (math.isinf(value) and not allow_inf) or (
            value <= low if low_open else value < low):
        raise ValueError(f"{name}: expected a {'finite ' if not allow_inf else ''}number "
                         f"{'>' if low_open else '>='} {low}, got {value}")
    return value


def link(sections, *, anchors=None, max_gap=2, cost_limit=0.8, weights=None,
         search_radius=None, compensate_shift=True, min_branch_overlap=0.5,
         max_border_gap=50, relabel=None, threads=None, progress=False) -> Trace:
    """Link the 2D segments of consecutive sections into 3D axons.

    Parameters
    ----------
    sections : (Z, Y, X) ndarray, volume or sequence of (Y, X) ndarrays of integer labels
        Per-section 2D segments, 0 = background; ids are unique within a section and mean
        nothing across sections. A lazily read volume (``nmjcore.io.open_volume``) is read
        section by section.
    anchors : dict, (Z, Y, X) array or None
        Manually labelled sections whose axon ids are kept: ``{z: (Y, X) label image of axon
        ids}`` or ``{z: {segment id: axon id}}``, or a volume whose non-empty sections are
        the anchors. Ids propagate along the links; two anchor ids that would meet are
        reported in ``conflicts`` and kept apart. Chains without an anchor get new ids above
        the largest anchor id.
    max_gap : int >= 1
        A segment left without a successor at z may link to z + 2 ... z + ``max_gap`` (bad or
        missing sections); 1 disables gap closing.
    cost_limit : float > 0
        Pairs costing this or more are never linked (an axon starts or ends instead).
    weights : CostWeights or None
        Weights of the cost terms (overlap, centroid distance, area ratio); see
        :class:`CostWeights`.
    search_radius : float or None
        Centroids closer than this (px, after shift compensation) are candidates even
        without overlap; also the distance scale of the cost. Default: per section pair,
        the median equivalent diameter of its segments.
    compensate_shift : bool
        Estimate the global shift of each section pair by phase correlation and compensate
        it (sections that jump as a whole).
    min_branch_overlap : float in (0, 1] or None
        Second pass at branches: a segment left over by the assignment is linked ('split' or
        'merge') to the segment of the neighbouring section it overlaps most, when that
        overlap covers this share of it. None disables branching.
    max_border_gap : int or None
        An axon whose chain ends where the next section (shift compensated) no longer shows
        it, beyond the field border, may link ('border') to a chain that starts at the border
        up to this many sections later, by position in tissue coordinates (accumulated
        shifts) and drift (:func:`nmjcore.trace.border.border_links`). None, or no more than
        ``max_gap``, disables it.
    relabel : bool or None
        Build the (Z, Y, X) axon-id volume ``ids``; default True for NumPy input, False for
        lazily read volumes (use :meth:`Trace.relabel` then).
    threads : int or None
        Section pairs processed in parallel; default all cores.
    progress : bool
        Show progress bars.

    Returns
    -------
    Trace

    Notes
    -----
    Each adjacent pair: candidates from overlap and centroid distance after shift
    compensation, costs (:class:`CostWeights`), a sparse LAPJV assignment with the cost
    limit, then the branch pass. Gap closing runs for ``d = 2 .. max_gap`` in turn, pairing
    only segments still without a forward (at z) or backward (at z + d) link. Then the ends
    and starts left at the field border are paired over up to ``max_border_gap`` sections,
    in one sparse assignment over the whole stack. Global ids come
    from one union-find pass over all links, cheapest first (:func:`union_find`).

    Examples
    --------
    >>> import numpy as np
    >>> from nmjcore.trace import link
    >>> stack = np.zeros((3, 8, 8), np.uint32)
    >>> stack[0, 1:4, 1:4] = 5; stack[1, 1:4, 2:5] = 2; stack[2, 2:5, 2:5] = 9
    >>> t = link(stack)
    >>> sorted(set(t.ids[t.ids > 0].tolist()))
    [1]
    """
    if isinstance(max_gap, bool) or not isinstance(max_gap, (int, np.integer)) or max_gap < 1:
        raise ValueError(f"max_gap: expected an int >= 1, got {max_gap!r}")
    if max_border_gap is not None and (isinstance(max_border_gap, bool) or not isinstance(
            max_border_gap, (int, np.integer)) or max_border_gap < 1):
        raise ValueError(f"max_border_gap: expected an int >= 1 or None, got {max_border_gap!r}")
    threads = resolve_threads(threads)
    # enough cached sections for the pairs in flight (each reaches max_gap sections ahead)
    source = SectionSource(sections, cache=2 * threads + max_gap + 2)
    Z = len(source)
    cost_limit = _check_number(cost_limit, "cost_limit", 0.0)
    if search_radius is not None:
        search_radius = _check_number(search_radius, "search_radius", 0.0)
    if min_branch_overlap is not None:
        min_branch_overlap = _check_number(min_branch_overlap, "min_branch_overlap", 0.0)
        if min_branch_overlap > 1:
            raise ValueError(f"min_branch_overlap: expected a number in (0, 1] or None, got "
                             f"{min_branch_overlap}")
    weights = CostWeights() if weights is None else weights
    if not isinstance(weights, CostWeights):
        raise TypeError(f"weights: expected a CostWeights or None, got {type(weights).__name__}")
    anchor_sections = normalise_anchors(anchors, source.shape)
    if relabel is None:
        relabel = isinstance(sections, np.ndarray)
    options = dict(weights=weights, cost_limit=cost_limit, search_radius=search_radius,
                   compensate_shift=bool(compensate_shift),
                   min_branch_overlap=min_branch_overlap)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        def run(fn, items, what):
            return list(tqdm(pool.map(fn, items), total=len(items), desc=what,
                             disable=not progress, leave=False))

        segments = run(lambda z: Segments.of(source.read(z)), range(Z), "segments")
        offsets = np.r_[0, np.cumsum([len(s) for s in segments])].astype(np.int64)
        anchor = np.zeros(offsets[-1], np.uint64)
        for z, value in anchor_sections.items():
            anchor[offsets[z]:offsets[z + 1]] = segment_anchor_ids(source.read(z), segments[z],
                                                                   value)

        def pair(job):
            z_a, z_b, sources, targets = job
            return match_pair(source.read(z_a), source.read(z_b), segments[z_a], segments[z_b],
                              z_a, z_b, sources=sources, targets=targets, **options)

        def chain(zs):
            # consecutive pairs in one task: each section's spectrum is made once, not twice
            out, prev = [], None
            for z in zs:
                shift = None
                if compensate_shift:
                    if prev is None:
                        prev = section_spectrum(source.read(z))
                    nxt = section_spectrum(source.read(z + 1))
                    shift, prev = shift_between(prev, nxt), nxt
                out.append(match_pair(source.read(z), source.read(z + 1), segments[z],
                                      segments[z + 1], z, z + 1, shift=shift, **options))
            return out

        chains = [range(z, min(z + CHAIN, Z - 1)) for z in range(0, Z - 1, CHAIN)]
        found: list[PairLinks] = [p for c in run(chain, chains, "pairs") for p in c]
        forward = np.zeros(offsets[-1], bool)
        backward = np.zeros(offsets[-1], bool)

        def mark(pairs):
            for p in pairs:
                forward[offsets[p.z_a] + p.rows] = True
                backward[offsets[p.z_b] + p.cols] = True

        mark(found)
        for d in range(2, min(max_gap, Z - 1) + 1):
            jobs = []
            for z in range(Z - d):
                src = ~forward[offsets[z]:offsets[z + 1]]
                dst = ~backward[offsets[z + d]:offsets[z + d + 1]]
                if src.any() and dst.any():
                    jobs.append((z, z + d, src, dst))
            gaps = run(pair, jobs, f"gaps of {d}")
            mark(gaps)
            found.extend(gaps)

    shifts = np.array([p.shift for p in found[:Z - 1]], np.float64).reshape(-1, 2)
    node_a = np.concatenate([offsets[p.z_a] + p.rows for p in found] or [np.zeros(0, np.int64)])
    node_b = np.concatenate([offsets[p.z_b] + p.cols for p in found] or [np.zeros(0, np.int64)])
    cost = np.concatenate([p.cost for p in found] or [np.zeros(0)])
    margin = np.concatenate([p.margin for p in found] or [np.zeros(0)])
    kind = np.concatenate([p.kind for p in found] or [np.zeros(0, "U5")])
    z_of = np.repeat(np.arange(Z), np.diff(offsets))
    areas = np.concatenate([s.areas for s in segments] or [np.zeros(0, np.int64)])
    if max_border_gap is not None and max_border_gap > max_gap:
        centroids = np.concatenate([s.centroids for s in segments] or [np.zeros((0, 2))])
        radius = median_diameter(areas) if search_radius is None else search_radius
        br, bc, bw, bm = border_links(centroids, areas, z_of, shifts, source.shape[1:],
                                      node_a, node_b, kind, radius=radius,
                                      max_gap=int(max_border_gap), cost_limit=cost_limit,
                                      weights=weights)
        node_a, node_b = np.r_[node_a, br], np.r_[node_b, bc]
        cost, margin = np.r_[cost, bw], np.r_[margin, bm]
        kind = np.r_[kind.astype("U6"), np.full(len(br), BORDER)]
    all_ids = np.concatenate([s.ids.astype(np.uint64) for s in segments])

    ids, accepted = union_find(int(offsets[-1]), node_a, node_b, cost, anchor)
    out_dtype = np.uint32 if (len(ids) == 0 or ids.max() <= np.iinfo(np.uint32).max) \
        else np.uint64
    ids = ids.astype(out_dtype)

    links = np.zeros(len(node_a), LINK_DTYPE)
    links["z_a"], links["id_a"] = z_of[node_a], all_ids[node_a]
    links["z_b"], links["id_b"] = z_of[node_b], all_ids[node_b]
    links["cost"], links["kind"] = cost, kind
    order = np.lexsort((links["id_a"], links["z_b"], links["z_a"]))
    links, margin, accepted = links[order], margin[order], accepted[order]
    node_a, node_b = node_a[order], node_b[order]

    conflicts = np.zeros(int((~accepted).sum()), CONFLICT_DTYPE)
    conflicts["anchor_a"] = ids[node_a[~accepted]]
    conflicts["anchor_b"] = ids[node_b[~accepted]]
    for name in LINK_DTYPE.names:
        conflicts[name] = links[name][~accepted]
    links = links[accepted]

    kept_a, kept_b = node_a[accepted], node_b[accepted]
    forward = np.zeros(len(ids), bool)
    backward = np.zeros(len(ids), bool)
    forward[kept_a] = True
    backward[kept_b] = True
    median_area = float(np.median(areas)) if len(areas) else 1.0
    starts = np.flatnonzero(~backward & (z_of > 0))
    ends = np.flatnonzero(~forward & (z_of < Z - 1))
    end_nodes = np.r_[starts, ends]
    queue = build_queue(
        links, link_uncertainty(links["cost"], margin[accepted], links["kind"], cost_limit),
        (np.r_[np.full(len(starts), "start"), np.full(len(ends), "end")], z_of[end_nodes],
         all_ids[end_nodes], end_uncertainty(areas[end_nodes], median_area)))

    segment_ids = [s.ids for s in segments]
    axon_ids = [ids[offsets[z]:offsets[z + 1]] for z in range(Z)]
    volume = None
    if relabel:
        volume = np.empty(source.shape, out_dtype)
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(lambda z: apply_id_map(source.read(z), segment_ids[z], axon_ids[z],
                                                 out=volume[z]), range(Z)))
    return Trace(volume, links, queue, conflicts, segment_ids, axon_ids, shifts)
