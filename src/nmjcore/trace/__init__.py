"""Tracing: link the 2D segments of neighbouring sections into 3D axons with global ids.

:func:`link` is the whole job; the pieces are importable for tools and tests: candidate
pairs and costs (:mod:`.candidates`), shift estimation (:mod:`.shift`), one section pair's
links (:mod:`.pairs`), anchors (:mod:`.anchors`), global ids by union-find (:mod:`.ids`),
the proofreading queue (:mod:`.proofreading`) and ROI merging (:mod:`.rois`).
"""

from .candidates import CostWeights
from .ids import union_find
from .link import Trace, link
from .rois import MergedRois, merge_rois
from .shift import estimate_shift

__all__ = ["CostWeights", "MergedRois", "Trace", "estimate_shift", "link", "merge_rois",
           "union_find"]
