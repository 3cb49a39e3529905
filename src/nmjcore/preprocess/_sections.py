"""Section-by-section access shared by the preprocessing functions.

A stack comes in as a NumPy array (read through views, never copied), a
:class:`nmjcore.io.Volume` or a path (read a block of sections at a time); results go to a new
array, an existing array or writable Volume, or a path (written block by block, atomically).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from tqdm.auto import tqdm

from ..io import Volume, create_volume, open_volume
from ..ops._validate import resolve_threads

IMAGE_DTYPES = (np.dtype(np.uint8), np.dtype(np.uint16))


class Sections:
    """Read-only sections of a (Z, Y, X) stack.

    Use as a context manager: a volume opened here from a path is closed on exit.
    """

    def __init__(self, stack, name: str = "stack", *, dtypes=None):
        self.name = name
        self._owned = isinstance(stack, (str, os.PathLike))
        if isinstance(stack, Sections):
            self._array, self._volume = stack._array, stack._volume
        elif isinstance(stack, np.ndarray):
            self._array, self._volume = stack, None
        elif isinstance(stack, (Volume, str, os.PathLike)) or hasattr(stack, "chunks"):
            self._array, self._volume = None, open_volume(stack)
        elif hasattr(stack, "__array__") or isinstance(stack, (list, tuple)):
            self._array, self._volume = np.asarray(stack), None
        else:
            raise TypeError(f"{name}: expected an array, a Volume or a path, got "
                            f"{type(stack).__name__}")
        source = self._array if self._array is not None else self._volume
        self.shape = tuple(int(s) for s in source.shape)
        self.dtype = np.dtype(source.dtype)
        self.sampling = getattr(source, "sampling", None)
        try:
            if len(self.shape) != 3:
                raise ValueError(f"{name}: expected a (Z, Y, X) stack, got shape {self.shape}")
            if 0 in self.shape:
                raise ValueError(f"{name}: expected a non-empty stack, got shape {self.shape}")
            if dtypes is not None and self.dtype not in dtypes:
                names = " or ".join(str(d) for d in dtypes)
                raise TypeError(f"{name}: expected dtype {names}, got {self.dtype}")
        except BaseException:
            self.close()
            raise

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key) -> np.ndarray:
        source = self._array if self._array is not None else self._volume
        return source[key]

    def blocks(self, depth: int) -> Iterator[tuple[int, np.ndarray]]:
        """``(z0, block)`` in z order, ``depth`` sections at a time (views of an array)."""
        for z0 in range(0, len(self), depth):
            yield z0, self[z0:z0 + depth]

    def close(self) -> None:
        if self._owned and self._volume is not None:
            self._volume.close()

    def __enter__(self) -> Sections:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def block_depth(threads: int) -> int:
    """Sections read at once: enough to keep every thread busy, few enough to bound memory."""
    return 2 * threads


def map_sections(sections, fn, section_shape, target, workers, bar) -> None:
    """``target[z] = fn(section z)`` for every section, a block at a time through ``workers``."""
    for z0, block in sections.blocks(block_depth(workers.threads)):
        result = np.empty((len(block), *section_shape), sections.dtype)

        def one(i):
            result[i] = fn(block[i])

        workers.map(one, len(block))
        target[z0:z0 + len(block)] = result
        bar.update(len(block))


@contextlib.contextmanager
def output(out, shape, dtype, *, sampling=None, name: str = "out"):
    """Where results go; yields ``(target, finish)``: write with ``target[z0:z1] = block`` and
    return ``finish()``.

    ``out`` None: a new array (returned). An ndarray or writable Volume: written in place (and
    returned); its shape and dtype must match. A path: a new volume written block by block that
    appears under its name only if the block completes (returned closed).
    """
    shape, dtype = tuple(shape), np.dtype(dtype)
    if out is None:
        array = np.empty(shape, dtype)
        yield array, lambda: array
        return
    if isinstance(out, (str, os.PathLike)):
        volume = create_volume(out, shape, dtype, sampling=sampling)
        with volume:
            yield volume, lambda: volume
        return
    if isinstance(out, (np.ndarray, Volume)):
        if isinstance(out, Volume) and not out.writable:
            raise ValueError(f"{name}: the Volume is read-only")
        if tuple(out.shape) != shape or np.dtype(out.dtype) != dtype:
            raise ValueError(f"{name}: expected shape {shape} and dtype {dtype}, got shape "
                             f"{tuple(out.shape)} and dtype {out.dtype}")
        yield out, lambda: out
        return
    raise TypeError(f"{name}: expected None, an ndarray, a writable Volume or a path, got "
                    f"{type(out).__name__}")


class Workers:
    """A thread pool running a GIL-free kernel on the sections of a block."""

    def __init__(self, threads):
        self.threads = resolve_threads(threads)
        self._pool = ThreadPoolExecutor(self.threads) if self.threads > 1 else None

    def map(self, fn: Callable[[int], object], n: int) -> list:
        if self._pool is None or n == 1:
            return [fn(i) for i in range(n)]
        return list(self._pool.map(fn, range(n)))

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc) -> None:
        if self._pool is not None:
            self._pool.shutdown()


def progress_bar(total: int, desc: str, progress):
    """tqdm over sections; ``progress`` None shows it only on a terminal."""
    return tqdm(total=total, desc=desc, unit="section", disable=None if progress is None
                else not progress, leave=False)
