"""Tissue geometry of the phantom: axon trajectories, Schwann-cell bodies, muscle fibres.

Everything here is in pixels of one section, in *tissue* coordinates (before the per-section
misalignment shifts are applied). Axon cross-sections are ellipses with a dark ring (membrane,
or myelin for myelinated axons); a relaxation step keeps the rings of different axons from
overlapping in every section, so that a membrane always separates two axons.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

# End kinds of a segment.
RUNS_THROUGH, TAPERS, TERMINAL = 0, 1, 2

_RELAX_ITERS = 10
_INITIAL_RELAX_ITERS = 400
_SPAWN_CANDIDATES = 48
_MIN_RADIUS = 1.5  # px: thinner axons would have no interior pixel in some sections


@dataclass
class AxonParams:
    fill: float
    radius: float | None
    myelin_fraction: float
    g_ratio: float
    membrane_width: float
    drift: float
    branch_probability: float
    start_fraction: float
    end_fraction: float
    terminal_spread: float
    gap: float


@dataclass
class Segments:
    """Per-segment (axon or branch) geometry per section; NaN where a segment is absent."""

    axon_id: np.ndarray  # (S,) int64, 1-based
    parent: np.ndarray  # (S,) int64, -1 for a main axon
    myelinated: np.ndarray  # (S,) bool
    centre: np.ndarray  # (S, Z, 2) float32, tissue (y, x)
    semi_a: np.ndarray  # (S, Z) float32, interior semi-axis along theta
    semi_b: np.ndarray  # (S, Z) float32, interior semi-axis across theta
    theta: np.ndarray  # (S, Z) float32, orientation of semi_a (radians, from the x axis)
    ring: np.ndarray  # (S, Z) float32, ring (membrane / myelin) width

    def outer_radius(self) -> np.ndarray:
        return np.maximum(self.semi_a, self.semi_b) + self.ring


def _smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _relax(pos, radius, lo, hi, exempt, gap, iters):
    """Push apart pairs whose outer rings overlap (soft-disc relaxation), then clip to bounds.

    ``exempt[i] = j`` lets the pair (i, j) overlap (a branch and its parent while they split).
    """
    n = len(pos)
    np.clip(pos, lo, hi, out=pos)
    if n < 2:
        return pos
    reach = 2.0 * float(radius.max()) + gap
    for _ in range(iters):
        pairs = cKDTree(pos).query_pairs(reach, output_type="ndarray")
        if len(pairs) == 0:
            break
        i, j = pairs[:, 0], pairs[:, 1]
        keep = (exempt[i] != j) & (exempt[j] != i)
        i, j = i[keep], j[keep]
        d = pos[i] - pos[j]
        dist = np.hypot(d[:, 0], d[:, 1])
        overlap = radius[i] + radius[j] + gap - dist
        hit = overlap > 1e-3
        if not hit.any():
            break
        i, j, d, dist, overlap = i[hit], j[hit], d[hit], dist[hit], overlap[hit]
        unit = np.zeros_like(d)
        ok = dist > 1e-6
        unit[ok] = d[ok] / dist[ok, None]
        unit[~ok] = (1.0, 0.0)
        # The smaller of the two moves more (a thin axon yields to a thick one).
        share = radius[j] / (radius[i] + radius[j])
        push = unit * (0.55 * overlap)[:, None]
        np.add.at(pos, i, push * share[:, None])
        np.add.at(pos, j, -push * (1.0 - share)[:, None])
        np.clip(pos, lo, hi, out=pos)
    return pos


def simulate_axons(shape, n_axons, p: AxonParams, rng_static, rng_dynamic, muscle_base=None):
    """Trajectories of ``n_axons`` axons (plus their branches) through ``shape`` (z, y, x).

    ``muscle_base`` (Y, X) int array, optional: the section index of the top of the muscle under
    each tissue pixel (> Z - 1 where there is none). With it, every axon ends a few sections
    below that surface after swelling into a terminal; without it, some axons taper and end
    inside the stack and the others run through.
    """
    Z, Y, X = shape
    n = n_axons
    cap = 2 * n  # one branch at most per axon
    size = np.array([Y, X], dtype=np.float64)

    # ---- static per-axon properties --------------------------------------------------------
    if p.radius is None:
        mean_outer = np.sqrt(p.fill * Y * X / (max(n, 1) * np.pi))
    else:
        mean_outer = None
    myel = rng_static.random(cap) < p.myelin_fraction
    spread = np.exp(rng_static.normal(0.0, 0.25, cap)).clip(0.5, 2.0)
    if mean_outer is not None:
        outer = mean_outer * spread
        ring0 = np.where(myel, np.maximum(p.membrane_width, outer * (1.0 - p.g_ratio)),
                         p.membrane_width)
        r0 = np.maximum(outer - ring0, 1.5)
    else:
        r0 = np.maximum(p.radius * spread, 1.5)
        ring0 = np.where(myel, np.maximum(p.membrane_width, r0 * (1.0 / p.g_ratio - 1.0)),
                         p.membrane_width)
    ecc = rng_static.uniform(1.0, 1.25, cap)
    theta0 = rng_static.uniform(0.0, np.pi, cap)
    dtheta = rng_static.normal(0.0, 0.02, cap)
    amp = rng_static.uniform(0.03, 0.08, cap)
    period = rng_static.uniform(15.0, 60.0, cap)
    phase = rng_static.uniform(0.0, 2 * np.pi, cap)
    n_ramp = rng_static.integers(3, 7, cap)
    k_spread = p.terminal_spread * np.exp(rng_static.normal(0.0, 0.08, cap))
    gutter = rng_static.integers(1, 3, cap)
    wants_branch = rng_static.random(cap) < p.branch_probability
    enters = rng_static.random(cap) < p.start_fraction
    ends = rng_static.random(cap) < p.end_fraction
    enter_z = rng_static.integers(1, max(2, Z // 2), cap)
    end_z = rng_static.integers(max(1, Z // 2), max(2, Z - 1), cap)
    lead_frac = rng_static.uniform(0.12, 0.3, cap)
    sep_angle = rng_static.uniform(0.0, 2 * np.pi, cap)
    sep_sections = rng_static.integers(4, 9, cap)
    child_scale = rng_static.uniform(0.6, 0.85, cap)
    start_pos = rng_static.uniform(0.0, 1.0, (cap, 2)) * size
    candidates = rng_static.uniform(0.0, 1.0, (cap, _SPAWN_CANDIDATES, 2)) * size
    eps = rng_dynamic.standard_normal((Z, cap, 2)).astype(np.float64)
    bundle_eps = rng_dynamic.standard_normal((Z, 2))

    n_spread = max(2, int(round(0.05 * Z)))
    n_taper = max(2, int(round(0.06 * Z)))
    rho = 0.9
    sigma_v = p.drift * np.sqrt(1.0 - rho * rho)

    axon_id = np.zeros(cap, np.int64)
    parent = np.full(cap, -1, np.int64)
    z0 = np.full(cap, -1, np.int64)
    z1 = np.full(cap, -1, np.int64)  # -1: not decided yet
    end_kind = np.full(cap, RUNS_THROUGH, np.int64)
    branch_z = np.full(cap, -1, np.int64)
    exempt = np.full(cap, -1, np.int64)
    sep_left = np.zeros(cap, np.int64)
    active = np.zeros(cap, bool)
    pos = np.zeros((cap, 2))
    vel = np.zeros((cap, 2))
    n_seg = n

    for s in range(n):
        axon_id[s] = s + 1
        z0[s] = enter_z[s] if (enters[s] and Z > 2) else 0
        if muscle_base is not None:
            end_kind[s] = TERMINAL
        elif ends[s] and Z > 2 and end_z[s] > z0[s] + n_taper:
            end_kind[s] = TAPERS
            z1[s] = end_z[s]
        else:
            z1[s] = Z - 1
        if wants_branch[s] and muscle_base is None:
            last = z1[s]
            span = last - z0[s]
            length = int(round(lead_frac[s] * 1.2 * span))
            if span >= 8 and length >= 3:
                branch_z[s] = last - length

    centre = np.full((cap, Z, 2), np.nan, np.float32)
    semi_a = np.full((cap, Z), np.nan, np.float32)
    semi_b = np.full((cap, Z), np.nan, np.float32)
    theta = np.full((cap, Z), np.nan, np.float32)
    ring = np.full((cap, Z), np.nan, np.float32)

    def radii_at(idx, z):
        r = r0[idx] * (1.0 + amp[idx] * np.sin(2 * np.pi * z / period[idx] + phase[idx]))
        t = ring0[idx].copy()
        late = z0[idx] > 0
        grow = np.minimum(1.0, 0.4 + 0.6 * (z - z0[idx] + 1) / n_ramp[idx])
        r = np.where(late, r * grow, r)
        known = z1[idx] >= 0
        term = known & (end_kind[idx] == TERMINAL)
        x = _smoothstep((z - (z1[idx] - n_spread)) / n_spread)
        r = np.where(term, r * (1.0 + (k_spread[idx] - 1.0) * x), r)
        t = np.where(term, t + (p.membrane_width - t) * x, t)
        taper = known & (end_kind[idx] == TAPERS)
        f = np.clip((z1[idx] - z + 1) / (n_taper + 1), 0.35, 1.0)
        r = np.maximum(np.where(taper, r * f, r), _MIN_RADIUS)
        a = r * np.sqrt(ecc[idx])
        b = r / np.sqrt(ecc[idx])
        return a, b, t

    def bounds(outer):
        margin = np.minimum(0.5 * outer[:, None], size[None, :] / 2.0 - 0.5)
        return margin, size[None, :] - 1.0 - margin

    def base_at(points):
        iy = np.clip(np.rint(points[:, 0]).astype(np.int64), 0, Y - 1)
        ix = np.clip(np.rint(points[:, 1]).astype(np.int64), 0, X - 1)
        return muscle_base[iy, ix]

    bundle_v = np.zeros(2)
    for z in range(Z):
        # Axons entering at this section appear where there is most room.
        entering = np.flatnonzero((z0[:n_seg] == z) & (parent[:n_seg] < 0))
        for s in entering:
            others = np.flatnonzero(active[:n_seg])
            if z == 0 or len(others) == 0:
                pos[s] = start_pos[s]
            else:
                a_o, b_o, t_o = radii_at(others, z)
                reach = np.maximum(a_o, b_o) + t_o
                diff = candidates[s][:, None, :] - pos[others][None, :, :]
                d = np.hypot(diff[..., 0], diff[..., 1])
                clearance = (d - reach[None, :]).min(axis=1)
                pos[s] = candidates[s][int(np.argmax(clearance))]
            active[s] = True

        idx = np.flatnonzero(active[:n_seg])
        if len(idx) == 0:
            continue
        moving = idx[z0[idx] < z]
        bundle_v = 0.95 * bundle_v + 0.3 * p.drift * np.sqrt(1 - 0.95 ** 2) * bundle_eps[z]
        vel[moving] = rho * vel[moving] + sigma_v * eps[z, moving]
        pos[moving] += vel[moving] + bundle_v
        splitting = moving[sep_left[moving] > 0]
        if len(splitting):
            r_now = radii_at(splitting, z)
            r_now = np.sqrt(r_now[0] * r_now[1])
        for k, s in enumerate(splitting):
            pp = parent[s]
            # Diverge, but slower than the branch's own radius so it stays connected along z.
            step = min((r0[pp] + ring0[pp] + r0[s] + ring0[s]) / sep_sections[s], 0.6 * r_now[k])
            pos[s] += step * np.array([np.sin(sep_angle[s]), np.cos(sep_angle[s])])
            sep_left[s] -= 1

        a, b, t = radii_at(idx, z)
        outer = np.maximum(a, b) + t
        lo, hi = bounds(outer)
        local = {int(s): k for k, s in enumerate(idx)}
        ex = np.array([local.get(int(exempt[s]), -1) for s in idx], np.int64)
        iters = _INITIAL_RELAX_ITERS if z == 0 else _RELAX_ITERS
        pos[idx] = _relax(pos[idx].copy(), outer, lo, hi, ex, p.gap, iters)

        centre[idx, z] = pos[idx]
        semi_a[idx, z] = a
        semi_b[idx, z] = b
        theta[idx, z] = theta0[idx] + dtheta[idx] * z
        ring[idx, z] = t

        # A split is over once the two outlines no longer overlap.
        for s in idx[exempt[idx] >= 0]:
            pp = exempt[s]
            if active[pp]:
                dist = np.hypot(*(pos[s] - pos[pp]))
                k_s, k_p = local[int(s)], local.get(int(pp))
                if k_p is None or dist >= outer[k_s] + outer[k_p] + p.gap:
                    exempt[s] = -1
                    sep_left[s] = 0
            else:
                exempt[s] = -1

        # Events decided at this section take effect from the next one.
        if muscle_base is not None:
            depth = base_at(pos[idx]) + gutter[idx] - z
            undecided = z1[idx] < 0
            for s in idx[undecided & (depth <= n_spread)]:
                z1[s] = min(z + n_spread, Z - 1)
            lead = np.maximum(3, np.rint(lead_frac[idx] * Z)).astype(np.int64)
            branching = undecided & wants_branch[idx] & (depth <= n_spread + lead)
            branching &= depth > n_spread
            spawn = list(idx[branching])
        else:
            spawn = list(idx[branch_z[idx] == z])
        for s in spawn:
            if n_seg >= cap or z + 1 >= Z:
                break
            c = n_seg
            n_seg += 1
            wants_branch[s] = False
            wants_branch[c] = False  # one split per axon, no branches of branches
            branch_z[s] = -1
            axon_id[c] = axon_id[s]
            parent[c] = s
            myel[c] = myel[s]
            r0[c] = r0[s] * child_scale[c]
            ring0[c] = max(p.membrane_width, ring0[s] * child_scale[c])
            z0[c] = z + 1
            end_kind[c] = end_kind[s]
            z1[c] = z1[s] if end_kind[s] != TERMINAL else -1
            if end_kind[s] == RUNS_THROUGH:
                z1[c] = Z - 1
            exempt[c] = s
            sep_left[c] = sep_sections[c]
            pos[c] = pos[s]
            vel[c] = vel[s]
            active[c] = True

        done = idx[z1[idx] == z]
        active[done] = False

    keep = slice(0, n_seg)
    return Segments(
        axon_id=axon_id[keep].copy(),
        parent=parent[keep].copy(),
        myelinated=myel[keep].copy(),
        centre=centre[keep].copy(),
        semi_a=semi_a[keep].copy(),
        semi_b=semi_b[keep].copy(),
        theta=theta[keep].copy(),
        ring=ring[keep].copy(),
    )


def section_shifts(n_sections, probability, size_range, rng):
    """Integer (dy, dx) misalignment of every section: a step of ``size_range`` pixels at a
    fraction ``probability`` of the section boundaries, kept within 1.5x the largest step."""
    shifts = np.zeros((n_sections, 2), np.int64)
    jump = rng.random(n_sections) < probability
    angle = rng.uniform(0.0, 2 * np.pi, n_sections)
    length = rng.uniform(size_range[0], size_range[1], n_sections)
    bound = 1.5 * size_range[1]
    current = np.zeros(2)
    for z in range(1, n_sections):
        if jump[z]:
            step = length[z] * np.array([np.sin(angle[z]), np.cos(angle[z])])
            if np.hypot(*(current + step)) > bound:
                step = -step
            current = current + step
        shifts[z] = np.rint(current)
    return shifts


@dataclass
class Muscle:
    fibre: np.ndarray  # (Y, X) uint32, fibre id under each tissue pixel, 0 in the gaps
    base: np.ndarray  # (Y, X) int64, last section above the fibre surface (> Z - 1: none)
    axis: tuple[float, float]  # (cos, sin) of the fibre axis, x-y plane


def muscle_fibres(shape, n_fibres, rng):
    """``n_fibres`` parallel fibres side by side under the end of the stack.

    Each fibre is a cylinder lying across the nerve; its top surface is a parabola across the
    fibre, lowest (earliest section) at its middle, between 65 % and 85 % of the stack depth.
    Neighbouring fibres are separated by a gap of a few pixels of endoneurium.
    """
    Z, Y, X = shape
    phi = rng.uniform(0.0, np.pi)
    c, s = np.cos(phi), np.sin(phi)
    yy, xx = np.mgrid[0:Y, 0:X].astype(np.float64)
    across = -xx * s + yy * c
    lo, hi = across.min(), across.max() + 1e-9
    width = (hi - lo) / n_fibres
    cuts = lo + width * (np.arange(1, n_fibres) + rng.uniform(-0.15, 0.15, n_fibres - 1))
    edges = np.concatenate([[lo], cuts, [hi]])
    strip = np.clip(np.searchsorted(edges, across, side="right") - 1, 0, n_fibres - 1)
    top = rng.uniform(0.65, 0.85, n_fibres) * Z
    depth = rng.uniform(0.04, 0.1, n_fibres) * Z
    mid = 0.5 * (edges[:-1] + edges[1:])
    half = 0.5 * (edges[1:] - edges[:-1])
    rel = (across - mid[strip]) / half[strip]
    surface = top[strip] + depth[strip] * rel * rel
    gap = max(1.0, 0.004 * max(Y, X))
    dist_edge = np.minimum(across - edges[strip], edges[strip + 1] - across)
    inner = (dist_edge >= gap) | (n_fibres == 1)
    fibre = np.where(inner, strip + 1, 0).astype(np.uint32)
    base = np.where(inner, np.floor(surface), Z + 1).astype(np.int64)
    return Muscle(fibre=fibre, base=base, axis=(float(c), float(s)))


@dataclass
class Schwann:
    centre: np.ndarray  # (N, Z, 2) float32, tissue (y, x); NaN where absent
    semi_a: np.ndarray  # (N, Z) float32, radial semi-axis
    semi_b: np.ndarray  # (N, Z) float32, tangential semi-axis
    theta: np.ndarray  # (N, Z) float32, radial direction
    nucleus: np.ndarray  # (N, Z) bool


def schwann_cells(segments: Segments, n_cells, rng):
    """Crescent-like Schwann-cell bodies hugging the outside of an axon's ring over part of its
    length, some with a darker nucleus; they are drawn under the axons, so they never cover one."""
    S, Z = segments.semi_a.shape
    centre = np.full((n_cells, Z, 2), np.nan, np.float32)
    semi_a = np.full((n_cells, Z), np.nan, np.float32)
    semi_b = np.full((n_cells, Z), np.nan, np.float32)
    theta = np.full((n_cells, Z), np.nan, np.float32)
    nucleus = np.zeros((n_cells, Z), bool)
    if n_cells == 0 or S == 0:
        return Schwann(centre, semi_a, semi_b, theta, nucleus)
    weight = np.where(segments.myelinated, 3.0, 1.0)
    host = rng.choice(S, size=n_cells, p=weight / weight.sum())
    phi0 = rng.uniform(0.0, 2 * np.pi, n_cells)
    dphi = rng.normal(0.0, 0.01, n_cells)
    span = rng.uniform(0.3, 0.9, n_cells)
    where = rng.uniform(0.0, 1.0, n_cells)
    nuc_span = rng.uniform(0.2, 0.6, n_cells)
    thick = rng.uniform(0.25, 0.45, n_cells)
    outer = segments.outer_radius()
    for k in range(n_cells):
        h = host[k]
        present = np.flatnonzero(~np.isnan(segments.semi_a[h]))
        if len(present) == 0:
            continue
        length = max(1, int(round(span[k] * len(present))))
        first = present[0] + int(where[k] * (len(present) - length))
        zs = present[first - present[0]: first - present[0] + length]
        r_out = outer[h, zs]
        phi = phi0[k] + dphi[k] * zs
        b_rad = np.maximum(1.5, thick[k] * r_out)
        dist = r_out + 0.8 * b_rad
        centre[k, zs, 0] = segments.centre[h, zs, 0] + dist * np.sin(phi)
        centre[k, zs, 1] = segments.centre[h, zs, 1] + dist * np.cos(phi)
        semi_a[k, zs] = b_rad
        semi_b[k, zs] = np.maximum(2.0, 1.1 * r_out)
        theta[k, zs] = phi
        mid = len(zs) // 2
        half = int(nuc_span[k] * len(zs) / 2)
        nucleus[k, zs[max(0, mid - half): mid + half + 1]] = True
    return Schwann(centre, semi_a, semi_b, theta, nucleus)
