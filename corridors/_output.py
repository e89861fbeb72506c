"""The one writer of the package: every ``-o`` of the CLI and every export goes through it.

It behaves like a careful Unix tool:

* a regular file is replaced atomically: the new content goes to a temporary file in the
  target's own folder, is flushed to disk (``fsync``) and moved over the target with
  :func:`os.replace`, so a reader sees the old file or the new one, never a part of it; an
  existing file keeps its mode (and, for root, its owner), a new one follows the umask;
* a character device (``/dev/null``, a terminal), a FIFO or any other file that is not a
  regular file is written to in place, never replaced;
* ``"-"`` (and ``/dev/stdout``, ``/dev/fd/1``) is standard output;
* a symbolic link is followed: the file it points to is replaced, the link stays a link;
* an empty path, a folder, a missing parent folder or an unwritable place is a
  :class:`~corridors.errors.DataFileError` with one line, and nothing is left behind.

:func:`write_text` writes a whole text; :func:`staged` hands a temporary path to a writer that
needs one (pyogrio, pyarrow, ElementTree) and commits it when the writer is done.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import NamedTuple

from corridors.errors import DataFileError

__all__ = ["STDOUT", "Target", "is_stdout", "staged", "target", "write_text"]

#: The path that means standard output.
STDOUT = "-"
_STDOUT_ALIASES = {"-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"}


class Target(NamedTuple):
    """Where output goes: ``kind`` is ``"file"``, ``"stream"`` or ``"stdout"``.

    ``path`` is the file to replace or to write to, symbolic links followed (``None`` for
    standard output); ``name`` is the path as given, for messages.
    """

    kind: str
    path: Path | None
    name: str


def is_stdout(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` means standard output (``"-"``, ``/dev/stdout``).

    Examples
    --------
    >>> is_stdout("-"), is_stdout("/dev/stdout"), is_stdout("out.json")
    (True, True, False)
    """
    return os.fspath(path) in _STDOUT_ALIASES


def target(path: str | os.PathLike[str]) -> Target:
    """Check where ``path`` leads and how it is to be written, before anything is written.

    Raises
    ------
    DataFileError
        For an empty path, a folder, a missing parent folder or a parent that is not a folder.

    Examples
    --------
    >>> target("-").kind
    'stdout'
    >>> target("/dev/null").kind
    'stream'
    """
    name = os.fspath(path)
    if name == "":
        raise DataFileError("cannot write to an empty path")
    if is_stdout(name):
        return Target("stdout", None, name)
    real = Path(os.path.realpath(os.path.expanduser(name)))
    try:
        info: os.stat_result | None = os.stat(real)
    except (FileNotFoundError, NotADirectoryError):
        info = None
    except OSError as err:
        raise DataFileError(f"cannot write {name}: {err.strerror or err}") from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise DataFileError(f"cannot write {name}: it is a folder")
    if info is not None and not stat.S_ISREG(info.st_mode):
        return Target("stream", real, name)  # a device, a FIFO: written to, never replaced
    if not real.parent.is_dir():
        raise DataFileError(f"cannot write {name}: no folder {real.parent}")
    return Target("file", real, name)


def write_text(path: str | os.PathLike[str], text: str) -> Target:
    """Write ``text`` (UTF-8) to ``path``: replace a file atomically, write a stream in place.

    Returns
    -------
    Target
        Where it went.

    Raises
    ------
    DataFileError
        When the path cannot be written (see :func:`target`); nothing is left behind.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     write_text(Path(folder) / "out.txt", "hello").kind
    'file'
    """
    where = target(path)
    if where.kind == "stdout":
        sys.stdout.write(text)
        sys.stdout.flush()
        return where
    with staged(where) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return where


@contextmanager
def staged(path: str | os.PathLike[str] | Target, suffix: str = "") -> Iterator[Path]:
    """A temporary path to write to, committed to ``path`` when the block ends without error.

    The temporary file is in a fresh hidden folder next to a regular file (so that the final
    :func:`os.replace` stays on one file system), or in the system's temporary folder for a
    stream or standard output, whose bytes are then copied in place. The temporary folder is
    removed in every case; when the block raises, the target is left as it was.

    Parameters
    ----------
    path
        The target (a path, or a :class:`Target` from :func:`target`).
    suffix
        The temporary file's extension, for writers that pick a format by it (``".gpkg"``).

    Raises
    ------
    DataFileError
        When the path cannot be written; any ``OSError`` of the commit is one too (a closed
        pipe stays a ``BrokenPipeError``, which the CLI ends quietly on).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     with staged(Path(folder) / "out.txt") as tmp:
    ...         _ = tmp.write_text("hello")
    ...     (Path(folder) / "out.txt").read_text()
    'hello'
    """
    where = path if isinstance(path, Target) else target(path)
    folder = where.path.parent if where.kind == "file" and where.path else None
    prefix = f".{where.path.name if where.path else 'stdout'}."
    try:
        tmpdir = Path(tempfile.mkdtemp(dir=folder, prefix=prefix, suffix=".tmp"))
    except OSError as err:
        raise DataFileError(f"cannot write {where.name}: {err.strerror or err}") from None
    try:
        tmp = tmpdir / f"output{suffix}"
        yield tmp
        if not tmp.exists():
            raise DataFileError(f"cannot write {where.name}: the writer wrote nothing")
        _commit(tmp, where)
    except BrokenPipeError:
        raise
    except OSError as err:
        raise DataFileError(f"cannot write {where.name}: {err.strerror or err}") from None
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def _commit(tmp: Path, where: Target) -> None:
    """Move or copy the finished temporary file to its target."""
    if where.kind == "stdout":
        sys.stdout.flush()
        out = getattr(sys.stdout, "buffer", None)
        with tmp.open("rb") as src:
            if out is None:  # a text-only stream (e.g. replaced by a test harness)
                sys.stdout.write(src.read().decode("utf-8", "replace"))
            else:
                shutil.copyfileobj(src, out)
                out.flush()
        sys.stdout.flush()
        return
    assert where.path is not None
    if where.kind == "stream":
        with tmp.open("rb") as src, open(where.path, "wb") as dst:
            shutil.copyfileobj(src, dst)
        return
    try:
        old: os.stat_result | None = os.stat(where.path)
    except FileNotFoundError:
        old = None
    if old is not None:
        os.chmod(tmp, stat.S_IMODE(old.st_mode))
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            with suppress(OSError):
                os.chown(tmp, old.st_uid, old.st_gid)
    else:
        os.chmod(tmp, 0o666 & ~_umask())
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, where.path)
    _fsync_folder(where.path.parent)


def _umask() -> int:
    """The process's umask (read by setting it, then putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable; best effort (some file systems refuse to sync a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
