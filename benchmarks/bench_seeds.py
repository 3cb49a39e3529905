"""Seeds: nmjcore.find_seeds vs skimage.feature.peak_local_max (with labels).

    python benchmarks/bench_seeds.py [--quick] [--repeats N]

Input: the distance map of the cells of a 1024x1024 section (VNC stack 1 from ../shared/data,
else a phantom section), cells = 4-connected components; min_distance 3, threshold 1. The
peers' outputs differ in form (peak_local_max: coordinates, one per voxel; find_seeds: a
marker image, one seed per plateau), the peaks are the same (tests/test_seeds.py).
find_seeds runs on one thread (Numba); the row is repeated at 2 threads for the table.
"""

from __future__ import annotations

from bench_watershed import DATA
from _harness import Bench, parser
from skimage.feature import peak_local_max

import nmjcore as nc


def main() -> None:
    args = parser(__doc__).parse_args()
    bench = Bench("seeds", repeats=args.repeats)
    size = 512 if args.quick else 1024
    if DATA.exists() and size == 1024:
        import h5py

        with h5py.File(DATA, "r") as f:
            mask = f["membrane"][0] == 0
    else:
        mask = nc.synth.phantom((1, size, size), n_axons=400, seed=1).axons[0] > 0
    cells = nc.connected_components(mask, 4)[0]
    distance = nc.distance_transform(mask)
    bench.compare(f"seeds {size}x{size} section, {cells.max()} cells", {
        "nmjcore": lambda: nc.find_seeds(distance, min_distance=3, threshold=1.0, labels=cells),
        "skimage": lambda: peak_local_max(distance, min_distance=3, threshold_abs=1.0,
                                          labels=cells, exclude_border=False),
    })
    bench.write()


if __name__ == "__main__":
    main()
