"""Connected components: nmjcore vs cc3d, scipy.ndimage and OpenCV on phantom data.

    python benchmarks/bench_ccl.py [--quick] [--repeats N]

Rows: a 1024x1024 phantom section (2D, connectivity 4 and 8) and a 64x512x512 phantom volume
(3D, connectivity 6 and 26), each binary (axon mask, bool) and multi-label (axon ids, uint32),
at 1 and 2 threads. Ratios are peer / nmjcore. cc3d and scipy have no threads option and run
single-threaded in every row; so does OpenCV (binary 2D only), as in bench_edt.py: its idle
pool threads spin for a while after each call and would take the cores from whatever is timed
next. Outputs
differ in dtype: nmjcore uint32, cc3d the smallest that fits its provisional labels (uint16
for the section, uint32 for the volume), scipy and OpenCV int32.
"""

from __future__ import annotations

import cc3d
import cv2
import numpy as np
import scipy.ndimage as ndi
from _harness import Bench, parser

import nmjcore as nc

SCIPY_RANK = {4: 1, 8: 2, 6: 1, 26: 3}


def main() -> None:
    args = parser(__doc__).parse_args()
    cv2.setNumThreads(1)
    bench = Bench("ccl", repeats=args.repeats)
    size2, shape3 = ((512, (16, 256, 256)) if args.quick else (1024, (64, 512, 512)))
    section = nc.synth.phantom((1, size2, size2), n_axons=120, seed=1).axons[0]
    volume = nc.synth.phantom(shape3, n_axons=40, seed=2).axons
    cases = [(f"2D {size2}x{size2} section", section, (4, 8)),
             (f"3D {'x'.join(map(str, shape3))} volume", volume, (6, 26))]
    for name, labels, connectivities in cases:
        mask = labels != 0
        mask_u8 = mask.astype(np.uint8)
        for connectivity in connectivities:
            structure = ndi.generate_binary_structure(mask.ndim, SCIPY_RANK[connectivity])
            for threads in (1, 2):
                impls = {
                    "nmjcore": lambda: nc.connected_components(mask, connectivity,
                                                               threads=threads),
                    "cc3d": lambda: cc3d.connected_components(mask, connectivity=connectivity),
                }
                if threads == 1:
                    impls["scipy"] = lambda: ndi.label(mask, structure)
                if mask.ndim == 2:
                    impls["cv2"] = lambda: cv2.connectedComponents(mask_u8, connectivity=connectivity)
                bench.compare(f"CCL binary {name} c={connectivity}", impls, threads)
                bench.compare(f"CCL labels {name} c={connectivity}", {
                    "nmjcore": lambda: nc.connected_components(labels, connectivity,
                                                               threads=threads),
                    "cc3d": lambda: cc3d.connected_components(labels, connectivity=connectivity),
                }, threads)
    bench.self_speedup()
    bench.write()


if __name__ == "__main__":
    main()
