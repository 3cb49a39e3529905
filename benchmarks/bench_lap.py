"""Linear assignment: nmjcore.lapjv vs lap.lapjv and scipy linear_sum_assignment.

    python benchmarks/bench_lap.py [--quick] [--repeats N]

Dense rows at n = 100, 500, 1000, 2000 on two kinds of square cost matrices:
- uniform: i.i.d. uniform [0, 1) costs;
- tracking: Euclidean distances between n random centroids in a 1000 x 1000 field and a
  jittered (sigma 3), shuffled copy of them, as between neighbouring sections;
plus the tracking matrix with a cost limit (lap pads it to 2n x 2n; scipy is timed on lap's
padded matrix, up to n = 1000) and a rectangular n x 2n case.
Sparse rows: 5,000 segments with their 8 nearest candidates each, lapjv_sparse vs the dense
solver on the same edges (inf elsewhere), lap.lapmod and scipy's
min_weight_full_bipartite_matching. All single-threaded. Ratios are peer / nmjcore.
"""

from __future__ import annotations

import lap
import numpy as np
import scipy.sparse as sparse
from _harness import Bench, parser
from scipy.optimize import linear_sum_assignment
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

import nmjcore as nc


def tracking_points(rng, n, sigma=3.0, field=1000.0):
    points = rng.random((n, 2)) * field
    moved = (points + rng.normal(0, sigma, points.shape))[rng.permutation(n)]
    return points, moved


def distances(points, moved):
    return np.sqrt(((points[:, None, :] - moved[None, :, :]) ** 2).sum(-1))


def padded(cost, cost_limit):
    """lap's (n_rows + n_cols)^2 extension, for scipy."""
    n_rows, n_cols = cost.shape
    out = np.full((n_rows + n_cols,) * 2, cost_limit / 2.0)
    out[n_rows:, n_cols:] = 0.0
    out[:n_rows, :n_cols] = cost
    return out


def same_cost(a, b):
    assert abs(a - b) <= 1e-9 * max(1.0, abs(a)), (a, b)


def dense_rows(bench, rng, sizes):
    for n in sizes:
        uniform = rng.random((n, n))
        points, moved = tracking_points(rng, n)
        track = distances(points, moved)
        for name, cost in (("uniform", uniform), ("tracking", track)):
            same_cost(nc.lapjv(cost)[2], lap.lapjv(cost)[0])
            bench.compare(f"lapjv {name} {n}x{n}", {
                "nmjcore": lambda: nc.lapjv(cost),
                "lap": lambda: lap.lapjv(cost),
                "scipy": lambda: linear_sum_assignment(cost),
            })
        limit = 10.0
        same_cost(nc.lapjv(track, cost_limit=limit)[2],
                  lap.lapjv(track, extend_cost=True, cost_limit=limit)[0])
        impls = {
            "nmjcore": lambda: nc.lapjv(track, cost_limit=limit),
            "lap": lambda: lap.lapjv(track, extend_cost=True, cost_limit=limit),
        }
        if n <= 1000:  # scipy on the padded 4000 x 4000 matrix takes ~20 s a call
            pad = padded(track, limit)
            impls["scipy"] = lambda: linear_sum_assignment(pad)
        bench.compare(f"lapjv tracking {n}x{n} cost_limit={limit:g}", impls)
        wide = rng.random((n, 2 * n))
        same_cost(nc.lapjv(wide)[2], lap.lapjv(wide, extend_cost=True)[0])
        bench.compare(f"lapjv uniform {n}x{2 * n}", {
            "nmjcore": lambda: nc.lapjv(wide),
            "lap": lambda: lap.lapjv(wide, extend_cost=True),
            "scipy": lambda: linear_sum_assignment(wide),
        })


def sparse_rows(bench, rng, n, k=8):
    points, moved = tracking_points(rng, n, sigma=3.0, field=40.0 * np.sqrt(n))
    # k nearest candidates per segment, by sorting one row block at a time
    rows, cols, costs = [], [], []
    for lo in range(0, n, 500):
        block = distances(points[lo:lo + 500], moved)
        nearest = np.argpartition(block, k, axis=1)[:, :k]
        rows.append(np.repeat(np.arange(lo, lo + block.shape[0]), k))
        cols.append(nearest.ravel())
        costs.append(np.take_along_axis(block, nearest, 1).ravel())
    rows, cols, costs = map(np.concatenate, (rows, cols, costs))
    graph = sparse.csr_matrix((costs, (rows, cols)), shape=(n, n))
    dense = np.full((n, n), np.inf)
    dense[rows, cols] = costs
    limit = 12.0
    got = nc.lapjv_sparse(n, n, rows, cols, costs, cost_limit=limit)
    same_cost(got[2], nc.lapjv(dense, cost_limit=limit)[2])
    bench.compare(f"lapjv_sparse {n} segments, {k} candidates, cost_limit={limit:g}", {
        "nmjcore": lambda: nc.lapjv_sparse(n, n, rows, cols, costs, cost_limit=limit),
        "nmjcore_dense": lambda: nc.lapjv(dense, cost_limit=limit),
    })
    try:
        want = nc.lapjv(dense)[2]
    except ValueError:
        print(f"lapjv_sparse {n}: no perfect matching among the candidates, unlimited row skipped")
        return
    same_cost(nc.lapjv_sparse(n, n, rows, cols, costs)[2], want)
    bench.compare(f"lapjv_sparse {n} segments, {k} candidates, no limit", {
        "nmjcore": lambda: nc.lapjv_sparse(n, n, rows, cols, costs),
        "nmjcore_dense": lambda: nc.lapjv(dense),
        "lap.lapmod": lambda: lap.lapmod(n, graph.data, graph.indptr, graph.indices),
        "scipy_sparse": lambda: min_weight_full_bipartite_matching(graph),
    })


def main() -> None:
    args = parser(__doc__).parse_args()
    bench = Bench("lap", repeats=args.repeats)
    rng = np.random.default_rng(0)
    dense_rows(bench, rng, (100, 300) if args.quick else (100, 500, 1000, 2000))
    sparse_rows(bench, rng, 1000 if args.quick else 5000)
    bench.write()


if __name__ == "__main__":
    main()
