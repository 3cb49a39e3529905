"""Open, create and write volumes: HDF5, zarr, multi-page TIFF, TIFF/PNG folders, NumPy.

Paths select a format by their suffix, and a dataset by what follows it:

=====================================  =============================================
``stack.h5``                           the only dataset, or one named raw/data/volume
``stack.h5:/labels/axons``             that dataset (``stack.h5/labels/axons`` too)
``store.zarr`` / ``store.zarr/raw``    the root array / that array (``store.zarr:raw``)
``stack.tif``                          a multi-page TIFF, one section per page
``sections/`` or ``sections/*.png``    a folder of section images in natural order
=====================================  =============================================
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import _hdf5, _images, _zarr
from ._base import ArrayVolume, Volume, check_sampling, spatial_ndim

__all__ = ["FORMATS", "Location", "create_volume", "open_volume", "resolve_path", "write_volume"]

FORMATS = ("hdf5", "zarr", "tiff", "tiff-folder", "png-folder")
_ALIASES = {"h5": "hdf5", "hdf": "hdf5", "tif": "tiff", "png": "png-folder",
            "tif-folder": "tiff-folder"}
_HDF5_RE = re.compile(r"^(.*?\.(?:h5|hdf5|hdf|he5))(?::(.*)|/(.+))?$", re.IGNORECASE)
_ZARR_RE = re.compile(r"^(.*?\.zarr)(?::(.*)|/(.+))?/?$", re.IGNORECASE)


@dataclass(frozen=True)
class Location:
    """Where a volume lives: ``format``, the file/store/folder ``path``, and the ``dataset``
    inside it (HDF5 dataset or zarr array path) or the file ``pattern`` of a folder."""

    format: str
    path: str
    dataset: str | None = None
    pattern: str | None = None


def _check_format(format: str | None) -> str | None:
    if format is None:
        return None
    name = _ALIASES.get(str(format).lower(), str(format).lower())
    if name not in FORMATS:
        raise ValueError(f"format: expected one of {FORMATS} or None, got {format!r}")
    return name


def resolve_path(path, format: str | None = None, *, for_writing: bool = False) -> Location:
    """Split ``path`` into format, file/store/folder and dataset, following the table above.

    Raises
    ------
    FileNotFoundError
        Reading a path that does not exist.
    ValueError
        An extension that names no known format (and no ``format`` given).
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path: expected a str or path-like, got {type(path).__name__}")
    text = os.fspath(path)
    fmt = _check_format(format)

    m = _HDF5_RE.match(text)
    if m and fmt in (None, "hdf5"):
        file, dataset = m.group(1), m.group(2) or m.group(3)
        if m.group(3) and not Path(file).is_file() and not for_writing:
            m = None
        else:
            return _exists(Location("hdf5", file, dataset or None), for_writing)
    m = _ZARR_RE.match(text)
    if m and fmt in (None, "zarr"):
        return _exists(Location("zarr", m.group(1), (m.group(2) or m.group(3) or "").strip("/")
                                or None), for_writing)

    p = Path(text)
    if fmt in ("hdf5", "zarr"):
        return _exists(Location(fmt, text), for_writing)
    if "*" in p.name or "?" in p.name:
        kind = "png" if p.suffix.lower() in _images.PNG_SUFFIXES else "tiff"
        if fmt not in (None, f"{kind}-folder"):
            raise ValueError(f"path: pattern {p.name!r} does not match format {fmt!r}")
        return _exists(Location(f"{kind}-folder", str(p.parent), pattern=p.name), for_writing)
    suffix = p.suffix.lower()
    if p.is_dir() or fmt in ("tiff-folder", "png-folder"):
        if _zarr.is_zarr_store(p):
            return Location("zarr", text)
        if fmt is None and not for_writing:
            _, kind = _images.section_files(p)
            fmt = f"{kind}-folder"
        if fmt is None:
            raise ValueError(f"path: {text!r} is a folder; pass format='png-folder' or "
                             "'tiff-folder' (or a pattern such as 'folder/*.png')")
        return _exists(Location(fmt, text), for_writing)
    if suffix in _images.TIFF_SUFFIXES and fmt in (None, "tiff"):
        return _exists(Location("tiff", text), for_writing)
    if suffix in _images.PNG_SUFFIXES and not for_writing:
        return _exists(Location("png-folder", str(p.parent), pattern=p.name), for_writing)
    if fmt == "tiff":
        return _exists(Location("tiff", text), for_writing)
    if not for_writing and not p.exists():
        raise FileNotFoundError(f"path: {text!r} does not exist")
    raise ValueError(f"path: cannot tell the format of {text!r} from its extension "
                     f"{suffix or '(none)'}; expected .h5/.hdf5, .zarr, .tif/.tiff, a folder "
                     f"of .tif/.png sections, or pass format= one of {FORMATS}")


def _exists(loc: Location, for_writing: bool) -> Location:
    if not for_writing and not Path(loc.path).exists():
        raise FileNotFoundError(f"path: {loc.path!r} does not exist")
    if for_writing and not Path(loc.path).parent.is_dir():
        raise FileNotFoundError(f"path: folder {str(Path(loc.path).parent)!r} does not exist")
    return loc


def open_volume(path_or_array, *, sampling=None, format: str | None = None) -> Volume:
    """Open a volume for lazy, read-only access.

    Parameters
    ----------
    path_or_array : str, path-like, Volume, or array-like
        A path as in the module table (``stack.h5:/raw``, ``store.zarr/labels``, ``stack.tif``,
        ``sections/*.png``), or an array (NumPy, h5py dataset, zarr array) to wrap without
        copying. A Volume is returned as is (with ``sampling`` replaced if given).
    sampling : sequence of 3 float, optional
        Voxel size in nm as (z, y, x); overrides what the file says. Otherwise read from the
        attributes ``resolution_nm`` (also ``resolution``, ``sampling``, ``voxel_size``,
        ``element_size_um``) of the dataset or its parents, the TIFF's metadata, or a folder's
        ``volume.json``; None when none is found.
    format : str, optional
        Force a format: one of ``"hdf5"``, ``"zarr"``, ``"tiff"``, ``"tiff-folder"``,
        ``"png-folder"``.

    Returns
    -------
    volume : Volume
        Indexing returns NumPy arrays; use ``with open_volume(...) as vol:`` to close files.

    Examples
    --------
    >>> import numpy as np
    >>> vol = open_volume(np.arange(24, dtype=np.uint8).reshape(2, 3, 4), sampling=(40, 4, 4))
    >>> vol.shape, vol.dtype, len(vol), vol.sampling
    ((2, 3, 4), dtype('uint8'), 2, (40.0, 4.0, 4.0))
    >>> vol[1, ::2, -1]
    array([15, 23], dtype=uint8)
    """
    if isinstance(path_or_array, Volume):
        if sampling is not None:
            path_or_array.sampling = check_sampling(sampling, spatial_ndim(path_or_array.ndim))
        return path_or_array
    if not isinstance(path_or_array, (str, os.PathLike)):
        array = path_or_array
        if not (hasattr(array, "shape") and hasattr(array, "dtype")
                and hasattr(array, "__getitem__")):
            if isinstance(array, (list, tuple)):
                array = np.asarray(array)
            else:
                raise TypeError(f"path_or_array: expected a path or an array, got "
                                f"{type(array).__name__}")
        if sampling is None and hasattr(array, "attrs"):
            from ._base import sampling_from_attributes

            sampling = sampling_from_attributes([array.attrs], spatial_ndim(len(array.shape)))
        return ArrayVolume(array, sampling=sampling)
    loc = resolve_path(path_or_array, format)
    if loc.format == "hdf5":
        return _hdf5.Hdf5Volume.open(loc.path, loc.dataset, sampling=sampling)
    if loc.format == "zarr":
        return _zarr.ZarrVolume.open(loc.path, loc.dataset, sampling=sampling)
    if loc.format == "tiff":
        return _images.TiffVolume(loc.path, sampling=sampling)
    return _images.FolderVolume(loc.path, pattern=loc.pattern, sampling=sampling)


def default_chunks(shape, format: str) -> tuple[int, ...]:
    """One section deep, at most 1024 x 1024 in y and x, whole along a channel axis."""
    if format not in ("hdf5", "zarr"):
        return (1, *shape[1:])
    chunks = [1] + [min(max(n, 1), 1024) for n in shape[1:3]] + [max(n, 1) for n in shape[3:]]
    return tuple(chunks[:len(shape)])


def _check_chunks(chunks, shape) -> tuple[int, ...]:
    try:
        values = tuple(int(c) for c in chunks)
    except TypeError:
        raise TypeError(f"chunks: expected a tuple of {len(shape)} ints, got {chunks!r}") from None
    if len(values) != len(shape) or any(c < 1 for c in values):
        raise ValueError(f"chunks: expected {len(shape)} positive ints, got {chunks!r}")
    return tuple(min(c, max(n, 1)) for c, n in zip(values, shape))


def _check_target(loc: Location, overwrite: bool) -> None:
    p = Path(loc.path)
    in_container = loc.dataset and loc.format in ("hdf5", "zarr") and p.exists()
    if not (p.exists() or p.is_symlink()) or in_container:
        if loc.format == "hdf5" and in_container and not p.is_file():
            raise ValueError(f"path: {loc.path!r} is not an HDF5 file")
        return
    if not overwrite:
        raise FileExistsError(f"path: {loc.path!r} exists; pass overwrite=True to replace it")
    if loc.format in ("hdf5", "tiff") and p.is_dir():
        raise IsADirectoryError(f"path: {loc.path!r} is a folder, will not replace it by a file")
    if loc.format == "zarr" and p.is_dir() and not _zarr.is_zarr_store(p):
        raise ValueError(f"path: {loc.path!r} is a folder but not a zarr store; "
                         "will not replace it")
    if loc.format.endswith("-folder"):
        if not p.is_dir():
            raise ValueError(f"path: {loc.path!r} exists and is not a folder")
        suffixes = _images.PNG_SUFFIXES if loc.format == "png-folder" else _images.TIFF_SUFFIXES
        foreign = [c.name for c in p.iterdir()
                   if c.name != _images.SIDECAR and c.suffix.lower() not in suffixes]
        if foreign:
            raise ValueError(f"path: folder {loc.path!r} holds files other than sections "
                             f"({', '.join(sorted(foreign)[:5])}); will not replace it")


def create_volume(path, shape, dtype, *, chunks=None, sampling=None, compression="default",
                  format: str | None = None, overwrite: bool = True) -> Volume:
    """A new, writable volume that appears under ``path`` only when closed successfully.

    Parameters
    ----------
    path : str, path-like or None
        Where to write, as in the module table; a new folder of sections needs a pattern
        (``out/*.png``) or ``format``. None gives an in-memory volume (zeros).
    shape : tuple of int
        (Z, Y, X), or (Z, Y, X, C) for colour sections.
    dtype : dtype
    chunks : tuple of int, optional
        Storage chunks for HDF5 and zarr; default one section deep, at most 1024 x 1024.
    sampling : sequence of 3 float, optional
        Voxel size in nm, stored as the attribute ``resolution_nm`` (z, y, x) (TIFF: JSON
        metadata; folders: ``volume.json``).
    compression : str or None
        ``"default"`` (gzip level 4 for HDF5, the zarr library's default codec, deflate for TIFF
        and PNG folders, none for a multi-page TIFF), ``"gzip"``, other format-specific names,
        or None for none.
    format : str, optional
        As in :func:`open_volume`.
    overwrite : bool
        Replace an existing volume at ``path`` on commit (default). False raises
        ``FileExistsError`` at once instead.

    Returns
    -------
    volume : Volume
        Write with ``vol[z0:z1] = block``. Use it in a ``with`` block: a clean exit commits
        (renames into place); an exception removes what was written and leaves any previous
        data at ``path`` untouched. Unwritten voxels are 0. Multi-page TIFFs are written in z
        order; TIFF and PNG folders in whole sections.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> out = os.path.join(tempfile.mkdtemp(), "probs.h5")
    >>> with create_volume(out, (4, 8, 8), np.uint8, sampling=(40, 4, 4)) as vol:
    ...     for z in range(4):
    ...         vol[z] = z
    >>> with open_volume(out) as vol:
    ...     int(vol[3].max()), vol.sampling
    (3, (40.0, 4.0, 4.0))
    """
    try:
        shape = tuple(int(s) for s in shape)
    except TypeError:
        raise TypeError(f"shape: expected a tuple of ints, got {shape!r}") from None
    if len(shape) not in (3, 4) or any(s < 0 for s in shape):
        raise ValueError(f"shape: expected (Z, Y, X) or (Z, Y, X, C) non-negative, got {shape}")
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype: not a NumPy dtype: {dtype!r}") from None
    sampling = check_sampling(sampling, spatial_ndim(len(shape)))
    if path is None:
        return ArrayVolume(np.zeros(shape, dtype), sampling=sampling, writable=True)
    loc = resolve_path(path, format, for_writing=True)
    chunks = default_chunks(shape, loc.format) if chunks is None else _check_chunks(chunks, shape)
    _check_target(loc, overwrite)
    if loc.format == "hdf5":
        return _hdf5.Hdf5Writer(loc.path, loc.dataset, shape, dtype, chunks=chunks,
                                compression=compression, sampling=sampling)
    if loc.format == "zarr":
        return _zarr.ZarrWriter(loc.path, loc.dataset, shape, dtype, chunks=chunks,
                                compression=compression, sampling=sampling)
    if loc.format == "tiff":
        return _images.TiffWriter(loc.path, shape, dtype, compression=compression,
                                  sampling=sampling)
    kind = "png" if loc.format == "png-folder" else "tiff"
    return _images.FolderWriter(loc.path, kind, shape, dtype, compression=compression,
                                sampling=sampling)


def write_volume(path, array, *, chunks=None, sampling=None, compression="default",
                 format: str | None = None, overwrite: bool = True) -> Volume:
    """Write ``array`` to ``path`` block by block, atomically; returns the closed volume.

    Parameters
    ----------
    path : str or path-like
        As in :func:`create_volume`.
    array : ndarray, Volume, or array-like with ``shape``, ``dtype`` and slicing
        Copied a few sections at a time (about 64 MiB, whole chunks), so a lazy source is
        never loaded whole.
    chunks, compression, format, overwrite
        As in :func:`create_volume`.
    sampling : sequence of 3 float, optional
        Voxel size in nm; by default that of ``array`` when it is a Volume.

    Returns
    -------
    volume : Volume
        The written volume, closed; reopen it with :func:`open_volume`.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> out = os.path.join(tempfile.mkdtemp(), "labels.zarr")
    >>> _ = write_volume(out, np.ones((3, 4, 5), np.uint32), sampling=(40, 4, 4))
    >>> with open_volume(out) as vol:
    ...     vol.shape, vol.dtype, int(vol[...].sum())
    ((3, 4, 5), dtype('uint32'), 60)
    """
    if isinstance(array, (str, os.PathLike)):
        raise TypeError("array: expected an array or a Volume, got a path; "
                        "open it with open_volume first")
    source = array if isinstance(array, Volume) else open_volume(array)
    if sampling is None:
        sampling = source.sampling
    out = create_volume(path, source.shape, source.dtype, chunks=chunks, sampling=sampling,
                        compression=compression, format=format, overwrite=overwrite)
    with out:
        depth = source.block_depth()
        if out.chunks and out.chunks[0] > 1:
            depth = max(out.chunks[0], depth // out.chunks[0] * out.chunks[0])
        for z0, block in source.blocks(depth):
            out[z0:z0 + len(block)] = block
    return out
