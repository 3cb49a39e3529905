"""A small column table: NumPy columns, CSV out, a pandas DataFrame when pandas is there."""

from __future__ import annotations

import csv

import numpy as np

from ..io import atomic_path


class Table:
    """Named NumPy columns of one length, in order.

    ``table["area_um2"]`` is a column; ``len(table)`` the number of rows. :meth:`to_csv`
    writes it (atomically), :meth:`to_pandas` turns it into a ``pandas.DataFrame``.
    """

    def __init__(self, columns: dict):
        self._columns = {name: np.asarray(values) for name, values in columns.items()}
        lengths = {len(v) for v in self._columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"columns: expected one length, got {sorted(lengths)}")

    @property
    def columns(self) -> list[str]:
        return list(self._columns)

    def __getitem__(self, name: str) -> np.ndarray:
        return self._columns[name]

    def __contains__(self, name: str) -> bool:
        return name in self._columns

    def __len__(self) -> int:
        return len(next(iter(self._columns.values()))) if self._columns else 0

    def __repr__(self) -> str:
        return f"Table({len(self)} rows: {', '.join(self._columns)})"

    def rows(self):
        """The rows as tuples, in column order."""
        return zip(*self._columns.values())

    def select(self, keep) -> "Table":
        """The rows where the boolean (or index) array ``keep`` selects."""
        return Table({k: v[keep] for k, v in self._columns.items()})

    def to_dict(self) -> dict:
        return {k: v.copy() for k, v in self._columns.items()}

    def to_csv(self, path, *, float_format: str = "%.6g") -> None:
        """Write a CSV with a header line; NaN as an empty field. Atomic."""
        with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(self._columns)
            kinds = [v.dtype.kind for v in self._columns.values()]
            for row in self.rows():
                writer.writerow(["" if k == "f" and not np.isfinite(x) else
                                 (float_format % x if k == "f" else x)
                                 for k, x in zip(kinds, row)])

    def to_pandas(self):
        """A ``pandas.DataFrame`` of the columns (pandas is optional)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_pandas needs pandas (pip install pandas)") from None
        return pd.DataFrame(self._columns)

    def pivot(self, row: str, column: str, value: str):
        """Matrix of ``value`` with one row per distinct ``row`` id and one column per distinct
        ``column`` id; NaN where a combination does not occur.

        Returns ``(row_ids, column_ids, matrix)``.
        """
        row_ids, r = np.unique(self[row], return_inverse=True)
        col_ids, c = np.unique(self[column], return_inverse=True)
        matrix = np.full((len(row_ids), len(col_ids)), np.nan)
        matrix[r, c] = self[value]
        return row_ids, col_ids, matrix
