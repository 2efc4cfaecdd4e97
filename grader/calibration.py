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


def load_thresholds(model: str, prompt_hash: str, path: Path = CALIBRATION_FILE) -> tuple[Thresholds, bool]:
    """(thresholds, fitted?) for this model and prompt."""
    if path.exists():
        table = json.loads(path.read_text(encoding="utf-8"))
        entry = table.get(f"{model}|{prompt_hash}")
        if entry:
            return Thresholds(partial=entry["partial"], covered=entry["covered"]), True
    return UNCALIBRATED, False


def save_thresholds(model: str, prompt_hash: str, thresholds: Thresholds, note: str, path: Path = CALIBRATION_FILE) -> None:
    table = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    table[f"{model}|{prompt_hash}"] = {"partial": thresholds.partial, "covered": thresholds.covered, "note": note}
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


def rethreshold(grade, question, thresholds: Thresholds):
    """The same grade with verdicts re-cut from its stored P(covered): re-scoring needs no model."""
    from .scoring import question_score

    if grade.status != "scored":
        return grade
    points = [p.model_copy(update={"verdict": thresholds.verdict(p.p_covered)}) for p in grade.points]
    score = question_score({p.id: p.verdict for p in points}, {p.id: p.weight for p in question.points})
    return grade.model_copy(update={"points": points, "score": score})


def question_folds(question_ids: Sequence[str], folds: int) -> list[list[str]]:
    ordered = sorted(set(question_ids))
    return [ordered[i::folds] for i in range(folds)]


def cross_validate(rubric, samples, predictions: dict, folds: int = 2):
    """Out-of-fold predictions: each question's verdicts come from thresholds fitted only on the
    other folds' questions. Returns (predictions, thresholds per fold)."""
    by_id = {s.id: s for s in samples}
    out, fitted = {}, []
    for held_out in question_folds([s.question_id for s in samples], folds):
        held = set(held_out)
        train = [(p.p_covered, by_id[g.answer_id].labels[p.id].value) for g in predictions.values() if g.answer_id in by_id and by_id[g.answer_id].question_id not in held and g.status == "scored" for p in g.points]
        thresholds = fit_thresholds([p for p, _ in train], [label for _, label in train])
        fitted.append({"held_out": held_out, "partial": thresholds.partial, "covered": thresholds.covered})
        for answer_id, grade in predictions.items():
            if answer_id in by_id and by_id[answer_id].question_id in held:
                out[answer_id] = rethreshold(grade, rubric.question(grade.question_id), thresholds)
    return out, fitted
