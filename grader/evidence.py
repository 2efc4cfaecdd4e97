"""The evidence check: a covered/partial verdict must quote the answer, or it is downgraded.

Small models copy the rubric's wording as "evidence"; requiring the quote to occur in the answer
(after normalisation, see `textnorm`) is what keeps them honest.
"""

from __future__ import annotations

from .results import Flag, PointGrade, Verdict
from .textnorm import normalise, quote_occurs


def check_evidence(point: PointGrade, answer: str) -> PointGrade:
    """Return `point`, downgraded to missing and flagged when its quote is absent from `answer`."""
    if point.verdict is Verdict.missing:
        return point
    if not normalise(point.evidence):
        flag = Flag.evidence_empty
    elif not quote_occurs(point.evidence, answer):
        flag = Flag.evidence_not_found
    else:
        return point
    return point.model_copy(
        update={
            "verdict": Verdict.missing,
            "model_verdict": point.verdict,
            "flags": [*point.flags, flag],
        }
    )
