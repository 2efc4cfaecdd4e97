"""Ranking a run's candidates: each answer's flags (the grader's and what only a batch sees),
section and question totals, reviewed scores in place of the grader's, and who goes to a person first."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from ..grading.injection import injection_suspected
from ..grading.results import AnswerGrade, BatchFlag, Flag, Verdict
from ..grading.scoring import sum_scores
from ..textnorm import normalise
from ..rubric.model import Rubric
from .inputs import CandidateAnswer
from .review_store import Review


MIN_ANSWER_CHARS = 20


def _cjk_share(text: str) -> float:
    chars = [c for c in normalise(text) if not c.isdigit()]
    return sum("\u3400" <= c <= "\u9fff" for c in chars) / len(chars) if chars else 0.0


def answer_flags(rubric: Rubric, answer: str, grade: AnswerGrade) -> list[str]:
    flags = {f.value for f in grade.flags}
    flags |= {f.value for p in grade.points for f in p.flags}
    if grade.status != "scored":
        flags.add(BatchFlag.unscored.value)
    if injection_suspected(answer):
        flags.add(Flag.injection_suspected.value)
    if grade.rubric_hash != rubric.question(grade.question_id).content_hash:
        flags.add(BatchFlag.older_rubric.value)  # graded against an earlier version of this question's points
    if len(normalise(answer)) < MIN_ANSWER_CHARS:
        flags.add(BatchFlag.too_short.value)
    share = _cjk_share(answer)
    if (rubric.language == "zh" and share < 0.3) or (rubric.language == "en" and share > 0.3):
        flags.add(BatchFlag.other_language.value)
    return sorted(flags)


# What sends a candidate to a person: the grader's own routing (`needs_review` and its reasons,
# grader/grading/routing.py) and what only the batch can see.
REVIEW_FLAGS = {
    *(f.value for f in (BatchFlag.unscored, BatchFlag.other_language, BatchFlag.older_rubric)),
    *(f.value for f in (Flag.needs_review, Flag.injection_suspected, Flag.evidence_not_found, Flag.low_confidence, Flag.keyword_list_suspected, Flag.generic_ramble_suspected, Flag.near_threshold)),
}


@dataclass
class RankedAnswer:
    """One of a candidate's answers as the reports show it."""

    grade: AnswerGrade
    answer: str
    flags: list[str]  # `answer_flags`
    segments: list[tuple[str, str | None]]  # `highlight`: the text, evidence marked by point id
    review: Review | None = None  # the review that applies to this text, if any

    @property
    def awaits_person(self) -> bool:
        """An answer the grader would not stand behind (routed or unscored) that nobody reviewed yet."""
        return bool({Flag.needs_review.value, BatchFlag.unscored.value} & set(self.flags)) and self.review is None


@dataclass
class CandidateResult:
    candidate: str
    total: float | None  # None when a section has no total
    max_total: float
    sections: dict[str, float | None]  # None when an answer of the section is unscored
    questions: dict[str, float | None]
    answers: list[RankedAnswer]  # in the rubric's order, those awaiting a person first
    needs_review: list[str]
    reviewed: list[str] = field(default_factory=list)  # question ids whose score is a person's
    notes: list[str] = field(default_factory=list)  # why a total is missing
    rank: int | None = None  # place by total, whatever the order of the list; None without a total


def rank(
    rubric: Rubric,
    answers: Iterable[CandidateAnswer],
    grades: list[tuple[str, AnswerGrade]],
    cutoff: float | None = None,
    margin: float = 5.0,
    reviews: dict[tuple[str, str], Review] | None = None,
    flags: dict[tuple[str, str], list[str]] | None = None,
) -> list[CandidateResult]:
    """Candidates by total. `reviews` ((candidate, question id) -> grader.recruiting.review_store.Review, those
    that apply to the graded text): a reviewed answer counts the reviewer's score, and its review
    flags no longer send the candidate to review. `flags`: each answer's `answer_flags`, where the
    caller has them already (the review queue), so that they are not computed again."""
    text_of = {(a.candidate, a.question_id): a.answer for a in answers}
    reviews = reviews or {}
    by_candidate: dict[str, list[AnswerGrade]] = {}
    for candidate, grade in grades:
        by_candidate.setdefault(candidate, []).append(grade)
    results = []
    for candidate, graded in by_candidate.items():
        reviewed = {g.question_id: reviews[(candidate, g.question_id)] for g in graded if (candidate, g.question_id) in reviews}
        questions = {g.question_id: (reviewed[g.question_id].score if g.question_id in reviewed else g.score) for g in graded}
        errors = {g.question_id: g.error or "unscored" for g in graded if questions[g.question_id] is None}
        # An unscored answer is unknown, not 0: its section (and so the candidate) has no total.
        sections, notes = {}, []
        for s in rubric.sections:
            missing = [q.id for q in s.questions if q.id in errors]
            sections[s.id] = None if missing else sum_scores(questions[q.id] for q in s.questions if q.id in questions)
            if missing:
                notes.append(f"{s.id}: no total, {', '.join(f'{q} unscored ({errors[q][:80]})' for q in missing)}")
        total = None if notes else sum_scores(sections.values())
        rows, review = [], set()
        for g in sorted(graded, key=lambda g: [q.id for q in rubric.questions()].index(g.question_id)):
            answer = text_of.get((candidate, g.question_id), "")
            answer_flag_list = flags[(candidate, g.question_id)] if flags is not None else answer_flags(rubric, answer, g)
            if g.question_id not in reviewed:
                review |= set(answer_flag_list) & REVIEW_FLAGS
            rows.append(RankedAnswer(g, answer, answer_flag_list, highlight(answer, g), reviewed.get(g.question_id)))
        answered = {g.question_id for g in graded}
        if answered != {q.id for q in rubric.questions()}:
            review.add(BatchFlag.incomplete.value)
        if cutoff is not None and total is not None and abs(total - cutoff) <= margin:
            review.add(BatchFlag.near_cutoff.value)
        # Within a candidate, answers routed to a person (and not yet reviewed) come first.
        rows.sort(key=lambda row: not row.awaits_person)
        order = [q.id for q in rubric.questions()]
        results.append(CandidateResult(candidate, total, rubric.max_total, sections, questions, rows, sorted(review), sorted(reviewed, key=order.index), notes))
    # Candidates without a total come last: they cannot be placed until re-run (or reviewed).
    results.sort(key=lambda r: (r.total is None, -(r.total or 0), r.candidate))
    for place, result in enumerate(results, start=1):
        result.rank = place if result.total is not None else None
    # Candidates with an answer the grader would not stand behind (routed or unscored) are listed
    # first, their rank still their place by total, so that a recruiter reads those before the rest.
    results.sort(key=lambda r: not any(row.awaits_person for row in r.answers))
    return results


def highlight(answer: str, grade: AnswerGrade) -> list[tuple[str, str | None]]:
    """The answer as (text, point id or None) segments, evidence marked where it occurs verbatim."""
    marks = []
    for p in grade.points:
        if p.verdict is not Verdict.missing and p.evidence:
            start = answer.find(p.evidence)
            if start >= 0:
                marks.append((start, start + len(p.evidence), p.id))
    marks.sort()
    segments, pos = [], 0
    for start, end, pid in marks:
        if start < pos:
            continue  # overlapping evidence: the first mark wins
        segments += [(answer[pos:start], None), (answer[start:end], pid)]
        pos = end
    segments.append((answer[pos:], None))
    return [s for s in segments if s[0]]
