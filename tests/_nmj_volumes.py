"""Synthetic traced volumes with known geometry, shared by the analysis and viz tests."""

from __future__ import annotations

import numpy as np


def grid_nm(shape, sampling):
    """Voxel-centre coordinates (z, y, x) in nm, each (Z, Y, X)."""
    return np.meshgrid(*(np.arange(n) * s for n, s in zip(shape, sampling)), indexing="ij")


def cylinder(shape, sampling, radius_nm, *, centre_nm=None, direction=(1.0, 0.0, 0.0)):
    """Boolean voxels within ``radius_nm`` of the line through ``centre_nm`` (default: the
    volume's centre) along ``direction`` (z, y, x)."""
    if centre_nm is None:
        centre_nm = [0.5 * (n - 1) * s for n, s in zip(shape, sampling)]
    d = np.asarray(direction, dtype=np.float64)
    d /= np.linalg.norm(d)
    z, y, x = (np.arange(n, dtype=np.float64) * s - c
               for n, s, c in zip(shape, sampling, centre_nm))
    z, y, x = z[:, None, None], y[None, :, None], x[None, None, :]
    along = z * d[0] + y * d[1] + x * d[2]
    return z * z + y * y + x * x - along * along <= radius_nm ** 2


def elliptic_cylinder(shape, sampling, semi_y_nm, semi_x_nm):
    """Boolean voxels of an elliptic cylinder along z through the centre of each section."""
    z, y, x = grid_nm(shape, sampling)
    cy, cx = (0.5 * (n - 1) * s for n, s in zip(shape[1:], sampling[1:]))
    return ((y - cy) / semi_y_nm) ** 2 + ((x - cx) / semi_x_nm) ** 2 <= 1.0


def terminals(radii_nm, areas_um2, fibre_of, *, sampling=(40.0, 16.0, 16.0), n_sections=80,
              pad_sections=3, spacing_px=None, n_fibres=None):
    """Straight axons along z, each ending in a flat disc-shaped terminal on a muscle fibre.

    Axon i (id i + 1) is a cylinder of radius ``radii_nm[i]`` from section 0; its last
    ``pad_sections`` sections are a disc of area ``areas_um2[i]`` (the contact area, exactly
    up to digitisation) resting on fibre ``fibre_of[i]`` (ids from 1), a slab filling every
    section below the terminals in its strip of x.

    Returns (axons uint32, fibres uint32, sampling).
    """
    radii_nm = np.asarray(radii_nm, dtype=np.float64)
    pad_r_px = np.sqrt(np.asarray(areas_um2) * 1e6 / np.pi) / sampling[1]
    reach = max(pad_r_px.max(), radii_nm.max() / sampling[1]) + 3
    step = int(np.ceil(2 * reach)) if spacing_px is None else spacing_px
    fibre_of = np.asarray(fibre_of)
    n_fibres = int(fibre_of.max()) if n_fibres is None else n_fibres
    per_fibre = [np.flatnonzero(fibre_of == f + 1) for f in range(n_fibres)]
    rows = max(len(p) for p in per_fibre)
    Y, X = rows * step, n_fibres * step
    z_end = n_sections - 8
    axons = np.zeros((n_sections, Y, X), np.uint32)
    fibres = np.zeros_like(axons)
    yy, xx = np.mgrid[0:Y, 0:X]
    for f, members in enumerate(per_fibre):
        fibres[z_end:, :, f * step:(f + 1) * step - 1] = f + 1  # a one-pixel gap between fibres
        for row, i in enumerate(members):
            cy, cx = (row + 0.5) * step, (f + 0.5) * step - 0.5
            r2 = (yy - cy) ** 2 + (xx - cx) ** 2
            stem = r2 <= (radii_nm[i] / sampling[1]) ** 2
            pad = r2 <= pad_r_px[i] ** 2
            axons[:z_end - pad_sections][:, stem] = i + 1
            axons[z_end - pad_sections:z_end][:, pad] = i + 1
    return axons, fibres, tuple(float(s) for s in sampling)
