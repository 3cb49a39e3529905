"""Write files and folders so they appear under their final name only when complete.

Every stage that writes to disk (volumes, CSV, JSON, PNG) goes through :func:`atomic_path`:
it writes to a temporary name in the same folder, then renames. A crash or an exception
leaves whatever was under the final name before untouched.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "temporary_sibling", "commit_path", "remove_path"]


def temporary_sibling(path: str | os.PathLike, tag: str = "tmp") -> Path:
    """A fresh hidden name next to ``path`` keeping its suffix (``a.h5`` -> ``.a.<hex>.tmp.h5``).

    Same folder means the same file system, so the final rename is atomic; keeping the suffix
    lets libraries that choose a format from the extension (Pillow, tifffile) write to it.
    """
    path = Path(path)
    suffix = "".join(path.suffixes[-1:])
    stem = path.name[: len(path.name) - len(suffix)] if suffix else path.name
    return path.with_name(f".{stem}.{secrets.token_hex(4)}.{tag}{suffix}")


def remove_path(path: str | os.PathLike) -> None:
    """Remove a file, link or folder tree if it exists; quiet when it does not."""
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _fsync_tree(path: Path) -> None:
    paths = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    for p in paths:
        with open(p, "rb") as f:
            os.fsync(f.fileno())


def commit_path(tmp: str | os.PathLike, path: str | os.PathLike, *, fsync: bool = False) -> None:
    """Move ``tmp`` (file or folder) to ``path``, replacing what was there.

    A file replaces atomically (``os.replace``). A folder cannot replace a non-empty folder in
    one step, so the old one is first renamed aside, the new one renamed in, and the old one
    deleted; if the second rename fails the old one is put back.
    """
    tmp, path = Path(tmp), Path(path)
    if fsync:
        _fsync_tree(tmp)
    if tmp.is_dir() and (path.exists() or path.is_symlink()):
        aside = temporary_sibling(path, "old")
        os.replace(path, aside)
        try:
            os.replace(tmp, path)
        except BaseException:
            os.replace(aside, path)
            raise
        remove_path(aside)
    else:
        if path.is_dir() and not path.is_symlink():
            remove_path(path)
        os.replace(tmp, path)
    if fsync:
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, fsync: bool = False) -> Iterator[Path]:
    """Context manager yielding a temporary path to write; renamed to ``path`` on success.

    Parameters
    ----------
    path : str or path-like
        The final name. Its folder must exist.
    fsync : bool
        Flush the written data (and the folder entry) to disk before and after the rename,
        so the new content also survives a power cut. Slower; off by default.

    Yields
    ------
    tmp : pathlib.Path
        A name in the same folder, with the same suffix, that does not exist yet. Write a file
        or create a folder there.

    Notes
    -----
    If the ``with`` block raises, the temporary file or folder is removed and the exception
    propagates; anything under ``path`` is left as it was. If the block writes nothing, nothing
    is renamed and ``path`` is left as it was.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(folder / "links.csv") as tmp:
    ...     _ = tmp.write_text("a,b\\n1,2\\n")
    >>> (folder / "links.csv").read_text()
    'a,b\\n1,2\\n'
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"path: folder {str(path.parent)!r} does not exist")
    tmp = temporary_sibling(path)
    try:
        yield tmp
    except BaseException:
        remove_path(tmp)
        raise
    if tmp.exists():
        try:
            commit_path(tmp, path, fsync=fsync)
        except BaseException:
            remove_path(tmp)
            raise
