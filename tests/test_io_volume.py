"""nmjcore.io volumes: round trips through every format, lazy reads, path selection, errors."""

from __future__ import annotations

import tracemalloc

import h5py
import numpy as np
import pytest
import tifffile
import zarr

from conftest import SHARED_DATA
from nmjcore import io as nio
from nmjcore.io import DatasetNotFoundError, create_volume, open_volume, write_volume

SAMPLING = (40.0, 4.0, 4.0)

# name -> (path inside tmp_path, format keyword, dtypes it stores)
ALL_DTYPES = ("uint8", "uint16", "uint32", "float32")
TARGETS = {
    "hdf5": ("stack.h5", None, ALL_DTYPES),
    "hdf5-dataset": ("stack.h5:/group/labels", None, ALL_DTYPES),
    "zarr": ("stack.zarr", None, ALL_DTYPES),
    "zarr-array": ("stack.zarr/labels", None, ALL_DTYPES),
    "tiff": ("stack.tif", None, ALL_DTYPES),
    "tiff-folder": ("tifs/*.tif", None, ALL_DTYPES),
    "png-folder": ("pngs", "png-folder", ("uint8", "uint16")),
}


def random_stack(rng, shape, dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return rng.random(shape, dtype=np.float32).astype(dtype)
    info = np.iinfo(dtype)
    out = rng.integers(0, info.max, size=shape, dtype=dtype, endpoint=True)
    out.flat[0] = info.max  # ids near the dtype's maximum survive
    return out


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("target", list(TARGETS))
def test_round_trip(tmp_path, rng, target, dtype):
    rel, fmt, dtypes = TARGETS[target]
    path = str(tmp_path / rel)
    array = random_stack(rng, (7, 19, 23), dtype)
    if dtype not in dtypes:
        with pytest.raises(ValueError, match="PNG"):
            write_volume(path, array, format=fmt)
        return
    written = write_volume(path, array, sampling=SAMPLING, format=fmt)
    assert written.closed
    with open_volume(path) as vol:
        assert vol.shape == array.shape
        assert vol.dtype == array.dtype
        assert vol.ndim == 3 and len(vol) == 7
        assert vol.sampling == SAMPLING
        np.testing.assert_array_equal(vol[...], array)
        np.testing.assert_array_equal(np.asarray(vol), array)
    assert vol.closed
    with pytest.raises(ValueError, match="closed"):
        vol[0]


@pytest.mark.parametrize("target", list(TARGETS))
def test_basic_indexing_matches_numpy(tmp_path, rng, target):
    rel, fmt, _ = TARGETS[target]
    path = str(tmp_path / rel)
    array = random_stack(rng, (9, 13, 17), np.uint8)
    write_volume(path, array, format=fmt)
    keys = [2, -1, slice(1, 4), (slice(None, None, 2), slice(3, None), -1),
            (-1, slice(None, None, -1), slice(2, 15, 3)), (Ellipsis, 3), (slice(5, 2),),
            (1, 2, 3), (slice(8, 0, -3), slice(-5, None), slice(None, None, -4)),
            (np.int64(4), slice(0, 100)), ()]
    with open_volume(path) as vol:
        for key in keys:
            got = vol[key]
            want = array[key]
            assert isinstance(got, (np.ndarray, np.generic))
            assert np.shape(got) == np.shape(want), key
            np.testing.assert_array_equal(got, want, err_msg=str(key))
        sections = list(vol)
        assert len(sections) == 9
        np.testing.assert_array_equal(np.stack(sections), array)
        blocks = list(vol.blocks(4))
        assert [z0 for z0, _ in blocks] == [0, 4, 8]
        np.testing.assert_array_equal(np.concatenate([b for _, b in blocks]), array)


def test_array_volume_wraps_without_copy_and_reads_copies(rng):
    array = random_stack(rng, (4, 5, 6), np.uint16)
    vol = open_volume(array, sampling=(50, 5, 5))
    assert vol.shape == array.shape and vol.dtype == np.uint16 and vol.sampling == (50, 5, 5)
    section = vol[1]
    section[...] = 0
    assert array[1].any()
    with pytest.raises(ValueError, match="read-only"):
        vol[0] = 1
    with pytest.raises(TypeError, match="basic indexing"):
        vol[[0, 1]]
    with pytest.raises(TypeError, match="newaxis"):
        vol[None]
    with pytest.raises(IndexError, match="out of bounds"):
        vol[4]
    with pytest.raises(IndexError, match="too many"):
        vol[0, 0, 0, 0]
    assert open_volume(vol) is vol


def test_open_h5py_and_zarr_objects(tmp_path, rng):
    array = random_stack(rng, (3, 4, 5), np.uint8)
    with h5py.File(tmp_path / "a.h5", "w") as f:
        ds = f.create_dataset("raw", data=array)
        ds.attrs["resolution_nm"] = SAMPLING
        vol = open_volume(ds)
        assert vol.sampling == SAMPLING
        np.testing.assert_array_equal(vol[1:, ::2], array[1:, ::2])
    z = zarr.create_array(store=str(tmp_path / "a.zarr"), shape=array.shape, dtype=array.dtype)
    z[...] = array
    np.testing.assert_array_equal(open_volume(z)[2], array[2])


@pytest.mark.parametrize("target", ["hdf5", "zarr-array", "tiff-folder", "png-folder"])
def test_create_volume_writes_blocks_in_any_order(tmp_path, rng, target):
    rel, fmt, _ = TARGETS[target]
    path = str(tmp_path / rel)
    array = random_stack(rng, (10, 12, 14), np.uint16)
    with create_volume(path, array.shape, array.dtype, chunks=(2, 8, 8), sampling=SAMPLING,
                       format=fmt) as vol:
        assert vol.writable
        for z0 in (6, 0, 8, 2):
            vol[z0:z0 + 2] = array[z0:z0 + 2]
        vol[5] = array[5]
    with open_volume(path) as out:
        np.testing.assert_array_equal(out[:4], array[:4])
        np.testing.assert_array_equal(out[5:], array[5:])
        assert not out[4].any()  # never written: zeros
        assert out.sampling == SAMPLING


@pytest.mark.parametrize("target", ["hdf5", "zarr"])
def test_create_volume_partial_boxes_and_chunks(tmp_path, rng, target):
    rel, fmt, _ = TARGETS[target]
    path = str(tmp_path / rel)
    with create_volume(path, (4, 10, 10), np.float32, chunks=(2, 5, 5)) as vol:
        vol[1:3, 2:6, ::3] = 7.5
        np.testing.assert_array_equal(vol[1, 2, ::3], np.full(4, 7.5, np.float32))
    with open_volume(path) as out:
        assert out.chunks == (2, 5, 5)
        want = np.zeros((4, 10, 10), np.float32)
        want[1:3, 2:6, ::3] = 7.5
        np.testing.assert_array_equal(out[...], want)
        assert out.sampling is None


def test_tiff_is_written_in_z_order(tmp_path, rng):
    array = random_stack(rng, (6, 5, 4), np.uint8)
    path = tmp_path / "s.tif"
    with create_volume(path, array.shape, array.dtype) as vol:
        vol[0:2] = array[0:2]
        vol[3] = array[3]  # section 2 skipped: zeros
        with pytest.raises(ValueError, match="z order"):
            vol[1] = array[1]
        with pytest.raises(ValueError, match="whole sections"):
            vol[4, :2] = 0
    got = tifffile.imread(path)  # one series other tools read whole
    assert got.shape == array.shape
    np.testing.assert_array_equal(got[[0, 1, 3]], array[[0, 1, 3]])
    assert not got[2].any() and not got[4:].any()


def test_in_memory_create_volume():
    vol = create_volume(None, (2, 3, 4), np.uint32, sampling=SAMPLING)
    vol[1, 2] = np.arange(4)
    assert vol[1, 2].tolist() == [0, 1, 2, 3] and vol.sampling == SAMPLING


def test_rgb_png_folder_round_trip(tmp_path, rng):
    rgb = rng.integers(0, 256, size=(3, 6, 7, 3), dtype=np.uint8)
    write_volume(str(tmp_path / "rgb" / "*.png"), rgb)
    with open_volume(tmp_path / "rgb") as vol:
        assert vol.shape == rgb.shape and vol.ndim == 4 and vol.format == "png-folder"
        np.testing.assert_array_equal(vol[1:, 2:5, ::2], rgb[1:, 2:5, ::2])
    with open_volume(tmp_path / "rgb" / "section_00002.png") as one:
        np.testing.assert_array_equal(one[0], rgb[2])


def test_write_volume_streams_from_a_lazy_source(tmp_path, rng):
    array = random_stack(rng, (12, 8, 8), np.uint8)

    class Source:
        shape, dtype = array.shape, array.dtype
        requested: list = []

        def __getitem__(self, key):
            self.requested.append(key)
            return array[key]

    source = Source()
    vol = open_volume(source)
    vol.block_depth = lambda max_bytes=None: 3
    write_volume(tmp_path / "o.h5", vol, chunks=(1, 8, 8))
    assert len(source.requested) == 4  # 4 blocks of 3 sections, never the whole array
    for key in source.requested:
        assert key[0].stop - key[0].start <= 3
    with open_volume(tmp_path / "o.h5") as out:
        np.testing.assert_array_equal(out[...], array)


def test_write_volume_from_volume_keeps_sampling(tmp_path, rng):
    array = random_stack(rng, (5, 6, 7), np.uint32)
    write_volume(tmp_path / "a.h5", array, sampling=(50, 5, 5))
    with open_volume(tmp_path / "a.h5") as src:
        write_volume(tmp_path / "b.zarr", src, compression="gzip")
    with open_volume(tmp_path / "b.zarr") as out:
        assert out.sampling == (50, 5, 5)
        np.testing.assert_array_equal(out[...], array)


@pytest.mark.parametrize("target", ["hdf5", "zarr", "tiff", "tiff-folder", "png-folder"])
def test_reads_are_lazy(tmp_path, rng, target):
    rel, fmt, _ = TARGETS[target]
    path = str(tmp_path / rel)
    shape = (48, 256, 256)  # 6 MiB of uint16; a section is 128 KiB
    with create_volume(path, shape, np.uint16, format=fmt, compression=None) as vol:
        for z in range(shape[0]):
            vol[z] = z
    total = 2 * np.prod(shape)
    with open_volume(path) as vol:
        vol[0]  # opening costs (headers, caches) are not part of the read
        tracemalloc.start()
        try:
            box = vol[30, 100:120, 5:9]
            tracemalloc.reset_peak()
            box = vol[30, 100:120, 5:9]
            two = vol[10:12]
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert box.shape == (20, 4) and (box == 30).all()
        assert (two[0] == 10).all() and (two[1] == 11).all()
        assert peak < total / 8, f"peak {peak} B for reads of 3 sections of a {total} B volume"


def test_hdf5_reads_touch_only_the_requested_chunks(tmp_path, monkeypatch):
    with create_volume(tmp_path / "c.h5", (20, 32, 32), np.uint8, chunks=(1, 32, 32)) as vol:
        vol[...] = 1
    with open_volume(tmp_path / "c.h5") as vol:
        seen = []
        real = h5py.Dataset.__getitem__

        def spy(self, key, *args, **kwargs):
            seen.append(key)
            return real(self, key, *args, **kwargs)

        monkeypatch.setattr(h5py.Dataset, "__getitem__", spy)
        vol[3:5, :4]
        assert seen == [(slice(3, 5, 1), slice(0, 4, 1), slice(0, 32, 1))]


def test_folder_reads_decode_only_requested_sections(tmp_path, rng, monkeypatch):
    array = random_stack(rng, (10, 4, 4), np.uint8)
    (tmp_path / "f").mkdir()
    write_volume(str(tmp_path / "f" / "*.png"), array)
    from nmjcore.io import _images

    loaded = []
    real = _images._read_png
    monkeypatch.setattr(_images, "_read_png", lambda p: loaded.append(p.name) or real(p))
    with open_volume(tmp_path / "f") as vol:
        loaded.clear()
        np.testing.assert_array_equal(vol[7:2:-2, 1], array[7:2:-2, 1])
    assert loaded == ["section_00003.png", "section_00005.png", "section_00007.png"]


def test_folder_natural_order_and_sidecar(tmp_path, rng):
    folder = tmp_path / "vast"
    folder.mkdir()
    array = random_stack(rng, (11, 3, 4), np.uint8)
    for z in range(11):
        tifffile.imwrite(folder / f"slice{z}.tif", array[z])  # slice10 sorts after slice9
    (folder / "notes.txt").write_text("not a section")
    with open_volume(folder, sampling=(30, 3, 3)) as vol:
        assert vol.format == "tiff-folder" and vol.sampling == (30, 3, 3)
        np.testing.assert_array_equal(vol[...], array)


def test_hdf5_dataset_selection(tmp_path, rng):
    raw = random_stack(rng, (3, 4, 5), np.uint8)
    labels = random_stack(rng, (3, 4, 5), np.uint32)
    path = tmp_path / "many.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("raw", data=raw)
        f.create_dataset("seg/labels", data=labels)
        f.attrs["resolution_nm"] = SAMPLING
    with open_volume(path) as vol:  # several datasets, one named raw
        np.testing.assert_array_equal(vol[...], raw)
        assert vol.sampling == SAMPLING  # found on the file, as in the shared data
    for spelling in (f"{path}:/seg/labels", f"{path}:seg/labels", f"{path}/seg/labels"):
        with open_volume(spelling) as vol:
            np.testing.assert_array_equal(vol[...], labels)
            assert vol.sampling == SAMPLING
    with pytest.raises(DatasetNotFoundError, match="'/missing' not found.*many.h5"):
        open_volume(f"{path}:/missing")
    with pytest.raises(DatasetNotFoundError, match="is a group"):
        open_volume(f"{path}:/seg")
    with h5py.File(tmp_path / "two.h5", "w") as f:
        f.create_dataset("a", data=raw)
        f.create_dataset("b", data=raw)
    with pytest.raises(DatasetNotFoundError, match=r"several datasets \['a', 'b'\]"):
        open_volume(tmp_path / "two.h5")
    with h5py.File(tmp_path / "one.h5", "w") as f:
        f.create_dataset("deep/only", data=labels)
    with open_volume(tmp_path / "one.h5") as vol:
        assert vol.dtype == np.uint32 and vol.path.endswith(":/deep/only")


def test_zarr_array_selection(tmp_path, rng):
    a = random_stack(rng, (2, 3, 4), np.uint16)
    store = str(tmp_path / "s.zarr")
    write_volume(f"{store}/raw", a)
    write_volume(f"{store}:labels", a + 1)
    with open_volume(store) as vol:  # conventional name
        np.testing.assert_array_equal(vol[...], a)
    for spelling in (f"{store}/labels", f"{store}:labels", f"{store}:/labels"):
        with open_volume(spelling) as vol:
            np.testing.assert_array_equal(vol[...], a + 1)
    with pytest.raises(DatasetNotFoundError, match="'nope' not found"):
        open_volume(f"{store}/nope")
    write_volume(str(tmp_path / "t.zarr/x"), a)
    write_volume(str(tmp_path / "t.zarr/y"), a)
    with pytest.raises(DatasetNotFoundError, match="several arrays"):
        open_volume(tmp_path / "t.zarr")


def test_sampling_attribute_names(tmp_path):
    with h5py.File(tmp_path / "s.h5", "w") as f:
        f.create_dataset("a", data=np.zeros((1, 2, 2), np.uint8)).attrs["resolution"] = (45, 5, 5)
        f.create_dataset("b", data=np.zeros((1, 2, 2), np.uint8)).attrs["element_size_um"] = (
            0.05, 0.004, 0.004)
        f.create_dataset("c", data=np.zeros((1, 2, 2), np.uint8)).attrs["resolution_nm"] = (
            0, 1, 1)  # unusable: ignored
    assert open_volume(f"{tmp_path}/s.h5:/a").sampling == (45, 5, 5)
    assert open_volume(f"{tmp_path}/s.h5:/b").sampling == pytest.approx((50, 4, 4))
    assert open_volume(f"{tmp_path}/s.h5:/c").sampling is None
    assert open_volume(f"{tmp_path}/s.h5:/c", sampling=(1, 2, 3)).sampling == (1, 2, 3)


def test_imagej_tiff_sampling(tmp_path):
    data = np.zeros((3, 4, 5), np.uint8)
    tifffile.imwrite(tmp_path / "ij.tif", data, imagej=True, resolution=(250, 250),
                     metadata={"spacing": 0.05, "unit": "micron", "axes": "ZYX"})
    with open_volume(tmp_path / "ij.tif") as vol:
        assert vol.shape == (3, 4, 5)
        assert vol.sampling == pytest.approx((50, 4, 4))
    tifffile.imwrite(tmp_path / "plain.tif", data[0])
    with open_volume(tmp_path / "plain.tif") as vol:
        assert vol.shape == (1, 4, 5) and vol.sampling is None


def test_bad_inputs(tmp_path):
    a = np.zeros((2, 3, 4), np.uint8)
    with pytest.raises(FileNotFoundError, match="nothere.h5"):
        open_volume(tmp_path / "nothere.h5")
    with pytest.raises(FileNotFoundError, match="nothere.zarr"):
        open_volume(tmp_path / "nothere.zarr/raw")
    (tmp_path / "x.xyz").write_text("?")
    with pytest.raises(ValueError, match=r"x\.xyz.*extension"):
        open_volume(tmp_path / "x.xyz")
    with pytest.raises(ValueError, match="format"):
        write_volume(tmp_path / "x.abc", a)
    with pytest.raises(ValueError, match="format"):
        open_volume(tmp_path / "x.xyz", format="jpeg")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no section images"):
        open_volume(tmp_path / "empty")
    with pytest.raises(ValueError, match="folder"):
        write_volume(tmp_path / "empty", a)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_volume(tmp_path / "no" / "such" / "a.h5", a)
    with pytest.raises(TypeError, match="path_or_array"):
        open_volume(3.5)
    with pytest.raises(TypeError, match="array"):
        write_volume(tmp_path / "a.h5", str(tmp_path / "b.h5"))
    with pytest.raises(ValueError, match="shape"):
        create_volume(tmp_path / "a.h5", (2, 3), np.uint8)
    with pytest.raises(ValueError, match="sampling"):
        create_volume(tmp_path / "a.h5", (2, 3, 4), np.uint8, sampling=(1, -2, 3))
    with pytest.raises(ValueError, match="chunks"):
        create_volume(tmp_path / "a.h5", (2, 3, 4), np.uint8, chunks=(1, 0, 4))
    with pytest.raises(ValueError, match="compression"):
        write_volume(tmp_path / "a.h5", a, compression="brotli")
    with pytest.raises(ValueError, match="compression"):
        write_volume(tmp_path / "a.tif", a, compression="zlib")
    with pytest.raises(ValueError, match="PNG"):
        write_volume(tmp_path / "p", a.astype(np.float32), format="png")
    write_volume(tmp_path / "a.h5", a)
    with pytest.raises(FileExistsError, match="overwrite"):
        write_volume(tmp_path / "a.h5", a, overwrite=False)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.docx").write_text("precious")
    with pytest.raises(ValueError, match="other than sections"):
        write_volume(tmp_path / "mine", a, format="png-folder")
    assert (tmp_path / "mine" / "thesis.docx").read_text() == "precious"
    with pytest.raises(ValueError, match="does not fit"):
        create_volume(None, (2, 3, 4), np.uint8)[0] = np.zeros((5, 5))


def test_public_names():
    import nmjcore

    assert nmjcore.io is nio
    assert "io" in nmjcore.__all__
    for name in ("open_volume", "write_volume", "create_volume", "atomic_path", "RoiWindows",
                 "labels_to_rgb", "rgb_to_labels", "Volume"):
        assert hasattr(nmjcore.io, name)


# -- the real EM volumes ---------------------------------------------------------------------

def shared_path(name):
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"real EM data not found at {path} (present in CI; see "
                    "shared/data/PROVENANCE.md)")
    return path


@pytest.mark.shared_data
def test_shared_isbi_volume(tmp_path):
    path = shared_path("isbi2012.h5")
    with h5py.File(path, "r") as f:
        raw = f["raw"][...]
        membrane5 = f["membrane"][5]
    with open_volume(path) as vol:  # three datasets: `raw` chosen by its name
        assert vol.shape == (30, 512, 512) and vol.dtype == np.uint8
        assert vol.sampling is not None and len(vol.sampling) == 3
        np.testing.assert_array_equal(vol[...], raw)
        np.testing.assert_array_equal(vol[10:20:3, 100:300, ::7], raw[10:20:3, 100:300, ::7])
        write_volume(tmp_path / "isbi.zarr", vol)
    with open_volume(f"{path}:/membrane") as vol:
        np.testing.assert_array_equal(vol[5], membrane5)
    with open_volume(tmp_path / "isbi.zarr") as copy:
        np.testing.assert_array_equal(copy[...], raw)


@pytest.mark.shared_data
def test_shared_vnc_volume(tmp_path):
    path = shared_path("vnc_stack1.h5")
    with h5py.File(path, "r") as f:
        classes = f["classes"][3:5, :256, 512:]
        sampling = tuple(float(v) for v in f.attrs["resolution_nm"])
    with open_volume(f"{path}:/classes") as vol:
        assert vol.shape == (20, 1024, 1024)
        assert vol.sampling == sampling
        np.testing.assert_array_equal(vol[3:5, :256, 512:], classes)
        (tmp_path / "pngs").mkdir()
        write_volume(str(tmp_path / "pngs" / "*.png"), vol)
    with open_volume(tmp_path / "pngs") as pngs:
        assert pngs.sampling == sampling
        np.testing.assert_array_equal(pngs[3:5, :256, 512:], classes)
