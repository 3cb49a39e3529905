"""Bilateral filter: nmjcore vs OpenCV on a phantom section.

    python benchmarks/bench_bilateral.py [--quick] [--repeats N]

Rows: a 2048x2048 phantom section as uint8 (raw EM) and as float32 in [0, 1], with
diameters 5 and 9 (sigma_color 50 and 75 levels, sigma_space 50 and 75 pixels, as commonly
used with cv2.bilateralFilter), at 1 and 2 threads (OpenCV with as many). Ratios are
cv2 / nmjcore.
"""

from __future__ import annotations

import cv2
import numpy as np
from _harness import Bench, parser

import nmjcore as nc


def main() -> None:
    args = parser(__doc__).parse_args()
    bench = Bench("bilateral", repeats=args.repeats)
    size = 512 if args.quick else 2048
    raw = nc.synth.phantom((1, size, size), n_axons=300, seed=1).raw[0]
    for kind, image, scale in (("uint8", raw, 1.0), ("float32", (raw / 255).astype(np.float32),
                                                      1 / 255)):
        for diameter, sigma in ((5, 50.0), (9, 75.0)):
            sigma_color = sigma * scale
            for threads in (1, 2):
                cv2.setNumThreads(threads)
                bench.compare(f"bilateral {kind} {size}x{size} d={diameter}", {
                    "nmjcore": lambda: nc.bilateral_filter(image, diameter, sigma_color, sigma,
                                                           threads=threads),
                    "cv2": lambda: cv2.bilateralFilter(image, diameter, sigma_color, sigma),
                }, threads)
    bench.write()


if __name__ == "__main__":
    main()
