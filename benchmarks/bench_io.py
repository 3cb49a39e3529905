"""Volume I/O: section-by-section reads and whole-stack writes, per format.

    python benchmarks/bench_io.py [--quick] [--repeats N]

A 1000 x 256 x 256 uint8 stack (300 sections with --quick), built from 256 x 256 crops of the
real ISBI 2012 sections when ../shared/data is present (smoothed noise otherwise), is written
with nmjcore.io.write_volume to HDF5 (gzip 4, one section per chunk), zarr (default codec),
a multi-page TIFF (uncompressed), a TIFF folder (deflate) and a PNG folder, then read back one
section at a time. Writes are timed into an empty place: deleting the previous copy (slow for
thousands of files on some file systems) is left out. Reads are also timed with the format's
own library (h5py, zarr, tifffile, Pillow) doing the same loop, so ratios are library /
nmjcore: the cost of the Volume layer. Files live in a temporary folder (about 0.3 GB at most)
removed at the end; reads hit the page cache.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import h5py
import numpy as np
import tifffile
import zarr
from _harness import Bench, parser
from PIL import Image

from nmjcore.io import open_volume, write_volume
from nmjcore.io.atomic import remove_path

LIBRARY = {"hdf5": "h5py", "zarr": "zarr", "tiff": "tifffile", "tiff-folder": "tifffile",
           "png-folder": "Pillow"}
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "isbi2012.h5"


def em_like_stack(n_sections: int, size: int = 256) -> tuple[np.ndarray, str]:
    rng = np.random.default_rng(0)
    if SHARED.exists():
        with h5py.File(SHARED, "r") as f:
            raw = f["raw"][...]
        out = np.empty((n_sections, size, size), np.uint8)
        for z in range(n_sections):
            y, x = rng.integers(0, raw.shape[1] - size, 2)
            out[z] = raw[z % raw.shape[0], y:y + size, x:x + size]
        return out, "ISBI 2012 crops"
    import scipy.ndimage as ndi

    noise = rng.normal(128, 40, (n_sections, size, size)).astype(np.float32)
    return np.clip(ndi.gaussian_filter(noise, (0, 1.5, 1.5)), 0, 255).astype(np.uint8), \
        "smoothed noise"


def direct_readers(paths: dict[str, str]):
    def h5():
        with h5py.File(paths["hdf5"][0], "r") as f:
            ds = f["data"]
            for z in range(ds.shape[0]):
                ds[z]

    def zr():
        arr = zarr.open_array(paths["zarr"][0], mode="r")
        for z in range(arr.shape[0]):
            arr[z]

    def tif():
        with tifffile.TiffFile(paths["tiff"][0]) as tf:
            for page in tf.pages:
                page.asarray()

    def tif_folder():
        for p in sorted(Path(paths["tiff-folder"][0]).glob("*.tif")):
            tifffile.imread(p)

    def png_folder():
        for p in sorted(Path(paths["png-folder"][0]).glob("*.png")):
            with Image.open(p) as im:
                np.asarray(im)

    return {"hdf5": h5, "zarr": zr, "tiff": tif, "tiff-folder": tif_folder,
            "png-folder": png_folder}


def main() -> None:
    args = parser(__doc__).parse_args()
    bench = Bench("io", repeats=args.repeats)
    n = 300 if args.quick else 1000
    stack, source = em_like_stack(n)
    print(f"stack {stack.shape} uint8 from {source}, {stack.nbytes / 2**20:.0f} MiB", flush=True)
    work = Path(tempfile.mkdtemp(prefix="nmjcore-bench-io-"))
    try:
        paths = {
            "hdf5": (str(work / "stack.h5"), None),
            "zarr": (str(work / "stack.zarr"), None),
            "tiff": (str(work / "stack.tif"), None),
            "tiff-folder": (str(work / "tifs"), "tiff-folder"),
            "png-folder": (str(work / "pngs"), "png-folder"),
        }
        label = f"{n}x256x256 uint8"
        for fmt, (path, kind) in paths.items():
            bench.measure(f"write {fmt} {label}",
                          lambda path=path, kind=kind: write_volume(path, stack, format=kind),
                          n, "sections", warmup=False,
                          setup=lambda path=path: remove_path(path))
        direct = direct_readers(paths)
        for fmt, (path, _) in paths.items():
            def read(path=path):
                with open_volume(path) as vol:
                    for section in vol:
                        pass

            row = bench.compare(f"read {fmt} by section {label}",
                                {"nmjcore": read, LIBRARY[fmt]: direct[fmt]})
            row["rate"] = {"sections/s": n / (row["ms"]["nmjcore"] / 1e3)}
            print(f"{'':<44}       {row['rate']['sections/s']:10.1f} sections/s", flush=True)
        sizes = {fmt: sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())
                 if Path(path).is_dir() else Path(path).stat().st_size
                 for fmt, (path, _) in paths.items()}
        for fmt, size in sizes.items():
            print(f"size on disk {fmt:<12} {size / 2**20:8.1f} MiB", flush=True)
        bench.rows.append({"case": "size on disk (MiB)", "threads": 1,
                           "size_mib": {k: v / 2**20 for k, v in sizes.items()}})
    finally:
        shutil.rmtree(work, ignore_errors=True)
    bench.write()


if __name__ == "__main__":
    main()
