"""The typed results of grading: per point, per answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Literal

from pydantic import BaseModel, Field

from ..model.usage import Usage  # re-exported: a grade carries what its calls cost


class Verdict(str, Enum):
    """A point's verdict: the one list of them (declared best first)."""

    covered = "covered"
    partial = "partial"
    missing = "missing"


# The verdicts' names, best first: the order a reviewer is offered them and the model's JSON schema lists them.
VERDICTS: tuple[str, ...] = tuple(v.value for v in Verdict)
# The verdicts as labels, worst first (metrics and calibration read them as an ordinal scale).
LABELS: list[str] = list(reversed(VERDICTS))


class Flag(str, Enum):
    """Why a result deserves a second look."""

    evidence_not_found = "evidence_not_found"  # verdict downgraded: quote is not in the answer
    evidence_empty = "evidence_empty"  # covered/partial with no quote at all
    injection_suspected = "injection_suspected"
    empty_answer = "empty_answer"
    truncated = "truncated"
    low_confidence = "low_confidence"  # the grader is unsure: a person should look
    keyword_list_suspected = "keyword_list_suspected"  # names the rubric's topics more than it answers
    generic_ramble_suspected = "generic_ramble_suspected"  # long, and says what matters, not what is done
    near_threshold = "near_threshold"  # a point's probability sits at a verdict threshold
    # The answer-level routing flag: the grader would not stand behind this grade alone; the
    # grade's `review_reasons` say why (any of the flags above).
    needs_review = "needs_review"


class BatchFlag(str, Enum):
    """Flags only a batch (or its review) can see, beside a grade's own `Flag`s: of an answer
    (`unscored` .. `other_language`) and of a candidate (`incomplete`, `near_cutoff`). Kept apart
    from `Flag`, whose values a grade may carry; both together are every flag the reports show."""

    unscored = "unscored"  # the grader failed to score the answer
    older_rubric = "older_rubric"  # graded against an earlier version of the question's points
    too_short = "too_short"
    other_language = "other_language"
    incomplete = "incomplete"  # the candidate did not answer every question
    near_cutoff = "near_cutoff"  # the candidate's total is within the margin of the cut-off
    # The answer's question still needs reviews before its calibration is trusted, and a point of
    # the answer sits near that question's cut points (routing.near_cut_points): review it.
    calibration_untrusted = "calibration_untrusted"


class PointGrade(BaseModel):
    id: str
    verdict: Verdict
    evidence: str = ""
    reason: str = ""
    flags: list[Flag] = Field(default_factory=list)
    model_verdict: Verdict | None = None  # what the model said before the evidence check
    p_covered: float | None = None  # calibrated probability that the point is covered, where known
    p_model: float | None = None  # the model's own P(yes) before any combiner
    p_anchor: float | None = None  # the model's P(yes) for this point given a content-free answer


class AnswerGrade(BaseModel):
    """One graded (or unscored) answer. `score` is None when unscored: never a silent zero."""

    answer_id: str | None = None
    question_id: str
    status: Literal["scored", "unscored"]
    score: float | None
    max_score: float
    points: list[PointGrade] = Field(default_factory=list)
    flags: list[Flag] = Field(default_factory=list)
    error: str | None = None
    strategy: str
    model: str
    system_fingerprint: str | None = None
    prompt_hash: str
    rubric_hash: str
    # Which calibration cut the verdicts (`Calibration.id_for`); None where none did (structured).
    calibration_id: str | None = None
    usage: Usage = Field(default_factory=Usage)
    seconds: float = 0.0
    confidence: float | None = None  # mean confidence in the point verdicts, where the grader gives one
    review_reasons: list[Flag] = Field(default_factory=list)  # why `needs_review` is set, if it is
    # Text the injection detector removed before grading, and the score of the answer as written.
    removed_text: list[str] = Field(default_factory=list)
    score_without_removal: float | None = None

    def point_confidence(self) -> float | None:
        """Mean over points of max(P, 1-P) of the calibrated P(covered); None without probabilities."""
        probabilities = [p.p_covered for p in self.points if p.p_covered is not None]
        if not probabilities or len(probabilities) < len(self.points):
            return None
        return sum(max(p, 1 - p) for p in probabilities) / len(probabilities)


@dataclass
class BatchSummary:
    """The counts of one run over many answers (`grader grade IN.jsonl`, `grader batch`); `problems`
    are the input's bad lines, each naming file, line and field."""

    total: int = 0
    candidates: int | None = None  # how many candidates the answers are from (a batch; None elsewhere)
    already_done: int = 0
    graded: int = 0
    cache_hits: int = 0
    unscored: int = 0
    model_calls: int = 0
    estimated_cost: float = 0.0
    failures: dict[str, int] = field(default_factory=dict)  # unscored answers by kind of error
    prompt_tokens: int = 0
    completion_tokens: int = 0
    problems: list[str] = field(default_factory=list)
    stopped: str = ""  # why the run stopped asking before every answer was graded ("" when it did not)

    def count(self, grade: AnswerGrade, cached: bool, prices_per_million: tuple[float, float] = (0.0, 0.0), discount: float = 1.0) -> None:
        """Add one committed grade. `discount` scales the price (Batch APIs charge less)."""
        self.graded += 1
        self.cache_hits += cached
        if grade.status != "scored":
            self.unscored += 1
            kind = (grade.error or "unknown").split(":")[0]
            self.failures[kind] = self.failures.get(kind, 0) + 1
        if not cached:
            self.model_calls += grade.usage.calls
            self.prompt_tokens += grade.usage.prompt_tokens
            self.completion_tokens += grade.usage.completion_tokens
            cost = grade.usage.prompt_tokens * prices_per_million[0] + grade.usage.completion_tokens * prices_per_million[1]
            self.estimated_cost += discount * cost / 1e6

    def merge(self, other: "BatchSummary") -> None:
        """Add a worker's counts (its `total` is a share of ours, so it is not added)."""
        for name in ("already_done", "graded", "cache_hits", "unscored", "model_calls", "estimated_cost", "prompt_tokens", "completion_tokens"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for kind, count in other.failures.items():
            self.failures[kind] = self.failures.get(kind, 0) + count
        self.stopped = "; ".join(filter(None, (self.stopped, other.stopped)))

    def describe(self) -> str:
        read = f"{self.candidates} candidates, " if self.candidates is not None else ""
        return (
            f"{read}{self.total} answers: {self.graded} graded now ({self.cache_hits} from cache), {self.already_done} already done, "
            f"{self.unscored} unscored; {self.model_calls} model calls, {self.prompt_tokens}+{self.completion_tokens} tokens"
            f"{f' (about ${self.estimated_cost:.4f})' if self.estimated_cost else ''}; "
            f"{len(self.problems)} input problems"
            + (f"; failures: {', '.join(f'{k} {v}' for k, v in sorted(self.failures.items()))}" if self.failures else "")
        )
