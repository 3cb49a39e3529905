"""ROI windows: for ranges of sections, the (y, x) window that follows a bundle as it drifts.

The lab records windows as, e.g., "sections 0-80 at x 10809-20685, y 5448-11102; 81-144 at x
9200-19076, y 4649-10303". Tables here use the same **inclusive** bounds on every axis: a row
``z_start,z_end,y_start,y_end,x_start,x_end = 0,80,5448,11102,10809,20685`` covers sections 0
to 80 and pixels y 5448 to 11102 *including* both ends (5655 rows). The rows must be in
increasing z order, must not overlap, and must leave no section between them uncovered.

CSV: a header naming the six columns (other columns are ignored), one window per line.
JSON: ``{"convention": "inclusive", "windows": [{"z_start": 0, ...}, ...]}`` or just the list.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._base import BLOCK_BYTES, Volume
from ._index import Selection
from .atomic import atomic_path

__all__ = ["RoiWindows", "RoiVolume", "Window"]

COLUMNS = ("z_start", "z_end", "y_start", "y_end", "x_start", "x_end")


@dataclass(frozen=True)
class Window:
    """One row of a window table, bounds inclusive."""

    z_start: int
    z_end: int
    y_start: int
    y_end: int
    x_start: int
    x_end: int

    @property
    def depth(self) -> int:
        return self.z_end - self.z_start + 1

    @property
    def height(self) -> int:
        return self.y_end - self.y_start + 1

    @property
    def width(self) -> int:
        return self.x_end - self.x_start + 1

    def __str__(self) -> str:
        return (f"sections {self.z_start}-{self.z_end}, y {self.y_start}-{self.y_end}, "
                f"x {self.x_start}-{self.x_end}")


def _as_int(value, what: str) -> int:
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{what}: expected an integer, got {value!r}")
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{what}: expected an integer, got {value!r}")


class RoiWindows:
    """A validated window table: crops a stack into one ROI volume and pastes results back.

    Parameters
    ----------
    rows : iterable of 6 ints or of mappings with keys z_start, z_end, y_start, y_end,
        x_start, x_end
        Inclusive bounds (see the module notes).
    source : str, optional
        Where the rows came from, used in error messages.

    Notes
    -----
    The ROI volume has one section per covered section, all of a common size: the largest
    window height by the largest window width. Each window sits at the ROI section's top-left
    corner (voxel ``(i, 0, 0)`` is global ``offsets[i]``); the rest of a smaller window's
    section is ``pad_value`` (0 unless given). Pasting copies back only each window's own
    pixels, so ``paste(crop(v))`` restores every windowed voxel exactly.

    Examples
    --------
    >>> import numpy as np
    >>> stack = np.arange(4 * 6 * 8, dtype=np.uint16).reshape(4, 6, 8)
    >>> windows = RoiWindows([(0, 1, 0, 2, 1, 4), (2, 3, 2, 5, 3, 5)])
    >>> roi, offsets = windows.crop(stack)
    >>> roi.shape, offsets.tolist()
    ((4, 4, 4), [[0, 0, 1], [1, 0, 1], [2, 2, 3], [3, 2, 3]])
    >>> back = windows.paste(roi[...], out_shape=stack.shape)
    >>> bool((back[2, 2:6, 3:6] == stack[2, 2:6, 3:6]).all()), int(back[2, 0, 0])
    (True, 0)
    """

    columns = COLUMNS

    def __init__(self, rows: Iterable, *, source: str | None = None):
        where = source or "windows"
        windows = []
        for i, row in enumerate(rows):
            label = f"{where}: row {i + 1}"
            if isinstance(row, dict):
                missing = [c for c in COLUMNS if c not in row]
                if missing:
                    raise ValueError(f"{label}: missing {', '.join(missing)}; expected "
                                     f"columns {', '.join(COLUMNS)}")
                values = [row[c] for c in COLUMNS]
            else:
                values = list(row)
                if len(values) != 6:
                    raise ValueError(f"{label}: expected 6 values ({', '.join(COLUMNS)}), "
                                     f"got {len(values)}")
            values = [_as_int(v, f"{label}, {c}") for v, c in zip(values, COLUMNS)]
            w = Window(*values)
            for axis in "zyx":
                start, end = getattr(w, f"{axis}_start"), getattr(w, f"{axis}_end")
                if start < 0:
                    raise ValueError(f"{label}: {axis}_start is negative ({start})")
                if end < start:
                    raise ValueError(f"{label}: {axis}_end {end} is before {axis}_start "
                                     f"{start} (bounds are inclusive)")
            windows.append(w)
        if not windows:
            raise ValueError(f"{where}: no windows")
        for i in range(1, len(windows)):
            a, b = windows[i - 1], windows[i]
            if b.z_start < a.z_start:
                raise ValueError(f"{where}: rows {i} and {i + 1} are out of order "
                                 f"(z_start {a.z_start} then {b.z_start}); sort by z_start")
            if b.z_start <= a.z_end:
                raise ValueError(f"{where}: rows {i} and {i + 1} overlap: sections "
                                 f"{a.z_start}-{a.z_end} and {b.z_start}-{b.z_end}")
            if b.z_start > a.z_end + 1:
                raise ValueError(f"{where}: sections {a.z_end + 1}-{b.z_start - 1} between "
                                 f"rows {i} and {i + 1} have no window")
        self.windows: tuple[Window, ...] = tuple(windows)
        self.source = source

    # -- files --------------------------------------------------------------------------------
    @classmethod
    def read(cls, path) -> RoiWindows:
        """Read a window table from CSV (``.csv``, ``.tsv``, ``.txt``) or JSON (``.json``)."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"path: window table {str(path)!r} does not exist")
        suffix = path.suffix.lower()
        if suffix == ".json":
            try:
                data = json.loads(path.read_text())
            except json.JSONDecodeError as err:
                raise ValueError(f"path: {path} is not valid JSON: {err}") from None
            if isinstance(data, dict):
                convention = data.get("convention", "inclusive")
                if convention != "inclusive":
                    raise ValueError(f"path: {path}: convention {convention!r} is not "
                                     "supported; window bounds are inclusive")
                if "windows" not in data:
                    raise ValueError(f"path: {path}: expected a list of windows or an object "
                                     "with a 'windows' list")
                data = data["windows"]
            if not isinstance(data, list):
                raise ValueError(f"path: {path}: expected a list of windows")
            return cls(data, source=str(path))
        if suffix in (".csv", ".tsv", ".txt"):
            with open(path, newline="") as f:
                sample = f.read(4096)
                f.seek(0)
                delimiter = "\t" if suffix == ".tsv" or ("\t" in sample and "," not in sample) \
                    else ","
                reader = csv.DictReader(f, delimiter=delimiter)
                header = [h.strip() for h in reader.fieldnames or []]
                missing = [c for c in COLUMNS if c not in header]
                if missing:
                    raise ValueError(f"path: {path}: header {header} lacks "
                                     f"{', '.join(missing)}; expected columns "
                                     f"{', '.join(COLUMNS)}")
                reader.fieldnames = header
                rows = [row for row in reader
                        if any((v or "").strip() for v in row.values() if isinstance(v, str))]
            return cls(rows, source=str(path))
        raise ValueError(f"path: {path}: expected a .csv or .json window table, got "
                         f"{suffix or 'no extension'}")

    def write(self, path) -> None:
        """Write the table (inclusive bounds) as CSV or JSON, by suffix, atomically."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".csv", ".json"):
            raise ValueError(f"path: expected a .csv or .json name, got {str(path)!r}")
        rows = [[getattr(w, c) for c in COLUMNS] for w in self.windows]
        with atomic_path(path) as tmp:
            if suffix == ".json":
                body = {"convention": "inclusive",
                        "windows": [dict(zip(COLUMNS, r)) for r in rows]}
                tmp.write_text(json.dumps(body, indent=1) + "\n")
            else:
                with open(tmp, "w", newline="") as f:
                    writer = csv.writer(f)
                    writer.writerow(COLUMNS)
                    writer.writerows(rows)

    # -- geometry -----------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.windows)

    def __iter__(self) -> Iterator[Window]:
        return iter(self.windows)

    def __eq__(self, other) -> bool:
        return isinstance(other, RoiWindows) and self.windows == other.windows

    def __repr__(self) -> str:
        return (f"RoiWindows({len(self)} windows, sections {self.z_start}-{self.z_end}, "
                f"ROI {self.height} x {self.width})")

    @property
    def z_start(self) -> int:
        return self.windows[0].z_start

    @property
    def z_end(self) -> int:
        """Last covered section (inclusive)."""
        return self.windows[-1].z_end

    @property
    def n_sections(self) -> int:
        return self.z_end - self.z_start + 1

    @property
    def height(self) -> int:
        """Common ROI height: the largest window height."""
        return max(w.height for w in self.windows)

    @property
    def width(self) -> int:
        """Common ROI width: the largest window width."""
        return max(w.width for w in self.windows)

    @property
    def offsets(self) -> np.ndarray:
        """(n_sections, 3) int64: global (z, y, x) of each ROI section's voxel (i, 0, 0)."""
        out = np.empty((self.n_sections, 3), dtype=np.int64)
        for w in self.windows:
            i0 = w.z_start - self.z_start
            out[i0:i0 + w.depth] = (0, w.y_start, w.x_start)
        out[:, 0] = np.arange(self.z_start, self.z_end + 1)
        return out

    def window_of(self, z: int) -> Window:
        """The window of global section ``z``."""
        for w in self.windows:
            if w.z_start <= z <= w.z_end:
                return w
        raise ValueError(f"z: section {z} is outside the windows' sections "
                         f"{self.z_start}-{self.z_end}")

    def validate(self, shape, name: str = "volume") -> None:
        """Raise ValueError if a window reaches outside a stack of ``shape`` (Z, Y, X, ...)."""
        shape = tuple(int(s) for s in shape)
        if len(shape) < 3:
            raise ValueError(f"{name}: expected a (Z, Y, X) stack, got shape {shape}")
        where = self.source or "windows"
        for i, w in enumerate(self.windows):
            if w.z_end >= shape[0] or w.y_end >= shape[1] or w.x_end >= shape[2]:
                raise ValueError(f"{where}: row {i + 1} ({w}) lies outside the {name} of "
                                 f"shape {shape} (bounds are inclusive)")

    # -- crop and paste -----------------------------------------------------------------------
    def crop(self, volume, *, pad_value=0) -> tuple[RoiVolume, np.ndarray]:
        """The ROI volume of ``volume`` (read lazily) and its per-section offsets.

        Parameters
        ----------
        volume : Volume, ndarray or path
            The whole stack, (Z, Y, X) or (Z, Y, X, C), in global coordinates.
        pad_value : scalar
            Fills each ROI section outside its own window (default 0); must fit the dtype.

        Returns
        -------
        roi : RoiVolume, shape (n_sections, height, width[, C]), dtype of ``volume``
            A lazy, read-only Volume; ``roi[...]`` loads it, ``write_volume`` streams it.
        offsets : ndarray of int64, shape (n_sections, 3)
            Global (z, y, x) of each ROI section's voxel (i, 0, 0), as :attr:`offsets`.
        """
        roi = RoiVolume(self, volume, pad_value=pad_value)
        return roi, self.offsets

    def paste(self, roi, out_shape=None, *, into=None):
        """Copy each window of ``roi`` back to its global place.

        Parameters
        ----------
        roi : ndarray or Volume, shape (n_sections, height, width[, C])
            A result in ROI coordinates, e.g. labels of :meth:`crop`'s volume.
        out_shape : tuple of int, optional
            Shape of a new zero array (dtype of ``roi``) to paste into.
        into : ndarray or writable Volume, optional
            Existing global array to paste into (changed in place). Give exactly one of
            ``out_shape`` and ``into``.

        Returns
        -------
        out : ndarray or Volume
            ``into``, or the new array. Voxels outside every window are left as they were
            (0 in a new array); ROI padding is never copied.
        """
        if (out_shape is None) == (into is None):
            raise ValueError("paste: give exactly one of out_shape or into")
        from .volume import open_volume

        source = roi if isinstance(roi, Volume) else open_volume(roi)
        expected = (self.n_sections, self.height, self.width)
        if tuple(source.shape[:3]) != expected:
            raise ValueError(f"roi: expected shape {expected + tuple(source.shape[3:])} "
                             f"(sections, height, width of the windows), got {source.shape}")
        if into is None:
            shape = tuple(int(s) for s in out_shape)
            if tuple(shape[3:]) != tuple(source.shape[3:]):
                raise ValueError(f"out_shape: trailing axes {shape[3:]} differ from the "
                                 f"roi's {source.shape[3:]}")
            into = np.zeros(shape, dtype=source.dtype)
        elif tuple(into.shape[3:]) != tuple(source.shape[3:]):
            raise ValueError(f"into: trailing axes {into.shape[3:]} differ from the "
                             f"roi's {source.shape[3:]}")
        self.validate(into.shape, "into" if out_shape is None else "out_shape")
        section_bytes = max(1, self.height * self.width * source.dtype.itemsize)
        step = max(1, BLOCK_BYTES // section_bytes)
        for w in self.windows:
            i0 = w.z_start - self.z_start
            for z in range(0, w.depth, step):
                n = min(step, w.depth - z)
                block = source[i0 + z:i0 + z + n, :w.height, :w.width]
                into[w.z_start + z:w.z_start + z + n, w.y_start:w.y_end + 1,
                     w.x_start:w.x_end + 1] = block
        return into


class RoiVolume(Volume):
    """The windows of a stack, padded to a common size: a lazy, read-only Volume."""

    format = "roi"

    def __init__(self, windows: RoiWindows, volume, *, pad_value=0):
        from .volume import open_volume

        self._owns = isinstance(volume, (str, os.PathLike))
        source = open_volume(volume)
        try:
            windows.validate(source.shape)
            pad = np.asarray(pad_value)
            if pad.ndim or np.asarray(pad.astype(source.dtype)) != pad:
                raise ValueError(f"pad_value: {pad_value!r} does not fit dtype {source.dtype}")
        except BaseException:
            if self._owns:
                source.close()
            raise
        self._source = source
        self._windows = windows
        self.pad_value = pad.astype(source.dtype)[()]
        shape = (windows.n_sections, windows.height, windows.width, *source.shape[3:])
        super().__init__(shape, source.dtype, sampling=source.sampling,
                         chunks=(1, *shape[1:]), path=source.path)

    def _read(self, sel: Selection) -> np.ndarray:
        out = np.full(sel.shape, self.pad_value, dtype=self.dtype)
        zs = np.asarray(sel.ranges[0])
        rest = sel.slices[3:]
        for w in self._windows.windows:
            i0 = w.z_start - self._windows.z_start
            inside = np.flatnonzero((zs >= i0) & (zs < i0 + w.depth))
            if inside.size == 0:
                continue
            ry, rx = sel.ranges[1], sel.ranges[2]
            ky = len(range(ry.start, min(ry.stop, w.height), ry.step))
            kx = len(range(rx.start, min(rx.stop, w.width), rx.step))
            if ky == 0 or kx == 0:
                continue
            g0 = w.z_start + int(zs[inside[0]]) - i0
            g1 = w.z_start + int(zs[inside[-1]]) - i0 + 1
            block = self._source[(slice(g0, g1, sel.ranges[0].step),
                                  slice(w.y_start + ry.start, w.y_start + min(ry.stop, w.height),
                                        ry.step),
                                  slice(w.x_start + rx.start, w.x_start + min(rx.stop, w.width),
                                        rx.step), *rest)]
            out[inside[0]:inside[-1] + 1, :ky, :kx] = block
        return out

    def _finish(self, commit: bool) -> None:
        if self._owns:
            self._source.close()
