"""Bad sections: every defect of the phantom found with its kind, none on clean sections."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from nmjcore.io import open_volume, write_volume
from nmjcore.preprocess import (BadSectionReport, detect_bad_sections, nearest_good_sections,
                                replace_bad_sections)
from nmjcore.synth import phantom

SHAPE = (40, 192, 192)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 5])
def test_finds_every_bad_section_of_the_phantom(seed):
    # misalignment steps at 5 % of the section boundaries: they must not count as cracks
    p = phantom(SHAPE, n_axons=24, seed=seed, n_bad=6, jump_probability=0.05)
    report = detect_bad_sections(p.raw)
    assert report.bad == p.bad_sections
    assert report.kinds == p.bad_kinds
    good = [z for z in range(SHAPE[0]) if z not in p.bad_sections]
    # the clean sections keep a margin to every threshold
    assert report.contrast[good].min() > 0.7
    assert report.clipped[good].max() < 0.05
    assert np.nanmax(report.discontinuity[good]) < 1.2


def test_no_false_positives_on_a_clean_misaligned_stack():
    # strong flicker: a few sections clip part of their bright axoplasm, and are still good
    p = phantom(SHAPE, n_axons=24, seed=8, n_bad=0, jump_probability=0.15, flicker=0.15)
    assert np.any(np.diff(p.section_shifts, axis=0))  # several steps
    report = detect_bad_sections(p.raw)
    assert report.bad == () and report.kinds == {}
    assert len(report) == 0 and str(report).startswith("0 bad of 40")


def test_each_kind_alone():
    for kind in ("blank", "saturated", "low_contrast", "cracked"):
        p = phantom((24, 160, 160), n_axons=16, seed=4, n_bad=2, bad_kinds=(kind,),
                    jump_probability=0.0)
        report = detect_bad_sections(p.raw)
        assert report.kinds == p.bad_kinds, kind


def test_scores_follow_their_definitions():
    rng = np.random.default_rng(1)
    base = rng.integers(50, 200, (64, 64)).astype(np.float64)
    stack = np.stack([np.roll(base, z // 3, axis=1) for z in range(12)]).astype(np.uint8)
    stack[3] = 128 + (stack[3].astype(int) - 128) // 4  # a quarter of the contrast
    stack[6] = np.where(stack[6] > 100, 255, stack[6])  # clipped
    report = detect_bad_sections(stack, window=5)
    spread = [np.quantile(s, 0.95) - np.quantile(s, 0.05) for s in stack]
    neighbours = [spread[z] for z in (1, 2, 4, 5)]
    assert report.contrast[3] == pytest.approx(spread[3] / np.median(neighbours), rel=0.02)
    share = [np.mean((s == 0) | (s == 255)) for s in stack]
    assert report.clipped[6] == pytest.approx(share[6] - np.median([share[z] for z in
                                                                    (4, 5, 7, 8)]), abs=1e-9)
    assert report.kinds == {3: "low_contrast", 6: "saturated"}
    assert np.isnan(report.discontinuity[[0, 11]]).all()


def test_fill_value_border_is_not_saturation():
    p = phantom((20, 128, 128), n_axons=10, seed=2, n_bad=0)
    raw = p.raw.copy()
    raw[:, :, :40] = 0  # an aligned stack's black border, the same on every section
    assert detect_bad_sections(raw).bad == ()


def test_volume_input_threads_and_report_file(tmp_path):
    p = phantom((24, 128, 128), n_axons=12, seed=6, n_bad=3)
    write_volume(tmp_path / "raw.h5", p.raw)
    with open_volume(tmp_path / "raw.h5") as vol:
        from_disk = detect_bad_sections(vol, threads=1)
    in_memory = detect_bad_sections(p.raw, threads=3)
    assert isinstance(from_disk, BadSectionReport)
    assert from_disk.kinds == in_memory.kinds == p.bad_kinds
    np.testing.assert_array_equal(from_disk.discontinuity, in_memory.discontinuity)
    np.testing.assert_array_equal(from_disk.quantiles, in_memory.quantiles)
    from_disk.write_csv(tmp_path / "bad.csv")
    with open(tmp_path / "bad.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 24
    assert {int(r["z"]): r["kind"] for r in rows if r["kind"]} == p.bad_kinds


def test_nearest_good_sections():
    assert nearest_good_sections([1, 2, 4], 5) == [(1, 0), (2, 3), (4, 3)]
    assert nearest_good_sections([0, 1], 4) == [(0, 2), (1, 2)]
    assert nearest_good_sections([], 3) == []
    with pytest.raises(ValueError, match="all 2 sections are bad"):
        nearest_good_sections([0, 1], 2)
    with pytest.raises(ValueError, match="bad"):
        nearest_good_sections([7], 3)


def test_replace_bad_sections(tmp_path):
    p = phantom((16, 96, 96), n_axons=8, seed=3, n_bad=3)
    report = detect_bad_sections(p.raw)
    fixed, replaced = replace_bad_sections(p.raw, report)
    assert [z for z, _ in replaced] == list(p.bad_sections)
    for z, source in replaced:
        assert source not in p.bad_sections and abs(source - z) <= 2
        np.testing.assert_array_equal(fixed[z], p.raw[source])
    good = [z for z in range(16) if z not in p.bad_sections]
    np.testing.assert_array_equal(fixed[good], p.raw[good])
    assert detect_bad_sections(fixed).bad == ()
    # to a path, and in place
    result, again = replace_bad_sections(p.raw, list(p.bad_sections), out=tmp_path / "f.zarr")
    assert again == replaced
    with open_volume(tmp_path / "f.zarr") as vol:
        np.testing.assert_array_equal(vol[...], fixed)
    copy = p.raw.copy()
    same, _ = replace_bad_sections(copy, report, out=copy)
    assert same is copy
    np.testing.assert_array_equal(copy, fixed)


@pytest.mark.parametrize("kwargs, error, name", [
    (dict(stack=np.zeros((3, 8, 8), np.float32)), TypeError, "stack"),
    (dict(stack=np.zeros((8, 8), np.uint8)), ValueError, "stack"),
    (dict(window=2), ValueError, "window"),
    (dict(saturation=1.5), ValueError, "saturation"),
    (dict(low_contrast=-1), ValueError, "low_contrast"),
    (dict(discontinuity="high"), TypeError, "discontinuity"),
    (dict(size=4), ValueError, "size"),
])
def test_bad_arguments(kwargs, error, name):
    args = {"stack": np.zeros((3, 8, 8), np.uint8), **kwargs}
    with pytest.raises(error, match=name):
        detect_bad_sections(args.pop("stack"), **args)


def test_tiny_stacks():
    one = detect_bad_sections(np.full((1, 4, 4), 9, np.uint8))
    assert one.bad == () and np.isnan(one.discontinuity).all()
    two = detect_bad_sections(np.random.default_rng(0).integers(0, 256, (2, 1, 1), np.uint8))
    assert len(two.contrast) == 2
