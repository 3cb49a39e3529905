"""Tiled, blended, batched inference over stacks of any size."""

from __future__ import annotations

import numpy as np
import torch

from ..io import Volume, open_volume
from ._tiling import BLENDS, tiles
from .model_file import load_model

__all__ = ["predict", "dihedral_transforms"]


def dihedral_transforms(dims: int) -> list[tuple[bool, bool, bool, int]]:
    """The test-time transforms ``(flip_z, transpose, quarter_turns)``: the 8 of the square's
    dihedral group in (y, x), times the z flip in 3D (16)."""
    zs = (False, True) if dims == 3 else (False,)
    return [(fz, tr, rot) for fz in zs for tr in (False, True) for rot in range(4)]


def _forward_transform(x: torch.Tensor, t) -> torch.Tensor:
    flip_z, transpose, rot = t
    if flip_z:
        x = torch.flip(x, [2])
    if transpose:
        x = x.transpose(-1, -2)
    return torch.rot90(x, rot, (-2, -1)) if rot else x


def _inverse_transform(x: torch.Tensor, t) -> torch.Tensor:
    flip_z, transpose, rot = t
    if rot:
        x = torch.rot90(x, -rot, (-2, -1))
    if transpose:
        x = x.transpose(-1, -2)
    return torch.flip(x, [2]) if flip_z else x


def _pair(value, n: int, name: str, minimum: int) -> tuple[int, ...]:
    values = (value,) * n if isinstance(value, (int, np.integer)) else tuple(value)
    if len(values) != n or any(isinstance(v, bool) or not isinstance(v, (int, np.integer))
                               or v < minimum for v in values):
        raise ValueError(f"{name}: expected an int >= {minimum} or {n} of them, got {value!r}")
    return tuple(int(v) for v in values)


def _resolve_device(device) -> torch.device:
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"device: expected None, 'cpu', 'cuda' or 'cuda:N', got {device!r}") \
            from None


def predict(volume, model, *, tile=(512, 512), overlap=64, tta=False, device=None,
            batch_size=4, blend="cosine", tta_reduce="mean", out=None, threads=None,
            progress=False):
    """Probability map of a section or a stack by tiled, blended inference.

    Parameters
    ----------
    volume : (Y, X) or (Z, Y, X) array, Volume, or path
        uint8 EM (float input is used as is, expected in [0, 1]); paths and Volumes are read
        section by section (or slab by slab for 3D models), so memory stays bounded.
    model : str, path, or torch.nn.Module
        A TorchScript file exported by :func:`nmjcore.nn.export_torchscript` (its metadata
        says 2D or 3D, channels, stride and whether it returns logits), ``"builtin"`` for the
        model shipped with nmjcore, or a module taking (N, C, [Z,] Y, X) input in [0, 1].
    tile : (Y, X) or (Z, Y, X) ints
        Largest tile; tiles are spread evenly and shrunk to the smallest size that covers the
        image with ``overlap`` (see Notes). 2D models take (Y, X); 3D models (Z, Y, X).
    overlap : int or tuple
        Pixels shared by neighbouring tiles, per axis (for 3D models an int applies to y and
        x, and z overlaps by ``min(overlap, tile_z // 2)``).
    tta : bool
        Average (or max, ``tta_reduce="max"``) over the 8 dihedral transforms in (y, x), and
        the z flip too for 3D models (16).
    device : None, str or torch.device
        Default CUDA when available, else CPU. On CUDA the model runs in bfloat16 (float16
        where bfloat16 is unsupported; a module passed in runs under autocast, its weights
        untouched) and channels-last; on CPU in float32. A module passed in is moved to
        ``device`` and put in eval mode.
    batch_size : int
        Tiles per forward pass (tiles of successive sections are batched together).
    blend : {"cosine", "gaussian", "constant"}
        Weighting of overlapping tiles; "constant" averages (seams can show).
    out : writable Volume or ndarray, optional
        Where to write the probabilities (float, or uint8 scaled to 0-255) as sections finish;
        returned. Default: a new float32 array.
    threads : int, optional
        CPU threads for PyTorch during this call (default: PyTorch's setting).
    progress : bool
        Show a tqdm progress bar over tiles.

    Returns
    -------
    probability : float32 ndarray of the input's shape, or ``out``

    Notes
    -----
    Each tile's prediction is weighted by a window that is 1 inside, 0 on the outer quarter of
    the overlap at inner edges (where a network sees the tile's border, so such values are
    never used) and a smooth ramp between, whose overlapping halves sum to 1. Edges on the
    image border keep weight 1. A fully convolutional network whose receptive radius is at
    most ``overlap // 4`` thus gives exactly the whole-image result away from the image border.
    """
    if blend not in BLENDS:
        raise ValueError(f"blend: expected one of {BLENDS}, got {blend!r}")
    if tta_reduce not in ("mean", "max"):
        raise ValueError(f"tta_reduce: expected 'mean' or 'max', got {tta_reduce!r}")
    batch_size = _pair(batch_size, 1, "batch_size", 1)[0]
    dev = _resolve_device(device)
    net, meta = load_model(model, dev)
    dims = int(meta.get("dims", 2))
    if dims not in (2, 3):
        raise ValueError(f"model: metadata 'dims' must be 2 or 3, got {dims!r}")
    in_channels = int(meta.get("in_channels", 1))
    z_stride, xy_stride = (list(meta.get("stride", [1, 1])) + [1, 1])[:2]

    vol = volume if isinstance(volume, Volume) else open_volume(volume)
    squeeze = vol.ndim == 2
    if vol.ndim not in (2, 3):
        raise ValueError(f"volume: expected a (Y, X) or (Z, Y, X) image, got shape {vol.shape}")
    if min(vol.shape) == 0:
        raise ValueError(f"volume: expected a non-empty image, got shape {vol.shape}")
    shape3 = (1,) + tuple(vol.shape) if squeeze else tuple(vol.shape)
    if dims == 2:
        tile3 = (1,) + _pair(tile, 2, "tile", 1)
        ov3 = (0,) + _pair(overlap, 2, "overlap", 0)
    else:
        t = _pair(tile, 3, "tile", 1)
        ov = _pair(overlap, 2, "overlap", 0) if isinstance(overlap, (int, np.integer)) \
            else _pair(overlap, 3, "overlap", 0)[1:]
        oz = (_pair(overlap, 3, "overlap", 0)[0] if not isinstance(overlap, (int, np.integer))
              else min(int(overlap), t[0] // 2))
        tile3, ov3 = t, (oz,) + ov
    for axis, (t, o) in enumerate(zip(tile3, ov3)):
        if o and o >= t:
            raise ValueError(f"overlap: expected less than the tile ({t}) on axis {axis}, got {o}")
    if out is not None and tuple(out.shape) != tuple(vol.shape):
        raise ValueError(f"out: expected shape {tuple(vol.shape)}, got {tuple(out.shape)}")
    result = out if out is not None else np.zeros(vol.shape, dtype=np.float32)

    cuda = dev.type == "cuda"
    dtype = torch.float32
    if cuda:
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    owned = not isinstance(model, torch.nn.Module)  # loaded here: free to convert in place
    net = net.to(dev).eval()
    autocast = None
    if cuda and owned:
        net = net.to(dtype)
    elif cuda:
        autocast = torch.autocast("cuda", dtype=dtype)  # the caller's weights stay as they are
        dtype = torch.float32
    if cuda and dims == 2:
        net = net.to(memory_format=torch.channels_last)
    transforms = dihedral_transforms(dims) if tta else [(False, False, 0)]
    logits = meta.get("returns", "probability") == "logits"

    if dims == 2:
        # one z-window per section; tiles of consecutive sections share batches
        grid = tiles((1,) + shape3[1:], tile3, ov3, (1, xy_stride, xy_stride), blend)
        blocks = [((z,) + s[1:], ln, w) for z in range(shape3[0]) for s, ln, w in grid]
    else:
        blocks = tiles(shape3, tile3, ov3, (z_stride, xy_stride, xy_stride), blend)
    blocks.sort(key=lambda b: b[0])

    acc: dict[int, np.ndarray] = {}
    weight: dict[int, np.ndarray] = {}
    cache: dict[tuple[int, int], np.ndarray] = {}
    flushed = 0

    def read(z0: int, d: int) -> np.ndarray:
        key = (z0, d)
        if key not in cache:
            if len(cache) > 8:
                cache.clear()
            data = vol[z0:z0 + d] if not squeeze else vol[...][None]
            cache[key] = np.asarray(data)
        return cache[key]

    def flush(until: int) -> None:
        nonlocal flushed
        for z in range(flushed, until):
            p = acc.pop(z) / np.maximum(weight.pop(z), 1e-12)
            if result.dtype == np.uint8:
                p = np.clip(np.rint(p * 255), 0, 255).astype(np.uint8)
            if squeeze:
                result[...] = p
            else:
                result[z] = p
        flushed = max(flushed, until)

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(blocks), desc="predict", unit="tile")
    old_threads = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(_pair(threads, 1, "threads", 1)[0])
    try:
        with torch.inference_mode():
            for i in range(0, len(blocks), batch_size):
                batch = blocks[i:i + batch_size]
                by_shape: dict[tuple, list] = {}
                for b in batch:
                    by_shape.setdefault(tuple(b[1]), []).append(b)
                for group in by_shape.values():
                    arrays = []
                    for (z0, y0, x0), (d, h, w), _ in group:
                        arrays.append(read(z0, d)[:, y0:y0 + h, x0:x0 + w])
                    x = _to_input(np.stack(arrays), dims, in_channels, dev, dtype)
                    if autocast is not None:
                        with autocast:
                            prob = _run(net, x, transforms, dims, logits, tta_reduce, cuda)
                    else:
                        prob = _run(net, x, transforms, dims, logits, tta_reduce, cuda)
                    prob = prob.float().cpu().numpy()
                    for k, ((z0, y0, x0), (d, h, w), win) in enumerate(group):
                        p = prob[k, 0] if dims == 3 else prob[k, 0][None]
                        for dz in range(d):
                            z = z0 + dz
                            if z not in acc:
                                acc[z] = np.zeros(shape3[1:], np.float32)
                                weight[z] = np.zeros(shape3[1:], np.float32)
                            acc[z][y0:y0 + h, x0:x0 + w] += p[dz] * win[dz]
                            weight[z][y0:y0 + h, x0:x0 + w] += win[dz]
                if bar is not None:
                    bar.update(len(batch))
                nxt = blocks[i + batch_size][0][0] if i + batch_size < len(blocks) else shape3[0]
                flush(nxt)
    finally:
        torch.set_num_threads(old_threads)
        if bar is not None:
            bar.close()
    return result


def _to_input(block: np.ndarray, dims: int, in_channels: int, dev: torch.device,
              dtype: torch.dtype) -> torch.Tensor:
    """(N, D, H, W) image blocks -> model input (N, C, H, W) or (N, C, D, H, W) in [0, 1]."""
    x = torch.from_numpy(np.ascontiguousarray(block))
    x = x.float().div_(255) if block.dtype == np.uint8 else x.float()
    x = x[:, 0:1] if dims == 2 else x[:, None]
    if in_channels == 3:
        x = x.expand(-1, 3, *x.shape[2:])
    x = x.to(dev, non_blocking=True).to(dtype)
    if dev.type == "cuda" and dims == 2:
        x = x.contiguous(memory_format=torch.channels_last)
    return x


def _run(net, x: torch.Tensor, transforms, dims: int, logits: bool, reduce: str,
         cuda: bool) -> torch.Tensor:
    total = None
    for t in transforms:
        xt = _forward_transform(x, t)
        if cuda and dims == 2:
            xt = xt.contiguous(memory_format=torch.channels_last)
        y = net(xt)
        y = torch.sigmoid(y.float()) if logits else y.float()
        y = _inverse_transform(y, t)
        if total is None:
            total = y
        elif reduce == "max":
            total = torch.maximum(total, y)
        else:
            total = total + y
    if reduce == "mean":
        total = total / len(transforms)
    return total
