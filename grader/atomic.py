"""Writing a file so that a crash, a kill or a full disk leaves the previous file or none, never a
part of the new one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# mkstemp makes a file only its owner can read; the renamed file gets the mode a plain open() would
# give it (read once here: os.umask can only be read by setting it).
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def atomic_write(path: Path, data: str | bytes, encoding: str = "utf-8") -> None:
    """Write `data` to a temporary file beside `path`, flush it to disk, then rename it over `path`
    (a rename within one folder is atomic). On any failure the temporary file is removed and
    `path` is as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(name, 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode(encoding) if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
