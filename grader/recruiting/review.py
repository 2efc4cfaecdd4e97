"""The review queue over a batch run: a person confirms or corrects the model's grades, and every
correction is kept as a label (grader/recruiting/review_store.py), in the queue's order
(review_queue.py); the run's reports are rewritten with the reviews, and the reviews exported as
hand-graded samples (review_export.py).

`ReviewRun` reads the run's store once and keeps it in memory; a re-run of `grader batch` rewrites
model grades only, and its reports show the reviewed scores.
"""

from __future__ import annotations

import math
import sqlite3
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import InputError, ReviewError
from ..evaluation import stats
from ..evaluation.metrics import UNSCORED, point_agreement
from ..jsonl import read_objects
from ..grading.results import AnswerGrade
from ..grading.scoring import question_score
from ..rubric.model import Rubric, load_rubric
from .batch_record import BatchRunRecord, load_batch_record
from .inputs import CandidateAnswer
from .ranking import CandidateResult, answer_flags, highlight, rank
from .review_export import check_target, write_samples
from .review_queue import Item, in_review_order, tier
from .review_store import UNCHECKED, Review, ReviewStore, applicable_reviews, judged_points
from .store import GradeStore, answer_digest, check_store

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
    _grades: GradeStore | None = field(default=None, init=False, repr=False, compare=False)  # both read only
    _reviews: ReviewStore | None = field(default=None, init=False, repr=False, compare=False)
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
            for store in (self._grades, self._reviews):
                if store is not None:
                    store.close()
            self._grades = self._reviews = None
            self._loaded = self._data_version = None

    # ------------------------------------------------------------ reading the store, once

    def _state(self) -> _Loaded:
        """The run as it is in the store now; reads only what changed since the last call."""
        with self._lock:
            try:
                if self._grades is None:
                    self._grades = GradeStore(self.store_path, readonly=True)
                    self._reviews = ReviewStore(self.store_path, readonly=True)
                version = self._grades.data_version()  # changes when another connection commits
                if self._loaded is not None and version == self._data_version:
                    return self._loaded
                # A batch writes grades and texts with INSERT OR REPLACE, which gives the row a new rowid.
                fingerprint = (self._grades.fingerprint(), self._reviews.texts_fingerprint())
                if self._loaded is None or fingerprint != self._loaded.fingerprint:
                    self._loaded = self._load(fingerprint)
                else:
                    self._add_reviews(self._loaded)
            except sqlite3.DatabaseError as exc:
                raise InputError(f"{self.store_path}: cannot be read: {exc}") from None
            self._data_version = version
            return self._loaded

    def _texts(self) -> dict[tuple[str, str], str]:
        texts = self._reviews.texts()
        if texts:
            return texts
        # Runs made before the store kept the texts: the last report's grades.jsonl has them.
        path = self.run_dir / "grades.jsonl"
        if path.is_file():
            for _, record in read_objects(path):
                if isinstance(record, dict) and isinstance(record.get("candidate"), str) and isinstance(record.get("question_id"), str):
                    texts[(record["candidate"], record["question_id"])] = str(record.get("answer", ""))
        return texts

    def _load(self, fingerprint: tuple) -> _Loaded:
        graded = []
        for candidate, question_id, sha, result in self._grades.rows():
            try:
                graded.append((candidate, sha, AnswerGrade.model_validate_json(result)))
            except ValidationError as exc:
                raise InputError(f"{self.store_path}: the grade of {candidate}/{question_id} is not a grade ({exc.error_count()} problems, first: {exc.errors()[0]['msg']})") from None
        texts = self._texts()
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
            place = tier(grade, flags, totals[candidate], self.cutoff, self.margin)
            items.append(Item(f"{candidate}/{grade.question_id}", candidate, grade.question_id, answer, grade, flags, place, None, totals[candidate], sha))
        items = in_review_order(items, question_order, self.cutoff)
        loaded = _Loaded(
            fingerprint, items, {i.answer_id: i for i in items},
            [CandidateAnswer(c, q, text, f"{self.store_path}") for (c, q), text in texts.items()], {}, 0,
        )
        self._add_reviews(loaded)
        return loaded

    def _add_reviews(self, loaded: _Loaded) -> None:
        """Reviews saved since the last one seen (by this page, another page or another process)."""
        for review in self._reviews.since(loaded.last_review_id):
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
        ordered = judged_points(answer_id, question, points)
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
                predicted.append(verdicts.get(pid, UNSCORED))
            if item.grade.status == "scored" and item.grade.score is not None:
                human.append(item.review.score)
                model.append(item.grade.score)
        kappa, accuracy = point_agreement(truth, predicted) if truth else (None, None)

        def finite(value: float | None) -> float | None:
            return None if value is None or math.isnan(value) else round(value, 4)

        return {
            "n_reviewed": len(reviewed),
            "n_points": len(truth),
            "n_scored": len(human),
            "point_kappa": finite(kappa),
            "point_agreement": finite(accuracy),
            "score_mae": finite(stats.mean_absolute_error(human, model)) if human else None,
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
        check_target(path, self.run_dir, force)
        return write_samples(path, self.items())
