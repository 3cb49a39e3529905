"""nmjcore: automatic tracing of axons through serial-section EM of neuromuscular junctions.

The compiled kernels of :mod:`nmjcore.ops` are re-exported here; the stages live in their
own sub-packages (``nmjcore.synth``, ...).
"""

from . import footprint, io, ops, synth
from . import segment
from .ops import connected_components, distance_transform
from .ops import bilateral_filter, closing, dilate, erode, opening
from .ops import RegionProperties, region_properties
from .ops import find_seeds, watershed

__version__ = "0.1.0"

__all__ = ["__version__", "connected_components", "distance_transform", "io", "ops", "synth",
           "bilateral_filter", "closing", "dilate", "erode", "footprint", "opening"]
__all__ += ["RegionProperties", "region_properties"]
__all__ += ["find_seeds", "watershed", "segment"]
