import json

import h5py
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from nmjcore.nn import (PatchSampler, TrainConfig, build_loss, build_model,  # noqa: E402
                        dice_score, load_training_set, model_from_checkpoint, train)
from nmjcore.synth import phantom  # noqa: E402

TINY = dict(widths=(4, 8, 8, 16), head_width=4)

pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(scope="module")
def phantom_set(tmp_path_factory):
    """A training set in the ground-truth format, and one with membrane only."""
    folder = tmp_path_factory.mktemp("sets")
    p = phantom((4, 96, 96), n_axons=6, seed=2)
    full, membrane_only = folder / "phantom.h5", folder / "membrane.h5"
    with h5py.File(full, "w") as f:
        f.attrs["resolution_nm"] = p.sampling
        f["raw"] = p.raw
        f["mask"] = (p.axons > 0).astype(np.uint8)
        f["membrane"] = p.membrane.astype(np.uint8)
    with h5py.File(membrane_only, "w") as f:
        f["raw"] = p.raw
        f["membrane"] = p.membrane.astype(np.uint8)
    return p, full, membrane_only


def test_load_training_set(phantom_set):
    p, full, membrane_only = phantom_set
    s = load_training_set(str(full))
    np.testing.assert_array_equal(s.target, p.axons > 0)
    assert s.sampling == tuple(p.sampling)
    m = load_training_set(f"{membrane_only}@1:3")
    np.testing.assert_array_equal(m.target, ~p.membrane[1:3])
    np.testing.assert_array_equal(m.raw, p.raw[1:3])
    np.testing.assert_array_equal(load_training_set(f"{full}@-1:", "membrane").target,
                                  p.membrane[-1:])
    with pytest.raises(ValueError, match="target"):
        load_training_set(str(full), "axons")
    with pytest.raises(ValueError, match="empty|shape"):
        load_training_set(f"{full}@3:3")


def test_patch_sampler_shapes_and_balance(phantom_set):
    p, full, _ = phantom_set
    s = load_training_set(str(full))
    rng = np.random.default_rng(0)
    image, label = PatchSampler([s], (32, 40)).sample(rng)
    assert image.shape == (1, 32, 40) and label.shape == (1, 32, 40)
    assert image.dtype == torch.float32 and 0 <= float(image.min()) and float(image.max()) <= 1
    image, label = PatchSampler([s], (3, 16, 16)).sample(rng)
    assert image.shape == (1, 3, 16, 16)
    image, _ = PatchSampler([s], (16, 16), in_channels=3).sample(rng)
    assert image.shape == (3, 16, 16)
    big, _ = PatchSampler([s], (200, 200)).sample(rng)  # larger than the set: padded
    assert big.shape == (1, 200, 200)
    # an image patch is the raw data under its label patch: a target computed from the raw
    raw = rng.integers(0, 256, (5, 50, 60), dtype=np.uint8)
    coded = type(s)("coded", raw, (raw > 127).astype(np.uint8), None)
    for patch, channels in [((24, 24), 1), ((24, 24), 3), ((3, 24, 24), 1), ((70, 20), 1)]:
        image, label = PatchSampler([coded], patch, in_channels=channels).sample(rng)
        centre = image[channels // 2] if channels == 3 else image[0]
        np.testing.assert_array_equal((centre * 255).round().numpy() > 127, label[0].numpy() > 0)
    fg_all = [float(PatchSampler([s], (8, 8), foreground_fraction=1.0).sample(rng)[1]
                    [0, 4, 4]) for _ in range(30)]
    assert all(v == 1.0 for v in fg_all)


def test_a_few_steps_on_the_phantom_lower_the_loss(phantom_set):
    p, full, _ = phantom_set
    torch.manual_seed(0)
    s = load_training_set(str(full))
    batch = [PatchSampler([s], (48, 48), seed=1).sample(np.random.default_rng(i))
             for i in range(4)]
    image = torch.stack([b[0] for b in batch])
    label = torch.stack([b[1] for b in batch])
    model = build_model("dlinknet18", **TINY)
    loss_fn = build_loss("bce+dice")
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(12):
        loss = loss_fn(model(image), label)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(float(loss))
    assert np.mean(losses[-3:]) < 0.8 * np.mean(losses[:3])


def test_train_checkpoints_resumes_and_validates(phantom_set, tmp_path):
    p, full, _ = phantom_set
    config = TrainConfig(train_sets=[f"{full}@0:3"], val_sets=[f"{full}@3:4"],
                         output=str(tmp_path / "run"), widths=TINY["widths"],
                         head_width=TINY["head_width"], patch_size=(48, 48), batch_size=2,
                         iterations=4, save_interval=2, val_interval=4, log_interval=2,
                         val_tile=64)
    summary = train(config, progress=False)
    assert summary["iteration"] == 4 and 0 <= summary["best_val_dice"] <= 1
    model, ckpt = model_from_checkpoint(summary["last"])
    assert ckpt["iteration"] == 4 and ckpt["config"]["patch_size"] == (48, 48)
    config.iterations = 6
    summary = train(config, progress=False)  # resumes from last.pt
    assert summary["iteration"] == 6
    log = [json.loads(line) for line in open(tmp_path / "run" / "log.jsonl")]
    assert [e["iteration"] for e in log if "loss" in e] == [2, 4, 6]
    assert any("val_dice" in e for e in log)
    finetuned = TrainConfig(**{**config.__dict__, "output": str(tmp_path / "ft"),
                               "iterations": 1, "finetune": summary["last"]})
    assert train(finetuned, progress=False)["iteration"] == 1


def test_config_checks(phantom_set):
    _, full, _ = phantom_set
    with pytest.raises(ValueError, match="architecture"):
        TrainConfig(train_sets=[str(full)], output="x", architecture="vgg")
    with pytest.raises(ValueError, match="loss"):
        TrainConfig(train_sets=[str(full)], output="x", loss="l2")
    with pytest.raises(ValueError, match="train_sets"):
        TrainConfig(train_sets=[], output="x")


def test_dice_score():
    a = np.array([1, 1, 0, 0], bool)
    assert dice_score(a, np.array([1, 0, 1, 0], bool)) == 0.5
    assert dice_score(np.zeros(3, bool), np.zeros(3, bool)) == 1.0


def test_cli_train_and_export(phantom_set, tmp_path):
    from nmjcore.cli import main
    from nmjcore.infer import load_model

    _, full, _ = phantom_set
    run = tmp_path / "cli"
    assert main(["train", str(full), "-o", str(run), "--widths", "4", "8", "8", "16",
                 "--head-width", "4", "--patch-size", "32", "32", "--batch-size", "2",
                 "--iterations", "2", "--quiet"]) == 0
    out = tmp_path / "m.pt"
    assert main(["export", str(run / "last.pt"), str(out), "--resolution", "40", "16", "16",
                 "--mip", "2"]) == 0
    _, meta = load_model(out)
    assert meta["mip"] == 2 and meta["patch_size"] == [32, 32] and meta["trained_iterations"] == 2
    assert meta["output"] == "axon / cell interior"
