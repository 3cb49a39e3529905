"""Typed, validated fronts of the compiled (C++) and Numba kernels.

Everything here is re-exported at the top level (``nmjcore.distance_transform`` ...).
Stages import ``ops``; ``ops`` imports only ``nmjcore._core``, NumPy and Numba.
"""

from .components import connected_components
from .distance import distance_transform
from .filters import bilateral_filter
from .morphology import closing, dilate, erode, opening
from .regionprops import RegionProperties, region_properties
from .seeds import find_seeds
from .watershed import watershed

__all__ = [
    "connected_components",
    "distance_transform",
    "bilateral_filter",
    "closing",
    "dilate",
    "erode",
    "opening",
]
__all__ += ["RegionProperties", "region_properties", "find_seeds", "watershed"]
