"""Bad sections: blank, saturated, low-contrast, cracked or folded; found, scored, replaced.

Three scores per section, all relative to the neighbours so that flicker, slow trends and a
constant fill value (e.g. the black border of an aligned stack) do not count:

``contrast``
    The section's grey-level spread (95th minus 5th percentile) over the median spread of its
    neighbours within ``window``. About 1 for tissue; flicker moves it by its gain (0.8-1.25 for
    the phantom's default flicker).
``clipped``
    The share of pixels at the lowest or the highest grey level of the dtype (0 or 255 for
    uint8), minus the neighbours' median share.
``discontinuity``
    How much the section breaks the continuity of the stack. Sections are reduced by block
    means to at most ``size`` px and normalised (zero mean, unit variance, so flicker does not
    count); ``d(a, b) = 1 - r`` with ``r`` the best Pearson correlation of sections ``a`` and
    ``b`` over relative shifts of up to a quarter of the reduced size (so a misaligned pair is
    compared aligned). With ``p`` and ``n`` the nearest sections before and after that pass the
    intensity tests (``n - p`` at most 4), ``discontinuity = min(d(z, p), d(z, n)) /
    max(d(p, n), 0.02)``. It is below 1 for tissue (a section resembles each neighbour more
    than the neighbours resemble each other: 0.9 at most on the phantom) and stays so at a
    misalignment step; a crack or fold that displaces or hides part of the section makes it
    unlike both (2 and more on the phantom). Undefined (NaN) on the first and last section and
    where no such neighbours exist, so a crack there is not found.

A section is, in this order: ``"saturated"`` if clipped >= ``saturation`` (a section clipped
at either end, all black included); ``"blank"`` if contrast < ``blank_contrast``;
``"low_contrast"`` if contrast < ``low_contrast``; ``"cracked"``
(crack or fold) if discontinuity >= ``discontinuity``; good otherwise.
"""

from __future__ import annotations

import csv
import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np
import scipy.fft

from ..io.atomic import atomic_path
from . import _kernels
from ._sections import IMAGE_DTYPES, Sections, Workers, block_depth, output, progress_bar
from .flicker import _check_window, _interp_quantile, excluded_sections
from .statistics import PROBABILITIES, histogram, levels, quantiles, running_median

__all__ = ["BadSectionReport", "detect_bad_sections", "nearest_good_sections",
           "replace_bad_sections"]

KINDS = ("blank", "saturated", "low_contrast", "cracked")
REACH = 4  # sections apart at most for the discontinuity's neighbours
MAX_SHIFT = 0.25  # of the reduced section's size: misalignment tolerated by the discontinuity
DISTANCE_FLOOR = 0.02


@dataclass(frozen=True, eq=False)
class BadSectionReport:
    """What :func:`detect_bad_sections` found: the bad sections, their kinds and the scores."""

    bad: tuple  #: sorted indices of the bad sections
    kinds: dict  #: {z: kind}, kind one of "blank", "saturated", "low_contrast", "cracked"
    contrast: np.ndarray  #: (Z,) float64 spread over the neighbours' median spread
    clipped: np.ndarray  #: (Z,) float64 share of clipped pixels over the neighbours' median
    discontinuity: np.ndarray  #: (Z,) float64, NaN where undefined
    thresholds: dict = field(default_factory=dict)  #: the thresholds used, by name
    quantiles: np.ndarray | None = None  #: (Z, 65) grey-level quantiles (reused by deflicker)

    def __len__(self) -> int:
        return len(self.bad)

    def rows(self) -> list[dict]:
        """One dict per section: z, kind ("" when good) and the three scores."""
        return [{"z": z, "kind": self.kinds.get(z, ""), "contrast": float(self.contrast[z]),
                 "clipped": float(self.clipped[z]),
                 "discontinuity": float(self.discontinuity[z])}
                for z in range(len(self.contrast))]

    def write_csv(self, path) -> None:
        """Every section's scores and kind as CSV, written atomically."""
        with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
            writer = csv.DictWriter(f, ["z", "kind", "contrast", "clipped", "discontinuity"])
            writer.writeheader()
            writer.writerows(self.rows())

    def __str__(self) -> str:
        lines = [f"{len(self.bad)} bad of {len(self.contrast)} sections"]
        for z in self.bad:
            lines.append(f"  section {z:>6}  {self.kinds[z]:<12}  contrast "
                         f"{self.contrast[z]:6.3f}  clipped {self.clipped[z]:6.3f}  "
                         f"discontinuity {self.discontinuity[z]:6.3f}")
        return "\n".join(lines)


def _check_threshold(value, name: str, low=0.0, high=math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected a number, got {type(value).__name__}")
    value = float(value)
    if not (math.isfinite(value) and low <= value <= high):
        raise ValueError(f"{name}: expected a number in [{low}, {high}], got {value}")
    return value


class _Shifts:
    """The relative shifts tried when two reduced sections are compared."""

    def __init__(self, shape, max_shift: int):
        self.fft_shape = tuple(scipy.fft.next_fast_len(m + max_shift, real=True) for m in shape)
        shifts = np.r_[0:max_shift + 1, -max_shift:0]
        self.rows = shifts % self.fft_shape[0]
        self.cols = shifts % self.fft_shape[1]
        self.overlap = np.outer(shape[0] - np.abs(shifts), shape[1] - np.abs(shifts))


class _Reduced:
    """A section reduced to block means, normalised, with its spectrum for shifted
    correlations."""

    def __init__(self, coarse: np.ndarray, shifts: _Shifts):
        coarse = coarse - coarse.mean()
        std = coarse.std()
        self.image = coarse / std if std > 0 else coarse
        self.spectrum = scipy.fft.rfft2(self.image, s=shifts.fft_shape)
        self.shifts = shifts

    def distance(self, other: _Reduced) -> float:
        """``1 - r`` for the best overlap-normalised correlation ``r`` over the shifts (a
        misaligned pair is compared aligned). Zero padding keeps the shifts from wrapping."""
        s = self.shifts
        corr = scipy.fft.irfft2(self.spectrum * np.conj(other.spectrum), s=s.fft_shape)
        return 1.0 - float((corr[np.ix_(s.rows, s.cols)] / s.overlap).max())


def _discontinuity(distances: np.ndarray, good: np.ndarray) -> np.ndarray:
    """The discontinuity score from ``distances[z, k - 1] = d(z, z - k)``, k = 1..REACH."""
    n = len(good)
    out = np.full(n, np.nan)

    def d(a, b):  # a > b, a - b <= REACH
        return distances[a, a - b - 1]

    for z in np.flatnonzero(good):
        before = [p for p in range(z - 1, max(-1, z - REACH - 1), -1) if good[p]]
        after = [q for q in range(z + 1, min(n, z + REACH + 1)) if good[q]]
        if not before or not after or after[0] - before[0] > REACH:
            continue
        p, q = before[0], after[0]
        out[z] = min(d(z, p), d(q, z)) / max(d(q, p), DISTANCE_FLOOR)
    return out


def detect_bad_sections(stack, *, window=15, blank_contrast=0.1, low_contrast=0.5,
                        saturation=0.3, discontinuity=1.5, size=128, threads=None,
                        progress=None) -> BadSectionReport:
    """Find blank, saturated, low-contrast and cracked/folded sections of an EM stack.

    Parameters
    ----------
    stack : (Z, Y, X) ndarray, Volume or path of uint8 or uint16
        Read once, a few sections at a time.
    window : odd int >= 3
        Neighbours whose median is each section's reference for contrast and clipping.
    blank_contrast : float
        Contrast below which a section is blank (default 0.1: a tenth of its neighbours').
    low_contrast : float
        Contrast below which a section is low-contrast (default 0.5).
    saturation : float in [0, 1]
        Clipped share at or above which a section is saturated (default 0.3: a strong gain
        alone clips the bright axoplasm of up to ~15 % of a phantom section; a blown-out
        section clips 85 % and more).
    discontinuity : float
        Discontinuity at or above which a section is cracked or folded (default 1.5).
    size : int >= 8
        Sections are reduced by block means to at most ``size`` px along y and x for the
        discontinuity (default 128).
    threads : int, optional
        Sections processed at once; default all cores.
    progress : bool, optional
        Show a progress bar (default: only on a terminal).

    Returns
    -------
    report : BadSectionReport
        ``bad`` (sorted tuple of int), ``kinds`` {z: kind}, the scores ``contrast``,
        ``clipped`` and ``discontinuity`` (each (Z,) float64), the ``thresholds`` and the
        sections' grey-level ``quantiles`` (pass the report to :func:`deflicker` as
        ``exclude`` to reuse them).

    Notes
    -----
    The scores are defined in the module's notes (:mod:`nmjcore.preprocess.bad_sections`).
    Memory: ``2 * threads`` sections at a time plus 5 reduced sections and their spectra.

    Examples
    --------
    >>> from nmjcore.synth import phantom
    >>> p = phantom((24, 128, 128), n_axons=12, seed=4, n_bad=2)
    >>> report = detect_bad_sections(p.raw)
    >>> report.bad == p.bad_sections, report.kinds == p.bad_kinds
    (True, True)
    """
    window = _check_window(window)
    thresholds = {"blank_contrast": _check_threshold(blank_contrast, "blank_contrast"),
                  "low_contrast": _check_threshold(low_contrast, "low_contrast"),
                  "saturation": _check_threshold(saturation, "saturation", 0.0, 1.0),
                  "discontinuity": _check_threshold(discontinuity, "discontinuity")}
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 8:
        raise ValueError(f"size: expected an int >= 8, got {size!r}")
    with Sections(stack, dtypes=IMAGE_DTYPES) as sections, Workers(threads) as workers:
        n, ny, nx = sections.shape
        top = levels(sections.dtype) - 1
        table = np.empty((n, PROBABILITIES.size), np.float32)
        clipped_share = np.empty(n)
        distances = np.full((n, REACH), np.nan)
        recent: deque = deque(maxlen=REACH)  # the last reduced sections, newest first
        block = max(1, -(-max(ny, nx) // int(size)))
        coarse_shape = (-(-ny // block), -(-nx // block))
        shifts = _Shifts(coarse_shape, int(MAX_SHIFT * min(coarse_shape)))

        def one(section):
            counts = histogram(section)
            coarse = np.empty(coarse_shape, np.float32)
            _kernels.block_mean(section, block, coarse)
            return quantiles(counts), (counts[0] + counts[top]) / counts.sum(), \
                _Reduced(coarse, shifts)

        with progress_bar(n, "bad sections", progress) as bar:
            for z0, chunk in sections.blocks(block_depth(workers.threads)):
                results = workers.map(lambda i: one(chunk[i]), len(chunk))
                history = [*reversed(recent), *(r[2] for r in results)]  # oldest first
                first = len(recent)

                def compare(i):
                    j = first + i
                    return [history[j].distance(history[j - k])
                            for k in range(1, min(REACH, j) + 1)]

                for i, ((q, share, reduced), row) in enumerate(
                        zip(results, workers.map(compare, len(chunk)))):
                    table[z0 + i], clipped_share[z0 + i] = q, share
                    distances[z0 + i, :len(row)] = row
                    recent.appendleft(reduced)
                bar.update(len(chunk))

    spread = _interp_quantile(table, 0.95) - _interp_quantile(table, 0.05)
    with np.errstate(divide="ignore", invalid="ignore"):
        contrast = spread / running_median(spread, window)
    contrast = np.nan_to_num(contrast, nan=1.0, posinf=1.0)
    clipped = clipped_share - running_median(clipped_share, window)

    kinds = {}
    for z in range(n):
        if clipped[z] >= thresholds["saturation"]:
            kinds[z] = "saturated"
        elif contrast[z] < thresholds["blank_contrast"]:
            kinds[z] = "blank"
        elif contrast[z] < thresholds["low_contrast"]:
            kinds[z] = "low_contrast"
    good = np.ones(n, bool)
    good[list(kinds)] = False
    score = _discontinuity(distances, good)
    for z in np.flatnonzero(score >= thresholds["discontinuity"]):
        kinds[int(z)] = "cracked"
    kinds = dict(sorted(kinds.items()))
    return BadSectionReport(bad=tuple(kinds), kinds=kinds, contrast=contrast, clipped=clipped,
                            discontinuity=score, thresholds=thresholds, quantiles=table)


def nearest_good_sections(bad, n_sections: int) -> list[tuple[int, int]]:
    """``(z, source)`` for each bad section: the nearest good section (the earlier on a tie).

    Raises ValueError when every section is bad.
    """
    mask = excluded_sections(bad, n_sections, "bad")
    good = np.flatnonzero(~mask)
    if good.size == 0:
        raise ValueError(f"bad: all {n_sections} sections are bad; nothing to replace them with")
    pairs = []
    for z in np.flatnonzero(mask):
        i = int(np.searchsorted(good, z))
        options = [good[j] for j in (i - 1, i) if 0 <= j < good.size]
        pairs.append((int(z), int(min(options, key=lambda g: (abs(g - z), g)))))
    return pairs


def replace_bad_sections(stack, bad, *, out=None, progress=None):
    """Replace every bad section by a copy of the nearest good one.

    Parameters
    ----------
    stack : (Z, Y, X) ndarray, Volume or path
        Copied a section at a time.
    bad : iterable of int or BadSectionReport
        The sections to replace.
    out : None, ndarray, writable Volume or path
        As in :func:`deflicker`; ``out=stack`` (an array) replaces in place.

    Returns
    -------
    result : ndarray or Volume
        The stack with bad sections replaced (``out`` if given).
    replaced : list of (int, int)
        ``(z, source)``: section ``z`` now holds a copy of section ``source``.

    Examples
    --------
    >>> import numpy as np
    >>> stack = np.arange(5, dtype=np.uint8)[:, None, None] * np.ones((1, 2, 2), np.uint8)
    >>> fixed, replaced = replace_bad_sections(stack, [1, 2, 4])
    >>> fixed[:, 0, 0].tolist(), replaced
    ([0, 0, 3, 3, 3], [(1, 0), (2, 3), (4, 3)])
    """
    with Sections(stack) as sections:
        pairs = nearest_good_sections(bad, len(sections))
        source = dict(pairs)
        in_place = out is stack and isinstance(stack, np.ndarray)
        with output(out, sections.shape, sections.dtype, sampling=sections.sampling) \
                as (target, finish), progress_bar(len(sections), "replace", progress) as bar:
            for z in range(len(sections)):
                if z in source or not in_place:
                    target[z] = sections[source.get(z, z)]
                bar.update(1)
            return finish(), pairs
