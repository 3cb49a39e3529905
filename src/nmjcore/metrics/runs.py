"""Expected run length (ERL) of ground-truth axons through the sections."""

from __future__ import annotations

import numpy as np

from ..ops import overlap_table
from ..ops._validate import as_integer_image, as_sampling, check_same_shape


def majority_segments(seg, gt, threads=None):
    """For every section z and non-zero gt id g there: the seg id covering most of g at z.

    Returns ``(z, g, s)`` arrays sorted by ``(g, z)``; ties go to the smallest seg id, and
    ``s`` may be 0 where most of g's cross-section is background in ``seg``.
    """
    zs, gs, ss = [], [], []
    for z in range(gt.shape[0]):
        ids_gt, ids_seg, counts = overlap_table(gt[z], seg[z], threads=threads)
        fg = ids_gt != 0
        ids_gt, ids_seg, counts = ids_gt[fg], ids_seg[fg], counts[fg]
        if ids_gt.size == 0:
            continue
        order = np.lexsort((ids_seg, -counts, ids_gt))  # per g: largest count, then smallest s
        ids_gt, ids_seg = ids_gt[order], ids_seg[order]
        first = np.flatnonzero(np.r_[True, ids_gt[1:] != ids_gt[:-1]])
        zs.append(np.full(first.size, z, np.int64))
        gs.append(ids_gt[first])
        ss.append(ids_seg[first])
    if not zs:
        return np.zeros(0, np.int64), np.zeros(0, gt.dtype), np.zeros(0, seg.dtype)
    z, g, s = np.concatenate(zs), np.concatenate(gs), np.concatenate(ss)
    order = np.lexsort((z, g))
    return z[order], g[order], s[order]


def erl(seg, gt, sampling, *, threads=None):
    """Expected run length of the ground-truth axons along z, in physical units.

    Each ground-truth axon ``g`` (non-zero id) is followed through the sections where it
    appears, ``z_1 < ... < z_m``. In each such section its *segment* is the ``seg`` id that
    covers most of its cross-section there (ties: the smaller id; it may be 0). The step
    ``z_k -> z_{k+1}`` has length ``(z_{k+1} - z_k) * sampling_z`` (sections where ``g`` is
    missing are bridged) and is *correct* when

    - the segment is the same non-zero id at both ends (no split), and
    - that segment is not the segment of any other ground-truth axon in any section (no
      merge: a segment that covers two axons makes every step through it wrong).

    A *run* is a maximal chain of correct steps of one axon, its length the sum of its
    steps. With ``L`` the total length of all axons (all steps, correct or not),

        ERL = sum over runs of run_length**2 / L,

    the expected length of the run containing a point drawn uniformly along all the axons:
    the usual length-weighted ERL (Januszewski et al. 2018, Nat. Methods 15). A perfect
    segmentation reaches ``sum_g L_g**2 / sum_g L_g``, i.e. ``erl(gt, gt, sampling)``;
    compare against that.

    Parameters
    ----------
    seg, gt : (Z, Y, X) ndarray of int
        Segmentation (e.g. linked 3D axon ids) and ground truth, one shape.
    sampling : float or (float, float, float)
        Section thickness, or the (z, y, x) voxel size (only z is used: the path is measured
        along z, in-plane displacement is ignored).
    threads : int, optional
        For the per-section overlap tables; default all cores.

    Returns
    -------
    float
        In the unit of ``sampling``; 0.0 when no axon spans two sections.

    Examples
    --------
    >>> import numpy as np, nmjcore as nc
    >>> gt = np.ones((5, 1, 1), np.uint32)
    >>> seg = np.array([1, 1, 1, 2, 2], np.uint32).reshape(5, 1, 1)
    >>> nc.metrics.erl(seg, gt, (40, 4, 4))  # runs of 2 and 1 steps: (80**2 + 40**2) / 160
    50.0
    """
    seg = as_integer_image(seg, "seg", allowed_ndim=(3,))
    gt = as_integer_image(gt, "gt", allowed_ndim=(3,))
    check_same_shape(seg, gt, "seg, gt")
    if np.isscalar(sampling):
        dz = as_sampling(sampling, 1)[0]
    else:
        dz = as_sampling(sampling, 3)[0]
    z, g, s = majority_segments(seg, gt, threads)
    if z.size < 2:
        return 0.0
    # segments that are the majority segment of two or more axons
    seg_keys, s_index = np.unique(s, return_inverse=True)
    _, g_index = np.unique(g, return_inverse=True)
    axon_pairs = np.unique(s_index * (g_index.max() + 1) + g_index)
    n_axons = np.bincount(axon_pairs // (g_index.max() + 1), minlength=seg_keys.size)
    bad = (n_axons[s_index] > 1) | (s == 0)
    same_axon = g[1:] == g[:-1]
    length = (z[1:] - z[:-1]) * dz
    correct = same_axon & (s[1:] == s[:-1]) & ~bad[1:] & ~bad[:-1]
    total = length[same_axon].sum()
    if total == 0:
        return 0.0
    run_id = np.cumsum(~correct)  # a new run starts after every step that is not correct
    runs = np.bincount(run_id[correct], weights=length[correct])
    return float((runs ** 2).sum() / total)
