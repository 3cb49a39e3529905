"""nmjcore.erode / dilate / opening / closing and nmjcore.footprint against scipy.ndimage.

References apply scipy's ``iterations=1`` call repeatedly: that is what ``iterations`` means
in both libraries, and scipy's own ``iterations > 1`` path crashes (heap corruption, scipy
1.17) when the structure is larger than the image, a case tested here on purpose.
"""

import numpy as np
import pytest
import scipy.ndimage as ndi
import skimage.morphology
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nmjcore as nc
from nmjcore import footprint as fp

GREY_DTYPES = [np.uint8, np.uint16, np.int16, np.int32, np.float32, np.float64]


def scipy_rank(image, footprint, op, iterations=1, mode=None, cval=0):
    """scipy's erosion/dilation (binary for bool images), applied `iterations` times."""
    out = image
    for _ in range(iterations):
        if image.dtype == bool and mode is None:
            fn = ndi.binary_erosion if op == "erode" else ndi.binary_dilation
            out = fn(out, footprint)
        else:
            fn = ndi.grey_erosion if op == "erode" else ndi.grey_dilation
            out = fn(out, footprint=footprint, mode=mode or "reflect", cval=cval)
    return out


def scipy_reference(image, footprint, op, iterations=1, mode=None, cval=0):
    first, second = {"erode": ("erode", None), "dilate": ("dilate", None),
                     "opening": ("erode", "dilate"), "closing": ("dilate", "erode")}[op]
    out = scipy_rank(image, footprint, first, iterations, mode, cval)
    if second:
        out = scipy_rank(out, footprint, second, iterations, mode, cval)
    return out


def random_image(rng, shape, dtype):
    if dtype == bool:
        return rng.random(shape) < 0.6
    if np.dtype(dtype).kind == "f":
        return rng.normal(0, 100, shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(max(info.min, -1000), min(info.max, 60000), shape).astype(dtype)


def footprints(rng, ndim):
    """Every kind: boxes (odd, even, long, flat), cross, disk/ball, arbitrary random."""
    kinds = {
        "box1": fp.box(1, ndim), "box2": fp.box(2, ndim), "box3": fp.box(3, ndim),
        "box4": fp.box(4, ndim), "box7": fp.box(7, ndim),
        "box_flat": fp.box((1,) * (ndim - 1) + (6,)),
        "box_thin": fp.box((5,) + (1,) * (ndim - 1)),
        "cross3": fp.cross(3, ndim), "cross5": fp.cross(5, ndim),
        "round": fp.disk(3) if ndim == 2 else fp.ball(2),
        "random3": rng.random((3,) * ndim) < 0.5,
        "random_even": rng.random((4, 2, 5)[-ndim:]) < 0.5,
        "off_centre": np.eye(3, 2, dtype=bool).reshape((1,) * (ndim - 2) + (3, 2)),
    }
    for value in kinds.values():
        if not value.any():
            value.flat[0] = True
    return kinds


@pytest.mark.parametrize("op", ["erode", "dilate", "opening", "closing"])
@pytest.mark.parametrize("dtype", [bool, np.uint8, np.float32])
@pytest.mark.parametrize("shape", [(23, 31), (9, 12, 14)])
def test_every_footprint_kind_matches_scipy(op, dtype, shape):
    rng = np.random.default_rng(hash((op, str(dtype), shape)) % 2**32)
    image = random_image(rng, shape, dtype)
    for name, footprint in footprints(rng, len(shape)).items():
        for iterations in (1, 2):
            got = getattr(nc, op)(image, footprint, iterations=iterations)
            want = scipy_reference(image, footprint, op, iterations)
            assert got.dtype == image.dtype and got.shape == image.shape
            np.testing.assert_array_equal(got, want, err_msg=f"{name} iterations={iterations}")


@pytest.mark.parametrize("dtype", GREY_DTYPES + [bool])
@pytest.mark.parametrize("op", ["erode", "dilate"])
def test_dtypes_match_scipy(rng, dtype, op):
    image = random_image(rng, (40, 37), dtype)
    for footprint in (fp.box(5), fp.disk(2), fp.cross(3)):
        np.testing.assert_array_equal(getattr(nc, op)(image, footprint),
                                      scipy_reference(image, footprint, op))


@pytest.mark.parametrize("size", [3, 4, 9, 15, 16, 31, 129, 200])
@pytest.mark.parametrize("dtype", [bool, np.uint8, np.float32])
def test_box_sizes_2d(rng, size, dtype):
    """Doubling (<= 128) and van Herk (> 128) along x; van Herk along y; borders wider than
    the image reflect periodically (scipy's 'reflect')."""
    image = random_image(rng, (45, 150), dtype)
    for shape in ((size, size), (1, size), (size, 1), (3, size)):
        footprint = fp.box(shape)
        for op in ("erode", "dilate"):
            np.testing.assert_array_equal(getattr(nc, op)(image, footprint),
                                          scipy_reference(image, footprint, op),
                                          err_msg=f"{op} {shape}")


@pytest.mark.parametrize("size", [(3, 3, 3), (5, 2, 7), (15, 15, 15), (4, 1, 1)])
@pytest.mark.parametrize("dtype", [bool, np.uint16])
def test_box_sizes_3d(rng, size, dtype):
    image = random_image(rng, (11, 20, 17), dtype)
    for op in ("erode", "dilate"):
        for iterations in (1, 3):
            np.testing.assert_array_equal(
                getattr(nc, op)(image, fp.box(size), iterations=iterations),
                scipy_reference(image, fp.box(size), op, iterations))


@pytest.mark.parametrize("radius", [1, 2, 5, 7])
def test_disk_and_ball_radii(rng, radius):
    image2 = random_image(rng, (30, 33), np.uint8)
    image3 = random_image(rng, (9, 14, 13), bool)
    for op in ("erode", "dilate"):
        np.testing.assert_array_equal(getattr(nc, op)(image2, fp.disk(radius)),
                                      scipy_reference(image2, fp.disk(radius), op))
        ball = fp.ball(min(radius, 3))
        np.testing.assert_array_equal(getattr(nc, op)(image3, ball),
                                      scipy_reference(image3, ball, op))


@pytest.mark.parametrize("shape", [(1, 1), (1, 9), (7, 1), (2, 3), (1, 1, 1), (1, 5, 1), (3, 1, 2)])
@pytest.mark.parametrize("dtype", [bool, np.uint8])
def test_tiny_images_and_big_footprints(rng, shape, dtype):
    image = random_image(rng, shape, dtype)
    ndim = len(shape)
    for footprint in (fp.box(5, ndim), fp.cross(3, ndim), rng.random((4,) * ndim) < 0.5,
                      fp.box(1, ndim)):
        footprint.flat[0] = True
        for op in ("erode", "dilate", "opening", "closing"):
            np.testing.assert_array_equal(getattr(nc, op)(image, footprint),
                                          scipy_reference(image, footprint, op))


@pytest.mark.parametrize("mode", ["constant", "reflect", "nearest", "mirror"])
@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_border_modes_match_scipy(rng, mode, dtype):
    image = random_image(rng, (19, 26), dtype)
    cval = 7
    for footprint in (fp.box(5), fp.disk(3), fp.box((2, 9))):
        for op in ("erode", "dilate"):
            got = getattr(nc, op)(image, footprint, mode=mode, cval=cval)
            want = scipy_rank(image, footprint, op, mode=mode, cval=cval)
            np.testing.assert_array_equal(got, want, err_msg=f"{op} {footprint.shape}")


def test_binary_border_value(rng):
    """Bool images default to scipy's border_value=0; a constant 1 border keeps the edge."""
    image = np.ones((8, 8), bool)
    assert not nc.erode(image, fp.box(3))[0].any()
    assert nc.erode(image, fp.box(3), mode="constant", cval=True).all()
    np.testing.assert_array_equal(nc.erode(image, fp.box(3), mode="constant", cval=1),
                                  ndi.binary_erosion(image, fp.box(3), border_value=1))


def test_all_foreground_and_empty(rng):
    for shape in ((12, 10), (4, 6, 5)):
        ones, zeros = np.ones(shape, bool), np.zeros(shape, bool)
        ndim = len(shape)
        np.testing.assert_array_equal(nc.dilate(ones, fp.box(3, ndim)), ones)
        np.testing.assert_array_equal(nc.erode(zeros, fp.box(3, ndim)), zeros)
        np.testing.assert_array_equal(nc.dilate(zeros, fp.disk(2) if ndim == 2 else fp.ball(1)),
                                      zeros)
        inner = nc.erode(ones, fp.box(3, ndim))
        np.testing.assert_array_equal(inner, ndi.binary_erosion(ones, fp.box(3, ndim)))
    assert nc.erode(np.zeros((0, 5), np.uint8), fp.box(3)).shape == (0, 5)


def test_default_footprint_is_the_cross(rng):
    image = random_image(rng, (20, 21), bool)
    np.testing.assert_array_equal(nc.erode(image), ndi.binary_erosion(image))
    np.testing.assert_array_equal(nc.dilate(image), ndi.binary_dilation(image))
    volume = random_image(rng, (6, 7, 8), np.uint8)
    cross3 = ndi.generate_binary_structure(3, 1)
    np.testing.assert_array_equal(nc.erode(volume), ndi.grey_erosion(volume, footprint=cross3))


def test_opening_and_closing_match_scipy_directly(rng):
    image = random_image(rng, (30, 30), bool)
    for footprint in (fp.box(3), fp.cross(3), fp.disk(2)):
        np.testing.assert_array_equal(nc.opening(image, footprint),
                                      ndi.binary_opening(image, footprint))
        np.testing.assert_array_equal(nc.closing(image, footprint),
                                      ndi.binary_closing(image, footprint))
    grey = random_image(rng, (30, 30), np.uint8)
    np.testing.assert_array_equal(nc.opening(grey, fp.disk(2)),
                                  ndi.grey_opening(grey, footprint=fp.disk(2)))
    np.testing.assert_array_equal(nc.closing(grey, fp.box(4)), ndi.grey_closing(grey, size=4))


def test_section_footprint_on_a_volume(rng):
    """A 2D footprint on a 3D image works section by section."""
    volume = random_image(rng, (5, 20, 22), np.uint8)
    got = nc.erode(volume, fp.disk(2))
    want = np.stack([ndi.grey_erosion(s, footprint=fp.disk(2)) for s in volume])
    np.testing.assert_array_equal(got, want)


def test_non_contiguous_and_fortran_inputs(rng):
    base = random_image(rng, (40, 60), np.uint8)
    for image in (base[::2, 1::3], base.T, np.asfortranarray(base), base[:, ::-1]):
        for footprint in (fp.box(5), fp.disk(2)):
            np.testing.assert_array_equal(nc.dilate(image, footprint),
                                          scipy_reference(np.ascontiguousarray(image),
                                                          footprint, "dilate"))
    non_contiguous_fp = fp.box(6)[::2, ::2]
    np.testing.assert_array_equal(nc.erode(base, non_contiguous_fp),
                                  ndi.grey_erosion(base, footprint=np.ones((3, 3), bool)))
    swapped = base.astype(">u2")
    np.testing.assert_array_equal(nc.erode(swapped, fp.box(3)),
                                  ndi.grey_erosion(base.astype(np.uint16), size=3))


def test_input_is_not_modified(rng):
    image = random_image(rng, (20, 20), np.float32)
    copy = image.copy()
    nc.closing(image, fp.disk(2), iterations=2)
    np.testing.assert_array_equal(image, copy)


@pytest.mark.parametrize("dtype", [bool, np.uint8, np.float32])
def test_threads_give_identical_results(rng, dtype):
    for shape, footprints_ in (((300, 257), (fp.box(3), fp.box(15), fp.disk(7), fp.cross(5))),
                               ((20, 70, 65), (fp.box(5, 3), fp.ball(3), fp.box((1, 7, 1))))):
        image = random_image(rng, shape, dtype)
        for footprint in footprints_:
            for op in ("erode", "dilate"):
                one = getattr(nc, op)(image, footprint, iterations=2, threads=1)
                two = getattr(nc, op)(image, footprint, iterations=2, threads=2)
                np.testing.assert_array_equal(one, two)
                three = getattr(nc, op)(image, footprint, iterations=2, threads=3)
                np.testing.assert_array_equal(one, three)


@settings(max_examples=60, deadline=None)
@given(
    image=hnp.arrays(np.uint8, hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=12)),
    data=st.data(),
)
def test_property_matches_scipy(image, data):
    fshape = data.draw(hnp.array_shapes(min_dims=image.ndim, max_dims=image.ndim, min_side=1,
                                        max_side=6))
    footprint = data.draw(hnp.arrays(bool, fshape))
    footprint.flat[data.draw(st.integers(0, footprint.size - 1))] = True
    binary = data.draw(st.booleans())
    iterations = data.draw(st.integers(1, 2))
    img = image > 127 if binary else image
    for op in ("erode", "dilate"):
        np.testing.assert_array_equal(getattr(nc, op)(img, footprint, iterations=iterations),
                                      scipy_reference(img, footprint, op, iterations))


def test_footprint_constructors():
    for r in range(6):
        np.testing.assert_array_equal(fp.disk(r), skimage.morphology.disk(r).astype(bool))
    for r in range(4):
        np.testing.assert_array_equal(fp.ball(r), skimage.morphology.ball(r).astype(bool))
    for ndim in (1, 2, 3):
        np.testing.assert_array_equal(fp.cross(3, ndim), ndi.generate_binary_structure(ndim, 1))
        assert fp.box(4, ndim).shape == (4,) * ndim and fp.box(4, ndim).all()
    assert fp.box((2, 5)).shape == (2, 5)
    plus = fp.cross(5)
    assert plus.sum() == 9 and plus[2].all() and plus[:, 2].all()
    assert fp.disk(3).dtype == bool and fp.box(2).dtype == bool
    for bad, error in ((lambda: fp.disk(-1), ValueError), (lambda: fp.disk(1.5), TypeError),
                       (lambda: fp.box(0), ValueError), (lambda: fp.box((2, 2), ndim=3), None),
                       (lambda: fp.cross(4), ValueError), (lambda: fp.box(3, ndim=4), ValueError)):
        if error is None:
            assert bad().shape == (2, 2)
        else:
            with pytest.raises(error):
                bad()
    assert nc.footprint is fp


def test_bad_arguments_name_them(rng):
    image = random_image(rng, (10, 10), np.uint8)
    cases = [
        (lambda: nc.erode(image.astype(np.complex64)), TypeError, "image"),
        (lambda: nc.erode(np.zeros(5, np.uint8)), ValueError, "image"),
        (lambda: nc.erode(np.zeros((2, 2, 2, 2), np.uint8)), ValueError, "image"),
        (lambda: nc.erode(np.array([[np.nan, 1.0]])), ValueError, "image"),
        (lambda: nc.erode(image, np.zeros((3, 3), bool)), ValueError, "footprint"),
        (lambda: nc.erode(image, np.ones((3, 3), np.float32)), TypeError, "footprint"),
        (lambda: nc.erode(image, np.ones((3, 3, 3), bool)), ValueError, "footprint"),
        (lambda: nc.erode(image, fp.box(3), iterations=0), ValueError, "iterations"),
        (lambda: nc.erode(image, fp.box(3), iterations=1.5), TypeError, "iterations"),
        (lambda: nc.erode(image, fp.box(3), mode="wrap"), ValueError, "mode"),
        (lambda: nc.erode(image, fp.box(3), mode="constant", cval=300), ValueError, "cval"),
        (lambda: nc.erode(image > 0, fp.box(3), mode="constant", cval=2), ValueError, "cval"),
        (lambda: nc.erode(image, fp.box(3), threads=0), ValueError, "threads"),
        (lambda: nc.erode("image"), TypeError, "image"),
    ]
    for call, error, name in cases:
        with pytest.raises(error, match=name):
            call()
