"""Agreement of a segmentation with ground truth, from the overlap table."""

from __future__ import annotations

import numpy as np

from ..ops import overlap_table
from ..ops._validate import as_integer_image, as_real, check_same_shape


def contingency(seg, gt, ignore_labels=(), threads=None):
    """The overlap table of ``gt`` and ``seg``: (gt ids, seg ids, counts as float64).

    Voxels whose ground-truth id is in ``ignore_labels`` are left out.
    """
    seg = as_integer_image(seg, "seg", allowed_ndim=(2, 3))
    gt = as_integer_image(gt, "gt", allowed_ndim=(2, 3))
    check_same_shape(seg, gt, "seg, gt")
    ids_gt, ids_seg, counts = overlap_table(gt, seg, threads=threads)
    keep = ~np.isin(ids_gt, list(ignore_labels)) if len(ignore_labels) else slice(None)
    return ids_gt[keep], ids_seg[keep], counts[keep].astype(np.float64)


def _marginal(ids, counts):
    """Summed counts per distinct id."""
    _, inverse = np.unique(ids, return_inverse=True)
    return np.bincount(inverse, weights=counts)


def voi(seg, gt, *, ignore_labels=(), threads=None):
    """Variation of information, split into its split and merge parts (bits).

    Parameters
    ----------
    seg, gt : (Z, Y, X) or (Y, X) ndarray of int
        Segmentation and ground truth, one shape. Background (0) is a label like any other
        unless listed in ``ignore_labels``.
    ignore_labels : sequence of int, default ()
        Ground-truth ids whose voxels are left out (as ``skimage.metrics`` does).
    threads : int, optional
        For the overlap table; default all cores.

    Returns
    -------
    split : float
        ``H(seg | gt)``: information needed to recover ``seg`` from ``gt``; grows as ground
        truth objects are split over several segments.
    merge : float
        ``H(gt | seg)``: grows as segments merge ground truth objects.

    Notes
    -----
    Meila (2007), "Comparing clusterings - an information based distance", J. Multivar.
    Anal. 98. Equals ``skimage.metrics.variation_of_information(gt, seg)`` (which returns
    ``[splits, merges]``), computed from the sparse overlap table.

    Examples
    --------
    >>> import numpy as np, nmjcore as nc
    >>> gt = np.array([[1, 1, 2, 2]]); seg = np.array([[1, 2, 3, 3]])
    >>> nc.metrics.voi(seg, gt)
    (0.5, 0.0)
    """
    ids_gt, ids_seg, counts = contingency(seg, gt, ignore_labels, threads)
    total = counts.sum()
    if total == 0:
        return 0.0, 0.0
    p = counts / total
    _, gt_index = np.unique(ids_gt, return_inverse=True)
    _, seg_index = np.unique(ids_seg, return_inverse=True)
    p_gt = np.bincount(gt_index, weights=p)[gt_index]
    p_seg = np.bincount(seg_index, weights=p)[seg_index]
    split = -np.sum(p * np.log2(p / p_gt))
    merge = -np.sum(p * np.log2(p / p_seg))
    return float(max(0.0, split)), float(max(0.0, merge))  # rounding can leave -1e-17


def adapted_rand_error(seg, gt, *, ignore_labels=(0,), alpha=0.5, return_precision_recall=False,
                       threads=None):
    """Adapted Rand error of a segmentation against ground truth (SNEMI3D).

    Parameters
    ----------
    seg, gt : (Z, Y, X) or (Y, X) ndarray of int
        Segmentation and ground truth, one shape.
    ignore_labels : sequence of int, default (0,)
        Ground-truth ids whose voxels are left out: by default the ground truth's
        background. ``seg``'s background stays a label (one big segment), as in SNEMI3D and
        ``skimage.metrics.adapted_rand_error``.
    alpha : float, default 0.5
        Weight of the ground truth's pairs against the segmentation's in the denominator
        (as skimage): 1 gives ``1 - recall``, 0 gives ``1 - precision``.
    return_precision_recall : bool, default False
        Also return the Rand precision and recall.
    threads : int, optional
        For the overlap table; default all cores.

    Returns
    -------
    error : float
        ``1 - sum_ij n_ij^2 / (alpha sum_j t_j^2 + (1 - alpha) sum_i s_i^2)`` over voxel
        pairs (self-pairs removed), with ``t_j`` the ground truth sizes and ``s_i`` the
        segment sizes; 0 = the same partition.
    precision, recall : float
        Only with ``return_precision_recall``: the share of the segmentation's same-label
        pairs that ground truth also joins, and the share of ground truth's same-label pairs
        that the segmentation also joins.

    Notes
    -----
    Arganda-Carreras et al. (2015), Front. Neuroanat. 9:142. The error equals
    ``skimage.metrics.adapted_rand_error(gt, seg)[0]``. Beware that skimage returns its
    two ratios the other way round (its ``prec`` divides by the ground truth's pairs).

    Examples
    --------
    >>> import numpy as np, nmjcore as nc
    >>> gt = np.array([[1, 1, 2, 2]]); seg = np.array([[1, 1, 1, 1]])
    >>> round(nc.metrics.adapted_rand_error(seg, gt), 4)
    0.5
    """
    alpha = as_real(alpha, "alpha")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha: expected a value in [0, 1], got {alpha}")
    ids_gt, ids_seg, counts = contingency(seg, gt, ignore_labels, threads)
    total = counts.sum()
    joint = counts @ counts - total
    seg_pairs = (lambda m: m @ m - total)(_marginal(ids_seg, counts))
    gt_pairs = (lambda m: m @ m - total)(_marginal(ids_gt, counts))
    denominator = alpha * gt_pairs + (1.0 - alpha) * seg_pairs
    error = 1.0 - joint / denominator if denominator > 0 else 0.0
    if not return_precision_recall:
        return float(error)
    precision = joint / seg_pairs if seg_pairs > 0 else 1.0
    recall = joint / gt_pairs if gt_pairs > 0 else 1.0
    return float(error), float(precision), float(recall)


def split_merge_counts(seg, gt, *, min_fraction=0.1, threads=None):
    """Number of splits and merges of every ground-truth object.

    A non-zero segment ``s`` is a *piece* of a non-zero ground-truth object ``g`` when they
    share at least ``min_fraction`` of the smaller of the two (``|s & g| >= min_fraction *
    min(|s|, |g|)``): a small fragment inside ``g`` counts, and so does a large segment that
    swallows ``g`` whole, but a few voxels of boundary jitter do not. Then

    - ``splits[g]`` = (number of pieces of ``g``) - 1, at least 0;
    - ``merges[g]`` = number of other ground-truth objects that share a piece with ``g``.

    Parameters
    ----------
    seg, gt : (Z, Y, X) or (Y, X) ndarray of int
        Segmentation and ground truth, one shape; 0 is background in both and never counts.
    min_fraction : float, default 0.1
        In (0, 1].
    threads : int, optional
        For the overlap table; default all cores.

    Returns
    -------
    gt_ids : (G,) ndarray, dtype of ``gt``
        The non-zero ground-truth ids, ascending.
    splits, merges : (G,) ndarray of int64

    Examples
    --------
    >>> import numpy as np, nmjcore as nc
    >>> gt =  np.array([[1, 1, 1, 1, 2, 2, 3, 3]])
    >>> seg = np.array([[4, 4, 5, 5, 6, 6, 6, 6]])
    >>> nc.metrics.split_merge_counts(seg, gt)
    (array([1, 2, 3]), array([1, 0, 0]), array([0, 1, 1]))
    """
    min_fraction = as_real(min_fraction, "min_fraction")
    if not 0.0 < min_fraction <= 1.0:
        raise ValueError(f"min_fraction: expected a value in (0, 1], got {min_fraction}")
    ids_gt, ids_seg, counts = contingency(seg, gt, (), threads)
    gt_keys, gt_index = np.unique(ids_gt, return_inverse=True)
    seg_keys, seg_index = np.unique(ids_seg, return_inverse=True)
    gt_size = np.bincount(gt_index, weights=counts)
    seg_size = np.bincount(seg_index, weights=counts)
    piece = ((ids_gt != 0) & (ids_seg != 0)
             & (counts >= min_fraction * np.minimum(gt_size[gt_index], seg_size[seg_index])))
    g, s = gt_index[piece], seg_index[piece]
    n_pieces = np.bincount(g, minlength=gt_keys.size)
    # gt objects sharing a segment: per segment, every pair of its gt objects
    gt_per_seg = np.bincount(s, minlength=seg_keys.size)
    order = np.argsort(s, kind="stable")
    partners = [set() for _ in range(gt_keys.size)]
    start = 0
    for k in gt_per_seg:
        if k > 1:
            members = g[order[start:start + k]]
            for m in members:
                partners[m].update(members)
        start += k
    merges = np.array([max(len(p) - 1, 0) for p in partners], dtype=np.int64)
    foreground = gt_keys != 0
    splits = np.maximum(n_pieces - 1, 0)
    return gt_keys[foreground], splits[foreground].astype(np.int64), merges[foreground]
