"""Analysis: calibre of digital cylinders, contact tables, territory, statistics, and the
recovery of a known calibre / contact-area relation."""

import csv

import numpy as np
import pytest
from scipy import stats

import nmjcore as nc
from nmjcore.analysis import (Table, analyse, calibre, contacts, correlate, correlate_groups,
                              territory)

from _nmj_volumes import cylinder, elliptic_cylinder, terminals

# Documented tolerance of calibre on digital cylinders whose radius spans >= 10 in-plane
# voxels: area-equivalent diameter within 3 %, minimum width within one sampling step + 2 %.
DIAMETER_RTOL = 0.03


def _on_muscle(axon_mask, n_muscle=4):
    axons = axon_mask.astype(np.uint32)
    axons[-n_muscle:] = 0
    fibres = np.zeros_like(axons)
    fibres[-n_muscle:] = 1
    return axons, fibres


@pytest.mark.parametrize("sampling", [(10.0, 10.0, 10.0), (40.0, 16.0, 16.0), (30.0, 8.0, 12.0)])
@pytest.mark.parametrize("direction", [(1.0, 0.0, 0.0), (1.0, 0.3, 0.4), (1.0, -0.5, 0.2)])
def test_calibre_of_straight_and_oblique_cylinders(sampling, direction):
    radius = 300.0
    shape = (int(3000 / sampling[0]), int(1700 / sampling[1]), int(1700 / sampling[2]))
    axons, fibres = _on_muscle(cylinder(shape, sampling, radius, direction=direction))
    result = calibre(axons, sampling, fibres, n_points=4, offset=0.6, spacing=0.3)
    points, pairs = result.points, result.pairs
    assert len(points) == 4 and len(pairs) == 1
    assert np.all(np.isfinite(points["diameter_um"]))
    np.testing.assert_allclose(points["diameter_um"], 2 * radius / 1e3, rtol=DIAMETER_RTOL)
    step = min(sampling) / 1e3
    assert np.all(np.abs(points["min_width_um"] - 2 * radius / 1e3) <= step + 0.02 * 0.6)
    assert pairs["min_diameter_um"][0] == pytest.approx(0.6, rel=DIAMETER_RTOL)
    assert pairs["min_diameter_um"][0] <= points["diameter_um"].min() + 1e-9
    np.testing.assert_allclose(points["distance_um"], [0.6, 0.9, 1.2, 1.5])


def test_calibre_of_an_elliptic_axon_separates_area_and_width():
    sampling = (40.0, 10.0, 10.0)
    a, b = 500.0, 250.0
    axons, fibres = _on_muscle(elliptic_cylinder((60, 130, 130), sampling, a, b))
    pairs = calibre(axons, sampling, fibres, offset=0.4, spacing=0.2).pairs
    assert pairs["diameter_um"][0] == pytest.approx(2 * np.sqrt(a * b) / 1e3, rel=DIAMETER_RTOL)
    assert abs(pairs["min_width_um"][0] - 2 * b / 1e3) <= 0.01 + 0.02 * 0.5


def test_calibre_finds_the_narrowest_place_of_the_stretch():
    sampling = (40.0, 10.0, 10.0)
    z = np.arange(80)[:, None, None]
    radius = np.where((z >= 50) & (z < 54), 150.0, 300.0)  # a constriction 1 µm up the axon
    yy, xx = np.mgrid[0:80, 0:80] * 10.0
    mask = (yy - 395.0) ** 2 + (xx - 395.0) ** 2 <= radius ** 2
    axons, fibres = _on_muscle(mask)
    pairs = calibre(axons, sampling, fibres, n_points=3, offset=0.2, spacing=0.5).pairs
    assert pairs["min_diameter_um"][0] == pytest.approx(0.3, rel=0.05)
    assert pairs["diameter_um"][0] == pytest.approx(0.6, rel=DIAMETER_RTOL)


def test_calibre_follows_a_misaligned_section():
    sampling = (40.0, 16.0, 16.0)
    mask = cylinder((60, 100, 100), sampling, 250.0)
    mask[:30] = np.roll(mask[:30], 30, axis=2)  # the upper sections shifted by 30 px
    axons, fibres = _on_muscle(mask)
    result = calibre(axons, sampling, fibres, n_points=5, offset=0.2, spacing=0.4)
    np.testing.assert_allclose(result.points["diameter_um"], 0.5, rtol=0.04)
    np.testing.assert_allclose(result.points["distance_um"], [0.2, 0.6, 1.0, 1.4, 1.8])


def test_calibre_of_a_short_axon_reports_nan():
    sampling = (40.0, 16.0, 16.0)
    axons, fibres = _on_muscle(cylinder((20, 60, 60), sampling, 200.0))
    result = calibre(axons, sampling, fibres, offset=0.2, spacing=0.3)
    d = result.points["diameter_um"]
    assert np.isfinite(d[0]) and np.isnan(d[-1])
    assert result.pairs["n_points"][0] == np.isfinite(d).sum() < 5


def test_calibre_on_the_phantom_matches_its_drawn_and_true_radii():
    ph = nc.synth.phantom((120, 192, 192), n_axons=8, seed=4, muscle=2, jump_probability=0.0,
                          branch_probability=0.0)
    result = calibre(ph.axons, ph.sampling, ph.muscle, offset=1.0, spacing=0.3)
    pts = result.points
    drawn_error, true_error = [], []
    for axon, z_um, d in zip(pts["axon"], pts["z_um"], pts["diameter_um"]):
        if not np.isfinite(d):
            continue
        z = int(round(z_um * 1e3 / ph.sampling[0]))
        seg = np.flatnonzero(ph.segment_axon == axon)[0]
        drawn = 2 * np.sqrt(np.count_nonzero(ph.axons[z] == axon) / np.pi) * ph.sampling[1]
        drawn_error.append(d * 1e3 / drawn - 1)
        true_error.append(d / (2 * ph.radii[seg, z] * ph.sampling[1] / 1e3) - 1)
    assert len(drawn_error) >= 20
    # Axons run nearly along z: the perpendicular section is about the drawn section (a tilted
    # plane samples the neighbouring sections too).
    assert np.median(np.abs(drawn_error)) < 0.02 and np.max(np.abs(drawn_error)) < 0.08
    # The drawn interior is the true ellipse but where a neighbour presses on it.
    assert np.median(np.abs(true_error)) < 0.03


def test_contacts_and_territory_of_known_terminals():
    areas = np.array([0.30, 0.12, 0.50, 0.22])
    axons, fibres, sampling = terminals([200, 150, 250, 180], areas, [1, 1, 2, 2])
    table = contacts(axons, fibres, sampling)
    assert table["axon"].tolist() == [1, 2, 3, 4] and table["fibre"].tolist() == [1, 1, 2, 2]
    np.testing.assert_allclose(table["area_um2"], areas, rtol=0.06)  # digitised discs
    ter = territory(table)
    share = ter.per_fibre["share"]
    np.testing.assert_allclose(share[:2].sum(), 1.0)
    np.testing.assert_allclose(share[:2], table["area_um2"][:2] / table["area_um2"][:2].sum())
    np.testing.assert_allclose(ter.overall["share"].sum(), 1.0)
    assert ter.overall["n_fibres"].tolist() == [1, 1, 1, 1]


def test_known_relation_is_recovered():
    # A traced volume built with contact area = alpha * calibre * (1 + noise): the analysis
    # must find the calibre and the areas, hence the designed correlation and slope.
    rng = np.random.default_rng(7)
    n = 14
    diam_um = rng.uniform(0.25, 0.7, n)
    alpha = 0.9  # µm² per µm of calibre
    area_um2 = alpha * diam_um * (1 + rng.normal(0, 0.12, n))
    fibre_of = np.arange(n) % 3 + 1
    axons, fibres, sampling = terminals(diam_um * 500, area_um2, fibre_of, sampling=(40, 8, 8),
                                        n_sections=60)
    result = analyse(axons, fibres, sampling, offset=0.4, spacing=0.3)
    pairs = result.calibre.pairs
    np.testing.assert_allclose(pairs["diameter_um"], diam_um, rtol=0.04)
    np.testing.assert_allclose(pairs["contact_area_um2"], area_um2, rtol=0.05)
    designed = stats.pearsonr(diam_um, area_um2).statistic
    c = result.correlation
    assert c.n == n
    assert c.pearson_r == pytest.approx(designed, abs=0.03)
    assert c.slope == pytest.approx(stats.linregress(diam_um, area_um2).slope, rel=0.08)
    assert c.pearson_p < 1e-3
    assert len(result.per_fibre) == 3 and np.all(result.per_fibre["n"] >= 4)


def test_correlate_matches_scipy_and_the_band_formula(rng):
    x = rng.uniform(0, 1, 25)
    y = 2.0 * x + rng.normal(0, 0.3, 25)
    c = correlate(x, y, confidence=0.9)
    assert c.pearson_r == pytest.approx(stats.pearsonr(x, y).statistic)
    assert c.spearman_p == pytest.approx(stats.spearmanr(x, y).pvalue)
    fit = stats.linregress(x, y)
    assert (c.slope, c.intercept) == pytest.approx((fit.slope, fit.intercept))
    grid = np.linspace(-0.2, 1.2, 9)
    line, low, high = c.band(grid)
    s = np.sqrt(np.sum((y - fit.intercept - fit.slope * x) ** 2) / 23)
    half = stats.t.ppf(0.95, 23) * s * np.sqrt(1 / 25 + (grid - x.mean()) ** 2
                                                / np.sum((x - x.mean()) ** 2))
    np.testing.assert_allclose(high - line, half)
    np.testing.assert_allclose(line - low, half)
    # The band is narrowest at the mean of x, and its half-width at the mean is the
    # intercept-free standard error of the mean response.
    assert np.argmin(high - low) == np.argmin(np.abs(grid - x.mean()))


def test_correlate_edge_cases():
    c = correlate([1.0, 2.0], [3.0, 4.0])
    assert c.n == 2 and np.isnan(c.pearson_r) and np.isnan(c.slope)
    assert np.all(np.isnan(c.band([0.0, 1.0])[1]))
    c = correlate([1.0, np.nan, 2.0, 3.0, 4.0], [1.0, 5.0, np.nan, 3.0, 4.5])
    assert c.n == 3
    assert np.isnan(correlate([1, 1, 1, 1], [1, 2, 3, 4]).pearson_r)
    with pytest.raises(ValueError, match="y"):
        correlate([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="confidence"):
        correlate([1, 2, 3], [1, 2, 3], confidence=1.5)


def test_correlate_groups():
    x = np.array([1, 2, 3, 4, 1, 2, 3, 5.0])
    y = np.array([1, 2, 3, 4.5, 4, 3, 2, 0.0])
    g = np.array([1, 1, 1, 1, 2, 2, 2, 2])
    t = correlate_groups(x, y, g, name="axon")
    assert t["axon"].tolist() == [1, 2]
    assert t["pearson_r"][0] > 0.95 and t["pearson_r"][1] < -0.95


def test_tables_write_csv_and_pivot(tmp_path):
    t = Table({"axon": np.array([1, 1, 2]), "fibre": np.array([1, 2, 2]),
               "area_um2": np.array([0.5, np.nan, 0.25])})
    t.to_csv(tmp_path / "t.csv")
    rows = list(csv.reader(open(tmp_path / "t.csv")))
    assert rows == [["axon", "fibre", "area_um2"], ["1", "1", "0.5"], ["1", "2", ""],
                    ["2", "2", "0.25"]]
    rows_ids, cols, m = t.pivot("axon", "fibre", "area_um2")
    assert rows_ids.tolist() == [1, 2] and cols.tolist() == [1, 2]
    assert m[0, 0] == 0.5 and np.isnan(m[0, 1]) and np.isnan(m[1, 0]) and m[1, 1] == 0.25
    with pytest.raises(ValueError, match="columns"):
        Table({"a": [1, 2], "b": [1]})


def test_tables_to_pandas():
    pd = pytest.importorskip("pandas")
    frame = Table({"axon": [1, 2], "area_um2": [0.1, 0.2]}).to_pandas()
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == ["axon", "area_um2"]


def test_analysis_writes_its_tables(tmp_path):
    axons, fibres, sampling = terminals([200, 150, 250], [0.3, 0.12, 0.5], [1, 2, 2])
    result = analyse(axons, fibres, sampling, offset=0.4, spacing=0.3)
    files = result.write(tmp_path, figures=False)
    names = {f.name for f in files}
    assert {"contacts.csv", "calibre.csv", "calibre_points.csv", "territory_per_fibre.csv",
            "contact_area_matrix.csv", "summary.json"} <= names
    matrix = list(csv.reader(open(tmp_path / "contact_area_matrix.csv")))
    assert matrix[0] == ["axon", "fibre_1", "fibre_2"] and matrix[1][2] == ""


def test_analysis_bad_input():
    axons = np.zeros((4, 5, 5), np.uint32)
    with pytest.raises(ValueError, match="fibres"):
        contacts(axons, np.zeros((4, 5, 6), np.uint32), (40, 16, 16))
    with pytest.raises(TypeError, match="axons"):
        contacts(axons.astype(float), axons, (40, 16, 16))
    with pytest.raises(ValueError, match="n_points"):
        calibre(axons, (40, 16, 16), axons, n_points=0)
    with pytest.raises(ValueError, match="spacing"):
        calibre(axons, (40, 16, 16), axons, spacing=-1.0)
    empty = calibre(axons, (40, 16, 16), axons)
    assert len(empty.points) == 0 and len(empty.pairs) == 0


def test_calibre_steps_over_sections_without_the_axon():
    sampling = (40.0, 16.0, 16.0)
    mask = cylinder((60, 80, 80), sampling, 250.0)
    mask[30:32] = False  # two sections where the tracing lost the axon
    axons, fibres = _on_muscle(mask)
    result = calibre(axons, sampling, fibres, n_points=5, offset=0.2, spacing=0.4)
    np.testing.assert_allclose(result.points["diameter_um"], 0.5, rtol=0.04)


def test_phantom_terminals_grow_with_the_calibre():
    # The phantom's terminals swell to terminal_spread times the axon's radius and rest on the
    # fibre, so the contact area grows with the calibre squared (its docstring: about
    # pi (spread r)^2). Without misalignment and branches the analysis must see that relation.
    ph = nc.synth.phantom((160, 256, 256), n_axons=12, seed=5, muscle=2, branch_probability=0.0,
                          jump_probability=0.0, terminal_spread=1.5)
    result = analyse(ph.axons, ph.muscle, ph.sampling, offset=1.2, spacing=0.3, min_area=0.05)
    pairs = result.calibre.pairs
    assert result.correlation.n >= 10
    assert result.correlation.pearson_r > 0.9 and result.correlation.pearson_p < 1e-3
    squared = correlate(pairs["diameter_um"] ** 2, pairs["contact_area_um2"])
    assert squared.pearson_r > 0.95 and squared.slope > 0


def test_analysis_min_area_leaves_small_contacts_out():
    axons, fibres, sampling = terminals([200, 150, 250], [0.3, 0.05, 0.5], [1, 2, 2])
    result = analyse(axons, fibres, sampling, offset=0.4, spacing=0.3, min_area=0.1)
    assert result.contacts["axon"].tolist() == [1, 3]
    assert result.calibre.pairs["axon"].tolist() == [1, 3]
    with pytest.raises(ValueError, match="min_area"):
        analyse(axons, fibres, sampling, min_area=-1)


@pytest.mark.parametrize("axon_id, dtype", [(7, np.uint16), (7, np.int64), (2**40, np.uint64)])
def test_calibre_accepts_any_integer_ids(axon_id, dtype):
    sampling = (40.0, 16.0, 16.0)
    mask = cylinder((40, 50, 50), sampling, 200.0)
    axons = (mask * axon_id).astype(dtype)
    axons[-4:] = 0
    fibres = np.zeros(axons.shape, bool)
    fibres[-4:] = True
    pairs = calibre(axons, sampling, fibres, offset=0.2, spacing=0.2).pairs
    assert pairs["axon"].tolist() == [axon_id] and pairs["fibre"].tolist() == [1]
    assert pairs["diameter_um"][0] == pytest.approx(0.4, rel=DIAMETER_RTOL)
