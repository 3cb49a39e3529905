"""Correlation of calibre and contact area: Pearson, Spearman, regression with its band."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ._table import Table


def _stats():
    from scipy import stats  # 0.5-2 s to import: only when statistics are asked for

    return stats


@dataclass(frozen=True)
class Correlation:
    """Pearson and Spearman coefficients of (x, y) and the least-squares line y = a + b x."""

    n: int
    pearson_r: float
    pearson_p: float
    spearman_rho: float
    spearman_p: float
    slope: float
    intercept: float
    slope_stderr: float
    intercept_stderr: float
    r_squared: float
    confidence: float
    x_mean: float
    sxx: float  #: sum of squared deviations of x
    residual_sd: float  #: standard deviation of the residuals (n - 2 degrees of freedom)

    def predict(self, x):
        return self.intercept + self.slope * np.asarray(x, dtype=np.float64)

    def band(self, x):
        """The fitted line at ``x`` and the confidence band of the mean response.

        Returns ``(fit, low, high)``: ``fit ± t * s * sqrt(1/n + (x - mean x)^2 / Sxx)`` with
        ``t`` the two-sided Student quantile at :attr:`confidence`, n - 2 degrees of freedom.
        """
        x = np.asarray(x, dtype=np.float64)
        fit = self.predict(x)
        if self.n < 3 or not self.sxx > 0:
            return fit, fit * np.nan, fit * np.nan
        t = _stats().t.ppf(0.5 + self.confidence / 2.0, self.n - 2)
        half = t * self.residual_sd * np.sqrt(1.0 / self.n + (x - self.x_mean) ** 2 / self.sxx)
        return fit, fit - half, fit + half

    def as_dict(self) -> dict:
        return asdict(self)


def _pairs(x, y):
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise ValueError(f"y: expected as many values as x ({x.size}), got {y.size}")
    keep = np.isfinite(x) & np.isfinite(y)
    return x[keep], y[keep]


def correlate(x, y, *, confidence=0.95) -> Correlation:
    """Pearson and Spearman correlation of ``x`` and ``y`` with p-values, and the linear
    regression of ``y`` on ``x`` with its confidence band (all from :mod:`scipy.stats`).

    Parameters
    ----------
    x, y : array_like of float, same length
        Paired values, e.g. axon calibre (µm) and contact area (µm²) per axon x fibre.
        Pairs with a NaN in either are left out.
    confidence : float in (0, 1)
        Level of the band of :meth:`Correlation.band`.

    Returns
    -------
    Correlation
        NaN coefficients when fewer than 3 pairs remain or either variable is constant.

    Examples
    --------
    >>> from nmjcore.analysis import correlate
    >>> c = correlate([1, 2, 3, 4, 5], [2.1, 3.9, 6.2, 7.8, 10.1])
    >>> round(c.pearson_r, 3), round(c.spearman_rho, 3), round(c.slope, 2)
    (0.999, 1.0, 1.99)
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence: expected a value in (0, 1), got {confidence}")
    x, y = _pairs(x, y)
    n = len(x)
    nan = float("nan")
    x_mean = float(x.mean()) if n else nan
    sxx = float(((x - x_mean) ** 2).sum()) if n else nan
    if n < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return Correlation(n, nan, nan, nan, nan, nan, nan, nan, nan, nan, confidence, x_mean,
                           sxx, nan)
    stats = _stats()
    pearson = stats.pearsonr(x, y)
    spearman = stats.spearmanr(x, y)
    fit = stats.linregress(x, y)
    residual = y - (fit.intercept + fit.slope * x)
    residual_sd = float(np.sqrt((residual ** 2).sum() / (n - 2)))
    return Correlation(
        n=n, pearson_r=float(pearson.statistic), pearson_p=float(pearson.pvalue),
        spearman_rho=float(spearman.statistic), spearman_p=float(spearman.pvalue),
        slope=float(fit.slope), intercept=float(fit.intercept),
        slope_stderr=float(fit.stderr), intercept_stderr=float(fit.intercept_stderr),
        r_squared=float(fit.rvalue ** 2), confidence=confidence, x_mean=x_mean, sxx=sxx,
        residual_sd=residual_sd)


def correlate_groups(x, y, groups, *, confidence=0.95, name="group") -> Table:
    """:func:`correlate` within each group (e.g. per axon over its fibres, or per fibre).

    Returns a :class:`Table` with one row per group id: ``name``, ``n``, ``pearson_r``,
    ``pearson_p``, ``spearman_rho``, ``spearman_p``, ``slope``, ``intercept`` (NaN where a
    group has fewer than 3 usable pairs).
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    groups = np.asarray(groups).ravel()
    if groups.shape != x.shape:
        raise ValueError(f"groups: expected as many values as x ({x.size}), got {groups.size}")
    keys = ("n", "pearson_r", "pearson_p", "spearman_rho", "spearman_p", "slope", "intercept")
    ids = np.unique(groups)
    rows = [correlate(x[groups == g], y[groups == g], confidence=confidence) for g in ids]
    columns = {name: ids}
    for k in keys:
        columns[k] = np.array([getattr(r, k) for r in rows])
    return Table(columns)
