"""Preprocessing: deflicker and bad-section detection on a 100 x 1024 x 1024 stack; memory.

    python benchmarks/bench_preprocess.py [--quick] [--repeats N]

Input: a phantom stack (nmjcore.synth.phantom, 100 x 1024 x 1024 uint8, flicker 0.08, 8 bad
sections; 30 x 512 x 512 with --quick), built once. Rows, at 1 and 2 threads:

- ``detect + deflicker``: ``detect_bad_sections`` then ``deflicker(exclude=report)`` (the goal:
  under 2 s on 2 cores; the lab's earlier deflicker took 20 s for this size), against a plain
  NumPy version of the same job (per-section ``np.percentile``, running median, affine map;
  per-section std and clipped share, correlation of 4x4-reduced neighbours);
- each step alone, and histogram matching against ``skimage.exposure.match_histograms`` of
  every section onto its predecessor (a different reference, the same per-section work);
- mip level 2 down (mean) against ``skimage.measure.block_reduce`` and up (repeat) against
  ``np.kron``;
- detect + deflicker from a gzip HDF5 file to a gzip HDF5 file (I/O and compression
  included, no peer).

Memory: peak traced allocations (tracemalloc: NumPy buffers included, HDF5's own chunk
cache not) of detect + deflicker streaming from an HDF5 file to an HDF5 file, for stacks of
50 and 100 sections (20 and 40 with --quick); it should not grow with the stack beyond the
260 bytes of statistics per section. Ratios are peer / nmjcore (above 1: nmjcore faster).
"""

from __future__ import annotations

import shutil
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
from _harness import Bench, parser
from skimage.exposure import match_histograms
from skimage.measure import block_reduce

from nmjcore.io import create_volume, open_volume
from nmjcore.preprocess import deflicker, detect_bad_sections, downsample, upsample
from nmjcore.synth import phantom


def numpy_detect_and_deflicker(stack: np.ndarray, window: int = 31):
    n = len(stack)
    lo, hi, std, clipped = (np.empty(n) for _ in range(4))
    coarse = []
    for z in range(n):
        section = stack[z]
        lo[z], hi[z] = np.percentile(section, [5, 95])
        std[z] = section.std()
        clipped[z] = np.mean((section == 0) | (section == 255))
        c = block_reduce(section, (4, 4), np.mean)
        coarse.append((c - c.mean()) / (c.std() + 1e-9))
    corr = [float(np.mean(coarse[z] * coarse[z - 1])) for z in range(1, n)]
    half = window // 2
    ref_lo = np.array([np.median(np.r_[lo[max(0, z - half):z], lo[z + 1:z + half + 1]])
                       for z in range(n)])
    ref_hi = np.array([np.median(np.r_[hi[max(0, z - half):z], hi[z + 1:z + half + 1]])
                       for z in range(n)])
    gain = (ref_hi - ref_lo) / np.maximum(hi - lo, 1e-9)
    out = np.empty_like(stack)
    for z in range(n):
        out[z] = np.clip(np.rint(gain[z] * (stack[z] - lo[z]) + ref_lo[z]), 0, 255)
    return out, std, clipped, corr


def skimage_matching(stack: np.ndarray):
    out = np.empty_like(stack)
    out[0] = stack[0]
    for z in range(1, len(stack)):
        out[z] = np.clip(np.rint(match_histograms(stack[z], stack[z - 1])), 0, 255)
    return out


def stack_file(stack: np.ndarray, n_sections: int, work: Path) -> Path:
    """The first ``n_sections`` of ``stack`` (repeated if needed) as gzip HDF5."""
    source = work / f"raw{n_sections}.h5"
    if not source.exists():
        with create_volume(source, (n_sections, *stack.shape[1:]), np.uint8,
                           sampling=(40, 16, 16)) as vol:
            for z in range(n_sections):
                vol[z] = stack[z % len(stack)]
    return source


def file_to_file(source: Path, out: Path, threads: int) -> None:
    with open_volume(source) as vol:
        report = detect_bad_sections(vol, threads=threads)
        deflicker(vol, exclude=report, out=out, threads=threads)


def streaming_peak(stack: np.ndarray, n_sections: int, work: Path, threads: int) -> float:
    """Peak traced MiB of detect + deflicker from an HDF5 file to an HDF5 file."""
    source = stack_file(stack, n_sections, work)
    with open_volume(source) as vol:
        tracemalloc.start()
        try:
            report = detect_bad_sections(vol, threads=threads)
            deflicker(vol, exclude=report, out=work / f"out{n_sections}.h5", threads=threads)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    args = parser(__doc__).parse_args()
    bench = Bench("preprocess", repeats=args.repeats)
    shape = (30, 512, 512) if args.quick else (100, 1024, 1024)
    t0 = time.perf_counter()
    p = phantom(shape, n_axons=120 if not args.quick else 40, seed=1, n_bad=8)
    stack = p.raw
    print(f"phantom {shape} uint8 in {time.perf_counter() - t0:.1f} s, bad sections "
          f"{p.bad_kinds}", flush=True)
    report = detect_bad_sections(stack)
    print(f"found {report.kinds}; all found, no false positive: "
          f"{report.kinds == p.bad_kinds}", flush=True)
    size = "x".join(map(str, shape))
    for threads in (1, 2):
        def both(threads=threads):
            r = detect_bad_sections(stack, threads=threads)
            return deflicker(stack, exclude=r, threads=threads)

        impls = {"nmjcore": both}
        if threads == 1:
            impls["numpy"] = lambda: numpy_detect_and_deflicker(stack)
        row = bench.compare(f"detect + deflicker {size}", impls, threads)
        print(f"{'':<44}       goal < 2000 ms on 2 cores: "
              f"{'met' if row['ms']['nmjcore'] < 2000 else 'NOT met'}", flush=True)
        bench.compare(f"detect_bad_sections {size}",
                      {"nmjcore": lambda threads=threads: detect_bad_sections(
                          stack, threads=threads)}, threads)
        bench.compare(f"deflicker linear {size}",
                      {"nmjcore": lambda threads=threads: deflicker(
                          stack, exclude=report, threads=threads)}, threads)
        impls = {"nmjcore": lambda threads=threads: deflicker(stack, exclude=report,
                                                              method="histogram",
                                                              threads=threads)}
        if threads == 1:
            impls["skimage"] = lambda: skimage_matching(stack)
        bench.compare(f"deflicker histogram {size}", impls, threads)
        down = downsample(stack, 2)
        impls = {"nmjcore": lambda threads=threads: downsample(stack, 2, threads=threads)}
        if threads == 1:
            impls["skimage"] = lambda: block_reduce(stack, (1, 4, 4), np.mean)
        bench.compare(f"downsample mean level 2 {size}", impls, threads)
        impls = {"nmjcore": lambda threads=threads: upsample(down, 2, threads=threads)}
        if threads == 1:
            impls["numpy"] = lambda: np.kron(down, np.ones((1, 4, 4), np.uint8))
        bench.compare(f"upsample repeat level 2 {size}", impls, threads)

    work = Path(tempfile.mkdtemp(prefix="nmjcore-bench-preprocess-"))
    try:
        section_mib = shape[1] * shape[2] / 2**20
        counts = (20, 40) if args.quick else (50, 100)
        source = stack_file(stack, len(stack), work)
        for threads in (1, 2):
            bench.measure(f"detect + deflicker HDF5 gzip -> HDF5 gzip {size}",
                          lambda threads=threads: file_to_file(source, work / "out.h5", threads),
                          len(stack), "sections", threads=threads)
        for threads in (1, 2):
            peaks = {n: streaming_peak(stack, n, work, threads) for n in counts}
            for n, peak in peaks.items():
                print(f"{'streaming detect + deflicker peak':<44} t={threads}  {n:4d} sections "
                      f"{peak:8.1f} MiB = {peak / section_mib:5.1f} sections", flush=True)
            bench.rows.append({"case": "streaming detect + deflicker peak MiB (tracemalloc)",
                               "threads": threads, "section_mib": section_mib,
                               "peak_mib": {str(n): v for n, v in peaks.items()}})
    finally:
        shutil.rmtree(work, ignore_errors=True)
    bench.write()


if __name__ == "__main__":
    main()
