"""Axon calibre before each muscle fibre: centreline, perpendicular cross-sections."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from tqdm.auto import tqdm

from ..ops._validate import resolve_threads
from ._cross_section import cross_section
from ._table import Table
from .contacts import check_volumes, contacts


@dataclass(frozen=True)
class Calibre:
    """Calibre of each axon before each fibre it touches (see :func:`calibre`)."""

    points: Table  #: one row per (axon, fibre, point)
    pairs: Table  #: one row per (axon, fibre)


def _check_positive(value, name, allow_zero=False):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected a number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name}: expected a finite number {'>=' if allow_zero else '>'} 0, "
                         f"got {value}")
    return value


def _boxes(axons, ids):
    """{id: (z, y, x) slices} of the bounding box of each axon id."""
    top = int(ids.max()) if len(ids) else 0
    if top <= 4 * len(ids) + 1024:
        found = ndimage.find_objects(axons, max_label=top)
        return {int(i): found[i - 1] for i in ids if found[i - 1] is not None}
    boxes = {}
    for i in ids:  # sparse huge ids: one pass each, still exact
        where = np.nonzero(axons == i)
        if len(where[0]):
            boxes[int(i)] = tuple(slice(int(w.min()), int(w.max()) + 1) for w in where)
    return boxes


def _start(axons, axon_id, box, contact_vox):
    """The section and 2D piece of the axon at the contact: of the sections on both sides of
    the contact centroid, the piece nearest to it. Returns (z, mask, direction) or None."""
    _, ys, xs = box
    nz = axons.shape[0]
    best = None
    cz, cy, cx = contact_vox
    for z in sorted({int(np.floor(cz)), int(np.ceil(cz))}):
        if not 0 <= z < nz:
            continue
        pieces, n = ndimage.label(axons[z, ys, xs] == axon_id)
        if n == 0:
            continue
        iy, ix = np.nonzero(pieces)
        d2 = (iy + ys.start - cy) ** 2 + (ix + xs.start - cx) ** 2 + (z - cz) ** 2
        k = int(np.argmin(d2))
        if best is None or d2[k] < best[0]:
            best = (d2[k], z, pieces == pieces[iy[k], ix[k]])
    if best is None:
        return None
    _, z, mask = best
    overlap = []
    for dz in (-1, 1):
        zz = z + dz
        overlap.append(np.count_nonzero(mask & (axons[zz, ys, xs] == axon_id))
                       if 0 <= zz < nz else 0)
    if max(overlap) == 0:
        return None
    if min(overlap) > 0:  # a contact along the axon's side: walk towards its farther end
        zs = box[0]
        return z, mask, (-1 if z - zs.start >= zs.stop - 1 - z else 1)
    return z, mask, (-1 if overlap[0] > 0 else 1)


def _centreline(axons, axon_id, box, contact_nm, sampling, length, max_gap=3):
    """Centroids (nm) of the axon's pieces, section by section away from the contact, until
    ``length`` nm of centreline or the axon ends.

    Each next piece is the one overlapping the current piece most (so a branch elsewhere does
    not pull the line), or with none overlapping the one with the nearest centroid. A step of
    more than half the piece's radius is a misaligned section (a jump of the whole section, as
    serial sections have): it is taken out of the *aligned* centroids, which give arc lengths
    and directions. Up to ``max_gap`` sections without the axon (lost by the tracing, or out
    of the field) are stepped over.

    Returns (points (K, 3) nm as found in the volume, aligned points (K, 3) nm, arc length
    (K,) nm from the first piece, the one touching the fibre, piece area (K,) nm²).
    """
    empty = np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0), np.zeros(0)
    sampling = np.asarray(sampling)
    start = _start(axons, axon_id, box, np.asarray(contact_nm) / sampling)
    if start is None:
        return empty
    z, mask, step = start
    _, ys, xs = box
    py, px = np.nonzero(mask)
    py, px = py + ys.start, px + xs.start  # the current piece, in volume pixels
    points, aligned, areas = [], [], []
    shift = np.zeros(3)
    travelled = 0.0
    while True:
        here = np.array([py.mean(), px.mean()])
        p = np.array([z, here[0], here[1]]) * sampling
        if aligned:
            travelled += float(np.linalg.norm(p + shift - aligned[-1]))
        points.append(p)
        aligned.append(p + shift)
        areas.append(len(py) * sampling[1] * sampling[2])
        if travelled > length:
            break
        # Look near the piece first (cheap), the whole bounding box only when it is not there.
        margin = max(16, int(np.ptp(py) + np.ptp(px)))
        near = (slice(max(ys.start, py.min() - margin), min(ys.stop, py.max() + margin + 1)),
                slice(max(xs.start, px.min() - margin), min(xs.stop, px.max() + margin + 1)))
        found = None
        for hop in range(1, max_gap + 2):  # sections where the trace lost the axon: skip them
            zz = z + hop * step
            if not 0 <= zz < axons.shape[0]:
                break
            for wy, wx in (near, (ys, xs)):
                pieces, n = ndimage.label(axons[zz, wy, wx] == axon_id)
                if n:
                    found = zz, pieces, n, wy.start, wx.start
                    break
            if found:
                break
        if found is None:
            break
        z, pieces, n, y0, x0 = found
        inside = ((py >= y0) & (py < y0 + pieces.shape[0]) & (px >= x0)
                  & (px < x0 + pieces.shape[1]))
        overlap = np.bincount(pieces[py[inside] - y0, px[inside] - x0], minlength=n + 1)
        overlap[0] = 0
        if overlap.max() > 0:
            k = int(np.argmax(overlap))
        else:
            centres = np.array(ndimage.center_of_mass(np.ones_like(pieces), pieces,
                                                      range(1, n + 1))).reshape(n, 2)
            k = int(np.argmin(((centres + (y0, x0) - here) ** 2).sum(axis=1))) + 1
        py, px = np.nonzero(pieces == k)
        py, px = py + y0, px + x0
        step_nm = (np.array([py.mean(), px.mean()]) - here) * sampling[1:]
        # An axon running through the sections moves far less than its radius per section;
        # a larger step is a misaligned section and is taken out of the aligned line.
        if np.linalg.norm(step_nm) > 0.5 * np.sqrt(areas[-1] / np.pi):
            shift[1:] -= step_nm
    points, aligned = np.array(points), np.array(aligned)
    return points, aligned, _arc(aligned), np.array(areas)


def _arc(points):
    points = np.asarray(points)
    steps = np.linalg.norm(np.diff(points, axis=0), axis=1)
    return np.concatenate([[0.0], np.cumsum(steps)])


def _direction(points, arc, at, window):
    """Unit direction (away from the contact) of the centreline around arc length ``at``: the
    principal axis of the centroids within ``window / 2`` of it (at least its two neighbours)."""
    near = np.flatnonzero(np.abs(arc - at) <= window / 2.0)
    k = int(np.searchsorted(arc, at))
    lo, hi = max(0, k - 1), min(len(arc), k + 1)
    near = np.union1d(near, np.arange(lo, hi))
    if len(near) < 2:
        near = np.arange(max(0, len(arc) - 2), len(arc))
    chunk = points[near]
    centred = chunk - chunk.mean(axis=0)
    direction = np.linalg.svd(centred, full_matrices=False)[2][0]
    if np.dot(direction, chunk[-1] - chunk[0]) < 0:
        direction = -direction
    return direction


def calibre(axons, sampling, fibres, *, n_points=5, offset=2.0, spacing=0.5, window=1.0,
            step=None, contact_table=None, threads=None, progress=False) -> Calibre:
    """Calibre of every axon at ``n_points`` along its last stretch before each fibre it touches.

    Parameters
    ----------
    axons : (Z, Y, X) ndarray of integers
        Traced axon ids (0 = none), sections along z.
    sampling : sequence of 3 float
        Voxel size (z, y, x) in nm.
    fibres : (Z, Y, X) ndarray of integers
        Muscle-fibre ids (0 = none), same shape.
    n_points : int, default 5
        Points per (axon, fibre), at centreline distances ``offset + i * spacing`` (µm) from
        the axon's section touching the fibre, i = 0 .. n_points - 1.
    offset, spacing : float
        In µm. The default 2 µm offset keeps the points off the terminal's swelling.
    window : float
        Length of centreline (µm) over which the local direction is fitted.
    step : float, optional
        Sampling step of the cross-section planes, nm; default the finest voxel size.
    contact_table : Table, optional
        A :func:`nmjcore.analysis.contacts` table of these volumes (computed when absent).
    threads : int, optional
        Worker threads of the contact kernel; default all cores.
    progress : bool
        Show a progress bar over the (axon, fibre) pairs.

    Returns
    -------
    Calibre
        ``points``: ``axon``, ``fibre``, ``point``, ``distance_um`` (along the centreline from
        the axon's section touching the fibre), ``z_um``, ``y_um``, ``x_um``,
        ``diameter_um`` (area-equivalent, ``2 sqrt(A / pi)`` of the perpendicular
        cross-section), ``min_width_um`` (its minimum caliper width); NaN where the traced axon
        is shorter than the point's distance.
        ``pairs``: ``axon``, ``fibre``, ``contact_area_um2``, ``diameter_um`` and
        ``min_width_um`` (means over the measured points), ``min_diameter_um`` and
        ``min_width_min_um`` (minima over the points and every section between the first and
        the last point), ``n_points`` (measured).

    Notes
    -----
    Centreline: starting at the section next to the contact, the centroid of the axon's piece
    in each section, following the piece that overlaps the previous one most (so a branch
    elsewhere does not pull it), away from the fibre. The local direction is the principal
    axis of the centroids within ``window``. A step of more than half the axon's radius from
    one section to the next is taken as a misaligned section and removed from the line (not
    from the measurements); up to 3 sections without the axon are stepped over, and a point
    falling into them is measured at the nearest section that has it.

    Cross-section: the axon's label sampled (nearest voxel) on a plane perpendicular to the
    local direction through the centroid, every ``step`` nm, keeping the 4-connected piece at
    the centre. Axons must run through the sections (not within one section).

    Accuracy on digital cylinders with a radius of >= 10 in-plane voxels, straight or tilted
    by up to 30 degrees, isotropic or anisotropic sampling (tests/test_analysis.py):
    area-equivalent diameter within 3 %, minimum width within one ``step`` + 2 %.
    """
    axons, fibres, sampling = check_volumes(axons, fibres, sampling)
    if isinstance(n_points, bool) or not isinstance(n_points, (int, np.integer)) or n_points < 1:
        raise ValueError(f"n_points: expected a positive int, got {n_points!r}")
    offset = _check_positive(offset, "offset", allow_zero=True) * 1e3
    spacing = _check_positive(spacing, "spacing", allow_zero=n_points == 1) * 1e3
    window = _check_positive(window, "window") * 1e3
    step = min(sampling) if step is None else _check_positive(step, "step")
    if contact_table is None:
        contact_table = contacts(axons, fibres, sampling, threads=resolve_threads(threads))
    at = offset + spacing * np.arange(n_points)
    length = at[-1] + window / 2.0 + max(sampling)

    pair_ids = list(zip(contact_table["axon"].tolist(), contact_table["fibre"].tolist()))
    boxes = _boxes(axons, np.unique(contact_table["axon"]))
    centroid = np.stack([contact_table[k] for k in ("z_um", "y_um", "x_um")], axis=1) * 1e3
    point_rows = {k: [] for k in ("axon", "fibre", "point", "distance_um", "z_um", "y_um",
                                  "x_um", "diameter_um", "min_width_um")}
    summary = {k: [] for k in ("diameter_um", "min_width_um", "min_diameter_um",
                               "min_width_min_um", "n_points")}
    for k, (axon_id, fibre_id) in enumerate(tqdm(pair_ids, desc="calibre", disable=not progress,
                                                 leave=False)):
        found, line, arc, areas = _centreline(axons, axon_id, boxes[axon_id], centroid[k],
                                              sampling, length)

        def measure(position, s, area_nm2):
            direction = _direction(line, arc, s, window)
            half = int(np.ceil(2.5 * np.sqrt(area_nm2 / np.pi) / step)) + 2
            return cross_section(axons, axon_id, position, direction, sampling, step, half)

        diameters, widths = np.full(n_points, np.nan), np.full(n_points, np.nan)
        positions = np.full((n_points, 3), np.nan)
        for i, s in enumerate(at):
            if len(arc) >= 2 and arc[0] <= s <= arc[-1]:
                nearest = int(np.argmin(np.abs(arc - s)))
                positions[i] = [np.interp(s, arc, line[:, c]) for c in range(3)]
                positions[i] += found[nearest] - line[nearest]  # back into the volume
                diameters[i], widths[i] = measure(positions[i], s, np.interp(s, arc, areas))
                if np.isnan(diameters[i]):  # in sections without the axon: the nearest one
                    positions[i] = found[nearest]
                    diameters[i], widths[i] = measure(found[nearest], arc[nearest],
                                                      areas[nearest])
        dense = [measure(found[j], arc[j], areas[j]) for j in
                 np.flatnonzero((arc >= at[0]) & (arc <= at[-1]))] if len(arc) >= 2 else []
        dense = np.concatenate([np.array(dense).reshape(-1, 2),
                                np.stack([diameters, widths], axis=1)])
        for i in range(n_points):
            for name, value in (("axon", axon_id), ("fibre", fibre_id), ("point", i),
                                ("distance_um", at[i] / 1e3), ("z_um", positions[i, 0] / 1e3),
                                ("y_um", positions[i, 1] / 1e3), ("x_um", positions[i, 2] / 1e3),
                                ("diameter_um", diameters[i] / 1e3),
                                ("min_width_um", widths[i] / 1e3)):
                point_rows[name].append(value)
        measured = np.isfinite(diameters)
        summary["n_points"].append(int(measured.sum()))
        with np.errstate(all="ignore"):
            summary["diameter_um"].append(np.nanmean(diameters) / 1e3 if measured.any() else np.nan)
            summary["min_width_um"].append(np.nanmean(widths) / 1e3 if measured.any() else np.nan)
        finite = dense[np.isfinite(dense[:, 0])]
        summary["min_diameter_um"].append(finite[:, 0].min() / 1e3 if len(finite) else np.nan)
        summary["min_width_min_um"].append(finite[:, 1].min() / 1e3 if len(finite) else np.nan)

    points = Table({k: np.array(v, dtype=np.int64 if k in ("axon", "fibre", "point")
                                else np.float64) for k, v in point_rows.items()})
    pairs = Table({"axon": np.asarray(contact_table["axon"], np.int64),
                   "fibre": np.asarray(contact_table["fibre"], np.int64),
                   "contact_area_um2": np.asarray(contact_table["area_um2"], np.float64),
                   **{k: np.array(v, dtype=np.int64 if k == "n_points" else np.float64)
                      for k, v in summary.items()}})
    return Calibre(points=points, pairs=pairs)
