"""The command line: the demo end to end, and clear failures."""

import json
import subprocess
import sys

import h5py
import numpy as np
import pytest
from PIL import Image

from nmjcore.cli import main

SHAPE = (12, 256, 256)
AXONS = 12


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """One demo with the network at a small size (the expensive part, shared by the tests)."""
    pytest.importorskip("torch")
    out = tmp_path_factory.mktemp("demo") / "results"
    return out, _run(out, [])


def _run(out, extra):
    import io
    from contextlib import redirect_stdout

    printed = io.StringIO()
    with redirect_stdout(printed):
        code = main(["demo", "-o", str(out), "--shape", *map(str, SHAPE), "--axons", str(AXONS),
                     "--threads", "2", "--quiet", *extra])
    assert code == 0
    return printed.getvalue()


def test_demo_writes_every_result(demo_run):
    out, printed = demo_run
    for name in ("axons.h5", "links.csv", "proofreading_queue.csv", "bad_sections.csv",
                 "metrics.json", "summary.json", "overview.png", "analysis/contacts.csv",
                 "analysis/calibre.csv", "analysis/summary.json",
                 "analysis/calibre_vs_contact_area.png", "analysis/sections.gif"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    assert not list(out.rglob("*.tmp*"))
    # the printed summary names the files and times every stage
    for word in ("axons.h5", "sections.gif", "network", "segment", "trace", "analysis",
                 "total", "adapted Rand error"):
        assert word in printed
    summary = json.loads((out / "summary.json").read_text())
    assert summary["shape"] == list(SHAPE) and summary["network"] is True
    assert set(summary["stage_seconds"]) >= {"phantom", "preprocess", "network", "segment",
                                             "trace", "metrics", "analysis", "write"}


def test_demo_volumes_and_tables_are_consistent(demo_run):
    out, _ = demo_run
    with h5py.File(out / "axons.h5") as f:
        ids, truth = f["ids"][:], f["truth"][:]
        assert ids.shape == SHAPE and ids.dtype == np.uint32
        assert f["raw"].dtype == np.uint8 and f["probability"].shape == SHAPE
        assert tuple(f["ids"].attrs["resolution_nm"]) == (40.0, 16.0, 16.0)
    # anchored on the true ids of section 0: those ids are kept there
    assert set(np.unique(truth[0])) <= set(np.unique(ids[0]))
    links = (out / "links.csv").read_text().splitlines()
    assert links[0] == "z_a,id_a,z_b,id_b,cost,kind" and len(links) > SHAPE[0]
    queue = (out / "proofreading_queue.csv").read_text().splitlines()
    assert queue[0].split(",")[0] == "kind" and "uncertainty" in queue[0]


def test_demo_metrics_are_good_with_the_network(demo_run):
    out, _ = demo_run
    m = json.loads((out / "metrics.json").read_text())
    assert m["adapted_rand_error"] < 0.2
    assert m["voi_merge"] < 0.5 and m["voi_split"] < 1.5
    assert 0.5 < m["erl_ratio"] <= 1.0 + 1e-9
    assert 0.8 < m["dice_probability"] <= 1.0
    assert m["axons_true"] > 0 and m["erl_truth_um"] > 0
    analysis = json.loads((out / "analysis" / "summary.json").read_text())
    assert analysis["n_pairs"] > 0 and analysis["correlation"]["n"] > 2


def test_demo_animation_has_one_frame_per_section(demo_run):
    out, _ = demo_run
    with Image.open(out / "analysis" / "sections.gif") as gif:
        assert gif.n_frames == SHAPE[0] and gif.size == SHAPE[:0:-1]
    with Image.open(out / "overview.png") as png:
        assert png.format == "PNG" and png.size == (1000, 1000)


def test_demo_without_network_is_exact(tmp_path):
    out = tmp_path / "exact"
    printed = _run(out, ["--no-network"])
    assert "network" not in json.loads((out / "summary.json").read_text())["stage_seconds"]
    assert "truth as probability" in printed
    m = json.loads((out / "metrics.json").read_text())
    # the true mask in: segmentation and anchored tracing recover the truth
    assert m["adapted_rand_error"] < 0.02 and m["erl_ratio"] > 0.95
    assert m["dice_probability"] == 1.0


@pytest.mark.parametrize("argv, words", [
    (["demo", "--shape", "4", "0", "32"], "positive integer"),
    (["demo", "--shape", "4", "32"], "expected 3 arguments"),
    (["demo", "--axons", "many"], "positive integer"),
    (["demo", "--threads", "0"], "positive integer"),
    (["demo", "--network"], "unrecognized arguments"),
    (["frobnicate"], "invalid choice"),
    ([], "required"),
])
def test_bad_arguments_exit_nonzero(argv, words, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code != 0
    assert words in capsys.readouterr().err


def test_demo_output_that_is_a_file_fails_clearly(tmp_path, capsys):
    target = tmp_path / "taken"
    target.write_text("not a folder")
    assert main(["demo", "-o", str(target), "--shape", "4", "64", "64", "-q"]) == 1
    assert "nmjcore demo: error: output_dir: expected a folder" in capsys.readouterr().err


def test_module_entry_point_help():
    done = subprocess.run([sys.executable, "-m", "nmjcore", "demo", "--help"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "--no-network" in done.stdout
