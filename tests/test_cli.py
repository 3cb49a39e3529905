"""The command line: the demo end to end, and clear failures."""

import json
import subprocess
import sys

import h5py
import numpy as np
import pytest

from nmjcore.cli import main


def test_demo_writes_sane_results(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "-o", str(out), "--shape", "12", "160", "160", "--axons", "8",
                 "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "section segments" in printed and "calibre" in printed
    summary = json.loads((out / "summary.json").read_text())
    assert summary["shape"] == [12, 160, 160]
    # The true axon mask is the input, so every section must split into its true cross-sections.
    assert summary["sections_with_one_segment_per_axon"] == 12
    assert abs(summary["calibre"]["area_diameter_error_um_mean"]) < 0.05
    with h5py.File(out / "phantom.h5") as f:
        assert f["raw"].shape == (12, 160, 160) and f["raw"].dtype == np.uint8
        assert f["axons"].dtype == np.uint32
        assert tuple(f["raw"].attrs["resolution_nm"]) == (40.0, 16.0, 16.0)
    png = (out / "overview.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(out.glob("*.tmp*"))


@pytest.mark.parametrize("argv, words", [
    (["demo", "--shape", "4", "0", "32"], "positive integer"),
    (["demo", "--axons", "many"], "positive integer"),
    (["frobnicate"], "invalid choice"),
    ([], "required"),
])
def test_bad_arguments_exit_nonzero(argv, words, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code != 0
    assert words in capsys.readouterr().err


def test_module_entry_point_help():
    done = subprocess.run([sys.executable, "-m", "nmjcore", "--help"], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0 and "demo" in done.stdout
