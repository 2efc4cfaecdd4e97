"""Writing a file whole or not at all: the one way the grader writes its reports and results.

A file is written to a temporary file beside it and renamed over it (`os.replace`, atomic on one
file system), so that a run killed while writing (SIGTERM, Ctrl-C, a full disk) leaves the
previous complete file, or none, never a shorter one that looks complete. A killed process can
leave its hidden temporary file (`.NAME.XXXXXXXX.tmp`) behind; the file it was writing is untouched.
"""

from __future__ import annotations

import os
import secrets
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

from .errors import StorageError


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary path beside `path` to write to; when the block ends, it replaces `path`. If the
    block raises (or the process is interrupted), `path` is left as it was and the temporary file
    removed. A failure to write (a full disk, an I/O error) is a StorageError naming `path`."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = _new_temporary(path)
    except OSError as exc:
        raise StorageError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    try:
        yield tmp
        with tmp.open("rb+") as written:
            os.fsync(written.fileno())  # the data are on disk before the name points at them
        if path.exists():
            os.chmod(tmp, stat.S_IMODE(path.stat().st_mode))  # a replaced file keeps its permissions
        os.replace(tmp, path)
    except OSError as exc:
        raise StorageError(f"{path}: cannot write: {exc.strerror or exc} ({path} left as it was)") from exc
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def open_replacing(path: Path, mode: str = "w", encoding: str | None = "utf-8", newline: str | None = None) -> Iterator[IO]:
    """`open(path, mode)` for writing, through `replacing`: `path` changes only when the block ends."""
    with replacing(path) as tmp:
        with open(tmp, mode, encoding=None if "b" in mode else encoding, newline=newline) as f:
            yield f


def write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    with open_replacing(path, encoding=encoding) as f:
        f.write(text)


def write_bytes(path: Path, data: bytes) -> None:
    with open_replacing(path, "wb") as f:
        f.write(data)


def _new_temporary(path: Path) -> Path:
    # O_EXCL with a random name: two writers of one file (a batch and the review page) never share
    # a temporary file. Mode 0o666 less the umask, as open() would create `path` itself.
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return tmp
        except FileExistsError:
            continue
