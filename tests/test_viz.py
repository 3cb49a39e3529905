"""Figures render to PNGs of the expected size; animations, meshes and their files."""

import numpy as np
import pytest
from PIL import Image

import nmjcore as nc
from nmjcore import viz
from nmjcore.analysis import analyse, correlate, territory

from _nmj_volumes import terminals


def png_size(path):
    with Image.open(path) as image:
        assert image.format == "PNG"
        return image.size


@pytest.fixture(scope="module")
def small_analysis():
    rng = np.random.default_rng(3)
    diam = rng.uniform(0.3, 0.6, 7)
    axons, fibres, sampling = terminals(diam * 500, 0.8 * diam, np.arange(7) % 3 + 1,
                                        n_sections=40)
    raw = rng.integers(60, 200, axons.shape).astype(np.uint8)
    return analyse(axons, fibres, sampling, offset=0.3, spacing=0.2), raw


def test_heatmap_size_and_empty_cells(tmp_path):
    m = np.array([[0.5, np.nan, 1.0], [np.nan, 0.2, 0.3]])
    path = viz.heatmap(tmp_path / "h.png", [1, 2], [1, 2, 3], m, figsize=(6, 4), dpi=100,
                       value_label="µm²")
    assert png_size(path) == (600, 400)
    rgb = np.asarray(Image.open(path).convert("RGB"))
    assert (rgb == 255).all(axis=-1).mean() > 0.3  # the empty cells and margins stay white
    with pytest.raises(ValueError, match="matrix"):
        viz.heatmap(tmp_path / "bad.png", [1], [1, 2], m)


def test_regression_scatter_size(tmp_path, rng):
    x = rng.uniform(0, 1, 20)
    y = 2 * x + rng.normal(0, 0.2, 20)
    path = viz.regression_scatter(tmp_path / "s.png", x, y, correlate(x, y),
                                  groups=np.arange(20) % 4, figsize=(8, 6), dpi=100)
    assert png_size(path) == (800, 600)
    few = viz.regression_scatter(tmp_path / "few.png", [1.0, 2.0], [1.0, 3.0],
                                 correlate([1.0, 2.0], [1.0, 3.0]), figsize=(4, 3), dpi=50)
    assert png_size(few) == (200, 150)


def test_group_panels_size(tmp_path, rng):
    x, y = rng.uniform(0, 1, 14), rng.uniform(0, 1, 14)
    groups = np.repeat([1, 2, 3, 4, 5, 6, 7], 2)
    path = viz.group_panels(tmp_path / "p.png", x, y, groups, dpi=50, panel_size=(3.0, 2.0))
    # 7 panels: 6 columns x 2 rows, plus the margins for the shared labels.
    assert png_size(path) == (round((3.0 * 6 + 0.8) * 50), round((2.0 * 2 + 1.0) * 50))


def test_territory_bars_size(tmp_path, small_analysis):
    analysis, _ = small_analysis
    path = viz.territory_bars(tmp_path / "t.png", territory(analysis.contacts),
                              figsize=(9, 4), dpi=80)
    assert png_size(path) == (720, 320)


def test_overlays_keep_stable_colours(tmp_path, rng):
    raw = rng.integers(0, 255, (40, 50)).astype(np.uint8)
    labels = np.zeros((40, 50), np.uint32)
    labels[5:15, 5:15] = 3
    labels[20:30, 20:40] = 9
    fibres = np.zeros_like(labels)
    fibres[35:] = 1
    rgb = viz.section_rgb(raw, labels, fibres, alpha=1.0)
    assert tuple(rgb[10, 10]) == nc.io.label_color(3)
    assert tuple(rgb[25, 30]) == nc.io.label_color(9)
    assert (rgb[0, 0] == raw[0, 0]).all()
    path = viz.save_overlay(tmp_path / "o.png", raw, labels, fibres)
    assert png_size(path) == (50, 40)
    path = viz.label_figure(tmp_path / "f.png", raw, labels, fibres, sampling=(16, 16),
                            title="section", figsize=(5, 4), dpi=100)
    assert png_size(path) == (500, 400)
    rgb_image = viz.overlay(rgb, labels, alpha=0.5)  # on an already coloured image
    assert rgb_image.shape == (40, 50, 3)
    with pytest.raises(ValueError, match="alpha"):
        viz.overlay(raw, labels, alpha=2.0)
    with pytest.raises(ValueError, match="labels"):
        viz.overlay(raw, labels[:10])


def test_animation_gif_frames(tmp_path, rng):
    labels = rng.integers(0, 4, (12, 30, 40)).astype(np.uint32)
    raw = rng.integers(0, 255, labels.shape).astype(np.uint8)
    path = viz.animate(tmp_path / "a.gif", labels, raw, sampling=(40, 16, 16), step=3,
                       scale=2.0)
    with Image.open(path) as gif:
        assert gif.size == (80, 60) and gif.n_frames == 4
    path = viz.animate(tmp_path / "b.gif", labels, max_frames=5)
    with Image.open(path) as gif:
        assert gif.n_frames == 4  # every 3rd of 12 sections keeps within 5 frames
    with pytest.raises(ValueError, match="path"):
        viz.animate(tmp_path / "a.avi", labels)
    with pytest.raises(ValueError, match="raw"):
        viz.animate(tmp_path / "c.gif", labels, raw[:, :10])


def test_animation_mp4(tmp_path, rng, monkeypatch):
    labels = rng.integers(0, 4, (6, 31, 41)).astype(np.uint32)
    if viz.has_ffmpeg():
        path = viz.animate(tmp_path / "a.mp4", labels)
        assert path.stat().st_size > 0
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(RuntimeError, match="ffmpeg"):
        viz.animate(tmp_path / "b.mp4", labels)
    assert not (tmp_path / "b.mp4").exists()


def _ball(radius_px, sampling):
    shape = tuple(int(2 * radius_px * sampling[1] / s) + 6 for s in sampling)
    grids = np.meshgrid(*(np.arange(n) * s for n, s in zip(shape, sampling)), indexing="ij")
    c = [0.5 * (n - 1) * s for n, s in zip(shape, sampling)]
    r2 = sum((g - cc) ** 2 for g, cc in zip(grids, c))
    return (r2 <= (radius_px * sampling[1]) ** 2).astype(np.uint32) * 5


def test_meshes_enclose_the_right_volume_and_export(tmp_path):
    sampling = (40.0, 16.0, 16.0)
    labels = _ball(20, sampling)
    meshes = viz.label_meshes(labels, sampling)
    verts, faces = meshes[5]
    tri = verts[faces].astype(np.float64)
    volume = abs(np.einsum("ij,ij->i", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])).sum()) / 6
    radius_um = 20 * 16 / 1e3
    assert volume == pytest.approx(4 / 3 * np.pi * radius_um ** 3, rel=0.06)
    assert np.ptp(verts[:, 0]) == pytest.approx(2 * radius_um, rel=0.08)  # x first, µm

    ply = viz.write_mesh(tmp_path / "m.ply", meshes)
    header = ply.read_bytes().split(b"end_header\n")[0].decode()
    assert f"element vertex {len(verts)}" in header and f"element face {len(faces)}" in header
    assert ply.stat().st_size == len(header) + len(b"end_header\n") + 15 * len(verts) + \
        13 * len(faces)
    obj = viz.write_mesh(tmp_path / "m.obj", meshes)
    lines = obj.read_text().splitlines()
    assert "o label_5" in lines
    assert sum(line.startswith("v ") for line in lines) == len(verts)
    assert sum(line.startswith("f ") for line in lines) == len(faces)
    with pytest.raises(ValueError, match="path"):
        viz.write_mesh(tmp_path / "m.stl", meshes)


def test_render_3d_size(tmp_path):
    sampling = (40.0, 16.0, 16.0)
    labels = _ball(10, sampling)
    labels[:, :4, :4] = 2
    path = viz.render_3d(tmp_path / "v.png", viz.label_meshes(labels, sampling),
                         figsize=(5, 6), dpi=80)
    assert png_size(path) == (400, 480)


def test_every_analysis_figure_renders(tmp_path, small_analysis):
    analysis, raw = small_analysis
    files = analysis.write(tmp_path, raw=raw, dpi=60)
    names = {f.name for f in files}
    expected = {"heatmap_contact_area.png", "heatmap_calibre.png",
                "calibre_vs_contact_area.png", "panels_per_axon.png", "panels_per_fibre.png",
                "territory.png", "section_nerve.png", "section_terminals.png", "sections.gif",
                "axons_3d.png", "axons.ply", "axons.obj"}
    assert expected <= names
    assert png_size(tmp_path / "calibre_vs_contact_area.png") == (8 * 60, round(6.5 * 60))
    assert png_size(tmp_path / "section_nerve.png") == (8 * 60, 8 * 60)
    assert png_size(tmp_path / "axons_3d.png") == (9 * 60, 8 * 60)
    for f in files:
        assert f.stat().st_size > 0


def test_animation_frames_match_the_overlay(tmp_path, rng):
    from nmjcore.viz.animation import _frame, _lookup

    axons = rng.integers(0, 5, (3, 20, 24)).astype(np.uint32)
    fibres = (rng.integers(0, 3, axons.shape) * (axons == 0)).astype(np.uint32)
    raw = rng.integers(0, 255, axons.shape).astype(np.uint8)
    colors, fibre_colors = viz.color_tables(axons, fibres)
    fast = _frame(raw, axons, fibres, 1, colors, fibre_colors, 0.55, 1.0, None,
                  (_lookup(colors), _lookup(fibre_colors)))
    slow = _frame(raw, axons, fibres, 1, colors, fibre_colors, 0.55, 1.0, None, None)
    # The lookup path rounds once, the overlay path after each layer: at most 1 grey level.
    assert np.abs(np.asarray(fast).astype(int) - np.asarray(slow)).max() <= 1


def test_present_ids(rng):
    from nmjcore.viz.labels import present_ids

    volume = rng.choice(np.array([0, 3, 7, 90], np.uint32), (5, 6, 7))
    assert present_ids(volume).tolist() == [3, 7, 90]
    big = np.array([[0, 2**40, 5]], np.uint64)
    assert present_ids(big).tolist() == [5, 2**40]
    assert present_ids(np.zeros((0, 3), np.uint8)).tolist() == []
