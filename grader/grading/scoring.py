"""Pure scoring functions: verdicts → point credit → question, section and total scores.

Rounding rule: a question's score is Σ credit × weight, rounded half-up to 2 decimals (with the
usual weights in halves the exact value is a multiple of 0.25, so nothing is lost). Section and
total scores are sums of the rounded question scores, so the parts always add up to the whole.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable, Mapping

from .results import Verdict

CREDIT: Mapping[Verdict, Decimal] = {
    Verdict.covered: Decimal("1"),
    Verdict.partial: Decimal("0.5"),
    Verdict.missing: Decimal("0"),
}


def round_score(value: Decimal | float) -> float:
    return float(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def question_score(verdicts: Mapping[str, Verdict], weights: Mapping[str, float]) -> float:
    """Score of one answer; every weighted point must have a verdict."""
    missing = set(weights) - set(verdicts)
    if missing:
        raise ValueError(f"no verdict for points {sorted(missing)}")
    total = sum(CREDIT[Verdict(verdicts[pid])] * Decimal(str(w)) for pid, w in weights.items())
    return round_score(total)


def sum_scores(scores: Iterable[float]) -> float:
    return round_score(sum((Decimal(str(s)) for s in scores), Decimal("0")))
