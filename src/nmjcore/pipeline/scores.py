"""The demo's result against the phantom's ground truth, with :mod:`nmjcore.metrics`."""

from __future__ import annotations

import numpy as np

from .. import metrics


def score(ids, truth, sampling, *, probability=None, threads=None) -> dict:
    """Metrics of a traced axon-id volume against the true axon ids.

    Parameters
    ----------
    ids, truth : (Z, Y, X) ndarray of integers
        Traced and true axon ids (0 = background).
    sampling : sequence of 3 float
        Voxel size (z, y, x) in nm, for the run lengths.
    probability : (Z, Y, X) ndarray of float, optional
        The axon probability the segmentation started from; adds the Dice of its mask
        (> 0.5) against the true axon mask.

    Returns
    -------
    dict
        ``voi_split``, ``voi_merge`` (bits), ``adapted_rand_error``, ``rand_precision``,
        ``rand_recall``, ``erl_um`` and ``erl_truth_um`` (the truth scored against itself:
        the most any tracing can reach), ``erl_ratio``, ``dice_ids`` (traced vs true mask),
        ``dice_probability``, ``splits``, ``merges`` (summed over true axons),
        ``axons_true``, ``axons_traced`` and ``axons_traced_outside_truth`` (traced ids that
        touch no true axon voxel: false detections).
    """
    split, merge = metrics.voi(ids, truth, threads=threads)
    are, precision, recall = metrics.adapted_rand_error(ids, truth, return_precision_recall=True,
                                                        threads=threads)
    erl = metrics.erl(ids, truth, sampling, threads=threads)
    erl_truth = metrics.erl(truth, truth, sampling, threads=threads)
    _, splits, merges = metrics.split_merge_counts(ids, truth, threads=threads)
    result = {
        "voi_split": float(split), "voi_merge": float(merge),
        "adapted_rand_error": float(are), "rand_precision": float(precision),
        "rand_recall": float(recall),
        "erl_um": float(erl) / 1e3, "erl_truth_um": float(erl_truth) / 1e3,
        "erl_ratio": float(erl / erl_truth) if erl_truth > 0 else float("nan"),
        "dice_ids": float(metrics.dice(ids, truth)),
        "axons_true": int(len(np.unique(truth)) - (truth == 0).any()),
        "axons_traced": int(len(np.unique(ids)) - (ids == 0).any()),
        "axons_traced_outside_truth": int(np.count_nonzero(
            ~np.isin(np.unique(ids[ids != 0]), np.unique(ids[truth != 0])))),
        "splits": int(splits.sum()), "merges": int(merges.sum()),
    }
    if probability is not None:
        result["dice_probability"] = float(metrics.dice(probability > 0.5, truth))
    return result


def score_lines(scores: dict) -> list[str]:
    """The metrics as report lines."""
    lines = [
        f"VOI split {scores['voi_split']:.3f} bits, merge {scores['voi_merge']:.3f} bits",
        f"adapted Rand error {scores['adapted_rand_error']:.4f} "
        f"(precision {scores['rand_precision']:.4f}, recall {scores['rand_recall']:.4f})",
        f"ERL {scores['erl_um']:.3f} µm of the truth's {scores['erl_truth_um']:.3f} µm "
        f"({100 * scores['erl_ratio']:.1f} %)",
        f"{scores['axons_traced']} traced ids for {scores['axons_true']} true axons "
        f"({scores['axons_traced_outside_truth']} of them touch no true axon); "
        f"splits {scores['splits']}, merges {scores['merges']} (of true axons)",
    ]
    dice = f"Dice of the traced mask {scores['dice_ids']:.4f}"
    if "dice_probability" in scores:
        dice += f", of the probability > 0.5 {scores['dice_probability']:.4f}"
    return lines + [dice]
