"""Numba kernels that draw one section of the phantom.

Ellipses are drawn only inside each one's bounding box. Labels are decided from an "owner" map:
a pixel inside the outline (interior + ring) of one axon only is owned by it, a pixel inside the
outlines of two different axons is contested and becomes membrane. A final pass clears any
remaining pair of 4-neighbours with two different axon ids, so that a membrane pixel always lies
between two axons whatever the rounding.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# Grey levels of the clean image (before blur, gain, noise).
BACKGROUND, AXOPLASM, MEMBRANE = 150.0, 192.0, 52.0
SCHWANN, NUCLEUS = 118.0, 92.0
MUSCLE, SARCOLEMMA = 138.0, 78.0
LEVELS = np.array([BACKGROUND, AXOPLASM, MEMBRANE, SCHWANN, NUCLEUS, MUSCLE, SARCOLEMMA],
                  np.float32)


@njit(cache=True, nogil=True)
def _box(cy, cx, reach, ny, nx):
    y0 = max(0, int(math.floor(cy - reach)))
    y1 = min(ny - 1, int(math.ceil(cy + reach)))
    x0 = max(0, int(math.floor(cx - reach)))
    x1 = min(nx - 1, int(math.ceil(cx + reach)))
    return y0, y1, x0, x1


@njit(cache=True, nogil=True)
def paint_schwann(cls, cy, cx, sa, sb, theta, nucleus):
    """cls = 1 (cytoplasm) or 2 (nucleus: the inner part of a cell that has one)."""
    ny, nx = cls.shape
    for k in range(cy.size):
        c, s = math.cos(theta[k]), math.sin(theta[k])
        y0, y1, x0, x1 = _box(cy[k], cx[k], max(sa[k], sb[k]) + 1.0, ny, nx)
        for y in range(y0, y1 + 1):
            dy = y - cy[k]
            for x in range(x0, x1 + 1):
                dx = x - cx[k]
                u = (dx * c + dy * s) / sa[k]
                v = (-dx * s + dy * c) / sb[k]
                q = u * u + v * v
                if q < 1.0:
                    val = 2 if (nucleus[k] and q < 0.35) else 1
                    if val > cls[y, x]:
                        cls[y, x] = val


@njit(cache=True, nogil=True)
def paint_axons(owner, inner, cy, cx, sa, sb, theta, ring, ids):
    ny, nx = owner.shape
    for k in range(cy.size):
        c, s = math.cos(theta[k]), math.sin(theta[k])
        ao, bo = sa[k] + ring[k], sb[k] + ring[k]
        y0, y1, x0, x1 = _box(cy[k], cx[k], max(ao, bo) + 1.0, ny, nx)
        ident = ids[k]
        for y in range(y0, y1 + 1):
            dy = y - cy[k]
            for x in range(x0, x1 + 1):
                dx = x - cx[k]
                u = dx * c + dy * s
                v = -dx * s + dy * c
                if (u / ao) ** 2 + (v / bo) ** 2 < 1.0:
                    o = owner[y, x]
                    if o == 0:
                        owner[y, x] = ident
                    elif o != ident:
                        owner[y, x] = -1
                    if (u / sa[k]) ** 2 + (v / sb[k]) ** 2 < 1.0:
                        inner[y, x] = 1


@njit(cache=True, nogil=True)
def cover(last, z, cy, cx, sa, sb, theta, ring):
    """last[y, x] = z wherever an axon outline covers (y, x) in section z."""
    ny, nx = last.shape
    for k in range(cy.size):
        c, s = math.cos(theta[k]), math.sin(theta[k])
        ao, bo = sa[k] + ring[k], sb[k] + ring[k]
        y0, y1, x0, x1 = _box(cy[k], cx[k], max(ao, bo) + 1.0, ny, nx)
        for y in range(y0, y1 + 1):
            dy = y - cy[k]
            for x in range(x0, x1 + 1):
                dx = x - cx[k]
                u = dx * c + dy * s
                v = -dx * s + dy * c
                if (u / ao) ** 2 + (v / bo) ** 2 < 1.0:
                    last[y, x] = z


@njit(cache=True, nogil=True)
def finish_labels(owner, inner, label, membrane):
    ny, nx = owner.shape
    for y in range(ny):
        for x in range(nx):
            o = owner[y, x]
            label[y, x] = o if (o > 0 and inner[y, x] == 1) else 0
    # Mark both pixels of every 4-adjacent pair with two ids; row y is final once its pairs
    # with row y + 1 are marked, so it is cleared in the same sweep.
    for y in range(ny):
        for x in range(nx):
            l0 = label[y, x]
            if l0 == 0:
                continue
            if x + 1 < nx:
                l1 = label[y, x + 1]
                if l1 != 0 and l1 != l0:
                    inner[y, x] = 2
                    inner[y, x + 1] = 2
            if y + 1 < ny:
                l1 = label[y + 1, x]
                if l1 != 0 and l1 != l0:
                    inner[y, x] = 2
                    inner[y + 1, x] = 2
        for x in range(nx):
            if inner[y, x] == 2:
                label[y, x] = 0
            membrane[y, x] = owner[y, x] != 0 and label[y, x] == 0


@njit(cache=True, nogil=True)
def paint_muscle(muscle, owner, z, base, fibre, dy, dx):
    """Fibre ids where the tissue pixel lies below the fibre surface and no axon is drawn."""
    ny, nx = muscle.shape
    ty_n, tx_n = base.shape
    for y in range(ny):
        ty = y - dy
        for x in range(nx):
            tx = x - dx
            m = 0
            if owner[y, x] == 0 and 0 <= ty < ty_n and 0 <= tx < tx_n and z > base[ty, tx]:
                m = fibre[ty, tx]
            muscle[y, x] = m


@njit(cache=True, nogil=True)
def _lerp_row(grid, fy, out):
    iy = int(fy)
    wy = fy - iy
    for j in range(grid.shape[1]):
        out[j] = (1.0 - wy) * grid[iy, j] + wy * grid[iy + 1, j]


@njit(cache=True, nogil=True)
def shade(clean, label, membrane, muscle, cls, schwann, coarse, fine, cell_coarse, cell_fine,
          levels, has_muscle, axis_c, axis_s, period, dy, dx):
    """Clean grey levels by class, with two octaves of smooth texture (noise grids interpolated
    bilinearly); writes the Schwann mask (Schwann-cell pixels not covered by an axon outline or
    muscle)."""
    ny, nx = clean.shape
    bg, axo, mem, sch, nuc, mus, sarc = (levels[0], levels[1], levels[2], levels[3], levels[4],
                                         levels[5], levels[6])
    two_pi = 2.0 * math.pi
    ixc = np.empty(nx, np.int64)
    wxc = np.empty(nx, np.float32)
    ixf = np.empty(nx, np.int64)
    wxf = np.empty(nx, np.float32)
    for x in range(nx):
        f = x / cell_coarse
        ixc[x] = int(f)
        wxc[x] = f - int(f)
        f = x / cell_fine
        ixf[x] = int(f)
        wxf[x] = f - int(f)
    rc = np.empty(coarse.shape[1], np.float32)
    rf = np.empty(fine.shape[1], np.float32)
    for y in range(ny):
        _lerp_row(coarse, y / cell_coarse, rc)
        _lerp_row(fine, y / cell_fine, rf)
        for x in range(nx):
            i = ixc[x]
            tc = rc[i] + wxc[x] * (rc[i + 1] - rc[i])
            i = ixf[x]
            tf = rf[i] + wxf[x] * (rf[i + 1] - rf[i])
            sw = False
            if label[y, x] != 0:
                v = axo + 4.0 * tc + 5.0 * tf
            elif membrane[y, x]:
                v = mem + 3.0 * tf
            elif has_muscle and muscle[y, x] != 0:
                m = muscle[y, x]
                edge = ((x > 0 and muscle[y, x - 1] != m) or (x + 1 < nx and muscle[y, x + 1] != m)
                        or (y > 0 and muscle[y - 1, x] != m)
                        or (y + 1 < ny and muscle[y + 1, x] != m))
                if edge:
                    v = sarc + 3.0 * tf
                else:
                    along = (x - dx) * axis_c + (y - dy) * axis_s
                    v = mus + 9.0 * math.sin(two_pi * along / period) + 3.0 * tc + 4.0 * tf
            elif cls[y, x] == 2:
                v = nuc + 6.0 * tc + 12.0 * tf
                sw = True
            elif cls[y, x] == 1:
                v = sch + 5.0 * tc + 6.0 * tf
                sw = True
            else:
                v = bg + 10.0 * tc + 8.0 * tf
            clean[y, x] = v
            schwann[y, x] = sw


@njit(cache=True, nogil=True)
def _reflect(i, n):
    while i < 0 or i >= n:
        if i < 0:
            i = -i - 1
        else:
            i = 2 * n - 1 - i
    return i


@njit(cache=True, nogil=True)
def blur_rows(src, dst, weights):
    """Separable Gaussian, x pass, 'reflect' borders (as scipy.ndimage)."""
    ny, nx = src.shape
    r = (weights.size - 1) // 2
    for y in range(ny):
        for x in range(nx):
            acc = 0.0
            if r <= x < nx - r:
                for k in range(weights.size):
                    acc += weights[k] * src[y, x + k - r]
            else:
                for k in range(weights.size):
                    acc += weights[k] * src[y, _reflect(x + k - r, nx)]
            dst[y, x] = acc


@njit(cache=True, nogil=True)
def blur_cols_finish(src, out, weights, gain, offset, noise, shot, lut, draws):
    """y pass of the blur, then gain/offset, Gaussian + signal-dependent (Poisson-like) noise of
    variance ``noise**2 + shot * value``, rounding and clipping to uint8."""
    ny, nx = src.shape
    r = (weights.size - 1) // 2
    row = np.empty(nx, np.float32)
    var0 = noise * noise
    for y in range(ny):
        row[:] = 0.0
        for k in range(weights.size):
            yy = _reflect(y + k - r, ny)
            w = weights[k]
            for x in range(nx):
                row[x] += w * src[yy, x]
        for x in range(nx):
            v = gain * row[x] + offset
            var = var0 + shot * max(v, 0.0)
            v += math.sqrt(var) * lut[draws[y, x]]
            v = math.floor(v + 0.5)
            if v < 0.0:
                v = 0.0
            elif v > 255.0:
                v = 255.0
            out[y, x] = np.uint8(v)


def gaussian_weights(sigma: float) -> np.ndarray:
    if sigma <= 0:
        return np.ones(1, np.float32)
    r = max(1, int(math.ceil(3.0 * sigma)))
    x = np.arange(-r, r + 1, dtype=np.float64)
    w = np.exp(-0.5 * (x / sigma) ** 2)
    return (w / w.sum()).astype(np.float32)


def normal_table() -> np.ndarray:
    """65536 quantiles of the standard normal: a uint16 draw indexes one (fast, exact enough)."""
    from scipy.special import ndtri

    return ndtri((np.arange(65536, dtype=np.float64) + 0.5) / 65536.0).astype(np.float32)
