"""The review queue's entries and their order: answers that need a person first (flagged
`needs_review`, unscored, low confidence or any other review flag), then those of candidates near
the cut-off, then the rest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..grading.results import AnswerGrade, BatchFlag, Flag
from ..grading.routing import review_reasons
from .ranking import REVIEW_FLAGS
from .review_store import Review

NEEDS_REVIEW = Flag.needs_review.value
# The tiers of the queue, in order, as the page names them.
TIERS = [NEEDS_REVIEW, BatchFlag.near_cutoff.value, "rest"]


@dataclass
class Item:
    answer_id: str
    candidate: str
    question_id: str
    answer: str
    grade: AnswerGrade
    flags: list[str]
    tier: int  # an index of TIERS: 0 needs review, 1 near the cut-off, 2 the rest
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
            "tier": TIERS[self.tier],
        }


def needs_person(grade: AnswerGrade, flags: list[str]) -> bool:
    # Grades stored before routing existed carry no `needs_review`: route them now.
    return NEEDS_REVIEW in flags or bool(set(flags) & REVIEW_FLAGS) or grade.status != "scored" or bool(review_reasons(grade))


def tier(grade: AnswerGrade, flags: list[str], candidate_total: float, cutoff: float | None, margin: float) -> int:
    """Which tier of the queue an answer is in (an index of TIERS)."""
    near = cutoff is not None and abs(candidate_total - cutoff) <= margin
    return 0 if needs_person(grade, flags) else (1 if near else 2)


def in_review_order(items: list[Item], question_order: dict[str, int], cutoff: float | None) -> list[Item]:
    """The items in queue order: in the first tier, unscored answers, then those flagged
    `needs_review`, then the least confident; near the cut-off, the nearest candidates first;
    ties by candidate and the question's place in the rubric."""

    def key(item: Item):
        confidence = item.grade.confidence if item.grade.confidence is not None else item.grade.point_confidence()
        if item.tier == 0:
            return (0, item.grade.status == "scored", NEEDS_REVIEW not in item.flags, confidence if confidence is not None else 0.0, item.candidate, question_order[item.question_id])
        if item.tier == 1:
            return (1, 0, 0, abs(item.candidate_total - (cutoff or 0.0)), item.candidate, question_order[item.question_id])
        return (2, 0, 0, 0.0, item.candidate, question_order[item.question_id])

    return sorted(items, key=key)
