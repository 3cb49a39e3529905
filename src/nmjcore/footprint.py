"""Flat structuring elements (footprints): ``nmjcore.footprint.box(5)``, ``disk(3)`` ...

The constructors live in :mod:`nmjcore.ops.footprint` (next to the kernels that use them).
"""

from .ops.footprint import ball, box, cross, disk

__all__ = ["ball", "box", "cross", "disk"]
