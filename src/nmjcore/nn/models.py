"""Segmentation networks: D-LinkNet (ResNet18/34 encoders), LinkNet, 3D residual U-Net.

Every model is a plain ``nn.Module`` configured by its constructor, scripts with
``torch.jit.script``, takes float input scaled to [0, 1] (uint8 / 255) and returns logits
(apply a sigmoid for the probability). Inputs of any size are accepted: they are padded
(replicate) to a multiple of the network's total stride and the output is cropped back.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["DLinkNet", "LinkNet", "ResidualUNet3D", "build_model", "ARCHITECTURES"]

_RESNET_DEPTHS = {"resnet18": (2, 2, 2, 2), "resnet34": (3, 4, 6, 3)}


def _conv_bn_relu(cin: int, cout: int, kernel: int = 3, stride: int = 1,
                  dilation: int = 1) -> nn.Sequential:
    pad = dilation * (kernel // 2)
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, stride, pad, dilation=dilation, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class BasicBlock(nn.Module):
    """ResNet basic block: two 3x3 convolutions and an identity (or 1x1 strided) shortcut."""

    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                          nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)), inplace=True)
        y = self.bn2(self.conv2(y))
        return F.relu(y + self.shortcut(x), inplace=True)


class ResNetEncoder(nn.Module):
    """ResNet stem (7x7 stride 2, max-pool) and four stages; returns the four stage outputs."""

    def __init__(self, depths: Sequence[int], widths: Sequence[int], in_channels: int = 1):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(in_channels, widths[0], 7, 2, 3, bias=False),
                                  nn.BatchNorm2d(widths[0]), nn.ReLU(inplace=True),
                                  nn.MaxPool2d(3, 2, 1))
        stages = []
        cin = widths[0]
        for i, (depth, width) in enumerate(zip(depths, widths)):
            blocks = [BasicBlock(cin, width, 1 if i == 0 else 2)]
            blocks += [BasicBlock(width, width) for _ in range(depth - 1)]
            stages.append(nn.Sequential(*blocks))
            cin = width
        self.stage1, self.stage2, self.stage3, self.stage4 = stages

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor,
                                                torch.Tensor]:
        e1 = self.stage1(self.stem(x))
        e2 = self.stage2(e1)
        e3 = self.stage3(e2)
        e4 = self.stage4(e3)
        return e1, e2, e3, e4


class DilatedCentre(nn.Module):
    """D-LinkNet centre: cascaded 3x3 convolutions dilated 1, 2, 4, 8, all outputs summed.

    The cascade widens the receptive field of the deepest features to the whole tile (a
    path of dilation 15 at stride 32) without losing resolution (Zhou et al., CVPR-W 2018).
    """

    def __init__(self, width: int, dilations: Sequence[int] = (1, 2, 4, 8)):
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv2d(width, width, 3, padding=d, dilation=d)
                                    for d in dilations])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        y = x
        for conv in self.convs:
            y = F.relu(conv(y), inplace=False)
            out = out + y
        return out


class DecoderBlock(nn.Module):
    """LinkNet decoder block: 1x1 reduce to a quarter, 3x3 transposed conv x2, 1x1 expand."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        mid = max(cin // 4, 1)
        self.reduce = _conv_bn_relu(cin, mid, 1)
        self.up = nn.Sequential(nn.ConvTranspose2d(mid, mid, 3, 2, 1, output_padding=1,
                                                   bias=False),
                                nn.BatchNorm2d(mid), nn.ReLU(inplace=True))
        self.expand = _conv_bn_relu(mid, cout, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.expand(self.up(self.reduce(x)))


def _pad_to_multiple(x: torch.Tensor, multiple: int) -> tuple[torch.Tensor, int, int]:
    h, w = x.shape[-2], x.shape[-1]
    ph = (multiple - h % multiple) % multiple
    pw = (multiple - w % multiple) % multiple
    if ph or pw:
        x = F.pad(x, [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2], mode="replicate")
    return x, ph // 2, pw // 2


class DLinkNet(nn.Module):
    """D-LinkNet: a ResNet encoder, a dilated centre block and a LinkNet decoder.

    Parameters
    ----------
    encoder : {"resnet34", "resnet18"}
        Depth of the encoder stages ((3, 4, 6, 3) or (2, 2, 2, 2) basic blocks).
    widths : 4 ints
        Channels of the four encoder stages; ResNet's are (64, 128, 256, 512).
    in_channels : int
        1 for EM sections; 3 to accept RGB (or three stacked sections).
    out_channels : int
        Output maps (1: axon mask or membrane).
    centre : bool
        With the dilated centre block (D-LinkNet) or without (LinkNet).
    head_width : int
        Channels of the final full-resolution convolutions (32 in the paper).
    encoder_weights : path, optional
        A local ``state_dict`` file for the encoder (e.g. converted ImageNet ResNet weights);
        nothing is downloaded. Missing or mismatched keys raise.
    """

    stride: int = 32
    returns_logits: bool = True

    def __init__(self, encoder: str = "resnet34", widths: Sequence[int] = (64, 128, 256, 512),
                 in_channels: int = 1, out_channels: int = 1, centre: bool = True,
                 head_width: int = 32, encoder_weights: str | Path | None = None):
        super().__init__()
        if encoder not in _RESNET_DEPTHS:
            raise ValueError(f"encoder: expected one of {sorted(_RESNET_DEPTHS)}, got {encoder!r}")
        widths = tuple(int(w) for w in widths)
        if len(widths) != 4 or min(widths) < 1:
            raise ValueError(f"widths: expected 4 positive ints, got {widths!r}")
        if in_channels not in (1, 3):
            raise ValueError(f"in_channels: expected 1 or 3, got {in_channels!r}")
        self.encoder = ResNetEncoder(_RESNET_DEPTHS[encoder], widths, in_channels)
        if encoder_weights is not None:
            self.encoder.load_state_dict(torch.load(encoder_weights, map_location="cpu",
                                                    weights_only=True))
        self.centre = DilatedCentre(widths[3]) if centre else nn.Identity()
        self.decoder4 = DecoderBlock(widths[3], widths[2])
        self.decoder3 = DecoderBlock(widths[2], widths[1])
        self.decoder2 = DecoderBlock(widths[1], widths[0])
        self.decoder1 = DecoderBlock(widths[0], widths[0])
        self.head = nn.Sequential(
            nn.ConvTranspose2d(widths[0], head_width, 4, 2, 1), nn.ReLU(inplace=True),
            nn.Conv2d(head_width, head_width, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(head_width, out_channels, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2], x.shape[-1]
        x, top, left = _pad_to_multiple(x, 32)
        e1, e2, e3, e4 = self.encoder(x)
        d4 = self.decoder4(self.centre(e4)) + e3
        d3 = self.decoder3(d4) + e2
        d2 = self.decoder2(d3) + e1
        d1 = self.decoder1(d2)
        out = self.head(d1)
        return out[..., top:top + h, left:left + w]


class LinkNet(DLinkNet):
    """LinkNet: :class:`DLinkNet` without the dilated centre block."""

    def __init__(self, encoder: str = "resnet18", widths: Sequence[int] = (64, 128, 256, 512),
                 in_channels: int = 1, out_channels: int = 1, head_width: int = 32,
                 encoder_weights: str | Path | None = None):
        super().__init__(encoder, widths, in_channels, out_channels, centre=False,
                         head_width=head_width, encoder_weights=encoder_weights)


class ResidualBlock3D(nn.Module):
    """Two 3D convolutions (kernel ``kernel``) with batch norm and a residual shortcut."""

    def __init__(self, cin: int, cout: int, kernel: tuple[int, int, int]):
        super().__init__()
        pad = (kernel[0] // 2, kernel[1] // 2, kernel[2] // 2)
        self.conv1 = nn.Conv3d(cin, cout, kernel, padding=pad, bias=False)
        self.bn1 = nn.BatchNorm3d(cout)
        self.conv2 = nn.Conv3d(cout, cout, kernel, padding=pad, bias=False)
        self.bn2 = nn.BatchNorm3d(cout)
        self.shortcut = nn.Identity() if cin == cout else nn.Conv3d(cin, cout, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)), inplace=True)
        y = self.bn2(self.conv2(y))
        return F.relu(y + self.shortcut(x), inplace=True)


class ResidualUNet3D(nn.Module):
    """A residual U-Net for anisotropic stacks (few thick sections, fine pixels).

    Each level halves y and x; z is halved only at the levels listed in ``z_pool`` (EM
    sections are ~10x thicker than a pixel, so z is kept at the first levels), and the first
    level convolves with (1, 3, 3) kernels for the same reason. Input (N, C, Z, Y, X), e.g.
    (N, 1, 4, 256, 256); output logits of the same spatial size.

    Parameters
    ----------
    widths : ints
        Channels per level (the number of levels is ``len(widths)``).
    z_pool : bools, one per down-sampling step (``len(widths) - 1``)
        Whether that step also halves z.
    """

    returns_logits: bool = True

    def __init__(self, in_channels: int = 1, out_channels: int = 1,
                 widths: Sequence[int] = (16, 32, 64, 128),
                 z_pool: Sequence[bool] = (False, False, True)):
        super().__init__()
        widths = tuple(int(w) for w in widths)
        z_pool = tuple(bool(p) for p in z_pool)
        if len(widths) < 2 or min(widths) < 1:
            raise ValueError(f"widths: expected at least 2 positive ints, got {widths!r}")
        if len(z_pool) != len(widths) - 1:
            raise ValueError(f"z_pool: expected {len(widths) - 1} bools, got {z_pool!r}")
        self.z_stride = 2 ** sum(z_pool)
        self.xy_stride = 2 ** (len(widths) - 1)
        self.down = nn.ModuleList()
        self.pools = nn.ModuleList()
        cin = in_channels
        for i, w in enumerate(widths):
            kernel = (1, 3, 3) if i == 0 else (3, 3, 3)
            self.down.append(ResidualBlock3D(cin, w, kernel))
            if i < len(widths) - 1:
                pool = (2, 2, 2) if z_pool[i] else (1, 2, 2)
                self.pools.append(nn.MaxPool3d(pool, pool))
            else:
                self.pools.append(nn.Identity())
            cin = w
        self.ups = nn.ModuleList()
        self.up_blocks = nn.ModuleList()
        for i in range(len(widths) - 2, -1, -1):
            scale = (2, 2, 2) if z_pool[i] else (1, 2, 2)
            self.ups.append(nn.ConvTranspose3d(widths[i + 1], widths[i], scale, scale))
            kernel = (1, 3, 3) if i == 0 else (3, 3, 3)
            self.up_blocks.append(ResidualBlock3D(2 * widths[i], widths[i], kernel))
        self.head = nn.Conv3d(widths[0], out_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        d, h, w = x.shape[-3], x.shape[-2], x.shape[-1]
        pd = (self.z_stride - d % self.z_stride) % self.z_stride
        ph = (self.xy_stride - h % self.xy_stride) % self.xy_stride
        pw = (self.xy_stride - w % self.xy_stride) % self.xy_stride
        if pd or ph or pw:
            x = F.pad(x, [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2, pd // 2, pd - pd // 2],
                      mode="replicate")
        skips: list[torch.Tensor] = []
        for block, pool in zip(self.down, self.pools):
            x = block(x)
            skips.append(x)
            x = pool(x)
        for i, (up, block) in enumerate(zip(self.ups, self.up_blocks)):
            x = up(x)
            x = block(torch.cat([x, skips[len(skips) - 2 - i]], dim=1))
        out = self.head(x)
        return out[..., pd // 2:pd // 2 + d, ph // 2:ph // 2 + h, pw // 2:pw // 2 + w]


ARCHITECTURES = {
    "dlinknet34": lambda **kw: DLinkNet("resnet34", **kw),
    "dlinknet18": lambda **kw: DLinkNet("resnet18", **kw),
    "linknet18": lambda **kw: LinkNet("resnet18", **kw),
    "linknet34": lambda **kw: LinkNet("resnet34", **kw),
    "unet3d": lambda **kw: ResidualUNet3D(**kw),
}


def build_model(architecture: str, **options) -> nn.Module:
    """A model by name (``ARCHITECTURES``: dlinknet34, dlinknet18, linknet18, linknet34,
    unet3d) with its constructor's keyword arguments (e.g. ``widths=(16, 32, 64, 128)``)."""
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture: expected one of {sorted(ARCHITECTURES)}, "
                         f"got {architecture!r}")
    return ARCHITECTURES[architecture](**options)
