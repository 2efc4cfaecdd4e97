"""Routing: which grades the grader would not stand behind alone, and why.

A grade is routed to a person (`Flag.needs_review`, with `review_reasons`) when the grader is
unsure (low confidence, a point at a verdict threshold), when the answer's form is one it is known
to misjudge (a list of the rubric's topics rather than what the candidate would do, text addressed
to the grader, a cut-off answer), or when a quoted piece of evidence is not in the answer. Pure: a
grade and its answer in, reasons out; the same function re-routes stored grades after
re-calibration, so an eval's selective-grading figures are those of the routing that ships.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .gaming import looks_like_generic_ramble, looks_like_topic_list
from .results import AnswerGrade, Flag


@dataclass(frozen=True)
class RoutingPolicy:
    """When to route. The defaults were chosen on the tuning sets' cross-validated predictions
    (evals/experiments/gaming/routing.py; docs/gaming.md)."""

    # Chosen on the tuning sets' out-of-fold predictions with the shipped combiner (fitted on the
    # hand-graded set; evals/experiments/gaming/routing-seed-only.txt): 27% of those answers are
    # routed, and 4-5 of the 25 gaming answers graded more than 2 marks off are not.
    below_confidence: float = 0.66  # mean point confidence under this: the grader is unsure
    near_threshold: float = 0.0  # a point's P(covered) this close to a cut point (0: off; it routed
    # many answers for little gain in agreement on the rest)
    # A keyword list (`gaming.looks_like_topic_list`): many of its trigrams are the rubric's own,
    # it talks about the question ("这道题考察的是…"), or few of its (mostly short) clauses say
    # that anyone does anything.
    keyword_copy: float = 0.3
    keyword_action_share: float = 0.3
    about_the_question: bool = True

    # A long ramble of generalities (`gaming.looks_like_generic_ramble`), chosen on the tuning
    # sets (evals/experiments/gaming/ramble.py): it routes the topic-brushing rambles and the
    # hand-graded set's rambling answers, and none of the strong or buried-point answers.
    ramble_chars: int = 250
    ramble_generality: float = 1.2

    @property
    def id(self) -> str:
        """Names the policy's settings (grade cache keys include it: routing is part of a grade)."""
        return hashlib.sha256(repr(self).encode("utf-8")).hexdigest()[:12]

    def looks_like_generic_ramble(self, answer: str) -> bool:
        return looks_like_generic_ramble(answer, min_chars=self.ramble_chars, generality=self.ramble_generality)

    def looks_like_topic_list(self, answer: str, rubric_texts) -> bool:
        return looks_like_topic_list(answer, rubric_texts, copy=self.keyword_copy, action=self.keyword_action_share, about_the_question=self.about_the_question)


DEFAULT_POLICY = RoutingPolicy()

# The answer's form is one the grader is known to over-grade (`flag_answer_form`).
FORM_FLAGS = (Flag.keyword_list_suspected, Flag.generic_ramble_suspected)
# Reasons read from the text or the grading itself, kept when a stored grade is re-routed.
_STANDING = (Flag.injection_suspected, Flag.truncated, *FORM_FLAGS)
# Reasons read from the point probabilities, set afresh each time a grade is routed.
_DERIVED = (Flag.low_confidence, Flag.near_threshold, Flag.needs_review)


def rubric_texts(question) -> list[str]:
    return [question.prompt, *(p.text for p in question.points)]


def keyword_list_suspected(answer: str, question, policy: RoutingPolicy = DEFAULT_POLICY) -> bool:
    """Does the answer read as the rubric's topics listed rather than an answer?"""
    return policy.looks_like_topic_list(answer, rubric_texts(question))


def review_reasons(grade: AnswerGrade, thresholds=None, policy: RoutingPolicy = DEFAULT_POLICY) -> list[Flag]:
    """Why a scored grade needs a person, from its flags and point probabilities (`thresholds`:
    the verdict cut points the probabilities were cut by, where the grader has them)."""
    if grade.status != "scored" or Flag.empty_answer in grade.flags:
        return []
    reasons = [flag for flag in _STANDING if flag in grade.flags]
    confidence = grade.point_confidence()
    if confidence is not None and confidence < policy.below_confidence:
        reasons.append(Flag.low_confidence)
    if any(f in (Flag.evidence_not_found, Flag.evidence_empty) for p in grade.points for f in p.flags):
        reasons.append(Flag.evidence_not_found)
    if thresholds is not None and policy.near_threshold > 0 and near_cut_points(grade, thresholds, policy.near_threshold):
        reasons.append(Flag.near_threshold)
    return reasons


# An unreviewed answer of a question whose calibration still needs reviews (recruiting/recut.py's
# review plan) is routed, as `BatchFlag.calibration_untrusted`, when a point's P(covered) lies this
# close to the question's cut points: its verdict rests on cut points the reviews have not settled.
# A quarter of the 0.35-0.65 band between the packaged cut points on either side of each.
UNTRUSTED_MARGIN = 0.075


def near_cut_points(grade: AnswerGrade, thresholds, margin: float = UNTRUSTED_MARGIN) -> bool:
    """Does a point's P(covered) lie within `margin` of a cut point?"""
    return any(
        p.p_covered is not None and min(abs(p.p_covered - thresholds.partial), abs(p.p_covered - thresholds.covered)) < margin for p in grade.points
    )


def route(grade: AnswerGrade, thresholds=None, policy: RoutingPolicy = DEFAULT_POLICY) -> AnswerGrade:
    """The grade with `needs_review` and its reasons set afresh (probability-based flags too)."""
    reasons = review_reasons(grade, thresholds, policy)
    flags = [f for f in grade.flags if f not in _DERIVED]
    flags += [f for f in reasons if f in _DERIVED]
    if reasons:
        flags.append(Flag.needs_review)
    return grade.model_copy(update={"flags": flags, "review_reasons": reasons})


def flag_answer_form(grade: AnswerGrade, answer: str, question, policy: RoutingPolicy = DEFAULT_POLICY) -> AnswerGrade:
    """Add `keyword_list_suspected` where the answer reads as a list of the rubric's topics, and
    `generic_ramble_suspected` where it is a long ramble of generalities."""
    if grade.status != "scored":
        return grade
    detected = {
        Flag.keyword_list_suspected: lambda: keyword_list_suspected(answer, question, policy),
        Flag.generic_ramble_suspected: lambda: policy.looks_like_generic_ramble(answer),
    }
    found = [flag for flag in FORM_FLAGS if flag not in grade.flags and detected[flag]()]
    return grade.model_copy(update={"flags": [*grade.flags, *found]}) if found else grade
