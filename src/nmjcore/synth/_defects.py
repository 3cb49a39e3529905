"""Imaging defects of the phantom: per-section flicker and bad sections.

They touch ``raw`` only; the ground truth stays the true tissue on every section.
"""

from __future__ import annotations

import numpy as np

BAD_KINDS = ("blank", "saturated", "cracked", "low_contrast")

# A low-contrast section keeps this share of the contrast and is blurred this much more (px).
LOW_CONTRAST, LOW_CONTRAST_BLUR = 0.25, 2.5
# A saturated section is blown out: only the darkest structures (myelin) keep some grey.
SATURATED_GAIN, SATURATED_OFFSET = 2.2, 70.0


def flicker(n_sections, strength, rng):
    """Per-section gain ``exp(N(0, strength))`` and offset ``N(0, 100 * strength)`` grey levels."""
    gain = np.exp(rng.normal(0.0, strength, n_sections)).astype(np.float32)
    offset = rng.normal(0.0, 100.0 * strength, n_sections).astype(np.float32)
    return gain, offset


def choose_bad(n_sections, n_bad, kinds, rng):
    """``n_bad`` distinct sections, not the first or last where possible, and kinds cycling
    through ``kinds`` in a shuffled order. Returns {z: kind}."""
    if n_bad == 0:
        return {}
    inner = np.arange(1, n_sections - 1) if n_sections > 2 else np.arange(n_sections)
    pool = inner if len(inner) >= n_bad else np.arange(n_sections)
    zs = np.sort(rng.choice(pool, size=n_bad, replace=False))
    order = list(rng.permutation(len(kinds)))
    return {int(z): kinds[order[i % len(kinds)]] for i, z in enumerate(zs)}


def blank(section, rng):
    """A missing section: a flat dark level with faint noise."""
    level = rng.uniform(5.0, 60.0)
    values = level + rng.normal(0.0, 0.7, section.shape)
    section[...] = np.clip(np.rint(values), 0, 255).astype(np.uint8)


def crack(section, rng):
    """A dark crack across the section; the tissue on one side is displaced along and away
    from it (by 4-20 px)."""
    ny, nx = section.shape
    py, px = rng.uniform(0.3, 0.7) * ny, rng.uniform(0.3, 0.7) * nx
    alpha = rng.uniform(0.0, np.pi)
    ty, tx = np.sin(alpha), np.cos(alpha)  # along the crack
    yy, xx = np.mgrid[0:ny, 0:nx]
    along = (yy - py) * ty + (xx - px) * tx
    wobble = 2.0 * np.sin(along / rng.uniform(15.0, 40.0) + rng.uniform(0, 2 * np.pi))
    across = (xx - px) * (-ty) + (yy - py) * tx + wobble
    slide, opening = rng.uniform(4.0, 20.0), rng.uniform(2.0, 6.0)
    dy = int(round(slide * ty + opening * tx))
    dx = int(round(slide * tx - opening * ty))
    moved = across > 0
    src_y = np.clip(yy - dy, 0, ny - 1)
    src_x = np.clip(xx - dx, 0, nx - 1)
    shifted = section[src_y, src_x]
    section[moved] = shifted[moved]
    width = rng.uniform(1.5, 4.0)
    line = np.abs(across) < width
    dark = rng.uniform(5.0, 25.0) + rng.normal(0.0, 3.0, int(line.sum()))
    section[line] = np.clip(np.rint(dark), 0, 255).astype(np.uint8)
