"""Segmentation: a section's axon (or membrane) probability to one label per axon section.

post-process (bilateral, erosion, dilation) → mask → exact EDT → seeds (distance maxima)
→ seeded watershed within the mask → 2D segments (uint32, ids unique per section).
"""

from .section import segment_section
from .stack import segment_stack

__all__ = ["segment_section", "segment_stack"]
