"""nmjcore.region_properties against scikit-image regionprops and a NumPy reference."""

import numpy as np
import pytest
import scipy.ndimage as ndi
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from skimage.measure import regionprops

import nmjcore as nc

INTEGER_DTYPES = [np.uint8, np.uint16, np.uint32, np.uint64, np.int8, np.int16, np.int32, np.int64]


def blobs(rng, shape, n_labels=6):
    """Random label image with smooth regions (median-filtered noise)."""
    noisy = rng.integers(0, n_labels, shape).astype(np.int64)
    return ndi.median_filter(noisy, size=3)


def reference(labels, intensity=None):
    """The same table from np.unique and per-axis reductions, in float64/int64."""
    flat = labels.ravel()
    ids, inverse = np.unique(flat[flat != 0], return_inverse=True)
    coords = np.indices(labels.shape).reshape(labels.ndim, -1)[:, flat != 0]
    n = len(ids)
    counts = np.bincount(inverse, minlength=n).astype(np.int64)
    sums = np.stack([np.bincount(inverse, c, minlength=n) for c in coords], 1)
    centroids = sums / counts[:, None]
    lo = np.full((n, labels.ndim), np.iinfo(np.int64).max)
    hi = np.full((n, labels.ndim), -1)
    for axis, c in enumerate(coords):
        np.minimum.at(lo[:, axis], inverse, c)
        np.maximum.at(hi[:, axis], inverse, c + 1)
    mean = None
    if intensity is not None:
        values = intensity.ravel()[flat != 0].astype(np.float64)
        mean = np.bincount(inverse, values, minlength=n) / counts
    return ids, counts, centroids.reshape(n, labels.ndim), np.concatenate([lo, hi], 1), mean


def assert_matches(got, labels, intensity=None):
    ids, counts, centroids, bbox, mean = reference(labels, intensity)
    assert isinstance(got, nc.RegionProperties)
    assert got.ids.dtype == labels.dtype
    np.testing.assert_array_equal(got.ids, ids)
    assert got.counts.dtype == np.int64 and got.bbox.dtype == np.int64
    np.testing.assert_array_equal(got.counts, counts)
    np.testing.assert_array_equal(got.bbox, bbox.reshape(len(ids), 2 * labels.ndim))
    assert got.centroids.dtype == np.float64
    assert got.centroids.shape == (len(ids), labels.ndim)
    np.testing.assert_allclose(got.centroids, centroids, rtol=1e-12)
    if intensity is None:
        assert got.mean_intensity is None
    else:
        assert got.mean_intensity.dtype == np.float64
        np.testing.assert_allclose(got.mean_intensity, mean, rtol=1e-9)


@pytest.mark.parametrize("shape", [(64, 80), (9, 31, 47), (1, 50), (50, 1), (1, 1, 30)])
def test_matches_skimage(rng, shape):
    labels = blobs(rng, shape).astype(np.int32)
    intensity = rng.random(shape).astype(np.float32)
    got = nc.region_properties(labels, intensity)
    want = regionprops(labels, intensity_image=intensity)
    np.testing.assert_array_equal(got.ids, [r.label for r in want])
    np.testing.assert_array_equal(got.counts, [r.area for r in want])
    np.testing.assert_allclose(got.centroids, [r.centroid for r in want], rtol=1e-12)
    np.testing.assert_array_equal(got.bbox, [r.bbox for r in want])
    np.testing.assert_allclose(got.mean_intensity, [r.intensity_mean for r in want], rtol=1e-6)


@pytest.mark.parametrize("dtype", INTEGER_DTYPES)
@pytest.mark.parametrize("intensity_dtype", [None, np.bool_, np.uint8, np.uint16, np.int32,
                                             np.int64, np.float32, np.float64])
def test_every_dtype(rng, dtype, intensity_dtype):
    labels = blobs(rng, (20, 33)).astype(dtype)
    intensity = None
    if intensity_dtype is not None:
        intensity = rng.integers(0, 100, labels.shape).astype(intensity_dtype)
    assert_matches(nc.region_properties(labels, intensity), labels, intensity)


@pytest.mark.parametrize("dtype", [np.uint32, np.uint64, np.int32, np.int64])
def test_huge_sparse_and_negative_ids(rng, dtype):
    info = np.iinfo(dtype)
    values = np.array([0, info.max, info.max - 1, 1, info.min, 12345, info.min + 7], dtype)
    labels = values[blobs(rng, (7, 40, 50), n_labels=len(values))]
    assert_matches(nc.region_properties(labels, labels.astype(np.float64)), labels,
                   labels.astype(np.float64))


def test_many_labels_grow_the_table(rng):
    labels = rng.permutation(np.arange(200 * 300, dtype=np.uint64) * 2654435761).reshape(200, 300)
    assert_matches(nc.region_properties(labels), labels)


def test_edge_cases():
    empty = nc.region_properties(np.zeros((0, 5), np.uint16), np.zeros((0, 5)))
    assert empty.ids.dtype == np.uint16 and empty.ids.shape == (0,)
    assert empty.centroids.shape == (0, 2) and empty.bbox.shape == (0, 4)
    assert empty.mean_intensity.shape == (0,)
    background = nc.region_properties(np.zeros((3, 4, 5), np.int8))
    assert background.ids.shape == (0,) and background.bbox.shape == (0, 6)
    one = nc.region_properties(np.array([[5]], np.uint8), np.array([[2.5]]))
    np.testing.assert_array_equal(one.bbox, [[0, 0, 1, 1]])
    np.testing.assert_array_equal(one.mean_intensity, [2.5])
    full = np.full((4, 6, 7), 3, np.uint32)
    assert_matches(nc.region_properties(full, full), full, full)
    mask = np.zeros((5, 5), bool)
    mask[1:3, 2:5] = True
    props = nc.region_properties(mask)
    assert props.ids.dtype == np.bool_ and props.ids.tolist() == [True]
    np.testing.assert_array_equal(props.bbox, [[1, 2, 3, 5]])


def test_nan_intensity_gives_nan_mean():
    labels = np.array([[1, 1, 2]], np.uint8)
    mean = nc.region_properties(labels, np.array([[np.nan, 1.0, 2.0]])).mean_intensity
    assert np.isnan(mean[0]) and mean[1] == 2.0


def test_non_contiguous_and_fortran(rng):
    labels = blobs(rng, (6, 40, 60)).astype(np.uint16)
    intensity = rng.random(labels.shape)
    view = labels[:, ::2, 1::3]
    assert_matches(nc.region_properties(view, intensity[:, ::2, 1::3]), view,
                   intensity[:, ::2, 1::3])
    fortran = np.asfortranarray(labels)
    assert_matches(nc.region_properties(fortran, np.asfortranarray(intensity)), labels,
                   intensity)
    swapped = labels.astype(labels.dtype.newbyteorder(">"))
    assert_matches(nc.region_properties(swapped, intensity.astype(">f8")), labels, intensity)


def test_threads_agree_and_input_untouched(rng):
    labels = blobs(rng, (12, 96, 80), n_labels=40).astype(np.uint32)
    integer = rng.integers(0, 60000, labels.shape).astype(np.uint16)
    floats = rng.random(labels.shape).astype(np.float32)
    before = labels.copy()
    one = nc.region_properties(labels, integer, threads=1)
    for threads in (2, 3, 7):
        many = nc.region_properties(labels, integer, threads=threads)
        for a, b in zip(one, many):
            np.testing.assert_array_equal(a, b)
        float_one = nc.region_properties(labels, floats, threads=1).mean_intensity
        float_many = nc.region_properties(labels, floats, threads=threads).mean_intensity
        np.testing.assert_allclose(float_one, float_many, rtol=1e-12)
    again = nc.region_properties(labels, floats, threads=3).mean_intensity
    repeat = nc.region_properties(labels, floats, threads=3).mean_intensity
    np.testing.assert_array_equal(again, repeat)
    np.testing.assert_array_equal(labels, before)


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"labels": np.zeros((4, 4), np.float32)}, TypeError, "labels"),
        ({"labels": np.zeros(4, np.uint8)}, ValueError, "labels"),
        ({"labels": np.zeros((2, 2, 2, 2), np.uint8)}, ValueError, "labels"),
        ({"labels": "labels"}, TypeError, "labels"),
        ({"labels": np.zeros((4, 4), np.uint8), "intensity": np.zeros((4, 5))}, ValueError,
         "intensity"),
        ({"labels": np.zeros((4, 4), np.uint8), "intensity": np.zeros((4, 4), complex)},
         TypeError, "intensity"),
        ({"labels": np.zeros((4, 4), np.uint8), "intensity": "bright"}, TypeError, "intensity"),
        ({"labels": np.zeros((4, 4), np.uint8), "threads": 0}, ValueError, "threads"),
    ],
)
def test_bad_input(kwargs, error, words):
    with pytest.raises(error, match=words):
        nc.region_properties(**kwargs)


@settings(max_examples=60, deadline=None)
@given(
    labels=hnp.arrays(
        np.int16,
        st.one_of(hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=12),
                  hnp.array_shapes(min_dims=3, max_dims=3, min_side=1, max_side=6)),
        elements=st.sampled_from([0, 0, 1, 2, -3, 32767, -32768]),
    ),
    threads=st.integers(1, 4),
)
def test_property_matches_reference(labels, threads):
    intensity = np.arange(labels.size, dtype=np.float64).reshape(labels.shape)
    assert_matches(nc.region_properties(labels, intensity, threads=threads), labels, intensity)
