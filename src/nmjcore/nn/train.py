"""The training loop: random patches, augmentation, loss, checkpoints, validation Dice.

:class:`TrainConfig` holds every knob (the ones the lab used: learning rate, iterations, save
interval, patch and batch size, workers, loss, architecture, GPUs); :func:`train` runs it.
Checkpoints (``last.pt``, and ``best.pt`` by validation Dice) go to ``config.output``; a run
started again on the same folder resumes from ``last.pt``. ``finetune`` starts from another
checkpoint's weights with a fresh optimiser. Progress is printed and appended to
``log.jsonl``; with tensorboard installed, losses, Dice and image grids (EM, ground truth,
prediction) go to ``output/tensorboard`` too.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..io import atomic_path
from .augment import Augmenter
from .data import PatchSampler, load_training_set
from .losses import LOSSES, build_loss
from .models import ARCHITECTURES, build_model

__all__ = ["TrainConfig", "train", "model_from_checkpoint", "dice_score"]


@dataclass
class TrainConfig:
    """Everything a training run needs; serialised into each checkpoint."""

    train_sets: list[str]  #: training-set paths, optionally ``file.h5@z0:z1``
    output: str  #: folder for checkpoints and logs
    val_sets: list[str] = field(default_factory=list)
    target: str = "mask"  #: "mask" (axon / cell interior) or "membrane"
    architecture: str = "dlinknet18"
    widths: tuple[int, ...] | None = None  #: encoder widths (model default if None)
    head_width: int | None = None
    in_channels: int = 1
    encoder_weights: str | None = None  #: local state_dict of the encoder, nothing downloaded
    patch_size: tuple[int, ...] = (256, 256)
    batch_size: int = 8
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    iterations: int = 10000
    warmup: int = 200
    save_interval: int = 1000
    val_interval: int = 1000
    log_interval: int = 50
    loss: str = "bce+dice"
    balance: bool = True  #: foreground/background-balanced pixel weights
    foreground_fraction: float = 0.5
    augment: bool = True
    workers: int = 0
    gpus: int = 0  #: 0: CPU; 1: one GPU; N: DataParallel over N
    seed: int = 0
    finetune: str | None = None  #: checkpoint whose weights start the run
    time_limit: float | None = None  #: seconds; stop (and save) when exceeded
    val_tile: int = 512

    def __post_init__(self):
        if not self.train_sets:
            raise ValueError("train_sets: expected at least one training set")
        if self.architecture not in ARCHITECTURES:
            raise ValueError(f"architecture: expected one of {sorted(ARCHITECTURES)}, "
                             f"got {self.architecture!r}")
        if self.loss not in LOSSES:
            raise ValueError(f"loss: expected one of {sorted(LOSSES)}, got {self.loss!r}")
        for name in ("batch_size", "iterations", "save_interval", "val_interval",
                     "log_interval"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name}: expected a positive int, got {getattr(self, name)}")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate: expected > 0, got {self.learning_rate}")
        if self.gpus and self.gpus > torch.cuda.device_count():
            raise ValueError(f"gpus: {self.gpus} requested, {torch.cuda.device_count()} found")
        self.patch_size = tuple(int(p) for p in self.patch_size)
        self.widths = tuple(int(w) for w in self.widths) if self.widths else None

    def model_options(self) -> dict:
        options = {"in_channels": self.in_channels} if self.architecture != "unet3d" else {}
        if self.widths:
            options["widths"] = self.widths
        if self.head_width and self.architecture != "unet3d":
            options["head_width"] = self.head_width
        if self.encoder_weights and self.architecture != "unet3d":
            options["encoder_weights"] = self.encoder_weights
        return options


def dice_score(pred: np.ndarray, truth: np.ndarray) -> float:
    """Dice ``2 |A & B| / (|A| + |B|)`` of two boolean arrays (1 when both are empty)."""
    a, b = np.asarray(pred, bool), np.asarray(truth, bool)
    total = int(a.sum()) + int(b.sum())
    return 1.0 if total == 0 else 2.0 * int(np.logical_and(a, b).sum()) / total


def model_from_checkpoint(path, *, map_location="cpu") -> tuple[torch.nn.Module, dict]:
    """Rebuild the network of a checkpoint and load its weights: ``(model, checkpoint)``."""
    ckpt = torch.load(path, map_location=map_location, weights_only=False)
    config = ckpt["config"]
    options = dict(ckpt["model_options"])
    options.pop("encoder_weights", None)
    model = build_model(config["architecture"], **options)
    model.load_state_dict(ckpt["model"])
    return model, ckpt


def _lr_factor(iteration: int, config: TrainConfig) -> float:
    if iteration < config.warmup:
        return (iteration + 1) / config.warmup
    progress = (iteration - config.warmup) / max(config.iterations - config.warmup, 1)
    return 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))


def _validate(model, sets, config: TrainConfig, device) -> dict:
    from ..infer import predict

    model.eval()
    scores, inter, total = {}, 0, 0
    tile = config.val_tile if len(config.patch_size) == 2 else (
        (config.patch_size[0], config.val_tile, config.val_tile))
    for s in sets:
        prob = predict(s.raw, model, tile=tile, overlap=min(64, config.val_tile // 4),
                       device=device)
        pred = prob > 0.5
        truth = s.target.astype(bool)
        scores[s.name] = dice_score(pred, truth)
        inter += int(np.logical_and(pred, truth).sum())
        total += int(pred.sum()) + int(truth.sum())
    model.train()
    return {"per_set": scores, "all": 2 * inter / total if total else 1.0}


def _tensorboard(folder: Path):
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # tensorboard not installed: logging to log.jsonl only
        return None
    return SummaryWriter(str(folder / "tensorboard"))


def _save(path: Path, state: dict) -> None:
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def train(config: TrainConfig, *, progress: bool = True) -> dict:
    """Train a network as ``config`` says; returns the last checkpoint's summary
    (``iteration``, ``loss``, ``val_dice``, ``best_val_dice``, paths)."""
    out = Path(config.output)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(config.seed)
    device = torch.device("cuda" if config.gpus else "cpu")

    train_sets = [load_training_set(n, config.target) for n in config.train_sets]
    val_sets = [load_training_set(n, config.target) for n in config.val_sets]
    options = config.model_options()
    model = build_model(config.architecture, **options)
    start, best, history = 0, -1.0, []
    last = out / "last.pt"
    resume = last.exists()
    if resume:
        ckpt = torch.load(last, map_location="cpu", weights_only=False)
        model.load_state_dict(ckpt["model"])
        start, best = ckpt["iteration"], ckpt.get("best_val_dice", -1.0)
    elif config.finetune:
        ckpt = torch.load(config.finetune, map_location="cpu", weights_only=False)
        model.load_state_dict(ckpt["model"])
    model.to(device)
    net = torch.nn.DataParallel(model, list(range(config.gpus))) if config.gpus > 1 else model
    optimiser = torch.optim.AdamW(model.parameters(), lr=config.learning_rate,
                                  weight_decay=config.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda i: _lr_factor(i, config))
    if resume:
        optimiser.load_state_dict(ckpt["optimiser"])
        scheduler.load_state_dict(ckpt["scheduler"])
    # a resumed run draws new patches rather than replaying the first ones
    sampler = PatchSampler(train_sets, config.patch_size, in_channels=config.in_channels,
                           foreground_fraction=config.foreground_fraction,
                           seed=config.seed + start)
    loss_fn = build_loss(config.loss, balance=config.balance)
    augmenter = Augmenter() if config.augment else None
    gen = torch.Generator().manual_seed(config.seed + start)
    loader = iter(torch.utils.data.DataLoader(
        sampler, batch_size=config.batch_size,
        num_workers=config.workers, pin_memory=device.type == "cuda"))
    writer = _tensorboard(out)
    log = out / "log.jsonl"

    def checkpoint(iteration: int, val: dict | None) -> None:
        state = {"model": model.state_dict(), "optimiser": optimiser.state_dict(),
                 "scheduler": scheduler.state_dict(), "iteration": iteration,
                 "config": dataclasses.asdict(config), "model_options": options,
                 "best_val_dice": best, "val_dice": val}
        _save(last, state)
        if val is not None and val["all"] >= best:
            _save(out / "best.pt", state)

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=config.iterations, initial=start, desc="train", unit="it")
    t0 = time.monotonic()
    running, val, done = [], None, start
    model.train()
    amp = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else None
    try:
        for iteration in range(start, config.iterations):  # noqa: B007
            image, label = next(loader)
            image, label = image.to(device, non_blocking=True), label.to(device)
            if augmenter is not None:
                image, label = augmenter(image, label, gen)
            if amp is not None:
                with amp:
                    logits = net(image)
            else:
                logits = net(image)
            loss = loss_fn(logits.float(), label)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            scheduler.step()
            running.append(float(loss.detach()))
            done = iteration + 1
            if bar is not None:
                bar.update(1)
            if done % config.log_interval == 0:
                entry = {"iteration": done, "loss": float(np.mean(running)),
                         "lr": scheduler.get_last_lr()[0], "seconds": time.monotonic() - t0}
                running = []
                with open(log, "a") as f:
                    f.write(json.dumps(entry) + "\n")
                if writer is not None:
                    writer.add_scalar("loss/train", entry["loss"], done)
                if bar is not None:
                    bar.set_postfix(loss=f"{entry['loss']:.4f}")
            val = None
            if val_sets and done % config.val_interval == 0:
                val = _validate(model, val_sets, config, device)
                best = max(best, val["all"])
                with open(log, "a") as f:
                    f.write(json.dumps({"iteration": done, "val_dice": val}) + "\n")
                if writer is not None:
                    writer.add_scalar("dice/val", val["all"], done)
                    with torch.no_grad():
                        model.eval()
                        pred = torch.sigmoid(model(image[:4]).float())
                        model.train()
                    mid = (slice(None), slice(0, 1)) + ((image.shape[2] // 2,)
                                                        if image.ndim == 5 else ())
                    grid = torch.cat([image[mid], label[mid], pred[mid]], dim=-1)[:4]
                    writer.add_images("em|truth|prediction", grid.clamp(0, 1), done)
            history.append(float(loss.detach()))
            if done % config.save_interval == 0 or val is not None:
                checkpoint(done, val)
            if config.time_limit and time.monotonic() - t0 > config.time_limit:
                break
        iteration = done
        if val_sets and (val is None):
            val = _validate(model, val_sets, config, device)
            best = max(best, val["all"])
            with open(log, "a") as f:
                f.write(json.dumps({"iteration": iteration, "val_dice": val}) + "\n")
        checkpoint(iteration, val)
    finally:
        if bar is not None:
            bar.close()
        if writer is not None:
            writer.close()
    return {"iteration": iteration, "loss": history[-1] if history else None,
            "val_dice": val, "best_val_dice": best, "last": str(last),
            "best": str(out / "best.pt") if (out / "best.pt").exists() else None}
