"""Deflicker and the section statistics under it: the phantom's flicker removed, content kept."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from nmjcore.io import create_volume, open_volume
from nmjcore.preprocess import deflicker, detect_bad_sections
from nmjcore.preprocess.statistics import (PROBABILITIES, histogram, quantiles, running_median,
                                           section_quantiles)
from nmjcore.synth import phantom

SHAPE = (40, 192, 192)


@pytest.fixture(scope="module")
def flickering():
    kw = dict(n_axons=24, seed=21, n_bad=3, flicker=0.1)
    return phantom(SHAPE, **kw), phantom(SHAPE, **{**kw, "flicker": 0.0})


def section_spread(stack, sections):
    flat = stack[sections].reshape(len(sections), -1).astype(np.float64)
    return flat.mean(axis=1).std(), flat.std(axis=1).std()


def test_quantiles_match_numpy(rng):
    section = rng.integers(0, 256, (37, 41), dtype=np.uint8)
    counts = histogram(section)
    assert counts.sum() == section.size
    np.testing.assert_array_equal(counts, np.bincount(section.ravel(), minlength=256))
    q = quantiles(counts)
    # level v spread over [v - 0.5, v + 0.5]: within half a level of numpy's quantiles
    ref = np.quantile(section, PROBABILITIES, method="inverted_cdf")
    assert np.all(np.abs(q - ref) <= 0.5 + 1e-9)
    assert np.all(np.diff(q) >= 0)
    assert q[0] == pytest.approx(section.min() - 0.5, abs=1e-6)
    assert q[-1] == pytest.approx(section.max() + 0.5, abs=1e-6)


def test_uint16_statistics(rng):
    stack = rng.integers(0, 65536, (3, 20, 20), dtype=np.uint16)
    table = section_quantiles(stack)
    ref = np.quantile(stack.reshape(3, -1), 0.5, axis=1, method="inverted_cdf")
    assert table.shape == (3, PROBABILITIES.size) and PROBABILITIES[32] == 0.5
    assert np.all(np.abs(table[:, 32] - ref) <= 0.5 + 1e-3)


def test_running_median_against_a_loop(rng):
    values = rng.normal(size=(23, 3))
    exclude = np.zeros(23, bool)
    exclude[[4, 5, 17]] = True
    got = running_median(values, 7, exclude)
    for z in range(23):
        near = [k for k in range(max(0, z - 3), min(23, z + 4)) if k != z and not exclude[k]]
        np.testing.assert_allclose(got[z], np.median(values[near], axis=0))


def test_running_median_without_neighbours():
    values = np.array([[1.0], [2.0], [3.0]])
    np.testing.assert_array_equal(running_median(values[:1], 5), values[:1])  # itself
    got = running_median(values, 3, exclude=[False, True, False])
    np.testing.assert_array_equal(got[:, 0], [2.0, 2.0, 2.0])  # z=0 and z=2: global median


@pytest.mark.parametrize("method", ["linear", "histogram"])
def test_removes_the_phantoms_flicker(flickering, method):
    """Documented bound: the spread (std over sections) of the per-section mean drops to at
    most 0.35 of the input's, that of the per-section std to at most 0.6, on clean sections."""
    p, calm = flickering
    good = [z for z in range(SHAPE[0]) if z not in p.bad_sections]
    report = detect_bad_sections(p.raw)
    assert report.bad == p.bad_sections
    out = deflicker(p.raw, exclude=report, method=method)
    assert out.shape == p.raw.shape and out.dtype == np.uint8
    mean_in, std_in = section_spread(p.raw, good)
    mean_out, std_out = section_spread(out, good)
    assert mean_out <= 0.35 * mean_in, (mean_in, mean_out)
    assert std_out <= 0.6 * std_in, (std_in, std_out)
    # content untouched: each section still matches the flicker-free phantom about as well as
    # the input did (histogram matching reshapes grey levels a little), and the grey-level map
    # is one non-decreasing table per section
    tolerance = 1e-3 if method == "linear" else 5e-3
    for z in good:
        r_in = np.corrcoef(p.raw[z].ravel(), calm.raw[z].ravel())[0, 1]
        r_out = np.corrcoef(out[z].ravel(), calm.raw[z].ravel())[0, 1]
        assert r_out >= r_in - tolerance
        order = np.argsort(p.raw[z].ravel(), kind="stable")
        assert np.all(np.diff(out[z].ravel()[order].astype(int)) >= 0)


def test_slow_trends_survive():
    rng = np.random.default_rng(3)
    tissue = rng.integers(60, 200, (1, 48, 48)).astype(np.float64)
    trend = np.linspace(-30, 30, 61)[:, None, None]
    stack = np.clip(tissue + trend, 0, 255).astype(np.uint8)
    out = deflicker(stack, window=9)
    inner = slice(5, -5)  # away from the ends, a linear trend is its own running median
    np.testing.assert_allclose(out[inner].mean(axis=(1, 2)), stack[inner].mean(axis=(1, 2)),
                               atol=1.0)


def test_reuses_a_report_and_matches_a_fresh_pass(flickering):
    p, _ = flickering
    report = detect_bad_sections(p.raw)
    np.testing.assert_array_equal(deflicker(p.raw, exclude=report),
                                  deflicker(p.raw, exclude=list(report.bad)))


def test_threads_and_layouts_agree(flickering):
    p, _ = flickering
    raw = p.raw[:12]
    one = deflicker(raw, threads=1)
    np.testing.assert_array_equal(deflicker(raw, threads=3), one)
    np.testing.assert_array_equal(deflicker(np.asfortranarray(raw)), one)
    wide = np.zeros((12, raw.shape[1], 2 * raw.shape[2]), np.uint8)
    wide[:, :, ::2] = raw
    np.testing.assert_array_equal(deflicker(wide[:, :, ::2]), one)
    np.testing.assert_array_equal(deflicker(open_volume(raw)), one)


def test_streams_from_disk_to_disk_in_bounded_memory(tmp_path):
    shape = (120, 256, 256)
    rng = np.random.default_rng(0)
    base = rng.integers(40, 220, shape[1:], dtype=np.uint8)
    with create_volume(tmp_path / "raw.h5", shape, np.uint8, sampling=(40, 4, 4)) as vol:
        for z in range(shape[0]):
            vol[z] = np.clip(base * (1 + 0.1 * np.sin(z)), 0, 255).astype(np.uint8)
    section = shape[1] * shape[2]
    with open_volume(tmp_path / "raw.h5") as vol:
        tracemalloc.start()
        try:
            result = deflicker(vol, out=tmp_path / "out.h5", threads=2)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        expected = deflicker(vol[...])
    assert result.closed
    # 2 * threads sections read at a time, their results, one block written: a few sections,
    # plus 260 bytes of statistics per section and ~2 MiB for the running median; the stack
    # (120 sections) is never held
    assert peak < 12 * section + 1024 * shape[0] + 2**21, f"peak {peak / section:.1f} sections"
    with open_volume(tmp_path / "out.h5") as out:
        assert out.sampling == (40, 4, 4)
        np.testing.assert_array_equal(out[...], expected)


def test_writes_into_a_given_array():
    stack = np.full((5, 4, 4), 100, np.uint8)
    stack[:, 0] = 50
    target = np.zeros_like(stack)
    assert deflicker(stack, window=3, out=target) is target
    np.testing.assert_array_equal(target, stack)  # identical sections: nothing to change
    flickering = (stack * np.array([1.0, 0.5, 1.0, 1.0, 1.0])[:, None, None]).astype(np.uint8)
    expected = deflicker(flickering, window=3)
    assert deflicker(flickering, window=3, out=flickering) is flickering  # in place
    np.testing.assert_array_equal(flickering, expected)
    np.testing.assert_array_equal(expected[1], stack[1])


def test_edge_cases():
    flat = np.full((4, 8, 8), 7, np.uint8)
    np.testing.assert_array_equal(deflicker(flat, window=3), flat)
    one = np.arange(64, dtype=np.uint8).reshape(1, 8, 8)
    np.testing.assert_array_equal(deflicker(one), one)
    pixel = np.full((3, 1, 1), 200, np.uint16)
    np.testing.assert_array_equal(deflicker(pixel, method="histogram", window=3), pixel)


@pytest.mark.parametrize("kwargs, error, name", [
    (dict(stack=np.zeros((3, 4, 4), np.float32)), TypeError, "stack"),
    (dict(stack=np.zeros((4, 4), np.uint8)), ValueError, "stack"),
    (dict(stack=np.zeros((0, 4, 4), np.uint8)), ValueError, "stack"),
    (dict(window=4), ValueError, "window"),
    (dict(window=1), ValueError, "window"),
    (dict(method="gamma"), ValueError, "method"),
    (dict(percentiles=(90, 10)), ValueError, "percentiles"),
    (dict(max_gain=1.0), ValueError, "max_gain"),
    (dict(exclude=[9]), ValueError, "exclude"),
    (dict(out=np.zeros((3, 4, 5), np.uint8)), ValueError, "out"),
    (dict(stack="missing.h5"), FileNotFoundError, "missing"),
])
def test_bad_arguments(kwargs, error, name):
    args = {"stack": np.zeros((3, 4, 4), np.uint8), **kwargs}
    with pytest.raises(error, match=name):
        deflicker(args.pop("stack"), **args)
