"""HDF5 volumes through h5py: one dataset, read and written chunk by chunk."""

from __future__ import annotations

import secrets
from pathlib import Path

import numpy as np

from ._base import DatasetNotFoundError, Volume, sampling_from_attributes, spatial_ndim
from ._index import Selection
from .atomic import commit_path, remove_path, temporary_sibling

SUFFIXES = (".h5", ".hdf5", ".hdf", ".he5")
CONVENTIONAL_NAMES = ("raw", "data", "volume", "main")
DEFAULT_NAME = "data"
# Big enough to keep a row of (1, 1024, 1024) float32 chunks decompressed between reads.
CHUNK_CACHE_BYTES = 64 * 2**20


def _datasets(f) -> list[str]:
    import h5py

    names: list[str] = []
    f.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None)
    # hidden names are unfinished writes (see Hdf5Writer), never chosen automatically
    return [n for n in names if not any(part.startswith(".") for part in n.split("/"))]


def _choose_dataset(f, path: str, dataset: str | None) -> str:
    import h5py

    if dataset:
        name = dataset.strip("/")
        obj = f.get(name)
        if isinstance(obj, h5py.Dataset):
            return name
        found = _datasets(f)
        what = "is a group, not a dataset" if obj is not None else "not found"
        raise DatasetNotFoundError(f"path: dataset {dataset!r} {what} in {path}; "
                                   f"datasets there: {found or 'none'}")
    found = _datasets(f)
    if len(found) == 1:
        return found[0]
    for name in CONVENTIONAL_NAMES:
        if name in found:
            return name
    if not found:
        raise DatasetNotFoundError(f"path: {path} holds no dataset")
    raise DatasetNotFoundError(f"path: {path} holds several datasets {found}; select one as "
                               f"'{path}:/{found[0]}'")


def _attribute_chain(f, name: str) -> list:
    parts = name.split("/")
    chain = [f[name].attrs]
    for i in range(len(parts) - 1, -1, -1):
        chain.append(f["/".join(parts[:i]) or "/"].attrs)
    return chain


class Hdf5Volume(Volume):
    format = "hdf5"

    def __init__(self, file, name: str, *, path: str, sampling=None, writable=False):
        self._file = file
        self._name = name
        self._dataset = file[name]
        if sampling is None:
            sampling = sampling_from_attributes(_attribute_chain(file, name),
                                                spatial_ndim(self._dataset.ndim))
        super().__init__(self._dataset.shape, self._dataset.dtype, sampling=sampling,
                         chunks=self._dataset.chunks, path=path, writable=writable)

    @classmethod
    def open(cls, path: str, dataset: str | None, *, sampling=None) -> Hdf5Volume:
        import h5py

        f = h5py.File(path, "r", rdcc_nbytes=CHUNK_CACHE_BYTES)
        try:
            name = _choose_dataset(f, path, dataset)
            return cls(f, name, path=f"{path}:/{name}", sampling=sampling)
        except BaseException:
            f.close()
            raise

    def _read(self, sel: Selection) -> np.ndarray:
        return self._dataset[sel.slices]

    def _write(self, sel: Selection, block: np.ndarray) -> None:
        self._dataset[sel.slices] = block

    def _finish(self, commit: bool) -> None:
        self._file.close()


def _h5_compression(compression) -> dict:
    if compression in (None, False, "none"):
        return {}
    if compression in ("default", "gzip", "zlib", True):
        return {"compression": "gzip", "compression_opts": 4}
    if compression == "lzf":
        return {"compression": "lzf"}
    if isinstance(compression, tuple) and len(compression) == 2 and compression[0] == "gzip":
        return {"compression": "gzip", "compression_opts": int(compression[1])}
    raise ValueError(f"compression: expected None, 'default', 'gzip', ('gzip', level) or 'lzf' "
                     f"for HDF5, got {compression!r}")


class Hdf5Writer(Hdf5Volume):
    """A new dataset, visible under its final name only after :meth:`close` succeeds.

    A whole new file is written under a temporary name and renamed. A dataset added to an
    existing file (``file.h5:/name``) is written under a temporary name inside that file and
    moved onto ``name`` on commit, leaving the other datasets alone.
    """

    def __init__(self, path: str, dataset: str | None, shape, dtype, *, chunks, compression,
                 sampling):
        import h5py

        options = _h5_compression(compression)
        if 0 in shape:
            chunks, options = None, {}
        final = Path(path)
        self._final = final
        self._in_file = bool(dataset) and final.exists()
        name = (dataset or DEFAULT_NAME).strip("/")
        self._final_name = name
        if self._in_file:
            f = h5py.File(final, "a")
            parent, _, leaf = name.rpartition("/")
            tmp_name = f"{parent + '/' if parent else ''}.{leaf}.{secrets.token_hex(4)}.tmp"
            self._tmp = None
        else:
            self._tmp = temporary_sibling(final)
            f = h5py.File(self._tmp, "w")
            tmp_name = name
        try:
            ds = f.create_dataset(tmp_name, shape=shape, dtype=dtype, chunks=chunks,
                                  fillvalue=np.zeros((), dtype)[()], **options)
            if sampling is not None:
                ds.attrs["resolution_nm"] = np.asarray(sampling, dtype=np.float64)
        except BaseException:
            self._discard(f, tmp_name)
            raise
        super().__init__(f, tmp_name, path=f"{path}:/{name}", sampling=sampling, writable=True)

    def _discard(self, f, tmp_name: str) -> None:
        if self._in_file:
            if tmp_name in f:
                del f[tmp_name]
            f.close()
        else:
            f.close()
            remove_path(self._tmp)

    def _finish(self, commit: bool) -> None:
        if not commit:
            self._discard(self._file, self._name)
            return
        try:
            if self._in_file:
                if self._final_name in self._file:
                    del self._file[self._final_name]
                self._file.move(self._name, self._final_name)
                self._file.close()
            else:
                self._file.close()
                commit_path(self._tmp, self._final)
        except BaseException:
            if self._file.id.valid:
                self._discard(self._file, self._name)
            elif self._tmp is not None:
                remove_path(self._tmp)
            raise
