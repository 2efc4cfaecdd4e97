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

from ..evaluation import stats as m
from .grade_file import InputError
from .ranking import REVIEW_FLAGS, CandidateResult, answer_flags, highlight, rank
from ..grading.results import AnswerGrade, BatchFlag, Flag, Verdict
from ..rubric.model import Rubric, load_rubric
from ..grading.scoring import question_score
from .store import answer_digest, connect_sqlite
from .inputs import CandidateAnswer

VERDICTS = [Verdict.covered.value, Verdict.partial.value, Verdict.missing.value]
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

    @property
    def answer_id(self) -> str:
        return f"{self.candidate}/{self.question_id}"

    def as_json(self) -> dict[str, Any]:
        return {"answer_id": self.answer_id, "points": self.points, "score": self.score, "note": self.note, "reviewer": self.reviewer, "time": self.time}


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

    def add(self, review: Review) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO reviews (candidate, question_id, answer_sha, points, score, note, reviewer, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (review.candidate, review.question_id, review.answer_sha, json.dumps(review.points), review.score, review.note, review.reviewer, review.time),
            )

    def all(self) -> list[Review]:
        """Every review ever saved, oldest first."""
        rows = self._db.execute("SELECT candidate, question_id, answer_sha, points, score, note, reviewer, time FROM reviews ORDER BY id").fetchall()
        return [Review(c, q, sha, json.loads(points), score, note or "", reviewer, time) for c, q, sha, points, score, note, reviewer, time in rows]

    def latest(self) -> dict[tuple[str, str], Review]:
        """The latest review of each answer."""
        return {(r.candidate, r.question_id): r for r in self.all()}

    def record_answers(self, answers: Iterable[CandidateAnswer]) -> None:
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO answers VALUES (?, ?, ?)", [(a.candidate, a.question_id, a.answer) for a in answers])
            self._db.execute("COMMIT")

    def answers(self) -> dict[tuple[str, str], str]:
        return {(c, q): text for c, q, text in self._db.execute("SELECT candidate, question_id, answer FROM answers")}

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
            "tier": [NEEDS_REVIEW, BatchFlag.near_cutoff.value, "rest"][self.tier],
        }


class ReviewError(ValueError):
    """A review that cannot be saved; the message says why."""


def needs_person(grade: AnswerGrade, flags: list[str]) -> bool:
    from ..grading.routing import review_reasons

    # Grades stored before routing existed carry no `needs_review`: route them now.
    return NEEDS_REVIEW in flags or bool(set(flags) & REVIEW_FLAGS) or grade.status != "scored" or bool(review_reasons(grade))


@dataclass
class ReviewRun:
    run_dir: Path
    rubric: Rubric
    cutoff: float | None = None
    margin: float = 5.0
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def open(cls, run_dir: Path, rubric_path: Path | None = None, cutoff: float | None = None, margin: float | None = None) -> "ReviewRun":
        run_dir = Path(run_dir)
        if not (run_dir / "grades.sqlite").is_file():
            raise InputError(f"{run_dir}: not a batch run folder (no grades.sqlite); run `grader batch ... -o {run_dir}` first")
        meta: dict[str, Any] = {}
        if (run_dir / "run.json").is_file():
            try:
                meta = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
            except ValueError as exc:
                raise InputError(f"{run_dir / 'run.json'}: not JSON: {exc}") from exc
        rubric_path = rubric_path or (Path(meta["rubric_path"]) if meta.get("rubric_path") else None)
        if rubric_path is None:
            raise InputError(f"{run_dir}: the run does not name its rubric (run.json has no rubric_path): give --rubric")
        return cls(
            run_dir,
            load_rubric(rubric_path),
            cutoff if cutoff is not None else meta.get("cutoff"),
            margin if margin is not None else (meta.get("margin") or 5.0),
            meta,
        )

    @property
    def store_path(self) -> Path:
        return self.run_dir / "grades.sqlite"

    def _graded(self) -> list[tuple[str, str, AnswerGrade]]:
        db = _connect(self.store_path)
        try:
            rows = db.execute("SELECT candidate, answer_sha, result FROM grades ORDER BY candidate, question_id").fetchall()
        finally:
            db.close()
        return [(c, sha, AnswerGrade.model_validate_json(result)) for c, sha, result in rows]

    def _texts(self, store: ReviewStore) -> dict[tuple[str, str], str]:
        texts = store.answers()
        if texts:
            return texts
        # Runs made before the store kept the texts: the last report's grades.jsonl has them.
        path = self.run_dir / "grades.jsonl"
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    record = json.loads(line)
                    texts[(record["candidate"], record["question_id"])] = record.get("answer", "")
        return texts

    def answers(self) -> list[CandidateAnswer]:
        store = ReviewStore(self.store_path)
        try:
            texts = self._texts(store)
        finally:
            store.close()
        return [CandidateAnswer(c, q, text, f"{self.store_path}") for (c, q), text in texts.items()]

    def items(self) -> list[Item]:
        """Every graded answer, in review order."""
        store = ReviewStore(self.store_path)
        try:
            texts = self._texts(store)
            reviews = store.latest()
        finally:
            store.close()
        graded = self._graded()
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
            review = reviews.get((candidate, grade.question_id))
            if review is not None and review.answer_sha != sha:
                review = None
            items.append(Item(f"{candidate}/{grade.question_id}", candidate, grade.question_id, answer, grade, flags, tier, review, totals[candidate]))

        def key(item: Item):
            confidence = item.grade.confidence if item.grade.confidence is not None else item.grade.point_confidence()
            if item.tier == 0:
                return (0, item.grade.status == "scored", NEEDS_REVIEW not in item.flags, confidence if confidence is not None else 0.0, item.candidate, question_order[item.question_id])
            if item.tier == 1:
                return (1, 0, 0, abs(item.candidate_total - (self.cutoff or 0.0)), item.candidate, question_order[item.question_id])
            return (2, 0, 0, 0.0, item.candidate, question_order[item.question_id])

        return sorted(items, key=key)

    def item(self, answer_id: str) -> Item:
        for item in self.items():
            if item.answer_id == answer_id:
                return item
        raise ReviewError(f"unknown answer id {answer_id!r}")

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

    def save(self, answer_id: str, points: dict[str, str], note: str = "", reviewer: str | None = None) -> Review:
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
            store.add(review)
        finally:
            store.close()
        return review

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
        labels = ["missing", "partial", "covered"] + (["unscored"] if "unscored" in predicted else [])

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
        store = ReviewStore(self.store_path)
        try:
            reviews = store.latest()
        finally:
            store.close()
        answers = self.answers()
        grades = [(c, g) for c, _, g in self._graded()]
        return rank(self.rubric, answers, grades, cutoff=self.cutoff, margin=self.margin, reviews=applicable_reviews(reviews, answers))

    def write_reports(self) -> list[Path]:
        """The run's ranking, XLSX, grades.jsonl and HTML report again, with the reviews."""
        from .reports import write_reports
        from ..grading.results import BatchSummary

        stats = BatchSummary()
        for name, value in (self.meta.get("stats") or {}).items():
            if hasattr(stats, name):
                setattr(stats, name, value)
        meta = {"model": "?", "strategy": "?", "prompt_hash": "?", "rubric_hash": self.rubric.content_hash, **self.meta}
        return write_reports(self.run_dir, self.rubric, self.results(), stats, meta)

    def export(self, path: Path) -> int:
        """Reviewed answers as hand-graded samples (`grader eval --samples`); the count written."""
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
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        return len(rows)
