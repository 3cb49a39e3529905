"""nmjcore.overlap_table against a NumPy reference (np.unique over pairs)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nmjcore as nc

INTEGER_DTYPES = [np.uint8, np.uint16, np.uint32, np.uint64, np.int8, np.int16, np.int32, np.int64]


def reference(a, b):
    """Exact for every dtype (Python ints): np.unique over the pairs as strings."""
    keys = np.array([f"{int(x)} {int(y)}" for x, y in zip(a.ravel().tolist(), b.ravel().tolist())])
    uniq, counts = np.unique(keys, return_counts=True)
    return {tuple(int(v) for v in key.split()): int(c) for key, c in zip(uniq, counts)}


def reference_fast(a, b):
    """np.unique over stacked (a, b) rows; both cast to int64 (values fit)."""
    pairs = np.stack([a.ravel().astype(np.int64), b.ravel().astype(np.int64)], axis=1)
    uniq, counts = np.unique(pairs, axis=0, return_counts=True)
    return uniq[:, 0], uniq[:, 1], counts


def blobs(rng, shape, n_labels, dtype):
    """Piecewise constant labels: random ids on a coarse grid, upsampled."""
    coarse = tuple(max(1, s // 4) for s in shape)
    ids = rng.integers(0, n_labels, coarse)
    out = ids
    for axis, s in enumerate(shape):
        out = np.repeat(out, -(-s // coarse[axis]), axis=axis)
    return out[tuple(slice(0, s) for s in shape)].astype(dtype)


def check(a, b, **kwargs):
    ids_a, ids_b, counts = nc.overlap_table(a, b, **kwargs)
    assert ids_a.dtype == (np.uint8 if a.dtype == bool else a.dtype.newbyteorder("="))
    assert ids_b.dtype == (np.uint8 if b.dtype == bool else b.dtype.newbyteorder("="))
    assert counts.dtype == np.int64
    got = {(int(x), int(y)): int(c) for x, y, c in zip(ids_a, ids_b, counts)}
    assert got == reference(a, b)
    order = np.lexsort((ids_b, ids_a))
    np.testing.assert_array_equal(order, np.arange(order.size))
    return ids_a, ids_b, counts


@pytest.mark.parametrize("shape", [(40, 50), (1, 1), (1, 30), (30, 1), (5, 17, 23), (1, 9, 9)])
@pytest.mark.parametrize("dtype_a, dtype_b", [(np.uint32, np.uint32), (np.uint8, np.int64),
                                              (np.int16, np.uint64), (np.int32, np.uint16)])
def test_matches_numpy_reference(rng, shape, dtype_a, dtype_b):
    a = blobs(rng, shape, 6, dtype_a)
    b = blobs(rng, shape, 9, dtype_b)
    ids_a, ids_b, counts = check(a, b)
    want_a, want_b, want_counts = reference_fast(a, b)
    np.testing.assert_array_equal(ids_a.astype(np.int64), want_a)
    np.testing.assert_array_equal(ids_b.astype(np.int64), want_b)
    np.testing.assert_array_equal(counts, want_counts)


@pytest.mark.parametrize("dtype", INTEGER_DTYPES)
def test_every_dtype_noise(rng, dtype):
    """Salt-and-pepper labels: no runs at all."""
    info = np.iinfo(dtype)
    a = rng.integers(max(info.min, -3), min(info.max, 4), (23, 31)).astype(dtype)
    b = rng.integers(0, 3, (23, 31)).astype(np.uint8)
    check(a, b)
    check(b, a)


@pytest.mark.parametrize("dtype", [np.uint64, np.int64, np.uint32, np.int8])
def test_extreme_ids(rng, dtype):
    info = np.iinfo(dtype)
    values = np.array([info.min, info.max, info.max - 1, 0, info.min + 1], dtype=dtype)
    a = values[rng.integers(0, 5, (20, 20))]
    b = values[rng.integers(0, 5, (20, 20))]
    ids_a, ids_b, counts = check(a, b)
    assert counts.sum() == a.size


def test_background_pairs_included():
    a = np.array([[0, 0, 1]], np.uint32)
    b = np.array([[0, 2, 2]], np.uint32)
    ids_a, ids_b, counts = nc.overlap_table(a, b)
    assert list(zip(ids_a.tolist(), ids_b.tolist(), counts.tolist())) == [(0, 0, 1), (0, 2, 1),
                                                                          (1, 2, 1)]


def test_bool_and_identical(rng):
    mask = rng.random((30, 30)) < 0.5
    ids_a, ids_b, counts = check(mask, mask)
    assert counts.tolist() == [np.count_nonzero(~mask), np.count_nonzero(mask)]


def test_threads_agree(rng):
    a = blobs(rng, (6, 200, 300), 40, np.uint32)
    b = blobs(rng, (6, 200, 300), 40, np.uint64) * np.uint64(10**15)
    one = nc.overlap_table(a, b, threads=1)
    for threads in (2, 3, 7):
        many = nc.overlap_table(a, b, threads=threads)
        for x, y in zip(one, many):
            np.testing.assert_array_equal(x, y)
    want_a, want_b, want_counts = reference_fast(a, b.astype(np.int64))
    np.testing.assert_array_equal(one[2], want_counts)


def test_views_and_orders(rng):
    a = blobs(rng, (40, 60), 5, np.int32)
    b = blobs(rng, (40, 60), 5, np.int32)
    check(a[::2, 1::3], b[::2, 1::3])
    check(np.asfortranarray(a), np.asfortranarray(b))
    check(a.astype(">i4"), b)


def test_empty():
    ids_a, ids_b, counts = nc.overlap_table(np.zeros((0, 4), np.uint16), np.zeros((0, 4), np.int8))
    assert ids_a.dtype == np.uint16 and ids_b.dtype == np.int8 and counts.size == 0


@pytest.mark.parametrize("a, b, error, match", [
    (np.zeros((2, 3)), np.zeros((2, 3), int), TypeError, "a: expected a bool or integer"),
    (np.zeros((2, 3), int), np.zeros((3, 2), int), ValueError, "a, b: expected arrays of one"),
    (np.zeros(3, int), np.zeros(3, int), ValueError, "a: expected a 2D or 3D"),
    (np.zeros((2, 3), int), "x", TypeError, "b"),
])
def test_bad_input(a, b, error, match):
    with pytest.raises(error, match=match):
        nc.overlap_table(a, b)


@settings(max_examples=50, deadline=None)
@given(hnp.arrays(np.int64, hnp.array_shapes(min_dims=2, max_dims=3, max_side=7),
                  elements=st.integers(-2**62, 2**62) | st.integers(0, 3)),
       st.data())
def test_hypothesis(a, data):
    b = data.draw(hnp.arrays(np.uint16, a.shape, elements=st.integers(0, 3)))
    check(a, b)
