"""Contact tables axon x muscle fibre and each axon's territory."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..ops import contact_areas_between
from ..ops._validate import as_integer_image, as_sampling
from ._table import Table


def check_volumes(axons, fibres, sampling):
    """Validated (axons, fibres, sampling) for the analysis functions."""
    axons = as_integer_image(axons, "axons", allowed_ndim=(3,))
    fibres = as_integer_image(fibres, "fibres", allowed_ndim=(3,))
    if fibres.shape != axons.shape:
        raise ValueError(f"fibres: expected the shape of axons {axons.shape}, got {fibres.shape}")
    return axons, fibres, as_sampling(sampling, 3)


def contacts(axons, fibres, sampling, *, threads=None) -> Table:
    """Contact area of every axon with every muscle fibre it touches.

    Parameters
    ----------
    axons : (Z, Y, X) ndarray of integers
        Traced axon ids, 0 = not an axon.
    fibres : (Z, Y, X) ndarray of integers
        Muscle-fibre ids, 0 = not muscle. Where a voxel is set in both, the fibre wins.
    sampling : sequence of 3 float
        Voxel size (z, y, x) in nm.
    threads : int, optional
        Worker threads; default all cores.

    Returns
    -------
    Table
        One row per touching (axon, fibre): ``axon``, ``fibre``, ``area_um2`` (shared surface,
        see :func:`nmjcore.contact_areas`) and ``z_um``, ``y_um``, ``x_um`` (centroid of the
        contact surface), sorted by (axon, fibre).
    """
    axons, fibres, sampling = check_volumes(axons, fibres, sampling)
    ids_a, ids_b, area, centroid = contact_areas_between(axons, fibres, sampling,
                                                         return_centroids=True, threads=threads)
    return Table({
        "axon": ids_a.astype(np.int64),
        "fibre": ids_b.astype(np.int64),
        "area_um2": area,
        "z_um": centroid[:, 0] / 1e3,
        "y_um": centroid[:, 1] / 1e3,
        "x_um": centroid[:, 2] / 1e3,
    })


@dataclass(frozen=True)
class Territory:
    """Each axon's share of the contact area, per fibre and over all fibres."""

    per_fibre: Table  #: axon, fibre, area_um2, share (of that fibre's total contact area)
    overall: Table  #: axon, area_um2, share (of the total contact area), n_fibres


def territory(contact_table: Table) -> Territory:
    """Territory shares from a :func:`contacts` table.

    ``per_fibre["share"]`` sums to 1 over the axons on each fibre, ``overall["share"]`` to 1
    over all axons.
    """
    axon, fibre, area = (np.asarray(contact_table[k]) for k in ("axon", "fibre", "area_um2"))
    fibre_ids, f_index = np.unique(fibre, return_inverse=True)
    fibre_total = np.bincount(f_index, weights=area, minlength=len(fibre_ids))
    with np.errstate(invalid="ignore", divide="ignore"):
        share = area / fibre_total[f_index]
    axon_ids, a_index = np.unique(axon, return_inverse=True)
    axon_total = np.bincount(a_index, weights=area, minlength=len(axon_ids))
    total = axon_total.sum()
    return Territory(
        per_fibre=Table({"axon": axon, "fibre": fibre, "area_um2": area, "share": share}),
        overall=Table({"axon": axon_ids, "area_um2": axon_total,
                       "share": axon_total / total if total > 0 else axon_total * np.nan,
                       "n_fibres": np.bincount(a_index, minlength=len(axon_ids))}),
    )
