"""Image stacks: one multi-page TIFF file, or a folder of TIFF or PNG sections (one per file).

Sections are the unit of storage here, so a read decodes each section it touches (whole) and
crops it; writes take whole sections. A multi-page TIFF is written as one contiguous,
uncompressed series (readable by ImageJ and ``tifffile.imread``), in z order.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from ._base import Volume, check_sampling, spatial_ndim
from ._index import Selection
from .atomic import commit_path, remove_path, temporary_sibling

TIFF_SUFFIXES = (".tif", ".tiff")
PNG_SUFFIXES = (".png",)
SIDECAR = "volume.json"
_UNITS_NM = {"nm": 1.0, "nanometer": 1.0, "nanometre": 1.0, "micron": 1000.0,
             "um": 1000.0, "\\u00B5m": 1000.0, "µm": 1000.0, "micrometer": 1000.0}


def natural_key(name: str):
    """``s2.png`` before ``s10.png``: digits compare as numbers."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", name)]


def section_files(folder: Path, pattern: str | None = None) -> tuple[list[Path], str]:
    """The section images of ``folder`` in natural order, and their kind ("tiff" or "png")."""
    if pattern:
        files = [p for p in folder.glob(pattern) if p.is_file() and not p.name.startswith(".")]
    else:
        files = [p for p in folder.iterdir()
                 if p.is_file() and not p.name.startswith(".")
                 and p.suffix.lower() in TIFF_SUFFIXES + PNG_SUFFIXES]
    kinds = {"png" if p.suffix.lower() in PNG_SUFFIXES else "tiff" for p in files}
    if not files:
        what = f"matching {pattern!r}" if pattern else "(.tif, .tiff or .png)"
        raise FileNotFoundError(f"path: no section images {what} in folder {str(folder)!r}")
    if len(kinds) > 1:
        raise ValueError(f"path: folder {str(folder)!r} mixes TIFF and PNG sections; select "
                         f"one kind with a pattern such as '{folder}/*.png'")
    files.sort(key=lambda p: natural_key(p.name))
    return files, kinds.pop()


def tiff_sampling(tf, n: int) -> tuple[float, ...] | None:
    """Sampling from tifffile's JSON metadata, or ImageJ's spacing/unit and resolution tags."""
    for meta in tf.shaped_metadata or ():
        for key in ("resolution_nm", "sampling"):
            if key in meta:
                try:
                    return check_sampling(meta[key], n)
                except (TypeError, ValueError):
                    pass
    ij = tf.imagej_metadata or {}
    scale = _UNITS_NM.get(str(ij.get("unit", "")).strip())
    if scale is None or n != 3 or "spacing" not in ij:
        return None
    try:
        tags = tf.pages[0].tags
        yres = tags["YResolution"].value
        xres = tags["XResolution"].value
        y, x = yres[1] / yres[0], xres[1] / xres[0]
        return check_sampling((float(ij["spacing"]) * scale, y * scale, x * scale), 3)
    except (KeyError, ZeroDivisionError, TypeError, ValueError):
        return None


def _crop(section: np.ndarray, sel: Selection) -> np.ndarray:
    return section[sel.slices[1:]]


class TiffVolume(Volume):
    """A multi-page TIFF: page ``z`` is section ``z``."""

    format = "tiff"

    def __init__(self, path: str, *, sampling=None):
        import tifffile

        self._file = tifffile.TiffFile(path)
        try:
            series = self._file.series[0]
            page = series.pages[0]
            if len(series.shape) == len(page.shape) + 1 and len(series.pages) == series.shape[0]:
                self._pages = series.pages
                shape = tuple(series.shape)
            elif tuple(series.shape) == tuple(page.shape):
                self._pages = [page]
                shape = (1, *page.shape)
            else:
                raise ValueError(f"path: {path} has a TIFF layout that is not one section per "
                                 f"page (series shape {series.shape}, axes {series.axes}); "
                                 "read it with tifffile")
            if sampling is None:
                sampling = tiff_sampling(self._file, spatial_ndim(len(shape)))
            super().__init__(shape, series.dtype, sampling=sampling, chunks=(1, *shape[1:]),
                             path=path)
        except BaseException:
            self._file.close()
            raise

    def _read(self, sel: Selection) -> np.ndarray:
        return np.stack([_crop(self._pages[z].asarray(), sel) for z in sel.ranges[0]])

    def _finish(self, commit: bool) -> None:
        self._file.close()


def _read_png(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        if im.mode == "P":
            im = im.convert("RGBA" if "transparency" in im.info else "RGB")
        elif im.mode == "1":
            im = im.convert("L")
        return np.asarray(im)


def _read_tiff(path: Path) -> np.ndarray:
    import tifffile

    return tifffile.imread(path)


class FolderVolume(Volume):
    """A folder of section images, one file per section, in natural file-name order."""

    def __init__(self, folder: str, *, pattern: str | None = None, files=None, kind=None,
                 sampling=None):
        folder_path = Path(folder)
        if files is None:
            files, kind = section_files(folder_path, pattern)
        self._files = list(files)
        self._load = _read_png if kind == "png" else _read_tiff
        self.format = f"{kind}-folder"
        first = self._load(self._files[0])
        if sampling is None:
            sampling = self._stored_sampling(folder_path, kind, spatial_ndim(first.ndim + 1))
        super().__init__((len(self._files), *first.shape), first.dtype, sampling=sampling,
                         chunks=(1, *first.shape), path=str(folder_path))

    def _stored_sampling(self, folder: Path, kind: str, n: int):
        sidecar = folder / SIDECAR
        if sidecar.is_file():
            try:
                return check_sampling(json.loads(sidecar.read_text()).get("resolution_nm"), n)
            except (ValueError, TypeError, AttributeError):
                return None
        if kind == "tiff":
            import tifffile

            with tifffile.TiffFile(self._files[0]) as tf:
                return tiff_sampling(tf, n)
        return None

    def _read(self, sel: Selection) -> np.ndarray:
        out = np.empty(sel.shape, dtype=self.dtype)
        for i, z in enumerate(sel.ranges[0]):
            section = self._load(self._files[z])
            if section.shape != self.shape[1:]:
                raise ValueError(f"path: section {z} ({self._files[z]}) has shape "
                                 f"{section.shape}, the first section has {self.shape[1:]}")
            out[i] = _crop(section, sel)
        return out


# -- writers ------------------------------------------------------------------------------------

def _whole_sections(volume: Volume, sel: Selection) -> range:
    full = all(r.step == 1 and r.start == 0 and r.stop == n
               for r, n in zip(sel.ranges[1:], volume.shape[1:]))
    if not full or sel.ranges[0].step != 1:
        raise ValueError(f"{volume.format} volumes are written in whole sections: use "
                         "vol[z0:z1] = block (step 1), not a partial box")
    return sel.ranges[0]


def _compression_for_images(compression, kind: str):
    if compression in (None, False, "none"):
        return None
    if compression in ("default", True, "zlib", "gzip", "deflate"):
        return "zlib"
    if kind == "tiff" and compression in ("lzw", "zstd", "lzma"):
        return compression
    raise ValueError(f"compression: expected None, 'default' or 'zlib' for {kind} files, "
                     f"got {compression!r}")


class TiffWriter(Volume):
    """A multi-page TIFF written in z order under a temporary name, renamed on commit.

    Sections are appended as they arrive (``vol[z0:z1] = block`` with ``z0`` at or after the
    end of the previous write); skipped and never written sections are zeros.
    """

    format = "tiff"

    def __init__(self, path: str, shape, dtype, *, compression, sampling):
        import tifffile

        if compression not in (None, False, "none", "default"):
            raise ValueError(f"compression: a multi-page TIFF is written uncompressed (one "
                             f"contiguous series); got {compression!r}. Use a TIFF folder, "
                             "HDF5 or zarr for compressed output")
        super().__init__(shape, dtype, sampling=sampling, chunks=(1, *shape[1:]), path=path,
                         writable=True)
        self._final = Path(path)
        self._tmp = temporary_sibling(self._final)
        self._next = 0
        self._writer = tifffile.TiffWriter(self._tmp, bigtiff=self.nbytes > 2**32 - 2**25)

    def _append(self, section: np.ndarray) -> None:
        metadata = None
        if self._next == 0:
            metadata = {} if self.sampling is None else {"resolution_nm": list(self.sampling)}
        self._writer.write(section, contiguous=True, metadata=metadata)
        self._next += 1

    def _write(self, sel: Selection, block: np.ndarray) -> None:
        zs = _whole_sections(self, sel)
        if zs.start < self._next:
            raise ValueError(f"a multi-page TIFF is written in z order: sections up to "
                             f"{self._next - 1} are written, cannot write section {zs.start}")
        zero = np.zeros(self.shape[1:], self.dtype)
        while self._next < zs.start:
            self._append(zero)
        for section in block:
            self._append(np.ascontiguousarray(section))

    def _read(self, sel: Selection) -> np.ndarray:
        raise ValueError(f"{self.path}: a TIFF being written cannot be read before close()")

    def _finish(self, commit: bool) -> None:
        try:
            if commit:
                zero = np.zeros(self.shape[1:], self.dtype)
                while self._next < len(self):
                    self._append(zero)
            self._writer.close()
            if commit:
                commit_path(self._tmp, self._final)
        finally:
            remove_path(self._tmp)


class FolderWriter(Volume):
    """A folder of section files written into a temporary folder, renamed on commit.

    Sections may arrive in any order; sections never written are saved as zeros.
    """

    def __init__(self, folder: str, kind: str, shape, dtype, *, compression, sampling):
        dtype = np.dtype(dtype)
        if kind == "png":
            channels = shape[3] if len(shape) == 4 else None
            if dtype not in (np.dtype(np.uint8), np.dtype(np.uint16)) or channels not in (
                    None, 3, 4) or len(shape) not in (3, 4) or (
                    channels is not None and dtype != np.uint8):
                raise ValueError(f"array: PNG sections hold uint8 or uint16 grey (Z, Y, X) or "
                                 f"uint8 RGB/RGBA (Z, Y, X, 3|4), got {dtype} {tuple(shape)}; "
                                 "use a TIFF folder, HDF5 or zarr")
        self.format = f"{kind}-folder"
        super().__init__(shape, dtype, sampling=sampling, chunks=(1, *shape[1:]), path=folder,
                         writable=True)
        self._kind = kind
        self._compression = _compression_for_images(compression, kind)
        self._final = Path(folder)
        self._tmp = temporary_sibling(self._final)
        self._tmp.mkdir()
        width = max(5, len(str(max(len(self) - 1, 0))))
        suffix = ".png" if kind == "png" else ".tif"
        self._names = [f"section_{z:0{width}d}{suffix}" for z in range(len(self))]
        self._written = np.zeros(len(self), dtype=bool)

    def _save(self, z: int, section: np.ndarray) -> None:
        target = self._tmp / self._names[z]
        if self._kind == "png":
            from PIL import Image

            level = 0 if self._compression is None else 6
            Image.fromarray(np.ascontiguousarray(section)).save(target, compress_level=level)
        else:
            import tifffile

            tifffile.imwrite(target, section, compression=self._compression,
                             metadata=None)
        self._written[z] = True

    def _write(self, sel: Selection, block: np.ndarray) -> None:
        for z, section in zip(_whole_sections(self, sel), block):
            self._save(z, section)

    def _read(self, sel: Selection) -> np.ndarray:
        raise ValueError(f"{self.path}: a folder being written cannot be read before close()")

    def _finish(self, commit: bool) -> None:
        try:
            if commit:
                zero = np.zeros(self.shape[1:], self.dtype)
                for z in np.flatnonzero(~self._written):
                    self._save(int(z), zero)
                if self.sampling is not None:
                    (self._tmp / SIDECAR).write_text(
                        json.dumps({"resolution_nm": list(self.sampling)}) + "\n")
                commit_path(self._tmp, self._final)
        finally:
            remove_path(self._tmp)
