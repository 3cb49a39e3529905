"""Every figure of an analysis, written into one folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .animation import animate, has_ffmpeg
from .labels import color_tables, label_figure
from .mesh import label_meshes, render_3d, write_mesh
from .plots import (calibre_profiles, group_panels, heatmap, regression_scatter,
                    territory_bars)


VIEW_DEPTH_NM = 8000.0  # nerve shown above the highest contact in the 3D view
VIEW_VOXELS = 700_000
EXPORT_VOXELS = 2_000_000


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
    files.append(calibre_profiles(folder / "panels_per_axon.png", analysis.calibre.points,
                                  pairs))
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
        # The view: the last stretch of the nerve onto the muscle, in true proportions.
        sz = analysis.sampling[0]
        z0 = max(0, int((np.min(analysis.contacts["z_um"]) * 1e3 - VIEW_DEPTH_NM) / sz)
                 if len(analysis.contacts) else 0)
        z1 = min(analysis.axons.shape[0], int(np.max(analysis.contacts["z_um"]) * 1e3 / sz) + 3
                 if len(analysis.contacts) else analysis.axons.shape[0])
        axons = analysis.axons[z0:z1]
        meshes = label_meshes(axons, analysis.sampling, max_voxels=VIEW_VOXELS)
        fibres = label_meshes(analysis.fibres[z0:z1], analysis.sampling,
                              max_voxels=VIEW_VOXELS)
        files.append(render_3d(folder / "axons_3d.png", meshes, fibre_meshes=fibres,
                               z_offset_um=z0 * sz / 1e3, dpi=dpi,
                               title="Traced axons onto the muscle fibres"))
        export = label_meshes(analysis.axons, analysis.sampling, max_voxels=EXPORT_VOXELS)
        files.append(write_mesh(folder / "axons.ply", export))
        files.append(write_mesh(folder / "axons.obj", export))
    return files
