"""Watershed seeds from a distance transform: local maxima, or the cores of the objects."""

from __future__ import annotations

import numpy as np
from numba import njit

from ._validate import as_integer_image, as_number, as_numeric_image, check_choice, check_shape
from .components import connected_components
from .regionprops import region_properties

_MODES = ("maxima", "core")


def find_seeds(distance, *, min_distance=3, threshold=0.0, labels=None, mode="maxima"):
    """Seed markers for a watershed: the maxima (or the cores) of a distance transform.

    Parameters
    ----------
    distance : (Z, Y, X) or (Y, X) ndarray of float or integer
        Usually :func:`nmjcore.distance_transform` of the foreground mask.
    min_distance : int, default 3
        ``mode="maxima"``: a peak is the largest value of its region within
        ``min_distance`` voxels along every axis (a ``2 * min_distance + 1`` box), and two
        peaks of one region keep a Chebyshev distance of at least ``min_distance`` (the
        higher wins; among equals the first in raster order).
    threshold : float, default 0
        Seeds only where ``distance > threshold``. In ``mode="core"`` this is the depth of
        the core: the seeds are the connected parts of ``distance > threshold``.
    labels : ndarray of bool or integer, same shape, optional
        Regions (any ids; 0 = background, no seeds): peaks are found and spaced within each
        region separately, and no seed crosses regions. Default: the whole image is one
        region.
    mode : {"maxima", "core"}, default "maxima"
        "maxima": local maxima, as :func:`skimage.feature.peak_local_max` (see Notes).
        "core": the connected components (face connectivity, within one region) of
        ``distance > threshold``, i.e. of the eroded object.

    Returns
    -------
    markers : ndarray of int32, same shape
        0 = no seed; seeds numbered 1..N in raster order of their first voxel.

    Notes
    -----
    ``mode="maxima"`` finds the same peaks as
    ``skimage.feature.peak_local_max(distance, min_distance, threshold_abs=threshold,
    labels=labels, exclude_border=False)`` (Chebyshev spacing, regions independent, a
    region whose every voxel equals its neighbourhood maximum keeps only the voxels an
    opening with the face cross of the input's dimensionality removes, so a 3-D region one
    section thick keeps them all) with one documented difference: peak_local_max returns
    single voxels, several per plateau of equal maxima when the plateau is longer than
    ``min_distance``; here every connected plateau of peak voxels (equal value, one
    region, full connectivity) that holds one of those peaks becomes one seed covering the
    whole plateau. Unlike peak_local_max's default, peaks next to the image border are kept
    (a cell cut by the border still needs a seed).

    Examples
    --------
    >>> import numpy as np, nmjcore as nc
    >>> mask = np.zeros((7, 15), bool); mask[1:6, 1:6] = True; mask[1:6, 8:14] = True
    >>> nc.find_seeds(nc.distance_transform(mask), min_distance=2)[3]
    array([0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 2, 0, 0, 0], dtype=int32)
    """
    values = _as_distance(distance)
    check_choice(mode, "mode", _MODES)
    if isinstance(min_distance, bool) or not isinstance(min_distance, (int, np.integer)):
        raise TypeError(f"min_distance: expected an int, got {type(min_distance).__name__}")
    if min_distance < 1:
        raise ValueError(f"min_distance: expected an int >= 1, got {min_distance}")
    threshold = as_number(threshold, "threshold")
    if labels is None:
        regions = np.ones(values.shape, np.uint8)
    else:
        regions = as_integer_image(labels, "labels", allowed_ndim=(values.ndim,))
        check_shape(regions, values.shape, "labels")
    if values.size == 0:
        return np.zeros(values.shape, np.int32)
    face = 4 if values.ndim == 2 else 6
    volume = values.reshape((1,) * (3 - values.ndim) + values.shape)
    region3 = regions.reshape(volume.shape)

    if mode == "core":
        core = np.where(volume > threshold, region3, 0).reshape(values.shape)
        return connected_components(core, face)[0].astype(np.int32)

    plateau = _window_maxima(volume, region3, int(min_distance))
    _keep_isolated_in_trivial_regions(plateau, region3, labels is None, values.ndim == 3)
    plateau &= volume > threshold
    where = np.flatnonzero(plateau)
    peaks = plateau
    if min_distance > 1:
        peaks = _spaced_peaks(volume, region3, where, int(min_distance))
    return _plateau_seeds(where, plateau, peaks, region3).reshape(values.shape)


def _as_distance(distance) -> np.ndarray:
    array = as_numeric_image(distance, "distance")
    if array.dtype.kind != "f":
        return array.astype(np.float64)
    if array.itemsize in (4, 8):
        return array
    return array.astype(np.float32 if array.itemsize < 4 else np.float64)


@njit(cache=True, nogil=True)
def _window_maxima(values, regions, radius):
    """Voxels that equal the largest value of their region within the box of ``radius``."""
    nz, ny, nx = values.shape
    rz = radius if nz > 1 else 0
    out = np.zeros(values.shape, np.bool_)
    for z in range(nz):
        for y in range(ny):
            for x in range(nx):
                r = regions[z, y, x]
                if r == 0:
                    continue
                v = values[z, y, x]
                # The face neighbours reject most voxels (a distance map rises towards the
                # centre), so they are tried before the box.
                if x > 0 and values[z, y, x - 1] > v and regions[z, y, x - 1] == r:
                    continue
                if x < nx - 1 and values[z, y, x + 1] > v and regions[z, y, x + 1] == r:
                    continue
                if y > 0 and values[z, y - 1, x] > v and regions[z, y - 1, x] == r:
                    continue
                if y < ny - 1 and values[z, y + 1, x] > v and regions[z, y + 1, x] == r:
                    continue
                peak = True
                for zz in range(max(z - rz, 0), min(z + rz + 1, nz)):
                    for yy in range(max(y - radius, 0), min(y + radius + 1, ny)):
                        for xx in range(max(x - radius, 0), min(x + radius + 1, nx)):
                            if values[zz, yy, xx] > v and regions[zz, yy, xx] == r:
                                peak = False
                                break
                        if not peak:
                            break
                    if not peak:
                        break
                out[z, y, x] = peak
    return out


def _keep_isolated_in_trivial_regions(plateau, regions, whole_image, volumetric):
    """peak_local_max's rule for a flat region (every voxel a peak): only the voxels that an
    opening with the cross removes stay peaks; without labels, none. ``volumetric``: the
    input was 3-D, so the cross has z arms even where the volume is one section deep (then
    the erosion empties every region and all its voxels stay peaks)."""
    if whole_image:
        if plateau.all() and plateau.size > 1:  # a single voxel is a peak
            plateau[:] = False
        return
    if not _has_plateau_core(plateau, regions, volumetric):
        return  # every flat region would keep all its voxels: nothing to change
    everything = region_properties(regions)
    peaks = region_properties(np.where(plateau, regions, 0))
    position = np.searchsorted(everything.ids, peaks.ids)  # peaks.ids is a subset
    flat = peaks.ids[everything.counts[position] == peaks.counts]
    if len(flat) == 0:
        return
    member = np.isin(regions, flat)
    plateau[member] = _unopened(member, regions, volumetric)[member]


@njit(cache=True, nogil=True)
def _has_plateau_core(plateau, regions, volumetric):
    """Whether some peak voxel has all its face neighbours peaks of its region (only then can
    an opening keep voxels of a flat region)."""
    nz, ny, nx = plateau.shape
    for z in range(nz):
        for y in range(1, ny - 1):
            for x in range(1, nx - 1):
                if not plateau[z, y, x]:
                    continue
                r = regions[z, y, x]
                ok = (plateau[z, y - 1, x] and plateau[z, y + 1, x] and plateau[z, y, x - 1]
                      and plateau[z, y, x + 1] and regions[z, y - 1, x] == r
                      and regions[z, y + 1, x] == r and regions[z, y, x - 1] == r
                      and regions[z, y, x + 1] == r)
                if ok and volumetric:
                    ok = (0 < z < nz - 1 and plateau[z - 1, y, x] and plateau[z + 1, y, x]
                          and regions[z - 1, y, x] == r and regions[z + 1, y, x] == r)
                if ok:
                    return True
    return False


@njit(cache=True, nogil=True)
def _unopened(member, regions, volumetric):
    """Voxels of ``member`` that the opening of their own region with the face cross removes
    (outside the image counts as outside the region)."""
    nz, ny, nx = member.shape
    eroded = np.zeros(member.shape, np.bool_)
    for z in range(nz):
        for y in range(ny):
            for x in range(nx):
                if not member[z, y, x]:
                    continue
                r = regions[z, y, x]
                keep = (0 < y < ny - 1 and 0 < x < nx - 1
                        and regions[z, y - 1, x] == r and regions[z, y + 1, x] == r
                        and regions[z, y, x - 1] == r and regions[z, y, x + 1] == r)
                if keep and volumetric:
                    keep = (0 < z < nz - 1 and regions[z - 1, y, x] == r
                            and regions[z + 1, y, x] == r)
                eroded[z, y, x] = keep
    out = np.zeros(member.shape, np.bool_)
    for z in range(nz):
        for y in range(ny):
            for x in range(nx):
                if not member[z, y, x]:
                    continue
                r = regions[z, y, x]
                opened = eroded[z, y, x]
                # eroded voxels are interior, so their region test keeps dilation in region
                opened = opened or (y > 0 and eroded[z, y - 1, x] and regions[z, y - 1, x] == r)
                opened = opened or (y < ny - 1 and eroded[z, y + 1, x]
                                    and regions[z, y + 1, x] == r)
                opened = opened or (x > 0 and eroded[z, y, x - 1] and regions[z, y, x - 1] == r)
                opened = opened or (x < nx - 1 and eroded[z, y, x + 1]
                                    and regions[z, y, x + 1] == r)
                if nz > 1:
                    opened = opened or (z > 0 and eroded[z - 1, y, x]
                                        and regions[z - 1, y, x] == r)
                    opened = opened or (z < nz - 1 and eroded[z + 1, y, x]
                                        and regions[z + 1, y, x] == r)
                out[z, y, x] = not opened
    return out


def _spaced_peaks(values, regions, where, min_distance):
    """peak_local_max's greedy spacing of the candidate peaks at flat indices ``where``:
    highest first (raster order among equals), a peak is dropped within Chebyshev distance
    < min_distance of a kept peak of its region."""
    order = where[np.argsort(-values.ravel()[where], kind="stable")]
    return _greedy_spacing(order, regions, min_distance - 1)


@njit(cache=True, nogil=True)
def _greedy_spacing(order, regions, reach):
    nz, ny, nx = regions.shape
    rz = reach if nz > 1 else 0
    kept = np.zeros(regions.shape, np.bool_)
    for flat in order:
        z = flat // (ny * nx)
        y = (flat // nx) % ny
        x = flat % nx
        r = regions[z, y, x]
        free = True
        for zz in range(max(z - rz, 0), min(z + rz + 1, nz)):
            for yy in range(max(y - reach, 0), min(y + reach + 1, ny)):
                for xx in range(max(x - reach, 0), min(x + reach + 1, nx)):
                    if kept[zz, yy, xx] and regions[zz, yy, xx] == r:
                        free = False
                        break
                if not free:
                    break
            if not free:
                break
        kept[z, y, x] = free
    return kept


@njit(cache=True, nogil=True)
def _plateau_seeds(order, plateau, peaks, regions):
    """One seed per plateau (peak voxels of one region, fully connected) holding a kept
    peak; seeds numbered in raster order of their first voxel."""
    nz, ny, nx = plateau.shape
    out = np.zeros(plateau.shape, np.int32)
    seen = np.zeros(plateau.shape, np.bool_)
    stack = np.empty(len(order), np.int64)
    members = np.empty(len(order), np.int64)
    rz = 1 if nz > 1 else 0
    n = 0
    for start in order:
        z0 = start // (ny * nx)
        y0 = (start // nx) % ny
        x0 = start % nx
        if seen[z0, y0, x0]:
            continue
        r = regions[z0, y0, x0]
        seen[z0, y0, x0] = True
        stack[0] = start
        top, count, hit = 1, 0, False
        while top > 0:
            top -= 1
            flat = stack[top]
            members[count] = flat
            count += 1
            z = flat // (ny * nx)
            y = (flat // nx) % ny
            x = flat % nx
            hit = hit or peaks[z, y, x]
            for zz in range(max(z - rz, 0), min(z + rz + 1, nz)):
                for yy in range(max(y - 1, 0), min(y + 2, ny)):
                    for xx in range(max(x - 1, 0), min(x + 2, nx)):
                        if (plateau[zz, yy, xx] and not seen[zz, yy, xx]
                                and regions[zz, yy, xx] == r):
                            seen[zz, yy, xx] = True
                            stack[top] = (zz * ny + yy) * nx + xx
                            top += 1
        if hit:
            n += 1
            for i in range(count):
                flat = members[i]
                out[flat // (ny * nx), (flat // nx) % ny, flat % nx] = n
    return out
