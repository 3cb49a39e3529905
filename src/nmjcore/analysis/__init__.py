"""Measurements of traced axons against muscle fibres, and their statistics.

- :func:`contacts`: contact area of every axon with every fibre it touches (µm²);
- :func:`territory`: each axon's share of the contact area, per fibre and overall;
- :func:`calibre`: axon diameters along the last stretch before each fibre (µm);
- :func:`correlate` / :func:`correlate_groups`: Pearson, Spearman, regression and its band;
- :func:`analyse`: all of it in one call, with CSV tables and figures (:meth:`Analysis.write`).

Tables are :class:`Table` objects (NumPy columns, ``to_csv``, ``to_pandas``).
"""

from ._table import Table
from .calibre import Calibre, calibre
from .contacts import Territory, contacts, territory
from .report import Analysis, analyse
from .stats import Correlation, correlate, correlate_groups

__all__ = ["Analysis", "Calibre", "Correlation", "Table", "Territory", "analyse", "calibre",
           "contacts", "correlate", "correlate_groups", "territory"]
