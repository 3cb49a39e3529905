"""Linking: one 1024x1024 section pair with ~500 segments, and a whole 1,000-section phantom.

    python benchmarks/bench_trace.py [--quick] [--repeats N]

Pair: the phantom's axon mask relabelled per section (2D connected components); nmjcore's
pair step (shift estimate, candidates, sparse LAPJV, branch pass) against a plain NumPy/SciPy
linker (``np.unique`` contingency, dense 1 - IoU matrix, ``linear_sum_assignment``). Stack:
the whole ``nmjcore.trace.link`` of a 1,000 x 256 x 256 phantom (256 px keeps the labels at
260 MB; ``--quick``: 200 sections), at 1 and 2 threads, and its quality against the true
ids (with and without the border links). The goal for the pair is < 10 ms.
"""

from __future__ import annotations

import numpy as np
from _harness import Bench, parser
from scipy.optimize import linear_sum_assignment

import nmjcore as nc
from nmjcore.trace import CostWeights, link
from nmjcore.trace.pairs import match_pair
from nmjcore.trace.sections import Segments


def relabel(axons):
    return np.stack([nc.connected_components(s > 0, 4)[0] for s in axons])


def scipy_pair(a, b):
    """The peer: IoU contingency with np.unique, dense cost, scipy's assignment."""
    ia, ca = np.unique(a, return_counts=True)
    ib, cb = np.unique(b, return_counts=True)
    keep = (a > 0) & (b > 0)
    pairs, inter = np.unique(np.stack([a[keep], b[keep]]), axis=1, return_counts=True)
    ra, rb = np.searchsorted(ia, pairs[0]), np.searchsorted(ib, pairs[1])
    cost = np.ones((len(ia), len(ib)))
    cost[ra, rb] = 1.0 - inter / (ca[ra] + cb[rb] - inter)
    rows, cols = linear_sum_assignment(cost[1:, 1:])
    ok = cost[1:, 1:][rows, cols] < 0.8
    return rows[ok], cols[ok]


def main() -> None:
    args = parser(__doc__).parse_args()
    bench = Bench("trace", repeats=args.repeats)

    pair = relabel(nc.synth.phantom((2, 1024, 1024), n_axons=500, seed=1,
                                    jump_probability=0.0).axons)
    seg = [Segments.of(s) for s in pair]
    n = (len(seg[0]) + len(seg[1])) // 2
    options = dict(weights=CostWeights(), cost_limit=0.8, search_radius=None,
                   compensate_shift=True, min_branch_overlap=0.5)
    bench.compare(f"section pair 1024x1024, {n} segments", {
        "nmjcore": lambda: match_pair(pair[0], pair[1], seg[0], seg[1], 0, 1, **options),
        "scipy": lambda: scipy_pair(pair[0], pair[1]),
    })
    bench.measure("section pair 1024x1024 incl. segment features",
                  lambda: link(pair, threads=1), count=2 * n, unit="segments")

    Z = 200 if args.quick else 1000
    ph = nc.synth.phantom((Z, 256, 256), n_axons=40, seed=2)
    stack = relabel(ph.axons)
    total = sum(int(s.max()) for s in stack)
    for threads in (1, 2):
        bench.measure(f"link {Z}x256x256 phantom, {total} segments",
                      lambda: link(stack, threads=threads), count=Z, unit="sections",
                      threads=threads)
    truth_erl = nc.metrics.erl(ph.axons, ph.axons, ph.sampling)
    for label, options in (("", {}), (", no border links", {"max_border_gap": None})):
        trace = link(stack, **options)
        split, merge = nc.metrics.voi(trace.ids, ph.axons)
        quality = {"adapted_rand_error": nc.metrics.adapted_rand_error(trace.ids, ph.axons),
                   "voi_split": split, "voi_merge": merge,
                   "erl_nm": nc.metrics.erl(trace.ids, ph.axons, ph.sampling),
                   "erl_truth_nm": truth_erl,
                   "border_links": int((trace.links["kind"] == "border").sum())}
        print(f"  quality{label}: " + ", ".join(f"{k} {float(v):.4g}"
                                                for k, v in quality.items()))
        bench.rows.append({"case": f"quality {Z}x256x256{label}",
                           "quality": {k: float(v) for k, v in quality.items()}})
    bench.write()


if __name__ == "__main__":
    main()
