"""nmjcore.bilateral_filter against a float64 NumPy evaluation of the formula and OpenCV.

Measured (random images, several diameters and sigmas): uint8 equals the rounded float64
reference everywhere; float32 is within 1e-6 of it relative to the image's range. OpenCV
differs from both by at most one level on uint8 (in some settings in ~45% of the pixels: its
own result is as often one off the rounded reference) and by < 1e-6 of the range on float32.
The asserted tolerances below leave a margin over these numbers.
"""

import cv2
import numpy as np
import pytest

import nmjcore as nc

SETTINGS = [(5, 30.0, 3.0), (9, 75.0, 75.0), (0, 20.0, 2.0), (1, 10.0, 5.0), (15, 50.0, 4.0),
            (7, 5.0, 1.0)]


def reference(image, diameter, sigma_color, sigma_space):
    """The bilateral formula in float64, with OpenCV's radius rule and REFLECT_101 border."""
    radius = diameter // 2 if diameter > 0 else int(round(1.5 * sigma_space))
    radius = max(radius, 1)
    f = image.astype(np.float64)
    padded = np.pad(f, radius, mode="reflect")  # NumPy's 'reflect' is REFLECT_101
    num = np.zeros_like(f)
    den = np.zeros_like(f)
    h, w = f.shape
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            if dy * dy + dx * dx > radius * radius:
                continue
            q = padded[radius + dy:radius + dy + h, radius + dx:radius + dx + w]
            weight = np.exp(-(dy * dy + dx * dx) / (2 * sigma_space**2)
                            - (q - f) ** 2 / (2 * sigma_color**2))
            num += weight * q
            den += weight
    return num / den


def smooth_noise(rng, shape):
    """Regions with edges plus noise: where bilateral weights matter."""
    base = np.where(np.add.outer(np.arange(shape[0]), np.arange(shape[1])) % 23 < 11, 60, 180)
    return np.clip(base + rng.normal(0, 25, shape), 0, 255)


@pytest.mark.parametrize("diameter, sigma_color, sigma_space", SETTINGS)
def test_uint8_matches_float64_reference(rng, diameter, sigma_color, sigma_space):
    image = smooth_noise(rng, (47, 61)).astype(np.uint8)
    got = nc.bilateral_filter(image, diameter, sigma_color, sigma_space)
    want = np.round(reference(image, diameter, sigma_color, sigma_space))
    assert got.dtype == np.uint8 and got.shape == image.shape
    diff = np.abs(got.astype(np.int64) - want)
    assert diff.max() <= 1
    assert (diff != 0).mean() <= 0.005


@pytest.mark.parametrize("diameter, sigma_color, sigma_space", SETTINGS)
@pytest.mark.parametrize("scale", [1.0, 1000.0])
def test_float32_matches_float64_reference(rng, diameter, sigma_color, sigma_space, scale):
    image = (smooth_noise(rng, (47, 61)) / 255 * scale).astype(np.float32)
    got = nc.bilateral_filter(image, diameter, sigma_color / 255 * scale, sigma_space)
    want = reference(image, diameter, sigma_color / 255 * scale, sigma_space)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5 * scale)


@pytest.mark.parametrize("diameter, sigma_color, sigma_space", SETTINGS)
def test_close_to_opencv(rng, diameter, sigma_color, sigma_space):
    image = smooth_noise(rng, (64, 80))
    u8 = image.astype(np.uint8)
    got = nc.bilateral_filter(u8, diameter, sigma_color, sigma_space)
    want = cv2.bilateralFilter(u8, diameter, sigma_color, sigma_space)
    assert np.abs(got.astype(int) - want).max() <= 1
    f32 = (image / 255).astype(np.float32)
    got = nc.bilateral_filter(f32, diameter, sigma_color / 255, sigma_space)
    want = cv2.bilateralFilter(f32, diameter, sigma_color / 255, sigma_space)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-4)


def test_edges_survive_and_flat_regions_stay(rng):
    step = np.zeros((20, 20), np.uint8)
    step[:, 10:] = 200
    out = nc.bilateral_filter(step, 9, 20.0, 5.0)
    np.testing.assert_array_equal(out, step)
    flat = np.full((9, 13), 0.25, np.float32)
    np.testing.assert_allclose(nc.bilateral_filter(flat, 5, 0.1, 2.0), flat, rtol=1e-6)
    noisy = smooth_noise(rng, (40, 40)).astype(np.uint8)
    assert nc.bilateral_filter(noisy, 7, 200.0, 3.0).std() < noisy.std()


@pytest.mark.parametrize("shape", [(1, 1), (1, 17), (13, 1), (3, 4)])
def test_tiny_images_mirror_periodically(rng, shape):
    image = rng.integers(0, 256, shape).astype(np.uint8)
    got = nc.bilateral_filter(image, 9, 40.0, 3.0)
    diff = np.abs(got.astype(int) - np.round(reference(image, 9, 40.0, 3.0)))
    assert diff.max() <= 1


def test_opencv_parameter_rules(rng):
    image = smooth_noise(rng, (30, 30)).astype(np.uint8)
    # diameter <= 0: radius from sigma_space; sigma <= 0 means 1.
    np.testing.assert_array_equal(nc.bilateral_filter(image, 0, 30.0, 2.0),
                                  nc.bilateral_filter(image, 7, 30.0, 2.0))
    np.testing.assert_array_equal(nc.bilateral_filter(image, 5, -3.0, 0.0),
                                  nc.bilateral_filter(image, 5, 1.0, 1.0))
    np.testing.assert_array_equal(nc.bilateral_filter(image, 5, 30.0, 2.0),
                                  nc.bilateral_filter(image, 4, 30.0, 2.0))


def test_non_contiguous_input_and_threads(rng):
    base = smooth_noise(rng, (300, 260)).astype(np.float32)
    view = base[::2, 1::2]
    np.testing.assert_array_equal(nc.bilateral_filter(view, 7, 30.0, 3.0),
                                  nc.bilateral_filter(np.ascontiguousarray(view), 7, 30.0, 3.0))
    np.testing.assert_array_equal(nc.bilateral_filter(base.T, 5, 30.0, 3.0),
                                  nc.bilateral_filter(base.T.copy(), 5, 30.0, 3.0))
    for image in (base, base.astype(np.uint8)):
        one = nc.bilateral_filter(image, 9, 40.0, 4.0, threads=1)
        two = nc.bilateral_filter(image, 9, 40.0, 4.0, threads=2)
        np.testing.assert_array_equal(one, two)
    copy = base.copy()
    nc.bilateral_filter(base, 5, 30.0, 3.0)
    np.testing.assert_array_equal(base, copy)
    assert nc.bilateral_filter(np.zeros((0, 4), np.uint8), 5, 1.0, 1.0).shape == (0, 4)


def test_bad_arguments_name_them():
    image = np.zeros((8, 8), np.uint8)
    cases = [
        (lambda: nc.bilateral_filter(image.astype(np.uint16), 5, 1.0, 1.0), TypeError, "image"),
        (lambda: nc.bilateral_filter(np.zeros((2, 8, 8), np.uint8), 5, 1.0, 1.0), ValueError,
         "image"),
        (lambda: nc.bilateral_filter(np.array([[np.nan]], np.float32), 5, 1.0, 1.0), ValueError,
         "image"),
        (lambda: nc.bilateral_filter(image, 5.0, 1.0, 1.0), TypeError, "diameter"),
        (lambda: nc.bilateral_filter(image, True, 1.0, 1.0), TypeError, "diameter"),
        (lambda: nc.bilateral_filter(image, 5, float("inf"), 1.0), ValueError, "sigma_color"),
        (lambda: nc.bilateral_filter(image, 5, 1.0, "2"), TypeError, "sigma_space"),
        (lambda: nc.bilateral_filter(image, 5, 1.0, 1.0, threads=-1), ValueError, "threads"),
    ]
    for call, error, name in cases:
        with pytest.raises(error, match=name):
            call()
