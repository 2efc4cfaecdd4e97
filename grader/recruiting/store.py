"""The SQLite store of a batch run: every finished grade is committed at once, so a crash or
Ctrl-C loses nothing and a re-run grades nothing twice; plus a cache of grades keyed by what a
grade depends on (model, prompt, the question's rubric, the calibration that cuts it, the routing
policy, the normalised answer). The point anchors are kept by grading/anchors.py."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from ..grading.results import AnswerGrade
from ..errors import InputError
from ..sqlite import Database, KeyedTable, connect_readonly, table_names, write_transaction

if TYPE_CHECKING:
    from .inputs import CandidateAnswer


def answer_digest(answer: str) -> str:
    return hashlib.sha256(answer.encode("utf-8")).hexdigest()[:16]


class GradeStore:
    """The `grades` table of a run's store: the one place that reads or writes it."""

    def __init__(self, path: Path, *, readonly: bool = False):
        """`readonly`: for a reader of a run (the review page, an export): nothing is created or
        written, and a failure is a sqlite3 error for the reader to name."""
        self._lock = threading.Lock()
        if readonly:
            self._db = connect_readonly(path)
            return
        self._db = Database(path)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS grades (candidate TEXT, question_id TEXT, answer_sha TEXT, result TEXT, "
            "cached INTEGER, PRIMARY KEY (candidate, question_id))"
        )

    def finished(self, item: CandidateAnswer) -> bool:
        """True when this exact answer already has a scored grade in this run."""
        row = self._db.execute(
            "SELECT answer_sha, result FROM grades WHERE candidate = ? AND question_id = ?", (item.candidate, item.question_id)
        ).fetchone()
        return bool(row) and row[0] == answer_digest(item.answer) and AnswerGrade.model_validate_json(row[1]).status == "scored"

    def put(self, candidate: str, answer: str, grade: AnswerGrade, cached: bool) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO grades VALUES (?, ?, ?, ?, ?)",
                (candidate, grade.question_id, answer_digest(answer), grade.model_dump_json(), int(cached)),
            )

    # Batches submitted to a provider's Batch API, so that a restart polls them instead of
    # submitting the same answers again.
    def _provider_tables(self) -> None:
        self._db.execute("CREATE TABLE IF NOT EXISTS provider_batches (batch_id TEXT PRIMARY KEY, status TEXT)")
        self._db.execute("CREATE TABLE IF NOT EXISTS provider_requests (custom_id TEXT PRIMARY KEY, batch_id TEXT)")

    def add_provider_batch(self, batch_id: str, custom_ids: list[str]) -> None:
        self._provider_tables()
        with self._lock:
            self._db.execute("BEGIN")
            self._db.execute("INSERT INTO provider_batches VALUES (?, 'submitted')", (batch_id,))
            self._db.executemany("INSERT OR REPLACE INTO provider_requests VALUES (?, ?)", [(c, batch_id) for c in custom_ids])
            self._db.execute("COMMIT")

    def open_provider_batches(self) -> list[str]:
        self._provider_tables()
        return [r[0] for r in self._db.execute("SELECT batch_id FROM provider_batches WHERE status = 'submitted' ORDER BY rowid")]

    def requests_in_open_batches(self) -> set[str]:
        self._provider_tables()
        rows = self._db.execute(
            "SELECT custom_id FROM provider_requests JOIN provider_batches USING (batch_id) WHERE status = 'submitted'"
        )
        return {r[0] for r in rows}

    def requests_of_batch(self, batch_id: str) -> list[str]:
        self._provider_tables()
        return [r[0] for r in self._db.execute("SELECT custom_id FROM provider_requests WHERE batch_id = ?", (batch_id,))]

    def close_provider_batch(self, batch_id: str, status: str) -> None:
        with self._lock:
            self._db.execute("UPDATE provider_batches SET status = ? WHERE batch_id = ?", (status, batch_id))

    def count(self) -> int:
        return self._db.execute("SELECT count(*) FROM grades").fetchone()[0]

    def has_grades(self) -> bool:
        """Whether the store has its grades table (a file graded into by `grader batch`)."""
        return "grades" in table_names(self._db)

    def data_version(self) -> int:
        """Changes whenever another connection commits to the store (grades, reviews or texts):
        a reader that keeps the run in memory asks this before reading anything again."""
        return self._db.execute("PRAGMA data_version").fetchone()[0]

    def fingerprint(self) -> tuple[int, int | None] | None:
        """(count, highest rowid) of the grades; None without a grades table. A batch writes with
        INSERT OR REPLACE, which gives a rewritten row a new rowid, so this changes when any
        grade does."""
        return self._db.execute("SELECT count(*), max(rowid) FROM grades").fetchone() if self.has_grades() else None

    def rows(self) -> list[tuple[str, str, str, str]]:
        """(candidate, question id, answer sha, stored grade JSON) of every grade."""
        return self._db.execute("SELECT candidate, question_id, answer_sha, result FROM grades ORDER BY candidate, question_id").fetchall()

    def replace_results(self, changes: list[tuple[str, str, str, str, str]]) -> int:
        """Rewrite grades in one transaction: (candidate, question id, answer sha, grade JSON read,
        new grade JSON). A row changed since it was read (a batch re-graded it) is left alone.
        Returns how many were rewritten."""
        with self._lock:
            with write_transaction(self._db):
                # INSERT OR REPLACE, not UPDATE: the row gets a new rowid, which is how readers that
                # keep the run in memory (the review page) see that grades changed.
                written = sum(
                    self._db.execute(
                        "INSERT OR REPLACE INTO grades SELECT candidate, question_id, answer_sha, ?, cached FROM grades"
                        " WHERE candidate = ? AND question_id = ? AND answer_sha = ? AND result = ?",
                        (new, candidate, question_id, sha, old),
                    ).rowcount
                    for candidate, question_id, sha, old, new in changes
                )
        return written

    def all_grades(self) -> list[tuple[str, AnswerGrade]]:
        rows = self._db.execute("SELECT candidate, result FROM grades ORDER BY candidate, question_id").fetchall()
        return [(candidate, AnswerGrade.model_validate_json(result)) for candidate, result in rows]

    def close(self) -> None:
        self._db.close()


def check_store(path: Path) -> None:
    """A located error unless `path` is a run's SQLite store with its grades table (read only)."""
    if path.stat().st_size == 0:
        raise InputError(f"{path}: empty file, not a run's store; run `grader batch ... -o {path.parent}` to grade into it")
    try:
        store = GradeStore(path, readonly=True)
        try:
            has_grades = store.has_grades()
        finally:
            store.close()
    except sqlite3.DatabaseError as exc:
        raise InputError(f"{path}: not a readable SQLite store ({exc}); run `grader batch ... -o {path.parent}` again") from None
    if not has_grades:
        raise InputError(f"{path}: has no grades table, not a run's store; run `grader batch ... -o {path.parent}` first")


class GradeCache(KeyedTable):
    """Scored grades shared across runs (default under the user's cache folder), by
    grading/engine.py's `cache_key`."""

    def __init__(self, path: Path):
        super().__init__(path, "CREATE TABLE IF NOT EXISTS cache (key TEXT PRIMARY KEY, result TEXT)")

    def get(self, key: str) -> AnswerGrade | None:
        with self._lock:
            row = self._db.execute("SELECT result FROM cache WHERE key = ?", (key,)).fetchone()
        return AnswerGrade.model_validate_json(row[0]) if row else None

    def put(self, key: str, grade: AnswerGrade) -> None:
        if grade.status == "scored":
            with self._lock:
                self._db.execute("INSERT OR REPLACE INTO cache VALUES (?, ?)", (key, grade.model_dump_json()))
