"""Thresholds that turn a model's P(point covered) into covered / partial / missing.

Fitted per model and prompt on hand-graded data (cross-validated by question, so the figures we
report come from questions the thresholds never saw) and shipped in `calibration.json` (package
data). `grader calibrate --save` writes a user file (default `user_calibration_path()`), read beside
the packaged one: its entries override the packaged entries for the same model and prompt.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..evaluation import stats as m
from .combiner import BASE_FEATURES, CONTEXT_FEATURES, Combiner, PointInput, answer_features
from .results import LABELS, Verdict
from .scoring import CREDIT
from .routing import flag_answer_form, route, rubric_texts

CALIBRATION_FILE = Path(__file__).resolve().parent / "calibration.json"


def user_calibration_path() -> Path:
    """Where `grader calibrate --save` writes by default: $XDG_CONFIG_HOME/grader/calibration.json
    (~/.config/grader/calibration.json without XDG_CONFIG_HOME)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "grader" / "calibration.json"


def _read_table(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


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
        return self.combiner is not None and "anchor" in self.feature_names  # `others` comes with it

    def probabilities(self, answer: str, points: Sequence[Sequence], rubric_texts: Sequence[str] = ()) -> list[float | None]:
        """P(covered) for every graded point of one answer, from its `PointInput`s in rubric order:
        a point's features can read the answer's other points."""
        if self.combiner is None:
            return [p[1] for p in points]
        rows = answer_features(answer, points, self.feature_names, rubric_texts)
        return [None if p[1] is None else self.combiner.probability(row) for row, p in zip(rows, points)]


def load_calibration(model: str, prompt_hash: str, path: Path | None = None) -> Calibration:
    """The calibration for a model and prompt from `path`, or (by default) from the packaged file
    overridden by the user's file."""
    table = _read_table(path) if path is not None else {**_read_table(CALIBRATION_FILE), **_read_table(user_calibration_path())}
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


def save_calibration(model: str, prompt_hash: str, calibration: Calibration, note: str, path: Path | None = None) -> Path:
    """Adds or replaces one entry in `path` (default: the user's file, never the installed package)."""
    path = path if path is not None else user_calibration_path()
    table = _read_table(path)
    entry = {"partial": calibration.thresholds.partial, "covered": calibration.thresholds.covered, "note": note}
    if calibration.combiner:
        entry["combiner"] = calibration.combiner.as_dict()
        entry["features"] = list(calibration.feature_names)
    table[f"{model}|{prompt_hash}"] = entry
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(table, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


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


def rethreshold(grade, question, thresholds: Thresholds, probability=None, answer: str | None = None):
    """The same grade with verdicts re-cut from a probability per point (default: the stored
    P(covered)) and routed afresh (with `answer`, its form is checked too); re-scoring needs no
    model."""
    from .scoring import question_score

    if grade.status != "scored":
        return grade
    probability = probability or (lambda point: point.p_covered)
    points = []
    for p in grade.points:
        prob = probability(p)
        points.append(p.model_copy(update={"p_covered": prob, "verdict": thresholds.verdict(prob)}))
    score = question_score({p.id: p.verdict for p in points}, {p.id: p.weight for p in question.points})
    regraded = grade.model_copy(update={"points": points, "score": score})
    confidence = regraded.point_confidence()
    regraded.confidence = None if confidence is None else round(confidence, 4)
    if answer is not None:
        regraded = flag_answer_form(regraded, answer, question)
    return route(regraded, thresholds)


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
