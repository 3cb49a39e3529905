from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_volume(name: str, dataset: str) -> np.ndarray:
    """A dataset of one of the real EM volumes in ../shared/data, or a skip saying why."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"real EM data not found at {path} (present in CI; see shared/data/PROVENANCE.md)")
    import h5py

    with h5py.File(path, "r") as f:
        return f[dataset][...]


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
