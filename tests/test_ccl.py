"""nmjcore.connected_components against cc3d and scipy.ndimage.label."""

import cc3d
import numpy as np
import pytest
import scipy.ndimage as ndi
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nmjcore as nc
from nmjcore import _core

INTEGER_DTYPES = [np.uint8, np.uint16, np.uint32, np.uint64, np.int8, np.int16, np.int32, np.int64]
CONNECTIVITIES = [(2, 4), (2, 8), (3, 6), (3, 18), (3, 26)]
SCIPY_RANK = {4: 1, 8: 2, 6: 1, 18: 2, 26: 3}  # neighbours within this many unit steps


def blobs(rng, shape, n_labels):
    """Random label image with smooth regions (median-filtered noise): long runs, big parts."""
    return ndi.median_filter(rng.integers(0, n_labels, shape), size=3)


def assert_partition(got, want):
    """Same background and the same components, up to relabelling."""
    assert got.shape == want.shape
    g, w = got.ravel().astype(np.int64), want.ravel().astype(np.int64)
    np.testing.assert_array_equal(g == 0, w == 0)
    pairs = np.unique(np.stack([g, w]), axis=1)
    assert pairs.shape[1] == len(np.unique(g)) == len(np.unique(w))


def assert_raster_order(labels, n):
    """Ids are exactly 1..n, numbered in the C order of each component's first voxel."""
    ids, first = np.unique(labels.ravel(), return_index=True)
    ids, first = ids[ids != 0], first[ids != 0]
    np.testing.assert_array_equal(ids, np.arange(1, n + 1))
    assert np.all(np.diff(first) > 0)


def sliced(image, connectivity, threads):
    """The kernel with one slab per thread however small the image, so seams get exercised."""
    image = np.ascontiguousarray(image)
    if image.dtype == np.bool_:
        image = image.view(np.uint8)
    return _core.ccl(image, connectivity, True, threads, min_slab_voxels=1)


def check(image, connectivity, **kw):
    """Labels of image, checked against cc3d; returns them."""
    labels, n = nc.connected_components(image, connectivity, **kw)
    assert labels.dtype == np.uint32 and labels.shape == np.shape(image)
    want, n_want = cc3d.connected_components(np.ascontiguousarray(image),
                                              connectivity=connectivity, return_N=True)
    assert n == n_want
    assert_partition(labels, want)
    assert_raster_order(labels, n)
    return labels


@pytest.mark.parametrize("ndim, connectivity", CONNECTIVITIES)
@pytest.mark.parametrize("n_labels", [2, 5])
@pytest.mark.parametrize("smooth", [False, True])
def test_matches_cc3d(rng, ndim, connectivity, n_labels, smooth):
    shape = (45, 67) if ndim == 2 else (9, 21, 33)
    image = blobs(rng, shape, n_labels) if smooth else rng.integers(0, n_labels, shape)
    check(image.astype(np.uint16), connectivity)


@pytest.mark.parametrize("ndim, connectivity", CONNECTIVITIES)
def test_binary_matches_scipy_label(rng, ndim, connectivity):
    shape = (70, 55) if ndim == 2 else (10, 24, 30)
    mask = rng.random(shape) < 0.45
    labels, n = nc.connected_components(mask, connectivity)
    want, n_want = ndi.label(mask, ndi.generate_binary_structure(ndim, SCIPY_RANK[connectivity]))
    assert n == n_want
    assert_partition(labels, want)  # scipy numbers in raster order too
    np.testing.assert_array_equal(labels, want)


def test_connectivities_differ_where_they_should():
    diagonal = np.eye(4, dtype=bool)
    assert nc.connected_components(diagonal, 4)[1] == 4
    assert nc.connected_components(diagonal, 8)[1] == 1
    edge = np.zeros((2, 2, 2), bool)
    edge[0, 0, 0] = edge[0, 1, 1] = True  # share an edge
    corner = np.zeros((2, 2, 2), bool)
    corner[0, 0, 0] = corner[1, 1, 1] = True  # share a corner
    assert [nc.connected_components(edge, c)[1] for c in (6, 18, 26)] == [2, 1, 1]
    assert [nc.connected_components(corner, c)[1] for c in (6, 18, 26)] == [2, 2, 1]


def test_touching_labels_stay_apart():
    image = np.array([[1, 1, 2, 2],
                      [3, 1, 2, 0],
                      [3, 3, 0, 2]], np.int32)
    labels, n = nc.connected_components(image, 4)
    np.testing.assert_array_equal(labels, [[1, 1, 2, 2],
                                           [3, 1, 2, 0],
                                           [3, 3, 0, 4]])
    assert n == 4
    assert nc.connected_components(image, 8)[1] == 3


def test_default_is_full_connectivity(rng):
    image2 = rng.integers(0, 3, (30, 40))
    image3 = rng.integers(0, 3, (6, 20, 20))
    np.testing.assert_array_equal(nc.connected_components(image2)[0],
                                  nc.connected_components(image2, 8)[0])
    np.testing.assert_array_equal(nc.connected_components(image3)[0],
                                  nc.connected_components(image3, 26)[0])


@pytest.mark.parametrize("dtype", INTEGER_DTYPES + [np.bool_])
def test_every_integer_dtype(rng, dtype):
    values = rng.integers(0, 2 if dtype == np.bool_ else 4, (7, 19, 23))
    image = values.astype(dtype)
    labels = check(image, 26)
    np.testing.assert_array_equal(labels, nc.connected_components(values, 26)[0])


@pytest.mark.parametrize("dtype", INTEGER_DTYPES)
def test_extreme_label_values(rng, dtype):
    info = np.iinfo(dtype)
    palette = np.array([0, info.max, info.max - 1, info.min if info.min < 0 else 1, -1 if info.min
                        else 2], dtype=dtype)
    image = palette[blobs(rng, (8, 20, 20), len(palette))]
    check(image, 6)
    check(image[3], 8)


@pytest.mark.parametrize("ndim, connectivity", CONNECTIVITIES)
def test_edge_cases(ndim, connectivity):
    shape = (5, 6) if ndim == 2 else (3, 5, 6)
    empty = np.zeros(shape, np.uint8)
    labels, n, counts = nc.connected_components(empty, connectivity, return_counts=True)
    assert n == 0 and not labels.any() and counts.tolist() == [empty.size]
    full = np.full(shape, 7, np.int16)
    labels, n, counts = nc.connected_components(full, connectivity, return_counts=True)
    assert n == 1 and (labels == 1).all() and counts.tolist() == [0, full.size]
    single = np.zeros(shape, bool)
    single[(1,) * ndim] = True
    labels, n = nc.connected_components(single, connectivity)
    assert n == 1 and labels.sum() == 1 and labels[(1,) * ndim] == 1


@pytest.mark.parametrize("shape, connectivity", [
    ((1, 50), 4), ((1, 50), 8), ((50, 1), 4), ((50, 1), 8), ((1, 1), 8),
    ((1, 1, 40), 26), ((40, 1, 1), 6), ((1, 40, 1), 18), ((1, 12, 13), 26), ((12, 1, 13), 18),
])
def test_thin_shapes(rng, shape, connectivity):
    check(rng.integers(0, 3, shape).astype(np.uint8), connectivity)


@pytest.mark.parametrize("shape", [(0, 5), (3, 0, 4), (0, 0)])
def test_zero_size(shape):
    labels, n, counts = nc.connected_components(np.zeros(shape, np.uint8), return_counts=True)
    assert labels.shape == shape and labels.dtype == np.uint32 and n == 0
    assert counts.tolist() == [0]


@pytest.mark.parametrize("ndim, connectivity", CONNECTIVITIES)
def test_fortran_and_strided_views(rng, ndim, connectivity):
    base = blobs(rng, (24, 60, 70)[-ndim:], 4).astype(np.int32)
    views = [np.asfortranarray(base), base[::2, 1::3], base[::-1], base.T]
    if ndim == 3:
        views.append(base[:, ::-2, 5:50:2])
    for view in views:
        labels = check(view, connectivity)
        np.testing.assert_array_equal(labels,
                                      nc.connected_components(view.copy(), connectivity)[0])


@pytest.mark.parametrize("ndim, connectivity", CONNECTIVITIES)
def test_counts_equal_bincount(rng, ndim, connectivity):
    image = blobs(rng, (80, 90) if ndim == 2 else (8, 30, 40), 4)
    labels, n, counts = nc.connected_components(image, connectivity, return_counts=True)
    assert counts.dtype == np.int64
    np.testing.assert_array_equal(counts, np.bincount(labels.ravel(), minlength=n + 1))
    assert len(counts) == n + 1


@pytest.mark.parametrize("ndim, connectivity", CONNECTIVITIES)
@pytest.mark.parametrize("smooth", [False, True])
def test_threads_agree(rng, ndim, connectivity, smooth):
    """Slabs are cut along the outermost axis: components must be joined across the seams."""
    shape = (300, 120) if ndim == 2 else (23, 40, 50)
    image = blobs(rng, shape, 3) if smooth else (rng.random(shape) < 0.4).astype(np.uint8)
    one, n1, c1 = nc.connected_components(image, connectivity, return_counts=True, threads=1)
    for threads in (2, 3, 7):
        many, n, c = sliced(image, connectivity, threads)
        assert n == n1
        np.testing.assert_array_equal(many, one)
        np.testing.assert_array_equal(c, c1)


def test_threads_agree_on_a_volume_big_enough_to_split(rng):
    image = blobs(rng, (66, 128, 256), 3).astype(np.uint8)  # two slabs' worth of voxels
    one = nc.connected_components(image, 26, threads=1)[0]
    np.testing.assert_array_equal(check(image, 26, threads=2), one)
    np.testing.assert_array_equal(check(image, 6, threads=3), nc.connected_components(image, 6)[0])


def test_join_in_the_last_slab():
    """Two rods through every plane, joined only in the last one: one component across seams."""
    image = np.zeros((64, 9, 9), np.uint8)
    image[:, 1, 1] = image[:, 7, 7] = 1
    image[-1, 1:8, 1] = image[-1, 7, 1:8] = 1
    image[::2, 4, 4] = 2  # 32 separate dots of another value
    labels, n, _ = sliced(image, 26, 4)
    assert n == 33
    assert len(np.unique(labels[image == 1])) == 1
    np.testing.assert_array_equal(labels, check(image, 26))


def test_phantom_axons(rng):
    ph = nc.synth.phantom((12, 96, 96), n_axons=6, seed=3)
    check(ph.axons, 26, threads=2)
    check(ph.axons != 0, 6, threads=2)
    check(ph.axons[5], 4)


def test_input_unchanged(rng):
    image = blobs(rng, (6, 20, 20), 3)
    before = image.copy()
    nc.connected_components(image, 6, return_counts=True)
    np.testing.assert_array_equal(image, before)


@pytest.mark.parametrize("image, kwargs, error, words", [
    (np.zeros(5, np.uint8), {}, ValueError, "image: expected a 2D or 3D"),
    (np.zeros((2, 2, 2, 2), np.uint8), {}, ValueError, "image: expected a 2D or 3D"),
    (np.zeros((4, 4), np.float32), {}, TypeError, "image: expected a bool or integer"),
    (np.zeros((4, 4), complex), {}, TypeError, "image: expected a bool or integer"),
    (np.zeros((4, 4), object), {}, TypeError, "image: expected a bool or integer"),
    ("not an image", {}, TypeError, "image"),
    (np.zeros((4, 4), np.uint8), {"connectivity": 6}, ValueError, "connectivity"),
    (np.zeros((4, 4), np.uint8), {"connectivity": 26}, ValueError, "connectivity"),
    (np.zeros((2, 4, 4), np.uint8), {"connectivity": 8}, ValueError, "connectivity"),
    (np.zeros((2, 4, 4), np.uint8), {"connectivity": 1}, ValueError, "connectivity"),
    (np.zeros((4, 4), np.uint8), {"connectivity": 8.0}, TypeError, "connectivity"),
    (np.zeros((4, 4), np.uint8), {"connectivity": True}, TypeError, "connectivity"),
    (np.zeros((4, 4), np.uint8), {"connectivity": "8"}, TypeError, "connectivity"),
    (np.zeros((4, 4), np.uint8), {"threads": 0}, ValueError, "threads"),
    (np.zeros((4, 4), np.uint8), {"threads": 1.5}, TypeError, "threads"),
])
def test_bad_input(image, kwargs, error, words):
    with pytest.raises(error, match=words):
        nc.connected_components(image, **kwargs)


def test_binding_guards_its_buffer():
    from nmjcore import _core

    with pytest.raises(ValueError, match="C-contiguous"):
        _core.ccl(np.zeros((4, 6), np.uint8)[:, ::2], 4, False, 1)
    with pytest.raises(ValueError, match="connectivity"):
        _core.ccl(np.zeros((4, 6), np.uint8), 6, False, 1)


@st.composite
def small_images(draw):
    ndim = draw(st.sampled_from([2, 3]))
    shape = draw(hnp.array_shapes(min_dims=ndim, max_dims=ndim, min_side=1, max_side=9))
    n_values = draw(st.integers(1, 4))
    image = draw(hnp.arrays(np.int16, shape, elements=st.integers(0, n_values)))
    connectivity = draw(st.sampled_from((4, 8) if ndim == 2 else (6, 18, 26)))
    return image, connectivity


@settings(max_examples=150, deadline=None)
@given(small_images(), st.integers(1, 3))
def test_property_matches_cc3d(case, threads):
    image, connectivity = case
    labels = check(image, connectivity)
    labels2, n, counts = sliced(image, connectivity, threads)
    np.testing.assert_array_equal(labels2, labels)
    np.testing.assert_array_equal(counts, np.bincount(labels.ravel(), minlength=n + 1))
    # every component holds one value and is non-empty
    for k in range(1, n + 1):
        assert len(np.unique(image[labels == k])) == 1
