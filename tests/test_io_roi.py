"""nmjcore.io ROI windows: tables, validation, crop and exact paste back."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nmjcore.io import RoiWindows, create_volume, open_volume, write_volume

# The lab's table (sections 0-80 at x 10809-20685, y 5448-11102; 81-144 at x 9200-19076,
# y 4649-10303; a third range added), y and x divided by 100 so the stack stays small.
LAB_ROWS = [
    (0, 80, 54, 111, 108, 206),
    (81, 144, 46, 103, 92, 190),
    (145, 159, 40, 90, 100, 170),
]
LAB_SHAPE = (160, 120, 220)


@pytest.fixture
def lab(rng):
    stack = rng.integers(1, 256, size=LAB_SHAPE, dtype=np.uint8)
    return RoiWindows(LAB_ROWS), stack


def test_geometry(lab):
    windows, _ = lab
    assert len(windows) == 3 and windows.z_start == 0 and windows.z_end == 159
    assert windows.n_sections == 160
    assert windows.height == 58 and windows.width == 99  # inclusive: 111 - 54 + 1
    offsets = windows.offsets
    assert offsets.shape == (160, 3) and offsets.dtype == np.int64
    assert offsets[0].tolist() == [0, 54, 108] and offsets[80].tolist() == [80, 54, 108]
    assert offsets[81].tolist() == [81, 46, 92] and offsets[159].tolist() == [159, 40, 100]
    assert windows.window_of(100).z_start == 81
    with pytest.raises(ValueError, match="outside"):
        windows.window_of(160)


def test_crop_and_paste_back_exactly(lab):
    windows, stack = lab
    roi, offsets = windows.crop(stack, pad_value=0)
    assert roi.shape == (160, 58, 99) and roi.dtype == np.uint8
    np.testing.assert_array_equal(offsets, windows.offsets)
    data = roi[...]
    for i, (z, y0, x0) in enumerate(offsets):
        w = windows.window_of(int(z))
        np.testing.assert_array_equal(data[i, :w.height, :w.width],
                                      stack[z, y0:y0 + w.height, x0:x0 + w.width])
        assert not data[i, w.height:].any() and not data[i, :, w.width:].any()  # padding
    back = windows.paste(data, out_shape=stack.shape)
    inside = np.zeros(stack.shape, bool)
    for w in windows:
        inside[w.z_start:w.z_end + 1, w.y_start:w.y_end + 1, w.x_start:w.x_end + 1] = True
    np.testing.assert_array_equal(back[inside], stack[inside])
    assert not back[~inside].any()
    into = stack.copy()
    into[inside] = 0
    assert windows.paste(data, into=into) is into
    np.testing.assert_array_equal(into, stack)


def test_roi_volume_is_lazy_and_indexes_like_numpy(tmp_path, lab):
    windows, stack = lab
    write_volume(tmp_path / "stack.h5", stack, sampling=(40, 4, 4))
    with open_volume(tmp_path / "stack.h5") as vol:
        roi, _ = windows.crop(vol, pad_value=7)
        assert roi.sampling == (40, 4, 4)
        full = roi[...]
        for key in [(slice(70, 90, 3), slice(None, None, 5), slice(90, None)),
                    (80, slice(50, None), -1), (slice(None, None, -7), 57, slice(None, 20, 4)),
                    (Ellipsis, 98), (slice(140, 150), slice(40, 60), slice(60, 80))]:
            np.testing.assert_array_equal(roi[key], full[key], err_msg=str(key))
        assert full[0, 57, 98] == stack[0, 54 + 57, 108 + 98]
        assert full[159, 57, 98] == 7  # third window is 51 x 71: padding
        write_volume(tmp_path / "roi.zarr", roi)
    with open_volume(tmp_path / "roi.zarr") as saved:
        np.testing.assert_array_equal(saved[...], full)
    roi_from_path, _ = windows.crop(str(tmp_path / "stack.h5"))
    with roi_from_path:
        np.testing.assert_array_equal(roi_from_path[100], windows.crop(stack)[0][100])


def test_paste_labels_into_a_volume_on_disk(tmp_path, lab, rng):
    windows, stack = lab
    labels = rng.integers(0, 2**32, size=(160, 58, 99), dtype=np.uint32)
    with create_volume(tmp_path / "labels.h5", stack.shape, np.uint32) as out:
        windows.paste(labels, into=out)
    with open_volume(tmp_path / "labels.h5") as got:
        w = windows.windows[1]
        np.testing.assert_array_equal(got[100, w.y_start:w.y_end + 1, w.x_start:w.x_end + 1],
                                      labels[100, :w.height, :w.width])
        assert not got[100, :w.y_start].any()


def test_colour_stack_crop(rng):
    rgb = rng.integers(0, 256, size=(4, 10, 12, 3), dtype=np.uint8)
    windows = RoiWindows([(0, 1, 0, 4, 0, 5), (2, 3, 3, 9, 2, 11)])
    roi, _ = windows.crop(rgb)
    assert roi.shape == (4, 7, 10, 3)
    np.testing.assert_array_equal(roi[2, :7, :10], rgb[2, 3:10, 2:12])
    back = windows.paste(roi[...], out_shape=rgb.shape)
    np.testing.assert_array_equal(back[3, 3:10, 2:12], rgb[3, 3:10, 2:12])


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_crop_paste_round_trip_property(data):
    depth, height, width = 12, 9, 11
    stack = np.arange(depth * height * width, dtype=np.uint32).reshape(depth, height, width) + 1
    cuts = sorted(data.draw(st.sets(st.integers(1, depth - 1), max_size=4)))
    bounds = [0, *cuts, depth]
    rows = []
    for z0, z1 in zip(bounds[:-1], bounds[1:]):
        y0 = data.draw(st.integers(0, height - 1))
        y1 = data.draw(st.integers(y0, height - 1))
        x0 = data.draw(st.integers(0, width - 1))
        x1 = data.draw(st.integers(x0, width - 1))
        rows.append((z0, z1 - 1, y0, y1, x0, x1))
    windows = RoiWindows(rows)
    roi, offsets = windows.crop(stack)
    back = windows.paste(roi[...], out_shape=stack.shape)
    for (z0, z1, y0, y1, x0, x1) in rows:
        np.testing.assert_array_equal(back[z0:z1 + 1, y0:y1 + 1, x0:x1 + 1],
                                      stack[z0:z1 + 1, y0:y1 + 1, x0:x1 + 1])
    assert int((back > 0).sum()) == sum((r[1] - r[0] + 1) * (r[3] - r[2] + 1) * (r[5] - r[4] + 1)
                                        for r in rows)


def test_csv_and_json_round_trip(tmp_path, lab):
    windows, _ = lab
    windows.write(tmp_path / "w.csv")
    windows.write(tmp_path / "w.json")
    assert (tmp_path / "w.csv").read_text().splitlines()[0] == \
        "z_start,z_end,y_start,y_end,x_start,x_end"
    assert RoiWindows.read(tmp_path / "w.csv") == windows
    assert RoiWindows.read(tmp_path / "w.json") == windows
    assert json.loads((tmp_path / "w.json").read_text())["convention"] == "inclusive"
    (tmp_path / "lab.csv").write_text(
        "x_start,x_end,y_start,y_end,z_start,z_end,note\n"
        "10809,20685,5448,11102,0,80,first\n\n"
        " 9200, 19076,4649,10303,81,144,drift\n")
    lab_table = RoiWindows.read(tmp_path / "lab.csv")
    assert lab_table.windows[1].x_start == 9200 and lab_table.width == 9877
    (tmp_path / "bare.json").write_text(json.dumps([dict(zip(RoiWindows.columns, r))
                                                    for r in LAB_ROWS]))
    assert RoiWindows.read(tmp_path / "bare.json") == windows


@pytest.mark.parametrize("rows, message", [
    ([(0, 10, 0, 5, 0, 5), (5, 20, 0, 5, 0, 5)], "rows 1 and 2 overlap: sections 0-10 and 5-20"),
    ([(11, 20, 0, 5, 0, 5), (0, 10, 0, 5, 0, 5)], "out of order"),
    ([(0, 10, 0, 5, 0, 5), (12, 20, 0, 5, 0, 5)], "sections 11-11 .* have no window"),
    ([(0, 10, 6, 5, 0, 5)], "row 1: y_end 5 is before y_start 6"),
    ([(0, 10, 0, 5, -1, 5)], "x_start is negative"),
    ([(0, 10, 0, 5, 0)], "expected 6 values"),
    ([(0, 10, 0, 5, 0, "wide")], "x_end: expected an integer"),
    ([(0, 10, 0, 5, 0, 2.5)], "expected an integer"),
    ([{"z_start": 0, "z_end": 1}], "missing y_start"),
    ([], "no windows"),
])
def test_bad_tables(rows, message):
    with pytest.raises((ValueError, TypeError), match=message):
        RoiWindows(rows)


def test_bad_table_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        RoiWindows.read(tmp_path / "nope.csv")
    (tmp_path / "w.xlsx").write_text("")
    with pytest.raises(ValueError, match="xlsx"):
        RoiWindows.read(tmp_path / "w.xlsx")
    (tmp_path / "cols.csv").write_text("z0,z1,y0,y1,x0,x1\n0,1,0,1,0,1\n")
    with pytest.raises(ValueError, match=r"cols.csv.*lacks z_start"):
        RoiWindows.read(tmp_path / "cols.csv")
    (tmp_path / "over.csv").write_text(
        "z_start,z_end,y_start,y_end,x_start,x_end\n0,80,0,1,0,1\n80,90,0,1,0,1\n")
    with pytest.raises(ValueError, match=r"over.csv: rows 1 and 2 overlap"):
        RoiWindows.read(tmp_path / "over.csv")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        RoiWindows.read(tmp_path / "bad.json")
    (tmp_path / "conv.json").write_text(json.dumps({"convention": "half-open", "windows": []}))
    with pytest.raises(ValueError, match="half-open"):
        RoiWindows.read(tmp_path / "conv.json")
    with pytest.raises(ValueError, match=".csv or .json"):
        RoiWindows([(0, 1, 0, 1, 0, 1)]).write(tmp_path / "w.txt")


def test_windows_outside_the_stack(lab):
    windows, stack = lab
    with pytest.raises(ValueError, match=r"row 1 \(sections 0-80, y 54-111, x 108-206\) lies "
                                         r"outside the volume of shape \(160, 120, 200\)"):
        windows.crop(stack[:, :, :200])
    with pytest.raises(ValueError, match=r"row 3 .*outside"):
        windows.crop(stack[:150])
    with pytest.raises(ValueError, match="out_shape"):
        windows.paste(np.zeros((160, 58, 99), np.uint8), out_shape=(160, 100, 100))
    with pytest.raises(ValueError, match=r"roi: expected shape \(160, 58, 99\)"):
        windows.paste(np.zeros((160, 58, 98), np.uint8), out_shape=stack.shape)
    with pytest.raises(ValueError, match="exactly one"):
        windows.paste(np.zeros((160, 58, 99), np.uint8))
    with pytest.raises(ValueError, match="pad_value"):
        windows.crop(stack, pad_value=-1)
    with pytest.raises(ValueError, match="pad_value"):
        windows.crop(stack, pad_value=0.5)
