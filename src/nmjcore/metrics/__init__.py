"""Segmentation and tracing metrics: mask overlap, partition agreement, run lengths.

Every label measure is computed from the sparse overlap table
(:func:`nmjcore.overlap_table`), so ids may be huge and sparse and volumes large.
"""

from .masks import dice, iou
from .partition import adapted_rand_error, split_merge_counts, voi
from .runs import erl

__all__ = ["adapted_rand_error", "dice", "erl", "iou", "split_merge_counts", "voi"]
