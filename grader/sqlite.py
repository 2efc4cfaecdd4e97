"""SQLite as the grader opens it: one opener for every store and cache (the run's grade store,
the shared grade cache, the anchors, the reviews), connections whose failures name their file, and a
small keyed table."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .errors import StorageError


def digest(*parts: str) -> str:
    """A key from parts that cannot run into each other."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def connect_sqlite(path: Path, *, timeout: float = 5.0, synchronous: str = "NORMAL") -> sqlite3.Connection:
    """Autocommit (every write is durable at once), WAL, shared by the worker threads.

    synchronous=NORMAL: in WAL mode a commit survives a crash or kill of the process (what a
    resume must survive) without an fsync per grade, which cost ~2 ms of every request in a batch;
    only a power cut can lose the last grades, and a resume re-grades those."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=timeout)
    # Switching to WAL takes an exclusive lock and fails at once ("database is locked", without
    # waiting out the busy timeout) while another process opens the same new file: only the first
    # opener switches, and one that loses that race tries again.
    for attempt in range(50):
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 49:
                raise
            time.sleep(0.1)
    db.execute(f"PRAGMA synchronous={synchronous}")
    return db


def connect_readonly(path: Path, *, timeout: float = 30.0) -> sqlite3.Connection:
    """`path` opened for reading only: reading a store never creates a file or a table. Failures
    are sqlite3 errors, for the reader to name (a store it cannot read is usually bad input)."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False, isolation_level=None, timeout=timeout)


@contextmanager
def write_transaction(db: "sqlite3.Connection | Database") -> Iterator[None]:
    """BEGIN IMMEDIATE .. COMMIT, or ROLLBACK when the block raises: what the block reads and
    writes is one step no other writer interleaves with, stored whole or not at all."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def table_names(db: sqlite3.Connection | Database) -> set[str]:
    return {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


class Database:
    """A store's connection whose failures name its file: a full disk or an I/O error ("database
    or disk is full", "disk I/O error") is a StorageError saying which store, not a traceback.
    Every write commits at once, so what was committed before the failure is kept."""

    def __init__(self, path: Path):
        self.path = path
        self._db = self._named(connect_sqlite, path)

    def _named(self, call, *args):
        try:
            return call(*args)
        except sqlite3.Error as exc:
            raise StorageError(f"{self.path}: {exc} (what was stored before is kept; re-run once this is fixed)") from exc

    def execute(self, sql: str, parameters=()) -> sqlite3.Cursor:
        return self._named(self._db.execute, sql, parameters)

    def executemany(self, sql: str, rows) -> sqlite3.Cursor:
        return self._named(self._db.executemany, sql, rows)

    def close(self) -> None:
        self._db.close()


class KeyedTable:
    """One SQLite table of values by key, shared by threads."""

    def __init__(self, path: Path, schema: str):
        self._lock = threading.Lock()
        self._db = Database(path)
        self._db.execute(schema)

    def close(self) -> None:
        self._db.close()
