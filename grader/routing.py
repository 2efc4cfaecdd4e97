"""Routing: which grades the grader would not stand behind alone, and why.

A grade is routed to a person (`Flag.needs_review`, with `review_reasons`) when the grader is
unsure (low confidence, a point at a verdict threshold), when the answer's form is one it is known
to misjudge (a list of the rubric's topics, text addressed to the grader, a cut-off answer), or
when a quoted piece of evidence is not in the answer. Pure: a grade and its answer in, reasons
out; the same function re-routes stored grades after re-calibration, so an eval's selective
grading figures are those of the routing that ships.
"""

from __future__ import annotations

from .gaming import rubric_copy, short_clause_share
from .results import AnswerGrade, Flag

# Answers whose mean point confidence is below this are routed. Chosen on the hand-graded set's
# cross-validated predictions (README, "Selective grading").
REVIEW_BELOW_CONFIDENCE = 0.74
# A point whose calibrated P(covered) is this close to a verdict threshold could go either way.
NEAR_THRESHOLD = 0.02
# A keyword list: most of its trigrams are the rubric's own, or most of its clauses are bare
# noun phrases (evals/experiments/gaming/).
KEYWORD_LIST_COPY = 0.45
KEYWORD_LIST_SHORT_CLAUSES = 0.6

# Reasons read from the text or the grading itself, kept when a stored grade is re-routed.
_STANDING = (Flag.injection_suspected, Flag.truncated, Flag.keyword_list_suspected)


def rubric_texts(question) -> list[str]:
    return [question.prompt, *(p.text for p in question.points)]


def keyword_list_suspected(answer: str, question) -> bool:
    """Does the answer read as the rubric's topics listed rather than an answer?"""
    return rubric_copy(answer, rubric_texts(question)) >= KEYWORD_LIST_COPY or short_clause_share(answer) >= KEYWORD_LIST_SHORT_CLAUSES


def review_reasons(grade: AnswerGrade, thresholds=None, *, below_confidence: float = REVIEW_BELOW_CONFIDENCE) -> list[Flag]:
    """Why a scored grade needs a person, from its flags and point probabilities (`thresholds`:
    the verdict cut points the probabilities were cut by, where the grader has them)."""
    if grade.status != "scored" or Flag.empty_answer in grade.flags:
        return []
    reasons = [flag for flag in _STANDING if flag in grade.flags]
    confidence = grade.point_confidence()
    if confidence is not None and confidence < below_confidence:
        reasons.append(Flag.low_confidence)
    if any(f in (Flag.evidence_not_found, Flag.evidence_empty) for p in grade.points for f in p.flags):
        reasons.append(Flag.evidence_not_found)
    if thresholds is not None and any(
        p.p_covered is not None and min(abs(p.p_covered - thresholds.partial), abs(p.p_covered - thresholds.covered)) < NEAR_THRESHOLD
        for p in grade.points
    ):
        reasons.append(Flag.near_threshold)
    return reasons


def route(grade: AnswerGrade, thresholds=None, **options) -> AnswerGrade:
    """The grade with `needs_review` and its reasons set afresh (probability-based flags too)."""
    reasons = review_reasons(grade, thresholds, **options)
    derived = {Flag.low_confidence, Flag.near_threshold, Flag.needs_review}
    flags = [f for f in grade.flags if f not in derived]
    flags += [f for f in reasons if f in derived and f not in flags]
    if reasons:
        flags.append(Flag.needs_review)
    return grade.model_copy(update={"flags": flags, "review_reasons": reasons})


def flag_keyword_list(grade: AnswerGrade, answer: str, question) -> AnswerGrade:
    """Add `keyword_list_suspected` where the answer reads as a list of the rubric's topics."""
    if grade.status == "scored" and Flag.keyword_list_suspected not in grade.flags and keyword_list_suspected(answer, question):
        return grade.model_copy(update={"flags": [*grade.flags, Flag.keyword_list_suspected]})
    return grade



