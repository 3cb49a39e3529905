"""Morphology: nmjcore vs scipy.ndimage and OpenCV on phantom data.

    python benchmarks/bench_morphology.py [--quick] [--repeats N]

Rows: erosion and dilation of a 2048x2048 phantom section, binary (axon mask) and uint8
(raw EM), with a 3x3 box, a 15x15 box and a disk of radius 7; and of a 64x512x512 phantom
volume with a 3x3x3 box, a 15x15x15 box and a ball of radius 7. Peers run with the border
each uses to match nmjcore's default: scipy binary_* (border 0) / grey_* (reflect); OpenCV
BORDER_CONSTANT 0 / BORDER_REFLECT, 2D only. scipy is single-threaded and runs at t=1 only;
OpenCV runs with as many threads as nmjcore. Ratios are peer / nmjcore.
"""

from __future__ import annotations

import cv2
import numpy as np
import scipy.ndimage as ndi
from _harness import Bench, parser

import nmjcore as nc
from nmjcore import footprint as fp


def scipy_op(image, footprint, dilate):
    if image.dtype == bool:
        return (ndi.binary_dilation if dilate else ndi.binary_erosion)(image, footprint)
    if footprint.all():
        return (ndi.grey_dilation if dilate else ndi.grey_erosion)(image, size=footprint.shape)
    return (ndi.grey_dilation if dilate else ndi.grey_erosion)(image, footprint=footprint)


def cv2_op(image, footprint, dilate):
    kernel = footprint.astype(np.uint8)
    if image.dtype == bool:
        src = image.view(np.uint8)
        fn = cv2.dilate if dilate else cv2.erode
        return fn(src, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0).view(bool)
    return (cv2.dilate if dilate else cv2.erode)(image, kernel, borderType=cv2.BORDER_REFLECT)


def main() -> None:
    args = parser(__doc__).parse_args()
    bench = Bench("morphology", repeats=args.repeats)
    size2, shape3 = ((512, (16, 128, 128)) if args.quick else (2048, (64, 512, 512)))
    section = nc.synth.phantom((1, size2, size2), n_axons=300, seed=1)
    volume = nc.synth.phantom(shape3, n_axons=40, seed=2)
    images = [
        (f"2D {size2}x{size2}", section.axons[0] != 0, section.raw[0],
         [("box 3x3", fp.box(3)), ("box 15x15", fp.box(15)), ("disk r=7", fp.disk(7))]),
        (f"3D {'x'.join(map(str, shape3))}", volume.axons != 0, volume.raw,
         [("box 3x3x3", fp.box(3, 3)), ("box 15x15x15", fp.box(15, 3)),
          ("ball r=7", fp.ball(7))]),
    ]
    for name, binary, grey, footprints in images:
        for kind, image in (("binary", binary), ("uint8", grey)):
            for fp_name, footprint in footprints:
                for dilate in (False, True):
                    op = "dilate" if dilate else "erode"
                    for threads in (1, 2):
                        cv2.setNumThreads(threads)
                        fn = nc.dilate if dilate else nc.erode
                        impls = {"nmjcore": lambda: fn(image, footprint, threads=threads)}
                        if threads == 1:
                            impls["scipy"] = lambda: scipy_op(image, footprint, dilate)
                        if image.ndim == 2:
                            impls["cv2"] = lambda: cv2_op(image, footprint, dilate)
                        bench.compare(f"{op} {kind} {name} {fp_name}", impls, threads)
    bench.write()


if __name__ == "__main__":
    main()
