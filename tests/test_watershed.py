"""nmjcore.watershed against skimage.segmentation.watershed, and its flood properties."""

import numpy as np
import pytest
import scipy.ndimage as ndi
from conftest import shared_volume
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from skimage.segmentation import watershed as sk_watershed

import nmjcore as nc


def random_case(rng, shape, levels=8, marker_fraction=0.05, n_labels=6, masked=False):
    elevation = rng.integers(0, levels, shape).astype(np.uint8 if levels <= 256 else np.uint16)
    markers = np.zeros(shape, np.int32)
    k = max(1, int(markers.size * marker_fraction))
    where = rng.choice(markers.size, min(k, markers.size), replace=False)
    markers.flat[where] = rng.integers(1, n_labels + 1, len(where))
    mask = rng.random(shape) > 0.25 if masked else None
    return elevation, markers, mask


def reachable(labels, markers, connectivity, through=None):
    """True where a voxel is connected, inside its own label (plus ``through``), to a marker of
    that label."""
    structure = ndi.generate_binary_structure(labels.ndim, connectivity)
    ok = np.zeros(labels.shape, bool)
    extra = np.zeros(labels.shape, bool) if through is None else through
    for value in np.unique(labels[labels != 0]):
        parts, _ = ndi.label((labels == value) | extra, structure)
        seeded = np.unique(parts[(markers == value) & (labels == value)])
        ok |= np.isin(parts, seeded[seeded != 0])
    return ok | (labels == 0)


def assert_flood_properties(labels, markers, mask, connectivity, lines=False):
    inside = np.ones(labels.shape, bool) if mask is None else mask
    kept = (markers != 0) & inside
    np.testing.assert_array_equal(labels[kept], markers[kept])
    assert not labels[~inside].any()
    # floods cross watershed lines (as in scikit-image), so lines count as passable
    lines_in_mask = inside & (labels == 0) if lines else None
    assert reachable(labels, markers, connectivity, lines_in_mask).all()
    if not lines:
        structure = ndi.generate_binary_structure(labels.ndim, connectivity)
        touching = ndi.binary_dilation(labels != 0, structure) & inside & (labels == 0)
        assert not touching.any()


SHAPES = [(30, 40), (1, 25), (17, 1), (6, 9, 11), (1, 12, 12), (4, 1, 9)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("levels", [3, 256, 1000])
def test_equals_skimage_every_connectivity(rng, shape, masked, levels):
    elevation, markers, mask = random_case(rng, shape, levels=levels, masked=masked)
    for connectivity in range(1, len(shape) + 1):
        want = sk_watershed(elevation, markers, connectivity=connectivity, mask=mask)
        got = nc.watershed(elevation, markers, mask, connectivity)
        assert got.dtype == markers.dtype
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("shape", [(40, 50), (7, 12, 13)])
@pytest.mark.parametrize("masked", [False, True])
def test_watershed_lines_equal_skimage(rng, shape, masked):
    elevation, markers, mask = random_case(rng, shape, levels=6, marker_fraction=0.02,
                                           masked=masked)
    for connectivity in range(1, len(shape) + 1):
        want = sk_watershed(elevation, markers, connectivity=connectivity, mask=mask,
                            watershed_line=True)
        got = nc.watershed(elevation, markers, mask, connectivity, watershed_line=True)
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("compactness", [0.0, 0.01, 1.5])
def test_float_and_compact_equal_skimage(rng, dtype, compactness):
    for shape in [(35, 45), (6, 10, 12)]:
        elevation = rng.integers(0, 5, shape).astype(dtype) * dtype(0.5)
        elevation += rng.random(shape).astype(dtype) * (rng.random(shape) < 0.3)
        _, markers, mask = random_case(rng, shape, masked=True)
        want = sk_watershed(elevation, markers, mask=mask, compactness=compactness)
        got = nc.watershed(elevation, markers, mask, compactness=compactness)
        np.testing.assert_array_equal(got, want)
        assert_flood_properties(got, markers, mask, 1)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.int64, np.uint32, np.uint64,
                                   np.bool_])
def test_other_elevation_dtypes_equal_skimage(rng, dtype):
    elevation, markers, mask = random_case(rng, (30, 33), levels=2 if dtype == np.bool_ else 50)
    elevation = elevation.astype(dtype)
    if np.dtype(dtype).kind == "i":
        elevation = elevation - dtype(25)
    if dtype in (np.int64, np.uint64):
        elevation = elevation * dtype(10**12)  # a range too wide for the bucket queue
    want = sk_watershed(elevation, markers, mask=mask)
    np.testing.assert_array_equal(nc.watershed(elevation, markers, mask), want)


def test_float_flood_properties(rng):
    elevation = ndi.gaussian_filter(rng.random((60, 70)), 2).astype(np.float32)
    for connectivity in (1, 2):
        _, markers, mask = random_case(rng, elevation.shape, marker_fraction=0.01, masked=True)
        got = nc.watershed(elevation, markers, mask, connectivity)
        assert_flood_properties(got, markers, mask, connectivity)
        lined = nc.watershed(elevation, markers, mask, connectivity, watershed_line=True)
        assert_flood_properties(lined, markers, mask, connectivity, lines=True)
        want = sk_watershed(elevation, markers, connectivity=connectivity, mask=mask,
                            watershed_line=True)
        np.testing.assert_array_equal(lined, want)


def test_raster_marker_order(rng):
    """Pure FIFO markers: a valid flood; equal to skimage when no markers tie."""
    elevation, markers, mask = random_case(rng, (40, 50), levels=4, masked=True)
    got = nc.watershed(elevation, markers, mask, marker_order="raster")
    assert_flood_properties(got, markers, mask, 1)
    # distinct marker elevations: no tie, so the order cannot matter
    where = np.flatnonzero(markers)
    distinct = elevation.astype(np.uint16) * 512
    distinct.flat[where] = rng.permutation(len(where))
    for connectivity in (1, 2):
        want = sk_watershed(distinct, markers, connectivity=connectivity, mask=mask)
        got = nc.watershed(distinct, markers, mask, connectivity, marker_order="raster")
        np.testing.assert_array_equal(got, want)


def test_ties_between_markers_follow_skimage():
    """Equal-elevation markers: scikit-image's heap, not raster order, decides."""
    elevation = np.zeros((1, 7), np.uint8)
    markers = np.array([[1, 0, 2, 0, 3, 0, 4]], np.int32)
    want = sk_watershed(elevation, markers)
    np.testing.assert_array_equal(nc.watershed(elevation, markers), want)
    raster = nc.watershed(elevation, markers, marker_order="raster")
    np.testing.assert_array_equal(raster, [[1, 1, 2, 2, 3, 3, 4]])


def test_plateau_split_between_markers():
    elevation = np.zeros((1, 9), np.uint8)
    markers = np.zeros((1, 9), np.int32)
    markers[0, 0], markers[0, 8] = 1, 2
    np.testing.assert_array_equal(nc.watershed(elevation, markers),
                                  [[1, 1, 1, 1, 1, 2, 2, 2, 2]])


def test_edge_cases(rng):
    assert nc.watershed(np.zeros((0, 4), np.uint8), np.zeros((0, 4), np.int32)).shape == (0, 4)
    assert nc.watershed(np.zeros((1, 1), np.uint8), np.array([[3]], np.uint8)).tolist() == [[3]]
    none = nc.watershed(rng.random((5, 6)), np.zeros((5, 6), np.int16))
    assert none.dtype == np.int16 and not none.any()
    everything = rng.integers(1, 4, (5, 6)).astype(np.uint32)
    np.testing.assert_array_equal(nc.watershed(rng.random((5, 6)), everything), everything)
    unreachable = np.zeros((5, 5), bool)
    unreachable[:, 2] = True  # a wall outside the mask
    markers = np.zeros((5, 5), np.int32)
    markers[0, 0] = 1
    got = nc.watershed(np.zeros((5, 5)), markers, mask=~unreachable)
    assert (got[:, :2] == 1).all() and not got[:, 2:].any()
    outside = markers.copy()
    outside[0, 4] = 7  # a marker outside the mask is ignored
    mask = np.ones((5, 5), bool)
    mask[0, 4] = False
    assert 7 not in nc.watershed(np.zeros((5, 5), np.uint8), outside, mask)


@pytest.mark.parametrize("dtype", [np.uint64, np.int64, np.int8, np.bool_])
def test_huge_negative_and_bool_labels(rng, dtype):
    elevation, markers, mask = random_case(rng, (20, 30), n_labels=3, masked=True)
    if dtype == np.bool_:
        seeds = markers != 0
    else:
        info = np.iinfo(dtype)
        seeds = np.array([0, info.max, info.min, 1], dtype)[markers % 4]
    got = nc.watershed(elevation, seeds, mask)
    assert got.dtype == seeds.dtype
    np.testing.assert_array_equal(got, sk_watershed(elevation, seeds, mask=mask))


def test_non_contiguous_fortran_and_byte_order(rng):
    elevation, markers, mask = random_case(rng, (8, 30, 40), levels=20, masked=True)
    want = sk_watershed(elevation[:, ::2, 1::3], markers[:, ::2, 1::3], mask=mask[:, ::2, 1::3])
    got = nc.watershed(elevation[:, ::2, 1::3], markers[:, ::2, 1::3], mask[:, ::2, 1::3])
    np.testing.assert_array_equal(got, want)
    full = sk_watershed(elevation, markers, mask=mask)
    got = nc.watershed(np.asfortranarray(elevation), np.asfortranarray(markers),
                       np.asfortranarray(mask))
    np.testing.assert_array_equal(got, full)
    swapped = nc.watershed(elevation.astype(">u2"), markers.astype(">i4"), mask.astype(np.uint8))
    np.testing.assert_array_equal(swapped, full)


def test_threads_agree_and_inputs_untouched(rng):
    elevation, markers, mask = random_case(rng, (10, 64, 48), levels=30, masked=True)
    copies = [a.copy() for a in (elevation, markers, mask)]
    one = nc.watershed(elevation, markers, mask, threads=1)
    for threads in (2, 5):
        np.testing.assert_array_equal(nc.watershed(elevation, markers, mask, threads=threads), one)
    for before, after in zip(copies, (elevation, markers, mask)):
        np.testing.assert_array_equal(before, after)


@pytest.mark.shared_data
def test_real_section_equals_skimage():
    membrane = shared_volume("isbi2012.h5", "membrane")[0, :160, :160]
    raw = shared_volume("isbi2012.h5", "raw")[0, :160, :160]
    cells, _ = ndi.label(membrane == 0)
    distance = ndi.distance_transform_edt(membrane == 0)
    markers = np.where(distance > 4, cells, 0).astype(np.int32)
    for elevation in (raw, (255 - np.minimum(distance * 8, 255)).astype(np.uint8)):
        want = sk_watershed(elevation, markers, mask=membrane == 0)
        np.testing.assert_array_equal(nc.watershed(elevation, markers, membrane == 0), want)


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"elevation": np.zeros((4, 4), complex)}, TypeError, "elevation"),
        ({"elevation": np.zeros(4, np.uint8), "markers": np.zeros(4, np.int32)}, ValueError,
         "elevation"),
        ({"elevation": np.full((4, 4), np.nan)}, ValueError, "NaN"),
        ({"markers": np.zeros((4, 4), np.float32)}, TypeError, "markers"),
        ({"markers": np.zeros((4, 5), np.int32)}, ValueError, "markers"),
        ({"mask": np.zeros((3, 4), bool)}, ValueError, "mask"),
        ({"mask": "everything"}, TypeError, "mask"),
        ({"connectivity": 3}, ValueError, "connectivity"),
        ({"connectivity": 0}, ValueError, "connectivity"),
        ({"connectivity": 1.0}, TypeError, "connectivity"),
        ({"compactness": -1.0}, ValueError, "compactness"),
        ({"compactness": np.inf}, ValueError, "compactness"),
        ({"watershed_line": "yes"}, TypeError, "watershed_line"),
        ({"marker_order": "fifo"}, ValueError, "marker_order"),
        ({"threads": 0}, ValueError, "threads"),
    ],
)
def test_bad_input(kwargs, error, words):
    args = {"elevation": np.zeros((4, 4), np.uint8), "markers": np.eye(4, dtype=np.int32)}
    args.update(kwargs)
    with pytest.raises(error, match=words):
        nc.watershed(**args)


@settings(max_examples=80, deadline=None)
@given(
    elevation=hnp.arrays(
        np.uint8,
        st.one_of(hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=10),
                  hnp.array_shapes(min_dims=3, max_dims=3, min_side=1, max_side=5)),
        elements=st.integers(0, 3),
    ),
    data=st.data(),
)
def test_property_equals_skimage(elevation, data):
    markers = data.draw(hnp.arrays(np.int16, elevation.shape, elements=st.sampled_from(
        [0, 0, 0, 0, 1, 2, 3, -5])))
    mask = data.draw(hnp.arrays(np.bool_, elevation.shape)) if data.draw(st.booleans()) else None
    connectivity = data.draw(st.integers(1, elevation.ndim))
    lines = data.draw(st.booleans())
    want = sk_watershed(elevation, markers, connectivity=connectivity, mask=mask,
                        watershed_line=lines)
    got = nc.watershed(elevation, markers, mask, connectivity, watershed_line=lines)
    np.testing.assert_array_equal(got, want)
