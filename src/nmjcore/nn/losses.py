"""Losses for binary segmentation on logits: BCE, Dice, focal and their sums.

Every loss takes ``logits`` and a ``target`` in {0, 1} (any float in [0, 1] works) of the same
shape (N, 1, ...), and optional per-pixel ``weight`` of that shape. :func:`balanced_weights`
makes weights that give foreground and background the same total weight in each sample, so a
sparse axon mask is not drowned by background.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

__all__ = ["LOSSES", "balanced_weights", "bce_loss", "build_loss", "dice_loss", "focal_loss"]


def _check(logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None) -> None:
    if logits.shape != target.shape:
        raise ValueError(f"target: expected shape {tuple(logits.shape)} (as logits), "
                         f"got {tuple(target.shape)}")
    if weight is not None and weight.shape != logits.shape:
        raise ValueError(f"weight: expected shape {tuple(logits.shape)} (as logits), "
                         f"got {tuple(weight.shape)}")


def balanced_weights(target: torch.Tensor, max_weight: float = 10.0) -> torch.Tensor:
    """Per-pixel weights ``n / (2 n_fg)`` on foreground and ``n / (2 n_bg)`` on background,
    per sample, clipped to ``max_weight``; a sample with one class only gets weight 1.

    The mean weight of a sample is 1, so the loss scale does not depend on the ratio.
    """
    fg = (target > 0.5).to(torch.float32)
    dims = tuple(range(1, target.ndim))
    n = fg[0].numel()
    n_fg = fg.sum(dim=dims, keepdim=True)
    n_bg = n - n_fg
    one_class = (n_fg == 0) | (n_bg == 0)
    w_fg = torch.where(one_class, torch.ones_like(n_fg), n / (2 * n_fg.clamp(min=1)))
    w_bg = torch.where(one_class, torch.ones_like(n_bg), n / (2 * n_bg.clamp(min=1)))
    return (fg * w_fg + (1 - fg) * w_bg).clamp(max=max_weight)


def _weighted_mean(values: torch.Tensor, weight: torch.Tensor | None) -> torch.Tensor:
    if weight is None:
        return values.mean()
    return (values * weight).sum() / weight.sum().clamp(min=1e-12)


def bce_loss(logits: torch.Tensor, target: torch.Tensor,
             weight: torch.Tensor | None = None) -> torch.Tensor:
    """Binary cross-entropy, the (weighted) mean of ``-t log p - (1 - t) log(1 - p)``."""
    _check(logits, target, weight)
    values = F.binary_cross_entropy_with_logits(logits.float(), target.float(), reduction="none")
    return _weighted_mean(values, weight)


def dice_loss(logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None,
              smooth: float = 1.0) -> torch.Tensor:
    """Soft Dice loss over the batch: ``1 - (2 sum(w p t) + s) / (sum(w p) + sum(w t) + s)``."""
    _check(logits, target, weight)
    p = torch.sigmoid(logits.float())
    t = target.float()
    w = torch.ones_like(p) if weight is None else weight.float()
    inter = (w * p * t).sum()
    return 1 - (2 * inter + smooth) / ((w * p).sum() + (w * t).sum() + smooth)


def focal_loss(logits: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None,
               gamma: float = 2.0) -> torch.Tensor:
    """Focal loss (Lin et al. 2017): BCE scaled by ``(1 - p_t) ** gamma``, the mean over pixels,
    ``p_t`` the predicted probability of the true class."""
    _check(logits, target, weight)
    x, t = logits.float(), target.float()
    bce = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    p = torch.sigmoid(x)
    p_t = p * t + (1 - p) * (1 - t)
    return _weighted_mean((1 - p_t) ** gamma * bce, weight)


LOSSES: dict[str, Callable[..., torch.Tensor]] = {
    "bce": bce_loss,
    "dice": dice_loss,
    "focal": focal_loss,
    "bce+dice": lambda x, t, w=None: bce_loss(x, t, w) + dice_loss(x, t, w),
    "focal+dice": lambda x, t, w=None: focal_loss(x, t, w) + dice_loss(x, t, w),
}


def build_loss(name: str = "bce+dice", *, balance: bool = True,
               max_weight: float = 10.0) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """``loss(logits, target)`` by name (``LOSSES``), with :func:`balanced_weights` if
    ``balance``."""
    if name not in LOSSES:
        raise ValueError(f"loss: expected one of {sorted(LOSSES)}, got {name!r}")
    fn = LOSSES[name]

    def loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        weight = balanced_weights(target, max_weight) if balance else None
        return fn(logits, target, weight)

    loss.__name__ = name
    return loss
