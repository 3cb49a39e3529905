"""The :class:`Volume` interface shared by every backend, and the in-memory backend."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence

import numpy as np

from ._index import Selection, select

# Attribute names read as sampling, in order of preference, with their scale to nanometres.
SAMPLING_ATTRIBUTES: tuple[tuple[str, float], ...] = (
    ("resolution_nm", 1.0),
    ("resolution", 1.0),
    ("sampling", 1.0),
    ("voxel_size", 1.0),
    ("voxel_size_nm", 1.0),
    ("pixel_size_nm", 1.0),
    ("element_size_um", 1000.0),  # ilastik / ImageJ HDF5
)

# Reads of a whole volume through ``blocks`` hold at most about this many bytes at once.
BLOCK_BYTES = 64 * 2**20


class DatasetNotFoundError(KeyError):
    """The file or store exists but the requested dataset (array) is not in it."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def check_sampling(sampling, n: int, name: str = "sampling") -> tuple[float, ...] | None:
    """``None`` or ``n`` finite positive numbers (nm per voxel along z, y, x) as floats."""
    if sampling is None:
        return None
    if isinstance(sampling, (str, bytes)) or np.isscalar(sampling):
        raise TypeError(f"{name}: expected {n} numbers (z, y, x) in nm or None, got {sampling!r}")
    values = np.asarray(sampling).ravel().tolist()
    if len(values) != n:
        raise ValueError(f"{name}: expected {n} values (one per spatial axis), got {values}")
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise TypeError(f"{name}: expected numbers, got {v!r}")
        if not math.isfinite(v) or v <= 0:
            raise ValueError(f"{name}: expected finite positive values, got {values}")
        out.append(float(v))
    return tuple(out)


def sampling_from_attributes(attrs: Sequence[Mapping], n: int) -> tuple[float, ...] | None:
    """The first usable sampling attribute, looking at each mapping in turn (dataset first)."""
    for mapping in attrs:
        for key, scale in SAMPLING_ATTRIBUTES:
            if key not in mapping:
                continue
            try:
                value = check_sampling(np.asarray(mapping[key], dtype=float) * scale, n)
            except (TypeError, ValueError):
                continue
            if value is not None:
                return value
    return None


def spatial_ndim(ndim: int) -> int:
    return min(ndim, 3)


class Volume:
    """A lazily read (and possibly written) array of sections in (z, y, x[, channel]) order.

    Indexing with integers, slices (any step) and ``...`` reads only the requested box and
    returns a NumPy array, exactly as indexing the whole array in memory would. ``len()`` is
    the number of sections; iterating yields sections one at a time. Use as a context manager
    to close the underlying files; a writable volume is committed (renamed to its final name)
    on a clean exit and discarded on an exception.

    Attributes
    ----------
    shape : tuple of int
    dtype : numpy.dtype
    ndim : int
    sampling : tuple of float or None
        Voxel size in nm as (z, y, x), or None when unknown.
    chunks : tuple of int or None
        The storage block; reads aligned to it are cheapest. ``(1, Y, X)`` for image stacks.
    path : str or None
        Where the data lives (None in memory).
    format : str
        ``"array"``, ``"hdf5"``, ``"zarr"``, ``"tiff"``, ``"tiff-folder"`` or ``"png-folder"``.
    writable : bool
    """

    format = "array"

    def __init__(self, shape, dtype, *, sampling=None, chunks=None, path=None,
                 writable: bool = False):
        self.shape = tuple(int(s) for s in shape)
        dtype = np.dtype(dtype)
        # zarr reports dtype('<u4'); the same type, spelled natively, prints as uint32
        self.dtype = dtype.newbyteorder("=") if dtype.isnative else dtype
        self.sampling = check_sampling(sampling, spatial_ndim(len(self.shape)))
        self.chunks = None if chunks is None else tuple(int(c) for c in chunks)
        self.path = None if path is None else str(path)
        self.writable = writable
        self.closed = False

    # -- what backends implement ------------------------------------------------------------
    def _read(self, sel: Selection) -> np.ndarray:
        raise NotImplementedError

    def _write(self, sel: Selection, block: np.ndarray) -> None:
        raise NotImplementedError

    def _finish(self, commit: bool) -> None:
        """Release files; a writable volume renames its data into place when ``commit``."""

    # -- the interface ------------------------------------------------------------------------
    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize

    def __len__(self) -> int:
        return self.shape[0]

    def __iter__(self) -> Iterator[np.ndarray]:
        for z in range(len(self)):
            yield self[z]

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError(f"volume {self.path or '<array>'} is closed")

    def __getitem__(self, key) -> np.ndarray:
        self._check_open()
        sel = select(key, self.shape)
        if 0 in sel.shape:
            return np.empty(sel.result_shape, dtype=self.dtype)
        block = np.asarray(self._read(sel))
        if block.dtype != self.dtype:
            block = block.astype(self.dtype)
        if block.shape != sel.shape:
            raise RuntimeError(f"{self.path}: backend returned shape {block.shape} for a "
                               f"read of shape {sel.shape}")
        return sel.finish(block)

    def __setitem__(self, key, value) -> None:
        self._check_open()
        if not self.writable:
            raise ValueError(f"volume {self.path or '<array>'} is read-only; "
                             "use nmjcore.io.create_volume to write")
        sel = select(key, self.shape)
        try:
            block = sel.prepare(value, self.dtype)
        except ValueError as err:
            raise ValueError(f"value: shape {np.shape(value)} does not fit the selected box "
                             f"of shape {sel.result_shape}") from err
        if block.size:
            self._write(sel, block)

    def read(self) -> np.ndarray:
        """The whole volume in memory (only when asked for)."""
        return self[...]

    def __array__(self, dtype=None, copy=None):
        array = self.read()
        return array if dtype is None else array.astype(dtype, copy=False)

    def block_depth(self, max_bytes: int = BLOCK_BYTES) -> int:
        """Sections per block: a whole number of chunks, at most ``max_bytes`` if possible."""
        section = max(1, math.prod(self.shape[1:]) * self.dtype.itemsize)
        chunk_z = self.chunks[0] if self.chunks else 1
        depth = max(1, max_bytes // section) // chunk_z * chunk_z
        return max(chunk_z, min(depth, max(1, len(self))))

    def blocks(self, depth: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
        """Yield ``(z0, block)`` covering the volume in z order, ``depth`` sections at a time."""
        depth = self.block_depth() if depth is None else int(depth)
        if depth < 1:
            raise ValueError(f"depth: expected a positive int, got {depth}")
        for z0 in range(0, len(self), depth):
            yield z0, self[z0:z0 + depth]

    def close(self) -> None:
        """Close files; a writable volume is committed (appears under its final name)."""
        if not self.closed:
            self.closed = True
            self._finish(commit=True)

    def abort(self) -> None:
        """Close and discard what was written; any previous data at the final name remains."""
        if not self.closed:
            self.closed = True
            self._finish(commit=False)

    def __enter__(self) -> Volume:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None and self.writable:
            self.abort()
        else:
            self.close()

    def __repr__(self) -> str:
        state = "closed " if self.closed else ""
        where = f" {self.path!r}" if self.path else ""
        return (f"<{state}{type(self).__name__}{where} shape={self.shape} dtype={self.dtype} "
                f"sampling={self.sampling}>")


class ArrayVolume(Volume):
    """A NumPy array (or any array-like with shape, dtype and basic slicing) as a Volume.

    Never copies the whole array; reads return copies of the requested box so callers cannot
    change the source by writing into a result.
    """

    format = "array"

    def __init__(self, array, *, sampling=None, writable: bool = False):
        if not hasattr(array, "shape") or not hasattr(array, "dtype"):
            array = np.asarray(array)
        chunks = getattr(array, "chunks", None)
        if not (isinstance(chunks, tuple) and len(chunks) == len(array.shape)
                and all(isinstance(c, (int, np.integer)) for c in chunks)):
            chunks = None  # e.g. dask's tuples of block sizes
        super().__init__(array.shape, array.dtype, sampling=sampling, chunks=chunks,
                         writable=writable)
        self._array = array

    def _read(self, sel: Selection) -> np.ndarray:
        return np.array(self._array[sel.slices], dtype=self.dtype, copy=True)

    def _write(self, sel: Selection, block: np.ndarray) -> None:
        self._array[sel.slices] = block
