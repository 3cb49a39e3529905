"""One section's probability map to 2D segments: mask, distance, seeds, seeded watershed."""

from __future__ import annotations

import numpy as np
from numba import njit

from .. import ops
from ..footprint import disk
from ..ops._validate import as_array, as_number, check_ndim

# Elevation resolution of the watershed on the distance map: 1/16 pixel, in uint16.
_DISTANCE_STEPS = 16


def segment_section(prob, *, threshold=0.5, foreground="high", bilateral=None, erosion=0,
                    dilation=0, min_distance=3, seed_threshold=1.0, merge_saddle=0.5,
                    threads=1):
    """Segment one section: one label per axon cross-section.

    Parameters
    ----------
    prob : (Y, X) ndarray of float (probabilities in [0, 1]), uint8 (0..255) or bool
        The network's axon probability, or a binary mask (e.g. ground truth; a bool mask is
        used as it is, without threshold or bilateral filter).
    threshold : float, default 0.5
        Probability above which a pixel is foreground (uint8 maps: ``threshold * 255``).
    foreground : {"high", "low"}, default "high"
        "low" for a membrane probability: the foreground is where ``prob <= threshold``.
    bilateral : tuple (diameter, sigma_color, sigma_space) or None, default None
        Edge-preserving smoothing of ``prob`` before the threshold
        (:func:`nmjcore.bilateral_filter`; ``sigma_color`` in probability units). Off by
        default: it costs more than the rest together and changes nothing on binary masks.
    erosion, dilation : int, default 0
        Radii (pixels) of the disk erosion, then dilation, of the thresholded mask: erosion
        cuts thin bridges and removes specks, dilation restores the size.
    min_distance : int, default 3
        Seeds are the distance-map maxima of each connected component of the mask, at
        least this many pixels apart (:func:`nmjcore.find_seeds`).
    seed_threshold : float, default 1.0
        Seeds only where the distance to the background exceeds this (pixels).
    merge_saddle : float or None, default 0.5
        Two touching segments of one component are merged when the distance map along their
        common border reaches ``merge_saddle`` times the lower of their two seed heights: the
        border is then a shallow waist of one object, not the neck between two. ``None``
        keeps every seed's segment.
    threads : int, default 1
        Threads of each kernel (sections of a stack run in parallel instead).

    Returns
    -------
    labels : (Y, X) ndarray of uint32
        0 = background; segments numbered 1..N in raster order of their seeds.

    Notes
    -----
    Steps: (bilateral) → threshold → erosion/dilation → exact EDT
    (:func:`nmjcore.distance_transform`) → seeds (:func:`nmjcore.find_seeds` within the
    connected components, 4-connectivity) → seeded watershed of the negated distance,
    quantised to 1/16 pixel, within the mask with the seeds as imposed minima
    (:func:`nmjcore.watershed`, 4-connectivity) → merging of shallow borders. A component
    without a seed (thinner than ``2 * seed_threshold``) becomes one segment of its own.
    The defaults were chosen with ground-truth masks as input, on the phantom and on the
    ISBI 2012 and VNC stack 1 membranes (cells = 4-connected components of membrane == 0):
    see ``tests/test_segment.py`` and ``benchmarks/bench_segment.py`` for the split and
    merge counts they give.

    Examples
    --------
    >>> import numpy as np, nmjcore as nc
    >>> yy, xx = np.mgrid[:40, :60]
    >>> two = ((yy - 20) ** 2 + (xx - 18) ** 2 < 144) | ((yy - 20) ** 2 + (xx - 40) ** 2 < 144)
    >>> labels = nc.segment.segment_section(two.astype(np.float32))
    >>> labels.max(), labels[20, 18], labels[20, 40]
    (np.uint32(2), np.uint32(1), np.uint32(2))
    """
    mask = _foreground(prob, threshold, foreground, bilateral, threads)
    if erosion:
        mask = ops.erode(mask, disk(_radius(erosion, "erosion")), threads=threads)
    if dilation:
        mask = ops.dilate(mask, disk(_radius(dilation, "dilation")), threads=threads)
    if merge_saddle is not None:
        merge_saddle = as_number(merge_saddle, "merge_saddle", minimum=0.0)
    if not mask.any():
        return np.zeros(mask.shape, np.uint32)

    components, n_components = ops.connected_components(mask, 4, threads=threads)
    distance = ops.distance_transform(mask, threads=threads)
    seeds = ops.find_seeds(distance, min_distance=min_distance, threshold=seed_threshold,
                           labels=components)
    # Seed voxels are few: later steps index them rather than test the whole image again.
    seed_at = np.flatnonzero(seeds > 0)  # faster than on the ints
    # Components too thin for a seed keep one segment each: their own id past the seeds.
    seeded = np.zeros(n_components + 1, bool)
    seeded[components.ravel()[seed_at]] = True
    seeded[0] = True
    if not seeded.all():
        lookup = np.zeros(n_components + 1, np.int32)
        lookup[~seeded] = np.arange(1, int((~seeded).sum()) + 1, dtype=np.int32) + seeds.max()
        seeds += np.take(lookup, components)  # 0 in the seeded components
        seed_at = np.flatnonzero(seeds > 0)  # faster than on the ints
    elevation = _elevation(distance, seed_at)
    labels = ops.watershed(elevation, seeds, mask, 1, marker_order="raster", threads=threads)
    roots = np.arange(int(labels.max()) + 1)
    if merge_saddle is not None:
        roots = _merge_shallow_borders(labels, distance, seeds, seed_at, merge_saddle)
    return np.take(_renumber(roots), labels)


def _foreground(prob, threshold, foreground, bilateral, threads) -> np.ndarray:
    image = as_array(prob, "prob")
    check_ndim(image, "prob", (2,))
    if image.dtype.kind not in "buf":
        raise TypeError(f"prob: expected a float, uint8 or bool array, got dtype {image.dtype}")
    if image.dtype.kind == "u" and image.dtype != np.uint8:
        raise TypeError(f"prob: expected a float, uint8 or bool array, got dtype {image.dtype}")
    threshold = as_number(threshold, "threshold", minimum=0.0)
    if threshold > 1:
        raise ValueError(f"threshold: expected a probability in [0, 1], got {threshold}")
    if foreground not in ("high", "low"):
        raise ValueError(f"foreground: expected 'high' or 'low', got {foreground!r}")
    if image.dtype == np.bool_:
        return image if foreground == "high" else ~image  # only read from here on
    if image.dtype == np.uint8:
        level = threshold * 255
    else:
        image = np.asarray(image, np.float32)
        if np.isnan(image).any():
            raise ValueError("prob: expected no NaN values")
        level = threshold
    if bilateral is not None:
        if len(bilateral) != 3:
            raise ValueError("bilateral: expected (diameter, sigma_color, sigma_space)")
        diameter, sigma_color, sigma_space = bilateral
        if image.dtype == np.uint8:
            sigma_color = sigma_color * 255
        image = ops.bilateral_filter(np.ascontiguousarray(image), diameter, sigma_color,
                                     sigma_space, threads=threads)
    return image > level if foreground == "high" else image <= level


def _radius(value, name) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name}: expected a radius >= 0 (int), got {value!r}")
    return int(value)


def _elevation(distance, seed_at) -> np.ndarray:
    """Negated distance in steps of 1/16 pixel, 0 at the deepest point and at the seeds
    (flat indices ``seed_at``; imposed minima); uint8 when it fits, so the bucket queue has
    few levels."""
    top = int(min(float(distance.max()) * _DISTANCE_STEPS, 65535.0))
    elevation = np.empty(distance.shape, np.uint8 if top < 256 else np.uint16)
    _negated_steps(distance, top, elevation)
    elevation.ravel()[seed_at] = 0
    return elevation


@njit(cache=True, nogil=True)
def _negated_steps(distance, top, out):
    """out = top - the distance in whole steps (truncated, at most 65535), in one pass."""
    flat_in, flat_out = distance.ravel(), out.ravel()
    steps, cap = np.float32(_DISTANCE_STEPS), np.float32(65535.0)
    for i in range(flat_in.size):
        flat_out[i] = top - np.int64(min(flat_in[i] * steps, cap))


def _merge_shallow_borders(labels, distance, seeds, seed_at, ratio) -> np.ndarray:
    """Root id of every segment after uniting touching segments whose border's highest
    distance is >= ratio * the lower of their seed heights (seed voxels at ``seed_at``)."""
    n = int(labels.max())
    height = np.zeros(n + 1, np.float32)
    np.maximum.at(height, seeds.ravel()[seed_at], distance.ravel()[seed_at])
    parent = np.arange(n + 1)
    keys, values = _border_pairs(labels, distance, n + 1)
    if len(keys) == 0:
        return parent
    order = np.argsort(keys, kind="stable")
    keys, values = keys[order], values[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    saddle = np.maximum.reduceat(values, starts)
    a, b = keys[starts] // (n + 1), keys[starts] % (n + 1)
    shallow = saddle >= ratio * np.minimum(height[a], height[b])

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in zip(a[shallow].tolist(), b[shallow].tolist()):
        ri, rj = root(i), root(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    while True:  # pointer jumping: parents are smaller ids, so this ends at the roots
        up = parent[parent]
        if np.array_equal(up, parent):
            return parent
        parent = up


@njit(cache=True, nogil=True)
def _border_pairs(labels, distance, base):
    """(lo * base + hi, min distance) of every 4-neighbour pair of two different segments."""
    ny, nx = labels.shape
    keys = np.empty(2 * ny * nx, np.int64)
    values = np.empty(2 * ny * nx, np.float32)
    k = 0
    for y in range(ny):
        for x in range(nx):
            a = labels[y, x]
            if a == 0:
                continue
            for dy, dx in ((0, 1), (1, 0)):
                yy, xx = y + dy, x + dx
                if yy >= ny or xx >= nx:
                    continue
                b = labels[yy, xx]
                if b == 0 or b == a:
                    continue
                lo, hi = min(a, b), max(a, b)
                keys[k] = np.int64(lo) * base + hi
                values[k] = min(distance[y, x], distance[yy, xx])
                k += 1
    return keys[:k], values[:k]


def _renumber(roots) -> np.ndarray:
    """Lookup from old id to 1..N over the distinct roots, in their order (0 stays 0)."""
    used = np.zeros(len(roots), bool)
    used[roots] = True
    used[0] = False
    new = np.zeros(len(roots), np.uint32)
    new[used] = np.arange(1, int(used.sum()) + 1, dtype=np.uint32)
    return new[roots]
