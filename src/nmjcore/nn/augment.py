"""Augmentation of (image, label) batches as tensors, on whatever device they live.

Geometric transforms (flips in x/y/z, rot90, transpose, elastic deformation, misaligned
sections) move image and label together; intensity changes and the EM defects that only
damage the picture (missing section, blur) touch the image alone. Images are float in [0, 1],
shape (B, C, Y, X) or (B, C, Z, Y, X); labels have the same spatial shape (any channels).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

__all__ = ["Augmenter", "dihedral", "elastic", "gaussian_blur", "shift_sections"]


def _uniform(gen: torch.Generator, low: float, high: float) -> float:
    return low + (high - low) * float(torch.rand((), generator=gen))


def _randint(gen: torch.Generator, low: int, high: int) -> int:
    """An int in [low, high)."""
    return int(torch.randint(low, high, (), generator=gen))


def dihedral(t: torch.Tensor, flips: tuple[bool, ...], rot: int, transpose: bool) -> torch.Tensor:
    """Flip the spatial axes marked in ``flips`` (z, y, x or y, x), transpose y/x, then rotate
    by ``rot`` quarter turns in the (y, x) plane."""
    spatial = list(range(2, t.ndim))
    axes = [a for a, f in zip(spatial, flips) if f]
    if axes:
        t = torch.flip(t, axes)
    if transpose:
        t = t.transpose(-1, -2)
    if rot % 4:
        t = torch.rot90(t, rot % 4, (-2, -1))
    return t


def _smooth_field(shape: tuple[int, int], spacing: int, alpha: float, gen: torch.Generator,
                  device: torch.device) -> torch.Tensor:
    """(Y, X, 2) displacement in pixels: random control points every ``spacing`` px, upsampled."""
    h, w = shape
    gh, gw = max(2, math.ceil(h / spacing) + 1), max(2, math.ceil(w / spacing) + 1)
    coarse = torch.randn((1, 2, gh, gw), generator=gen) * alpha
    field = F.interpolate(coarse.to(device), size=(h, w), mode="bicubic", align_corners=True)
    return field[0].permute(1, 2, 0)


def elastic(image: torch.Tensor, label: torch.Tensor, displacement: torch.Tensor
            ) -> tuple[torch.Tensor, torch.Tensor]:
    """Warp one sample (C, [Z,] Y, X) in the (y, x) plane by ``displacement`` (Y, X, 2) px
    (dy, dx), the same for every section: image bilinear, label nearest, reflecting borders."""
    h, w = image.shape[-2], image.shape[-1]
    ys = torch.arange(h, device=image.device, dtype=torch.float32)
    xs = torch.arange(w, device=image.device, dtype=torch.float32)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    sy = gy + displacement[..., 0]
    sx = gx + displacement[..., 1]
    grid = torch.stack([2 * sx / max(w - 1, 1) - 1, 2 * sy / max(h - 1, 1) - 1], dim=-1)[None]

    def warp(t: torch.Tensor, mode: str) -> torch.Tensor:
        flat = t.reshape(1, -1, h, w).float()
        out = F.grid_sample(flat, grid, mode=mode, padding_mode="reflection", align_corners=True)
        return out.reshape(t.shape).to(t.dtype)

    return warp(image, "bilinear"), warp(label, "nearest")


def _gaussian_kernel(sigma: float, device: torch.device) -> torch.Tensor:
    radius = max(1, int(math.ceil(3 * sigma)))
    x = torch.arange(-radius, radius + 1, device=device, dtype=torch.float32)
    k = torch.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def gaussian_blur(section: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of (..., Y, X) with reflecting borders."""
    k = _gaussian_kernel(sigma, section.device)
    r = k.numel() // 2
    shape = section.shape
    t = section.reshape(-1, 1, shape[-2], shape[-1]).float()
    t = F.conv2d(F.pad(t, [r, r, 0, 0], mode="replicate"), k.view(1, 1, 1, -1))
    t = F.conv2d(F.pad(t, [0, 0, r, r], mode="replicate"), k.view(1, 1, -1, 1))
    return t.reshape(shape).to(section.dtype)


def shift_sections(t: torch.Tensor, start: int, stop: int, dy: int, dx: int) -> torch.Tensor:
    """Translate sections ``start:stop`` of (C, Z, Y, X) by (dy, dx) px, edges replicated."""
    h, w = t.shape[-2], t.shape[-1]
    part = t[:, start:stop].float()
    pad = [max(dx, 0), max(-dx, 0), max(dy, 0), max(-dy, 0)]
    moved = F.pad(part, pad, mode="replicate")
    y0, x0 = max(-dy, 0), max(-dx, 0)
    out = t.clone()
    out[:, start:stop] = moved[..., y0:y0 + h, x0:x0 + w].to(t.dtype)
    return out


@dataclass
class Augmenter:
    """Random augmentation of a batch; each sample draws its own transforms.

    Probabilities are per sample; magnitudes are the ranges drawn from. Set a probability to 0
    to switch a transform off. ``missing_section``, ``misaligned_section`` act on 3D samples
    only (a 2D sample has one section).
    """

    flip: bool = True  #: random flips of y, x (and z in 3D)
    rot90: bool = True  #: random quarter turns in (y, x)
    transpose: bool = True  #: random y/x transpose
    brightness: float = 0.1  #: added offset in [-b, b]
    contrast: float = 0.2  #: gain in [1 - c, 1 + c] about the sample mean
    gamma: float = 0.3  #: exponent exp(U(-g, g))
    intensity_probability: float = 0.8
    elastic_probability: float = 0.3
    elastic_alpha: float = 4.0  #: standard deviation of the control-point displacement, px
    elastic_spacing: int = 32  #: control-point spacing, px
    blur_probability: float = 0.1
    blur_sigma: tuple[float, float] = (0.5, 2.0)
    missing_probability: float = 0.1
    misaligned_probability: float = 0.1
    misaligned_shift: int = 8  #: largest shift of a misaligned section, px

    def __call__(self, image: torch.Tensor, label: torch.Tensor,
                 generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        if image.ndim not in (4, 5) or label.ndim != image.ndim \
                or image.shape[0] != label.shape[0] or image.shape[2:] != label.shape[2:]:
            raise ValueError(f"image, label: expected (B, C, [Z,] Y, X) batches of one spatial "
                             f"shape, got {tuple(image.shape)} and {tuple(label.shape)}")
        gen = generator if generator is not None else torch.Generator().manual_seed(
            int(torch.randint(0, 2**31 - 1, ())))
        images, labels = [], []
        for b in range(image.shape[0]):
            x, y = self._one(image[b:b + 1], label[b:b + 1], gen)
            images.append(x)
            labels.append(y)
        return torch.cat(images), torch.cat(labels)

    def _one(self, x: torch.Tensor, y: torch.Tensor, gen: torch.Generator
             ) -> tuple[torch.Tensor, torch.Tensor]:
        three_d = x.ndim == 5
        square = x.shape[-1] == x.shape[-2]
        n_spatial = x.ndim - 2
        flips = tuple(self.flip and _randint(gen, 0, 2) == 1 for _ in range(n_spatial))
        rot = _randint(gen, 0, 4) if (self.rot90 and square) else 0
        transpose = self.transpose and square and _randint(gen, 0, 2) == 1
        x, y = dihedral(x, flips, rot, transpose), dihedral(y, flips, rot, transpose)

        if _uniform(gen, 0, 1) < self.elastic_probability:
            field = _smooth_field((x.shape[-2], x.shape[-1]), self.elastic_spacing,
                                  self.elastic_alpha, gen, x.device)
            xe, ye = elastic(x[0], y[0], field)
            x, y = xe[None], ye[None]

        if three_d and x.shape[2] > 1 and _uniform(gen, 0, 1) < self.misaligned_probability:
            z = _randint(gen, 1, x.shape[2])
            s = self.misaligned_shift
            dy, dx = _randint(gen, -s, s + 1), _randint(gen, -s, s + 1)
            stop = x.shape[2] if _randint(gen, 0, 2) else z + 1  # a step, or one slipped section
            x = shift_sections(x[0], z, stop, dy, dx)[None]
            y = shift_sections(y[0], z, stop, dy, dx)[None]

        if _uniform(gen, 0, 1) < self.intensity_probability:
            x = self._intensity(x, gen)
        if _uniform(gen, 0, 1) < self.blur_probability:
            sigma = _uniform(gen, *self.blur_sigma)
            if three_d:
                z = _randint(gen, 0, x.shape[2])
                x = x.clone()
                x[:, :, z] = gaussian_blur(x[:, :, z], sigma)
            else:
                x = gaussian_blur(x, sigma)
        if three_d and x.shape[2] > 1 and _uniform(gen, 0, 1) < self.missing_probability:
            z = _randint(gen, 0, x.shape[2])
            x = x.clone()
            x[:, :, z] = _uniform(gen, 0.0, 0.2)  # a lost section images as a flat dark level
        return x, y

    def _intensity(self, x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        mean = x.mean()
        gain = _uniform(gen, 1 - self.contrast, 1 + self.contrast)
        x = (x - mean) * gain + mean + _uniform(gen, -self.brightness, self.brightness)
        x = x.clamp(0, 1)
        return x ** math.exp(_uniform(gen, -self.gamma, self.gamma))
