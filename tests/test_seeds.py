"""nmjcore.find_seeds against skimage.feature.peak_local_max."""

import numpy as np
import pytest
import scipy.ndimage as ndi
from conftest import shared_volume
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from skimage.feature import peak_local_max

import nmjcore as nc


def skimage_peaks(distance, min_distance, threshold, labels):
    coords = peak_local_max(distance, min_distance=min_distance, threshold_abs=threshold,
                            labels=labels, exclude_border=False)
    peaks = np.zeros(distance.shape, bool)
    peaks[tuple(coords.T)] = True
    return peaks


def assert_same_peaks(seeds, distance, min_distance, threshold, labels):
    """Every peak_local_max peak lies in a seed, every seed holds one, seeds are plateaus."""
    assert seeds.dtype == np.int32
    peaks = skimage_peaks(distance, min_distance, threshold, labels)
    assert (seeds[peaks] > 0).all()
    ids = np.unique(seeds[seeds > 0])
    np.testing.assert_array_equal(ids, np.arange(1, len(ids) + 1))
    np.testing.assert_array_equal(np.unique(seeds[peaks]), ids)
    for i in ids:  # one plateau: one value, one region, connected
        inside = seeds == i
        assert len(np.unique(distance[inside])) == 1
        if labels is not None:
            assert len(np.unique(labels[inside])) == 1
        assert ndi.label(inside, np.ones((3,) * seeds.ndim))[1] == 1


def blobs(rng, shape):
    mask = ndi.binary_opening(rng.random(shape) > 0.35)
    return mask, ndi.label(mask)[0]


@pytest.mark.parametrize("shape", [(60, 70), (1, 40), (12, 20, 24), (1, 30, 30)])
@pytest.mark.parametrize("min_distance", [1, 2, 3, 5])
@pytest.mark.parametrize("threshold", [0.0, 1.5])
def test_edt_maxima_match_peak_local_max(rng, shape, min_distance, threshold):
    mask, labels = blobs(rng, shape)
    distance = nc.distance_transform(mask)
    for regions in (labels, None):
        seeds = nc.find_seeds(distance, min_distance=min_distance, threshold=threshold,
                              labels=regions)
        assert_same_peaks(seeds, distance, min_distance, threshold, regions)


@pytest.mark.parametrize("min_distance", [1, 2, 4])
def test_distinct_values_give_exactly_the_peaks(rng, min_distance):
    distance = rng.random((50, 60))
    labels = ndi.median_filter(rng.integers(0, 4, distance.shape), 3)
    seeds = nc.find_seeds(distance, min_distance=min_distance, labels=labels)
    np.testing.assert_array_equal(seeds > 0, skimage_peaks(distance, min_distance, 0.0, labels))


def test_plateau_is_one_seed():
    """A ridge longer than min_distance: peak_local_max gives several voxels, here one seed."""
    mask = np.zeros((9, 30), bool)
    mask[2:7, 2:28] = True
    distance = nc.distance_transform(mask)
    assert len(peak_local_max(distance, min_distance=3, exclude_border=False)) > 1
    seeds = nc.find_seeds(distance, min_distance=3)
    assert seeds.max() == 1
    np.testing.assert_array_equal(seeds > 0, distance == distance.max())


def test_flat_regions_follow_peak_local_max(rng):
    distance = np.ones((20, 20))
    labels = np.zeros((20, 20), np.int32)
    labels[2:9, 2:9] = 1  # a flat square: only the voxels an opening removes are peaks
    labels[12, 3:15] = 2  # a flat line: all of it
    seeds = nc.find_seeds(distance, min_distance=1, labels=labels)
    np.testing.assert_array_equal(seeds > 0, skimage_peaks(distance, 1, 0.0, labels))
    assert not nc.find_seeds(distance, min_distance=2).any()  # no labels: no peak


def test_flat_region_one_section_deep():
    """A 3-D input one section deep: peak_local_max's opening cross has z arms there, so it
    erodes the flat region away and every voxel stays a peak (not only the 2-D corners)."""
    distance = np.ones((1, 3, 3))
    labels = np.ones((1, 3, 3), np.int16)
    assert skimage_peaks(distance, 1, 0.0, labels).all()
    seeds = nc.find_seeds(distance, min_distance=1, labels=labels)
    assert_same_peaks(seeds, distance, 1, 0.0, labels)
    np.testing.assert_array_equal(seeds, np.ones((1, 3, 3), np.int32))


def test_core_mode(rng):
    mask, labels = blobs(rng, (60, 70))
    distance = nc.distance_transform(mask)
    seeds = nc.find_seeds(distance, threshold=2.0, labels=labels, mode="core")
    want, n = ndi.label(distance > 2.0)
    assert seeds.max() == n
    np.testing.assert_array_equal(seeds > 0, want > 0)
    for i in range(1, n + 1):
        assert len(np.unique(seeds[want == i])) == 1


def test_huge_ids_and_dtypes(rng):
    mask, labels = blobs(rng, (40, 50))
    distance = nc.distance_transform(mask)
    want = nc.find_seeds(distance, labels=labels)
    huge = (labels.astype(np.uint64) * np.uint64(2**61 - 1)) % np.uint64(2**64 - 59)
    np.testing.assert_array_equal(nc.find_seeds(distance, labels=huge), want)
    np.testing.assert_array_equal(nc.find_seeds(distance.astype(np.float64), labels=labels),
                                  want)
    integer = np.round(distance * 4).astype(np.int32)
    assert_same_peaks(nc.find_seeds(integer, labels=labels), integer.astype(float), 3, 0.0,
                      labels)
    fortran = nc.find_seeds(np.asfortranarray(distance), labels=np.asfortranarray(labels))
    np.testing.assert_array_equal(fortran, want)


def test_edge_cases():
    assert nc.find_seeds(np.zeros((0, 3))).shape == (0, 3)
    assert not nc.find_seeds(np.zeros((5, 5))).any()
    one = np.zeros((5, 5))
    one[2, 3] = 2.0
    assert nc.find_seeds(one).tolist()[2] == [0, 0, 0, 1, 0]


@pytest.mark.shared_data
def test_real_section():
    membrane = shared_volume("isbi2012.h5", "membrane")[0]
    cells = nc.connected_components(membrane == 0, 4)[0]
    distance = nc.distance_transform(membrane == 0)
    seeds = nc.find_seeds(distance, labels=cells)
    assert_same_peaks(seeds, distance, 3, 0.0, cells)


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"distance": np.zeros((4, 4), complex)}, TypeError, "distance"),
        ({"distance": np.zeros(4)}, ValueError, "distance"),
        ({"distance": np.full((4, 4), np.nan)}, ValueError, "NaN"),
        ({"min_distance": 0}, ValueError, "min_distance"),
        ({"min_distance": 2.5}, TypeError, "min_distance"),
        ({"threshold": np.nan}, ValueError, "threshold"),
        ({"labels": np.zeros((4, 5), np.int32)}, ValueError, "labels"),
        ({"labels": np.zeros((4, 4), np.float32)}, TypeError, "labels"),
        ({"mode": "minima"}, ValueError, "mode"),
    ],
)
def test_bad_input(kwargs, error, words):
    args = {"distance": np.zeros((4, 4))}
    args.update(kwargs)
    with pytest.raises(error, match=words):
        nc.find_seeds(**args)


@settings(max_examples=60, deadline=None)
@given(
    distance=hnp.arrays(np.float64, st.one_of(
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=14),
        hnp.array_shapes(min_dims=3, max_dims=3, min_side=1, max_side=6)),
        elements=st.sampled_from([0.0, 1.0, 1.0, 2.0, 2.5, 3.0])),
    data=st.data(),
)
def test_property_matches_peak_local_max(distance, data):
    labels = data.draw(hnp.arrays(np.int16, distance.shape, elements=st.integers(0, 2)))
    min_distance = data.draw(st.integers(1, 3))
    regions = labels if data.draw(st.booleans()) else None
    seeds = nc.find_seeds(distance, min_distance=min_distance, labels=regions)
    assert_same_peaks(seeds, distance, min_distance, 0.0, regions)
