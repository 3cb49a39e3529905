"""Distance transform: nmjcore vs edt, scipy.ndimage and OpenCV on phantom data.

    python benchmarks/bench_edt.py [--quick] [--repeats N]

Rows: a 1024x1024 phantom section (2D) and a 64x512x512 anisotropic phantom volume, each
binary (axon mask) and multi-label (axon ids), at 1 and 2 threads. Ratios are peer / nmjcore.
"""

from __future__ import annotations

import cv2
import edt
import numpy as np
import scipy.ndimage as ndi
from _harness import Bench, parser

import nmjcore as nc


def main() -> None:
    args = parser(__doc__).parse_args()
    cv2.setNumThreads(1)
    bench = Bench("edt", repeats=args.repeats)
    size2, shape3 = ((512, (16, 256, 256)) if args.quick else (1024, (64, 512, 512)))
    section = nc.synth.phantom((1, size2, size2), n_axons=120, seed=1).axons[0]
    volume_ph = nc.synth.phantom(shape3, n_axons=40, seed=2)
    volume, sampling = volume_ph.axons, volume_ph.sampling
    cases = [
        (f"2D {size2}x{size2} section", section, (1.0, 1.0)),
        (f"3D {'x'.join(map(str, shape3))} {tuple(sampling)} nm", volume, tuple(sampling)),
    ]
    for name, labels, spacing in cases:
        binary = (labels != 0).astype(np.uint8)
        for threads in (1, 2):
            impls = {
                "nmjcore": lambda: nc.distance_transform(binary, spacing, threads=threads),
                "edt": lambda: edt.edt(binary, anisotropy=spacing, parallel=threads),
            }
            if threads == 1:
                impls["scipy"] = lambda: ndi.distance_transform_edt(binary, sampling=spacing)
                if binary.ndim == 2 and spacing == (1.0, 1.0):
                    impls["cv2"] = lambda: cv2.distanceTransform(binary, cv2.DIST_L2,
                                                                  cv2.DIST_MASK_PRECISE)
            bench.compare(f"EDT binary {name}", impls, threads)
            bench.compare(f"EDT labels {name}", {
                "nmjcore": lambda: nc.distance_transform(labels, spacing, labels=True,
                                                         threads=threads),
                "edt": lambda: edt.edt(labels, anisotropy=spacing, parallel=threads),
            }, threads)
    bench.self_speedup()
    bench.write()


if __name__ == "__main__":
    main()
