"""Linear assignment (LAPJV), dense and sparse."""

from __future__ import annotations

import math

import numpy as np

from .. import _core
from ._validate import as_count, as_float_array, as_index_array, as_real


def lapjv(cost, *, cost_limit=math.inf):
    """Minimum-cost assignment of the rows of a cost matrix to its columns.

    Parameters
    ----------
    cost : (N, M) array_like of float32 or float64
        ``cost[i, j]`` is the cost of assigning row ``i`` to column ``j``; ``inf`` forbids the
        pair. Square or rectangular; integer and bool matrices are taken as float64. NaN and
        ``-inf`` are refused.
    cost_limit : float, default inf
        With ``inf``, every row is assigned if ``N <= M`` (else every column), as
        ``scipy.optimize.linear_sum_assignment`` does, and a matrix whose ``inf`` entries
        leave no such assignment raises ``ValueError``. With a finite limit, rows and columns
        may stay unassigned: the solution is that of
        ``lap.lapjv(cost, extend_cost=True, cost_limit=cost_limit)``, which minimises the
        assigned costs plus ``cost_limit / 2`` for every unassigned row and every unassigned
        column, so a pair is only used where that pays (never above ``cost_limit``).

    Returns
    -------
    row_to_col : (N,) ndarray of int64
        Column of each row, -1 where unassigned.
    col_to_row : (M,) ndarray of int64
        Row of each column, -1 where unassigned.
    total_cost : float
        Sum of the costs of the assigned pairs (float64 arithmetic).

    Notes
    -----
    Jonker & Volgenant's shortest augmenting path algorithm (Computing 38, 1987): column
    reduction and augmenting row reduction assign most rows, then one Dijkstra search per
    free row over reduced costs finishes exactly. Rectangular problems are solved without
    padding, and a cost limit adds one implicit dummy column per row instead of the
    ``(N + M)^2`` matrix ``lap`` builds. O(N^2 M) in the worst case, far less on typical
    inputs. Ties may be broken differently from scipy and lap; the total cost is the same.

    Examples
    --------
    >>> import numpy as np, nmjcore as nc
    >>> cost = np.array([[4.0, 1.0, 3.0], [2.0, 0.0, 5.0], [3.0, 2.0, 2.0]])
    >>> row_to_col, col_to_row, total = nc.lapjv(cost)
    >>> row_to_col, total
    (array([1, 0, 2]), 5.0)
    >>> nc.lapjv(cost, cost_limit=1.5)[0]
    array([-1,  1, -1])
    """
    matrix = as_float_array(cost, "cost", (2,))
    limit = as_real(cost_limit, "cost_limit", allow_inf=True)
    if limit == -math.inf:
        raise ValueError("cost_limit: expected a number above -inf")
    row_to_col, col_to_row, total = _core.lapjv(matrix, limit)
    return row_to_col, col_to_row, float(total)


def lapjv_sparse(n_rows, n_cols, rows, cols, costs, *, cost_limit=math.inf):
    """Minimum-cost assignment over a sparse set of candidate pairs.

    The same problem and answer as :func:`lapjv` on the dense matrix that holds ``costs`` at
    ``(rows, cols)`` and ``inf`` everywhere else, without building that matrix: suited to
    thousands of segments with a handful of candidates each.

    Parameters
    ----------
    n_rows, n_cols : int
        Size of the problem.
    rows, cols : (E,) array_like of int
        The candidate pairs (COO order, any order; a CSR matrix's ``indices`` with its rows
        expanded work as well). A pair listed twice counts with its cheaper cost.
    costs : (E,) array_like of float
        Finite cost of each pair.
    cost_limit : float, default inf
        As in :func:`lapjv`. With ``inf`` and too few pairs to assign every row (or column)
        a ``ValueError`` is raised, so tracking normally passes a finite limit.

    Returns
    -------
    row_to_col, col_to_row, total_cost
        As in :func:`lapjv`.

    Notes
    -----
    Jonker-Volgenant on the listed edges (as LAPMOD): augmenting row reduction over each
    row's edges, then Dijkstra searches with a binary heap over the columns reached, so a
    search costs O(k log k) for the k edges it touches instead of a whole dense row.

    Examples
    --------
    >>> import nmjcore as nc
    >>> r2c, c2r, total = nc.lapjv_sparse(3, 3, [0, 0, 1, 2], [0, 1, 1, 2],
    ...                                    [1.0, 2.0, 1.0, 5.0], cost_limit=4.0)
    >>> r2c, total
    (array([ 0,  1, -1]), 2.0)
    """
    n_rows = as_count(n_rows, "n_rows")
    n_cols = as_count(n_cols, "n_cols")
    rows = as_index_array(rows, "rows")
    cols = as_index_array(cols, "cols")
    weights = as_float_array(costs, "costs", (1,)).astype(np.float64, copy=False)
    if not (rows.size == cols.size == weights.size):
        raise ValueError(f"rows, cols, costs: expected arrays of one length, got {rows.size}, "
                         f"{cols.size}, {weights.size}")
    if not np.isfinite(weights).all():
        raise ValueError("costs: expected finite values (leave forbidden pairs out)")
    if rows.size and (rows.min() < 0 or rows.max() >= n_rows):
        raise ValueError(f"rows: expected indices in [0, {n_rows})")
    if cols.size and (cols.min() < 0 or cols.max() >= n_cols):
        raise ValueError(f"cols: expected indices in [0, {n_cols})")
    limit = as_real(cost_limit, "cost_limit", allow_inf=True)
    if limit == -math.inf:
        raise ValueError("cost_limit: expected a number above -inf")
    row_to_col, col_to_row, total = _core.lapjv_sparse(n_rows, n_cols, rows, cols, weights,
                                                        limit)
    return row_to_col, col_to_row, float(total)
