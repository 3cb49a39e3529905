"""Volume input and output: lazy, chunk-by-chunk, atomic.

- :func:`open_volume`, :func:`create_volume`, :func:`write_volume` and the :class:`Volume`
  interface over HDF5, zarr, multi-page TIFF, TIFF/PNG section folders and NumPy arrays;
- :func:`atomic_path` for any file a stage writes (CSV, JSON, PNG ...);
- :class:`RoiWindows`: per-section-range (y, x) windows that crop a stack and paste back;
- :func:`labels_to_rgb` / :func:`rgb_to_labels`: colour label exports and integer ids.
"""

from ._base import DatasetNotFoundError, Volume
from .atomic import atomic_path
from .colors import label_color, labels_to_rgb, read_color_table, rgb_to_labels, write_color_table
from .roi import RoiWindows
from .volume import FORMATS, create_volume, open_volume, resolve_path, write_volume

__all__ = [
    "DatasetNotFoundError",
    "FORMATS",
    "RoiWindows",
    "Volume",
    "atomic_path",
    "create_volume",
    "label_color",
    "labels_to_rgb",
    "open_volume",
    "read_color_table",
    "resolve_path",
    "rgb_to_labels",
    "write_color_table",
    "write_volume",
]
