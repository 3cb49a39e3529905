"""Training sets and random patches from them.

A training set is an HDF5 file or zarr store as written by the ground-truth preparation:
``raw`` (Z, Y, X) uint8, ``mask`` uint8 0/1 (axon or cell interior), ``membrane`` uint8 0/1,
attribute ``resolution_nm``. A set with ``membrane`` but no ``mask`` (the real volumes in
shared/data) has interior = ``membrane == 0``. A set is named by its path, optionally with a
section range: ``isbi2012.h5@0:25`` (sections 0-24), ``vnc.h5@-3:`` (the last three).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import torch

from ..io import DatasetNotFoundError, open_volume

__all__ = ["TARGETS", "TrainingSet", "PatchSampler", "load_training_set", "parse_set_name"]

TARGETS = ("mask", "membrane")
_RANGE_RE = re.compile(r"^(.*)@(-?\d*):(-?\d*)$")


@dataclass
class TrainingSet:
    """Images and targets of one training set, in memory."""

    name: str
    raw: np.ndarray  #: (Z, Y, X) uint8
    target: np.ndarray  #: (Z, Y, X) uint8 0/1
    sampling: tuple | None  #: (z, y, x) nm


def parse_set_name(name: str) -> tuple[str, slice]:
    """``"file.h5@0:25"`` -> ``("file.h5", slice(0, 25))``; no ``@`` means every section."""
    m = _RANGE_RE.match(str(name))
    if not m:
        return str(name), slice(None)
    start = int(m.group(2)) if m.group(2) else None
    stop = int(m.group(3)) if m.group(3) else None
    return m.group(1), slice(start, stop)


def _read_dataset(path: str, dataset: str, sections: slice) -> np.ndarray | None:
    try:
        with open_volume(f"{path}:{dataset}") as vol:
            return np.asarray(vol[sections]), vol.sampling
    except DatasetNotFoundError:
        return None


def load_training_set(name: str, target: str = "mask") -> TrainingSet:
    """Read ``raw`` and the ``target`` ("mask" or "membrane") of a training set (see module).

    Raises
    ------
    ValueError
        No such target in the file, shapes that differ, or an empty section range.
    """
    if target not in TARGETS:
        raise ValueError(f"target: expected one of {TARGETS}, got {target!r}")
    path, sections = parse_set_name(name)
    found = _read_dataset(path, "raw", sections)
    if found is None:
        raise ValueError(f"training set {name!r}: no 'raw' dataset")
    raw, sampling = found
    labels = _read_dataset(path, target, sections)
    if labels is None and target == "mask":
        membrane = _read_dataset(path, "membrane", sections)
        if membrane is not None:
            labels = ((membrane[0] == 0).astype(np.uint8), membrane[1])
    if labels is None:
        raise ValueError(f"training set {name!r}: no {target!r} dataset"
                         + (" (nor 'membrane')" if target == "mask" else ""))
    label = (labels[0] > 0).astype(np.uint8)
    if raw.dtype != np.uint8:
        raise ValueError(f"training set {name!r}: expected uint8 'raw', got {raw.dtype}")
    if raw.ndim != 3 or raw.shape != label.shape or raw.shape[0] == 0:
        raise ValueError(f"training set {name!r}: expected 'raw' and {target!r} of one "
                         f"non-empty (Z, Y, X) shape, got {raw.shape} and {label.shape}")
    return TrainingSet(name, raw, label, sampling)


class PatchSampler(torch.utils.data.IterableDataset):
    """An endless stream of random patches ``(image, label)`` from training sets.

    Parameters
    ----------
    sets : list of TrainingSet
    patch_size : (Y, X) or (Z, Y, X)
        2D patches come from one section (with ``in_channels=3``, the section and its two
        neighbours as channels); 3D patches span Z sections.
    foreground_fraction : float in [0, 1]
        Share of patches centred on a random foreground pixel; the others are placed
        uniformly. Sets are drawn in proportion to their number of pixels.
    seed : int
        Each worker process draws from ``seed + worker id``.

    Yields
    ------
    image : float32 tensor (C, [Z,] Y, X), uint8 / 255
    label : float32 tensor (1, [Z,] Y, X), 0/1
    """

    def __init__(self, sets, patch_size, *, in_channels: int = 1,
                 foreground_fraction: float = 0.5, seed: int = 0):
        super().__init__()
        if not sets:
            raise ValueError("sets: expected at least one training set")
        patch_size = tuple(int(p) for p in patch_size)
        if len(patch_size) not in (2, 3) or min(patch_size) < 1:
            raise ValueError(f"patch_size: expected 2 or 3 positive ints, got {patch_size!r}")
        if not 0 <= foreground_fraction <= 1:
            raise ValueError(f"foreground_fraction: expected a number in [0, 1], "
                             f"got {foreground_fraction!r}")
        if in_channels not in (1, 3) or (in_channels == 3 and len(patch_size) == 3):
            raise ValueError(f"in_channels: expected 1, or 3 with 2D patches, got {in_channels}")
        self.sets = list(sets)
        self.patch_size = patch_size
        self.in_channels = in_channels
        self.foreground_fraction = float(foreground_fraction)
        self.seed = int(seed)
        sizes = np.array([s.raw.size for s in self.sets], dtype=float)
        self.set_probability = sizes / sizes.sum()
        self._foreground = [np.flatnonzero(s.target) for s in self.sets]

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        rng = np.random.default_rng(self.seed + (info.id if info else 0))
        while True:
            yield self.sample(rng)

    def sample(self, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        i = rng.choice(len(self.sets), p=self.set_probability)
        s = self.sets[i]
        shape = s.raw.shape
        patch = self.patch_size if len(self.patch_size) == 3 else (1,) + self.patch_size
        fg = self._foreground[i]
        if fg.size and rng.random() < self.foreground_fraction:
            centre = np.unravel_index(fg[rng.integers(fg.size)], shape)
            start = [c - p // 2 for c, p in zip(centre, patch)]
        else:
            start = [rng.integers(0, max(n - p, 0) + 1) for n, p in zip(shape, patch)]
        start = [int(min(max(a, 0), max(n - p, 0))) for a, n, p in zip(start, shape, patch)]
        box = tuple(slice(a, a + p) for a, p in zip(start, patch))
        label = _pad_to(s.target[box], patch)
        if self.in_channels == 3:
            z = start[0]
            zs = [min(max(z + d, 0), shape[0] - 1) for d in (-1, 0, 1)]
            image = np.stack([_pad_to(s.raw[(zz,) + box[1:]][None], patch)[0] for zz in zs])
        else:
            image = _pad_to(s.raw[box], patch)
        if len(self.patch_size) == 2:
            label = label[0]
            image = image if self.in_channels == 3 else image[0]
        image_t = torch.from_numpy(np.ascontiguousarray(image)).float().div_(255)
        label_t = torch.from_numpy(np.ascontiguousarray(label)).float()
        if self.in_channels == 1:
            image_t = image_t[None]
        return image_t, label_t[None]


def _pad_to(block: np.ndarray, shape) -> np.ndarray:
    """Reflect-pad a block cut at the volume's edge up to the patch shape."""
    pad = [(0, p - n) for n, p in zip(block.shape, shape)]
    if any(b for _, b in pad):
        block = np.pad(block, pad, mode="symmetric")
    return block
