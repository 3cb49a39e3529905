import json
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nmjcore.infer import builtin_path, load_model, predict  # noqa: E402
from nmjcore.nn import dice_score  # noqa: E402
from nmjcore.synth import phantom  # noqa: E402

pytestmark = pytest.mark.usefixtures("torch_one_thread")


def test_builtin_model_is_shipped_small_with_metadata():
    path = builtin_path()
    assert path.is_file() and path.stat().st_size < 5_000_000
    _, meta = load_model("builtin")
    assert meta["dims"] == 2 and meta["returns"] == "logits" and meta["normalisation"]
    assert meta["patch_size"] and meta["resolution_nm"] and "output" in meta
    card = json.loads((path.parent / "MODEL_CARD.json").read_text())
    assert card["file"] == path.name and card["commands"]


def test_builtin_model_finds_phantom_axons():
    # a phantom not used in training (training used seeds 1-3, its held-out check seed 100)
    p = phantom((2, 384, 384), n_axons=24, seed=11)
    prob = predict(p.raw, "builtin", tile=(256, 256), overlap=32, device="cpu")
    assert prob.shape == p.raw.shape and prob.dtype == np.float32
    assert 0 <= prob.min() and prob.max() <= 1
    assert dice_score(prob > 0.5, p.axons > 0) > 0.8


def test_import_nmjcore_does_not_import_torch():
    code = ("import sys, nmjcore, nmjcore.synth, nmjcore.io; print('torch' in sys.modules); "
            "nmjcore.infer.predict; print('torch' in sys.modules)")
    # the same interpreter and environment as the tests: the installed package, or PYTHONPATH=src
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]
