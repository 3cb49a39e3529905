"""The examples in the preprocessing docstrings run and print what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest

import nmjcore.preprocess as preprocess

MODULES = ["bad_sections", "flicker", "groundtruth", "mip", "padding", "statistics"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"nmjcore.preprocess.{name}")
    failed, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failed == 0


def test_public_names():
    for name in preprocess.__all__:
        assert hasattr(preprocess, name), name
    import nmjcore as nc

    assert nc.preprocess.deflicker is preprocess.deflicker
    assert nc.preprocess.detect_bad_sections is preprocess.detect_bad_sections
    assert callable(nc.preprocess.groundtruth.prepare_training_set)
