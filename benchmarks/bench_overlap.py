"""Overlap table: nmjcore.overlap_table vs NumPy (np.unique over pair keys) and skimage.

    python benchmarks/bench_overlap.py [--quick] [--repeats N]

Rows: two neighbouring 1024x1024 phantom sections (the linking case), and a 64x512x512
phantom volume against the same volume with each section relabelled on its own (the metrics
case), at 1 and 2 threads. The NumPy peer packs each pair into one uint64 key and counts
with np.unique; skimage.metrics.contingency_table builds a scipy sparse matrix (1 thread).
Ratios are peer / nmjcore.
"""

from __future__ import annotations

import numpy as np
from _harness import Bench, parser
from skimage.metrics import contingency_table

import nmjcore as nc


def numpy_overlap(a, b):
    """Counts per (a, b) pair with one np.unique over packed keys (ids must fit 32 bits)."""
    keys = (a.astype(np.uint64) << np.uint64(32)) | b.astype(np.uint64)
    uniq, counts = np.unique(keys.ravel(), return_counts=True)
    return uniq >> np.uint64(32), uniq & np.uint64(0xFFFFFFFF), counts


def check(a, b):
    got = nc.overlap_table(a, b)
    want = numpy_overlap(a, b)
    for x, y in zip(got, want):
        np.testing.assert_array_equal(x.astype(np.uint64), y.astype(np.uint64))


def relabel_sections(volume):
    out = np.zeros(volume.shape, np.uint32)
    for z in range(volume.shape[0]):
        ids, inverse = np.unique(volume[z], return_inverse=True)
        out[z] = (inverse.reshape(volume[z].shape) + 1000 * z).astype(np.uint32)
        out[z][volume[z] == 0] = 0
    return out


def main() -> None:
    args = parser(__doc__).parse_args()
    bench = Bench("overlap", repeats=args.repeats)
    size2, shape3 = ((512, (16, 256, 256)) if args.quick else (1024, (64, 512, 512)))
    pair = nc.synth.phantom((2, size2, size2), n_axons=300, seed=1).axons
    volume = nc.synth.phantom(shape3, n_axons=60, seed=2).axons
    cases = [
        (f"2D sections {size2}x{size2}", pair[0], pair[1]),
        (f"3D {'x'.join(map(str, shape3))} vs per-section ids", volume, relabel_sections(volume)),
    ]
    for name, a, b in cases:
        check(a, b)
        for threads in (1, 2):
            impls = {"nmjcore": lambda: nc.overlap_table(a, b, threads=threads)}
            if threads == 1:
                impls["numpy"] = lambda: numpy_overlap(a, b)
                impls["skimage"] = lambda: contingency_table(a, b)
            bench.compare(f"overlap {name}", impls, threads)
    bench.write()


if __name__ == "__main__":
    main()
