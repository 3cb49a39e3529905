"""Analysis: contact areas vs a NumPy reference, calibre of 100 axons, the whole analysis.

    python benchmarks/bench_analysis.py [--quick] [--repeats N]

Rows:
- contact areas of every touching pair on 64 x 512 x 512 label volumes, nmjcore (C++, one
  pass) vs the vectorised NumPy reference (per axis: compare shifted views, encode pairs,
  np.unique with counts), at 1 and 2 threads: a dense over-segmentation (nearest of 3000
  random seeds: every voxel labelled, many pairs) and the phantom's axons with its muscle
  fibres (offset ids, the terminals' contacts);
- calibre of 100 axons of a phantom (240 x 640 x 640, muscle), no peer: rate in pairs/s;
- the whole analysis of a traced 1,000-section phantom (1000 x 256 x 256, 30 axons, 4 fibres;
  ground-truth axons stand in for the tracing): contacts, calibre, statistics, then every
  table and figure (heatmaps, scatter, panels, territory, overlays, GIF, 3D view, PLY/OBJ).
  Goal: under a minute.
"""

from __future__ import annotations

import tempfile
import time

import numpy as np
from _harness import Bench, parser
from scipy import ndimage

import nmjcore as nc
from nmjcore.analysis import analyse, calibre, contacts


def numpy_contact_areas(labels, sampling):
    """Every touching pair's area (µm²) with NumPy: the reference the C++ kernel replaces."""
    labels = labels.astype(np.uint64)
    base = np.uint64(int(labels.max()) + 1)
    sz, sy, sx = sampling
    keys, weights = [], []
    for axis, face in ((0, sy * sx), (1, sz * sx), (2, sz * sy)):
        lo = [slice(None)] * 3
        hi = [slice(None)] * 3
        lo[axis], hi[axis] = slice(0, -1), slice(1, None)
        u, v = labels[tuple(lo)], labels[tuple(hi)]
        touch = (u != v) & (u != 0) & (v != 0)
        a, b = u[touch], v[touch]
        key = np.minimum(a, b) * base + np.maximum(a, b)
        k, n = np.unique(key, return_counts=True)
        keys.append(k)
        weights.append(n * face * 1e-6)
    k, inverse = np.unique(np.concatenate(keys), return_inverse=True)
    area = np.bincount(inverse, weights=np.concatenate(weights))
    return k // base, k % base, area


def dense_labels(shape, n_seeds, seed=0):
    rng = np.random.default_rng(seed)
    seeds = np.zeros(shape, np.uint32)
    where = tuple(rng.integers(0, n, n_seeds) for n in shape)
    seeds[where] = np.arange(1, n_seeds + 1, dtype=np.uint32)
    _, nearest = ndimage.distance_transform_edt(seeds == 0, sampling=(2.5, 1, 1),
                                                return_indices=True)
    return seeds[tuple(nearest)]


def main() -> None:
    args = parser(__doc__).parse_args()
    bench = Bench("analysis", repeats=args.repeats)
    shape = (16, 256, 256) if args.quick else (64, 512, 512)
    sampling = (40.0, 16.0, 16.0)

    ph = nc.synth.phantom(shape, n_axons=40, seed=2, muscle=3)
    offset = np.uint32(ph.axons.max())
    terminals = np.where(ph.muscle != 0, ph.muscle + offset, ph.axons).astype(np.uint32)
    cases = [("dense over-segmentation", dense_labels(shape, 3000)),
             ("phantom axons + fibres", terminals)]
    for name, labels in cases:
        mine = nc.contact_areas(labels, sampling)
        ref = numpy_contact_areas(labels, sampling)
        assert np.array_equal(mine[0], ref[0]) and np.allclose(mine[2], ref[2])
        print(f"{name}: {len(mine[0])} touching pairs", flush=True)
        for threads in (1, 2):
            bench.compare(f"contact areas {name} {'x'.join(map(str, shape))}", {
                "nmjcore": lambda: nc.contact_areas(labels, sampling, threads=threads),
                "numpy": lambda: numpy_contact_areas(labels, sampling),
            }, threads)

    cal_shape = (120, 384, 384) if args.quick else (240, 640, 640)
    ph = nc.synth.phantom(cal_shape, n_axons=100, seed=3, muscle=4)
    table = contacts(ph.axons, ph.muscle, ph.sampling)
    n_axons = len(np.unique(table["axon"]))
    print(f"calibre: {n_axons} axons touching, {len(table)} axon x fibre pairs", flush=True)
    bench.measure(f"calibre {n_axons} axons ({len(table)} pairs)",
                  lambda: calibre(ph.axons, ph.sampling, ph.muscle, contact_table=table),
                  count=len(table), unit="pairs")

    full_shape = (300, 256, 256) if args.quick else (1000, 256, 256)
    ph = nc.synth.phantom(full_shape, n_axons=30, seed=0, muscle=4)
    with tempfile.TemporaryDirectory() as folder:
        def whole():
            t0 = time.perf_counter()
            result = analyse(ph.axons, ph.muscle, ph.sampling, min_area=0.05)
            files = result.write(folder, raw=ph.raw)
            total = time.perf_counter() - t0
            stages = "  ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items())
            print(f"  whole analysis {total:.1f} s ({len(files)} files): {stages}; "
                  f"Pearson {result.correlation.pearson_r:.2f}, Spearman "
                  f"{result.correlation.spearman_rho:.2f}, n = {result.correlation.n}",
                  flush=True)

        bench.repeats = 1
        bench.measure(f"whole analysis {'x'.join(map(str, full_shape))} (all figures)", whole,
                      count=full_shape[0], unit="sections", warmup=False)
    bench.write()


if __name__ == "__main__":
    main()
