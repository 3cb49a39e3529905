"""Typed, validated fronts of the compiled (C++) and Numba kernels.

Everything here is re-exported at the top level (``nmjcore.distance_transform`` ...).
Stages import ``ops``; ``ops`` imports only ``nmjcore._core``, NumPy and Numba.
"""

from .assignment import lapjv, lapjv_sparse
from .components import connected_components
from .contact import contact_areas, contact_areas_between
from .distance import distance_transform
from .filters import bilateral_filter
from .morphology import closing, dilate, erode, opening
from .overlap import overlap_table
from .regionprops import RegionProperties, region_properties
from .seeds import find_seeds
from .watershed import watershed

__all__ = ["RegionProperties", "bilateral_filter", "closing", "connected_components",
           "contact_areas", "contact_areas_between", "dilate", "distance_transform", "erode",
           "find_seeds", "lapjv", "lapjv_sparse", "opening", "overlap_table",
           "region_properties", "watershed"]
