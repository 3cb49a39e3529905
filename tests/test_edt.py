"""nmjcore.distance_transform against scipy.ndimage and edt."""

import edt
import numpy as np
import pytest
import scipy.ndimage as ndi
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nmjcore as nc

INTEGER_DTYPES = [np.uint8, np.uint16, np.uint32, np.uint64, np.int8, np.int16, np.int32, np.int64]


def blobs(rng, shape, n_labels=4):
    """Random label image with smooth regions (median-filtered noise)."""
    noisy = rng.integers(0, n_labels, shape).astype(np.uint32)
    return ndi.median_filter(noisy, size=3)


def reference(image, sampling, labels, black_border):
    """Distance to the nearest differing voxel, one scipy EDT per label."""
    ndim = image.ndim
    out = np.zeros(image.shape, dtype=np.float64)
    keys = np.unique(image[image != 0]) if labels else [None]
    for key in keys:
        inside = (image == key) if labels else (image != 0)
        if black_border:
            padded = np.pad(inside, 1)
            dist = ndi.distance_transform_edt(padded, sampling=sampling)[(slice(1, -1),) * ndim]
        elif inside.all():
            dist = np.full(image.shape, np.inf)
        else:
            dist = ndi.distance_transform_edt(inside, sampling=sampling)
        out[inside] = dist[inside]
    return out


def assert_close(got, want):
    assert got.dtype == np.float32
    assert got.shape == want.shape
    np.testing.assert_array_equal(np.isinf(got), np.isinf(want))
    finite = np.isfinite(want)
    np.testing.assert_allclose(got[finite], want[finite], rtol=2e-6, atol=1e-5)


@pytest.mark.parametrize("shape", [(64, 80), (1, 50), (50, 1), (9, 31, 47), (1, 20, 20), (12, 1, 5)])
@pytest.mark.parametrize("anisotropic", [False, True])
def test_binary_matches_scipy(rng, shape, anisotropic):
    image = blobs(rng, shape, n_labels=2)
    image.flat[0] = 0  # scipy needs one background voxel
    sampling = tuple(rng.uniform(0.3, 4.0, len(shape))) if anisotropic else None
    got = nc.distance_transform(image, sampling)
    want = ndi.distance_transform_edt(image != 0, sampling=sampling)
    assert_close(got, want)


@pytest.mark.parametrize("shape", [(64, 80), (9, 31, 47), (3, 64, 64)])
@pytest.mark.parametrize("black_border", [False, True])
def test_multilabel_matches_edt(rng, shape, black_border):
    image = blobs(rng, shape, n_labels=5)
    sampling = tuple(rng.uniform(0.3, 4.0, len(shape)))
    got = nc.distance_transform(image, sampling, labels=True, black_border=black_border)
    want = edt.edt(image, anisotropy=sampling, black_border=black_border)
    assert_close(got, want)


@pytest.mark.parametrize("black_border", [False, True])
@pytest.mark.parametrize("labels", [False, True])
def test_matches_per_label_reference(rng, black_border, labels):
    image = blobs(rng, (6, 17, 23), n_labels=4)
    sampling = (3.0, 1.0, 0.5)
    got = nc.distance_transform(image, sampling, labels=labels, black_border=black_border)
    assert_close(got, reference(image, sampling, labels, black_border))


def test_anisotropic_3d_phantom_like(rng):
    """A (40, 16, 16) nm stack of discs: the sampling the phantom uses."""
    z, y, x = np.mgrid[:8, :64, :64]
    image = ((y - 32) ** 2 + (x - 30 - z) ** 2 < 15**2).astype(np.uint8) * 7
    got = nc.distance_transform(image, (40, 16, 16), black_border=True)
    want = reference(image, (40, 16, 16), False, True)
    assert_close(got, want)


def test_squared(rng):
    image = blobs(rng, (7, 30, 30))
    plain = nc.distance_transform(image, (2, 1, 1), labels=True)
    squared = nc.distance_transform(image, (2, 1, 1), labels=True, squared=True)
    np.testing.assert_allclose(squared, plain.astype(np.float64) ** 2, rtol=1e-5)


@pytest.mark.parametrize("dtype", INTEGER_DTYPES + [np.bool_])
def test_every_dtype(rng, dtype):
    base = blobs(rng, (40, 50), n_labels=3)
    image = base.astype(dtype)
    want = edt.edt(base if dtype is not np.bool_ else base != 0, black_border=True)
    assert_close(nc.distance_transform(image, labels=True, black_border=True), want)


@pytest.mark.parametrize("dtype", [np.uint64, np.int64, np.uint32])
def test_huge_and_negative_ids(dtype):
    info = np.iinfo(dtype)
    image = np.zeros((20, 20), dtype)
    image[2:10, 2:18] = info.max
    image[10:18, 2:18] = info.max - 1 if info.min == 0 else info.min
    got = nc.distance_transform(image, labels=True)
    small = np.zeros((20, 20), np.uint8)
    small[2:10, 2:18] = 1
    small[10:18, 2:18] = 2
    assert_close(got, edt.edt(small))


def test_edge_cases():
    for shape in [(0, 5), (5, 0), (0, 0, 0), (3, 0, 4)]:
        out = nc.distance_transform(np.zeros(shape, np.uint8))
        assert out.shape == shape and out.dtype == np.float32
    assert not nc.distance_transform(np.zeros((4, 6), np.uint8)).any()
    full = np.ones((4, 6), np.uint8)
    assert np.isinf(nc.distance_transform(full)).all()
    assert_close(nc.distance_transform(full, black_border=True), reference(full, (1, 1), False, True))
    one = np.zeros((9, 9, 9), np.uint8)
    one[4, 4, 4] = 1
    got = nc.distance_transform(one, (3, 2, 1))
    assert got[4, 4, 4] == 1.0 and np.count_nonzero(got) == 1
    single = np.ones((1, 1), np.uint8)
    assert np.isinf(nc.distance_transform(single))[0, 0]
    assert nc.distance_transform(single, (2.0, 3.0), black_border=True)[0, 0] == 2.0
    line = np.zeros((15, 15), np.uint8)
    line[7, :] = 1
    line[:, 7] = 1
    assert_close(nc.distance_transform(line), ndi.distance_transform_edt(line))


def test_non_contiguous_and_fortran(rng):
    big = blobs(rng, (20, 60, 90), n_labels=4)
    view = big[::2, 5:50:3, ::-2]
    assert not view.flags.c_contiguous
    assert_close(nc.distance_transform(view, (5, 1, 1), labels=True),
                 edt.edt(np.ascontiguousarray(view), anisotropy=(5, 1, 1)))
    fortran = np.asfortranarray(big)
    assert_close(nc.distance_transform(fortran, labels=True), edt.edt(big))


def test_threads_agree_and_input_untouched(rng):
    image = blobs(rng, (16, 64, 64), n_labels=6)
    before = image.copy()
    one = nc.distance_transform(image, (4, 1, 1), labels=True, threads=1)
    two = nc.distance_transform(image, (4, 1, 1), labels=True, threads=2)
    many = nc.distance_transform(image, (4, 1, 1), labels=True, threads=7)
    np.testing.assert_array_equal(one, two)
    np.testing.assert_array_equal(one, many)
    np.testing.assert_array_equal(image, before)


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"image": np.zeros((4, 4), np.float32)}, TypeError, "image"),
        ({"image": np.zeros(4, np.uint8)}, ValueError, "image"),
        ({"image": np.zeros((2, 2, 2, 2), np.uint8)}, ValueError, "image"),
        ({"image": "mask"}, TypeError, "image"),
        ({"image": np.zeros((4, 4), np.uint8), "sampling": (1.0, np.nan)}, ValueError, "sampling"),
        ({"image": np.zeros((4, 4), np.uint8), "sampling": (1.0, -2.0)}, ValueError, "sampling"),
        ({"image": np.zeros((4, 4), np.uint8), "sampling": (1.0, 0.0)}, ValueError, "sampling"),
        ({"image": np.zeros((4, 4), np.uint8), "sampling": (1.0, 1.0, 1.0)}, ValueError, "sampling"),
        ({"image": np.zeros((4, 4), np.uint8), "threads": 0}, ValueError, "threads"),
        ({"image": np.zeros((4, 4), np.uint8), "threads": 1.5}, TypeError, "threads"),
    ],
)
def test_bad_input(kwargs, error, words):
    with pytest.raises(error, match=words):
        nc.distance_transform(**kwargs)


@settings(max_examples=60, deadline=None)
@given(
    image=hnp.arrays(
        np.uint8,
        st.one_of(hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=12),
                  hnp.array_shapes(min_dims=3, max_dims=3, min_side=1, max_side=6)),
        elements=st.integers(0, 3),
    ),
    data=st.data(),
)
def test_property_matches_reference(image, data):
    sampling = tuple(data.draw(st.floats(0.25, 8.0)) for _ in range(image.ndim))
    labels = data.draw(st.booleans())
    black_border = data.draw(st.booleans())
    got = nc.distance_transform(image, sampling, labels=labels, black_border=black_border)
    assert_close(got, reference(image, sampling, labels, black_border))
