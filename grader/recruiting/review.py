"""The review queue over a batch run: a person confirms or corrects the model's grades, and every
correction is kept as a label.

Reviews live in the run's own SQLite store (`grades.sqlite`), in a table of their own: a review
is only ever added (the latest one per answer counts), and the model's grade in `grades` is never
touched. A re-run of `grader batch` rewrites model grades only, and its reports show the reviewed
scores. A review is tied to the text it judged (its sha256): if a re-run grades a changed answer,
the old review no longer applies to it.

Order of the queue: answers that need a person first (flagged `needs_review`, unscored, low
confidence or any other review flag), then those of candidates near the cut-off, then the rest.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from pydantic import ValidationError

from ..files import write_text
from ..errors import GraderError, InputError
from ..evaluation import stats as m
from ..jsonl import read_objects
from .ranking import REVIEW_FLAGS, CandidateResult, answer_flags, highlight, rank
from ..grading.results import LABELS, VERDICTS, AnswerGrade, BatchFlag, Flag
from ..rubric.model import Rubric, load_rubric
from ..grading.scoring import question_score
from ..sqlite import connect_sqlite
from .batch_record import BatchRunRecord, load_batch_record
from .store import answer_digest
from .inputs import CandidateAnswer

NEEDS_REVIEW = Flag.needs_review.value
# Which flag names an exported sample's kind, first match wins; without one the kind is "reviewed".
KIND_FLAGS = [
    f.value
    for f in (
        Flag.injection_suspected, Flag.keyword_list_suspected, Flag.generic_ramble_suspected, BatchFlag.other_language, BatchFlag.too_short, BatchFlag.unscored,
        Flag.low_confidence, Flag.near_threshold, Flag.evidence_not_found, Flag.evidence_empty, Flag.truncated, Flag.needs_review,
    )
]


def _connect(path: Path) -> sqlite3.Connection:
    # A person's review is worth an fsync per save (synchronous=FULL); the page may wait on a
    # batch's writes for longer than a worker would.
    return connect_sqlite(path, timeout=30, synchronous="FULL")


def _connect_readonly(path: Path) -> sqlite3.Connection:
    """The run's store opened for reading only: reading a run never creates a file or a table."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False, isolation_level=None, timeout=30)


def _tables(db: sqlite3.Connection) -> set[str]:
    return {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def check_store(path: Path) -> None:
    """A located error unless `path` is a run's SQLite store with its grades table (read only)."""
    if path.stat().st_size == 0:
        raise InputError(f"{path}: empty file, not a run's store; run `grader batch ... -o {path.parent}` to grade into it")
    try:
        db = _connect_readonly(path)
        try:
            tables = _tables(db)
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise InputError(f"{path}: not a readable SQLite store ({exc}); run `grader batch ... -o {path.parent}` again") from None
    if "grades" not in tables:
        raise InputError(f"{path}: has no grades table, not a run's store; run `grader batch ... -o {path.parent}` first")


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


class ReviewStore:
    """The `reviews` table (append-only) and the `answers` table (the texts that were graded, so a
    review page and a report need no input file) of a run's store."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = _connect(path)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS reviews (id INTEGER PRIMARY KEY AUTOINCREMENT, candidate TEXT, question_id TEXT, "
            "answer_sha TEXT, points TEXT, score REAL, note TEXT, reviewer TEXT, time TEXT)"
        )
        self._db.execute("CREATE TABLE IF NOT EXISTS answers (candidate TEXT, question_id TEXT, answer TEXT, PRIMARY KEY (candidate, question_id))")
        # A save looks up the answer's latest review (the `based_on` check) without a scan.
        self._db.execute("CREATE INDEX IF NOT EXISTS reviews_by_answer ON reviews (candidate, question_id, id)")

    def add(self, review: Review, based_on: int | None = UNCHECKED) -> Review:
        """Append `review`; the saved review, with its id. With `based_on` (the id of the review
        the reviewer saw, None for none), raise ReviewConflict if the answer's current review is
        another one: the check and the insert are one transaction, so two saves cannot both pass."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    f"SELECT {_REVIEW_COLUMNS} FROM reviews WHERE candidate = ? AND question_id = ? ORDER BY id DESC LIMIT 1", (review.candidate, review.question_id)
                ).fetchone()
                current = _review(row) if row and row[3] == review.answer_sha else None  # a review of other text does not count
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
                cursor = self._db.execute(
                    "INSERT INTO reviews (candidate, question_id, answer_sha, points, score, note, reviewer, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (review.candidate, review.question_id, review.answer_sha, json.dumps(review.points), review.score, review.note, review.reviewer, review.time),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return Review(review.candidate, review.question_id, review.answer_sha, review.points, review.score, review.note, review.reviewer, review.time, cursor.lastrowid)

    def all(self) -> list[Review]:
        """Every review ever saved, oldest first."""
        return [_review(row) for row in self._db.execute(f"SELECT {_REVIEW_COLUMNS} FROM reviews ORDER BY id").fetchall()]

    def latest(self) -> dict[tuple[str, str], Review]:
        """The latest review of each answer."""
        return {(r.candidate, r.question_id): r for r in self.all()}

    def record_answers(self, answers: Iterable[CandidateAnswer]) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO answers VALUES (?, ?, ?)", [(a.candidate, a.question_id, a.answer) for a in answers])
            self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()


def applicable_reviews(reviews: dict[tuple[str, str], Review], answers: Iterable[CandidateAnswer]) -> dict[tuple[str, str], Review]:
    """The reviews that judged the text now graded (a changed answer drops its old review)."""
    current = {(a.candidate, a.question_id): answer_digest(a.answer) for a in answers}
    return {key: r for key, r in reviews.items() if current.get(key) == r.answer_sha}


# ---------------------------------------------------------------- a run under review


@dataclass
class Item:
    answer_id: str
    candidate: str
    question_id: str
    answer: str
    grade: AnswerGrade
    flags: list[str]
    tier: int  # 0 needs review, 1 near the cut-off, 2 the rest
    review: Review | None = None
    candidate_total: float = 0.0
    answer_sha: str = ""  # of the text graded: a review of other text does not apply

    def summary(self) -> dict[str, Any]:
        return {
            "answer_id": self.answer_id,
            "candidate": self.candidate,
            "question_id": self.question_id,
            "score": self.grade.score,
            "max_score": self.grade.max_score,
            "flags": self.flags,
            "reviewed": self.review is not None,
            "reviewed_score": self.review.score if self.review else None,
            "review_id": self.review.id if self.review else None,  # what a save gives back as `based_on`
            "tier": [NEEDS_REVIEW, BatchFlag.near_cutoff.value, "rest"][self.tier],
        }


class ReviewError(ValueError):
    """A review that cannot be saved; the message says why."""


def needs_person(grade: AnswerGrade, flags: list[str]) -> bool:
    from ..grading.routing import review_reasons

    # Grades stored before routing existed carry no `needs_review`: route them now.
    return NEEDS_REVIEW in flags or bool(set(flags) & REVIEW_FLAGS) or grade.status != "scored" or bool(review_reasons(grade))


@dataclass
class _Loaded:
    """The run as last read from its store: the queue in order, by id, and the latest review of
    each answer (the newest review id seen, so later reviews are read alone)."""

    fingerprint: tuple
    items: list[Item]
    by_id: dict[str, Item]
    answers: list[CandidateAnswer]
    latest: dict[tuple[str, str], Review]
    last_review_id: int


@dataclass
class ReviewRun:
    """A run under review. The store is read once (grades flagged and ordered once) and kept in
    memory; each call then reads only what changed: reviews newer than the last one seen, or,
    when a batch has rewritten grades or texts since, the whole run again."""

    run_dir: Path
    rubric: Rubric
    cutoff: float | None = None
    margin: float = 5.0
    meta: BatchRunRecord = field(default_factory=BatchRunRecord)  # the run's run.json
    _lock: threading.RLock = field(default_factory=threading.RLock, init=False, repr=False, compare=False)
    _reader: sqlite3.Connection | None = field(default=None, init=False, repr=False, compare=False)
    _data_version: int | None = field(default=None, init=False, repr=False, compare=False)
    _loaded: _Loaded | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def open(cls, run_dir: Path, rubric_path: Path | None = None, cutoff: float | None = None, margin: float | None = None) -> "ReviewRun":
        run_dir = Path(run_dir)
        if not (run_dir / "grades.sqlite").is_file():
            raise InputError(f"{run_dir}: not a batch run folder (no grades.sqlite); run `grader batch ... -o {run_dir}` first")
        check_store(run_dir / "grades.sqlite")
        meta = load_batch_record(run_dir / "run.json") if (run_dir / "run.json").is_file() else BatchRunRecord()
        rubric_path = rubric_path or (Path(meta.rubric_path) if meta.rubric_path else None)
        if rubric_path is None:
            raise InputError(f"{run_dir}: the run does not name its rubric (run.json has no rubric_path): give --rubric")
        return cls(
            run_dir,
            load_rubric(rubric_path),
            cutoff if cutoff is not None else meta.cutoff,
            margin if margin is not None else meta.margin,
            meta,
        )

    @property
    def store_path(self) -> Path:
        return self.run_dir / "grades.sqlite"

    def close(self) -> None:
        with self._lock:
            if self._reader is not None:
                self._reader.close()
                self._reader = None
            self._loaded = self._data_version = None

    # ------------------------------------------------------------ reading the store, once

    def _state(self) -> _Loaded:
        """The run as it is in the store now; reads only what changed since the last call."""
        with self._lock:
            if self._reader is None:
                self._reader = _connect_readonly(self.store_path)
            db = self._reader
            try:
                version = db.execute("PRAGMA data_version").fetchone()[0]  # changes when another connection commits
                if self._loaded is not None and version == self._data_version:
                    return self._loaded
                fingerprint = self._fingerprint(db)
                if self._loaded is None or fingerprint != self._loaded.fingerprint:
                    self._loaded = self._load(db, fingerprint)
                else:
                    self._add_reviews(db, self._loaded)
            except sqlite3.DatabaseError as exc:
                raise InputError(f"{self.store_path}: cannot be read: {exc}") from None
            self._data_version = version
            return self._loaded

    @staticmethod
    def _fingerprint(db: sqlite3.Connection) -> tuple:
        # A batch writes grades and texts with INSERT OR REPLACE, which gives the row a new rowid.
        tables = _tables(db)
        return tuple(db.execute(f"SELECT count(*), max(rowid) FROM {name}").fetchone() if name in tables else None for name in ("grades", "answers"))

    def _texts(self, db: sqlite3.Connection) -> dict[tuple[str, str], str]:
        texts = {(c, q): text for c, q, text in db.execute("SELECT candidate, question_id, answer FROM answers")} if "answers" in _tables(db) else {}
        if texts:
            return texts
        # Runs made before the store kept the texts: the last report's grades.jsonl has them.
        path = self.run_dir / "grades.jsonl"
        if path.is_file():
            for _, record in read_objects(path):
                if isinstance(record, dict) and isinstance(record.get("candidate"), str) and isinstance(record.get("question_id"), str):
                    texts[(record["candidate"], record["question_id"])] = str(record.get("answer", ""))
        return texts

    def _load(self, db: sqlite3.Connection, fingerprint: tuple) -> _Loaded:
        graded = []
        for candidate, question_id, sha, result in db.execute("SELECT candidate, question_id, answer_sha, result FROM grades ORDER BY candidate, question_id"):
            try:
                graded.append((candidate, sha, AnswerGrade.model_validate_json(result)))
            except ValidationError as exc:
                raise InputError(f"{self.store_path}: the grade of {candidate}/{question_id} is not a grade ({exc.error_count()} problems, first: {exc.errors()[0]['msg']})") from None
        texts = self._texts(db)
        totals: dict[str, float] = {}
        for candidate, _, grade in graded:
            totals[candidate] = totals.get(candidate, 0.0) + (grade.score or 0.0)
        question_order = {q.id: i for i, q in enumerate(self.rubric.questions())}
        items = []
        for candidate, sha, grade in graded:
            if grade.question_id not in question_order:
                continue  # a question no longer in the rubric
            answer = texts.get((candidate, grade.question_id), "")
            flags = answer_flags(self.rubric, answer, grade)
            near = self.cutoff is not None and abs(totals[candidate] - self.cutoff) <= self.margin
            tier = 0 if needs_person(grade, flags) else (1 if near else 2)
            items.append(Item(f"{candidate}/{grade.question_id}", candidate, grade.question_id, answer, grade, flags, tier, None, totals[candidate], sha))

        def key(item: Item):
            confidence = item.grade.confidence if item.grade.confidence is not None else item.grade.point_confidence()
            if item.tier == 0:
                return (0, item.grade.status == "scored", NEEDS_REVIEW not in item.flags, confidence if confidence is not None else 0.0, item.candidate, question_order[item.question_id])
            if item.tier == 1:
                return (1, 0, 0, abs(item.candidate_total - (self.cutoff or 0.0)), item.candidate, question_order[item.question_id])
            return (2, 0, 0, 0.0, item.candidate, question_order[item.question_id])

        items.sort(key=key)
        loaded = _Loaded(
            fingerprint, items, {i.answer_id: i for i in items},
            [CandidateAnswer(c, q, text, f"{self.store_path}") for (c, q), text in texts.items()], {}, 0,
        )
        self._add_reviews(db, loaded)
        return loaded

    def _add_reviews(self, db: sqlite3.Connection, loaded: _Loaded) -> None:
        """Reviews saved since the last one seen (by this page, another page or another process)."""
        if "reviews" not in _tables(db):
            return
        for row in db.execute(f"SELECT {_REVIEW_COLUMNS} FROM reviews WHERE id > ? ORDER BY id", (loaded.last_review_id,)).fetchall():
            review = _review(row)
            loaded.latest[(review.candidate, review.question_id)] = review
            loaded.last_review_id = review.id
            item = loaded.by_id.get(review.answer_id)
            if item is not None:
                item.review = review if review.answer_sha == item.answer_sha else None

    def answers(self) -> list[CandidateAnswer]:
        return list(self._state().answers)

    def items(self) -> list[Item]:
        """Every graded answer, in review order."""
        return list(self._state().items)

    def item(self, answer_id: str) -> Item:
        item = self._state().by_id.get(answer_id)
        if item is None:
            raise ReviewError(f"unknown answer id {answer_id!r}")
        return item

    def detail(self, item: Item) -> dict[str, Any]:
        """Everything the page shows for one answer."""
        question = self.rubric.question(item.question_id)
        graded = {p.id: p for p in item.grade.points}
        points = []
        for point in question.points:
            g = graded.get(point.id)
            points.append(
                {
                    "id": point.id,
                    "text": point.text,
                    "weight": point.weight,
                    "model": g.verdict.value if g else None,
                    "evidence": g.evidence if g else "",
                    "reason": g.reason if g else "",
                    "flags": [f.value for f in g.flags] if g else [],
                    "reviewed": item.review.points.get(point.id) if item.review else None,
                }
            )
        return {
            **item.summary(),
            "prompt": question.prompt,
            "answer": item.answer,
            "segments": highlight(item.answer, item.grade),
            "points": points,
            "error": item.grade.error,
            "review": item.review.as_json() if item.review else None,
        }

    def save(self, answer_id: str, points: dict[str, str], note: str = "", reviewer: str | None = None, based_on: int | None = UNCHECKED) -> Review:
        """Add a review of `answer_id`. `based_on`: the id of the review the reviewer started from
        (None: the answer was unreviewed); a save based on a review that is no longer the
        current one raises ReviewConflict and saves nothing. Not given: no check."""
        item = self.item(answer_id)
        question = self.rubric.question(item.question_id)
        expected = [p.id for p in question.points]
        unknown = sorted(set(points) - set(expected))
        missing = [p for p in expected if p not in points]
        if unknown or missing:
            parts = ([f"unknown point ids {unknown}"] if unknown else []) + ([f"no verdict for {missing}"] if missing else [])
            raise ReviewError(f"{answer_id}: {'; '.join(parts)} (question {question.id} has points {expected})")
        bad = {pid: v for pid, v in points.items() if v not in VERDICTS}
        if bad:
            raise ReviewError(f"{answer_id}: bad verdicts {bad}: each must be one of {VERDICTS}")
        ordered = {pid: points[pid] for pid in expected}
        score = question_score(ordered, {p.id: p.weight for p in question.points})
        review = Review(
            item.candidate, item.question_id, answer_digest(item.answer), ordered, score, note.strip(), (reviewer or "").strip() or None,
            datetime.now(timezone.utc).isoformat(timespec="seconds"),
        )
        store = ReviewStore(self.store_path)
        try:
            saved = store.add(review, based_on)
        finally:
            store.close()
        self._state()  # the queue shows the new review at once
        return saved

    def agreement(self, items: list[Item] | None = None) -> dict[str, Any]:
        """Model against reviewer on what has been reviewed: point kappa and score MAE, with counts."""
        reviewed = [i for i in (items if items is not None else self.items()) if i.review is not None]
        truth, predicted, human, model = [], [], [], []
        for item in reviewed:
            verdicts = {p.id: p.verdict.value for p in item.grade.points} if item.grade.status == "scored" else {}
            for pid, label in item.review.points.items():
                truth.append(label)
                predicted.append(verdicts.get(pid, "unscored"))
            if item.grade.status == "scored" and item.grade.score is not None:
                human.append(item.review.score)
                model.append(item.grade.score)
        labels = LABELS + (["unscored"] if "unscored" in predicted else [])

        def finite(value: float) -> float | None:
            return None if value is None or math.isnan(value) else round(value, 4)

        return {
            "n_reviewed": len(reviewed),
            "n_points": len(truth),
            "n_scored": len(human),
            "point_kappa": finite(m.cohen_kappa(truth, predicted, labels)) if truth else None,
            "point_agreement": finite(m.accuracy(truth, predicted)) if truth else None,
            "score_mae": finite(m.mean_absolute_error(human, model)) if human else None,
        }

    # ------------------------------------------------------------ reports and export

    def results(self) -> list[CandidateResult]:
        with self._lock:
            state = self._state()
            answers, reviews = list(state.answers), dict(state.latest)
            # rank() reads grades in the store's order (by candidate, then question).
            ordered = sorted(state.items, key=lambda i: (i.candidate, i.question_id))
        grades = [(i.candidate, i.grade) for i in ordered]
        flags = {(i.candidate, i.question_id): i.flags for i in ordered}
        return rank(self.rubric, answers, grades, cutoff=self.cutoff, margin=self.margin, reviews=applicable_reviews(reviews, answers), flags=flags)

    def write_reports(self) -> list[Path]:
        """The run's ranking, XLSX, grades.jsonl and HTML report again, with the reviews."""
        from .reports import write_reports

        meta = self.meta if self.meta.rubric_hash else self.meta.model_copy(update={"rubric_hash": self.rubric.content_hash})
        return write_reports(self.run_dir, self.rubric, self.results(), meta.stats, meta)

    def export(self, path: Path, force: bool = False) -> int:
        """Reviewed answers as hand-graded samples (`grader eval --samples`); the count written.
        Nothing is written when there are no reviews. `path` is never inside the run folder (its
        store and reports), and an existing file is replaced only with `force`, all at once."""
        path = Path(path)
        target, run_dir = path.resolve(), self.run_dir.resolve()  # symlinks followed
        if target == run_dir or run_dir in target.parents:
            raise InputError(f"{path}: inside the run folder {self.run_dir} (its store and reports); export to a file outside it")
        if path.is_dir():
            raise InputError(f"{path}: is a folder; -o needs a file name such as {path / 'samples.jsonl'}")
        if path.exists() and not force:
            raise InputError(f"{path}: exists; not overwritten (use --force to replace it)")
        rows = []
        for item in self.items():
            if item.review is None:
                continue
            kind = next((f for f in KIND_FLAGS if f in item.flags), "reviewed")
            rows.append(
                {
                    "id": item.answer_id,
                    "question_id": item.question_id,
                    "answer": item.answer,
                    "labels": item.review.points,
                    "score": item.review.score,
                    "kind": kind,
                    "note": item.review.note,
                    "reviewer": item.review.reviewer,
                    "reviewed_at": item.review.time,
                    "model_score": item.grade.score,
                }
            )
        if rows:
            write_text(path, "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))  # a StorageError names path
        return len(rows)
