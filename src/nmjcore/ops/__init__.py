"""Typed, validated fronts of the compiled (C++) and Numba kernels.

Everything here is re-exported at the top level (``nmjcore.distance_transform`` ...).
Stages import ``ops``; ``ops`` imports only ``nmjcore._core``, NumPy and Numba.
"""

from .assignment import lapjv, lapjv_sparse
from .components import connected_components
from .distance import distance_transform
from .overlap import overlap_table
from .regionprops import RegionProperties, region_properties

__all__ = ["RegionProperties", "connected_components", "distance_transform", "lapjv",
           "lapjv_sparse", "overlap_table", "region_properties"]
