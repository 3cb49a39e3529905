"""Train, export and evaluate the built-in model (src/nmjcore/nn/builtin/).

    python tools/train_builtin.py prepare  --work WORK   # phantom training sets (HDF5)
    python tools/train_builtin.py train    --work WORK   # runs `nmjcore train` (resumable)
    python tools/train_builtin.py finish   --work WORK   # export + held-out evaluation + card
    python tools/train_builtin.py finetune --work WORK   # from the shipped model, with muscle
    python tools/train_builtin.py finish   --work WORK --run finetune

``train`` prints the `nmjcore train` command it runs; run it again to resume. ``finish``
exports ``best.pt`` to the package, measures Dice on a phantom never seen in training (axon
mask) and on the held-out sections of the real volumes (cell interior = membrane == 0), and
writes ``MODEL_CARD.json`` beside the model.

``finetune`` continues from the shipped model's weights (``nmjcore train --finetune``) on the
same sets plus phantoms with muscle fibres (target: axon interior only, the fibres are
background), so the network stops calling fibre interior axon. ``finish --run finetune``
evaluates the candidate and the shipped model side by side (phantom with and without muscle,
real validation) and replaces the shipped model, card and log only when the candidate is
better on the muscle phantom, keeps the no-muscle phantom above ``MIN_PHANTOM_DICE`` and loses
at most ``MAX_REAL_DROP`` Dice on each real validation set.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
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
#: Muscle phantoms as deep as the demo's stack, where the fibres fill whole sections, and
#: preprocessed as the demo does (deflicker stretches those flat sections' contrast, and
#: that is where the network took fibre for axon: on the raw phantom it does not).
MUSCLE_SHAPE = (48, 512, 512)
MUSCLE_SEEDS = (4, 5, 6)
HELDOUT_MUSCLE_SEED = 101
#: the sections where terminals meet the fibres (the others hold nerve only, which the
#: no-muscle phantoms already cover)
MUSCLE_SECTIONS = "32:48"
MIN_PHANTOM_DICE = 0.8
MAX_REAL_DROP = 0.01


def muscle_phantom(seed: int):
    """``(phantom, em)``: a muscle phantom and its stack as the demo's network sees it."""
    from nmjcore.pipeline.demo import preprocess_stack
    from nmjcore.synth import phantom

    p = phantom(MUSCLE_SHAPE, n_axons=40, seed=seed, muscle=True)
    return p, preprocess_stack(p.raw)[1]


def write_phantom_set(path: Path, seed: int, muscle: bool = False) -> None:
    """A training set in the ground-truth format: raw, mask (axon interior), membrane.

    With ``muscle``, a ``MUSCLE_SHAPE`` phantom preprocessed as in the demo; the fibres
    under the nerve are in ``raw`` but not in ``mask``.
    """
    import h5py

    from nmjcore.io import atomic_path
    from nmjcore.synth import phantom

    if muscle:
        p, raw = muscle_phantom(seed)
        source = (f"nmjcore.synth.phantom({MUSCLE_SHAPE}, n_axons=40, seed={seed}, "
                  "muscle=True), raw preprocessed by nmjcore.pipeline.demo.preprocess_stack")
    else:
        p = phantom(PHANTOM_SHAPE, n_axons=40, seed=seed)
        raw = p.raw
        source = f"nmjcore.synth.phantom({PHANTOM_SHAPE}, n_axons=40, seed={seed})"
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["resolution_nm"] = np.asarray(p.sampling, dtype=float)
        f.attrs["source"] = source
        f.create_dataset("raw", data=raw, chunks=(1,) + p.raw.shape[1:], compression="gzip")
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


def finetune_argv(work: Path) -> list[str]:
    sets = [str(work / f"phantom_{s}.h5") for s in TRAIN_SEEDS]
    sets += [f"{work / f'phantom_muscle_{s}.h5'}@{MUSCLE_SECTIONS}" for s in MUSCLE_SEEDS]
    sets += [str(DATA / n) for n in REAL_TRAIN]
    return ["train", *sets, "--val", *[str(DATA / n) for n in REAL_VAL],
            "-o", str(work / "finetune"), "--finetune", str(work / "builtin_start.pt"),
            "--architecture", "dlinknet18",
            "--widths", "12", "24", "48", "96", "--head-width", "16",
            "--patch-size", "256", "256", "--batch-size", "6", "--lr", "2e-4",
            "--iterations", "1500", "--save-interval", "50", "--val-interval", "250",
            "--loss", "bce+dice", "--time-limit", "15", "--seed", "1", "--quiet"]


def phantom_sets(work: Path) -> dict[Path, tuple[int, bool]]:
    """Every phantom training or held-out file: path -> (seed, muscle)."""
    sets = {work / f"phantom_{s}.h5": (s, False) for s in TRAIN_SEEDS}
    sets[work / "phantom_heldout.h5"] = (HELDOUT_SEED, False)
    sets.update({work / f"phantom_muscle_{s}.h5": (s, True) for s in MUSCLE_SEEDS})
    return sets


def prepare(work: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    for name, (seed, muscle) in phantom_sets(work).items():
        if not name.exists():
            write_phantom_set(name, seed, muscle)
            print(f"wrote {name}")


def builtin_checkpoint(path: Path) -> None:
    """The shipped TorchScript model's weights as a checkpoint ``nmjcore train --finetune``
    reads (``{"model": state_dict}``)."""
    import torch

    from nmjcore.io import atomic_path

    state = torch.jit.load(str(MODEL), map_location="cpu").state_dict()
    with atomic_path(path) as tmp:
        torch.save({"model": state}, tmp)


def run_finetune(work: Path) -> int:
    from nmjcore.cli import main

    prepare(work)
    start = work / "builtin_start.pt"
    if not start.exists():
        builtin_checkpoint(start)
    argv = finetune_argv(work)
    print("nmjcore " + shlex.join(argv), flush=True)
    return main(argv)


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


def evaluate(model: Path, work: Path) -> dict:
    """Held-out Dice of one model file: phantoms without and with muscle, real validation,
    the share of true muscle-fibre voxels called axon, and the test suite's small phantom."""
    from nmjcore.infer import predict
    from nmjcore.nn import dice_score, load_training_set
    from nmjcore.synth import phantom

    def prob(raw):
        return predict(raw, str(model), tile=(512, 512), overlap=64, device="cpu")

    plain = load_training_set(str(work / "phantom_heldout.h5"))
    muscle, em = muscle_phantom(HELDOUT_MUSCLE_SEED)
    called = prob(em) > 0.5
    small = phantom((2, 384, 384), n_axons=24, seed=11)
    real = {}
    for name in REAL_VAL:
        s = load_training_set(str(DATA / name))
        real[name] = dice_score(prob(s.raw) > 0.5, s.target)
    return {
        "dice_phantom_heldout": dice_score(prob(plain.raw) > 0.5, plain.target),
        "dice_phantom_muscle_heldout": dice_score(called, muscle.axons > 0),
        "muscle_called_axon_fraction": float(called[(muscle.muscle > 0)
                                                    & (muscle.axons == 0)].mean()),
        "dice_phantom_test_seed11": dice_score(
            predict(small.raw, str(model), tile=(256, 256), overlap=32, device="cpu") > 0.5,
            small.axons > 0),
        "dice_real_validation": real,
    }


def demo_numbers(out: Path) -> dict:
    """``nmjcore demo`` (default options) with the shipped model: ids, ARE, ERL."""
    from nmjcore.pipeline.demo import run_demo

    m = run_demo(out, progress=False, echo=lambda line: None).summary["metrics"]
    return {k: m[k] for k in ("axons_traced", "axons_traced_outside_truth", "axons_true",
                              "adapted_rand_error", "erl_um", "erl_truth_um",
                              "dice_probability")}


def finetune_passes(before: dict, after: dict) -> list[str]:
    """The reasons the fine-tuned model may not replace the shipped one (empty: it may)."""
    why = []
    if after["dice_phantom_muscle_heldout"] <= before["dice_phantom_muscle_heldout"]:
        why.append("muscle phantom Dice did not improve")
    if min(after["dice_phantom_heldout"], after["dice_phantom_test_seed11"]) <= MIN_PHANTOM_DICE:
        why.append(f"no-muscle phantom Dice not above {MIN_PHANTOM_DICE}")
    for name, d in after["dice_real_validation"].items():
        if d < before["dice_real_validation"][name] - MAX_REAL_DROP:
            why.append(f"{name} Dice dropped by more than {MAX_REAL_DROP}")
    return why


def finish_finetune(work: Path) -> int:
    import torch

    from nmjcore.cli import main

    torch.set_num_threads(2)
    run = work / "finetune"
    ckpt = run / "best.pt" if (run / "best.pt").exists() else run / "last.pt"
    candidate = work / "finetuned.pt"
    argv = ["export", str(ckpt), str(candidate), "--resolution", "50", "4", "4", "--mip", "0",
            "--output-meaning", "axon / cell interior (not membrane, not background)"]
    assert main(argv) == 0
    before, after = evaluate(MODEL, work), evaluate(candidate, work)
    before["demo"] = demo_numbers(work / "demo-before")
    why = finetune_passes(before, after)
    print(json.dumps({"before": before, "after": after, "rejected_because": why}, indent=1))
    if why:
        print("kept the shipped model")
        return 1
    card = json.loads((BUILTIN / "MODEL_CARD.json").read_text())
    shutil.copyfile(candidate, MODEL)
    after["demo"] = demo_numbers(work / "demo-after")
    n = torch.load(ckpt, map_location="cpu", weights_only=False)["iteration"]
    from nmjcore.infer import load_model

    def generic(text: str) -> str:
        return text.replace(str(work), "WORK").replace(str(DATA), "shared/data") \
            .replace(str(ROOT) + "/", "")

    with open(run / "log.jsonl") as f, open(BUILTIN / "train_log.jsonl", "a") as log:
        for line in f:
            log.write(json.dumps({"run": "finetune", **json.loads(generic(line))}) + "\n")
    _, meta = load_model(str(MODEL))

    card.update({
        "size_bytes": MODEL.stat().st_size,
        "commands": card["commands"] + [
            "python tools/train_builtin.py finetune --work WORK",
            generic("nmjcore " + shlex.join(finetune_argv(work))),
            "python tools/train_builtin.py finish --work WORK --run finetune",
            generic("nmjcore " + shlex.join(argv))],
        "trained_iterations": card["trained_iterations"] + n,
        "finetune_iterations": n,
        "dice_phantom_heldout": after["dice_phantom_heldout"],
        "dice_phantom_test_seed11": after["dice_phantom_test_seed11"],
        "dice_phantom_muscle_heldout": after["dice_phantom_muscle_heldout"],
        "phantom_muscle_heldout": f"nmjcore.synth.phantom({MUSCLE_SHAPE}, n_axons=40, "
                                  f"seed={HELDOUT_MUSCLE_SEED}, muscle=True) preprocessed as "
                                  "in the demo, target axons > 0, threshold 0.5; "
                                  "muscle_called_axon_fraction: share of its fibre voxels "
                                  "(outside axons) above 0.5",
        "muscle_called_axon_fraction": after["muscle_called_axon_fraction"],
        "dice_real_validation": after["dice_real_validation"],
        "demo": after["demo"],
        "before_finetune": before,
        "metadata": meta,
        "training_history": card["training_history"] + (
            f" Then fine-tuned from those weights (the shipped TorchScript file's state_dict) "
            f"for {n} iterations with the finetune command (train_log.jsonl: lines with "
            f"\"run\": \"finetune\"; best.pt by validation Dice, so the fine-tuned "
            f"dice_real_validation is again the selection score), adding "
            f"{len(MUSCLE_SEEDS)} phantoms with muscle fibres (sections {MUSCLE_SECTIONS})."),
        "training_data": card["training_data"] + (
            f" + fine-tune: {len(MUSCLE_SEEDS)} muscle phantoms (seeds "
            f"{MUSCLE_SEEDS[0]}-{MUSCLE_SEEDS[-1]}, muscle=True, sections {MUSCLE_SECTIONS}; "
            f"target: axon interior only, fibres are background)"),
    })
    card.pop("dice_phantom_heldout_tta", None)  # not measured again
    with open(BUILTIN / "MODEL_CARD.json", "w") as f:
        json.dump(card, f, indent=1)
    print(json.dumps({"demo_before": before["demo"], "demo_after": after["demo"]}, indent=1))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("prepare", "train", "finetune", "finish"))
    parser.add_argument("--work", type=Path, default=Path("builtin-work"))
    parser.add_argument("--run", choices=("run", "finetune"), default="run",
                        help="finish: the run folder to export (finetune: replace the shipped "
                             "model only if it is better)")
    args = parser.parse_args(argv)
    if args.step == "prepare":
        prepare(args.work)
    elif args.step == "train":
        return run_train(args.work)
    elif args.step == "finetune":
        return run_finetune(args.work)
    elif args.run == "finetune":
        return finish_finetune(args.work)
    else:
        finish(args.work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
