"""segment_section per section: time (1 thread) and split/merge counts on ground-truth masks.

    python benchmarks/bench_segment.py [--quick] [--repeats N]

Rows: a 1024x1024 phantom section and a VNC stack 1 section (../shared/data), the
ground-truth mask as input (cells = 4-connected components of membrane == 0), timed with one
thread; the same pipeline written with scikit-image/scipy (EDT, peak_local_max, watershed)
as the peer. Then segment_stack over the ISBI 2012 and VNC stacks at 1 and 2 threads, and the
split/merge counts of segment_section against the true segments of every section.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.ndimage as ndi
from _harness import Bench, parser
from skimage.feature import peak_local_max
from skimage.segmentation import watershed as sk_watershed

import nmjcore as nc
from nmjcore.segment import segment_section, segment_stack

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def reference_pipeline(mask):
    cells, _ = ndi.label(mask)
    distance = ndi.distance_transform_edt(mask)
    peaks = peak_local_max(distance, min_distance=3, threshold_abs=1.0, labels=cells,
                           exclude_border=False)
    markers = np.zeros(mask.shape, np.int32)
    markers[tuple(peaks.T)] = np.arange(1, len(peaks) + 1)
    return sk_watershed(-distance, markers, mask=mask)


def ground_truth(quick):
    ph = nc.synth.phantom((4 if quick else 16, 1024, 1024), n_axons=150, seed=3)
    stacks = {"phantom": (ph.axons > 0, ph.axons)}
    for name in ("isbi2012.h5", "vnc_stack1.h5"):
        if (DATA / name).exists():
            import h5py

            with h5py.File(DATA / name, "r") as f:
                masks = f["membrane"][: 4 if quick else None] == 0
            truth = np.stack([nc.connected_components(m, 4)[0] for m in masks])
            stacks[name.split(".")[0]] = (masks, truth)
    return stacks


def main() -> None:
    args = parser(__doc__).parse_args()
    bench = Bench("segment", repeats=args.repeats)
    stacks = ground_truth(args.quick)
    for name, (masks, _) in stacks.items():
        if masks.shape[1] == 1024:
            section = masks[0]
            bench.compare(f"segment_section {name} 1024x1024 (GT mask)", {
                "nmjcore": lambda s=section: segment_section(s, threads=1),
                "skimage_pipeline": lambda s=section: reference_pipeline(s),
            })
    for name, (masks, _) in stacks.items():
        for threads in (1, 2):
            bench.measure(f"segment_stack {name} {masks.shape}", lambda m=masks, t=threads:
                          segment_stack(m, threads=t, progress=False), count=len(masks),
                          unit="sections", threads=threads)
    for name, (masks, truth) in stacks.items():
        labels = segment_stack(masks, progress=False)
        totals = np.zeros(4, np.int64)
        for z in range(len(masks)):
            ids, splits, merges = nc.metrics.split_merge_counts(labels[z], truth[z],
                                                                  min_fraction=1e-9)
            found = len(np.unique(labels[z][labels[z] != 0]))
            totals += np.array([splits.sum(), merges.sum(), len(ids), found])
        splits, merges, n_true, n_found = totals.tolist()
        print(f"{name}: {len(masks)} sections, {n_true} true segments, {n_found} found, "
              f"splits {splits} ({splits / n_true:.3f} per true segment), merges {merges} "
              f"({merges / n_true:.3f})")
        bench.rows.append({"case": f"split/merge {name}", "sections": len(masks),
                           "true": n_true, "found": n_found, "splits": splits,
                           "merges": merges})
    bench.write()


if __name__ == "__main__":
    main()
