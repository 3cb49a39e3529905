"""The whole analysis in one call: contacts, territory, calibre, statistics, tables, figures."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..io import atomic_path
from ..ops._validate import resolve_threads
from ._table import Table
from .calibre import Calibre, calibre
from .contacts import Territory, check_volumes, contacts, territory
from .stats import Correlation, correlate, correlate_groups


@dataclass
class Analysis:
    """Everything :func:`analyse` measured; :meth:`write` saves tables and figures."""

    contacts: Table  #: axon, fibre, area_um2, contact centroid
    territory: Territory
    calibre: Calibre
    correlation: Correlation  #: calibre (diameter_um) vs contact area over all pairs
    per_axon: Table  #: correlate_groups by axon
    per_fibre: Table  #: correlate_groups by fibre
    sampling: tuple
    axons: np.ndarray = field(repr=False)
    fibres: np.ndarray = field(repr=False)
    seconds: dict = field(default_factory=dict)

    def matrix(self, value: str):
        """(axon_ids, fibre_ids, matrix) of a column of ``calibre.pairs`` (NaN: no contact)."""
        return self.calibre.pairs.pivot("axon", "fibre", value)

    def write(self, folder, *, raw=None, figures=True, animation=True, view_3d=True,
              dpi=150, progress=False) -> list[Path]:
        """Write CSV tables, a JSON summary and (with ``figures``) every figure into ``folder``.

        ``raw`` (the EM stack, (Z, Y, X) uint8) is the background of the overlays and the
        animation; without it they show the labels on black. Returns the files written.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        files = []
        tables = {"contacts.csv": self.contacts, "calibre_points.csv": self.calibre.points,
                  "calibre.csv": self.calibre.pairs,
                  "territory_per_fibre.csv": self.territory.per_fibre,
                  "territory_overall.csv": self.territory.overall,
                  "correlation_per_axon.csv": self.per_axon,
                  "correlation_per_fibre.csv": self.per_fibre}
        for value, name in (("diameter_um", "calibre_matrix.csv"),
                            ("contact_area_um2", "contact_area_matrix.csv")):
            axon_ids, fibre_ids, m = self.matrix(value)
            columns = {"axon": axon_ids}
            columns.update({f"fibre_{f}": m[:, j] for j, f in enumerate(fibre_ids)})
            tables[name] = Table(columns)
        for name, table in tables.items():
            table.to_csv(folder / name)
            files.append(folder / name)
        summary = {"sampling_nm": list(self.sampling),
                   "n_axons": int(len(np.unique(self.contacts["axon"]))),
                   "n_fibres": int(len(np.unique(self.contacts["fibre"]))),
                   "n_pairs": len(self.contacts),
                   "correlation": self.correlation.as_dict(), "seconds": self.seconds}
        with atomic_path(folder / "summary.json") as tmp:
            tmp.write_text(json.dumps(summary, indent=1, default=float))
        files.append(folder / "summary.json")
        if figures:
            from .. import viz

            t0 = time.perf_counter()
            files += viz.analysis_figures(self, folder, raw=raw, animation=animation,
                                          view_3d=view_3d, dpi=dpi, progress=progress)
            self.seconds["figures"] = time.perf_counter() - t0
        return files


def analyse(axons, fibres, sampling, *, n_points=5, offset=2.0, spacing=0.5, window=1.0,
            min_area=0.0, confidence=0.95, threads=None, progress=False) -> Analysis:
    """Contacts, territory, calibre and their correlation for a traced volume, in one call.

    Parameters
    ----------
    axons, fibres : (Z, Y, X) ndarray of integers
        Traced axon ids and muscle-fibre ids (0 = none), same shape.
    sampling : sequence of 3 float
        Voxel size (z, y, x) in nm.
    n_points, offset, spacing, window
        Where the calibre is measured, see :func:`calibre`.
    min_area : float
        Contacts smaller than this (µm²) are left out of every table, e.g. an axon grazing a
        fibre on its way to another; default 0 keeps every touching pair.
    confidence : float
        Level of the regression's confidence band.
    threads : int, optional
        Worker threads; default all cores.
    progress : bool
        Show progress bars.

    Returns
    -------
    Analysis
        The correlation is of the mean area-equivalent diameter (µm) over the points against
        the contact area (µm²), over every (axon, fibre) pair with a measured calibre, overall
        and per axon and per fibre.
    """
    axons, fibres, sampling = check_volumes(axons, fibres, sampling)
    if isinstance(min_area, bool) or not (isinstance(min_area, (int, float, np.integer,
                                                                np.floating)) and min_area >= 0):
        raise ValueError(f"min_area: expected a number >= 0 (µm²), got {min_area!r}")
    threads = resolve_threads(threads)
    seconds = {}
    t0 = time.perf_counter()
    table = contacts(axons, fibres, sampling, threads=threads)
    table = table.select(table["area_um2"] >= min_area)
    seconds["contacts"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    cal = calibre(axons, sampling, fibres, n_points=n_points, offset=offset, spacing=spacing,
                  window=window, contact_table=table, threads=threads, progress=progress)
    seconds["calibre"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    x, y = cal.pairs["diameter_um"], cal.pairs["contact_area_um2"]
    result = Analysis(
        contacts=table, territory=territory(table), calibre=cal,
        correlation=correlate(x, y, confidence=confidence),
        per_axon=correlate_groups(x, y, cal.pairs["axon"], confidence=confidence, name="axon"),
        per_fibre=correlate_groups(x, y, cal.pairs["fibre"], confidence=confidence,
                                   name="fibre"),
        sampling=sampling, axons=axons, fibres=fibres, seconds=seconds)
    seconds["statistics"] = time.perf_counter() - t0
    return result
