"""Learning a rubric's standard from reviewed answers: cut points per point on the probability the
rubric's base calibration gives, and what they are worth, cross-validated by answer within question.

Pure functions (reviewed points in, thresholds and figures out): the CLI (`grader calibrate`), the
review page's re-cut and the experiments call the same code.

The method is the issue's baseline (issue 25): a per-question threshold fit, shrunk halfway toward
the pooled fit of all reviewed points; a question with fewer than `MIN_ANSWERS` reviewed answers
takes the pooled fit shrunk halfway toward the base instead. With a handful of reviews per
question, per-point cut points alone overfit, so a point shares its question's fit. Questions
nobody reviewed keep the base calibration (nothing is learnt about them).
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import NamedTuple, Sequence

from . import stats as m
from ..grading.calibration import Thresholds
from ..textnorm import bigrams
from ..grading.results import LABELS

# A question's own fit needs this many reviewed answers; below it the question gets the pooled fit.
MIN_ANSWERS = 3
# The most cut points tried per fit (quantiles of the observed probabilities): keeps a fit over
# thousands of reviewed points quadratic in this, not in their number.
MAX_CANDIDATES = 40


class ReviewedPoint(NamedTuple):
    answer_id: str
    question_id: str
    point_id: str
    probability: float | None  # what the base calibration cuts (None: the model gave none)
    label: str  # the reviewer's verdict: covered / partial / missing


def _candidates(probabilities: Sequence[float], reference: Thresholds) -> list[float]:
    """Cut points between the observed probabilities (and the reference's own), within [0, 1]."""
    values = sorted(set(probabilities))
    between = [(a + b) / 2 for a, b in zip(values, values[1:])]
    if len(between) > MAX_CANDIDATES:
        between = [between[int(i * len(between) / MAX_CANDIDATES)] for i in range(MAX_CANDIDATES)]
    edges = [max(0.0, values[0] - 1e-6), min(1.0, values[-1] + 1e-6)] if values else []
    return sorted({*between, *edges, reference.partial, reference.covered, 0.0, 1.0})


def _fit(rows: Sequence[ReviewedPoint], reference: Thresholds) -> Thresholds:
    """The cut points that agree best with the labels (kappa, then exact agreement); ties go to
    the pair nearest `reference`, so that few labels move the cut points no further than needed."""
    known = [r for r in rows if r.probability is not None]
    if not known:
        return reference
    labels = [r.label for r in known]
    probabilities = [r.probability for r in known]
    candidates = _candidates(probabilities, reference)
    best, best_key = reference, None
    for i, lo in enumerate(candidates):
        for hi in candidates[i:]:
            t = Thresholds(partial=lo, covered=hi)
            predicted = [t.verdict(p).value for p in probabilities]
            kappa = m.cohen_kappa(labels, predicted, LABELS)
            agreement = sum(a == b for a, b in zip(labels, predicted))
            distance = abs(lo - reference.partial) + abs(hi - reference.covered)
            key = (-1.0 if math.isnan(kappa) else round(kappa, 9), agreement, -distance)
            if best_key is None or key > best_key:
                best, best_key = t, key
    return best


def _halfway(a: Thresholds, b: Thresholds) -> Thresholds:
    return Thresholds(partial=(a.partial + b.partial) / 2, covered=(a.covered + b.covered) / 2)


def fit_point_thresholds(reviewed: Sequence[ReviewedPoint], base: Thresholds) -> dict[tuple[str, str], Thresholds]:
    """Cut points per (question id, point id) for every reviewed question's points, on the same
    probability `base` cuts."""
    if not any(r.probability is not None for r in reviewed):
        return {}
    pooled = _fit(reviewed, base)
    by_question: dict[str, list[ReviewedPoint]] = defaultdict(list)
    for r in reviewed:
        by_question[r.question_id].append(r)
    fitted = {}
    for question_id, rows in by_question.items():
        if len({r.answer_id for r in rows}) >= MIN_ANSWERS:
            thresholds = _halfway(_fit(rows, pooled), pooled)
        else:
            thresholds = _halfway(pooled, base)
        for point_id in sorted({r.point_id for r in rows}):
            fitted[(question_id, point_id)] = thresholds
    return fitted


def _agreement(labels: Sequence[str], predicted: Sequence[str]) -> dict[str, float | None]:
    def finite(value: float) -> float | None:
        return None if math.isnan(value) else round(value, 4)

    if not labels:
        return {"point_kappa": None, "point_agreement": None}
    return {"point_kappa": finite(m.cohen_kappa(labels, predicted, LABELS)), "point_agreement": finite(m.accuracy(labels, predicted))}


def cross_validated_agreement(reviewed: Sequence[ReviewedPoint], base: Thresholds, folds: int = 5) -> dict:
    """Agreement with the reviewers before (the base cut points) and after a fit, each reviewed
    answer's points predicted by a fit on the other folds' answers. Folds split each question's
    reviewed answers (by answer, within question), so every fold trains on every question."""
    answers_by_question: dict[str, list[str]] = defaultdict(list)
    for r in reviewed:
        if r.answer_id not in answers_by_question[r.question_id]:
            answers_by_question[r.question_id].append(r.answer_id)
    fold_of = {a: i % folds for answers in answers_by_question.values() for i, a in enumerate(sorted(answers))}
    labels, before, after = [], [], []
    for fold in range(folds):
        held_out = [r for r in reviewed if fold_of[r.answer_id] == fold]
        if not held_out:
            continue
        fitted = fit_point_thresholds([r for r in reviewed if fold_of[r.answer_id] != fold], base)
        for r in held_out:
            labels.append(r.label)
            before.append(base.verdict(r.probability).value)
            after.append(fitted.get((r.question_id, r.point_id), base).verdict(r.probability).value)
    return {
        "n_answers": len(fold_of),
        "n_points": len(labels),
        "folds": folds,
        "before": _agreement(labels, before),
        "after": _agreement(labels, after),
    }


# ---------------------------------------------------------------- which reviews teach most

# A question's grades can be trusted once its reviewed answers put this many on each side of its
# cut: answers the reviewer called missing on some point, and answers with a point covered or
# partial. A cut is learnt from the labels on both sides of it (one side alone only says "lower"
# or "higher", never where), and the fit gives a question a cut of its own from MIN_ANSWERS (3)
# reviewed answers: 3 a side asks that much of each side. The outside measurement of the
# plain fit had most of its gain by then (kappa 0.15 -> 0.42 / 0.47 / 0.51 with 3 / 5 / 10
# reviewed answers a question). Measured by benchmarks/review_order.py on the hand-graded set, 60
# reviews in the suggested order: the unreviewed answers of questions this calls trusted agreed
# with the hand labels on 85% of points, those of the rest on 73%.
PER_SIDE = 3


class Unreviewed(NamedTuple):
    answer_id: str
    question_id: str
    probability: float | None  # the mean over the answer's points of what the base cuts
    text: str


def _similarity(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def question_thresholds(question_id: str, fitted: dict[tuple[str, str], Thresholds], base: Thresholds) -> Thresholds:
    """The cut points a question's points share in a fit (`fit_point_thresholds`), else the base."""
    return next((t for (q, _), t in sorted(fitted.items()) if q == question_id), base)


def reviews_needed(question_id: str, reviewed: Sequence[ReviewedPoint], unreviewed: Sequence[Unreviewed]) -> dict:
    """How many more reviewed answers the question needs before its grades can be trusted: on each
    side of its cut (reviewed answers with a point called missing; with a point covered or
    partial), `PER_SIDE` less those it has. A side the data say is empty asks for none: when
    the answer the model ranks highest was reviewed with every point missing, no answer covers
    anything (and when the lowest was reviewed with none missing, none misses anything). Never
    more than the answers left to review."""
    rows = [r for r in reviewed if r.question_id == question_id]
    labels: dict[str, set[str]] = defaultdict(set)
    mean: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        labels[r.answer_id].add(r.label)
        if r.probability is not None:
            mean[r.answer_id].append(r.probability)
    below = sum(1 for ls in labels.values() if "missing" in ls)
    above = sum(1 for ls in labels.values() if ls - {"missing"})
    left = [u for u in unreviewed if u.question_id == question_id and u.probability is not None]
    ranked = [(sum(ps) / len(ps), a) for a, ps in mean.items() if ps] + [(u.probability, u.answer_id) for u in left]
    highest, lowest = (max(ranked)[1], min(ranked)[1]) if ranked else (None, None)
    no_above = highest in labels and labels[highest] == {"missing"}
    no_below = lowest in labels and "missing" not in labels[lowest]
    needed = (0 if no_below else max(0, PER_SIDE - below)) + (0 if no_above else max(0, PER_SIDE - above))
    return {"reviewed": len(labels), "needed": min(needed, len(left)), "sides": {"missing": below, "covered_or_partial": above}}


# How much each reason counts when choosing the next answer to review: nearness to a cut point
# (0..1), distance in P(covered) from the nearest answer already reviewed or chosen (0..1), and
# bigram likeness to one of those (0..1, counted against). Measured by benchmarks/review_order.py
# (benchmarks/review_order.txt), reviews to reach point kappa 0.5 / 0.6 on Beetle's unseen answers
# and 0.7 / 0.75 on the hand-graded set: spread weighted 2 took 57 / 106 and 23 / 41, weighted 0.5
# took 52 / 96 and 24 / 39; without nearness the hand-graded set needed 45 / 69.
WEIGHTS = (1.0, 0.5, 2.0)


def next_to_review(
    unreviewed: Sequence[Unreviewed], reviewed: Sequence[ReviewedPoint], base: Thresholds, texts: dict[str, str], per_question: int = 3,
    weights: tuple[float, float, float] = WEIGHTS,
) -> dict[str, dict]:
    """Per question: the unreviewed answers whose review would teach the fit most, best first,
    the cut points they are chosen near (the fit of the reviews so far, else `base`) and how many
    more reviews the question needs (`reviews_needed`). Chosen one at a time: an answer near a cut
    point (where a verdict can flip), far in P(covered) from what is already reviewed or chosen
    (spread), and unlike those answers' text (a near-copy teaches nothing new).
    `texts`: the reviewed answers' texts by answer id."""
    by_question: dict[str, list[Unreviewed]] = defaultdict(list)
    for u in unreviewed:
        if u.probability is not None:
            by_question[u.question_id].append(u)
    seen: dict[str, dict[str, float | None]] = defaultdict(dict)  # question -> reviewed answer -> its probability
    for r in reviewed:
        seen[r.question_id].setdefault(r.answer_id, r.probability)
    fitted = fit_point_thresholds(reviewed, base)
    out = {}
    for question_id in sorted(set(by_question) | set(seen)):
        thresholds = question_thresholds(question_id, fitted, base)
        known = [p for p in seen[question_id].values() if p is not None]
        pool = list(by_question.get(question_id, [])) if per_question > 0 else []
        known_grams = [bigrams(texts.get(a, "")) for a in seen[question_id]] if pool else []
        grams = {u.answer_id: bigrams(u.text) for u in pool}
        chosen: list[str] = []
        while pool and len(chosen) < per_question:
            def value(u: Unreviewed) -> float:
                near = 1 - min(1.0, 4 * min(abs(u.probability - thresholds.partial), abs(u.probability - thresholds.covered)))
                spread = min((abs(u.probability - p) for p in known), default=1.0)
                copy = max((_similarity(grams[u.answer_id], g) for g in known_grams), default=0.0)
                return weights[0] * near + weights[1] * spread - weights[2] * copy

            best = max(pool, key=lambda u: (value(u), u.answer_id))
            pool.remove(best)
            chosen.append(best.answer_id)
            known.append(best.probability)
            known_grams.append(grams[best.answer_id])
        out[question_id] = {
            "next": chosen,
            **reviews_needed(question_id, reviewed, by_question.get(question_id, [])),
            "thresholds": {"partial": round(thresholds.partial, 4), "covered": round(thresholds.covered, 4)},
        }
    return out
