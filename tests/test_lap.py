"""nmjcore.lapjv / lapjv_sparse against scipy.optimize.linear_sum_assignment and lap.lapjv."""

import math

import lap
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.optimize import linear_sum_assignment

import nmjcore as nc

BIG = 1e12  # stands in for inf in references that cannot take it


def check_assignment(cost, row_to_col, col_to_row, total):
    """The outputs are one consistent matching, its pairs allowed, its total summed right."""
    n_rows, n_cols = cost.shape
    assert row_to_col.dtype == np.int64 and row_to_col.shape == (n_rows,)
    assert col_to_row.dtype == np.int64 and col_to_row.shape == (n_cols,)
    rows = np.flatnonzero(row_to_col >= 0)
    np.testing.assert_array_equal(col_to_row[row_to_col[rows]], rows)
    assert np.count_nonzero(col_to_row >= 0) == rows.size
    assert np.isfinite(cost[rows, row_to_col[rows]]).all()
    assert total == pytest.approx(cost[rows, row_to_col[rows]].sum(dtype=np.float64),
                                  rel=1e-12, abs=1e-9)
    return rows


def scipy_optimum(cost):
    rows, cols = linear_sum_assignment(cost)
    return cost[rows, cols].sum(dtype=np.float64), rows.size


def limited_reference(cost, cost_limit):
    """The padded problem lap solves, solved by scipy: returns its objective."""
    n_rows, n_cols = cost.shape
    padded = np.full((n_rows + n_cols,) * 2, cost_limit / 2.0)
    padded[n_rows:, n_cols:] = 0.0
    padded[:n_rows, :n_cols] = np.where(np.isinf(cost), BIG, cost)
    rows, cols = linear_sum_assignment(padded)
    return padded[rows, cols].sum()


def limited_objective(cost, row_to_col, cost_limit):
    """Assigned costs + cost_limit / 2 per unassigned row and column (lap's objective)."""
    rows = np.flatnonzero(row_to_col >= 0)
    unassigned = sum(cost.shape) - 2 * rows.size
    return cost[rows, row_to_col[rows]].sum() + cost_limit / 2.0 * unassigned


SHAPES = [(1, 1), (2, 2), (7, 7), (40, 40), (120, 120), (1, 9), (9, 1), (13, 31), (31, 13),
          (64, 200), (200, 64)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_uniform_matches_scipy(rng, shape, dtype):
    cost = rng.random(shape).astype(dtype)
    row_to_col, col_to_row, total = nc.lapjv(cost)
    rows = check_assignment(cost.astype(np.float64), row_to_col, col_to_row, total)
    want, count = scipy_optimum(cost.astype(np.float64))
    assert rows.size == count == min(shape)
    assert total == pytest.approx(want, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("shape", [(30, 30), (100, 100), (20, 45), (45, 20)])
@pytest.mark.parametrize("levels", [2, 5, 50])
def test_integer_costs_with_ties(rng, shape, levels):
    cost = rng.integers(0, levels, shape).astype(np.float64)
    row_to_col, col_to_row, total = nc.lapjv(cost)
    check_assignment(cost, row_to_col, col_to_row, total)
    assert total == scipy_optimum(cost)[0]


def test_integer_dtype_input_is_taken_as_float(rng):
    cost = rng.integers(0, 10, (12, 12))
    assert nc.lapjv(cost)[2] == scipy_optimum(cost.astype(float))[0]


def test_constant_matrix(rng):
    cost = np.full((50, 50), 3.0)
    row_to_col, col_to_row, total = nc.lapjv(cost)
    check_assignment(cost, row_to_col, col_to_row, total)
    assert total == 150.0


def test_tracking_like_costs(rng):
    """Centroid distances between a point set and its jittered, shuffled copy."""
    points = rng.random((300, 2)) * 100
    moved = (points + rng.normal(0, 2, points.shape))[rng.permutation(300)]
    cost = np.sqrt(((points[:, None] - moved[None]) ** 2).sum(-1))
    row_to_col, col_to_row, total = nc.lapjv(cost)
    check_assignment(cost, row_to_col, col_to_row, total)
    assert total == pytest.approx(scipy_optimum(cost)[0], rel=1e-12)


@pytest.mark.parametrize("shape", [(25, 25), (10, 30), (30, 10), (80, 80)])
@pytest.mark.parametrize("density", [0.9, 0.5, 0.25])
def test_inf_entries_feasible(rng, shape, density):
    cost = rng.random(shape)
    cost[rng.random(shape) > density] = np.inf
    # a guaranteed feasible diagonal
    k = min(shape)
    cost[np.arange(k), rng.permutation(max(shape))[:k] if shape[0] <= shape[1] else 0] = 0.5
    if shape[0] > shape[1]:
        cost[rng.permutation(shape[0])[:k], np.arange(k)] = 0.5
    row_to_col, col_to_row, total = nc.lapjv(cost)
    rows = check_assignment(cost, row_to_col, col_to_row, total)
    assert rows.size == k
    assert total == pytest.approx(scipy_optimum(cost)[0], rel=1e-12)


@pytest.mark.parametrize("cost", [
    np.array([[np.inf, np.inf], [1.0, 2.0]]),            # a row with no allowed column
    np.array([[1.0, np.inf], [2.0, np.inf]]),            # a column with no allowed row
    np.array([[1.0, np.inf, np.inf], [2.0, np.inf, np.inf]]),  # 2 rows, 1 usable column
    np.full((3, 3), np.inf),
], ids=["row", "column", "rectangular", "all"])
def test_infeasible_raises_like_scipy(cost):
    with pytest.raises(ValueError):
        linear_sum_assignment(cost)
    with pytest.raises(ValueError, match="cost: infeasible"):
        nc.lapjv(cost)


def test_random_infeasible_agrees_with_scipy(rng):
    seen = set()
    for _ in range(200):
        shape = tuple(rng.integers(1, 8, 2))
        cost = np.where(rng.random(shape) < 0.35, rng.random(shape), np.inf)
        try:
            want = scipy_optimum(cost)[0]
        except ValueError:
            with pytest.raises(ValueError, match="infeasible"):
                nc.lapjv(cost)
            seen.add("infeasible")
            continue
        assert nc.lapjv(cost)[2] == pytest.approx(want, rel=1e-12)
        seen.add("feasible")
    assert seen == {"feasible", "infeasible"}


@pytest.mark.parametrize("shape", [(0, 0), (0, 5), (5, 0)])
def test_empty(shape):
    row_to_col, col_to_row, total = nc.lapjv(np.zeros(shape))
    assert row_to_col.shape == (shape[0],) and col_to_row.shape == (shape[1],)
    assert (row_to_col == -1).all() and (col_to_row == -1).all() and total == 0.0
    assert nc.lapjv(np.zeros(shape), cost_limit=1.0)[2] == 0.0


def test_one_by_one():
    assert nc.lapjv([[2.5]])[0].tolist() == [0]
    assert nc.lapjv([[2.5]], cost_limit=3.0)[0].tolist() == [0]
    assert nc.lapjv([[2.5]], cost_limit=2.0)[0].tolist() == [-1]
    with pytest.raises(ValueError, match="infeasible"):
        nc.lapjv([[np.inf]])
    assert nc.lapjv([[np.inf]], cost_limit=1.0)[0].tolist() == [-1]


def test_one_by_n_picks_the_minimum(rng):
    cost = rng.random((1, 50))
    row_to_col, col_to_row, total = nc.lapjv(cost)
    assert row_to_col[0] == cost.argmin() and total == cost.min()
    row_to_col, col_to_row, total = nc.lapjv(cost.T)
    assert col_to_row[0] == cost.argmin() and total == cost.min()


@pytest.mark.parametrize("shape", [(1, 1), (6, 6), (40, 40), (150, 150), (10, 25), (25, 10),
                                   (1, 12), (12, 1), (90, 60)])
@pytest.mark.parametrize("cost_limit", [0.05, 0.3, 1.0, 3.0])
def test_cost_limit_matches_lap(rng, shape, cost_limit):
    """Continuous random costs: the optimum is unique, so the assignments agree exactly."""
    cost = rng.random(shape) * 2.0
    total_lap, x_lap, y_lap = lap.lapjv(cost, extend_cost=True, cost_limit=cost_limit)
    row_to_col, col_to_row, total = nc.lapjv(cost, cost_limit=cost_limit)
    check_assignment(cost, row_to_col, col_to_row, total)
    np.testing.assert_array_equal(row_to_col, x_lap)
    np.testing.assert_array_equal(col_to_row, y_lap)
    assert total == pytest.approx(total_lap, rel=1e-12, abs=1e-12)
    assert (cost[row_to_col >= 0, row_to_col[row_to_col >= 0]] <= cost_limit).all()


@pytest.mark.parametrize("shape", [(20, 20), (15, 35), (35, 15)])
def test_cost_limit_integer_ties_same_objective_as_lap(rng, shape):
    cost = rng.integers(0, 6, shape).astype(float)
    for cost_limit in (1.0, 2.5, 4.0):
        total_lap, x_lap, _ = lap.lapjv(cost, extend_cost=True, cost_limit=cost_limit)
        row_to_col, col_to_row, total = nc.lapjv(cost, cost_limit=cost_limit)
        check_assignment(cost, row_to_col, col_to_row, total)
        assert limited_objective(cost, row_to_col, cost_limit) == pytest.approx(
            limited_objective(cost, x_lap, cost_limit))


@pytest.mark.parametrize("shape", [(30, 30), (12, 40), (40, 12)])
def test_cost_limit_with_inf_entries(rng, shape):
    """Forbidden pairs under a cost limit: checked against scipy on lap's padded matrix."""
    cost = rng.random(shape)
    cost[rng.random(shape) < 0.6] = np.inf
    for cost_limit in (0.2, 0.7, 2.0):
        row_to_col, col_to_row, total = nc.lapjv(cost, cost_limit=cost_limit)
        check_assignment(cost, row_to_col, col_to_row, total)
        assert limited_objective(cost, row_to_col, cost_limit) == pytest.approx(
            limited_reference(cost, cost_limit), rel=1e-12)


def test_cost_limit_inf_is_unlimited(rng):
    cost = rng.random((9, 9))
    a, b = nc.lapjv(cost), nc.lapjv(cost, cost_limit=math.inf)
    np.testing.assert_array_equal(a[0], b[0])


def test_views_and_orders(rng):
    base = rng.random((60, 80))
    want = scipy_optimum(base[::2, 1::2])[0]
    assert nc.lapjv(base[::2, 1::2])[2] == pytest.approx(want, rel=1e-12)
    assert nc.lapjv(np.asfortranarray(base))[2] == pytest.approx(scipy_optimum(base)[0])
    big_endian = base.astype(">f8")
    assert nc.lapjv(big_endian)[2] == pytest.approx(scipy_optimum(base)[0])


def test_input_not_modified(rng):
    cost = rng.random((30, 20))
    copy = cost.copy()
    nc.lapjv(cost, cost_limit=0.5)
    np.testing.assert_array_equal(cost, copy)


@pytest.mark.parametrize("bad, error, match", [
    (np.zeros(4), ValueError, "cost: expected a 2D"),
    (np.zeros((2, 2, 2)), ValueError, "cost: expected a 2D"),
    (np.array([[1.0, np.nan]]), ValueError, "cost: expected no NaN"),
    (np.array([[1.0, -np.inf]]), ValueError, "cost: expected no NaN or -inf"),
    (np.zeros((2, 2), np.complex128), TypeError, "cost: expected a float32"),
    ("abc", TypeError, "cost"),
])
def test_bad_cost(bad, error, match):
    with pytest.raises(error, match=match):
        nc.lapjv(bad)


@pytest.mark.parametrize("limit, error", [(math.nan, ValueError), (-math.inf, ValueError),
                                          ("1", TypeError), (None, TypeError)])
def test_bad_cost_limit(limit, error):
    with pytest.raises(error, match="cost_limit"):
        nc.lapjv(np.zeros((2, 2)), cost_limit=limit)


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=9),
                  elements=st.one_of(st.integers(0, 20).map(float),
                                     st.floats(0, 100, allow_nan=False),
                                     st.just(np.inf))),
       st.one_of(st.just(math.inf), st.floats(0.5, 150)))
def test_hypothesis_against_references(cost, cost_limit):
    if math.isinf(cost_limit):
        try:
            want = scipy_optimum(cost)[0]
        except ValueError:
            with pytest.raises(ValueError, match="infeasible"):
                nc.lapjv(cost)
            return
        row_to_col, col_to_row, total = nc.lapjv(cost)
        check_assignment(cost, row_to_col, col_to_row, total)
        assert total == pytest.approx(want, rel=1e-9, abs=1e-9)
    else:
        row_to_col, col_to_row, total = nc.lapjv(cost, cost_limit=cost_limit)
        check_assignment(cost, row_to_col, col_to_row, total)
        assert limited_objective(cost, row_to_col, cost_limit) == pytest.approx(
            limited_reference(cost, cost_limit), rel=1e-9, abs=1e-9)


def random_edges(rng, n_rows, n_cols, per_row, integer=False):
    """A handful of candidate columns per row (duplicates removed), as in tracking."""
    rows = np.repeat(np.arange(n_rows), per_row)
    cols = rng.integers(0, n_cols, rows.size)
    keep = np.unique(rows * n_cols + cols)
    rows, cols = keep // n_cols, keep % n_cols
    costs = rng.integers(0, 5, rows.size).astype(float) if integer else rng.random(rows.size)
    return rows, cols, costs


def dense_of(n_rows, n_cols, rows, cols, costs):
    dense = np.full((n_rows, n_cols), np.inf)
    np.minimum.at(dense, (rows, cols), costs)
    return dense


@pytest.mark.parametrize("n_rows, n_cols", [(1, 1), (30, 30), (200, 200), (50, 120), (120, 50),
                                            (1, 20), (20, 1)])
@pytest.mark.parametrize("per_row", [1, 3, 8])
@pytest.mark.parametrize("cost_limit", [0.3, 1.0, 10.0])
def test_sparse_equals_dense(rng, n_rows, n_cols, per_row, cost_limit):
    rows, cols, costs = random_edges(rng, n_rows, n_cols, per_row)
    dense = dense_of(n_rows, n_cols, rows, cols, costs)
    row_to_col, col_to_row, total = nc.lapjv_sparse(n_rows, n_cols, rows, cols, costs,
                                                    cost_limit=cost_limit)
    check_assignment(dense, row_to_col, col_to_row, total)
    want = nc.lapjv(dense, cost_limit=cost_limit)
    np.testing.assert_array_equal(row_to_col, want[0])  # unique optimum (continuous costs)
    assert total == pytest.approx(want[2], rel=1e-12, abs=1e-12)
    assert limited_objective(dense, row_to_col, cost_limit) == pytest.approx(
        limited_reference(dense, cost_limit), rel=1e-12)


@pytest.mark.parametrize("cost_limit", [2.5, math.inf])
def test_sparse_integer_ties_equal_dense_optimum(rng, cost_limit):
    for n_rows, n_cols in [(40, 40), (30, 60), (60, 30)]:
        rows, cols, costs = random_edges(rng, n_rows, n_cols, 6, integer=True)
        if math.isinf(cost_limit):  # a perfect matching on its own, at a high cost
            k = min(n_rows, n_cols)
            rows = np.concatenate([rows, np.arange(k)])
            cols = np.concatenate([cols, np.arange(k)])
            costs = np.concatenate([costs, np.full(k, 4.0)])
        dense = dense_of(n_rows, n_cols, rows, cols, costs)
        got = nc.lapjv_sparse(n_rows, n_cols, rows, cols, costs, cost_limit=cost_limit)
        check_assignment(dense, *got)
        if math.isinf(cost_limit):
            assert got[2] == scipy_optimum(dense)[0]
        else:
            assert limited_objective(dense, got[0], cost_limit) == pytest.approx(
                limited_reference(dense, cost_limit))


def test_sparse_infeasible_like_dense(rng):
    seen = set()
    for _ in range(150):
        n_rows, n_cols = rng.integers(1, 9, 2)
        rows, cols, costs = random_edges(rng, n_rows, n_cols, 2)
        dense = dense_of(n_rows, n_cols, rows, cols, costs)
        try:
            want = nc.lapjv(dense)
        except ValueError:
            with pytest.raises(ValueError, match="infeasible"):
                nc.lapjv_sparse(n_rows, n_cols, rows, cols, costs)
            seen.add("infeasible")
            continue
        got = nc.lapjv_sparse(n_rows, n_cols, rows, cols, costs)
        assert got[2] == pytest.approx(want[2], rel=1e-12)
        assert got[2] == pytest.approx(scipy_optimum(dense)[0], rel=1e-12)
        seen.add("feasible")
    assert seen == {"feasible", "infeasible"}


def test_sparse_duplicate_edges_use_the_cheaper(rng):
    got = nc.lapjv_sparse(2, 2, [0, 0, 1, 1], [0, 0, 1, 0], [5.0, 1.0, 2.0, 0.5])
    assert got[0].tolist() == [0, 1] and got[2] == 3.0


def test_sparse_no_edges():
    row_to_col, col_to_row, total = nc.lapjv_sparse(3, 4, [], [], [], cost_limit=1.0)
    assert (row_to_col == -1).all() and (col_to_row == -1).all() and total == 0.0
    with pytest.raises(ValueError, match="infeasible"):
        nc.lapjv_sparse(3, 4, [], [], [])
    assert nc.lapjv_sparse(0, 0, [], [], [])[2] == 0.0


def test_sparse_tracking_like(rng):
    """Two jittered point sets, candidates = the 5 nearest points, as linking builds them."""
    n = 1500
    points = rng.random((n, 2)) * 400
    moved = (points + rng.normal(0, 1.5, points.shape))[rng.permutation(n)]
    dist = np.sqrt(((points[:, None] - moved[None]) ** 2).sum(-1))
    cols = np.argsort(dist, axis=1)[:, :5]
    rows = np.repeat(np.arange(n), 5)
    costs = dist[rows, cols.ravel()]
    got = nc.lapjv_sparse(n, n, rows, cols.ravel(), costs, cost_limit=8.0)
    dense = dense_of(n, n, rows, cols.ravel(), costs)
    want = nc.lapjv(dense, cost_limit=8.0)
    np.testing.assert_array_equal(got[0], want[0])
    assert got[2] == pytest.approx(want[2], rel=1e-12)


@pytest.mark.parametrize("args, error, match", [
    ((2, 2, [0, 1], [0], [1.0, 2.0]), ValueError, "rows, cols, costs: expected arrays of one"),
    ((2, 2, [0, 2], [0, 1], [1.0, 2.0]), ValueError, r"rows: expected indices in \[0, 2\)"),
    ((2, 2, [0, 1], [0, -1], [1.0, 2.0]), ValueError, "cols: expected indices"),
    ((2, 2, [0, 1], [0, 1], [1.0, np.inf]), ValueError, "costs: expected finite"),
    ((2, 2, [0, 1], [0, 1], [1.0, np.nan]), ValueError, "costs"),
    ((2, 2, [0.0, 1.0], [0, 1], [1.0, 2.0]), TypeError, "rows: expected an integer"),
    ((-1, 2, [], [], []), ValueError, "n_rows"),
    ((2, 2.0, [], [], []), TypeError, "n_cols"),
    ((2, 2, [[0]], [[0]], [[1.0]]), ValueError, "rows: expected a 1D"),
])
def test_sparse_bad_input(args, error, match):
    with pytest.raises(error, match=match):
        nc.lapjv_sparse(*args)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 8), st.integers(1, 8), st.data(),
       st.one_of(st.just(math.inf), st.floats(0.5, 30)))
def test_hypothesis_sparse_equals_dense(n_rows, n_cols, data, cost_limit):
    n_edges = data.draw(st.integers(0, n_rows * n_cols * 2))
    rows = np.array(data.draw(st.lists(st.integers(0, n_rows - 1), min_size=n_edges,
                                       max_size=n_edges)), dtype=np.int64)
    cols = np.array(data.draw(st.lists(st.integers(0, n_cols - 1), min_size=n_edges,
                                       max_size=n_edges)), dtype=np.int64)
    costs = np.array(data.draw(st.lists(st.integers(0, 10).map(float) | st.floats(0, 20),
                                        min_size=n_edges, max_size=n_edges)), dtype=float)
    dense = dense_of(n_rows, n_cols, rows, cols, costs)
    try:
        want = nc.lapjv(dense, cost_limit=cost_limit)
    except ValueError:
        with pytest.raises(ValueError, match="infeasible"):
            nc.lapjv_sparse(n_rows, n_cols, rows, cols, costs, cost_limit=cost_limit)
        return
    got = nc.lapjv_sparse(n_rows, n_cols, rows, cols, costs, cost_limit=cost_limit)
    check_assignment(dense, *got)
    if math.isinf(cost_limit):
        assert got[2] == pytest.approx(want[2], rel=1e-9, abs=1e-9)
    else:
        assert limited_objective(dense, got[0], cost_limit) == pytest.approx(
            limited_objective(dense, want[0], cost_limit), rel=1e-9, abs=1e-9)
