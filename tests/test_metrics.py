"""nmjcore.metrics against skimage.metrics and hand-built cases."""

import numpy as np
import pytest
import scipy.ndimage as ndi
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from skimage.metrics import adapted_rand_error as sk_are
from skimage.metrics import variation_of_information as sk_voi

import nmjcore as nc
from nmjcore import metrics


def blobs(rng, shape, n_labels):
    noisy = rng.integers(0, n_labels, shape).astype(np.uint32)
    return ndi.median_filter(noisy, size=3)


# ---- masks -------------------------------------------------------------------------------

def test_dice_iou_against_counts(rng):
    a = rng.random((30, 40)) < 0.4
    b = rng.random((30, 40)) < 0.6
    inter, union = np.count_nonzero(a & b), np.count_nonzero(a | b)
    assert metrics.dice(a, b) == pytest.approx(2 * inter / (a.sum() + b.sum()))
    assert metrics.iou(a, b) == pytest.approx(inter / union)
    dice, iou = metrics.dice(a, b), metrics.iou(a, b)
    assert dice == pytest.approx(2 * iou / (1 + iou))  # the identity between the two


def test_dice_iou_edge_cases():
    empty = np.zeros((4, 4), bool)
    full = np.ones((4, 4), np.uint16) * 7
    assert metrics.dice(empty, empty) == 1.0 and metrics.iou(empty, empty) == 1.0
    assert metrics.dice(empty, full) == 0.0 and metrics.iou(full, empty) == 0.0
    assert metrics.dice(full, full) == 1.0 and metrics.iou(full, full > 0) == 1.0
    with pytest.raises(ValueError, match="a, b: expected arrays of one shape"):
        metrics.dice(empty, np.zeros((4, 5), bool))
    with pytest.raises(TypeError, match="a: expected a bool or integer"):
        metrics.iou(np.zeros((4, 4)), empty)


# ---- VOI and adapted Rand error ------------------------------------------------------------

@pytest.mark.parametrize("shape", [(40, 50), (6, 20, 30), (1, 30)])
@pytest.mark.parametrize("labels", [(2, 2), (5, 9), (30, 4)])
def test_voi_matches_skimage(rng, shape, labels):
    gt = blobs(rng, shape, labels[0])
    seg = blobs(rng, shape, labels[1])
    split, merge = metrics.voi(seg, gt)
    want = sk_voi(gt, seg)  # [false splits, false merges]
    assert split == pytest.approx(want[0], abs=1e-10)
    assert merge == pytest.approx(want[1], abs=1e-10)
    ignored = metrics.voi(seg, gt, ignore_labels=(0,))
    want = sk_voi(gt, seg, ignore_labels=(0,))
    assert ignored == pytest.approx(tuple(want), abs=1e-10)


@pytest.mark.parametrize("shape", [(40, 50), (6, 20, 30)])
@pytest.mark.parametrize("labels", [(2, 2), (5, 9), (30, 4)])
def test_adapted_rand_error_matches_skimage(rng, shape, labels):
    gt = blobs(rng, shape, labels[0])
    seg = blobs(rng, shape, labels[1])
    error, precision, recall = metrics.adapted_rand_error(seg, gt, return_precision_recall=True)
    are, prec, rec = sk_are(gt, seg)
    assert error == pytest.approx(are, abs=1e-12)
    # skimage's "prec" is divided by ground truth's pairs, its "rec" by the segmentation's
    assert precision == pytest.approx(rec, abs=1e-12)
    assert recall == pytest.approx(prec, abs=1e-12)
    assert metrics.adapted_rand_error(seg, gt) == error
    for alpha in (0.0, 0.3, 1.0):
        assert metrics.adapted_rand_error(seg, gt, alpha=alpha) == pytest.approx(
            sk_are(gt, seg, alpha=alpha)[0], abs=1e-12)
    assert metrics.adapted_rand_error(seg, gt, ignore_labels=()) == pytest.approx(
        sk_are(gt, seg, ignore_labels=())[0], abs=1e-12)


def test_perfect_and_relabelled(rng):
    gt = blobs(rng, (5, 30, 30), 6)
    perm = rng.permutation(np.arange(1, 7)).astype(np.uint64)
    seg = np.where(gt > 0, perm[np.maximum(gt, 1) - 1] * np.uint64(2**40), 0).astype(np.uint64)
    assert metrics.voi(seg, gt) == (0.0, 0.0)
    assert metrics.adapted_rand_error(seg, gt) == pytest.approx(0.0, abs=1e-15)


def test_huge_ids_same_scores(rng):
    gt = blobs(rng, (30, 40), 5)
    seg = blobs(rng, (30, 40), 7)
    shifted = seg.astype(np.uint64) * np.uint64(2**50) + np.uint64(12345)
    assert metrics.voi(shifted, gt) == pytest.approx(metrics.voi(seg, gt))
    assert metrics.adapted_rand_error(shifted, gt) == pytest.approx(
        metrics.adapted_rand_error(seg, gt))


def test_voi_split_and_merge_by_hand():
    gt = np.array([[1, 1, 1, 1]])
    halves = np.array([[1, 1, 2, 2]])
    assert metrics.voi(halves, gt) == (1.0, 0.0)  # one bit to tell the halves apart
    assert metrics.voi(gt, halves) == (0.0, 1.0)


def test_partition_bad_input():
    with pytest.raises(ValueError, match="seg, gt: expected arrays of one shape"):
        metrics.voi(np.zeros((2, 2), int), np.zeros((2, 3), int))
    with pytest.raises(ValueError, match="alpha"):
        metrics.adapted_rand_error(np.zeros((2, 2), int), np.zeros((2, 2), int), alpha=2)
    with pytest.raises(TypeError, match="seg: expected a bool or integer"):
        metrics.voi(np.zeros((2, 2)), np.zeros((2, 2), int))


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.uint8, hnp.array_shapes(min_dims=2, max_dims=3, min_side=2, max_side=6),
                  elements=st.integers(0, 4)), st.data())
def test_hypothesis_against_skimage(gt, data):
    seg = data.draw(hnp.arrays(np.uint16, gt.shape, elements=st.integers(0, 5)))
    assert metrics.voi(seg, gt) == pytest.approx(tuple(sk_voi(gt, seg)), abs=1e-9)
    if np.count_nonzero(gt) > 1:
        with np.errstate(invalid="ignore", divide="ignore"):
            want = sk_are(gt, seg)[0]
        if np.isfinite(want):
            assert metrics.adapted_rand_error(seg, gt) == pytest.approx(want, abs=1e-9)


# ---- split / merge counts ------------------------------------------------------------------

def test_split_merge_counts_by_hand():
    gt = np.zeros((1, 80), np.uint32)
    gt[0, 0:20], gt[0, 20:40], gt[0, 40:60], gt[0, 60:80] = 1, 2, 3, 4
    seg = np.zeros_like(gt)
    seg[0, 0:10], seg[0, 10:20] = 10, 11          # axon 1 split in two
    seg[0, 20:60] = 12                            # axons 2 and 3 merged
    seg[0, 59:80] = 13                            # axon 4, one voxel of jitter into axon 3
    ids, splits, merges = metrics.split_merge_counts(seg, gt)
    assert ids.tolist() == [1, 2, 3, 4]
    assert splits.tolist() == [1, 0, 0, 0]        # 1 voxel < 0.1 * 20: jitter, not a piece
    assert merges.tolist() == [0, 1, 1, 0]
    # fully-inside rule: the halves still count, the merged segment misses a voxel of axon 3
    strict = metrics.split_merge_counts(seg, gt, min_fraction=1.0)
    assert strict[1].tolist() == [1, 0, 0, 0] and strict[2].tolist() == [0, 0, 0, 0]
    seg[0, 57:59] = 13                            # 3 voxels of axon 3 now: a piece
    ids, splits, merges = metrics.split_merge_counts(seg, gt)
    assert splits.tolist() == [1, 0, 1, 0]
    assert merges.tolist() == [0, 1, 2, 1]


def test_split_merge_counts_perfect_and_background(rng):
    gt = blobs(rng, (4, 30, 30), 6)
    ids, splits, merges = metrics.split_merge_counts(gt, gt)
    assert ids.tolist() == sorted(set(np.unique(gt).tolist()) - {0})
    assert (splits == 0).all() and (merges == 0).all()
    nothing = metrics.split_merge_counts(np.zeros_like(gt), gt)
    assert (nothing[1] == 0).all() and (nothing[2] == 0).all()  # background is not a piece
    with pytest.raises(ValueError, match="min_fraction"):
        metrics.split_merge_counts(gt, gt, min_fraction=0)


# ---- ERL -----------------------------------------------------------------------------------

def tube(z_len, value=1):
    return np.full((z_len, 3, 3), value, np.uint32)


def test_erl_perfect_is_length_weighted_mean():
    gt = np.zeros((11, 4, 8), np.uint32)
    gt[:, :, :4] = 1          # 10 steps long
    gt[2:7, :, 4:] = 2        # 4 steps long
    sampling = (40.0, 4.0, 4.0)
    lengths = np.array([10 * 40.0, 4 * 40.0])
    want = (lengths ** 2).sum() / lengths.sum()
    assert metrics.erl(gt, gt, sampling) == pytest.approx(want)
    relabelled = np.where(gt == 1, 7, np.where(gt == 2, 2**33, 0)).astype(np.uint64)
    assert metrics.erl(relabelled, gt, sampling) == pytest.approx(want)
    assert metrics.erl(gt, gt, 40.0) == pytest.approx(want)


def test_erl_split_cuts_the_run():
    gt = tube(7)
    seg = tube(7)
    seg[4:] = 2                                   # id changes between z=3 and z=4
    # runs: z0..z3 (3 steps), z4..z6 (2 steps); the step 3->4 belongs to no run
    assert metrics.erl(seg, gt, 1.0) == pytest.approx((3 ** 2 + 2 ** 2) / 6)


def test_erl_merge_zeroes_every_step_of_the_merged_segment():
    gt = np.zeros((6, 3, 6), np.uint32)
    gt[:, :, :3] = 1
    gt[:, :, 3:] = 2
    seg = gt.copy()
    seg[:, :, 3:] = 1                             # one segment covers both axons
    assert metrics.erl(seg, gt, 2.0) == 0.0
    seg[:3, :, 3:] = 5                            # axon 2 has its own segment at z0..z2 only
    # axon 2: run z0..z2 (2 steps of 2.0); every step in segment 1 is a merge
    assert metrics.erl(seg, gt, 2.0) == pytest.approx(4.0 ** 2 / 20.0)


def test_erl_majority_and_background():
    gt = tube(5)
    seg = tube(5)
    seg[2, 0, :] = 9                              # 3 of 9 voxels: the majority stays 1
    assert metrics.erl(seg, gt, 1.0) == pytest.approx(4.0)
    seg[2] = 0                                    # section 2 lost to background
    assert metrics.erl(seg, gt, 1.0) == pytest.approx((1 + 1) / 4)


def test_erl_bridges_missing_sections():
    gt = tube(6)
    gt[2:4] = 0                                   # axon absent in two bad sections
    seg = gt.copy()
    # steps 0->1, 1->4 (3 sections), 4->5: one run of length 5 * 40
    assert metrics.erl(seg, gt, (40, 4, 4)) == pytest.approx(200.0)
    seg[4:] = 3                                   # id changes across the gap
    assert metrics.erl(seg, gt, (40, 4, 4)) == pytest.approx((40 ** 2 + 40 ** 2) / 200)


def test_erl_degenerate():
    assert metrics.erl(np.zeros((3, 2, 2), int), np.zeros((3, 2, 2), int), 1.0) == 0.0
    assert metrics.erl(tube(1), tube(1), 1.0) == 0.0
    with pytest.raises(ValueError, match="seg: expected a 3D"):
        metrics.erl(np.zeros((2, 2), int), np.zeros((2, 2), int), 1.0)
    with pytest.raises(ValueError, match="sampling"):
        metrics.erl(tube(3), tube(3), (-1, 1, 1))


def test_erl_threads_agree(rng):
    gt = blobs(rng, (8, 40, 40), 6)
    seg = blobs(rng, (8, 40, 40), 6)
    assert metrics.erl(seg, gt, 3.0, threads=1) == metrics.erl(seg, gt, 3.0, threads=2)


def test_metrics_on_phantom_relabelled_sections():
    """Each section relabelled on its own (2D ids): VOI sees splits, ERL sees no runs."""
    phantom = nc.synth.phantom((6, 96, 96), n_axons=6, seed=3)
    gt = phantom.axons
    per_section = np.zeros(gt.shape, np.uint64)
    for z in range(gt.shape[0]):
        per_section[z] = np.where(gt[z] > 0, gt[z].astype(np.uint64) + np.uint64(1000 * (z + 1)), 0)
    split, merge = metrics.voi(per_section, gt, ignore_labels=(0,))
    assert split == pytest.approx(sk_voi(gt, per_section, ignore_labels=(0,))[0])
    assert split > 1.0 and merge == pytest.approx(0.0, abs=1e-12)  # ~log2(6): one id per z
    assert metrics.erl(per_section, gt, phantom.sampling) == 0.0
    assert metrics.erl(gt, gt, phantom.sampling) > 0.0
    assert metrics.adapted_rand_error(gt, gt) == pytest.approx(0.0, abs=1e-15)
