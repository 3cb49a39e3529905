"""Seeded watershed: nmjcore vs scikit-image, mahotas, OpenCV and scipy.ndimage.

    python benchmarks/bench_watershed.py [--quick] [--repeats N]

Input: a 1024x1024 section (VNC stack 1 from ../shared/data, else a phantom section): the
foreground (cells) and its distance map give ~500 seeds (nmjcore.find_seeds); the elevation
is the inverted distance in uint8. Rows: the seeds at their own elevation (many markers
share an elevation: nmjcore replays scikit-image's heap until they are out), the same with
marker_order="raster" (pure FIFO), and with the seeds as imposed minima (elevation 0 at the
seeds, as segment_section floods). Then a 64x512x512 phantom volume (uint8 inverted 3D
distance, seeds at the 3D maxima). Peers that cannot run a case are left out of its row:
OpenCV and mahotas are 2D-only here (cv2.watershed takes a BGR uint8 image and int32
markers and draws -1 lines; mahotas.cwatershed runs in 3D but is only timed where it
finishes in reasonable time), scipy.ndimage.watershed_ift needs uint8/uint16 input and
int markers. Ratios are peer / nmjcore (> 1: nmjcore faster).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import scipy.ndimage as ndi
from _harness import Bench, parser
from skimage.segmentation import watershed as sk_watershed

import nmjcore as nc

try:
    import mahotas
except ImportError:  # optional peer
    mahotas = None

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "vnc_stack1.h5"


def section_case(size):
    if DATA.exists() and size == 1024:
        import h5py

        with h5py.File(DATA, "r") as f:
            mask = f["membrane"][0] == 0
    else:
        mask = nc.synth.phantom((1, size, size), n_axons=400, seed=1).axons[0] > 0
    distance = nc.distance_transform(mask)
    cells = nc.connected_components(mask, 4)[0]
    seeds = nc.find_seeds(distance, min_distance=3, threshold=1.0, labels=cells)
    elevation = (255 - np.minimum(distance * 4, 255)).astype(np.uint8)
    return elevation, seeds, mask


def volume_case(shape):
    ph = nc.synth.phantom(shape, n_axons=60, seed=2)
    mask = ph.axons > 0
    distance = nc.distance_transform(mask, ph.sampling) / ph.sampling[1]
    seeds = nc.find_seeds(distance, min_distance=3, threshold=1.0,
                          labels=nc.connected_components(mask, 6)[0])
    elevation = (255 - np.minimum(distance * 4, 255)).astype(np.uint8)
    return elevation, seeds, mask


def peers_2d(elevation, seeds, mask):
    bgr = cv2.cvtColor(elevation, cv2.COLOR_GRAY2BGR)
    impls = {
        "skimage": lambda: sk_watershed(elevation, seeds, mask=mask),
        "scipy_ift": lambda: ndi.watershed_ift(elevation, seeds),
        "cv2": lambda: cv2.watershed(bgr, seeds.copy()),
    }
    if mahotas is not None:
        impls["mahotas"] = lambda: mahotas.cwatershed(elevation, seeds)
    return impls


def main() -> None:
    args = parser(__doc__).parse_args()
    cv2.setNumThreads(1)
    bench = Bench("watershed", repeats=args.repeats)
    size = 512 if args.quick else 1024
    shape3 = (16, 256, 256) if args.quick else (64, 512, 512)

    elevation, seeds, mask = section_case(size)
    imposed = elevation.copy()
    imposed[seeds > 0] = 0
    print(f"2D {size}x{size}: {seeds.max()} seeds")
    for threads in (1, 2):
        for label, elev, order in (("seeds at their elevation", elevation, "skimage"),
                                   ("same, marker_order=raster", elevation, "raster"),
                                   ("seeds as imposed minima", imposed, "skimage")):
            impls = {"nmjcore": lambda e=elev, o=order: nc.watershed(
                e, seeds, mask, marker_order=o, threads=threads)}
            if threads == 1:
                impls.update(peers_2d(elev, seeds, mask))
            bench.compare(f"2D {size}^2 {label}", impls, threads)

    elevation, seeds, mask = volume_case(shape3)
    imposed = elevation.copy()
    imposed[seeds > 0] = 0
    print(f"3D {'x'.join(map(str, shape3))}: {seeds.max()} seeds")
    for threads in (1, 2):
        for label, elev in (("seeds at their elevation", elevation),
                            ("seeds as imposed minima", imposed)):
            impls = {"nmjcore": lambda e=elev: nc.watershed(e, seeds, mask, threads=threads)}
            if threads == 1:
                impls["skimage"] = lambda e=elev: sk_watershed(e, seeds, mask=mask)
                impls["scipy_ift"] = lambda e=elev: ndi.watershed_ift(e, seeds)
            bench.compare(f"3D {'x'.join(map(str, shape3))} {label}", impls, threads)
    bench.write()


if __name__ == "__main__":
    main()
