"""``nmjcore demo``: every stage that exists, run on a built-in synthetic stack.

The demo needs no data and no arguments: it generates a phantom with exact ground truth,
runs the kernels on it next to their peers, checks what they measure against the truth, and
writes a results folder (the stack as HDF5, a JSON summary and an overview PNG).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from .. import io, ops, synth


@dataclass
class DemoResult:
    output_dir: Path
    summary: dict
    files: list[Path] = field(default_factory=list)


def _timed(fn):
    t0 = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t0


def _section_calibres(ph, threads, progress):
    """Per axon cross-section: true diameter vs area-equivalent diameter and minimum width.

    Uses 2D connected components of each section's axon mask as the segments (what a perfect
    network would hand to the later stages) and the multi-label distance transform for the
    widest inscribed disc. Only cross-sections whose axon has one segment in that section are
    compared, so branches do not blur the truth.
    """
    pixel_nm = float(ph.sampling[1])
    rows = []
    n_segments = 0
    exact_sections = 0
    for z in tqdm(range(ph.axons.shape[0]), desc="sections", disable=not progress, leave=False):
        ids = ph.axons[z]
        segments, n, counts = ops.connected_components(ids, connectivity=4, return_counts=True,
                                                       threads=threads)
        n_segments += n
        true_ids = np.unique(ids[ids != 0])
        exact_sections += int(n == len(true_ids))
        if n == 0:
            continue
        dist = ops.distance_transform(segments, (pixel_nm, pixel_nm), labels=True, threads=threads)
        flat = segments.ravel()
        max_dist = np.zeros(n + 1, np.float64)
        np.maximum.at(max_dist, flat, dist.ravel())
        axon_of = np.zeros(n + 1, np.uint32)
        axon_of[flat] = ids.ravel()
        for seg in range(1, n + 1):
            axon = int(axon_of[seg])
            owners = np.flatnonzero((ph.segment_axon == axon) & np.isfinite(ph.radii[:, z]))
            if len(owners) != 1 or np.count_nonzero(axon_of == axon) != 1:
                continue
            rows.append((axon, z, 2.0 * ph.radii[owners[0], z] * pixel_nm,
                         2.0 * np.sqrt(counts[seg] / np.pi) * pixel_nm, 2.0 * max_dist[seg]))
    return np.array(rows, dtype=np.float64).reshape(-1, 5), n_segments, exact_sections


def _peer_timings(ph, threads):
    import cc3d
    import edt

    mask = ph.axons != 0
    timings = {}
    _, timings["nmjcore distance_transform"] = _timed(
        lambda: ops.distance_transform(ph.axons, ph.sampling, labels=True, threads=threads))
    _, timings["edt.edt"] = _timed(
        lambda: edt.edt(ph.axons, anisotropy=ph.sampling, parallel=threads))
    (_, n3d), timings["nmjcore connected_components"] = _timed(
        lambda: ops.connected_components(mask, connectivity=26, threads=threads))
    _, timings["cc3d.connected_components"] = _timed(
        lambda: cc3d.connected_components(mask, connectivity=26))
    return timings, n3d


def _overview_png(ph, calibres, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .. import viz

    z = next((i for i in range(ph.raw.shape[0] // 2, ph.raw.shape[0]) if i not in ph.bad_sections),
             0)
    dist = ops.distance_transform(ph.axons[z], ph.sampling[1:], labels=True)
    fig, axes = plt.subplots(2, 2, figsize=(10, 10), dpi=100)
    axes[0, 0].imshow(ph.raw[z], cmap="gray", vmin=0, vmax=255)
    axes[0, 0].set_title(f"EM section z={z}")
    axes[0, 1].imshow(viz.overlay(ph.raw[z], ph.axons[z]))
    axes[0, 1].set_title("ground-truth axon ids")
    im = axes[1, 0].imshow(dist / 1000.0, cmap="magma")
    axes[1, 0].set_title("distance transform (µm)")
    fig.colorbar(im, ax=axes[1, 0], fraction=0.046)
    for ax in axes.flat[:3]:
        ax.set_axis_off()
    ax = axes[1, 1]
    if len(calibres):
        true_um, area_um, width_um = calibres[:, 2] / 1e3, calibres[:, 3] / 1e3, calibres[:, 4] / 1e3
        ax.scatter(true_um, area_um, s=4, alpha=0.4, label="area-equivalent diameter")
        ax.scatter(true_um, width_um, s=4, alpha=0.4, label="minimum width (2 × max EDT)")
        lim = [0, max(true_um.max(), area_um.max()) * 1.05]
        ax.plot(lim, lim, "k--", lw=1, label="truth")
        ax.set_xlim(lim)
        ax.set_ylim(lim)
        ax.legend(loc="upper left", fontsize=8)
    ax.set_xlabel("true diameter (µm)")
    ax.set_ylabel("measured (µm)")
    ax.set_title("calibre per axon cross-section")
    fig.tight_layout()
    with io.atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)


def run_demo(output_dir="nmjcore-demo", *, shape=(48, 512, 512), n_axons=40, seed=0,
             threads=None, progress=True, echo=print) -> DemoResult:
    """Run the demo and write its results folder.

    Parameters
    ----------
    output_dir : str or Path
        Folder for ``phantom.h5``, ``summary.json`` and ``overview.png`` (created).
    shape, n_axons, seed
        The phantom to generate (see :func:`nmjcore.synth.phantom`).
    threads : int, optional
        Worker threads for the kernels; default all cores.
    progress : bool
        Show progress bars.
    echo : callable
        Where the report lines go.
    """
    threads = ops._validate.resolve_threads(threads)
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    stage_seconds = {}

    ph, stage_seconds["phantom"] = _timed(lambda: synth.phantom(shape, n_axons=n_axons, seed=seed))
    z, y, x = ph.raw.shape
    echo(f"nmjcore demo: synthetic stack {z}x{y}x{x}, sampling {tuple(ph.sampling)} nm (z, y, x), "
         f"{n_axons} axons, seed {seed}")
    bad = ", ".join(f"{i} ({ph.bad_kinds.get(i, 'bad')})" for i in ph.bad_sections) or "none"
    echo(f"  phantom generated in {stage_seconds['phantom']:.2f} s; bad sections: {bad}")

    (calibres, n_segments, exact_sections), stage_seconds["sections"] = _timed(
        lambda: _section_calibres(ph, threads, progress))
    echo(f"  section segments: {n_segments} in {z} sections; "
         f"{exact_sections}/{z} sections give one segment per true axon cross-section")

    timings, n_components_3d = _peer_timings(ph, threads)
    echo(f"  3D: {n_components_3d} connected components (26-connectivity) of the axon mask, "
         f"{len(np.unique(ph.axons)) - 1} true axons")
    echo(f"  kernels on the whole stack ({threads} thread{'s' if threads > 1 else ''}):")
    for name, seconds in timings.items():
        echo(f"    {name:<32} {1e3 * seconds:8.1f} ms")

    calibre = {}
    if len(calibres):
        err_area = calibres[:, 3] - calibres[:, 2]
        err_width = calibres[:, 4] - calibres[:, 2]
        calibre = {
            "cross_sections": int(len(calibres)),
            "true_diameter_um_mean": float(calibres[:, 2].mean() / 1e3),
            "area_diameter_error_um_mean": float(err_area.mean() / 1e3),
            "area_diameter_error_um_abs_p95": float(np.percentile(np.abs(err_area), 95) / 1e3),
            "min_width_error_um_mean": float(err_width.mean() / 1e3),
        }
        echo(f"  calibre of {len(calibres)} cross-sections, true mean diameter "
             f"{calibre['true_diameter_um_mean']:.3f} µm: area-equivalent diameter error "
             f"{calibre['area_diameter_error_um_mean']:+.3f} µm mean "
             f"({calibre['area_diameter_error_um_abs_p95']:.3f} µm 95th pct |error|); "
             f"minimum width error {calibre['min_width_error_um_mean']:+.3f} µm mean")

    files = []
    h5_path = out / "phantom.h5"
    io.write_volume(f"{h5_path}:raw", ph.raw, sampling=ph.sampling)
    io.write_volume(f"{h5_path}:axons", ph.axons, sampling=ph.sampling)
    io.write_volume(f"{h5_path}:membrane", ph.membrane.astype(np.uint8), sampling=ph.sampling)
    files.append(h5_path)
    png_path = out / "overview.png"
    _overview_png(ph, calibres, png_path)
    files.append(png_path)

    summary = {
        "shape": [z, y, x],
        "sampling_nm": list(ph.sampling),
        "n_axons": n_axons,
        "seed": seed,
        "bad_sections": {int(i): ph.bad_kinds.get(i, "bad") for i in ph.bad_sections},
        "section_segments": int(n_segments),
        "sections_with_one_segment_per_axon": int(exact_sections),
        "components_3d": int(n_components_3d),
        "calibre": calibre,
        "kernel_ms": {k: 1e3 * v for k, v in timings.items()},
        "stage_seconds": stage_seconds,
        "threads": threads,
    }
    json_path = out / "summary.json"
    with io.atomic_path(json_path) as tmp:
        Path(tmp).write_text(json.dumps(summary, indent=1))
    files.append(json_path)
    echo("  wrote " + ", ".join(str(f) for f in files))
    return DemoResult(out, summary, files)
