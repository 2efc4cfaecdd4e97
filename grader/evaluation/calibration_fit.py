"""Fitting a calibration offline: thresholds that maximise agreement with hand labels, the
combiner over the answer's features, and cross-validation by question. The runtime side (which
calibration applies, cutting a probability into a verdict) is grader/grading/calibration.py."""

from __future__ import annotations

from typing import Sequence

from ..grading.calibration import UNCALIBRATED, Calibration, Thresholds, raw_probability, rethreshold
from ..grading.combiner import BASE_FEATURES, CONTEXT_FEATURES, Combiner, PointInput, answer_features
from ..grading.results import LABELS, Verdict
from ..grading.routing import rubric_texts
from ..grading.scoring import CREDIT
from . import stats as m


def fit_thresholds(probabilities: Sequence[float | None], labels: Sequence[str], grid: int = 40) -> Thresholds:
    """The pair of cut points that maximises Cohen's kappa against `labels` (grid search over
    the observed probabilities' quantiles)."""
    known = sorted(p for p in probabilities if p is not None)
    if not known:
        return UNCALIBRATED
    candidates = sorted({known[min(len(known) - 1, int(i * len(known) / grid))] for i in range(grid)} | {1.01})
    best, best_kappa = UNCALIBRATED, -2.0
    for i, lo in enumerate(candidates):
        for hi in candidates[i:]:
            t = Thresholds(partial=lo, covered=hi)
            predicted = [t.verdict(p).value for p in probabilities]
            kappa = m.cohen_kappa(list(labels), predicted, LABELS)
            if kappa > best_kappa:
                best, best_kappa = t, kappa
    return best


def question_folds(question_ids: Sequence[str], folds: int) -> list[list[str]]:
    ordered = sorted(set(question_ids))
    return [ordered[i::folds] for i in range(folds)]


def feature_names(points) -> tuple[str, ...]:
    """The combiner's default features for graded points: with the anchor, and the answer's other
    points read against their anchors, when every point has one. (The form features were
    measured and not adopted: docs/gaming.md.)"""
    points = list(points)
    return CONTEXT_FEATURES if points and all(p.p_anchor is not None for p in points) else BASE_FEATURES


def point_inputs(rubric, grade) -> list[PointInput]:
    """Each point of a stored grade as `Calibration.probabilities` and `answer_features` read it."""
    question = rubric.question(grade.question_id)
    return [PointInput(question.point(p.id).text, raw_probability(p), p.p_anchor) for p in grade.points]


def labelled_rows(rubric, samples_by_id: dict, grades, names: Sequence[str]):
    """(feature row, P(yes), human label) for every point of the scored `grades`."""
    for grade in grades:
        sample = samples_by_id[grade.answer_id]
        texts = rubric_texts(rubric.question(grade.question_id))
        rows = answer_features(sample.answer, point_inputs(rubric, grade), names, texts)
        for row, point in zip(rows, grade.points):
            yield row, raw_probability(point), sample.labels[point.id].value


def fit_calibration(
    rows: Sequence[Sequence[float]], p_yes: Sequence[float | None], labels: Sequence[str], combine: bool, names: Sequence[str] = BASE_FEATURES
) -> Calibration:
    """Thresholds (and, with `combine`, a combiner over the feature `rows`, named `names`) fitted
    to `labels`."""
    combiner = Combiner.fit(rows, [float(CREDIT[Verdict(label)]) for label in labels]) if combine and rows else None
    probabilities = [combiner.probability(r) for r in rows] if combiner else list(p_yes)
    return Calibration(fit_thresholds(probabilities, labels), combiner, fitted=True, feature_names=tuple(names))


def cross_validate(rubric, samples, predictions: dict, folds: int = 2, combine: bool = False, names: Sequence[str] | None = None, held_out_sets=None):
    """Out-of-fold predictions: each question's verdicts come from thresholds (and, with
    `combine`, a logistic combiner over the features `names`, by default all the run measured)
    fitted only on the other folds' questions (`held_out_sets`: the folds, by default
    `question_folds`). Returns (predictions, what was fitted per fold)."""
    by_id = {s.id: s for s in samples}
    scored = [g for g in predictions.values() if g.status == "scored" and g.answer_id in by_id]
    names = tuple(names or feature_names(p for g in scored for p in g.points))

    out, fitted = {}, []
    for held_out in held_out_sets or question_folds(list({s.question_id for s in samples}), folds):
        train = list(labelled_rows(rubric, by_id, [g for g in scored if by_id[g.answer_id].question_id not in held_out], names))
        calibration = fit_calibration([r for r, _, _ in train], [p for _, p, _ in train], [label for _, _, label in train], combine, names)
        thresholds, model = calibration.thresholds, calibration.combiner
        fitted.append(
            {"held_out": list(held_out), "partial": thresholds.partial, "covered": thresholds.covered}
            | ({"combiner": model.as_dict(), "features": list(names)} if model else {})
        )
        for answer_id, grade in predictions.items():
            sample = by_id.get(answer_id)
            if sample is None or sample.question_id not in held_out:
                continue
            if grade.status != "scored":
                out[answer_id] = grade
                continue
            question = rubric.question(grade.question_id)
            probability = dict(zip([p.id for p in grade.points], calibration.probabilities(sample.answer, point_inputs(rubric, grade), rubric_texts(question))))
            out[answer_id] = rethreshold(grade, question, thresholds, lambda p, probability=probability: probability[p.id], answer=sample.answer)
    return out, fitted
