from __future__ import annotations

from pathlib import Path

import os

import numpy as np
import pytest
from hypothesis import settings

# CI runs the same examples every time, so a red run can be reproduced; locally they vary.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

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


@pytest.fixture
def torch_one_thread():
    """Tiny tensors run on one thread: a thread pool costs more than it gives at these sizes."""
    torch = pytest.importorskip("torch")
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)
