"""Ground truth: contours against a per-label scipy reference, training-set files."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest
import scipy.ndimage as ndi

from conftest import SHARED_DATA
from nmjcore.preprocess.groundtruth import (bounding_box, contour_map, drop_labels,
                                            footprint_disk, prepare_training_set,
                                            training_set_from_membrane,
                                            training_set_from_phantom, write_training_set)
from nmjcore.synth import phantom


def reference_contours(labels, thickness, mode):
    """Per label and per section: scipy binary erosion (and dilation) with a disk."""
    disk = footprint_disk(thickness)
    stack = labels if labels.ndim == 3 else labels[None]
    out = np.zeros(stack.shape, bool)
    for z, section in enumerate(stack):
        values = np.unique(section) if mode == "both" else np.unique(section[section != 0])
        for value in values:
            inside = section == value
            band = inside & ~ndi.binary_erosion(inside, disk, border_value=1)
            if mode == "both":
                band |= ndi.binary_dilation(inside, disk) & ~inside
            out[z] |= band
    return out if labels.ndim == 3 else out[0]


def random_labels(rng, shape, n):
    seeds = rng.integers(0, n + 1, shape)
    # blobs: smoothed random ids, so labels have real interiors and boundaries
    return ndi.median_filter(seeds, size=(1, 5, 5) if len(shape) == 3 else 5).astype(np.uint32)


@pytest.mark.parametrize("thickness", [1, 2, 3])
@pytest.mark.parametrize("mode", ["inner", "both"])
def test_contours_match_per_label_scipy(rng, thickness, mode):
    labels = random_labels(rng, (3, 48, 40), 6)
    np.testing.assert_array_equal(contour_map(labels, thickness, mode=mode),
                                  reference_contours(labels, thickness, mode))
    section = labels[1]
    np.testing.assert_array_equal(contour_map(section, thickness, mode=mode),
                                  reference_contours(section, thickness, mode))


def test_contour_edge_cases():
    empty = np.zeros((6, 6), np.uint16)
    assert not contour_map(empty).any() and not contour_map(empty, mode="both").any()
    full = np.full((6, 6), 3, np.uint64)
    assert not contour_map(full).any()  # the image edge is not a boundary
    one = np.zeros((5, 5), np.int32)
    one[2, 2] = 2**31 - 1
    np.testing.assert_array_equal(contour_map(one), one != 0)
    big = np.zeros((1, 4, 4), np.uint64)
    big[0, :, 2:] = 2**64 - 1
    big[0, 2:, 2:] = 2**64 - 2  # ids that float64 cannot tell apart
    assert contour_map(big)[0, 0].tolist() == [False, False, True, False]
    assert contour_map(big)[0, :, 3].tolist() == [False, True, True, False]
    fortran = np.asfortranarray(random_labels(np.random.default_rng(2), (30, 20), 4))
    np.testing.assert_array_equal(contour_map(fortran), reference_contours(fortran, 1, "inner"))
    with pytest.raises(ValueError, match="thickness"):
        contour_map(empty, 0)
    with pytest.raises(TypeError, match="labels"):
        contour_map(empty.astype(np.float32))
    with pytest.raises(ValueError, match="mode"):
        contour_map(empty, mode="outer")


def test_drop_labels_and_bounding_box():
    labels = np.array([[0, 1, 2], [3, 4, 5]], np.uint16)
    out = drop_labels(labels, [5], classes={"schwann": [1, 2], "nucleus": [4]},
                      drop_classes=["schwann", "nucleus"])
    assert out.tolist() == [[0, 0, 0], [3, 0, 0]]
    assert labels[0, 1] == 1  # input untouched
    with pytest.raises(ValueError, match="drop_classes"):
        drop_labels(labels, drop_classes=["glia"])
    mask = np.zeros((3, 20, 30), bool)
    mask[1, 5:8, 10:12] = True
    assert bounding_box(mask, 3) == (slice(1, 2), slice(2, 11), slice(7, 15))
    assert bounding_box(mask, 100) == (slice(1, 2), slice(0, 20), slice(0, 30))
    assert bounding_box(np.zeros((4, 5)), 2) == (slice(0, 4), slice(0, 5))


def read_set(path):
    with h5py.File(path, "r") as f:
        data = {name: f[name][...] for name in ("raw", "mask", "membrane")}
        chunks = {name: f[name].chunks for name in data}
        attrs = dict(f.attrs)
    return data, chunks, attrs


def check_format(path, shape):
    data, chunks, attrs = read_set(path)
    for name, array in data.items():
        assert array.shape == shape and array.dtype == np.uint8, name
        assert chunks[name] == (1, *shape[1:]), name
    assert set(np.unique(data["mask"])) <= {0, 1} and set(np.unique(data["membrane"])) <= {0, 1}
    assert attrs["resolution_nm"].dtype == np.float64 and attrs["resolution_nm"].shape == (3,)
    return data, attrs


def test_prepare_training_set_crops_and_pads(tmp_path, rng):
    raw = rng.integers(0, 256, (4, 64, 80), dtype=np.uint8)
    labels = np.zeros((4, 64, 80), np.uint32)
    labels[:, 20:30, 30:50] = 1
    labels[:, 30:40, 30:50] = 2
    labels[1, 40:44, 10:14] = 7  # a Schwann cell, dropped
    labels[2, 10:12, 60:62] = 8  # its nucleus, dropped
    kw = dict(sampling=(40, 4, 4), classes={"schwann": [7], "nucleus": [8]},
              drop_classes=["schwann", "nucleus"], margin=5)
    out = prepare_training_set(raw, labels, tmp_path / "gt.h5", **kw)
    data, attrs = check_format(out, (4, 30, 30))  # box 20:40 x 30:50 plus 5 px
    np.testing.assert_array_equal(attrs["resolution_nm"], [40, 4, 4])
    np.testing.assert_array_equal(data["raw"], raw[:, 15:45, 25:55])
    kept = labels[:, 15:45, 25:55] * np.isin(labels[:, 15:45, 25:55], [1, 2])
    membrane = contour_map(kept, 1)
    np.testing.assert_array_equal(data["membrane"], membrane)
    np.testing.assert_array_equal(data["mask"], (kept != 0) & ~membrane)
    assert json.loads(attrs["offsets"])[2] == [2, 15, 25]
    # no margin: the crop's edge cuts along the foreground, contours stay those of the section
    out = prepare_training_set(raw, labels, tmp_path / "tight.h5", thickness=2,
                               **{**kw, "margin": 0})
    data, _ = check_format(out, (4, 20, 20))
    full = contour_map(labels * np.isin(labels, [1, 2]), 2)
    np.testing.assert_array_equal(data["membrane"], full[:, 20:40, 30:50])
    assert data["membrane"][:, 0].all()  # the box's first row is the labels' edge
    # padded to a given size, reflecting raw and targets alike
    out = prepare_training_set(raw, labels, tmp_path / "gt64.h5", size=(40, 36), **kw)
    data, _ = check_format(out, (4, 40, 36))
    np.testing.assert_array_equal(data["raw"][:, 5:35, 3:33], raw[:, 15:45, 25:55])
    np.testing.assert_array_equal(data["raw"][:, 4], raw[:, 16, 25:55][:, np.r_[3:0:-1, 0:30, 28:25:-1]])


def test_section_crops_pad_to_the_largest(tmp_path):
    raw = np.arange(3 * 40 * 40, dtype=np.uint32).reshape(3, 40, 40).astype(np.uint8)
    labels = np.zeros((3, 40, 40), np.uint16)
    labels[0, 5:15, 5:10] = 1
    labels[1, 20:24, 20:36] = 3
    labels[2, 1:3, 1:3] = 4
    out = prepare_training_set(raw, labels, tmp_path / "s.h5", sampling=(50, 5, 5), margin=2,
                               crop="section", pad_mode="constant")
    data, attrs = check_format(out, (3, 14, 20))
    offsets = json.loads(attrs["offsets"])
    assert offsets == [[0, 3, 3], [1, 18, 18], [2, 0, 0]]
    np.testing.assert_array_equal(data["raw"][1, 3:11, 0:20], raw[1, 18:26, 18:38])
    assert (data["raw"][1, :3] == 0).all() and (data["raw"][1, 11:] == 0).all()
    assert data["mask"][2].sum() == 0 and data["membrane"][2].sum() == 4  # 2x2: all contour


def test_training_set_write_is_atomic(tmp_path):
    path = tmp_path / "gt.h5"
    ones = np.ones((2, 4, 4), np.uint8)
    write_training_set(path, ones, ones, 0 * ones, sampling=(40, 4, 4))
    with pytest.raises(ValueError, match="mask"):
        write_training_set(path, ones, 2 * ones, ones, sampling=(40, 4, 4))
    with pytest.raises(ValueError, match="membrane"):
        write_training_set(path, ones, ones, ones[:1], sampling=(40, 4, 4))
    with pytest.raises(ValueError, match="sampling"):
        write_training_set(path, ones, ones, ones, sampling=(40, -4, 4))
    data, _ = check_format(path, (2, 4, 4))
    assert data["membrane"].sum() == 0  # the first file is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gt.h5"]
    with pytest.raises(ValueError, match="sampling"):
        prepare_training_set(ones, ones.astype(np.uint16), tmp_path / "x.h5")


def test_training_set_from_phantom(tmp_path):
    p = phantom((12, 96, 96), n_axons=8, seed=5, n_bad=2)
    path = training_set_from_phantom(tmp_path / "phantom.h5", p)
    keep = [z for z in range(12) if z not in p.bad_sections]
    data, attrs = check_format(path, (len(keep), 96, 96))
    np.testing.assert_array_equal(data["raw"], p.raw[keep])
    membrane = contour_map(p.axons[keep], 1)
    np.testing.assert_array_equal(data["membrane"], membrane)
    np.testing.assert_array_equal(data["mask"], (p.axons[keep] != 0) & ~membrane)
    assert not (data["mask"] & p.schwann[keep]).any()  # Schwann cells dropped
    np.testing.assert_array_equal(attrs["resolution_nm"], p.sampling)
    made = training_set_from_phantom(tmp_path / "made.h5", shape=(6, 64, 64), n_axons=4,
                                     seed=1, drop_bad_sections=False)
    check_format(made, (6, 64, 64))


def test_training_set_from_membrane_arrays(tmp_path, rng):
    raw = rng.integers(0, 256, (5, 16, 16), dtype=np.uint8)
    membrane = (rng.random((5, 16, 16)) < 0.2).astype(np.uint8)
    path = training_set_from_membrane(tmp_path / "m.h5", raw, membrane, sampling=(50, 4, 4),
                                      sections=[1, 3])
    data, _ = check_format(path, (2, 16, 16))
    np.testing.assert_array_equal(data["raw"], raw[[1, 3]])
    np.testing.assert_array_equal(data["membrane"], membrane[[1, 3]])
    np.testing.assert_array_equal(data["mask"], 1 - membrane[[1, 3]])
    with pytest.raises(ValueError, match="sections"):
        training_set_from_membrane(tmp_path / "n.h5", raw, membrane, sampling=(50, 4, 4),
                                   sections=[9])


@pytest.mark.shared_data
@pytest.mark.parametrize("name", ["isbi2012.h5", "vnc_stack1.h5"])
def test_training_set_from_the_shared_volumes(tmp_path, name):
    source = SHARED_DATA / name
    if not source.exists():
        pytest.skip(f"real EM data not found at {source}")
    path = training_set_from_membrane(tmp_path / "real.h5", f"{source}:/raw",
                                      f"{source}:/membrane", sections=[0, 1])
    with h5py.File(source, "r") as f:
        raw, membrane = f["raw"][:2], f["membrane"][:2]
        resolution = f.attrs["resolution_nm"]
    data, attrs = check_format(path, raw.shape)
    np.testing.assert_array_equal(data["raw"], raw)
    np.testing.assert_array_equal(data["mask"], 1 - membrane)
    np.testing.assert_allclose(attrs["resolution_nm"], resolution)
