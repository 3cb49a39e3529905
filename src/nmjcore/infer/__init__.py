"""Inference: tiled, blended, batched prediction of axon-mask (or membrane) probabilities.

:func:`predict` runs a TorchScript file (no Python model code needed), the built-in model
(``"builtin"``) or any ``torch.nn.Module`` over sections or 3D blocks of a stack, with
test-time augmentation, on CPU (float32) or CUDA (bfloat16, channels-last).
"""

from .model_file import BUILTIN, builtin_path, load_model
from .predict import dihedral_transforms, predict

__all__ = ["BUILTIN", "builtin_path", "dihedral_transforms", "load_model", "predict"]
