"""nmjcore.segment: one segment per true cross-section from ground-truth masks."""

import numpy as np
import pytest
from conftest import shared_volume

import nmjcore as nc
from nmjcore.segment import segment_section, segment_stack


def discs(shape, centres, radius):
    yy, xx = np.mgrid[: shape[0], : shape[1]]
    truth = np.zeros(shape, np.uint32)
    for i, (y, x) in enumerate(centres, 1):
        truth[(yy - y) ** 2 + (xx - x) ** 2 < radius**2] = i
    return truth


def split_merge_totals(labels, truth):
    """(splits, merges, true segments, found segments) of one section; one shared pixel counts."""
    ids, splits, merges = nc.metrics.split_merge_counts(labels, truth, min_fraction=1e-9)
    return splits.sum(), merges.sum(), len(ids), len(np.unique(labels[labels != 0]))


def test_touching_discs_are_split():
    truth = discs((60, 120), [(30, 25), (30, 56), (30, 87)], 16)  # overlapping: one blob
    labels = segment_section((truth > 0).astype(np.float32))
    assert labels.dtype == np.uint32
    assert split_merge_totals(labels, truth)[:2] == (0, 0)
    np.testing.assert_array_equal(labels > 0, truth > 0)


def test_elongated_cell_stays_one_segment():
    mask = np.zeros((40, 200), bool)
    mask[10:30, 10:190] = True
    mask[14:26, 60:140] = True
    labels = segment_section(mask)
    assert labels.max() == 1


def test_inputs_and_thresholds():
    truth = discs((50, 50), [(25, 25)], 12)
    prob = np.where(truth > 0, 0.9, 0.1).astype(np.float32)
    for image in (prob, (prob * 255).astype(np.uint8), truth > 0, prob.astype(np.float64)):
        np.testing.assert_array_equal(segment_section(image) > 0, truth > 0)
    membrane = 1 - prob
    np.testing.assert_array_equal(segment_section(membrane, foreground="low") > 0, truth > 0)
    assert not segment_section(np.zeros((20, 20), np.float32)).any()
    smoothed = segment_section(prob, bilateral=(5, 0.3, 2.0), erosion=1, dilation=1)
    assert smoothed.max() == 1


def test_thin_component_without_seed_is_kept():
    mask = np.zeros((20, 40), bool)
    mask[5, 2:30] = True  # one pixel wide: distance 1, below the seed threshold
    mask[10:18, 5:15] = True
    labels = segment_section(mask)
    assert labels.max() == 2 and (labels[5, 2:30] > 0).all()


def test_phantom_ground_truth_split_merge():
    ph = nc.synth.phantom((2, 512, 512), n_axons=60, seed=4)
    totals = np.zeros(4, int)
    for z in range(2):
        labels = segment_section(ph.axons[z] > 0)
        totals += np.array(split_merge_totals(labels, ph.axons[z]))
    splits, merges, n_true, _ = totals
    # measured: 0 splits, 0 merges of 120 axon sections with the defaults
    assert splits <= 0.02 * n_true and merges <= 0.02 * n_true


@pytest.mark.shared_data
@pytest.mark.parametrize("name, sections", [("isbi2012.h5", 2), ("vnc_stack1.h5", 1)])
def test_real_ground_truth_split_merge(name, sections):
    masks = shared_volume(name, "membrane")[:sections] == 0
    labels = segment_stack(masks, threads=2)
    totals = np.zeros(4, int)
    for z in range(sections):
        truth = nc.connected_components(masks[z], 4)[0]
        totals += np.array(split_merge_totals(labels[z], truth))
    splits, merges, n_true, _ = totals
    assert merges == 0  # the cells are separate components: the watershed never joins them
    # measured: ISBI 8 splits of 266 cells in 2 sections, VNC 3 of 243 in 1
    assert splits <= 0.05 * n_true


def test_stack_matches_sections_and_threads():
    ph = nc.synth.phantom((5, 128, 128), n_axons=12, seed=5)
    masks = ph.axons > 0
    want = np.stack([segment_section(m) for m in masks])
    np.testing.assert_array_equal(segment_stack(masks, threads=1), want)
    np.testing.assert_array_equal(segment_stack(masks, threads=3, progress=True), want)
    out = np.zeros(masks.shape, np.uint32)
    assert segment_stack(masks, out=out) is out
    np.testing.assert_array_equal(out, want)
    volume = nc.io.open_volume(masks.astype(np.uint8) * 255)  # uint8 probabilities
    np.testing.assert_array_equal(segment_stack(volume, threshold=0.5), want)


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"prob": np.zeros((4, 4, 4), np.float32)}, ValueError, "prob"),
        ({"prob": np.zeros((4, 4), np.int32)}, TypeError, "prob"),
        ({"prob": np.full((4, 4), np.nan, np.float32)}, ValueError, "prob"),
        ({"threshold": 2.0}, ValueError, "threshold"),
        ({"foreground": "up"}, ValueError, "foreground"),
        ({"bilateral": (5, 0.1)}, ValueError, "bilateral"),
        ({"erosion": -1}, ValueError, "erosion"),
        ({"merge_saddle": -0.5}, ValueError, "merge_saddle"),
    ],
)
def test_bad_input(kwargs, error, words):
    args = {"prob": np.ones((4, 4), np.float32)}
    args.update(kwargs)
    with pytest.raises(error, match=words):
        segment_section(**args)


def test_stack_bad_input():
    with pytest.raises(ValueError, match="probs"):
        segment_stack(np.zeros((4, 4), np.float32))
    with pytest.raises(ValueError, match="out"):
        segment_stack(np.zeros((2, 4, 4), np.float32), out=np.zeros((2, 4, 5), np.uint32))
