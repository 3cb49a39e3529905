"""Export a trained network to TorchScript with the metadata inference needs."""

from __future__ import annotations

import json
import os

import torch

from ..infer.model_file import METADATA_NAME, default_metadata
from ..io import atomic_path

__all__ = ["export_torchscript"]


def export_torchscript(model: torch.nn.Module, path: str | os.PathLike, *, patch_size=None,
                       resolution_nm=None, mip: int = 0, output: str = "axon mask",
                       in_channels: int | None = None, **extra) -> dict:
    """Script ``model`` (in eval mode, on CPU, float32) and save it to ``path`` atomically.

    The file holds, besides the network, ``nmjcore.json``: ``dims``, ``in_channels``,
    ``stride``, ``returns`` (logits/probability), ``normalisation`` ("uint8 / 255"),
    ``patch_size`` it was trained on, ``resolution_nm`` (z, y, x) and ``mip`` level of its
    input, ``output`` (what a probability of 1 means) and any ``extra`` JSON-able entries
    (e.g. validation scores, the training command). Returns that metadata.

    The file is loaded without the Python model code by ``torch.jit.load`` or
    :func:`nmjcore.infer.load_model`.
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    was_training = model.training
    model = model.to("cpu", torch.float32).eval()
    try:
        scripted = torch.jit.script(model)
    finally:
        model.train(was_training)
    meta = default_metadata(model)
    if in_channels is not None:
        meta["in_channels"] = int(in_channels)
    else:
        first = next((m for m in model.modules() if isinstance(m, (torch.nn.Conv2d,
                                                                   torch.nn.Conv3d))), None)
        meta["in_channels"] = int(first.in_channels) if first is not None else 1
    meta.update({
        "format": "nmjcore-model/1",
        "architecture": type(model).__name__,
        "patch_size": list(patch_size) if patch_size is not None else None,
        "resolution_nm": list(resolution_nm) if resolution_nm is not None else None,
        "mip": int(mip),
        "output": str(output),
        "activation": "sigmoid" if meta["returns"] == "logits" else "none",
    })
    meta.update(extra)
    text = json.dumps(meta)
    with atomic_path(path) as tmp:
        torch.jit.save(scripted, str(tmp), _extra_files={METADATA_NAME: text})
    return meta
