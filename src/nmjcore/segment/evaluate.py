"""Split and merge counts of a segmentation against ground-truth segments."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class SplitMerge(NamedTuple):
    splits: int  #: sum over true segments of (segments overlapping it - 1)
    merges: int  #: sum over segments of (true segments overlapping it - 1)
    n_true: int
    n_found: int


def split_merge_counts(labels, truth) -> SplitMerge:
    """Count splits and merges of ``labels`` against ``truth`` (same shape, 0 ignored).

    A pair overlaps when they share one pixel or more where both are non-zero; a perfect
    segmentation gives (0, 0).
    """
    labels, truth = np.asarray(labels), np.asarray(truth)
    if labels.shape != truth.shape:
        raise ValueError(f"labels: expected the shape of truth {truth.shape}, got {labels.shape}")
    both = (labels != 0) & (truth != 0)
    pairs = np.unique(np.stack([truth[both].astype(np.uint64), labels[both].astype(np.uint64)]),
                      axis=1)
    n_true = len(np.unique(truth[truth != 0]))
    n_found = len(np.unique(labels[labels != 0]))
    per_true = len(np.unique(pairs[0]))
    per_found = len(np.unique(pairs[1]))
    return SplitMerge(pairs.shape[1] - per_true, pairs.shape[1] - per_found, n_true, n_found)
