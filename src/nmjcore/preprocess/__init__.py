"""Preprocessing of EM stacks before the network: deflicker, bad sections, mip levels, padding.

- :func:`deflicker`: per-section brightness/contrast normalised to a running reference;
- :func:`detect_bad_sections`, :func:`replace_bad_sections`: blank, saturated, low-contrast,
  cracked/folded sections, scored, reported and replaced by the nearest good one;
- :func:`downsample`, :func:`upsample`: mip levels (2**k in y and x) and back;
- :func:`pad_to`, :func:`crop_padding`: padding to a target size (reflect or constant) and back;
- :mod:`nmjcore.preprocess.groundtruth`: training sets from dense manual segmentations.
"""

from .bad_sections import (BadSectionReport, detect_bad_sections, nearest_good_sections,
                           replace_bad_sections)
from . import groundtruth
from .flicker import deflicker
from .mip import downsample, upsample
from .padding import crop_padding, pad_to, padding_for
from .statistics import section_quantiles

__all__ = [
    "BadSectionReport",
    "crop_padding",
    "deflicker",
    "detect_bad_sections",
    "downsample",
    "groundtruth",
    "nearest_good_sections",
    "pad_to",
    "padding_for",
    "replace_bad_sections",
    "section_quantiles",
    "upsample",
]
