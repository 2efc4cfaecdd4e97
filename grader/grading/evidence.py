"""The evidence check: a covered/partial verdict must quote the answer, or it is downgraded.

Small models copy the rubric's wording as "evidence"; requiring the quote to occur in the answer
(after normalisation, see `textnorm`) is what keeps them honest. The answer checked is the one
the model was sent, so text removed as addressed to the grader (`strip_injections`) is never
there to quote; and a quote made only of verdict words (covered, 满分, 得分, p1…), such as a copy
of a pasted `| p1 | covered |` table, is no evidence of an answer either.
"""

from __future__ import annotations

import re
from typing import Iterable

from .results import Flag, PointGrade, Verdict
from ..textnorm import bigrams, normalise, quote_occurs

# What a verdict, a score or a point id is written with, in either language (matched against the
# normalised quote with only letters, digits and Han characters left).
_VERDICT_WORDS = re.compile(
    r"covered|partial(?:ly)?|missing|verdicts?|scores?|fullmarks|marks|points?|evidence|yes|no|met|pass(?:ed)?|"
    r"p\d+|\d+分|\d+(?:of|/)\d+|满分|得分|分数|打分|评分|扣分|要点\d*|部分覆盖|已?覆盖|缺失|判为|判定|通过|合格|是|否|分"
)


def _only_verdict_words(evidence: str) -> bool:
    letters = re.sub(r"[^\w]|_", "", normalise(evidence))
    return len(_VERDICT_WORDS.sub("", letters)) < 2


def check_evidence(point: PointGrade, answer: str) -> PointGrade:
    """Return `point`, downgraded to missing and flagged when its quote is absent from `answer`
    or says nothing but a verdict."""
    if point.verdict is Verdict.missing:
        return point
    if not normalise(point.evidence):
        flag = Flag.evidence_empty
    elif _only_verdict_words(point.evidence) or not quote_occurs(point.evidence, answer):
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


_SENTENCE_END = "。！？!?；;\n"


def sentences(answer: str) -> list[str]:
    out, current = [], ""
    for ch in answer:
        current += ch
        if ch in _SENTENCE_END:
            if current.strip():
                out.append(current.strip())
            current = ""
    if current.strip():
        out.append(current.strip())
    return out


def closest_sentence(answer: str, point_text: str, other_points: Iterable[str] = ()) -> str:
    """The answer's sentence sharing most character bigrams with the point (verbatim from the
    answer, so it always passes the evidence check); empty when nothing overlaps. Bigrams the
    point shares with the question's `other_points` (such as 客户) cannot tell which sentence makes
    this point, so they count only when no sentence shares any of the point's own."""
    target = bigrams(point_text)
    shared = set().union(*(bigrams(t) for t in other_points))
    for wanted in (target - shared, target):
        best, best_overlap = "", 0
        for sentence in sentences(answer):
            overlap = len(bigrams(sentence) & wanted)
            if overlap > best_overlap:
                best, best_overlap = sentence, overlap
        if best:
            return best
    return ""
