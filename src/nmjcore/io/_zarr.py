"""zarr volumes (local directory stores, zarr format 2 or 3), read and written chunk by chunk."""

from __future__ import annotations

import secrets
from pathlib import Path

import numpy as np

from ._base import DatasetNotFoundError, Volume, sampling_from_attributes, spatial_ndim
from ._index import Selection
from .atomic import commit_path, remove_path, temporary_sibling

SUFFIXES = (".zarr",)
CONVENTIONAL_NAMES = ("raw", "data", "volume", "main", "0")
DEFAULT_NAME = None  # a plain store.zarr is written as a single array at the root


def _zarr():
    import zarr

    return zarr


def _major() -> int:
    return int(_zarr().__version__.split(".")[0])


def is_zarr_store(path: Path) -> bool:
    return path.is_dir() and any((path / m).exists() for m in ("zarr.json", ".zarray", ".zgroup"))


def _arrays(group, prefix: str = "") -> list[str]:
    # hidden names are unfinished writes (see ZarrWriter), never chosen automatically
    names = []
    for name, _ in group.arrays():
        if not name.startswith("."):
            names.append(prefix + name)
    for name, sub in group.groups():
        if not name.startswith("."):
            names.extend(_arrays(sub, f"{prefix}{name}/"))
    return names


def _choose_array(root, path: str, dataset: str | None):
    zarr = _zarr()
    if dataset:
        name = dataset.strip("/")
        try:
            node = root[name] if name else root
        except KeyError:
            node = None
        if isinstance(node, zarr.Array):
            return name, node
        found = _arrays(root) if isinstance(root, zarr.Group) else []
        what = "is a group, not an array" if node is not None else "not found"
        raise DatasetNotFoundError(f"path: array {dataset!r} {what} in {path}; "
                                   f"arrays there: {found or 'none'}")
    if isinstance(root, zarr.Array):
        return "", root
    found = _arrays(root)
    if len(found) == 1:
        return found[0], root[found[0]]
    for name in CONVENTIONAL_NAMES:
        if name in found:
            return name, root[name]
    if not found:
        raise DatasetNotFoundError(f"path: {path} holds no array")
    raise DatasetNotFoundError(f"path: {path} holds several arrays {found}; select one as "
                               f"'{path}/{found[0]}'")


def _attribute_chain(root, name: str) -> list:
    chain = [root[name].attrs] if name else []
    parts = name.split("/") if name else []
    for i in range(len(parts) - 1, 0, -1):
        chain.append(root["/".join(parts[:i])].attrs)
    chain.append(root.attrs)
    return chain


class ZarrVolume(Volume):
    format = "zarr"

    def __init__(self, array, *, path: str, sampling=None, attrs=None, writable=False):
        self._array = array
        if sampling is None:
            sampling = sampling_from_attributes(attrs or [array.attrs],
                                                spatial_ndim(len(array.shape)))
        super().__init__(array.shape, array.dtype, sampling=sampling, chunks=array.chunks,
                         path=path, writable=writable)

    @classmethod
    def open(cls, store: str, dataset: str | None, *, sampling=None) -> ZarrVolume:
        root = _zarr().open(store=store, mode="r")
        name, array = _choose_array(root, store, dataset)
        attrs = _attribute_chain(root, name) if name else [array.attrs]
        return cls(array, path=f"{store}/{name}" if name else store, sampling=sampling,
                   attrs=attrs)

    def _read(self, sel: Selection) -> np.ndarray:
        return np.asarray(self._array[sel.slices])

    def _write(self, sel: Selection, block: np.ndarray) -> None:
        self._array[sel.slices] = block


def store_format(store: Path) -> int:
    """2 for a store written in zarr format 2, else 3 (also for a new store)."""
    return 2 if any((store / m).exists() for m in (".zarray", ".zgroup")) else 3


def _codecs(compression, zarr_format: int = 3):
    if compression in (None, False, "none"):
        return None
    if compression in ("default", True):
        return "auto"
    if compression in ("gzip", "zlib"):
        if _major() >= 3 and zarr_format >= 3:
            return [_zarr().codecs.GzipCodec(level=4)]
        from numcodecs import GZip

        return GZip(level=4)
    if compression == "zstd":
        if _major() >= 3 and zarr_format >= 3:
            return [_zarr().codecs.ZstdCodec(level=3)]
        from numcodecs import Zstd

        return Zstd(level=3)
    raise ValueError(f"compression: expected None, 'default', 'gzip' or 'zstd' for zarr, "
                     f"got {compression!r}")


def _create(store: Path, name: str | None, shape, dtype, chunks, compression, attributes,
            zarr_format: int = 3):
    zarr = _zarr()
    codecs = _codecs(compression, zarr_format)
    if _major() >= 3:
        kwargs = {} if codecs == "auto" else {"compressors": codecs}
        return zarr.create_array(store=str(store), name=name, shape=shape, dtype=dtype,
                                 chunks=chunks, fill_value=0, attributes=attributes,
                                 zarr_format=zarr_format, **kwargs)
    kwargs = {} if codecs == "auto" else {"compressor": codecs}
    array = zarr.open_array(str(store), mode="w", path=name, shape=shape, dtype=dtype,
                            chunks=chunks, fill_value=0, **kwargs)
    array.attrs.update(attributes)
    return array


class ZarrWriter(ZarrVolume):
    """A new array, visible under its final name only after :meth:`close` succeeds.

    A new store is written as a temporary folder next to the final one and renamed; an array
    added inside an existing store (``store.zarr/name``) is written as a temporary folder
    beside ``name`` inside the store and renamed onto it.
    """

    def __init__(self, store: str, dataset: str | None, shape, dtype, *, chunks, compression,
                 sampling):
        final_store = Path(store)
        name = dataset.strip("/") if dataset else DEFAULT_NAME
        attributes = {} if sampling is None else {"resolution_nm": [float(s) for s in sampling]}
        if 0 in shape:
            chunks = tuple(max(1, c) for c in chunks)
        if name and is_zarr_store(final_store):
            parent, _, leaf = name.rpartition("/")
            tmp_name = f"{parent + '/' if parent else ''}.{leaf}.{secrets.token_hex(4)}.tmp"
            self._tmp = final_store / tmp_name
            self._final = final_store / name
            array = _create(final_store, tmp_name, shape, dtype, chunks, compression, attributes,
                            store_format(final_store))
        else:
            self._tmp = temporary_sibling(final_store)
            self._final = final_store
            try:
                array = _create(self._tmp, name, shape, dtype, chunks, compression, attributes)
            except BaseException:
                remove_path(self._tmp)
                raise
        path = f"{store}/{name}" if name else store
        super().__init__(array, path=path, sampling=sampling, writable=True)

    def _finish(self, commit: bool) -> None:
        if not commit:
            remove_path(self._tmp)
            return
        try:
            commit_path(self._tmp, self._final)
        except BaseException:
            remove_path(self._tmp)
            raise
