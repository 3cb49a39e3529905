"""Train, export and evaluate the built-in model (src/nmjcore/nn/builtin/).

    python tools/train_builtin.py prepare  --work WORK   # phantom training sets (HDF5)
    python tools/train_builtin.py train    --work WORK   # runs `nmjcore train` (resumable)
    python tools/train_builtin.py finish   --work WORK   # export + held-out evaluation + card

``train`` prints the `nmjcore train` command it runs; run it again to resume. ``finish``
exports ``best.pt`` to the package, measures Dice on a phantom never seen in training (axon
mask) and on the held-out sections of the real volumes (cell interior = membrane == 0), and
writes ``MODEL_CARD.json`` beside the model.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = next((p / "shared" / "data" for p in ROOT.parents
             if (p / "shared" / "data" / "isbi2012.h5").exists()), ROOT.parent / "shared" / "data")
BUILTIN = ROOT / "src" / "nmjcore" / "nn" / "builtin"
MODEL = BUILTIN / "dlinknet18_tiny.pt"

PHANTOM_SHAPE = (16, 512, 512)
TRAIN_SEEDS = (1, 2, 3)
HELDOUT_SEED = 100
REAL_TRAIN = ("isbi2012.h5@0:25", "vnc_stack1.h5@0:17")
REAL_VAL = ("isbi2012.h5@25:30", "vnc_stack1.h5@17:20")


def write_phantom_set(path: Path, seed: int) -> None:
    """A training set in the ground-truth format: raw, mask (axon interior), membrane."""
    import h5py

    from nmjcore.io import atomic_path
    from nmjcore.synth import phantom

    p = phantom(PHANTOM_SHAPE, n_axons=40, seed=seed)
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["resolution_nm"] = np.asarray(p.sampling, dtype=float)
        f.attrs["source"] = f"nmjcore.synth.phantom({PHANTOM_SHAPE}, n_axons=40, seed={seed})"
        f.create_dataset("raw", data=p.raw, chunks=(1,) + p.raw.shape[1:], compression="gzip")
        f.create_dataset("mask", data=(p.axons > 0).astype(np.uint8),
                         chunks=(1,) + p.raw.shape[1:], compression="gzip")
        f.create_dataset("membrane", data=p.membrane.astype(np.uint8),
                         chunks=(1,) + p.raw.shape[1:], compression="gzip")


def train_argv(work: Path) -> list[str]:
    sets = [str(work / f"phantom_{s}.h5") for s in TRAIN_SEEDS]
    sets += [str(DATA / n) for n in REAL_TRAIN]
    return ["train", *sets, "--val", *[str(DATA / n) for n in REAL_VAL],
            "-o", str(work / "run"), "--architecture", "dlinknet18",
            "--widths", "12", "24", "48", "96", "--head-width", "16",
            "--patch-size", "256", "256", "--batch-size", "6", "--lr", "2e-3",
            "--iterations", "1200", "--save-interval", "100", "--val-interval", "500",
            "--loss", "bce+dice", "--time-limit", "40", "--seed", "0", "--quiet"]


def prepare(work: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    for seed in (*TRAIN_SEEDS, HELDOUT_SEED):
        name = work / (f"phantom_{seed}.h5" if seed != HELDOUT_SEED else "phantom_heldout.h5")
        if not name.exists():
            write_phantom_set(name, seed)
            print(f"wrote {name}")


def run_train(work: Path) -> int:
    from nmjcore.cli import main

    argv = train_argv(work)
    print("nmjcore " + shlex.join(argv), flush=True)
    return main(argv)


def finish(work: Path) -> None:
    import torch

    from nmjcore.cli import main
    from nmjcore.infer import load_model, predict
    from nmjcore.nn import dice_score, load_training_set

    torch.set_num_threads(2)
    ckpt = work / "run" / "best.pt"
    if not ckpt.exists():
        ckpt = work / "run" / "last.pt"
    BUILTIN.mkdir(parents=True, exist_ok=True)
    argv = ["export", str(ckpt), str(MODEL), "--resolution", "50", "4", "4", "--mip", "0",
            "--output-meaning", "axon / cell interior (not membrane, not background)"]
    assert main(argv) == 0
    heldout = load_training_set(str(work / "phantom_heldout.h5"))
    prob = predict(heldout.raw, "builtin", tile=(512, 512), overlap=64)
    phantom_dice = dice_score(prob > 0.5, heldout.target)
    prob_tta = predict(heldout.raw, "builtin", tile=(512, 512), overlap=64, tta=True)
    phantom_dice_tta = dice_score(prob_tta > 0.5, heldout.target)
    real, baseline = {}, {}
    for name in REAL_VAL:
        s = load_training_set(str(DATA / name))
        real[name] = dice_score(predict(s.raw, "builtin", tile=(512, 512), overlap=64) > 0.5,
                                s.target)
        # interior covers most of a section: calling every pixel interior already scores this
        baseline[name] = dice_score(np.ones(s.target.shape, bool), s.target)
    _, meta = load_model("builtin")
    card = {
        "file": MODEL.name,
        "size_bytes": MODEL.stat().st_size,
        "meant_for": "the demo and a first try on real EM: a per-section probability of axon "
                     "(or cell) interior, to seed the segmentation; retrain or fine-tune on "
                     "your own labelled sections for production use",
        "commands": ["python tools/train_builtin.py prepare --work WORK",
                     "nmjcore " + shlex.join(train_argv(work)).replace(str(work), "WORK")
                     .replace(str(DATA), "shared/data"),
                     "nmjcore " + shlex.join(argv).replace(str(work), "WORK")
                     .replace(str(ROOT) + "/", "")],
        "trained_iterations": meta.get("trained_iterations"),
        "dice_phantom_heldout": phantom_dice,
        "dice_phantom_heldout_tta": phantom_dice_tta,
        "phantom_heldout": f"nmjcore.synth.phantom({PHANTOM_SHAPE}, n_axons=40, "
                           f"seed={HELDOUT_SEED}), target axons > 0, threshold 0.5",
        "dice_real_validation": real,
        "dice_real_validation_all_interior_baseline": baseline,
        "real_validation": "held-out sections, target membrane == 0, threshold 0.5",
        "metadata": meta,
    }
    with open(BUILTIN / "MODEL_CARD.json", "w") as f:
        json.dump(card, f, indent=1)
    print(json.dumps({k: card[k] for k in ("size_bytes", "trained_iterations",
                                           "dice_phantom_heldout", "dice_phantom_heldout_tta",
                                           "dice_real_validation",
                                           "dice_real_validation_all_interior_baseline")},
                     indent=1))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("prepare", "train", "finish"))
    parser.add_argument("--work", type=Path, default=Path("builtin-work"))
    args = parser.parse_args(argv)
    if args.step == "prepare":
        prepare(args.work)
    elif args.step == "train":
        return run_train(args.work)
    else:
        finish(args.work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
