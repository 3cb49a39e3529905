"""nmjcore.io colour labels: RGB exports <-> integer ids with a reproducible colour table."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nmjcore.io import (label_color, labels_to_rgb, open_volume, read_color_table,
                        rgb_to_labels, write_color_table, write_volume)


def test_label_color_is_deterministic_and_never_black():
    colours = [label_color(i) for i in range(1, 2001)]
    assert colours == [label_color(i) for i in range(1, 2001)]
    assert label_color(0) == (0, 0, 0)
    assert all(max(c) >= 160 for c in colours)  # bright enough to see, never black
    steps = [np.abs(np.subtract(a, b)).sum() for a, b in zip(colours, colours[1:])]
    assert min(steps) > 0
    assert np.median(steps) > 120  # neighbouring ids look different
    assert label_color(2**32 - 1) != label_color(2**32 - 2)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.uint32, np.uint64, np.int32])
def test_round_trip(rng, dtype):
    top = min(np.iinfo(dtype).max, 2**40)
    ids = np.unique(np.concatenate([[0, 1, top, top - 1], rng.integers(0, top, 300)]))
    labels = rng.choice(ids, size=(3, 40, 50)).astype(dtype)
    rgb, table = labels_to_rgb(labels)
    assert rgb.shape == labels.shape + (3,) and rgb.dtype == np.uint8
    assert not rgb[labels == 0].any()
    assert len(set(table.values())) == len(table)  # one colour per id
    back, table2 = rgb_to_labels(rgb, table, dtype=dtype)
    assert back.dtype == dtype
    np.testing.assert_array_equal(back, labels)
    assert table2 == table


def test_many_ids_no_collisions():
    labels = np.arange(20000, dtype=np.uint32).reshape(100, 200)
    rgb, table = labels_to_rgb(labels)
    assert len({tuple(c) for c in rgb.reshape(-1, 3).tolist()}) == 20000
    back, _ = rgb_to_labels(rgb, table)
    np.testing.assert_array_equal(back, labels)


def test_table_is_kept_and_extended():
    rgb1, table = labels_to_rgb(np.array([[0, 3]]), {3: (1, 2, 3)})
    assert rgb1[0, 1].tolist() == [1, 2, 3]
    rgb2, table2 = labels_to_rgb(np.array([[5, 3]]), table)
    assert table2[3] == (1, 2, 3) and 5 in table2 and 5 not in table
    assert rgb2[0, 0].tolist() == list(table2[5])


def test_unknown_colours_get_ids_in_packed_order():
    image = np.zeros((3, 3, 3), np.uint8)
    image[0, 0] = (0, 1, 0)     # 256
    image[1, 1] = (0, 0, 200)   # 200
    image[2, 2] = (9, 0, 0)     # 589824
    image[2, 0] = (0, 1, 0)
    labels, table = rgb_to_labels(image)
    assert labels[1, 1] == 1 and labels[0, 0] == 2 and labels[2, 0] == 2 and labels[2, 2] == 3
    assert labels[0, 1] == 0
    known = {0: (0, 0, 0), 10: (9, 0, 0)}
    labels, table = rgb_to_labels(image, known)
    assert labels[2, 2] == 10 and labels[1, 1] == 11 and labels[0, 0] == 12
    assert known == {0: (0, 0, 0), 10: (9, 0, 0)}  # input table untouched
    rgba = np.concatenate([image, np.full((3, 3, 1), 255, np.uint8)], axis=-1)
    np.testing.assert_array_equal(rgb_to_labels(rgba, known)[0], labels)


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.uint32, hnp.array_shapes(min_dims=1, max_dims=3, max_side=8),
                  elements=st.integers(0, 2**32 - 1) | st.integers(0, 5)))
def test_round_trip_property(labels):
    rgb, table = labels_to_rgb(labels)
    back, _ = rgb_to_labels(rgb, table)
    np.testing.assert_array_equal(back, labels)
    fresh, new_table = rgb_to_labels(rgb)  # without the table: same partition, new ids
    assert len(np.unique(fresh)) == len(np.unique(labels))
    assert ((fresh == 0) == (labels == 0)).all()


def test_png_export_round_trip(tmp_path, rng):
    labels = rng.integers(0, 40, size=(4, 16, 20), dtype=np.uint32) * 1000
    rgb, table = labels_to_rgb(labels)
    write_volume(str(tmp_path / "vast" / "*.png"), rgb)
    write_color_table(tmp_path / "colors.csv", table)
    with open_volume(tmp_path / "vast") as vol:
        reread = read_color_table(tmp_path / "colors.csv")
        assert reread == table
        sections = [rgb_to_labels(section, reread)[0] for section in vol]
    np.testing.assert_array_equal(np.stack(sections), labels)


def test_bad_inputs(tmp_path):
    with pytest.raises(TypeError, match="rgb: expected uint8"):
        rgb_to_labels(np.zeros((2, 2, 3), np.float32))
    with pytest.raises(ValueError, match=r"rgb: expected shape \(\.\.\., 3\)"):
        rgb_to_labels(np.zeros((2, 2, 2), np.uint8))
    with pytest.raises(TypeError, match="labels: expected an integer"):
        labels_to_rgb(np.zeros((2, 2), np.float32))
    with pytest.raises(ValueError, match="non-negative"):
        labels_to_rgb(np.array([[-1, 2]]))
    with pytest.raises(ValueError, match="share the colour"):
        labels_to_rgb(np.zeros((1, 1), np.uint8), {1: (5, 5, 5), 2: (5, 5, 5)})
    with pytest.raises(ValueError, match="black is reserved"):
        rgb_to_labels(np.zeros((1, 1, 3), np.uint8), {4: (0, 0, 0)})
    with pytest.raises(ValueError, match="0..255"):
        labels_to_rgb(np.zeros((1, 1), np.uint8), {1: (256, 0, 0)})
    with pytest.raises(TypeError, match="colors: expected a dict"):
        labels_to_rgb(np.zeros((1, 1), np.uint8), [(1, 2, 3)])
    image = np.zeros((1, 300, 3), np.uint8)
    image[0, :, 0] = np.arange(300) % 256
    image[0, :, 1] = np.arange(300) // 256
    with pytest.raises(ValueError, match="do not fit uint8"):
        rgb_to_labels(image, dtype=np.uint8)
    with pytest.raises(FileNotFoundError, match="none.csv"):
        read_color_table(tmp_path / "none.csv")
    (tmp_path / "t.csv").write_text("label,red\n1,2\n")
    with pytest.raises(ValueError, match="id,r,g,b"):
        read_color_table(tmp_path / "t.csv")
