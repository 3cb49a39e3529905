"""Contact areas: against a slow NumPy reference, known surfaces, threads, edge cases."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nmjcore as nc


def reference_contacts(labels, sampling):
    """Face counting with NumPy, one axis at a time: {(a, b): (area µm², centroid nm)}."""
    labels = np.asarray(labels)
    ndim = labels.ndim
    faces = {}
    for axis in range(ndim):
        lo = [slice(None)] * ndim
        hi = [slice(None)] * ndim
        lo[axis], hi[axis] = slice(0, -1), slice(1, None)
        u, v = labels[tuple(lo)], labels[tuple(hi)]
        touch = (u != 0) & (v != 0) & (u != v)
        where = np.argwhere(touch).astype(np.float64)
        where[:, axis] += 0.5
        other = [s for k, s in enumerate(sampling) if k != axis]
        face = float(np.prod(other)) * (1e-6 if ndim == 3 else 1e-3)
        for a, b, pos in zip(u[touch].tolist(), v[touch].tolist(), where):
            key = (min(a, b), max(a, b))
            area, total, count = faces.get(key, (0.0, np.zeros(ndim), 0))
            faces[key] = (area + face, total + pos, count + 1)
    return {k: (area, total / count * np.asarray(sampling)) for k, (area, total, count)
            in faces.items()}


def assert_matches_reference(labels, sampling, threads=None):
    a, b, area, centroids = nc.contact_areas(labels, sampling, return_centroids=True,
                                             threads=threads)
    ref = reference_contacts(labels, sampling)
    keys = sorted(ref)
    assert list(zip(a.tolist(), b.tolist())) == keys
    np.testing.assert_allclose(area, [ref[k][0] for k in keys], rtol=1e-12)
    if keys:
        np.testing.assert_allclose(centroids, [ref[k][1] for k in keys], rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.uint32, np.uint64, np.int32,
                                   np.int64])
@pytest.mark.parametrize("shape", [(7, 9, 11), (1, 13, 5), (12, 1, 1), (4, 20, 20)])
def test_random_labels_match_reference(rng, dtype, shape):
    labels = rng.integers(0, 6, shape).astype(dtype)
    assert_matches_reference(labels, (40.0, 16.0, 12.0))


@pytest.mark.parametrize("sampling", [(1.0, 1.0), (4.0, 7.5)])
def test_2d_boundary_length(rng, sampling):
    labels = rng.integers(0, 5, (17, 23)).astype(np.uint32)
    assert_matches_reference(labels, sampling)


def test_huge_ids_keep_their_dtype(rng):
    top = np.iinfo(np.uint64).max
    labels = rng.choice(np.array([0, top, top - 1, 2**40], np.uint64), (6, 8, 8))
    a, b, _ = nc.contact_areas(labels, (1, 1, 1))
    assert a.dtype == np.uint64 and b.max() == top
    assert_matches_reference(labels, (2.0, 3.0, 5.0))


def test_views_and_fortran_order(rng):
    base = rng.integers(0, 4, (10, 12, 14)).astype(np.uint32)
    for view in (base[::2, 1:, ::-1], np.asfortranarray(base), base.transpose(2, 0, 1)):
        assert_matches_reference(view, (3.0, 2.0, 1.0))


def test_threads_do_not_change_the_result(rng):
    labels = rng.integers(0, 30, (37, 64, 48)).astype(np.uint32)
    one = nc.contact_areas(labels, (40, 16, 16), return_centroids=True, threads=1)
    two = nc.contact_areas(labels, (40, 16, 16), return_centroids=True, threads=2)
    three = nc.contact_areas(labels, (40, 16, 16), return_centroids=True, threads=3)
    for x, y, w in zip(one, two, three):
        np.testing.assert_array_equal(x, y)
        np.testing.assert_array_equal(x, w)


@settings(max_examples=40, deadline=None)
@given(shape=st.tuples(st.integers(1, 6), st.integers(1, 6), st.integers(1, 6)),
       n_labels=st.integers(1, 5), seed=st.integers(0, 2**32 - 1),
       sampling=st.tuples(*(st.floats(0.5, 50.0),) * 3))
def test_property_matches_reference(shape, n_labels, seed, sampling):
    labels = np.random.default_rng(seed).integers(0, n_labels + 1, shape).astype(np.uint16)
    assert_matches_reference(labels, sampling)


def test_boxes_touching_along_each_axis():
    s = (40.0, 16.0, 10.0)
    labels = np.zeros((10, 12, 14), np.uint32)
    labels[:5, :, :] = 1            # 1 | 2 across z: a 12 x 14 face of sy * sx
    labels[5:, :6, :] = 2
    labels[5:, 6:, :7] = 3          # 2 | 3 across y: 5 x 7 faces of sz * sx
    labels[5:, 6:, 7:] = 4          # 3 | 4 across x: 5 x 6 faces of sz * sy
    a, b, area = nc.contact_areas(labels, s)
    got = dict(zip(zip(a.tolist(), b.tolist()), area))
    assert got == pytest.approx({
        (1, 2): 6 * 14 * 16 * 10 * 1e-6,
        (1, 3): 6 * 7 * 16 * 10 * 1e-6,
        (1, 4): 6 * 7 * 16 * 10 * 1e-6,
        (2, 3): 5 * 7 * 40 * 10 * 1e-6,
        (2, 4): 5 * 7 * 40 * 10 * 1e-6,
        (3, 4): 5 * 6 * 40 * 16 * 1e-6,
    }, rel=1e-12)


def test_box_centroid_is_the_face_centre():
    labels = np.zeros((6, 8, 10), np.uint8)
    labels[:3, 2:6, 1:9] = 1
    labels[3:, 2:6, 1:9] = 2
    _, _, area, centroid = nc.contact_areas(labels, (40, 16, 16), return_centroids=True)
    assert area[0] == pytest.approx(4 * 8 * 16 * 16 * 1e-6)
    np.testing.assert_allclose(centroid[0], [2.5 * 40, 3.5 * 16, 4.5 * 16])


@pytest.mark.parametrize("sampling", [(10.0, 10.0, 10.0), (40.0, 16.0, 16.0)])
def test_sphere_cut_by_a_plane_touches_along_a_disc(sampling):
    radius = 1200.0  # nm
    shape = tuple(int(2 * radius / s) + 5 for s in sampling)
    z, y, x = np.meshgrid(*(np.arange(n) * s for n, s in zip(shape, sampling)), indexing="ij")
    c = [0.5 * (n - 1) * s for n, s in zip(shape, sampling)]
    ball = (z - c[0]) ** 2 + (y - c[1]) ** 2 + (x - c[2]) ** 2 <= radius ** 2
    cut = shape[0] // 2
    labels = np.where(ball, np.where(np.arange(shape[0])[:, None, None] < cut, 1, 2), 0)
    _, _, area = nc.contact_areas(labels.astype(np.uint32), sampling)
    # The disc where the plane between sections cut-1 and cut meets the ball.
    disc_r2 = radius ** 2 - ((cut - 0.5) * sampling[0] - c[0]) ** 2
    assert area[0] == pytest.approx(np.pi * disc_r2 * 1e-6, rel=0.03)


@pytest.mark.parametrize("sampling", [(10.0, 10.0, 10.0), (40.0, 16.0, 16.0)])
def test_ball_in_a_shell_counts_six_pi_r_squared(sampling):
    # Face counting measures a convex surface by its three axis projections (2 x pi R^2 each):
    # 6 pi R^2 for a sphere, 1.5 times its true area, under any sampling (documented bias).
    radius = 900.0
    shape = tuple(int(3 * radius / s) + 5 for s in sampling)
    z, y, x = np.meshgrid(*(np.arange(n) * s for n, s in zip(shape, sampling)), indexing="ij")
    c = [0.5 * (n - 1) * s for n, s in zip(shape, sampling)]
    r2 = (z - c[0]) ** 2 + (y - c[1]) ** 2 + (x - c[2]) ** 2
    labels = np.where(r2 <= radius ** 2, 1, np.where(r2 <= (1.4 * radius) ** 2, 2, 0))
    _, _, area = nc.contact_areas(labels.astype(np.uint16), sampling)
    assert area[0] == pytest.approx(6 * np.pi * radius ** 2 * 1e-6, rel=0.03)


def test_edge_cases():
    for labels in (np.zeros((3, 4, 5), np.uint32), np.ones((3, 4, 5), np.uint32),
                   np.zeros((1, 1, 1), np.uint8), np.zeros((0, 4, 4), np.uint32),
                   np.ones((4, 4), bool)):
        a, b, area = nc.contact_areas(labels)
        assert len(a) == len(b) == len(area) == 0
    one = np.zeros((3, 3, 3), np.uint32)
    one[1, 1, 1] = 5
    one[1, 1, 2] = 7
    a, b, area = nc.contact_areas(one, (2.0, 3.0, 4.0))
    assert (a.tolist(), b.tolist()) == ([5], [7]) and area[0] == pytest.approx(6e-6)


def test_bad_input():
    with pytest.raises(TypeError, match="labels"):
        nc.contact_areas(np.zeros((3, 3, 3), np.float32))
    with pytest.raises(ValueError, match="labels"):
        nc.contact_areas(np.zeros((2, 3, 3, 3), np.uint32))
    with pytest.raises(ValueError, match="sampling"):
        nc.contact_areas(np.zeros((3, 3, 3), np.uint32), (1.0, -1.0, 1.0))
    with pytest.raises(ValueError, match="sampling"):
        nc.contact_areas(np.zeros((3, 3, 3), np.uint32), (1.0, 1.0))
    with pytest.raises(ValueError, match="non-negative"):
        nc.contact_areas(np.full((3, 3, 3), -2, np.int32))
    with pytest.raises(ValueError, match="threads"):
        nc.contact_areas(np.zeros((3, 3, 3), np.uint32), threads=0)


def test_phantom_terminals_touch_their_fibres():
    ph = nc.synth.phantom((24, 96, 96), n_axons=6, seed=2, muscle=2)
    offset = int(ph.axons.max())
    combined = np.where(ph.muscle != 0, ph.muscle + offset, ph.axons).astype(np.uint32)
    assert_matches_reference(combined, ph.sampling)
    a, b, area = nc.contact_areas(combined, ph.sampling)
    touching = set(a[(a <= offset) & (b > offset)].tolist())
    assert len(touching) >= 4  # terminals rest on the fibres (an axon may leave the field)


@pytest.mark.parametrize("dtypes", [(np.uint32, np.uint8), (np.int64, np.uint16),
                                    (np.uint64, np.uint64)])
def test_between_two_volumes_equals_one_offset_volume(rng, dtypes):
    a = rng.integers(0, 7, (9, 15, 13)).astype(dtypes[0])
    b = (rng.integers(0, 4, a.shape) * (rng.random(a.shape) < 0.4)).astype(dtypes[1])
    ids_a, ids_b, area, centroid = nc.contact_areas_between(a, b, (40, 16, 16),
                                                            return_centroids=True)
    assert ids_a.dtype == a.dtype and ids_b.dtype == b.dtype
    combined = np.where(b != 0, b.astype(np.int64) + 100, a.astype(np.int64))
    ra, rb, rarea, rcentroid = nc.contact_areas(combined, (40, 16, 16), return_centroids=True)
    cross = (ra < 100) & (rb >= 100)
    assert ids_a.tolist() == ra[cross].tolist() and ids_b.tolist() == (rb[cross] - 100).tolist()
    np.testing.assert_allclose(area, rarea[cross], rtol=1e-12)
    np.testing.assert_allclose(centroid, rcentroid[cross], rtol=1e-12)
    one = nc.contact_areas_between(a, b, (40, 16, 16), threads=1)
    two = nc.contact_areas_between(a, b, (40, 16, 16), threads=2)
    for x, y in zip(one, two):
        np.testing.assert_array_equal(x, y)


def test_between_bad_input():
    a = np.zeros((3, 4, 5), np.uint32)
    with pytest.raises(ValueError, match="labels_b"):
        nc.contact_areas_between(a, np.zeros((3, 4, 4), np.uint32))
    with pytest.raises(ValueError, match="2\\*\\*63"):
        nc.contact_areas_between(a, np.full(a.shape, 2**63, np.uint64))
    with pytest.raises(TypeError, match="labels_a"):
        nc.contact_areas_between(a.astype(float), a)
