"""Training sets from dense manual segmentations (and from the phantom and membrane labels).

The training-set file, read by the network stage:

==============  ==========================================================================
``raw``         (Z, Y, X) uint8 EM sections
``mask``        (Z, Y, X) uint8, 1 = axon / cell interior, 0 elsewhere
``membrane``    (Z, Y, X) uint8, 1 = membrane / contour, 0 elsewhere
attribute       ``resolution_nm``: (z, y, x) float64 voxel size in nm
==============  ==========================================================================

HDF5, each dataset chunked one section per chunk (gzip level 4), written under a temporary
name and renamed when complete. Other file attributes (``source``, ``offsets``) say where
the sections came from.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping

import numpy as np
import scipy.ndimage as ndi

from ..io.atomic import atomic_path
from ..ops._validate import as_sampling
from ._sections import Sections, progress_bar
from .padding import pad_to

__all__ = ["bounding_box", "contour_map", "drop_labels", "footprint_disk",
           "prepare_training_set", "training_set_file", "training_set_from_membrane",
           "training_set_from_phantom", "write_training_set"]

DATASETS = ("raw", "mask", "membrane")


def footprint_disk(radius: int) -> np.ndarray:
    """(2r+1, 2r+1) bool disk: offsets with ``dy**2 + dx**2 <= r**2``."""
    r = int(radius)
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
    return yy * yy + xx * xx <= r * r


def _ids(values, name: str) -> np.ndarray:
    try:
        ids = np.asarray(list(values), dtype=np.int64)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected label ids, got {values!r}") from None
    if ids.size and ids.min() < 0:
        raise ValueError(f"{name}: label ids are non-negative, got {ids.min()}")
    return ids


def dropped_ids(drop=(), *, classes: Mapping | None = None, drop_classes=()) -> np.ndarray:
    """The ids to drop: ``drop`` plus every id of the classes named in ``drop_classes``."""
    ids = [_ids(drop, "drop")]
    if isinstance(drop_classes, str):
        drop_classes = (drop_classes,)
    for name in drop_classes:
        if classes is None or name not in classes:
            known = sorted(classes) if classes else []
            raise ValueError(f"drop_classes: class {name!r} is not in classes {known}")
        ids.append(_ids(classes[name], f"classes[{name!r}]"))
    return np.unique(np.concatenate(ids))


def drop_labels(labels, drop=(), *, classes: Mapping | None = None, drop_classes=()):
    """Labels with the unwanted ids set to 0 (a new array).

    Parameters
    ----------
    labels : ndarray of int
        A dense manual segmentation (any shape).
    drop : iterable of int
        Ids to remove.
    classes : mapping of str to iterable of int, optional
        Ids per class, e.g. ``{"schwann": [7, 9], "nucleus": [8]}``.
    drop_classes : iterable of str
        Classes whose ids are removed too.

    Examples
    --------
    >>> import numpy as np
    >>> drop_labels(np.array([0, 1, 2, 3]), [1], classes={"schwann": [3]},
    ...             drop_classes=["schwann"])
    array([0, 0, 2, 0])
    """
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"labels: expected an integer array, got dtype {labels.dtype}")
    ids = dropped_ids(drop, classes=classes, drop_classes=drop_classes)
    out = labels.copy()
    if ids.size:
        out[np.isin(labels, ids)] = 0
    return out


def _check_contour_options(thickness, mode, mode_name: str = "mode") -> None:
    if isinstance(thickness, bool) or not isinstance(thickness, (int, np.integer)) \
            or thickness < 1:
        raise ValueError(f"thickness: expected an int >= 1, got {thickness!r}")
    if mode not in ("inner", "both"):
        raise ValueError(f"{mode_name}: expected 'inner' or 'both', got {mode!r}")


def contour_map(labels, thickness=1, *, mode="inner") -> np.ndarray:
    """Label boundaries of a given thickness, section by section (bool).

    Parameters
    ----------
    labels : (Y, X) or (Z, Y, X) ndarray of int
        0 is background; every other value one object.
    thickness : int >= 1
        Radius of the disk by which each label is eroded (and dilated, ``mode="both"``) in
        its section: the band is ``thickness`` px deep on each side of a boundary.
    mode : {"inner", "both"}
        ``"inner"``: the pixels of each label that its erosion removes (inside the label).
        ``"both"``: the pixels its dilation adds as well (the band straddles the boundary).

    Returns
    -------
    contours : bool ndarray, shape of ``labels``

    Notes
    -----
    Per-label erosion and dilation, computed for all labels at once: a pixel lies in the
    erosion of its own label iff the minimum and the maximum label over the disk around it
    are both that label; it lies in some label's dilation minus erosion iff that disk sees
    two different values. The image edge is not a boundary (as ``binary_erosion`` with
    ``border_value=1``).

    Examples
    --------
    >>> import numpy as np
    >>> labels = np.zeros((5, 6), np.uint32); labels[:, :3] = 1; labels[:, 3:] = 2
    >>> contour_map(labels, 1).astype(int)[0]
    array([0, 0, 1, 1, 0, 0])
    """
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iub":
        raise TypeError(f"labels: expected an integer array, got dtype {labels.dtype}")
    if labels.ndim not in (2, 3):
        raise ValueError(f"labels: expected a 2D or 3D array, got shape {labels.shape}")
    _check_contour_options(thickness, mode)
    footprint = footprint_disk(int(thickness))
    if labels.ndim == 3:
        footprint = footprint[None]
    ranks = labels
    if labels.dtype.itemsize == 8 and labels.size and (labels.max() > 2**53
                                                       or labels.min() < -2**53):
        # scipy's rank filters go through float64 / int64: compact huge ids first
        ranks = np.unique(labels, return_inverse=True)[1].reshape(labels.shape)
    high = ndi.maximum_filter(ranks, footprint=footprint, mode="nearest")
    low = ndi.minimum_filter(ranks, footprint=footprint, mode="nearest")
    edge = high != low
    return edge & (labels != 0) if mode == "inner" else edge


def bounding_box(mask, margin=0) -> tuple[slice, ...]:
    """Slices of the smallest box holding every non-zero pixel, grown by ``margin`` px on
    each side of every axis but the first of a 3D mask (sections) and clipped to the array.
    An empty mask gives the whole array."""
    mask = np.asarray(mask)
    nonzero = np.nonzero(mask)
    if nonzero[0].size == 0:
        return tuple(slice(0, n) for n in mask.shape)
    out = []
    for axis, (idx, n) in enumerate(zip(nonzero, mask.shape)):
        grow = 0 if (mask.ndim == 3 and axis == 0) else int(margin)
        out.append(slice(max(0, int(idx.min()) - grow), min(n, int(idx.max()) + 1 + grow)))
    return tuple(out)


@contextlib.contextmanager
def training_set_file(path, shape, *, sampling, attrs: Mapping | None = None):
    """An HDF5 training set being written: yields the open file with empty ``raw``, ``mask``
    and ``membrane`` datasets of ``shape`` (uint8, one section per chunk); the file appears
    under ``path`` only when the block completes."""
    import h5py

    shape = tuple(int(s) for s in shape)
    if len(shape) != 3 or 0 in shape:
        raise ValueError(f"raw: expected a non-empty (Z, Y, X) stack, got shape {shape}")
    sampling = as_sampling(sampling, 3)
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        for name in DATASETS:
            f.create_dataset(name, shape=shape, dtype=np.uint8, chunks=(1, *shape[1:]),
                             compression="gzip", compression_opts=4)
        f.attrs["resolution_nm"] = np.asarray(sampling, np.float64)
        for key, value in (attrs or {}).items():
            f.attrs[key] = value
        yield f


def write_training_set(path, raw, mask, membrane, *, sampling, attrs: Mapping | None = None):
    """Write a training set (see the module notes) atomically; returns the path.

    ``raw``, ``mask``, ``membrane``: (Z, Y, X) arrays of one shape; ``raw`` must be uint8,
    ``mask`` and ``membrane`` hold 0/1 (bool or integer).
    """
    arrays = {"raw": np.asarray(raw), "mask": np.asarray(mask), "membrane": np.asarray(membrane)}
    shape = arrays["raw"].shape
    if arrays["raw"].dtype != np.uint8:
        raise TypeError(f"raw: expected uint8, got {arrays['raw'].dtype}")
    for name in ("mask", "membrane"):
        a = arrays[name]
        if a.shape != shape:
            raise ValueError(f"{name}: expected shape {shape} (that of raw), got {a.shape}")
        if a.dtype.kind not in "biu" or (a.size and (a.min() < 0 or a.max() > 1)):
            raise ValueError(f"{name}: expected 0/1 values")
    with training_set_file(path, shape, sampling=sampling, attrs=attrs) as f:
        for name in DATASETS:
            f[name][...] = arrays[name].astype(np.uint8, copy=False)
    return path


def _kept(labels: np.ndarray, ids: np.ndarray) -> np.ndarray:
    return np.where(np.isin(labels, ids), 0, labels) if ids.size else labels


def _grow(box, by: int, shape):
    return tuple(slice(max(0, b.start - by), min(n, b.stop + by)) for b, n in zip(box, shape))


def prepare_training_set(raw, labels, path, *, sampling=None, drop=(), classes=None,
                         drop_classes=(), thickness=1, contour_mode="inner", margin=16,
                         crop="volume", size=None, pad_mode="reflect", progress=None):
    """Make a training set from EM sections and their dense manual segmentation.

    Steps: drop unwanted ids/classes; the rest merge into one foreground; contours of
    ``thickness`` (:func:`contour_map`) are the ``membrane``; the foreground minus the contours
    is the ``mask`` (interior); the sections are cropped to the bounding box of the foreground
    plus ``margin`` px, padded to a common size, and written with :func:`training_set_file`.

    Parameters
    ----------
    raw : (Z, Y, X) uint8 ndarray, Volume or path
    labels : (Z, Y, X) integer ndarray, Volume or path, same shape
    path : str or path-like
        The HDF5 file to write.
    sampling : 3 floats, optional
        (z, y, x) nm; default that of ``raw`` (a Volume or file), else an error.
    drop, classes, drop_classes
        As in :func:`drop_labels`.
    thickness, contour_mode
        As ``thickness`` and ``mode`` of :func:`contour_map`; contours are those of the whole
        section (a crop's edge is not a boundary).
    margin : int >= 0
        Pixels kept around the foreground's bounding box.
    crop : {"volume", "section", "none"}
        ``"volume"``: one box for the whole stack (sections stay aligned, for 3D models);
        ``"section"``: each section's own box, padded to the largest (2D models);
        ``"none"``: whole sections.
    size : (int, int), optional
        Pad every section to this (Y, X) (at least the cropped size); default the cropped
        (largest) size.
    pad_mode : {"reflect", "constant", ...}
        As :func:`pad_to`; applied alike to raw, mask and membrane so that they stay
        consistent (constant pads with 0).

    Returns
    -------
    path : the written file. Its attribute ``offsets`` ((Z, 3) int64 as JSON) gives, per
    section, the global (z, y, x) of the crop's first pixel (before padding).

    Notes
    -----
    Two passes over the labels, one section at a time (bounding boxes, then the maps), so
    memory holds a few sections whatever the stack's size.
    """
    if crop not in ("volume", "section", "none"):
        raise ValueError(f"crop: expected 'volume', 'section' or 'none', got {crop!r}")
    if isinstance(margin, bool) or not isinstance(margin, (int, np.integer)) or margin < 0:
        raise ValueError(f"margin: expected an int >= 0, got {margin!r}")
    _check_contour_options(thickness, contour_mode, "contour_mode")
    ids = dropped_ids(drop, classes=classes, drop_classes=drop_classes)
    with Sections(raw, "raw", dtypes=(np.dtype(np.uint8),)) as images, \
            Sections(labels, "labels") as segmentation:
        if segmentation.shape != images.shape:
            raise ValueError(f"labels: expected shape {images.shape} (that of raw), got "
                             f"{segmentation.shape}")
        if segmentation.dtype.kind not in "iu":
            raise TypeError(f"labels: expected integer labels, got {segmentation.dtype}")
        sampling = images.sampling if sampling is None else sampling
        if sampling is None:
            raise ValueError("sampling: raw has no voxel size; pass sampling=(z, y, x) nm")
        n, ny, nx = images.shape
        whole = (slice(0, ny), slice(0, nx))
        boxes, filled = [], []
        if crop == "none":
            boxes = [whole] * n
        else:
            with progress_bar(n, "ground truth: boxes", progress) as bar:
                for z in range(n):
                    foreground = _kept(segmentation[z], ids) != 0
                    boxes.append(bounding_box(foreground, margin))
                    filled.append(bool(foreground.any()))
                    bar.update(1)
        if crop == "volume":
            boxes_in = [b for b, f in zip(boxes, filled) if f] or [whole]
            box = (slice(min(b[0].start for b in boxes_in), max(b[0].stop for b in boxes_in)),
                   slice(min(b[1].start for b in boxes_in), max(b[1].stop for b in boxes_in)))
            boxes = [box] * n
        height = max(b[0].stop - b[0].start for b in boxes)
        width = max(b[1].stop - b[1].start for b in boxes)
        target = (height, width) if size is None else tuple(int(s) for s in size)
        offsets = [[z, b[0].start, b[1].start] for z, b in enumerate(boxes)]
        source = raw if isinstance(raw, (str, os.PathLike)) else type(raw).__name__
        attrs = {"source": str(source), "offsets": json.dumps(offsets)}
        with training_set_file(path, (n, *target), sampling=sampling, attrs=attrs) as f, \
                progress_bar(n, "ground truth: maps", progress) as bar:
            for z, box in enumerate(boxes):
                grown = _grow(box, int(thickness), (ny, nx))
                kept = _kept(segmentation[(z, *grown)], ids)
                inner = tuple(slice(b.start - g.start, b.stop - g.start)
                              for b, g in zip(box, grown))
                membrane = contour_map(kept, thickness, mode=contour_mode)[inner]
                mask = (kept[inner] != 0) & ~membrane
                for name, section in (("raw", images[(z, *box)]), ("mask", mask),
                                      ("membrane", membrane)):
                    f[name][z] = pad_to(section.astype(np.uint8, copy=False), target,
                                        mode=pad_mode)[0]
                bar.update(1)
    return path


def training_set_from_phantom(path, phantom=None, *, drop_bad_sections=True, thickness=1,
                              **phantom_options):
    """A training set from the synthetic phantom (:func:`nmjcore.synth.phantom`).

    The phantom's axon ids and its Schwann-cell bodies (labelled as one class, as an annotator
    would) form the dense segmentation; the Schwann cells are dropped, as in the lab's ground
    truth, and the axons give ``mask`` and ``membrane`` (:func:`prepare_training_set`, whole
    sections). Bad sections (damaged raw) are left out unless ``drop_bad_sections=False``.

    Parameters
    ----------
    path : str or path-like
        The HDF5 file to write.
    phantom : Phantom, optional
        A phantom already made; otherwise one is made with ``phantom_options`` (e.g.
        ``shape=(32, 256, 256), seed=1``).

    Returns
    -------
    path
    """
    from ..synth import phantom as make_phantom

    p = make_phantom(**phantom_options) if phantom is None else phantom
    keep = [z for z in range(p.raw.shape[0])
            if not (drop_bad_sections and z in p.bad_sections)]
    if not keep:
        raise ValueError("phantom: every section is bad; nothing to train on")
    labels = p.axons[keep].astype(np.uint32)
    schwann_id = np.uint32(labels.max(initial=0) + 1)
    if p.schwann is not None:
        labels[(labels == 0) & p.schwann[keep]] = schwann_id
    return prepare_training_set(p.raw[keep], labels, path, sampling=p.sampling,
                                classes={"schwann": [int(schwann_id)]},
                                drop_classes=["schwann"], thickness=thickness, crop="none")


def training_set_from_membrane(path, raw, membrane, *, sampling=None, sections=None):
    """A training set from EM sections with membrane labels (the layout of ../shared/data).

    ``mask = 1 - membrane`` (cell interior), ``membrane`` as given.

    Parameters
    ----------
    path : str or path-like
        The HDF5 file to write.
    raw : (Z, Y, X) uint8 ndarray, Volume or path, e.g. ``"isbi2012.h5:/raw"``
    membrane : same shape, 0/1, e.g. ``"isbi2012.h5:/membrane"``
    sampling : 3 floats, optional
        Default: that of ``raw``.
    sections : iterable of int, optional
        Only these sections (default all); they are held in memory while written.

    Returns
    -------
    path
    """
    with Sections(raw, "raw", dtypes=(np.dtype(np.uint8),)) as images, \
            Sections(membrane, "membrane") as labels:
        if labels.shape != images.shape:
            raise ValueError(f"membrane: expected shape {images.shape} (that of raw), got "
                             f"{labels.shape}")
        sampling = images.sampling if sampling is None else sampling
        if sampling is None:
            raise ValueError("sampling: raw has no voxel size; pass sampling=(z, y, x) nm")
        zs = list(range(len(images))) if sections is None else [int(z) for z in sections]
        bad = [z for z in zs if not 0 <= z < len(images)]
        if bad or not zs:
            raise ValueError(f"sections: expected indices in 0..{len(images) - 1}, got "
                             f"{bad[:5] or 'none'}")
        out_raw = np.stack([images[z] for z in zs])
        out_membrane = np.stack([labels[z] for z in zs])
        if out_membrane.dtype.kind not in "biu" or out_membrane.max() > 1:
            raise ValueError("membrane: expected 0/1 values")
        out_membrane = out_membrane.astype(np.uint8)
    return write_training_set(path, out_raw, 1 - out_membrane, out_membrane, sampling=sampling,
                              attrs={"source": str(raw if isinstance(raw, (str, os.PathLike))
                                                   else type(raw).__name__),
                                     "offsets": json.dumps([[z, 0, 0] for z in zs])})
