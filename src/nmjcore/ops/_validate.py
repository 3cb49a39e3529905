"""Argument checks shared by every front in :mod:`nmjcore.ops`.

Each helper raises ``TypeError`` (wrong kind of thing) or ``ValueError`` (right kind, wrong
value) with the argument's name and what was expected, before any compiled code runs.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

import numpy as np

_INTEGER_KINDS = "biu"


def resolve_threads(threads: int | None) -> int:
    """``None`` means every core this process may run on."""
    if threads is None:
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # not on Linux
            return max(1, os.cpu_count() or 1)
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)):
        raise TypeError(f"threads: expected a positive int or None, got {type(threads).__name__}")
    if threads < 1:
        raise ValueError(f"threads: expected a positive int or None, got {threads}")
    return int(threads)


def as_array(value, name: str) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "__array__") or isinstance(value, (list, tuple)):
        return np.asarray(value)
    raise TypeError(f"{name}: expected an array, got {type(value).__name__}")


def check_ndim(array: np.ndarray, name: str, allowed: Sequence[int] = (2, 3)) -> None:
    if array.ndim not in allowed:
        expected = " or ".join(f"{d}D" for d in allowed)
        raise ValueError(f"{name}: expected a {expected} array, got shape {array.shape}")


def as_integer_image(image, name: str, allowed_ndim: Sequence[int] = (2, 3)) -> np.ndarray:
    """A C-contiguous, native-endian bool/integer array; bool is viewed as uint8 (no copy)."""
    array = as_array(image, name)
    if array.dtype.kind not in _INTEGER_KINDS:
        raise TypeError(f"{name}: expected a bool or integer array, got dtype {array.dtype}")
    check_ndim(array, name, allowed_ndim)
    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    array = np.ascontiguousarray(array)
    if array.dtype == np.bool_:
        array = array.view(np.uint8)
    return array


def as_sampling(sampling, ndim: int, name: str = "sampling") -> tuple[float, ...]:
    """Physical voxel size per axis; a scalar applies to every axis. ``None`` means 1."""
    if sampling is None:
        return (1.0,) * ndim
    if np.isscalar(sampling):
        values = (sampling,) * ndim
    else:
        values = tuple(np.asarray(sampling).ravel().tolist())
    if len(values) != ndim:
        raise ValueError(f"{name}: expected {ndim} values (one per axis), got {len(values)}")
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise TypeError(f"{name}: expected numbers, got {v!r}")
        v = float(v)
        if not math.isfinite(v) or v <= 0:
            raise ValueError(f"{name}: expected finite positive values, got {values}")
        out.append(v)
    return tuple(out)


def check_choice(value, name: str, choices: Sequence) -> None:
    if value not in choices:
        raise ValueError(f"{name}: expected one of {list(choices)}, got {value!r}")


def check_non_negative_ids(array: np.ndarray, name: str) -> None:
    """Label ids are >= 0 (checked only for signed dtypes: one pass over the array)."""
    if array.dtype.kind == "i" and array.size and array.min() < 0:
        raise ValueError(f"{name}: expected non-negative label ids, found {array.min()}")


def check_connectivity(value, name: str, choices: Sequence[int]) -> None:
    """An integer neighbourhood size (e.g. 4 or 8 in 2D) among ``choices``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}: expected an int among {list(choices)}, got "
                        f"{type(value).__name__}")
    check_choice(int(value), name, choices)


def as_float_array(value, name: str, allowed_ndim: Sequence[int]) -> np.ndarray:
    """A C-contiguous, native-endian float32/float64 array; bool and integers become float64."""
    array = as_array(value, name)
    if array.dtype.kind in _INTEGER_KINDS:
        array = array.astype(np.float64)
    elif array.dtype.kind != "f" or array.dtype.itemsize not in (4, 8):
        raise TypeError(f"{name}: expected a float32, float64 or integer array, got dtype "
                        f"{array.dtype}")
    check_ndim(array, name, allowed_ndim)
    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    return np.ascontiguousarray(array)


def as_index_array(value, name: str) -> np.ndarray:
    """A 1D C-contiguous int64 array from any integer array-like."""
    array = as_array(value, name)
    if array.dtype.kind not in "iu" and not (array.size == 0 and array.dtype.kind == "f"):
        raise TypeError(f"{name}: expected an integer array, got dtype {array.dtype}")
    check_ndim(array, name, (1,))
    if array.dtype.kind == "u" and array.size and array.max() > np.iinfo(np.int64).max:
        raise ValueError(f"{name}: indices out of the int64 range")
    return np.ascontiguousarray(array, dtype=np.int64)


def _as_int_at_least(value, name: str, minimum: int, word: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}: expected a {word} int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name}: expected a {word} int, got {value}")
    return int(value)


def as_count(value, name: str) -> int:
    """A non-negative Python int."""
    return _as_int_at_least(value, name, 0, "non-negative")


def as_real(value, name: str, allow_inf: bool = False) -> float:
    """A real number (not NaN; +-inf only with allow_inf) as a Python float."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected a number, got {type(value).__name__}")
    value = float(value)
    if math.isnan(value) or (math.isinf(value) and not allow_inf):
        raise ValueError(f"{name}: expected a {'non-NaN' if allow_inf else 'finite'} number, "
                         f"got {value}")
    return value


def check_same_shape(a: np.ndarray, b: np.ndarray, names: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{names}: expected arrays of one shape, got {a.shape} and {b.shape}")


def check_shape(array: np.ndarray, shape: tuple, name: str) -> None:
    if array.shape != tuple(shape):
        raise ValueError(f"{name}: expected shape {tuple(shape)}, got {array.shape}")


def as_mask(mask, shape: tuple, name: str = "mask") -> np.ndarray:
    """A C-contiguous uint8 0/1 array of ``shape``: True/non-zero where the mask is set."""
    array = as_array(mask, name)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected a bool or numeric array, got dtype {array.dtype}")
    check_shape(array, shape, name)
    if array.dtype == np.bool_:
        return np.ascontiguousarray(array).view(np.uint8)
    return np.ascontiguousarray(array != 0).view(np.uint8)


def as_number(value, name: str, minimum: float = -math.inf) -> float:
    """A finite real number >= ``minimum``."""
    value = as_real(value, name)
    if value < minimum:
        raise ValueError(f"{name}: expected a finite number >= {minimum}, got {value}")
    return value


def as_numeric_image(image, name: str, allowed_ndim: Sequence[int] = (2, 3)) -> np.ndarray:
    """A C-contiguous, native-endian bool/integer/float array without NaN (dtype kept)."""
    array = as_array(image, name)
    if array.dtype.kind not in _INTEGER_KINDS + "f":
        raise TypeError(f"{name}: expected a bool, integer or float array, got dtype {array.dtype}")
    check_ndim(array, name, allowed_ndim)
    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    array = np.ascontiguousarray(array)
    if array.dtype.kind == "f" and np.isnan(array).any():
        raise ValueError(f"{name}: expected no NaN values")
    return array


def as_positive_int(value, name: str) -> int:
    """A Python int >= 1."""
    return _as_int_at_least(value, name, 1, "positive")
