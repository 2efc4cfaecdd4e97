"""Closing the review loop of a batch run: learn the rubric's standard from the run's reviews (or
any labelled answers), save it as the rubric's calibration, and re-cut every unreviewed grade of
the run from its stored probabilities (no model call), then rewrite the ranking and reports.

A batch grade of the yes/no strategy keeps what a calibration reads (each point's P(yes), its
anchor, the calibrated P(covered) and the id of the calibration that cut it); the answer's text is
in the run's store. Reviewed answers keep their model grade as it was: the reviewer's verdicts
count for them, and the page's live agreement compares with what the model said before.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from ..errors import InputError
from ..grading.calibration import Calibration, Thresholds, has_probabilities, recut_grade, resolve_calibration, save_rubric_calibration
from ..grading.results import AnswerGrade
from ..grading.routing import near_cut_points
from ..evaluation.review_fit import ReviewedPoint, Unreviewed, cross_validated_agreement, fit_point_thresholds, next_to_review
from ..grading.strategies import prepared
from .review import ReviewRun
from .review_store import ReviewStore
from .store import GradeStore

METHOD = "per-question fit shrunk halfway to the pooled fit (review_fit.fit_point_thresholds)"


def run_model(run: ReviewRun) -> tuple[str, str]:
    """(model, prompt hash) of a batch run graded by the yes/no strategy; other runs have no
    probabilities to learn from or re-cut."""
    meta = run.meta
    if meta.strategy != "yesno":
        raise InputError(
            f"{run.run_dir}: graded with the {meta.strategy or 'unknown'} strategy: its grades have no probabilities to calibrate "
            "(a calibration cuts the yes/no strategy's P(yes); re-grade with --strategy yesno on an endpoint that returns log-probabilities)"
        )
    if not meta.model or not meta.prompt_hash:
        raise InputError(f"{run.run_dir / 'run.json'}: names no model or prompt_hash: re-run `grader batch` on the folder to record them")
    return meta.model, meta.prompt_hash


def reviewed_points(rubric, graded: Iterable[tuple[str, AnswerGrade, str, Mapping[str, str]]], base: Calibration) -> list[ReviewedPoint]:
    """What a fit reads from labelled answers: (answer id, the model's grade, the answer's text, the
    labels by point id) -> one row per labelled point, with the probability `base` cuts."""
    rows = []
    questions = {q.id: q for q in rubric.questions()}
    for answer_id, grade, answer, labels in graded:
        question = questions.get(grade.question_id)
        if question is None or not has_probabilities(grade):
            continue
        # Re-cut by the base alone, so that the stored P(covered) is the one the base gives.
        probability = {p.id: p.p_covered for p in recut_grade(grade, question, lambda answer=answer: prepared(answer).text, base).points}
        for point_id, label in labels.items():
            if point_id in probability:
                rows.append(ReviewedPoint(answer_id, question.id, point_id, probability[point_id], label))
    return rows


@dataclass
class Learnt:
    """A rubric fit and what it is worth."""

    base: Calibration
    fitted: dict  # (question id, point id) -> Thresholds
    agreement: dict  # cross_validated_agreement: before / after, by answer within question
    n_answers: int

    def describe(self) -> str:
        before, after = self.agreement["before"], self.agreement["after"]
        questions = len({q for q, _ in self.fitted})

        def figure(value) -> str:
            return "n/a" if value is None else f"{value:.3f}"

        return (
            f"learnt from {self.n_answers} reviewed answers ({self.agreement['n_points']} points), {questions} questions fitted; "
            f"cross-validated by answer within question ({self.agreement['folds']} folds): "
            f"point kappa {figure(before['point_kappa'])} -> {figure(after['point_kappa'])}, "
            f"agreement {figure(before['point_agreement'])} -> {figure(after['point_agreement'])}"
        )


def learn(rubric, graded: list[tuple[str, AnswerGrade, str, Mapping[str, str]]], base: Calibration) -> Learnt:
    rows = reviewed_points(rubric, graded, base)
    if not rows:
        raise InputError("no reviewed answers with probabilities to learn from: review some answers of a yes/no run first")
    return Learnt(base, fit_point_thresholds(rows, base.thresholds), cross_validated_agreement(rows, base.thresholds), len({r.answer_id for r in rows}))


def _store_rows(run: ReviewRun) -> tuple[list[tuple[str, str, str, str]], dict, dict]:
    store, reviews = GradeStore(run.store_path), ReviewStore(run.store_path)
    try:
        rows, latest = store.rows(), reviews.latest()
    finally:
        store.close()
        reviews.close()
    texts = {(a.candidate, a.question_id): a.answer for a in run.answers()}
    return rows, latest, texts


def learn_from_reviews(run: ReviewRun, labels: Mapping[str, Mapping[str, str]] | None = None) -> Learnt:
    """A fit of the run's rubric on its reviewed answers (or, with `labels`, on those labels by
    answer id "candidate/question id"), over the base calibration of the run's model and prompt."""
    model, prompt_hash = run_model(run)
    base = resolve_calibration(model, prompt_hash)
    rows, latest, texts = _store_rows(run)
    graded = []
    for candidate, question_id, sha, result in rows:
        answer_id = f"{candidate}/{question_id}"
        if labels is not None:
            chosen = labels.get(answer_id)
        else:
            review = latest.get((candidate, question_id))
            chosen = review.points if review is not None and review.answer_sha == sha else None
        if chosen:
            graded.append((answer_id, AnswerGrade.model_validate_json(result), texts.get((candidate, question_id), ""), chosen))
    return learn(run.rubric, graded, base)


def save_learnt(run: ReviewRun, learnt: Learnt, note: str, path: Path | None = None) -> Path:
    model, prompt_hash = run_model(run)
    return save_rubric_calibration(model, prompt_hash, run.rubric, learnt.base, learnt.fitted, note, METHOD, learnt.agreement, path)


@dataclass
class Recut:
    calibration: str  # its label
    recut: int  # grades whose verdicts were re-cut
    unchanged: int  # already cut by this calibration, or without probabilities
    reviewed: int  # left as the model graded them: a person's verdicts count there
    seconds: float


def recut_run(run: ReviewRun, calibration: Calibration | None = None, write_reports: bool = True) -> Recut:
    """Re-cut every unreviewed grade of the run by `calibration` (default: the one that applies to
    its rubric now), store them, and rewrite the ranking and reports (when a grade changed)."""
    started = time.monotonic()
    model, prompt_hash = run_model(run)
    calibration = calibration or resolve_calibration(model, prompt_hash, run.rubric)
    rows, latest, texts = _store_rows(run)
    questions = {q.id: q for q in run.rubric.questions()}
    changes, unchanged, reviewed = [], 0, 0
    for candidate, question_id, sha, result in rows:
        review = latest.get((candidate, question_id))
        if review is not None and review.answer_sha == sha:
            reviewed += 1
            continue
        question = questions.get(question_id)
        grade = AnswerGrade.model_validate_json(result)
        text = lambda key=(candidate, question_id): prepared(texts.get(key, "")).text  # noqa: E731
        new = recut_grade(grade, question, text, calibration) if question else grade
        if new is grade:
            unchanged += 1
        else:
            changes.append((candidate, question_id, sha, result, new.model_dump_json()))
    store = GradeStore(run.store_path)
    try:
        written = store.replace_results(changes)
    finally:
        store.close()
    if write_reports and written:
        run.write_reports()
    return Recut(calibration.label, written, unchanged + len(changes) - written, reviewed, round(time.monotonic() - started, 3))


@dataclass
class ReviewPlan:
    """What the reviews so far ask for next: per question the answers whose review teaches the fit
    most and how many more it needs (`review_fit.next_to_review`), and the unreviewed answers
    routed to a person because their question still needs reviews and a point of theirs sits
    near its cut points (`routing.near_cut_points`). No review yet: nothing is routed, so a run
    nobody has started reviewing is queued as routing alone would queue it."""

    questions: dict[str, dict]
    routed: set[str]


def review_plan(run: ReviewRun, per_question: int = 3) -> ReviewPlan:
    model, prompt_hash = run_model(run)
    base = resolve_calibration(model, prompt_hash)
    rows, latest, texts = _store_rows(run)
    questions = {q.id: q for q in run.rubric.questions()}
    reviewed, unreviewed, reviewed_texts, cut = [], [], {}, {}
    for candidate, question_id, sha, result in rows:
        question, key = questions.get(question_id), (candidate, question_id)
        grade = AnswerGrade.model_validate_json(result)
        if question is None or not has_probabilities(grade):
            continue
        answer_id, text = f"{candidate}/{question_id}", texts.get(key, "")
        review = latest.get(key)
        if review is not None and review.answer_sha == sha:
            reviewed_texts[answer_id] = text
            reviewed += reviewed_points(run.rubric, [(answer_id, grade, text, review.points)], base)
            continue
        cut[answer_id] = recut_grade(grade, question, lambda text=text: prepared(text).text, base)
        known = [p.p_covered for p in cut[answer_id].points if p.p_covered is not None]
        unreviewed.append(Unreviewed(answer_id, question_id, sum(known) / len(known) if known else None, text))
    asked = next_to_review(unreviewed, reviewed, base.thresholds, reviewed_texts, per_question)
    routed = set()
    if reviewed:
        for u in unreviewed:
            plan = asked.get(u.question_id)
            if plan and plan["needed"] > 0 and near_cut_points(cut[u.answer_id], Thresholds(**plan["thresholds"])):
                routed.add(u.answer_id)
    for question_id, plan in asked.items():
        plan["routed"] = sum(1 for a in routed if a.rsplit("/", 1)[1] == question_id)
    return ReviewPlan(asked, routed)
