"""The reviews of a batch run, kept in the run's own SQLite store (`grades.sqlite`) beside the
model's grades, in tables of their own: `reviews`, append-only (the latest review of an answer
counts), and `answers`, the texts that were graded (so a review page and a report need no input
file). The model's grade in `grades` is never touched. A review is tied to the text it judged (its
sha256): if a re-run grades a changed answer, the old review no longer applies to it.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from ..errors import GraderError, ReviewError
from ..grading.results import VERDICTS
from ..rubric.model import Question
from ..sqlite import connect_readonly, connect_sqlite, table_names, write_transaction
from .inputs import CandidateAnswer
from .store import answer_digest


@dataclass(frozen=True)
class Review:
    candidate: str
    question_id: str
    answer_sha: str
    points: dict[str, str]
    score: float
    note: str = ""
    reviewer: str | None = None
    time: str = ""
    id: int | None = None  # the store's row id, once saved: what `based_on` names

    @property
    def answer_id(self) -> str:
        return f"{self.candidate}/{self.question_id}"

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "answer_id": self.answer_id, "points": self.points, "score": self.score, "note": self.note, "reviewer": self.reviewer, "time": self.time}


# `based_on` not given: a save replaces whatever review is current (scripts; the page always gives it).
UNCHECKED: Any = object()

_REVIEW_COLUMNS = "id, candidate, question_id, answer_sha, points, score, note, reviewer, time"


def _review(row: tuple) -> Review:
    id_, candidate, question_id, sha, points, score, note, reviewer, time = row
    return Review(candidate, question_id, sha, json.loads(points), score, note or "", reviewer, time, id_)


class ReviewConflict(GraderError):
    """A save based on a review that is no longer the current one (another reviewer saved since)."""

    def __init__(self, message: str, current: Review | None):
        super().__init__(message)
        self.current = current


def judged_points(answer_id: str, question: Question, points: dict[str, str]) -> dict[str, str]:
    """A reviewer's verdicts in the question's point order; a ReviewError unless there is exactly
    one for each of its points, each a verdict's name."""
    expected = [p.id for p in question.points]
    unknown = sorted(set(points) - set(expected))
    missing = [p for p in expected if p not in points]
    if unknown or missing:
        parts = ([f"unknown point ids {unknown}"] if unknown else []) + ([f"no verdict for {missing}"] if missing else [])
        raise ReviewError(f"{answer_id}: {'; '.join(parts)} (question {question.id} has points {expected})")
    bad = {pid: v for pid, v in points.items() if v not in VERDICTS}
    if bad:
        raise ReviewError(f"{answer_id}: bad verdicts {bad}: each must be one of {list(VERDICTS)}")
    return {pid: points[pid] for pid in expected}


def current_review(db, candidate: str, question_id: str, answer_sha: str) -> Review | None:
    """The answer's latest review, if it is of this text (a review of other text does not count)."""
    row = db.execute(f"SELECT {_REVIEW_COLUMNS} FROM reviews WHERE candidate = ? AND question_id = ? ORDER BY id DESC LIMIT 1", (candidate, question_id)).fetchone()
    return _review(row) if row and row[3] == answer_sha else None


def insert_review(db, review: Review) -> int:
    """Append `review` (inside the caller's transaction); its id."""
    cursor = db.execute(
        "INSERT INTO reviews (candidate, question_id, answer_sha, points, score, note, reviewer, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (review.candidate, review.question_id, review.answer_sha, json.dumps(review.points), review.score, review.note, review.reviewer, review.time),
    )
    return cursor.lastrowid


class ReviewStore:
    """The `reviews` and `answers` tables of a run's store. `readonly`: for a reader of the run
    (the review page, an export), which creates nothing; a table not there yet reads as empty."""

    def __init__(self, path: Path, *, readonly: bool = False):
        self._lock = threading.Lock()
        self._readonly = readonly
        if readonly:
            self._db = connect_readonly(path)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        # A person's review is worth an fsync per save (synchronous=FULL); the page may wait on a
        # batch's writes for longer than a worker would.
        self._db = connect_sqlite(path, timeout=30, synchronous="FULL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS reviews (id INTEGER PRIMARY KEY AUTOINCREMENT, candidate TEXT, question_id TEXT, "
            "answer_sha TEXT, points TEXT, score REAL, note TEXT, reviewer TEXT, time TEXT)"
        )
        self._db.execute("CREATE TABLE IF NOT EXISTS answers (candidate TEXT, question_id TEXT, answer TEXT, PRIMARY KEY (candidate, question_id))")
        # A save looks up the answer's latest review (the `based_on` check) without a scan.
        self._db.execute("CREATE INDEX IF NOT EXISTS reviews_by_answer ON reviews (candidate, question_id, id)")

    def _has(self, table: str) -> bool:
        return not self._readonly or table in table_names(self._db)

    def add(self, review: Review, based_on: int | None = UNCHECKED) -> Review:
        """Append `review`; the saved review, with its id. With `based_on` (the id of the review
        the reviewer saw, None for none), raise ReviewConflict if the answer's current review is
        another one: the check and the insert are one transaction, so two saves cannot both pass."""
        with self._lock, write_transaction(self._db):
            current = current_review(self._db, review.candidate, review.question_id, review.answer_sha)
            if based_on is not UNCHECKED and (current.id if current else None) != based_on:
                if current is None:
                    message = f"{review.answer_id}: has no current review, not review {based_on}; yours was not saved"
                else:
                    by = f" by {current.reviewer}" if current.reviewer else ""
                    message = (
                        f"{review.answer_id}: review {current.id} was saved{by} at {current.time}, after the one you started from "
                        f"({'none' if based_on is None else based_on}); yours was not saved. Look at it, then save again to replace it"
                    )
                raise ReviewConflict(message, current)
            review_id = insert_review(self._db, review)
        return Review(review.candidate, review.question_id, review.answer_sha, review.points, review.score, review.note, review.reviewer, review.time, review_id)

    def all(self) -> list[Review]:
        """Every review ever saved, oldest first."""
        return self.since(0)

    def since(self, last_id: int) -> list[Review]:
        """The reviews saved after review `last_id`, oldest first."""
        if not self._has("reviews"):
            return []
        return [_review(row) for row in self._db.execute(f"SELECT {_REVIEW_COLUMNS} FROM reviews WHERE id > ? ORDER BY id", (last_id,)).fetchall()]

    def latest(self) -> dict[tuple[str, str], Review]:
        """The latest review of each answer."""
        return {(r.candidate, r.question_id): r for r in self.all()}

    def record_answers(self, answers: Iterable[CandidateAnswer]) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO answers VALUES (?, ?, ?)", [(a.candidate, a.question_id, a.answer) for a in answers])
            self._db.execute("COMMIT")

    def texts(self) -> dict[tuple[str, str], str]:
        """The graded texts by (candidate, question id); empty for a run from before they were kept."""
        if not self._has("answers"):
            return {}
        return {(c, q): text for c, q, text in self._db.execute("SELECT candidate, question_id, answer FROM answers")}

    def texts_fingerprint(self) -> tuple[int, int | None] | None:
        """(count, highest rowid) of the texts (a batch rewrites them with INSERT OR REPLACE, which
        gives the row a new rowid); None without the table."""
        return self._db.execute("SELECT count(*), max(rowid) FROM answers").fetchone() if self._has("answers") else None

    def close(self) -> None:
        self._db.close()


def applicable_reviews(reviews: dict[tuple[str, str], Review], answers: Iterable[CandidateAnswer]) -> dict[tuple[str, str], Review]:
    """The reviews that judged the text now graded (a changed answer drops its old review)."""
    current = {(a.candidate, a.question_id): answer_digest(a.answer) for a in answers}
    return {key: r for key, r in reviews.items() if current.get(key) == r.answer_sha}
