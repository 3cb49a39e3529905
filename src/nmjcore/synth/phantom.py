"""Synthetic serial-section EM of a nerve bundle entering neuromuscular junctions."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..ops._validate import as_sampling
from . import _defects, _geometry, _render

_STREAMS = ("axons", "motion", "schwann", "muscle", "shifts", "flicker", "bad", "noise")


@dataclass(frozen=True, eq=False)
class Phantom:
    """A synthetic EM stack and its exact ground truth (see :func:`phantom`).

    The first six fields are the stable interface; the others describe how the stack was made
    (for tests and analysis).
    """

    raw: np.ndarray  #: (Z, Y, X) uint8 image
    axons: np.ndarray  #: (Z, Y, X) uint32 axon ids, 0 = not an axon interior
    membrane: np.ndarray  #: (Z, Y, X) bool, axon membrane / myelin rings
    sampling: tuple  #: (z, y, x) voxel size in nm
    bad_sections: tuple  #: sorted section indices whose image is defective
    muscle: np.ndarray | None  #: (Z, Y, X) uint32 muscle-fibre ids, or None
    bad_kinds: dict = field(default_factory=dict)  #: {z: kind} for each bad section
    schwann: np.ndarray | None = None  #: (Z, Y, X) bool, Schwann-cell bodies (distractors)
    segment_axon: np.ndarray | None = None  #: (S,) uint32 axon id of each segment
    segment_parent: np.ndarray | None = None  #: (S,) int64 parent segment of a branch, else -1
    centres: np.ndarray | None = None  #: (S, Z, 2) float32 (y, x) in image pixels, NaN if absent
    radii: np.ndarray | None = None  #: (S, Z) float32 interior radius sqrt(a b), px; NaN if absent
    myelinated: np.ndarray | None = None  #: (S,) bool
    section_shifts: np.ndarray | None = None  #: (Z, 2) int64 (dy, dx) misalignment in px
    gain: np.ndarray | None = None  #: (Z,) float32 flicker gain
    offset: np.ndarray | None = None  #: (Z,) float32 flicker offset (grey levels)


def _check_int(value, name, minimum=0):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}: expected an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name}: expected an int >= {minimum}, got {value}")
    return int(value)


def _check_float(value, name, low=0.0, high=math.inf, low_open=False):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected a number, got {type(value).__name__}")
    value = float(value)
    bad_low = value <= low if low_open else value < low
    if not math.isfinite(value) or bad_low or value > high:
        bracket = "(" if low_open else "["
        raise ValueError(f"{name}: expected a finite number in {bracket}{low}, {high}], "
                         f"got {value}")
    return value


def _check_shape(shape):
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__len__") or len(shape) != 3:
        raise ValueError(f"shape: expected 3 positive ints (z, y, x), got {shape!r}")
    out = []
    for v in shape:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"shape: expected 3 positive ints (z, y, x), got {shape!r}")
        out.append(int(v))
    return tuple(out)


def phantom(shape=(64, 512, 512), *, n_axons=40, seed=0, sampling=(40.0, 16.0, 16.0),
            fill=0.35, radius=None, myelin_fraction=0.6, g_ratio=0.7, membrane_width=2.0,
            drift=0.5, jump_probability=0.03, jump_size=(10.0, 40.0), branch_probability=0.2,
            start_fraction=0.1, end_fraction=0.1, n_schwann=None, muscle=False,
            terminal_spread=1.5, noise=6.0, shot_noise=0.5, blur=1.0, flicker=0.08,
            n_bad=None, bad_kinds=_defects.BAD_KINDS):
    """Synthetic serial-section EM of a nerve bundle entering NMJs, with exact ground truth.

    Axons are tubes of varying calibre running along z, their centres drifting from section to
    section; each is drawn as a bright interior (axoplasm) inside a dark ring (membrane, or a
    thicker myelin sheath), on a mid-grey endoneurium with Schwann-cell bodies as distractors.
    The image is blurred, gets per-section brightness/contrast flicker, Gaussian and
    signal-dependent (Poisson-like) noise, a few bad sections, and occasional misalignment
    jumps of whole sections.

    Parameters
    ----------
    shape : tuple of 3 int
        (Z, Y, X) size of the stack.
    n_axons : int
        Number of axons (neurons); their ids are 1..n_axons.
    seed : int
        Seed of :func:`numpy.random.default_rng`; the same seed gives identical arrays.
        Separate random streams serve geometry, motion, Schwann cells, muscle, misalignment,
        flicker, bad sections and noise, so changing one option does not reshuffle the others.
    sampling : tuple of 3 float
        Voxel size (z, y, x) in nm, reported as is; geometry is set in pixels. The default
        (40, 16, 16) is a usual tracing resolution for serial-section EM of NMJs: sections cut at
        30-50 nm and imaged at 4-8 nm, then down-sampled to 16 nm, where a 1-4 µm axon spans
        tens of pixels and 1024 px cover a 16 µm field.
    fill : float in (0, 0.8]
        Share of the section covered by axons with their rings; sets the mean axon size as
        ``sqrt(fill * Y * X / (n_axons * pi))`` px (outer radius) unless ``radius`` is given.
    radius : float or None
        Mean interior radius of the axons in px (overrides ``fill``). Individual radii are
        log-normally spread (sd 0.25 in log) around it, clipped to [0.5, 2] times.
    myelin_fraction : float in [0, 1]
        Share of myelinated axons: their ring is ``outer * (1 - g_ratio)`` wide (at least
        ``membrane_width``); the others have a ``membrane_width`` membrane.
    g_ratio : float in (0, 1)
        Interior over outer diameter of a myelinated axon (0.7 is typical of peripheral nerve).
    membrane_width : float >= 1.5
        Width in px of a bare membrane (also of myelin near a terminal).
    drift : float >= 0
        Typical movement of an axon centre per section, px (an AR(1) velocity with this standard
        deviation, correlated over ~10 sections), plus a slow drift of the whole bundle.
    jump_probability : float in [0, 1]
        Chance per section boundary of a misalignment step: all sections after it are shifted by
        ``jump_size`` px in a random direction (the shift stays within 1.5 * max of
        ``jump_size``). The labels move with the image.
    jump_size : (float, float)
        Range of the length of a misalignment step, px.
    branch_probability : float in [0, 1]
        Chance that an axon splits into two near its end; the branch keeps the axon's id, starts
        inside its parent, is 0.6-0.85 times as thick and diverges over 4-8 sections.
    start_fraction, end_fraction : float in [0, 1]
        Share of axons that appear after the first section (growing from 40 % of their size over
        a few sections) and, without muscle, that taper and end before the last section.
    n_schwann : int or None
        Number of Schwann-cell bodies (a crescent around an axon over part of its length, about
        half of them with a darker nucleus); default ``n_axons // 4``.
    muscle : bool or int
        Muscle fibres under the end of the stack: True for 2 fibres, an int for that many, False
        or 0 for none. With muscle, every axon (and branch) ends in a terminal on the fibre below
        it (see Notes).
    terminal_spread : float >= 1
        A terminal's interior radius grows to about ``terminal_spread`` times the axon's over its
        last sections (log-normal scatter of sd 0.08 per axon).
    noise : float >= 0
        Standard deviation of the Gaussian noise, grey levels.
    shot_noise : float >= 0
        Signal-dependent noise: the noise variance is ``noise**2 + shot_noise * value``.
    blur : float >= 0
        Sigma of the Gaussian blur (point-spread function), px.
    flicker : float >= 0
        Per-section gain ``exp(N(0, flicker))`` and offset ``N(0, 100 * flicker)`` grey levels.
    n_bad : int or None
        Number of bad sections; default ``round(Z / 32)``. Never the first or last section when
        avoidable.
    bad_kinds : sequence of str
        Kinds to draw bad sections from, in a shuffled cycle: ``"blank"`` (flat dark level,
        faint noise), ``"saturated"`` (gain 2.2: blown out to 255 but for myelin),
        ``"cracked"`` (a dark crack line, the tissue on one side displaced by 4-20 px),
        ``"low_contrast"`` (a quarter of the contrast, extra blur).

    Returns
    -------
    Phantom
        ``raw`` (Z, Y, X) uint8; ``axons`` (Z, Y, X) uint32, ids 1..n_axons on axon interiors
        (a branch has its parent's id), 0 elsewhere; ``membrane`` (Z, Y, X) bool, the rings;
        ``sampling`` (z, y, x) nm; ``bad_sections`` sorted tuple of int; ``muscle`` (Z, Y, X)
        uint32 fibre ids or None. Further fields: ``bad_kinds`` {z: kind}, ``schwann`` (Z, Y, X)
        bool, and per segment (an axon or a branch) ``segment_axon``, ``segment_parent``,
        ``centres`` (S, Z, 2) and ``radii`` (S, Z) in image px (NaN where absent),
        ``myelinated``; per section ``section_shifts`` (Z, 2), ``gain`` and ``offset``.

    Notes
    -----
    Separation: in every section the outlines (interior + ring) of different axons are pushed
    apart by a few iterations of soft-disc relaxation, so their interiors are at least two ring
    widths apart; pixels inside two outlines become membrane, and any remaining pair of
    4-neighbours with two different ids is cleared. Two different axons are therefore never
    4-adjacent, and ``axons`` has no ids where ``membrane`` is set.

    Tracing: axons move ``drift`` px per section, much less than their radius, so consecutive
    cross-sections overlap, except across misalignment steps (``section_shifts``). Ground truth
    stays the true tissue on bad sections (only ``raw`` is damaged).

    Muscle and terminals: fibres are cylinders lying side by side across the nerve, their top
    surface a parabola across each fibre at 65-85 % of the stack depth (rising by 4-10 %
    towards its edges). An axon ends a gutter of
    1-2 sections below that surface: over its last ``round(0.05 Z)`` (at least 2) sections its
    radius swells to ``terminal_spread`` times and its myelin thins to a membrane. The muscle
    fills every voxel below the surface and below the last section of any axon outline at that
    pixel, so the terminal's end face rests on the fibre. The contact area of a terminal is
    therefore about ``pi * (terminal_spread * r)**2`` px (``r`` its interior radius), i.e. it
    grows with the square of the axon's calibre (less where a neighbour later covers it).

    Examples
    --------
    >>> from nmjcore.synth import phantom
    >>> p = phantom((8, 96, 96), n_axons=6, seed=1, muscle=True)
    >>> p.raw.shape, p.raw.dtype, p.axons.dtype, p.muscle.dtype
    ((8, 96, 96), dtype('uint8'), dtype('uint32'), dtype('uint32'))
    >>> int(p.axons.max()) <= 6
    True
    """
    Z, Y, X = _check_shape(shape)
    n_axons = _check_int(n_axons, "n_axons")
    if n_axons > 2**31 - 2:
        raise ValueError(f"n_axons: expected at most {2**31 - 2}, got {n_axons}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed: expected a non-negative int, got {seed!r}")
    sampling = as_sampling(sampling, 3)
    fill = _check_float(fill, "fill", 0.0, 0.8, low_open=True)
    if radius is not None:
        radius = _check_float(radius, "radius", 0.0, low_open=True)
    myelin_fraction = _check_float(myelin_fraction, "myelin_fraction", 0.0, 1.0)
    g_ratio = _check_float(g_ratio, "g_ratio", 0.0, 0.99, low_open=True)
    membrane_width = _check_float(membrane_width, "membrane_width", 1.5)
    drift = _check_float(drift, "drift")
    jump_probability = _check_float(jump_probability, "jump_probability", 0.0, 1.0)
    if (isinstance(jump_size, (str, bytes)) or not hasattr(jump_size, "__len__")
            or len(jump_size) != 2):
        raise ValueError(f"jump_size: expected (min, max) in px, got {jump_size!r}")
    jump_lo = _check_float(jump_size[0], "jump_size")
    jump_hi = _check_float(jump_size[1], "jump_size")
    if jump_hi < jump_lo:
        raise ValueError(f"jump_size: expected min <= max, got {jump_size!r}")
    branch_probability = _check_float(branch_probability, "branch_probability", 0.0, 1.0)
    start_fraction = _check_float(start_fraction, "start_fraction", 0.0, 1.0)
    end_fraction = _check_float(end_fraction, "end_fraction", 0.0, 1.0)
    n_schwann = n_axons // 4 if n_schwann is None else _check_int(n_schwann, "n_schwann")
    if muscle is None or isinstance(muscle, (bool, np.bool_)):
        n_fibres = 2 if muscle else 0
    else:
        n_fibres = _check_int(muscle, "muscle")
    terminal_spread = _check_float(terminal_spread, "terminal_spread", 1.0)
    noise = _check_float(noise, "noise")
    shot_noise = _check_float(shot_noise, "shot_noise")
    blur = _check_float(blur, "blur")
    flicker = _check_float(flicker, "flicker", 0.0, 2.0)
    n_bad = int(round(Z / 32)) if n_bad is None else _check_int(n_bad, "n_bad")
    if n_bad > Z:
        raise ValueError(f"n_bad: expected at most the number of sections ({Z}), got {n_bad}")
    if isinstance(bad_kinds, str):
        bad_kinds = (bad_kinds,)
    bad_kinds = tuple(bad_kinds)
    unknown = [k for k in bad_kinds if k not in _defects.BAD_KINDS]
    if unknown or (n_bad > 0 and not bad_kinds):
        raise ValueError(f"bad_kinds: expected a non-empty subset of {_defects.BAD_KINDS}, "
                         f"got {bad_kinds!r}")

    streams = dict(zip(_STREAMS, (np.random.default_rng(s) for s in
                                  np.random.SeedSequence(int(seed)).spawn(len(_STREAMS)))))

    fibres = (_geometry.muscle_fibres((Z, Y, X), n_fibres, streams["muscle"])
              if n_fibres > 0 else None)
    params = _geometry.AxonParams(
        fill=fill, radius=radius, myelin_fraction=myelin_fraction, g_ratio=g_ratio,
        membrane_width=membrane_width, drift=drift, branch_probability=branch_probability,
        start_fraction=start_fraction, end_fraction=end_fraction,
        terminal_spread=terminal_spread, gap=0.5)
    seg = _geometry.simulate_axons((Z, Y, X), n_axons, params, streams["axons"],
                                   streams["motion"],
                                   muscle_base=None if fibres is None else fibres.base)
    cells = _geometry.schwann_cells(seg, n_schwann, streams["schwann"])
    shifts = _geometry.section_shifts(Z, jump_probability, (jump_lo, jump_hi), streams["shifts"])
    gain, offset = _defects.flicker(Z, flicker, streams["flicker"])
    bad = _defects.choose_bad(Z, n_bad, bad_kinds, streams["bad"])

    images = _draw_sections((Z, Y, X), seg, cells, fibres, shifts, gain, offset, bad,
                           noise=noise, shot_noise=shot_noise, blur=blur,
                           noise_rng=streams["noise"], bad_rng=streams["bad"])
    raw, axons, membrane, schwann, muscle_ids = images

    centres = seg.centre + shifts[None, :, :].astype(np.float32)
    radii = np.sqrt(seg.semi_a * seg.semi_b)
    return Phantom(
        raw=raw, axons=axons, membrane=membrane, sampling=sampling,
        bad_sections=tuple(sorted(bad)), muscle=muscle_ids, bad_kinds=dict(sorted(bad.items())),
        schwann=schwann, segment_axon=seg.axon_id.astype(np.uint32),
        segment_parent=seg.parent, centres=centres, radii=radii, myelinated=seg.myelinated,
        section_shifts=shifts, gain=gain, offset=offset)


def _draw_sections(shape, seg, cells, fibres, shifts, gain, offset, bad, *, noise, shot_noise,
                   blur, noise_rng, bad_rng):
    """Draw every section: labels, clean grey levels, blur, flicker, noise, defects."""
    Z, Y, X = shape
    if fibres is not None:
        base = _muscle_surface(seg, fibres, Z)
        first_muscle = int(base.min()) + 1

    raw = np.empty((Z, Y, X), np.uint8)
    axons = np.empty((Z, Y, X), np.uint32)
    membrane = np.empty((Z, Y, X), bool)
    schwann = np.empty((Z, Y, X), bool)
    muscle_ids = np.zeros((Z, Y, X), np.uint32) if fibres is not None else None

    owner = np.empty((Y, X), np.int32)
    inner = np.empty((Y, X), np.uint8)
    cls = np.empty((Y, X), np.uint8)
    clean = np.empty((Y, X), np.float32)
    scratch = np.empty((Y, X), np.float32)
    no_muscle = np.zeros((Y, X), np.uint32)
    weights = _render.gaussian_weights(blur)
    weights_low = _render.gaussian_weights(math.hypot(blur, _defects.LOW_CONTRAST_BLUR))
    lut = _render.normal_table()
    cell_coarse, cell_fine = 24.0, 5.0
    axis = fibres.axis if fibres is not None else (1.0, 0.0)
    ids = seg.axon_id.astype(np.int32)

    for z in range(Z):
        dy, dx = int(shifts[z, 0]), int(shifts[z, 1])
        here = np.flatnonzero(~np.isnan(seg.semi_a[:, z]))
        cy = seg.centre[here, z, 0].astype(np.float64) + dy
        cx = seg.centre[here, z, 1].astype(np.float64) + dx
        owner.fill(0)
        inner.fill(0)
        cls.fill(0)
        there = np.flatnonzero(~np.isnan(cells.semi_a[:, z]))
        _render.paint_schwann(cls, cells.centre[there, z, 0].astype(np.float64) + dy,
                              cells.centre[there, z, 1].astype(np.float64) + dx,
                              cells.semi_a[there, z].astype(np.float64),
                              cells.semi_b[there, z].astype(np.float64),
                              cells.theta[there, z].astype(np.float64), cells.nucleus[there, z])
        _render.paint_axons(owner, inner, cy, cx, *_ellipses(seg, here, z), ids[here])
        _render.finish_labels(owner, inner, axons[z], membrane[z])
        if fibres is not None and z >= first_muscle:
            _render.paint_muscle(muscle_ids[z], owner, z, base, fibres.fibre, dy, dx)
        coarse = noise_rng.standard_normal((int(Y / cell_coarse) + 2, int(X / cell_coarse) + 2),
                                           dtype=np.float32)
        fine = noise_rng.standard_normal((int(Y / cell_fine) + 2, int(X / cell_fine) + 2),
                                         dtype=np.float32)
        _render.shade(clean, axons[z], membrane[z],
                      muscle_ids[z] if fibres is not None else no_muscle, cls, schwann[z],
                      coarse, fine, cell_coarse, cell_fine, _render.LEVELS, fibres is not None,
                      axis[0], axis[1], 9.0, dy, dx)
        draws = noise_rng.integers(0, 65536, size=(Y, X), dtype=np.uint16)

        kind = bad.get(z)
        g, o, w = float(gain[z]), float(offset[z]), weights
        if kind == "saturated":
            g, o = g * _defects.SATURATED_GAIN, o + _defects.SATURATED_OFFSET
        elif kind == "low_contrast":
            mean = float(_render.BACKGROUND)
            o += g * (1 - _defects.LOW_CONTRAST) * mean
            g, w = g * _defects.LOW_CONTRAST, weights_low
        _render.blur_rows(clean, scratch, w)
        _render.blur_cols_finish(scratch, raw[z], w, g, o, noise, shot_noise, lut, draws)
        if kind == "blank":
            _defects.blank(raw[z], bad_rng)
        elif kind == "cracked":
            _defects.crack(raw[z], bad_rng)

    return raw, axons, membrane, schwann, muscle_ids


def _muscle_surface(seg, fibres, n_sections):
    """Last section above the muscle at each tissue pixel: the fibre's own surface, lowered
    below the last section in which any axon outline covers the pixel (so muscle never takes
    an axon's place and a terminal's end face rests on it)."""
    last = np.full(fibres.base.shape, -1, np.int64)
    for z in range(n_sections):
        here = np.flatnonzero(~np.isnan(seg.semi_a[:, z]))
        if len(here) == 0:
            continue
        _render.cover(last, z, seg.centre[here, z, 0].astype(np.float64),
                      seg.centre[here, z, 1].astype(np.float64),
                      *_ellipses(seg, here, z))
    return np.maximum(last, fibres.base)


def _ellipses(seg, here, z):
    """Semi-axes, orientation and ring width of segments ``here`` in section ``z``, float64."""
    return tuple(np.ascontiguousarray(v[here, z], dtype=np.float64)
                 for v in (seg.semi_a, seg.semi_b, seg.theta, seg.ring))
