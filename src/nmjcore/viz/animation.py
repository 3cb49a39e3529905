"""An animation through the sections: GIF (Pillow), or MP4 when ffmpeg is installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ..io import atomic_path
from .labels import FIBRE_ALPHA, color_tables, section_rgb


def has_ffmpeg() -> bool:
    return shutil.which("ffmpeg") is not None


def _frame_indices(n_sections, step, max_frames):
    if step is None:
        step = max(1, int(np.ceil(n_sections / max_frames)))
    if isinstance(step, bool) or not isinstance(step, (int, np.integer)) or step < 1:
        raise ValueError(f"step: expected a positive int, got {step!r}")
    return np.arange(0, n_sections, int(step))


def _lookup(table):
    """A (max id + 1, 3) float32 colour array of a colour table, or None for huge ids."""
    if table is None or max(table) > 2**22:
        return None
    lut = np.zeros((max(table) + 1, 3), np.float32)
    for i, rgb in table.items():
        lut[i] = rgb
    return lut


def _blend(base, labels, lut, alpha):
    inside = (labels != 0)[..., None]
    return np.where(inside, (1 - alpha) * base + alpha * lut[labels], base)


def _frame(raw, axons, fibres, z, colors, fibre_colors, alpha, scale, sampling, luts):
    from PIL import Image, ImageDraw

    if luts is not None:  # the same colours as section_rgb, by table lookup: 5x faster
        base = np.zeros(axons.shape[1:] + (3,), np.float32)
        if raw is not None:
            base[:] = raw[z][..., None]
        if fibres is not None:
            base = _blend(base, fibres[z], luts[1], FIBRE_ALPHA)
        rgb = np.clip(_blend(base, axons[z], luts[0], alpha) + 0.5, 0, 255).astype(np.uint8)
    else:
        rgb = section_rgb(None if raw is None else raw[z], axons[z],
                          None if fibres is None else fibres[z], alpha=alpha, colors=colors,
                          fibre_colors=fibre_colors)
    image = Image.fromarray(rgb)
    if scale != 1:
        image = image.resize((round(rgb.shape[1] * scale), round(rgb.shape[0] * scale)),
                             Image.Resampling.NEAREST)
    # "um": the default bitmap font of Pillow has no µ.
    text = f"z = {z}" if sampling is None else f"z = {z}  ({z * sampling[0] / 1e3:.2f} um)"
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, 8 + 7 * len(text), 18], fill=(0, 0, 0))
    draw.text((4, 3), text, fill=(255, 255, 255))
    return image


def animate(path, axons, raw=None, fibres=None, *, sampling=None, step=None, max_frames=240,
            fps=12, alpha=0.55, scale=1.0, progress=False) -> Path:
    """Write an animation through the sections of a label volume, over EM when given.

    Parameters
    ----------
    path : str or Path
        ``.gif`` (Pillow) or ``.mp4`` (needs the ``ffmpeg`` program; H.264).
    axons : (Z, Y, X) ndarray of integers
        Labels drawn in their stable colours (one colour table for the whole stack).
    raw : (Z, Y, X) ndarray of uint8, optional
        EM under the labels; black without it.
    fibres : (Z, Y, X) ndarray of integers, optional
        Muscle fibres, drawn dimmer under the axons.
    sampling : sequence of 3 float, optional
        Voxel size in nm; adds each frame's depth in µm to its label.
    step : int, optional
        Every ``step``-th section; default so that at most ``max_frames`` frames are written.
    fps : float
        Frames per second.
    alpha : float
        Opacity of the label colours.
    scale : float
        Resize factor of the frames (nearest neighbour).
    progress : bool
        Show a progress bar.
    """
    path = Path(path)
    axons = np.asarray(axons)
    if axons.ndim != 3:
        raise ValueError(f"axons: expected a 3D label volume, got shape {axons.shape}")
    for name, other in (("raw", raw), ("fibres", fibres)):
        if other is not None and np.shape(other) != axons.shape:
            raise ValueError(f"{name}: expected the shape of axons {axons.shape}, got "
                             f"{np.shape(other)}")
    suffix = path.suffix.lower()
    if suffix not in (".gif", ".mp4"):
        raise ValueError(f"path: expected a .gif or .mp4 file name, got {path.name!r}")
    if suffix == ".mp4" and not has_ffmpeg():
        raise RuntimeError("path: writing MP4 needs the ffmpeg program on PATH; use .gif")
    if not fps > 0:
        raise ValueError(f"fps: expected a positive number, got {fps!r}")
    if not scale > 0:
        raise ValueError(f"scale: expected a positive number, got {scale!r}")
    colors, fibre_colors = color_tables(axons, fibres)
    luts = (_lookup(colors), _lookup(fibre_colors) if fibres is not None else None)
    if luts[0] is None or (fibres is not None and luts[1] is None):
        luts = None
    zs = _frame_indices(axons.shape[0], step, max_frames)
    frames = (_frame(raw, axons, fibres, int(z), colors, fibre_colors, alpha, scale, sampling,
                     luts)
              for z in tqdm(zs, desc="frames", disable=not progress, leave=False))
    with atomic_path(path) as tmp:
        if suffix == ".gif":
            first = next(frames)
            first.save(tmp, format="GIF", save_all=True, append_images=list(frames),
                       duration=int(round(1000 / fps)), loop=0, optimize=False)
        else:
            _write_mp4(tmp, frames, fps)
    return path


def _write_mp4(path, frames, fps):
    first = next(frames)
    w, h = first.size
    w2, h2 = w + w % 2, h + h % 2  # H.264 wants even sizes
    command = ["ffmpeg", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
               "-s", f"{w2}x{h2}", "-r", str(fps), "-i", "-", "-c:v", "libx264",
               "-pix_fmt", "yuv420p", str(path)]
    with subprocess.Popen(command, stdin=subprocess.PIPE) as proc:
        for image in (first, *frames):
            rgb = np.zeros((h2, w2, 3), np.uint8)
            rgb[:h, :w] = np.asarray(image.convert("RGB"))
            proc.stdin.write(rgb.tobytes())
        proc.stdin.close()
        if proc.wait() != 0:
            raise RuntimeError(f"ffmpeg failed writing {path}")
