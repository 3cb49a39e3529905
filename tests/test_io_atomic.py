"""nmjcore.io atomic writes: nothing appears half-written, a crash keeps the previous data."""

from __future__ import annotations

import os

import h5py
import numpy as np
import pytest

from nmjcore.io import atomic_path, create_volume, open_volume, write_volume


class Crash(Exception):
    pass


def listing(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def test_atomic_file_success_and_crash(tmp_path):
    target = tmp_path / "links.csv"
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".csv" and not tmp.exists()
        tmp.write_text("old")
        assert not target.exists()
    assert target.read_text() == "old"
    with pytest.raises(Crash):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise Crash
    assert target.read_text() == "old"
    assert listing(tmp_path) == ["links.csv"]
    with atomic_path(target, fsync=True) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new"
    with atomic_path(target):
        pass  # nothing written: nothing replaced
    assert target.read_text() == "new"
    assert listing(tmp_path) == ["links.csv"]


def test_atomic_folder_replaces_folder(tmp_path):
    target = tmp_path / "pngs"
    target.mkdir()
    (target / "old.png").write_text("old")
    with pytest.raises(Crash):
        with atomic_path(target) as tmp:
            tmp.mkdir()
            (tmp / "new.png").write_text("new")
            raise Crash
    assert listing(tmp_path) == ["pngs", "pngs/old.png"]
    with atomic_path(target) as tmp:
        tmp.mkdir()
        (tmp / "new.png").write_text("new")
    assert listing(tmp_path) == ["pngs", "pngs/new.png"]


def test_atomic_path_needs_an_existing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing"):
        with atomic_path(tmp_path / "missing" / "a.json"):
            pass


TARGETS = {
    "hdf5": ("stack.h5", None),
    "zarr": ("stack.zarr", None),
    "tiff": ("stack.tif", None),
    "tiff-folder": ("tifs", "tiff-folder"),
    "png-folder": ("pngs", "png-folder"),
}


@pytest.mark.parametrize("target", list(TARGETS))
def test_crash_mid_write_keeps_previous_volume(tmp_path, target):
    rel, fmt = TARGETS[target]
    path = str(tmp_path / rel)
    previous = np.full((8, 6, 5), 1, np.uint8)
    write_volume(path, previous, format=fmt, sampling=(40, 4, 4))
    before = listing(tmp_path)
    with pytest.raises(Crash):
        with create_volume(path, (8, 6, 5), np.uint8, format=fmt) as vol:
            vol[:4] = 2  # half written
            raise Crash
    assert vol.closed
    assert listing(tmp_path) == before  # no temporary left behind
    with open_volume(path) as old:
        np.testing.assert_array_equal(old[...], previous)
        assert old.sampling == (40, 4, 4)
    with create_volume(path, (8, 6, 5), np.uint8, format=fmt) as vol:
        vol[:] = 3
    with open_volume(path) as new:
        assert (new[...] == 3).all() and new.sampling is None
    assert listing(tmp_path) == before or target.endswith("folder")


@pytest.mark.parametrize("target", list(TARGETS))
def test_crash_without_previous_leaves_nothing(tmp_path, target):
    rel, fmt = TARGETS[target]
    with pytest.raises(Crash):
        with create_volume(str(tmp_path / rel), (4, 3, 3), np.uint16, format=fmt) as vol:
            vol[0] = 9
            raise Crash
    assert listing(tmp_path) == []


def test_crash_inside_existing_hdf5_keeps_other_datasets(tmp_path):
    path = tmp_path / "job.h5"
    raw = np.arange(60, dtype=np.uint8).reshape(3, 4, 5)
    with h5py.File(path, "w") as f:
        f.create_dataset("raw", data=raw)
        f.create_dataset("labels", data=np.ones((3, 4, 5), np.uint32))
    with pytest.raises(Crash):
        with create_volume(f"{path}:/labels", (3, 4, 5), np.uint32) as vol:
            vol[0] = 7
            raise Crash
    with h5py.File(path, "r") as f:
        assert sorted(f) == ["labels", "raw"]
        assert (f["labels"][...] == 1).all()
    with create_volume(f"{path}:/labels", (3, 4, 5), np.uint32) as vol:
        vol[...] = 5
    with create_volume(f"{path}:/probs/axon", (3, 4, 5), np.float32) as vol:
        vol[...] = 0.5
    with h5py.File(path, "r") as f:
        assert sorted(f) == ["labels", "probs", "raw"] and list(f["probs"]) == ["axon"]
        np.testing.assert_array_equal(f["raw"][...], raw)
        assert (f["labels"][...] == 5).all()
    assert listing(tmp_path) == ["job.h5"]


def test_crash_inside_existing_zarr_keeps_other_arrays(tmp_path):
    store = tmp_path / "job.zarr"
    write_volume(f"{store}/raw", np.full((2, 3, 4), 4, np.uint8))
    write_volume(f"{store}/labels", np.ones((2, 3, 4), np.uint32))
    before = listing(tmp_path)
    with pytest.raises(Crash):
        with create_volume(f"{store}/labels", (2, 3, 4), np.uint32) as vol:
            vol[0] = 7
            raise Crash
    assert listing(tmp_path) == before
    with open_volume(f"{store}/labels") as vol:
        assert (vol[...] == 1).all()
    with open_volume(f"{store}/raw") as vol:
        assert (vol[...] == 4).all()


def test_write_volume_failing_source_keeps_previous(tmp_path):
    path = tmp_path / "a.h5"
    write_volume(path, np.ones((6, 4, 4), np.uint8))

    class Failing:
        shape, dtype = (6, 4, 4), np.dtype(np.uint8)

        def __getitem__(self, key):
            if key[0].start >= 2:
                raise OSError("source went away")
            return np.full((key[0].stop - key[0].start, 4, 4), 9, np.uint8)

    source = open_volume(Failing())
    source.block_depth = lambda max_bytes=None: 2
    with pytest.raises(OSError, match="went away"):
        write_volume(path, source)
    assert listing(tmp_path) == ["a.h5"]
    with open_volume(path) as vol:
        assert (vol[...] == 1).all()


def test_close_commits_and_abort_discards(tmp_path):
    vol = create_volume(tmp_path / "c.zarr", (2, 2, 2), np.uint8)
    vol[...] = 1
    assert not os.path.exists(tmp_path / "c.zarr")
    vol.close()
    vol.close()  # idempotent
    assert open_volume(tmp_path / "c.zarr")[...].sum() == 8
    vol = create_volume(tmp_path / "c.zarr", (2, 2, 2), np.uint8)
    vol.abort()
    assert open_volume(tmp_path / "c.zarr")[...].sum() == 8
    assert listing(tmp_path)[0] == "c.zarr"
    assert all(not name.startswith(".") for name in listing(tmp_path))


def test_leftover_temporaries_are_never_chosen(tmp_path):
    path = tmp_path / "job.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("labels", data=np.ones((2, 2, 2), np.uint32))
        f.create_dataset(".labels.0123abcd.tmp", data=np.zeros((2, 2, 2), np.uint32))
    with open_volume(path) as vol:
        assert vol.path.endswith(":/labels")


def test_array_added_to_a_format_2_store_stays_format_2(tmp_path):
    import zarr

    store = tmp_path / "v2.zarr"
    group = zarr.open_group(str(store), mode="w", zarr_format=2)
    group.create_array("raw", shape=(2, 3, 4), dtype="uint8")
    for compression in ("default", "gzip", None):
        write_volume(f"{store}/labels", np.full((2, 3, 4), 6, np.uint32),
                     compression=compression)
        assert (store / "labels" / ".zarray").exists()
        with open_volume(f"{store}/labels") as vol:
            assert (vol[...] == 6).all()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
@pytest.mark.parametrize("target", list(TARGETS))
def test_killed_writer_keeps_previous_volume(tmp_path, target):
    """A process that dies mid-write (no exception handler, no cleanup runs) leaves the
    previous volume readable and whole; its leftovers never stand under the final name."""
    rel, fmt = TARGETS[target]
    path = str(tmp_path / rel)
    previous = np.arange(8 * 6 * 5, dtype=np.uint16).reshape(8, 6, 5)
    write_volume(path, previous, format=fmt, sampling=(40, 4, 4))
    pid = os.fork()
    if pid == 0:  # the writer: half a volume, then killed
        try:
            vol = create_volume(path, (8, 6, 5), np.uint16, format=fmt)
            vol[:4] = 7
        finally:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 1
    with open_volume(path) as old:
        np.testing.assert_array_equal(old[...], previous)
        assert old.sampling == (40, 4, 4)
    write_volume(path, previous + 1, format=fmt)  # the leftovers do not block a new write
    with open_volume(path) as new:
        np.testing.assert_array_equal(new[...], previous + 1)
