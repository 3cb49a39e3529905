"""``nmjcore demo``: the whole job on a built-in synthetic stack, scored against its truth.

phantom (EM with exact ground truth, muscle fibres under the nerve) → bad-section detection
and replacement, deflicker → the built-in network, tiled → segment_stack → trace.link
(anchored on the true ids of the first section) → metrics against the truth → analysis
(contacts with the fibres, calibre, correlation) → a results folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import analysis, preprocess, segment, synth, trace
from ..ops._validate import resolve_threads
from .clock import StageClock
from .defaults import DEMO_AXONS, DEMO_SHAPE
from .outputs import overview_png, write_json, write_structured_csv, write_volumes
from .scores import score, score_lines

#: The muscle fills the deepest sections almost whole, which the detector's default
#: low-contrast threshold (0.5 of the neighbours' spread) takes for bad sections.
LOW_CONTRAST = 0.35
#: Calibre points before each fibre (µm): the demo stack is 1-2 µm deep, so the points sit
#: closer to the terminal than the analysis defaults (made for stacks of many µm).
CALIBRE = dict(n_points=3, offset=0.2, spacing=0.1, window=0.2)
MIN_CONTACT_UM2 = 0.05
#: A small opening of the mask removes specks at no cost to the axons (it halved the fibre
#: false positives of the built-in model before its fine-tune on muscle phantoms).
SEGMENT = dict(erosion=2, dilation=2)


def preprocess_stack(raw, *, threads=None, progress=False):
    """The demo's preprocessing of a phantom stack: ``(report, em, replaced)``.

    Bad sections are detected (``LOW_CONTRAST``), the stack deflickered and the bad sections
    replaced by their neighbours; ``em`` is what the network sees.
    """
    report = preprocess.detect_bad_sections(raw, low_contrast=LOW_CONTRAST, threads=threads,
                                            progress=progress)
    # Deflicker first: it reuses the report's grey-level quantiles of these very sections.
    em = preprocess.deflicker(raw, exclude=report, threads=threads, progress=progress)
    em, replaced = preprocess.replace_bad_sections(em, report, out=em)
    return report, em, replaced


@dataclass
class DemoResult:
    """What :func:`run_demo` returns: its folder, the summary (as in summary.json), the files."""

    output_dir: Path
    summary: dict
    files: list[Path] = field(default_factory=list)


def run_demo(output_dir="nmjcore-demo", *, shape=DEMO_SHAPE, n_axons=DEMO_AXONS, seed=0,
             network=True, threads=None, progress=True, echo=print) -> DemoResult:
    """Run the whole job on a phantom and write its results folder.

    Parameters
    ----------
    output_dir : str or Path
        The results folder (created); see the README for what it holds.
    shape, n_axons, seed
        The phantom to generate (:func:`nmjcore.synth.phantom`, with 2 muscle fibres).
    network : bool
        Run the built-in model (:func:`nmjcore.infer.predict`); False feeds the phantom's
        true axon mask as the probability instead (to time and test the rest).
    threads : int, optional
        Worker threads of every stage; default all cores.
    progress : bool
        Show progress bars.
    echo : callable
        Where the report lines go.
    """
    threads = resolve_threads(threads)
    out = Path(output_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"output_dir: expected a folder (new or existing), got the file {out}")
    out.mkdir(parents=True, exist_ok=True)
    clock = StageClock()
    files = []

    with clock("phantom"):
        ph = synth.phantom(tuple(shape), n_axons=n_axons, seed=seed, muscle=True)
    Z, Y, X = ph.raw.shape
    echo(f"nmjcore demo: synthetic stack {Z}x{Y}x{X}, sampling {tuple(ph.sampling)} nm (z, y, x), "
         f"{n_axons} axons over 2 muscle fibres, seed {seed}")

    with clock("preprocess"):
        report, em, replaced = preprocess_stack(ph.raw, threads=threads, progress=progress)
    found, true_bad = set(report.bad), set(ph.bad_sections)
    echo(f"  bad sections: found {_sections(report.kinds)}; true {_sections(ph.bad_kinds)} "
         f"({len(found & true_bad)}/{len(true_bad)} found, {len(found - true_bad)} false); "
         f"replaced " + (", ".join(f"{z}<-{src}" for z, src in replaced) or "none"))

    with clock("network" if network else "truth as probability"):
        if network:
            from ..infer import predict

            probability = predict(em, "builtin", tile=(512, 512), overlap=64, device="cpu",
                                  threads=threads, progress=progress)
        else:
            probability = (ph.axons != 0).astype(np.float32)
    with clock("segment"):
        segments = segment.segment_stack(probability, threads=threads, progress=progress,
                                          **SEGMENT)
    with clock("trace"):
        traced = trace.link(segments, anchors={0: ph.axons[0]}, threads=threads,
                            progress=progress)
    ids = traced.ids
    echo(f"  traced: {int(sum(len(s) for s in traced.segment_ids))} segments, "
         f"{len(traced.links)} links, {len(traced.queue)} proofreading items, "
         f"{len(traced.conflicts)} anchor conflicts")

    with clock("metrics"):
        scores = score(ids, ph.axons, ph.sampling, probability=probability, threads=threads)
    for line in score_lines(scores):
        echo("  " + line)

    with clock("analysis"):
        result = analysis.analyse(ids, ph.muscle, ph.sampling, min_area=MIN_CONTACT_UM2,
                                  threads=threads, progress=progress, **CALIBRE)
    corr = result.correlation
    echo(f"  analysis: {len(result.contacts)} axon-fibre contacts, {corr.n} with a calibre; "
         f"calibre vs contact area Pearson r = {corr.pearson_r:.3f} (p = {corr.pearson_p:.2g}), "
         f"Spearman rho = {corr.spearman_rho:.3f}")

    with clock("write"):
        files.append(write_volumes(out / "axons.h5", ph.sampling, ids=ids, raw=em,
                                   probability=np.round(255 * probability).astype(np.uint8),
                                   truth=ph.axons))
        files.append(write_structured_csv(out / "links.csv", traced.links))
        files.append(write_structured_csv(out / "proofreading_queue.csv", traced.queue))
        report.write_csv(out / "bad_sections.csv")
        files.append(out / "bad_sections.csv")
        files.append(write_json(out / "metrics.json", scores))
        files.append(overview_png(out / "overview.png", em, probability, ids, ph.axons,
                                  ph.sampling, _overview_section(Z, found | true_bad)))
        files += result.write(out / "analysis", raw=em, progress=progress)

    summary = {
        "shape": [Z, Y, X], "sampling_nm": list(ph.sampling), "n_axons": n_axons,
        "seed": seed, "network": bool(network), "threads": threads,
        "bad_sections": {"found": {int(z): k for z, k in report.kinds.items()},
                         "true": {int(z): k for z, k in ph.bad_kinds.items()},
                         "replaced": [list(map(int, r)) for r in replaced]},
        "tracing": {"links": len(traced.links), "queue": len(traced.queue),
                    "conflicts": len(traced.conflicts)},
        "metrics": scores,
        "analysis": {"contacts": len(result.contacts), "correlation": corr.as_dict()},
        "stage_seconds": clock.seconds,
    }
    files.append(write_json(out / "summary.json", summary))
    echo(f"  results in {out}/:")
    for line in _file_lines(out, files):
        echo("    " + line)
    echo("  stage times:")
    for line in clock.lines():
        echo("    " + line)
    echo(f"    {'total':<{max(map(len, clock.seconds))}}  {clock.total:7.2f} s")
    return DemoResult(out, summary, files)


def _sections(kinds: dict) -> str:
    return ", ".join(f"{z} ({k})" for z, k in sorted(kinds.items())) or "none"


def _overview_section(n_sections: int, bad: set) -> int:
    """A good section in the nerve, above the muscle (which fills the last quarter)."""
    start = n_sections // 3
    return next((z for z in range(start, n_sections) if z not in bad), start)


def _file_lines(out: Path, files) -> list[str]:
    """Files grouped by folder and kind: 'analysis/: 9 .csv, 8 .png, ...'."""
    groups: dict = {}
    for f in files:
        rel = Path(f).relative_to(out)
        key = str(rel.parent) if rel.parent != Path(".") else ""
        groups.setdefault(key, []).append(rel.name)
    lines = []
    for folder, names in groups.items():
        if folder:
            lines.append(f"{folder}/: " + ", ".join(names))
        else:
            lines += names
    return lines
