"""Every figure of an analysis, written into one folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .animation import animate, has_ffmpeg
from .labels import color_tables, label_figure
from .mesh import label_meshes, render_3d, write_mesh
from .plots import group_panels, heatmap, regression_scatter, territory_bars


def _contact_section(analysis):
    """The section of the median contact depth (where most terminals meet the muscle)."""
    z_um = analysis.contacts["z_um"]
    if len(z_um) == 0:
        return analysis.axons.shape[0] // 2
    z = int(np.floor(np.median(z_um) * 1e3 / analysis.sampling[0]))
    return int(np.clip(z - 3, 0, analysis.axons.shape[0] - 1))


def analysis_figures(analysis, folder, *, raw=None, animation=True, view_3d=True, dpi=150,
                     progress=False) -> list[Path]:
    """Heatmaps, regression scatter, per-axon and per-fibre panels, territory bars, section
    overlays, an animation (GIF; also MP4 with ffmpeg) and a 3D view (PNG, PLY, OBJ) of an
    :class:`nmjcore.analysis.Analysis`. Returns the files written."""
    folder = Path(folder)
    pairs = analysis.calibre.pairs
    files = []
    for value, name, title, label, fmt in (
            ("contact_area_um2", "heatmap_contact_area.png", "Contact area axon × fibre",
             "contact area (µm²)", "{:.2f}"),
            ("diameter_um", "heatmap_calibre.png", "Axon calibre before each fibre",
             "area-equivalent diameter (µm)", "{:.2f}")):
        rows, cols, m = analysis.matrix(value)
        files.append(heatmap(folder / name, rows, cols, m, title=title, value_label=label,
                             fmt=fmt, dpi=dpi))
    x, y = pairs["diameter_um"], pairs["contact_area_um2"]
    files.append(regression_scatter(folder / "calibre_vs_contact_area.png", x, y,
                                    analysis.correlation, groups=pairs["axon"],
                                    title="Calibre vs contact area (axon × fibre)", dpi=dpi))
    files.append(group_panels(folder / "panels_per_axon.png", x, y, pairs["axon"],
                              group_label="axon", title="Per axon (one point per fibre)"))
    files.append(group_panels(folder / "panels_per_fibre.png", x, y, pairs["fibre"],
                              group_label="fibre", title="Per fibre (one point per axon)"))
    files.append(territory_bars(folder / "territory.png", analysis.territory, dpi=dpi))

    colors, _ = color_tables(analysis.axons)
    z_contact = _contact_section(analysis)
    for z, name in ((analysis.axons.shape[0] // 4, "section_nerve.png"),
                    (z_contact, "section_terminals.png")):
        files.append(label_figure(
            folder / name, None if raw is None else raw[z], analysis.axons[z],
            analysis.fibres[z], sampling=analysis.sampling[1:], colors=colors,
            title=f"Section z = {z} ({z * analysis.sampling[0] / 1e3:.1f} µm)", dpi=dpi))
    if animation:
        files.append(animate(folder / "sections.gif", analysis.axons, raw, analysis.fibres,
                             sampling=analysis.sampling, progress=progress))
        if has_ffmpeg():
            files.append(animate(folder / "sections.mp4", analysis.axons, raw,
                                 analysis.fibres, sampling=analysis.sampling))
    if view_3d:
        meshes = label_meshes(analysis.axons, analysis.sampling)
        files.append(render_3d(folder / "axons_3d.png", meshes, dpi=dpi))
        files.append(write_mesh(folder / "axons.ply", meshes))
        files.append(write_mesh(folder / "axons.obj", meshes))
    return files
