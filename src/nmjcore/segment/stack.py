"""A stack of probability maps to per-section segments, lazily and in parallel."""

from __future__ import annotations

from collections import deque
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from tqdm.auto import tqdm

from ..ops._validate import resolve_threads
from .section import segment_section

# Stacks at least this long show a progress bar unless told otherwise.
_PROGRESS_FROM = 16


def segment_stack(probs, *, out=None, threads=None, progress=None, **params):
    """Segment every section of a stack with :func:`segment_section`, section by section.

    Parameters
    ----------
    probs : (Z, Y, X) array-like
        A NumPy array, a :class:`nmjcore.io.Volume` (read lazily, one section at a time) or
        anything else indexable by section with a length.
    out : (Z, Y, X) array-like of uint32, optional
        Where to write the labels, one section at a time (a NumPy array, or a volume from
        :func:`nmjcore.io.create_volume`). Default: a new NumPy array.
    threads : int, optional
        Sections segmented at once (each with one thread); default all cores.
    progress : bool, optional
        Show a tqdm progress bar; default for stacks of 16 sections or more.
    **params
        Passed to :func:`segment_section` (threshold, foreground, bilateral, erosion,
        dilation, min_distance, seed_threshold, merge_saddle).

    Returns
    -------
    labels : ``out``, or a new (Z, Y, X) ndarray of uint32
        Ids are unique within each section (1..N per section), not across sections.
    """
    if "threads" in params:
        raise TypeError("threads: pass it to segment_stack, not per section")
    if not hasattr(probs, "__getitem__") or not hasattr(probs, "__len__"):
        raise TypeError(f"probs: expected a (Z, Y, X) array or volume, got {type(probs).__name__}")
    shape = tuple(getattr(probs, "shape", ()))
    if len(shape) != 3:
        raise ValueError(f"probs: expected a (Z, Y, X) stack, got shape {shape}")
    if out is None:
        out = np.zeros(shape, np.uint32)
    elif tuple(getattr(out, "shape", ())) != shape:
        raise ValueError(f"out: expected shape {shape}, got {getattr(out, 'shape', None)}")
    workers = resolve_threads(threads)
    show = len(probs) >= _PROGRESS_FROM if progress is None else bool(progress)

    def one(z):
        return z, segment_section(np.asarray(probs[z]), threads=1, **params)

    with ThreadPoolExecutor(workers) as pool, tqdm(total=len(probs), desc="segment",
                                                   disable=not show, leave=False) as bar:
        pending = deque()
        for z in range(len(probs)):
            pending.append(pool.submit(one, z))
            if len(pending) >= 2 * workers:  # bounded: sections are read as they are needed
                _store(pending.popleft(), out, bar)
        while pending:
            _store(pending.popleft(), out, bar)
    return out


def _store(future, out, bar) -> None:
    z, labels = future.result()
    out[z] = labels
    bar.update(1)
