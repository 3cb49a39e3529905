"""The sections to trace: a stack in memory, a lazily read volume, or a list of 2D images.

Each section is a 2D label image whose ids are unique within it (0 = background); the ids of
one section mean nothing in another. :class:`Segments` holds what the linking needs of each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

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
        props = ops.region_properties(labels)
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


class SectionSource:
    """Uniform read access to the sections, one at a time (lazy volumes read only that one)."""

    def __init__(self, sections, name: str = "sections"):
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

    def __len__(self) -> int:
        return self.shape[0]

    def read(self, z: int) -> np.ndarray:
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
