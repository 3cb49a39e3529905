"""Typed, validated fronts of the compiled (C++) and Numba kernels.

Everything here is re-exported at the top level (``nmjcore.distance_transform`` ...).
Stages import ``ops``; ``ops`` imports only ``nmjcore._core``, NumPy and Numba.
"""

from .assignment import lapjv, lapjv_sparse
from .components import connected_components
from .contact import contact_areas, contact_areas_between
from .distance import distance_transform
from .overlap import overlap_table

__all__ = ["connected_components", "contact_areas", "contact_areas_between",
           "distance_transform", "lapjv", "lapjv_sparse", "overlap_table"]
