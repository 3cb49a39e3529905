"""Networks, losses, augmentation, training and export (PyTorch; imported on demand).

``import nmjcore`` does not load torch; ``import nmjcore.nn`` does.
"""

from .augment import Augmenter
from .data import PatchSampler, TrainingSet, load_training_set
from .export import export_torchscript
from .losses import LOSSES, balanced_weights, bce_loss, build_loss, dice_loss, focal_loss
from .models import ARCHITECTURES, DLinkNet, LinkNet, ResidualUNet3D, build_model
from .train import TrainConfig, dice_score, model_from_checkpoint, train

__all__ = [
    "ARCHITECTURES", "Augmenter", "DLinkNet", "LOSSES", "LinkNet", "PatchSampler",
    "ResidualUNet3D", "TrainConfig", "TrainingSet", "balanced_weights", "bce_loss",
    "build_loss", "build_model", "dice_loss", "dice_score", "export_torchscript", "focal_loss",
    "load_training_set", "model_from_checkpoint", "train",
]
