"""Pictures: label images in distinct, stable colours over EM, analysis figures, animations
through the sections and 3D views of traced axons.

Figures are drawn with matplotlib on the Agg canvas (no pyplot state) and saved as PNG of
exactly ``figsize * dpi`` pixels, atomically.
"""

from __future__ import annotations

from .animation import animate, has_ffmpeg
from .labels import (color_tables, label_figure, overlay, present_ids, save_overlay,
                     section_rgb)
from .mesh import label_meshes, render_3d, write_mesh
from .plots import (calibre_profiles, group_panels, heatmap, regression_scatter,
                    territory_bars)
from .report import analysis_figures

__all__ = ["analysis_figures", "animate", "calibre_profiles", "color_tables", "group_panels",
           "has_ffmpeg", "heatmap", "label_figure", "label_meshes", "overlay", "present_ids",
           "regression_scatter", "render_3d", "save_overlay", "section_rgb", "territory_bars",
           "write_mesh"]
