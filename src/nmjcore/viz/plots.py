"""Analysis figures: heatmaps axon x fibre, calibre vs contact area, panels, territory."""

from __future__ import annotations

import math

import numpy as np

from ._figure import check_size, id_colors, new_figure, save, style


def _p_text(p):
    return "p < 0.001" if p < 1e-3 else f"p = {p:.3f}"


def heatmap(path, row_ids, column_ids, matrix, *, title="", value_label="", row_label="axon",
            column_label="muscle fibre", cmap="viridis", annotate=None, fmt="{:.2f}",
            figsize=None, dpi=150):
    """A matrix (e.g. contact area, axon x fibre) as coloured cells; NaN cells stay empty.

    ``annotate`` writes the value in each cell (default: when there are at most 16 x 16).
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.shape != (len(row_ids), len(column_ids)):
        raise ValueError(f"matrix: expected shape {(len(row_ids), len(column_ids))}, got "
                         f"{matrix.shape}")
    rows, cols = matrix.shape
    if figsize is None:
        figsize = (min(16.0, 3.0 + 0.55 * cols), min(16.0, 2.0 + 0.4 * rows))
    figsize, dpi = check_size(figsize, dpi)
    if annotate is None:
        annotate = rows <= 16 and cols <= 16
    import matplotlib

    fig = new_figure(figsize, dpi)
    with style():
        ax = fig.add_subplot(1, 1, 1)
        colormap = matplotlib.colormaps[cmap].with_extremes(bad="white")
        finite = matrix[np.isfinite(matrix)]
        vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0, 1)
        image = ax.imshow(np.ma.masked_invalid(matrix), cmap=colormap, vmin=vmin, vmax=vmax,
                          aspect="auto", interpolation="nearest")
        ax.set_xticks(range(cols), [str(c) for c in column_ids])
        ax.set_yticks(range(rows), [str(r) for r in row_ids])
        step = max(1, rows // 30)
        for label in ax.get_yticklabels():
            label.set_visible(int(float(label.get_position()[1])) % step == 0)
        ax.set_xticks(np.arange(-0.5, cols), minor=True)
        ax.set_yticks(np.arange(-0.5, rows), minor=True)
        ax.grid(which="minor", color="0.85", lw=0.8)
        ax.tick_params(which="minor", length=0)
        for side in ("top", "right", "bottom", "left"):
            ax.spines[side].set_visible(False)
        ax.set_xlabel(column_label)
        ax.set_ylabel(row_label)
        if title:
            ax.set_title(title)
        cbar = fig.colorbar(image, ax=ax, fraction=0.05, pad=0.03)
        cbar.set_label(value_label)
        if annotate and finite.size:
            mid = 0.5 * (vmin + vmax)
            for i, j in zip(*np.nonzero(np.isfinite(matrix))):
                ax.text(j, i, fmt.format(matrix[i, j]), ha="center", va="center", fontsize=9,
                        color="black" if matrix[i, j] > mid else "white")
        fig.tight_layout()
    return save(fig, path)


def regression_scatter(path, x, y, correlation, *, groups=None, group_label="axon",
                       xlabel="axon calibre (µm)", ylabel="contact area (µm²)", title="",
                       figsize=(8.0, 6.5), dpi=150):
    """Scatter of ``y`` against ``x`` with the regression line, its confidence band and the
    Pearson / Spearman coefficients; points coloured by ``groups`` (stable id colours)."""
    figsize, dpi = check_size(figsize, dpi)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    keep = np.isfinite(x) & np.isfinite(y)
    fig = new_figure(figsize, dpi)
    with style():
        ax = fig.add_subplot(1, 1, 1)
        _draw_fit(ax, x[keep], correlation, label=True)
        if groups is not None:
            g = np.asarray(groups)[keep]
            ax.scatter(x[keep], y[keep], s=60, c=id_colors(g), edgecolors="black",
                       linewidths=0.6, zorder=3)
            ids = np.unique(g)
            if len(ids) <= 12:
                for i, colour in zip(ids, id_colors(ids)):
                    ax.scatter([], [], s=60, color=colour, edgecolors="black", linewidths=0.6,
                               label=f"{group_label} {i}")
        else:
            ax.scatter(x[keep], y[keep], s=60, color="tab:blue", edgecolors="black",
                       linewidths=0.6, zorder=3)
        c = correlation
        if c.n >= 3 and math.isfinite(c.pearson_r):
            text = (f"Pearson r = {c.pearson_r:.2f} ({_p_text(c.pearson_p)})\n"
                    f"Spearman ρ = {c.spearman_rho:.2f} ({_p_text(c.spearman_p)})\n"
                    f"slope = {c.slope:.3g} ± {c.slope_stderr:.2g}   n = {c.n}")
        else:
            text = f"n = {c.n}: too few pairs for a fit"
        ax.text(0.03, 0.97, text, transform=ax.transAxes, va="top", ha="left", fontsize=12,
                bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "0.7"})
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if title:
            ax.set_title(title)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="lower right", ncol=2 if groups is not None and len(np.unique(
                np.asarray(groups)[keep])) > 6 else 1, frameon=False)
        fig.tight_layout()
    return save(fig, path)


def _draw_fit(ax, x, correlation, label=False):
    if correlation.n < 3 or not math.isfinite(correlation.slope) or x.size == 0:
        return
    span = np.ptp(x)
    grid = np.linspace(x.min() - 0.05 * span, x.max() + 0.05 * span, 100)
    fit, low, high = correlation.band(grid)
    band_label = f"{100 * correlation.confidence:.0f} % confidence band" if label else None
    ax.fill_between(grid, low, high, color="tab:red", alpha=0.18, lw=0, label=band_label)
    ax.plot(grid, fit, color="tab:red", lw=2, label="linear regression" if label else None)


def _grid(n):
    """(rows, columns) of a grid of at most 6 columns for ``n`` panels (one at least)."""
    ncols = min(max(1, n), 6)
    return math.ceil(max(1, n) / ncols), ncols


def _small_multiples_figure(n, panel_size, dpi):
    nrows, ncols = _grid(n)
    figsize, dpi = check_size((panel_size[0] * ncols + 0.8, panel_size[1] * nrows + 1.0), dpi)
    return new_figure(figsize, dpi)


def _small_multiples_axes(fig, n):
    """The panels, sharing their axes; those past ``n`` are hidden."""
    axes = fig.subplots(*_grid(n), sharex=True, sharey=True, squeeze=False)
    for ax in axes.flat[max(1, n):]:
        ax.set_axis_off()
    return axes


def group_panels(path, x, y, groups, *, group_label="axon", xlabel="calibre (µm)",
                 ylabel="contact area (µm²)", title="", max_panels=30, dpi=120,
                 panel_size=(3.0, 2.6)):
    """Small multiples: one panel per group (axon or fibre), its points and (with 3 or more)
    its own regression line and band; shared axes so panels compare at a glance."""
    from ..analysis import correlate

    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    groups = np.asarray(groups)
    keep = np.isfinite(x) & np.isfinite(y)
    ids = np.unique(groups[keep])[:max_panels]
    fig = _small_multiples_figure(len(ids), panel_size, dpi)
    with style():
        axes = _small_multiples_axes(fig, len(ids))
        for ax, g, colour in zip(axes.flat, ids, id_colors(ids)):
            sel = keep & (groups == g)
            c = correlate(x[sel], y[sel])
            _draw_fit(ax, x[sel], c)
            ax.scatter(x[sel], y[sel], s=36, color=colour, edgecolors="black", linewidths=0.5,
                       zorder=3)
            note = f"r = {c.pearson_r:.2f}" if math.isfinite(c.pearson_r) else f"n = {c.n}"
            ax.set_title(f"{group_label} {g}  ({note})", fontsize=11)
            ax.tick_params(labelsize=10)
        if len(ids) == 0:
            axes.flat[0].text(0.5, 0.5, "no measured pairs", ha="center", va="center",
                              transform=axes.flat[0].transAxes)
        fig.supxlabel(xlabel, fontsize=13)
        fig.supylabel(ylabel, fontsize=13)
        if title:
            fig.suptitle(title, fontsize=15)
        fig.tight_layout()
    return save(fig, path)


def territory_bars(path, territory, *, title="Territory: share of the contact area",
                   figsize=None, dpi=150):
    """Stacked bars, one per fibre and one for all fibres: each axon's share of the contact
    area, in the axon's colour, labelled where the share is large enough to read."""
    per_fibre, overall = territory.per_fibre, territory.overall
    fibres = np.unique(per_fibre["fibre"])
    bars = [f"fibre {f}" for f in fibres] + ["all fibres"]
    if figsize is None:
        figsize = (10.0, 1.6 + 0.7 * len(bars))
    figsize, dpi = check_size(figsize, dpi)
    fig = new_figure(figsize, dpi)
    with style():
        ax = fig.add_subplot(1, 1, 1)
        rows = [(per_fibre["axon"][per_fibre["fibre"] == f],
                 per_fibre["share"][per_fibre["fibre"] == f]) for f in fibres]
        rows.append((overall["axon"], overall["share"]))
        for k, (axons, shares) in enumerate(rows):
            order = np.argsort(-shares, kind="stable")
            left = 0.0
            for a, s, colour in zip(axons[order], shares[order], id_colors(axons[order])):
                if not np.isfinite(s):
                    continue
                ax.barh(k, s, left=left, color=colour, edgecolor="white", lw=1)
                if s >= 0.06:
                    ax.text(left + s / 2, k, str(a), ha="center", va="center", fontsize=10)
                left += s
        ax.set_yticks(range(len(bars)), bars)
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(lambda v, _: f"{100 * v:.0f} %")
        ax.set_xlabel("share of the contact area (labels: axon id)")
        if title:
            ax.set_title(title)
        fig.tight_layout()
    return save(fig, path)


def calibre_profiles(path, points, pairs, *, max_panels=30, dpi=120, panel_size=(3.0, 2.6),
                     title="Calibre before each fibre, per axon"):
    """Small multiples, one panel per axon: the area-equivalent diameter at each point along
    the stretch before each fibre it touches (one line per fibre, in the fibre's label
    colour), the contact area in the legend."""
    axon_ids = np.unique(pairs["axon"])[:max_panels]
    fig = _small_multiples_figure(len(axon_ids), panel_size, dpi)
    with style():
        axes = _small_multiples_axes(fig, len(axon_ids))
        for ax, axon in zip(axes.flat, axon_ids):
            mine = np.flatnonzero(pairs["axon"] == axon)
            for k in mine:
                fibre = pairs["fibre"][k]
                sel = (points["axon"] == axon) & (points["fibre"] == fibre)
                colour = id_colors([fibre + 1000])[0]
                ax.plot(points["distance_um"][sel], points["diameter_um"][sel], "o-",
                        color=colour, ms=4, lw=1.5,
                        label=f"fibre {fibre}: {pairs['contact_area_um2'][k]:.2f} µm²")
            ax.set_title(f"axon {axon}", fontsize=11)
            ax.tick_params(labelsize=10)
            ax.legend(fontsize=8, frameon=False, loc="lower left")
        fig.supxlabel("distance before the fibre (µm)", fontsize=13)
        fig.supylabel("diameter (µm)", fontsize=13)
        if title:
            fig.suptitle(title, fontsize=15)
        fig.tight_layout()
    return save(fig, path)
