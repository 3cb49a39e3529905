"""The demo's results folder: volumes, tracing tables, metrics and the overview figure."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .. import io
from ..analysis import Table


def write_volumes(path, sampling, **volumes) -> Path:
    """Each (Z, Y, X) array as the dataset of its keyword in one HDF5 file."""
    for name, array in volumes.items():
        io.write_volume(f"{path}:{name}", array, sampling=sampling)
    return Path(path)


def write_structured_csv(path, rows: np.ndarray) -> Path:
    """A structured array (a Trace's links, queue or conflicts) as CSV, one field a column."""
    Table({name: rows[name] for name in rows.dtype.names}).to_csv(path)
    return Path(path)


def write_json(path, data: dict) -> Path:
    with io.atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps(data, indent=1, default=float))
    return Path(path)


def overview_png(path, em, probability, ids, truth, sampling, z) -> Path:
    """Section ``z`` through the job: EM, axon probability, traced ids and true ids."""
    from .. import viz
    from ..viz._figure import new_figure, save

    fig = new_figure((10.0, 10.0), dpi=100)
    axes = fig.subplots(2, 2)
    axes[0, 0].imshow(em[z], cmap="gray", vmin=0, vmax=255)
    axes[0, 0].set_title(f"EM section z = {z} (after preprocessing)")
    im = axes[0, 1].imshow(probability[z], cmap="magma", vmin=0, vmax=1)
    axes[0, 1].set_title("axon probability")
    fig.colorbar(im, ax=axes[0, 1], fraction=0.046)
    colors, _ = viz.color_tables(np.concatenate([np.unique(ids), np.unique(truth)]))
    axes[1, 0].imshow(viz.overlay(em[z], ids[z], colors=colors))
    axes[1, 0].set_title(f"traced axon ids ({len(np.unique(ids[z])) - 1} in this section)")
    axes[1, 1].imshow(viz.overlay(em[z], truth[z], colors=colors))
    axes[1, 1].set_title(f"ground truth ({len(np.unique(truth[z])) - 1} in this section)")
    for ax in axes.flat:
        ax.set_axis_off()
    fig.suptitle(f"{em.shape[1] * sampling[1] / 1e3:.1f} µm field, "
                 f"section {sampling[0]:.0f} nm thick")
    fig.tight_layout()
    return save(fig, path)
