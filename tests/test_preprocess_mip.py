"""Mip levels and padding: shapes, values against references, round trips."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from skimage.measure import block_reduce

from nmjcore.io import open_volume
from nmjcore.preprocess import crop_padding, downsample, pad_to, padding_for, upsample


@pytest.mark.parametrize("level", [1, 2, 3])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_mean_matches_block_reduce(rng, level, dtype):
    f = 2**level
    image = (rng.random((3, 5 * f, 7 * f)) * 250).astype(dtype)
    expected = block_reduce(image.astype(np.float64), (1, f, f), np.mean)
    got = downsample(image, level)
    assert got.shape == (3, 5, 7) and got.dtype == dtype
    if np.dtype(dtype).kind == "f":
        np.testing.assert_allclose(got, expected, rtol=1e-6)
    else:
        np.testing.assert_array_equal(got, np.floor(expected + 0.5).astype(dtype))


def test_edge_blocks_average_what_they_have(rng):
    image = rng.integers(0, 256, (2, 9, 6), dtype=np.uint8)
    got = downsample(image, 2)
    assert got.shape == (2, 3, 2)
    for z in range(2):
        for by in range(3):
            for bx in range(2):
                block = image[z, 4 * by:4 * by + 4, 4 * bx:4 * bx + 4].astype(np.float64)
                assert got[z, by, bx] == np.floor(block.mean() + 0.5)


@pytest.mark.parametrize("level", [1, 2])
def test_mode_matches_scipy(rng, level):
    f = 2**level
    labels = rng.integers(0, 4, (2, 6 * f, 5 * f)).astype(np.uint32)
    labels[0, :f, :f] = 2**32 - 1  # ids near the maximum
    got = downsample(labels, level, labels=True)
    blocks = labels.reshape(2, 6, f, 5, f).transpose(0, 1, 3, 2, 4).reshape(2, 6, 5, f * f)
    expected = scipy.stats.mode(blocks, axis=-1, keepdims=False).mode  # ties: smallest
    np.testing.assert_array_equal(got, expected)
    assert got[0, 0, 0] == 2**32 - 1
    nearest = downsample(labels, level, method="nearest")
    np.testing.assert_array_equal(nearest, labels[:, ::f, ::f])


def test_up_and_down_round_trips(rng):
    labels = rng.integers(0, 50, (3, 11, 13)).astype(np.uint16)
    for level in (0, 1, 2):
        up = upsample(labels, level)
        f = 2**level
        assert up.shape == (3, 11 * f, 13 * f)
        np.testing.assert_array_equal(up, np.kron(labels, np.ones((1, f, f), labels.dtype)))
        np.testing.assert_array_equal(downsample(up, level, labels=True), labels)
        np.testing.assert_array_equal(downsample(up, level), labels)  # mean of equal values
    image = rng.integers(0, 256, (2, 37, 21), dtype=np.uint8)
    small = downsample(image, 2)
    back = upsample(small, 2, shape=image.shape[1:])
    assert back.shape == image.shape
    np.testing.assert_array_equal(back, np.kron(small, np.ones((1, 4, 4), np.uint8))[:, :37, :21])


def test_bilinear_upsampling_matches_zoom(rng):
    prob = rng.random((2, 6, 5)).astype(np.float32)
    got = upsample(prob, 1, order=1)
    expected = np.stack([ndi.zoom(p.astype(np.float64), 2, order=1, grid_mode=True,
                                  mode="nearest") for p in prob])
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    constant = np.full((1, 4, 4), 0.25, np.float32)
    np.testing.assert_allclose(upsample(constant, 3, order=1), 0.25)


def test_two_dimensional_and_volume_output(tmp_path, rng):
    section = rng.integers(0, 256, (8, 8), dtype=np.uint8)
    assert downsample(section, 1).shape == (4, 4)
    assert upsample(section, 1).shape == (16, 16)
    vol = open_volume(rng.integers(0, 256, (3, 8, 8), dtype=np.uint8), sampling=(40, 4, 4))
    result = downsample(vol, 1, out=tmp_path / "mip1.h5", threads=2)
    assert result.closed
    with open_volume(tmp_path / "mip1.h5") as out:
        assert out.shape == (3, 4, 4) and out.sampling == (40, 8, 8)
        np.testing.assert_array_equal(out[...], downsample(vol[...], 1))


def test_threads_agree(rng):
    labels = rng.integers(0, 9, (7, 33, 17)).astype(np.int32)
    np.testing.assert_array_equal(downsample(labels, 2, labels=True, threads=1),
                                  downsample(labels, 2, labels=True, threads=3))


@pytest.mark.parametrize("call, error, name", [
    (lambda: downsample(np.zeros((2, 4, 4), np.uint8), -1), ValueError, "level"),
    (lambda: downsample(np.zeros((2, 4, 4), np.uint8), 1, method="max"), ValueError, "method"),
    (lambda: downsample(np.zeros((2, 4, 4), np.uint8), 1, labels=True, method="mean"),
     ValueError, "method"),
    (lambda: downsample(np.zeros((2, 4, 4), np.float32), 1, method="mode"), TypeError, "image"),
    (lambda: upsample(np.zeros((2, 4, 4), np.uint8), 1, order=3), ValueError, "order"),
    (lambda: upsample(np.zeros((2, 4, 4), np.uint8), 1, shape=(9, 8)), ValueError, "shape"),
    (lambda: downsample(np.zeros((4,), np.uint8), 1), ValueError, "image"),
])
def test_bad_arguments(call, error, name):
    with pytest.raises(error, match=name):
        call()


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 9), st.integers(1, 9), st.integers(0, 6), st.integers(0, 6),
       st.sampled_from(["reflect", "symmetric", "edge", "constant"]),
       st.sampled_from(["center", "start"]))
def test_pad_and_crop_round_trip(ny, nx, ey, ex, mode, align):
    image = np.arange(2 * ny * nx, dtype=np.uint16).reshape(2, ny, nx)
    padded, padding = pad_to(image, (ny + ey, nx + ex), mode=mode, align=align)
    assert padded.shape == (2, ny + ey, nx + ex) and padded.dtype == image.dtype
    np.testing.assert_array_equal(crop_padding(padded, padding), image)
    assert padding[0] == (0, 0)
    if align == "start":
        assert padding[1] == (0, ey) and padding[2] == (0, ex)
    np.testing.assert_array_equal(padded, np.pad(image, padding, mode=mode))


def test_reflect_and_constant_values():
    row = np.array([[1, 2, 3]], np.uint8)
    padded, padding = pad_to(row, (None, 9), mode="reflect")
    assert padded.tolist() == [[2, 3, 2, 1, 2, 3, 2, 1, 2]]  # wider than the row: repeated
    assert padding == ((0, 0), (3, 3))
    filled, _ = pad_to(row, (2, 4), mode="constant", constant=7, align="start")
    assert filled.tolist() == [[1, 2, 3, 7], [7, 7, 7, 7]]


def test_padding_errors():
    with pytest.raises(ValueError, match="smaller"):
        pad_to(np.zeros((4, 4)), (3, 4))
    with pytest.raises(ValueError, match="mode"):
        pad_to(np.zeros((4, 4)), (5, 5), mode="wrap-around")
    with pytest.raises(ValueError, match="constant"):
        pad_to(np.zeros((4, 4), np.uint8), (5, 5), mode="constant", constant=300)
    with pytest.raises(ValueError, match="align"):
        padding_for((4, 4), (5, 5), align="middle")
    with pytest.raises(ValueError, match="padding"):
        crop_padding(np.zeros((4, 4)), ((3, 3), (0, 0)))
