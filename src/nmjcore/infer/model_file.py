"""The model file: TorchScript with the metadata inference needs, and the built-in model."""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch

__all__ = ["BUILTIN", "METADATA_NAME", "default_metadata", "load_model", "builtin_path"]

METADATA_NAME = "nmjcore.json"
BUILTIN = "builtin"
_BUILTIN_FILE = Path(__file__).resolve().parent.parent / "nn" / "builtin" / "dlinknet18_tiny.pt"


def builtin_path() -> Path:
    """Path of the TorchScript file shipped with the package (see nmjcore/nn/builtin/)."""
    return _BUILTIN_FILE


def default_metadata(model: torch.nn.Module) -> dict:
    """What :func:`nmjcore.infer.predict` assumes of a bare module: 2D (or 3D for
    5D-input models), one input channel, input uint8 / 255, logits if the model says so."""
    return {
        "dims": int(getattr(model, "dims", 3 if hasattr(model, "z_stride") else 2)),
        "in_channels": 1,
        "stride": [int(getattr(model, "z_stride", 1)), int(getattr(model, "stride",
                   getattr(model, "xy_stride", 1)))],
        "normalisation": "uint8 / 255",
        "returns": "logits" if getattr(model, "returns_logits", False) else "probability",
    }


def load_model(model, device: torch.device | str | None = None
               ) -> tuple[torch.nn.Module, dict]:
    """``(module, metadata)`` from a TorchScript path, ``"builtin"`` or an ``nn.Module``.

    Metadata keys used by inference: ``dims`` (2 or 3), ``in_channels``, ``stride``
    ([z, yx] multiple the input is best padded to), ``returns`` ("logits" or "probability").
    """
    if isinstance(model, torch.nn.Module):
        meta = default_metadata(model)
        meta.update(getattr(model, "nmjcore_metadata", {}) or {})
        return model, meta
    if isinstance(model, str) and model == BUILTIN:
        model = builtin_path()
        if not model.exists():
            raise FileNotFoundError(f"model: the built-in model file is missing at {model}")
    if not isinstance(model, (str, os.PathLike)):
        raise TypeError(f"model: expected a TorchScript path, 'builtin' or a torch.nn.Module, "
                        f"got {type(model).__name__}")
    path = Path(model)
    if not path.is_file():
        raise FileNotFoundError(f"model: no such file {path}")
    extra = {METADATA_NAME: ""}
    module = torch.jit.load(str(path), map_location=device or "cpu", _extra_files=extra)
    if not extra[METADATA_NAME]:
        raise ValueError(f"model: {path} has no {METADATA_NAME} metadata "
                         "(export it with nmjcore.nn.export_torchscript)")
    meta = json.loads(extra[METADATA_NAME])
    return module, meta
