"""The sections to trace: a stack in memory, a lazily read volume, or a list of 2D images.

Each section is a 2D label image whose ids are unique within it (0 = background); the ids of
one section mean nothing in another. :class:`Segments` holds what the linking needs of each.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numba
import numpy as np

from .. import ops


@dataclass(frozen=True, eq=False)
class Segments:
    """The segments of one section, sorted by id."""

    ids: np.ndarray  #: (N,) label ids, sorted, no 0
    areas: np.ndarray  #: (N,) int64 pixel counts
    centroids: np.ndarray  #: (N, 2) float64 (y, x), px

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def of(cls, labels: np.ndarray) -> Segments:
        props = ops.region_properties(labels, threads=1)
        ids = np.asarray(props.ids)
        areas = np.asarray(props.counts, dtype=np.int64)
        centroids = np.asarray(props.centroids, dtype=np.float64).reshape(len(ids), 2)
        keep = areas > 0
        ids, areas, centroids = ids[keep], areas[keep], centroids[keep]
        order = np.argsort(ids, kind="stable")
        return cls(ids[order], areas[order], centroids[order])

    def index(self, ids) -> np.ndarray:
        """Positions of ``ids`` (all present) in :attr:`ids`."""
        return np.searchsorted(self.ids, ids)


def overlaps(a: np.ndarray, b: np.ndarray):
    """``(ids_a, ids_b, counts)`` of the pairs of segments that share pixels (no background),
    sorted by ``(ids_a, ids_b)``; one thread, as callers already run one task per section."""
    ids_a, ids_b, counts = ops.overlap_table(a, b, threads=1)
    keep = (ids_a != 0) & (ids_b != 0)
    return ids_a[keep], ids_b[keep], counts[keep]


@numba.njit(cache=True, nogil=True)
def _map_through_table(flat, table, out):
    top = len(table) - 1
    for i in range(flat.size):
        v = flat[i]
        out[i] = table[v] if v >= 0 and v <= top else 0


def apply_id_map(section, seg_ids, axon_ids, out=None) -> np.ndarray:
    """``section`` with each id ``seg_ids[i]`` (sorted) replaced by ``axon_ids[i]``; ids not
    listed become 0. A lookup table (one pass in Numba, without the GIL) when the ids are
    small, else a binary search. ``out``: a C-contiguous array of ``section``'s shape and
    ``axon_ids``'s dtype to write into, else a new one."""
    dtype = axon_ids.dtype
    section = np.asarray(section)
    if out is None:
        out = np.empty(section.shape, dtype)
    if len(seg_ids) == 0:
        out[...] = 0
        return out
    top = int(seg_ids[-1])
    if top < 4 * section.size + 1024:
        table = np.zeros(top + 1, dtype)
        table[seg_ids.astype(np.int64)] = axon_ids
        _map_through_table(np.ascontiguousarray(section).reshape(-1), table, out.reshape(-1))
        return out
    pos = np.minimum(np.searchsorted(seg_ids, section), len(seg_ids) - 1)
    out[...] = np.where(seg_ids[pos] == section, axon_ids[pos], 0)
    return out


class SectionSource:
    """Uniform read access to the sections, one at a time (lazy volumes read only that one).

    Sections of anything but an in-memory array are kept in a small cache of the ``cache``
    most recently read, as the linking reads each section for several neighbouring pairs.
    """

    def __init__(self, sections, name: str = "sections", cache: int = 8):
        if isinstance(sections, np.ndarray) or hasattr(sections, "shape") and hasattr(
                sections, "__getitem__") and not isinstance(sections, Sequence):
            shape = tuple(sections.shape)
            if len(shape) != 3:
                raise ValueError(f"{name}: expected a (Z, Y, X) stack of 2D label images, "
                                 f"got shape {shape}")
            self._data = sections
            self.shape = shape
        elif isinstance(sections, Sequence) and not isinstance(sections, (str, bytes)):
            if len(sections) == 0:
                raise ValueError(f"{name}: expected at least one section, got none")
            first = np.asarray(sections[0])
            if first.ndim != 2:
                raise ValueError(f"{name}: expected 2D sections, section 0 has shape "
                                 f"{first.shape}")
            self._data = sections
            self.shape = (len(sections),) + first.shape
        else:
            raise TypeError(f"{name}: expected a (Z, Y, X) array, a volume or a sequence of 2D "
                            f"label images, got {type(sections).__name__}")
        if self.shape[0] == 0:
            raise ValueError(f"{name}: expected at least one section, got shape {self.shape}")
        self.name = name
        self._capacity = 0 if isinstance(sections, np.ndarray) else max(0, int(cache))
        self._cache: OrderedDict[int, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return self.shape[0]

    def read(self, z: int) -> np.ndarray:
        if self._capacity == 0:
            return self._load(z)
        with self._lock:
            if z in self._cache:
                self._cache.move_to_end(z)
                return self._cache[z]
        section = self._load(z)
        with self._lock:
            self._cache[z] = section
            while len(self._cache) > self._capacity:
                self._cache.popitem(last=False)
        return section

    def _load(self, z: int) -> np.ndarray:
        section = np.asarray(self._data[z])
        if section.shape != self.shape[1:]:
            raise ValueError(f"{self.name}: section {z} has shape {section.shape}, expected "
                             f"{self.shape[1:]} like the others")
        if section.dtype.kind not in "biu":
            raise TypeError(f"{self.name}: expected integer labels, section {z} has dtype "
                            f"{section.dtype}")
        if section.dtype.kind == "i" and section.size and section.min() < 0:
            raise ValueError(f"{self.name}: expected non-negative labels, section {z} has "
                             f"{section.min()}")
        if section.dtype == np.bool_:
            section = section.view(np.uint8)
        return np.ascontiguousarray(section)
