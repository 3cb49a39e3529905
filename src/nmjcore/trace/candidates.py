"""Candidate pairs between the segments of two sections, and what each pair costs.

A pair is a candidate when the two segments overlap once the global shift between the
sections is compensated, or when their centroids lie within a search radius of each other.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from .. import ops
from .sections import Segments
from .shift import overlapping_windows


@dataclass(frozen=True)
class CostWeights:
    """Weights of the three terms of a link's cost; each term lies in [0, 1].

    ``cost = overlap * (1 - IoU) + distance * min(d / radius, 1) + area * (1 - small / large)``

    where IoU is the intersection over union of the two segments after shift compensation
    (areas counted within the part of the field both sections show),
    ``d`` the distance of their (shift-compensated) centroids, ``radius`` the search radius
    and ``small / large`` the ratio of their areas. With the default weights (0.5, 0.3, 0.2)
    a cost lies in [0, 1]: a segment matching itself costs 0; two segments that do not
    overlap cost at least 0.5, and with their centroids a radius apart at least 0.8, the
    default cost limit, so they are never matched.
    """

    overlap: float = 0.5
    distance: float = 0.3
    area: float = 0.2

    def __post_init__(self):
        for name in ("overlap", "distance", "area"):
            v = getattr(self, name)
            if not np.isfinite(v) or v < 0:
                raise ValueError(f"weights.{name}: expected a finite number >= 0, got {v}")


@dataclass(frozen=True, eq=False)
class Candidates:
    """Candidate pairs (positions into the two sections' :class:`Segments`) and their terms."""

    rows: np.ndarray  #: (K,) int64 segment positions in section a
    cols: np.ndarray  #: (K,) int64 segment positions in section b
    intersection: np.ndarray  #: (K,) int64 overlapping pixels after the shift
    distance: np.ndarray  #: (K,) float64 centroid distance after the shift, px
    cost: np.ndarray  #: (K,) float64


def median_diameter(areas) -> float:
    """The median equivalent diameter ``2 sqrt(area / pi)`` of segments of these areas (1 for
    none)."""
    if len(areas) == 0:
        return 1.0
    return float(2.0 * np.sqrt(np.median(areas) / np.pi))


def default_radius(seg_a: Segments, seg_b: Segments) -> float:
    """The median equivalent diameter of the segments of both sections."""
    return median_diameter(np.concatenate([seg_a.areas, seg_b.areas]))


def _window_areas(seg: Segments, ids, counts) -> np.ndarray:
    """Pixels of each segment inside the common window; the whole area where none is."""
    inside = ids != 0
    seen = np.zeros(len(seg), np.int64)
    np.add.at(seen, seg.index(ids[inside]), counts[inside])
    return np.where(seen > 0, seen, seg.areas)


def candidates(a: np.ndarray, b: np.ndarray, seg_a: Segments, seg_b: Segments, shift, *,
               radius: float, weights: CostWeights) -> Candidates:
    """Overlapping pairs plus centroid pairs within ``radius`` of sections ``a`` and ``b``.

    ``shift`` (dy, dx) moves ``a`` onto ``b`` (see :func:`estimate_shift`); ``seg_a`` and
    ``seg_b`` are the segments of ``a`` and ``b``.
    """
    empty_i = np.zeros(0, np.int64)
    if len(seg_a) == 0 or len(seg_b) == 0:
        return Candidates(empty_i, empty_i, empty_i, np.zeros(0), np.zeros(0))
    box_a, box_b = overlapping_windows(a.shape, shift)
    ids_a, ids_b, counts = ops.overlap_table(np.ascontiguousarray(a[box_a]),
                                             np.ascontiguousarray(b[box_b]), threads=1)
    # Areas within the tissue both sections show: a segment pushed partly out of the field
    # by a jump is compared by the part that stayed.
    seen_a = _window_areas(seg_a, ids_a, counts)
    seen_b = _window_areas(seg_b, ids_b, counts)
    both = (ids_a != 0) & (ids_b != 0)
    ids_a, ids_b, counts = ids_a[both], ids_b[both], counts[both]
    keys_overlap = (seg_a.index(np.asarray(ids_a)).astype(np.int64) * len(seg_b)
                    + seg_b.index(np.asarray(ids_b)).astype(np.int64))
    moved = seg_a.centroids + np.asarray(shift, dtype=np.float64)[None, :]
    near = cKDTree(moved).sparse_distance_matrix(cKDTree(seg_b.centroids), radius,
                                                 output_type="ndarray")
    keys_near = near["i"].astype(np.int64) * len(seg_b) + near["j"].astype(np.int64)
    keys = np.union1d(keys_overlap, keys_near)
    rows, cols = keys // len(seg_b), keys % len(seg_b)

    inter = np.zeros(len(keys), np.int64)
    inter[np.searchsorted(keys, keys_overlap)] = np.asarray(counts, dtype=np.int64)
    dist = np.hypot(*(moved[rows] - seg_b.centroids[cols]).T)
    area_a, area_b = seen_a[rows], seen_b[cols]
    iou = inter / (area_a + area_b - inter)
    ratio = np.minimum(area_a, area_b) / np.maximum(area_a, area_b)
    cost = (weights.overlap * (1.0 - iou) + weights.distance * np.minimum(dist / radius, 1.0)
            + weights.area * (1.0 - ratio))
    return Candidates(rows, cols, inter, dist, cost)
