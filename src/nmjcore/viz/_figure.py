"""Figures without pyplot: a matplotlib Figure on the Agg canvas, saved atomically.

Using ``matplotlib.figure.Figure`` directly keeps the library off pyplot's global state (no
backend switch, no figure manager), so figures render the same in scripts, servers and tests.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..io import atomic_path, label_color

#: Sizes that read from the back of a lecture room.
STYLE = {
    "font.size": 13,
    "axes.titlesize": 15,
    "axes.labelsize": 14,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "legend.fontsize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
}


def new_figure(figsize=(8.0, 6.0), dpi=150):
    """A Figure on the Agg canvas with the talk style applied to everything drawn in it."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def style():
    """Context manager applying :data:`STYLE` while axes are drawn."""
    import matplotlib

    return matplotlib.rc_context(STYLE)


def save(fig, path) -> Path:
    """Save ``fig`` as PNG (its exact figsize x dpi pixels), atomically; returns the path."""
    path = Path(path)
    with style(), atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=fig.dpi)
    return path


def id_colors(ids) -> list[tuple[float, float, float]]:
    """The stable colour of each id (as in label overlays), as matplotlib RGB in [0, 1]."""
    return [tuple(c / 255.0 for c in label_color(int(i))) for i in np.asarray(ids).ravel()]


def check_size(figsize, dpi):
    try:
        w, h = (float(v) for v in figsize)
    except (TypeError, ValueError):
        raise TypeError(f"figsize: expected (width, height) in inches, got {figsize!r}") from None
    if not (w > 0 and h > 0 and float(dpi) > 0):
        raise ValueError(f"figsize, dpi: expected positive values, got {figsize!r}, {dpi!r}")
    return (w, h), float(dpi)
