"""A small calibrated combiner: logistic regression over cheap per-point features.

Features: the model's P(yes) (as a logit), how much of the point's wording the closest answer
sentence shares, the answer's length and, where measured, the point's anchor: the model's P(yes)
for the same point when the "answer" is a fixed, content-free one (as a logit). The anchor tells
the combiner how readily the model says "yes" to this point whatever is written, which it cannot
learn from other questions' points (`evals/experiments/anchors/`). The last feature, `others`,
is what the model said about the same answer's other points (the mean of their P(yes) logits
minus their anchors'): an answer that makes some points well tends to make the rest, and the
model's own lean on this answer shows in every point (`evals/experiments/answer-context/`); it
costs no call. Trained only on training questions (see
`calibration.cross_validate`); its output is cut by the same kind of thresholds as P(yes).
Pure Python: a few hundred rows and five weights need no numerical library. Features are
standardised before fitting: on raw features gradient descent had not converged after 800 steps,
and the under-fitted combiner scored point kappa 0.405 cross-validated against 0.506 standardised
(README, "Measured agreement").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple, Sequence

from ..textnorm import bigrams, normalise
from .evidence import sentences
from .gaming import action_share, rubric_copy, short_clause_share
from .routing import DEFAULT_POLICY


class PointInput(NamedTuple):
    """What the combiner reads of one graded point: its text and the model's probabilities."""

    text: str
    p_yes: float | None
    p_anchor: float | None = None

def _logit(p: float | None) -> float:
    p = 0.5 if p is None else min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def overlap(answer: str, point_text: str) -> float:
    """Share of the point's character bigrams found in the answer's closest sentence."""
    target = bigrams(point_text)
    if not target:
        return 0.0
    return max((len(bigrams(s) & target) / len(target) for s in sentences(answer)), default=0.0)


# Feature names, in the order a combiner's weights apply to them; a calibration entry names the
# set it was fitted on (older entries, without names, used BASE_FEATURES).
BASE_FEATURES = ("p_yes", "overlap", "length")
ANCHORED_FEATURES = (*BASE_FEATURES, "anchor")
CONTEXT_FEATURES = (*ANCHORED_FEATURES, "others")
# Every feature `features` computes: the default's, and the answer-form ones measured and not
# adopted (docs/gaming.md), which `grader calibrate --features` can still fit.
FEATURE_NAMES = (*CONTEXT_FEATURES, "rubric_copy", "short_clauses", "action_share", "topic_list")


def margin(p_yes: float | None, p_anchor: float | None) -> float:
    """How much more readily the model says "yes" for this answer than for the content-free one."""
    return _logit(p_yes) - _logit(p_anchor)


def others_mean(margins: Sequence[float], index: int) -> float:
    """The mean margin of an answer's points other than `index`; for a one-point question, that
    point's own (there is no other evidence about the answer)."""
    others = [m for i, m in enumerate(margins) if i != index]
    return sum(others) / len(others) if others else margins[index]


def features(
    answer: str,
    point_text: str,
    p_yes: float | None,
    p_anchor: float | None = None,
    names: Sequence[str] = BASE_FEATURES,
    others: float | None = None,
    rubric_texts: Sequence[str] = (),
) -> list[float]:
    if "others" in names and others is None:
        raise ValueError("the 'others' feature needs the margins of the answer's other points: use answer_features")
    values = {
        "p_yes": lambda: _logit(p_yes),
        "overlap": lambda: overlap(answer, point_text),
        "length": lambda: math.log1p(len(normalise(answer))) / math.log(400),
        "anchor": lambda: _logit(p_anchor),
        "others": lambda: others,
        "rubric_copy": lambda: rubric_copy(answer, rubric_texts),
        "short_clauses": lambda: short_clause_share(answer),
        "action_share": lambda: action_share(answer),
        "topic_list": lambda: float(DEFAULT_POLICY.looks_like_topic_list(answer, rubric_texts)),
    }
    return [values[name]() for name in names]


def answer_features(answer: str, points: Sequence[Sequence], names: Sequence[str], rubric_texts: Sequence[str] = ()) -> list[list[float]]:
    """Feature rows for every graded point of one answer, from its `PointInput`s in rubric order
    (plain (text, P(yes), anchor) tuples are read as such); `rubric_texts`: the question's prompt
    and point texts."""
    points = [PointInput(*p) for p in points]
    margins = [margin(p.p_yes, p.p_anchor) for p in points]
    return [
        features(
            answer, p.text, p.p_yes, p.p_anchor, names,
            others=others_mean(margins, i) if "others" in names else None,
            rubric_texts=rubric_texts,
        )
        for i, p in enumerate(points)
    ]


@dataclass(frozen=True)
class Combiner:
    weights: tuple[float, ...]
    bias: float
    # Feature means and scales of the training rows; weights apply to standardised features.
    means: tuple[float, ...] = ()
    scales: tuple[float, ...] = ()

    def standardise(self, x: Sequence[float]) -> list[float]:
        if not self.means:
            return list(x)
        return [(v - m) / s for v, m, s in zip(x, self.means, self.scales)]

    def as_dict(self) -> dict:
        return {"weights": list(self.weights), "bias": self.bias, "means": list(self.means), "scales": list(self.scales)}

    @classmethod
    def from_dict(cls, data: dict) -> "Combiner":
        return cls(tuple(data["weights"]), data["bias"], tuple(data.get("means", ())), tuple(data.get("scales", ())))

    def probability(self, x: Sequence[float]) -> float:
        z = self.bias + sum(w * v for w, v in zip(self.weights, self.standardise(x)))
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))

    @classmethod
    def fit(cls, rows: Sequence[Sequence[float]], targets: Sequence[float], *, l2: float = 0.01, steps: int = 800, rate: float = 0.5) -> "Combiner":
        """Fractional logistic regression (targets are credits 0, 0.5, 1) by gradient descent on
        standardised features."""
        n, k = len(rows), len(rows[0])
        means = tuple(sum(r[i] for r in rows) / n for i in range(k))
        scales = tuple(math.sqrt(sum((r[i] - means[i]) ** 2 for r in rows) / n) or 1.0 for i in range(k))
        rows = [cls((), 0.0, means, scales).standardise(r) for r in rows]
        w, b = [0.0] * k, 0.0
        for _ in range(steps):
            grad_w, grad_b = [0.0] * k, 0.0
            for x, y in zip(rows, targets):
                z = b + sum(wi * xi for wi, xi in zip(w, x))
                err = 1 / (1 + math.exp(-max(-30.0, min(30.0, z)))) - y
                grad_b += err
                for i in range(k):
                    grad_w[i] += err * x[i]
            b -= rate * grad_b / n
            w = [wi - rate * (gi / n + l2 * wi) for wi, gi in zip(w, grad_w)]
        return cls(weights=tuple(w), bias=b, means=means, scales=scales)
