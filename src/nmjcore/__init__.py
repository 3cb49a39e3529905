"""nmjcore: automatic tracing of axons through serial-section EM of neuromuscular junctions.

The compiled kernels of :mod:`nmjcore.ops` are re-exported here; the stages live in their
own sub-packages (``nmjcore.synth``, ``nmjcore.preprocess``, ...).
"""

from . import analysis, io, metrics, ops, preprocess, synth, viz
from .ops import (connected_components, contact_areas, contact_areas_between,
                  distance_transform, lapjv, lapjv_sparse, overlap_table)

__version__ = "0.1.0"

__all__ = ["__version__", "connected_components", "contact_areas", "contact_areas_between",
           "distance_transform", "lapjv", "lapjv_sparse", "overlap_table",
           "analysis", "io", "metrics", "ops", "preprocess", "synth", "viz"]
