"""Tests of the synthetic EM generator (nmjcore.synth.phantom)."""

from __future__ import annotations

import dataclasses

import cc3d
import numpy as np
import pytest

from nmjcore.synth import Phantom, phantom

SMALL = (16, 128, 128)


@pytest.fixture(scope="module")
def plain():
    return phantom(SMALL, n_axons=20, seed=7, n_bad=0)


@pytest.fixture(scope="module")
def with_muscle():
    return phantom((24, 160, 160), n_axons=16, seed=3, muscle=3, n_bad=0, jump_probability=0.0)


def _good_sections(p):
    return [z for z in range(p.raw.shape[0]) if z not in p.bad_sections]


def _components_2d(section):
    """(component id -> axon id) of the 4-connected components of one label section."""
    labels, n = cc3d.connected_components(section, connectivity=4, return_N=True)
    out = {}
    for k in range(1, n + 1):
        out[k] = int(section[labels == k][0])
    return out


# ---- interface ---------------------------------------------------------------------------------

def test_fields_in_order():
    names = [f.name for f in dataclasses.fields(Phantom)]
    assert names[:6] == ["raw", "axons", "membrane", "sampling", "bad_sections", "muscle"]
    p = phantom((2, 32, 32), n_axons=3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.raw = None


@pytest.mark.parametrize("shape", [(16, 128, 128), (5, 64, 96), (1, 40, 24), (3, 8, 8)])
def test_sizes_and_dtypes(shape):
    p = phantom(shape, n_axons=10, seed=1, n_bad=1, muscle=2)
    assert p.raw.shape == p.axons.shape == p.membrane.shape == p.muscle.shape == shape
    assert p.raw.dtype == np.uint8
    assert p.axons.dtype == np.uint32
    assert p.membrane.dtype == np.bool_
    assert p.muscle.dtype == np.uint32
    assert p.schwann.shape == shape and p.schwann.dtype == np.bool_
    assert p.sampling == (40.0, 16.0, 16.0)
    assert isinstance(p.bad_sections, tuple) and len(p.bad_sections) == 1
    assert all(isinstance(z, int) for z in p.bad_sections)
    assert set(p.bad_kinds) == set(p.bad_sections)
    assert p.axons.max() <= 10
    assert set(np.unique(p.muscle)) <= {0, 1, 2}
    assert p.section_shifts.shape == (shape[0], 2)
    assert p.gain.shape == p.offset.shape == (shape[0],)
    n_seg = len(p.segment_axon)
    assert p.centres.shape == (n_seg, shape[0], 2) and p.radii.shape == (n_seg, shape[0])
    for a in (p.raw, p.axons, p.membrane, p.muscle):
        assert a.flags.c_contiguous


def test_defaults_and_muscle_off():
    p = phantom((4, 64, 64))
    assert p.muscle is None
    assert p.bad_sections == ()  # round(4 / 32) == 0
    assert set(np.unique(p.axons)) <= set(range(41))
    p = phantom((64, 32, 32), n_axons=4, sampling=(30, 8, 8))
    assert len(p.bad_sections) == 2
    assert list(p.bad_sections) == sorted(p.bad_sections)
    assert p.sampling == (30.0, 8.0, 8.0)


def test_muscle_flag_forms():
    shape = (4, 32, 32)
    assert phantom(shape, n_axons=2, muscle=np.bool_(True)).muscle is not None
    assert phantom(shape, n_axons=2, muscle=0).muscle is None
    assert phantom(shape, n_axons=2, muscle=None).muscle is None


def test_no_axons():
    p = phantom((3, 32, 32), n_axons=0, n_bad=0)
    assert p.axons.max() == 0 and not p.membrane.any()
    assert p.raw.std() > 0  # background texture and noise


# ---- determinism -------------------------------------------------------------------------------

def test_same_seed_same_arrays():
    kw = dict(n_axons=15, n_bad=3, muscle=True, jump_probability=0.2)
    a = phantom(SMALL, seed=11, **kw)
    b = phantom(SMALL, seed=11, **kw)
    for name in ("raw", "axons", "membrane", "muscle", "schwann", "centres", "gain"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert a.bad_kinds == b.bad_kinds


def test_different_seed_differs():
    a = phantom(SMALL, n_axons=15, seed=1)
    b = phantom(SMALL, n_axons=15, seed=2)
    assert not np.array_equal(a.raw, b.raw)
    assert not np.array_equal(a.axons, b.axons)


def test_imaging_options_leave_tissue_alone():
    a = phantom(SMALL, n_axons=12, seed=5, n_bad=0)
    b = phantom(SMALL, n_axons=12, seed=5, n_bad=2, noise=20.0, blur=2.0, flicker=0.3)
    np.testing.assert_array_equal(a.axons, b.axons)
    np.testing.assert_array_equal(a.membrane, b.membrane)
    assert not np.array_equal(a.raw, b.raw)


# ---- image versus ground truth -----------------------------------------------------------------

def test_axons_brighter_than_membrane(plain):
    good = _good_sections(plain)
    raw = plain.raw[good].astype(np.float64)
    axons, membrane = plain.axons[good] > 0, plain.membrane[good]
    background = ~axons & ~membrane & ~plain.schwann[good]
    inside, ring, rest = raw[axons].mean(), raw[membrane].mean(), raw[background].mean()
    assert inside > ring + 40
    assert ring < rest < inside


def test_each_section_brighter_inside(plain):
    for z in _good_sections(plain):
        raw, a, m = plain.raw[z].astype(float), plain.axons[z] > 0, plain.membrane[z]
        if a.any() and m.any():
            assert raw[a].mean() > raw[m].mean() + 30


def test_membrane_separates_axons():
    p = phantom((12, 128, 128), n_axons=40, seed=4, fill=0.6, muscle=True, n_bad=0)
    a = p.axons
    for left, right in ((a[:, :, :-1], a[:, :, 1:]), (a[:, :-1, :], a[:, 1:, :])):
        touching = (left != right) & (left > 0) & (right > 0)
        assert not touching.any()
    assert not (p.membrane & (a > 0)).any()
    assert not ((p.muscle > 0) & ((a > 0) | p.membrane)).any()
    # every axon pixel on the outline of its cross-section has a membrane pixel next to it
    inner = a > 0
    border = inner.copy()
    border[:, 1:-1, 1:-1] = inner[:, 1:-1, 1:-1] & ~(
        inner[:, :-2, 1:-1] & inner[:, 2:, 1:-1] & inner[:, 1:-1, :-2] & inner[:, 1:-1, 2:])
    m = p.membrane
    near = np.zeros_like(m)
    near[:, 1:-1, 1:-1] = (m[:, :-2, 1:-1] | m[:, 2:, 1:-1] | m[:, 1:-1, :-2] | m[:, 1:-1, 2:])
    inside_border = border[:, 1:-1, 1:-1]
    assert near[:, 1:-1, 1:-1][inside_border].mean() > 0.95


def test_rings_are_a_few_pixels():
    p = phantom((4, 128, 128), n_axons=8, seed=2, n_bad=0, myelin_fraction=0.0)
    assert 0.02 < p.membrane.mean() < 0.25
    for z in range(4):
        for k, axon in _components_2d(p.axons[z]).items():
            assert axon > 0


# ---- geometry for tracing ----------------------------------------------------------------------

def test_axons_connected_along_z():
    p = phantom((24, 128, 128), n_axons=25, seed=9, jump_probability=0.0, n_bad=0)
    present = [i for i in range(1, 26) if (p.axons == i).any()]
    assert len(present) >= 20
    single = 0
    for i in present:
        n = cc3d.connected_components(p.axons == i, connectivity=6, return_N=True)[1]
        single += n == 1
    assert single >= 0.9 * len(present)
    # consecutive cross-sections of an axon overlap (drift smaller than the radius)
    a = p.axons
    for i in present:
        zs = np.flatnonzero((a == i).any(axis=(1, 2)))
        for z in zs[:-1]:
            if z + 1 in zs:
                assert ((a[z] == i) & (a[z + 1] == i)).any()


def test_drift_smaller_than_radius():
    p = phantom((30, 256, 256), n_axons=30, seed=1, jump_probability=0.0)
    step = np.linalg.norm(np.diff(p.centres, axis=1), axis=2)
    r = p.radii[:, 1:]
    ok = ~np.isnan(step) & ~np.isnan(r)
    assert np.mean(step[ok] < r[ok]) > 0.95
    assert np.median(step[ok]) < 0.5 * np.median(r[ok])


def test_jumps_shift_whole_sections():
    p = phantom((20, 192, 192), n_axons=10, seed=3, jump_probability=0.3, jump_size=(15, 30),
                n_bad=0)
    shifts = p.section_shifts
    steps = np.linalg.norm(np.diff(shifts, axis=0), axis=1)
    jumps = np.flatnonzero(steps > 0)
    assert len(jumps) >= 2
    assert np.all(steps[jumps] >= 14) and np.all(steps[jumps] <= 31)
    # the labels move with the image: an axon's label centroid follows its recorded centre
    for z in range(20):
        for s in np.flatnonzero(p.segment_parent < 0)[:5]:
            c = p.centres[s, z]
            if np.isnan(c).any():
                continue
            yy, xx = np.nonzero(p.axons[z] == p.segment_axon[s])
            if len(yy) > 20 and 10 < c[0] < 182 and 10 < c[1] < 182:
                assert abs(yy.mean() - c[0]) < 0.5 * p.radii[s, z] + 2
                assert abs(xx.mean() - c[1]) < 0.5 * p.radii[s, z] + 2


def test_branches_keep_parent_id():
    p = phantom((40, 160, 160), n_axons=12, seed=2, branch_probability=1.0, end_fraction=0.0,
                jump_probability=0.0, n_bad=0)
    children = np.flatnonzero(p.segment_parent >= 0)
    assert len(children) >= 6
    np.testing.assert_array_equal(p.segment_axon[children],
                                  p.segment_axon[p.segment_parent[children]])
    assert p.axons.max() <= 12
    # a branch starts inside its parent and later appears as a second cross-section of the id
    split_seen = set()
    for z in range(40):
        ids = list(_components_2d(p.axons[z]).values())
        split_seen |= {i for i in ids if ids.count(i) > 1}
    assert len(split_seen) >= 3
    for c in children:
        first = np.flatnonzero(~np.isnan(p.radii[c]))[0]
        parent = p.segment_parent[c]
        d = np.linalg.norm(p.centres[c, first] - p.centres[parent, first - 1])
        assert d < p.radii[parent, first - 1] + 2


def test_axons_start_and_end_inside():
    p = phantom((30, 192, 192), n_axons=30, seed=6, start_fraction=0.3, end_fraction=0.3,
                branch_probability=0.0, jump_probability=0.0, n_bad=0)
    first = np.array([np.flatnonzero((p.axons == i).any(axis=(1, 2)))[[0, -1]]
                      for i in range(1, 31) if (p.axons == i).any()])
    assert (first[:, 0] > 0).sum() >= 3
    assert (first[:, 1] < 29).sum() >= 3


# ---- muscle ------------------------------------------------------------------------------------

def test_muscle_present_and_touched(with_muscle):
    p = with_muscle
    assert set(np.unique(p.muscle)) == {0, 1, 2, 3}
    # muscle fills the end of the stack, not its start
    share = (p.muscle > 0).mean(axis=(1, 2))
    assert share[0] == 0 and share[-1] > 0.5
    # axon end faces rest on the muscle of the next section
    face = (p.axons[:-1] > 0) & (p.muscle[1:] > 0)
    touching = np.unique(p.axons[:-1][face])
    present = np.unique(p.axons)[1:]
    assert len(touching) >= 0.7 * len(present)


def test_contact_grows_with_calibre(with_muscle):
    p = with_muscle
    face = (p.axons[:-1] > 0) & (p.muscle[1:] > 0)
    ids, area = np.unique(p.axons[:-1][face], return_counts=True)
    main = p.segment_parent < 0
    radius = np.array([np.nanmedian(p.radii[main & (p.segment_axon == i)][:, :12]) for i in ids])
    assert np.corrcoef(radius, area)[0, 1] > 0.5


# ---- imaging defects ---------------------------------------------------------------------------

def test_bad_sections_are_bad():
    kinds = ("blank", "saturated", "cracked", "low_contrast")
    p = phantom((20, 128, 128), n_axons=20, seed=8, n_bad=4, bad_kinds=kinds, flicker=0.0)
    assert sorted(p.bad_kinds.values()) == sorted(kinds)
    assert 0 not in p.bad_sections and 19 not in p.bad_sections
    good = _good_sections(p)
    good_std = np.median([p.raw[z].std() for z in good])
    dark_share = np.median([(p.raw[z] < 30).mean() for z in good])
    for z, kind in p.bad_kinds.items():
        section = p.raw[z]
        if kind == "blank":
            assert section.std() < 2.0
        elif kind == "saturated":
            assert (section == 255).mean() > 0.75
        elif kind == "low_contrast":
            assert section.std() < 0.6 * good_std
        elif kind == "cracked":
            assert (section < 30).mean() > dark_share + 0.005
        # the ground truth stays the tissue on bad sections
        assert (p.axons[z] > 0).sum() > 0.5 * (p.axons[z - 1] > 0).sum()


def test_flicker_spreads_section_means():
    kw = dict(n_axons=20, seed=12, n_bad=0)
    calm = phantom((20, 96, 96), flicker=0.0, **kw)
    jumpy = phantom((20, 96, 96), flicker=0.15, **kw)
    spread = lambda p: p.raw.reshape(20, -1).mean(axis=1).std()  # noqa: E731
    assert spread(jumpy) > 2 * spread(calm)
    np.testing.assert_array_equal(calm.gain, 1.0)
    assert jumpy.gain.std() > 0.05


def test_noise_and_blur_options():
    kw = dict(n_axons=10, seed=1, n_bad=0, flicker=0.0)
    quiet = phantom((3, 96, 96), noise=0.0, shot_noise=0.0, **kw)
    loud = phantom((3, 96, 96), noise=25.0, **kw)
    d_quiet = np.abs(np.diff(quiet.raw.astype(float), axis=2)).mean()
    d_loud = np.abs(np.diff(loud.raw.astype(float), axis=2)).mean()
    assert d_loud > 2 * d_quiet


# ---- arguments ---------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, name", [
    (dict(shape=(10, 10)), "shape"),
    (dict(shape=(0, 10, 10)), "shape"),
    (dict(shape=(2, -1, 10)), "shape"),
    (dict(shape=(2.0, 10, 10)), "shape"),
    (dict(shape="abc"), "shape"),
    (dict(n_axons=-1), "n_axons"),
    (dict(seed=-3), "seed"),
    (dict(seed=1.5), "seed"),
    (dict(sampling=(40, 16)), "sampling"),
    (dict(sampling=(40, -16, 16)), "sampling"),
    (dict(fill=0.0), "fill"),
    (dict(fill=0.95), "fill"),
    (dict(radius=-2.0), "radius"),
    (dict(myelin_fraction=1.5), "myelin_fraction"),
    (dict(g_ratio=1.0), "g_ratio"),
    (dict(membrane_width=0.5), "membrane_width"),
    (dict(drift=-1.0), "drift"),
    (dict(jump_probability=2.0), "jump_probability"),
    (dict(jump_size=(30, 10)), "jump_size"),
    (dict(jump_size=5), "jump_size"),
    (dict(branch_probability=-0.1), "branch_probability"),
    (dict(start_fraction=1.1), "start_fraction"),
    (dict(end_fraction=-0.5), "end_fraction"),
    (dict(n_schwann=-1), "n_schwann"),
    (dict(muscle=-2), "muscle"),
    (dict(terminal_spread=0.5), "terminal_spread"),
    (dict(noise=-1.0), "noise"),
    (dict(shot_noise=float("nan")), "shot_noise"),
    (dict(blur=-0.5), "blur"),
    (dict(flicker=-0.1), "flicker"),
    (dict(n_bad=-1), "n_bad"),
    (dict(shape=(4, 16, 16), n_bad=5), "n_bad"),
    (dict(bad_kinds=("blank", "melted")), "bad_kinds"),
    (dict(n_bad=1, bad_kinds=()), "bad_kinds"),
])
def test_bad_arguments(kwargs, name):
    kwargs = {"shape": (2, 16, 16), **kwargs}
    with pytest.raises((ValueError, TypeError), match=name):
        phantom(**kwargs)


def test_wrong_types_are_type_errors():
    with pytest.raises(TypeError, match="n_axons"):
        phantom((2, 16, 16), n_axons=2.5)
    with pytest.raises(TypeError, match="noise"):
        phantom((2, 16, 16), noise="loud")


def test_docstring_example():
    p = phantom((8, 96, 96), n_axons=6, seed=1, muscle=True)
    assert p.raw.shape == (8, 96, 96) and int(p.axons.max()) <= 6
