"""Thresholds that turn a model's P(point covered) into covered / partial / missing.

Fitted per model and prompt on hand-graded data (cross-validated by question, so the figures we
report come from questions the thresholds never saw) and shipped in `calibration.json`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from . import metrics as m
from .combiner import ANCHORED_FEATURES, BASE_FEATURES, Combiner, features
from .results import Verdict

CALIBRATION_FILE = Path(__file__).resolve().parent / "calibration.json"
LABELS = [v.value for v in (Verdict.missing, Verdict.partial, Verdict.covered)]


@dataclass(frozen=True)
class Thresholds:
    partial: float  # P(covered) at or above this is at least partial
    covered: float  # ... and at or above this, covered

    def verdict(self, p_covered: float | None) -> Verdict:
        if p_covered is None:
            return Verdict.missing
        if p_covered >= self.covered:
            return Verdict.covered
        if p_covered >= self.partial:
            return Verdict.partial
        return Verdict.missing


# Used only when no thresholds were fitted for a model and prompt: an uncalibrated midpoint.
UNCALIBRATED = Thresholds(partial=0.35, covered=0.65)


@dataclass(frozen=True)
class Calibration:
    """How P(yes) becomes a verdict for one model and prompt."""

    thresholds: Thresholds
    combiner: Combiner | None = None
    fitted: bool = False
    feature_names: tuple[str, ...] = BASE_FEATURES  # what the combiner reads, in order

    @property
    def needs_anchor(self) -> bool:
        return self.combiner is not None and "anchor" in self.feature_names

    def probability(self, answer: str, point_text: str, p_yes: float | None, p_anchor: float | None = None) -> float | None:
        if self.combiner is None or p_yes is None:
            return p_yes
        return self.combiner.probability(features(answer, point_text, p_yes, p_anchor, self.feature_names))


def load_calibration(model: str, prompt_hash: str, path: Path = CALIBRATION_FILE) -> Calibration:
    table = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    entry = table.get(f"{model}|{prompt_hash}")
    if not entry:
        return Calibration(UNCALIBRATED)
    combiner = entry.get("combiner")
    return Calibration(
        Thresholds(partial=entry["partial"], covered=entry["covered"]),
        Combiner.from_dict(combiner) if combiner else None,
        fitted=True,
        feature_names=tuple(entry.get("features", BASE_FEATURES)),
    )


def save_calibration(model: str, prompt_hash: str, calibration: Calibration, note: str, path: Path = CALIBRATION_FILE) -> None:
    table = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    entry = {"partial": calibration.thresholds.partial, "covered": calibration.thresholds.covered, "note": note}
    if calibration.combiner:
        entry["combiner"] = calibration.combiner.as_dict()
        entry["features"] = list(calibration.feature_names)
    table[f"{model}|{prompt_hash}"] = entry
    path.write_text(json.dumps(table, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")


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


def raw_probability(point) -> float | None:
    """The model's own P(yes) for a graded point (older run records kept it in p_covered)."""
    return point.p_model if point.p_model is not None else point.p_covered


def rethreshold(grade, question, thresholds: Thresholds, probability=None):
    """The same grade with verdicts re-cut from a probability per point (default: the stored
    P(covered)); re-scoring needs no model."""
    from .scoring import question_score

    if grade.status != "scored":
        return grade
    probability = probability or (lambda point: point.p_covered)
    points = []
    for p in grade.points:
        prob = probability(p)
        points.append(p.model_copy(update={"p_covered": prob, "verdict": thresholds.verdict(prob)}))
    score = question_score({p.id: p.verdict for p in points}, {p.id: p.weight for p in question.points})
    return grade.model_copy(update={"points": points, "score": score})


def question_folds(question_ids: Sequence[str], folds: int) -> list[list[str]]:
    ordered = sorted(set(question_ids))
    return [ordered[i::folds] for i in range(folds)]


CREDIT = {"covered": 1.0, "partial": 0.5, "missing": 0.0}


def feature_names(points) -> tuple[str, ...]:
    """The combiner's features for graded points: with the anchor when every point has one."""
    points = list(points)
    return ANCHORED_FEATURES if points and all(p.p_anchor is not None for p in points) else BASE_FEATURES


def fit_calibration(
    rows: Sequence[Sequence[float]], p_yes: Sequence[float | None], labels: Sequence[str], combine: bool, names: Sequence[str] = BASE_FEATURES
) -> Calibration:
    """Thresholds (and, with `combine`, a combiner over the feature `rows`, named `names`) fitted
    to `labels`."""
    combiner = Combiner.fit(rows, [CREDIT[label] for label in labels]) if combine and rows else None
    probabilities = [combiner.probability(r) for r in rows] if combiner else list(p_yes)
    return Calibration(fit_thresholds(probabilities, labels), combiner, fitted=True, feature_names=tuple(names))


def cross_validate(rubric, samples, predictions: dict, folds: int = 2, combine: bool = False):
    """Out-of-fold predictions: each question's verdicts come from thresholds (and, with
    `combine`, a logistic combiner) fitted only on the other folds' questions.
    Returns (predictions, what was fitted per fold)."""
    by_id = {s.id: s for s in samples}
    point_text = {(q.id, p.id): p.text for q in rubric.questions() for p in q.points}

    def rows(question_ids):
        for grade in predictions.values():
            sample = by_id.get(grade.answer_id)
            if sample is None or sample.question_id not in question_ids or grade.status != "scored":
                continue
            for point in grade.points:
                yield sample, point

    all_questions = {s.question_id for s in samples}
    names = feature_names(p for _, p in rows(all_questions))

    def feature_row(sample, point):
        return features(sample.answer, point_text[(sample.question_id, point.id)], raw_probability(point), point.p_anchor, names)

    out, fitted = {}, []
    for held_out in question_folds(list(all_questions), folds):
        train = list(rows(all_questions - set(held_out)))
        calibration = fit_calibration(
            [feature_row(s, p) for s, p in train], [raw_probability(p) for _, p in train], [s.labels[p.id].value for s, p in train], combine, names
        )
        thresholds, model = calibration.thresholds, calibration.combiner

        def probability(point, sample, _calibration=calibration):
            return _calibration.probability(sample.answer, point_text[(sample.question_id, point.id)], raw_probability(point), point.p_anchor)

        fitted.append(
            {"held_out": held_out, "partial": thresholds.partial, "covered": thresholds.covered}
            | ({"combiner": model.as_dict(), "features": list(names)} if model else {})
        )
        for answer_id, grade in predictions.items():
            sample = by_id.get(answer_id)
            if sample is not None and sample.question_id in held_out:
                out[answer_id] = rethreshold(grade, rubric.question(grade.question_id), thresholds, lambda p, s=sample: probability(p, s))
    return out, fitted
