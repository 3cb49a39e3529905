"""nmjcore: automatic tracing of axons through serial-section EM of neuromuscular junctions.

The compiled kernels of :mod:`nmjcore.ops` are re-exported here; the stages live in their
own sub-packages (``nmjcore.synth``, ``nmjcore.preprocess``, ``nmjcore.segment``,
``nmjcore.trace``, ...).
"""

from . import analysis, footprint, io, metrics, ops, preprocess, segment, synth, trace, viz
from .ops import (RegionProperties, bilateral_filter, closing, connected_components,
                  contact_areas, contact_areas_between, dilate, distance_transform, erode,
                  find_seeds, lapjv, lapjv_sparse, opening, overlap_table, region_properties,
                  watershed)

__version__ = "0.1.0"

__all__ = ["__version__", "RegionProperties", "bilateral_filter", "closing",
           "connected_components", "contact_areas", "contact_areas_between", "dilate",
           "distance_transform", "erode", "find_seeds", "lapjv", "lapjv_sparse", "opening",
           "overlap_table", "region_properties", "watershed",
           "analysis", "footprint", "io", "metrics", "ops", "preprocess", "segment", "synth",
           "trace", "viz"]


def __getattr__(name):
    # nn and infer load torch, so they are imported on first use (nmjcore.infer.predict)
    if name in ("nn", "infer"):
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'nmjcore' has no attribute {name!r}")
