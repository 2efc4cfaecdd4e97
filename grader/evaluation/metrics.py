"""Agreement metrics of a grader with hand-labelled samples: point kappa and accuracy, score QWK
and MAE with bootstrap intervals, by question, section and kind, reliability, consistency,
selective grading and the worst disagreements; and `describe`, their text summary.

`compute_metrics` is pure (samples + predictions -> metrics), so a stored run can be re-scored
without calling the model, and CI can gate on stored predictions.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any, Sequence

from pydantic import BaseModel, ConfigDict

from . import stats as m
from ..grading.results import LABELS, AnswerGrade, Verdict
from ..rubric.model import Rubric
from ..grading.samples import Sample

# An answer the grader failed to score counts against it: its points get a label no human used.
UNSCORED = "unscored"

# The metrics `describe` and `compare` show, in order (fields of `Metrics`).
HEADLINE = ["n_answers", "n_unscored", "point_accuracy", "point_kappa", "point_kappa_linear", "covered_f1", "score_mae", "score_qwk", "score_pearson", "semeval_2way_macro_f1", "semeval_3way_macro_f1"]


class Confusion(BaseModel):
    labels: list[str]
    matrix: list[list[int]]  # rows: the human's label, columns: the model's


class GroupMetrics(BaseModel):
    """Agreement on the answers of one question, section or kind."""

    n_answers: int
    n_points: int
    point_accuracy: float
    point_kappa: float
    point_kappa_linear: float
    covered_precision: float
    covered_recall: float
    covered_f1: float
    score_mae: float


class ReliabilityBin(BaseModel):
    lo: float
    hi: float
    n: int
    agreement: float


class Consistency(BaseModel):
    n_groups: int
    same_score: float
    same_verdicts: float


class SelectiveStep(BaseModel):
    """Agreement on the answers kept when those below a confidence threshold go to a person."""

    below_confidence: float
    share_routed: float
    n_kept: int
    point_kappa: float
    score_qwk: float
    score_mae: float


class Selective(SelectiveStep):
    reasons: dict[str, int]  # answers routed, by reason
    curve: list[SelectiveStep]


class WorstPoint(BaseModel):
    id: str
    human: str
    model: str
    evidence: str
    reason: str
    flags: list[str]


class WorstAnswer(BaseModel):
    id: str
    question_id: str
    kind: str
    human_score: float
    model_score: float
    answer: str
    error: str | None
    points: list[WorstPoint]


class Metrics(BaseModel):
    """What `compute_metrics` measures, and what a run record stores. A record may lack any figure
    (an older version, a hand-made baseline): what it lacks is None, which the gate fails closed
    on; figures an older version stored that this one no longer computes are kept as they were."""

    model_config = ConfigDict(extra="allow")

    n_answers: int | None = None
    n_unscored: int | None = None
    n_flagged_evidence: int | None = None
    n_points: int | None = None
    point_accuracy: float | None = None
    point_kappa: float | None = None
    point_kappa_linear: float | None = None
    covered_precision: float | None = None
    covered_recall: float | None = None
    covered_f1: float | None = None
    confusion: Confusion | None = None
    score_mae: float | None = None
    score_qwk: float | None = None
    score_pearson: float | None = None
    score_spearman: float | None = None
    point_kappa_ci95: tuple[float, float] | None = None
    score_qwk_ci95: tuple[float, float] | None = None
    by_question: dict[str, GroupMetrics] | None = None
    by_section: dict[str, GroupMetrics] | None = None
    by_kind: dict[str, GroupMetrics] | None = None
    # SemEval-2013 macro-F1, where every sample carries the data set's own labels.
    semeval_2way_macro_f1: float | None = None
    semeval_3way_macro_f1: float | None = None
    consistency: Consistency | None = None  # where samples are grouped (the same content in other forms)
    reliability: list[ReliabilityBin] | None = None
    selective: Selective | None = None
    worst: list[WorstAnswer] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The figures as JSON values, as records store them and `--json` prints them: only those
        measured (or read), NaN kept as NaN."""
        return self.model_dump(mode="json", exclude_unset=True)


def _point_pairs(samples: Sequence[Sample], predictions: dict[str, AnswerGrade]) -> list[tuple[str, str, str, str]]:
    """(sample id, point id, human label, model label) for every labelled point."""
    pairs = []
    for s in samples:
        grade = predictions.get(s.id)
        model_labels = {p.id: p.verdict.value for p in grade.points} if grade and grade.status == "scored" else {}
        for point_id, human in s.labels.items():
            pairs.append((s.id, point_id, human.value, model_labels.get(point_id, UNSCORED)))
    return pairs


def _human_score(sample: Sample, rubric: Rubric) -> float:
    if sample.score is not None:
        return sample.score
    from ..grading.scoring import question_score

    question = rubric.question(sample.question_id)
    return question_score(sample.labels, {p.id: p.weight for p in question.points})


def _model_score(sample: Sample, grade: AnswerGrade | None, rubric: Rubric, human: float) -> float:
    if grade is not None and grade.status == "scored" and grade.score is not None:
        return grade.score
    max_score = rubric.question(sample.question_id).max_score
    return 0.0 if human >= max_score / 2 else max_score  # the worst plausible error


def point_agreement(truth: Sequence[str], predicted: Sequence[str]) -> tuple[float, float]:
    """(Cohen's kappa, share of equal labels) of a person's verdicts against the model's, where a
    model's label may be UNSCORED (it failed to grade the answer), a disagreement."""
    labels = LABELS + ([UNSCORED] if UNSCORED in predicted else [])
    return m.cohen_kappa(truth, predicted, labels), m.accuracy(truth, predicted)


def _point_block(pairs: Sequence[tuple[str, str, str, str]]) -> dict[str, Any]:
    truth = [p[2] for p in pairs]
    pred = [p[3] for p in pairs]
    labels = LABELS + ([UNSCORED] if UNSCORED in pred else [])
    precision, recall, f1 = m.precision_recall_f1(truth, pred, Verdict.covered.value)
    covered, missing = Verdict.covered.value, Verdict.missing.value
    ordered = [(t, p if p != UNSCORED else (covered if t == missing else missing)) for t, p in zip(truth, pred)]
    kappa, accuracy = point_agreement(truth, pred)
    return {
        "n_points": len(pairs),
        "point_accuracy": accuracy,
        "point_kappa": kappa,
        "point_kappa_linear": m.cohen_kappa([t for t, _ in ordered], [p for _, p in ordered], LABELS, weights="linear"),
        "covered_precision": precision,
        "covered_recall": recall,
        "covered_f1": f1,
        "confusion": {"labels": labels, "matrix": m.confusion_matrix(truth, pred, labels)},
    }


def _score_block(human: Sequence[float], model: Sequence[float], max_score: int) -> dict[str, Any]:
    return {
        "score_mae": m.mean_absolute_error(human, model),
        "score_qwk": m.quadratic_weighted_kappa(human, model, max_score),
        "score_pearson": m.pearson(human, model),
        "score_spearman": m.spearman(human, model),
    }


def compute_metrics(
    rubric: Rubric, samples: Sequence[Sample], predictions: dict[str, AnswerGrade], *, resamples: int = 1000, worst: int = 10
) -> Metrics:
    max_score = int(round(max(q.max_score for q in rubric.questions())))
    pairs = _point_pairs(samples, predictions)
    human = {s.id: _human_score(s, rubric) for s in samples}
    model = {s.id: _model_score(s, predictions.get(s.id), rubric, human[s.id]) for s in samples}
    pairs_by_sample: dict[str, list] = defaultdict(list)
    for pair in pairs:
        pairs_by_sample[pair[0]].append(pair)

    result: dict[str, Any] = {
        "n_answers": len(samples),
        "n_unscored": sum(1 for s in samples if s.id not in predictions or predictions[s.id].status != "scored"),
        "n_flagged_evidence": sum(
            1 for g in predictions.values() for p in g.points if any(f.value.startswith("evidence_") for f in p.flags)
        ),
        **_point_block(pairs),
        **_score_block([human[s.id] for s in samples], [model[s.id] for s in samples], max_score),
    }

    def kappa_of(ids: Sequence[str]) -> float:
        chosen = [p for i in ids for p in pairs_by_sample[i]]
        return m.cohen_kappa([p[2] for p in chosen], [p[3] for p in chosen], LABELS + [UNSCORED])

    def qwk_of(ids: Sequence[str]) -> float:
        return m.quadratic_weighted_kappa([human[i] for i in ids], [model[i] for i in ids], max_score)

    ids = [s.id for s in samples]
    result["point_kappa_ci95"] = m.bootstrap_interval(ids, kappa_of, resamples=resamples)
    result["score_qwk_ci95"] = m.bootstrap_interval(ids, qwk_of, resamples=resamples)

    for key, group_of in (
        ("by_question", lambda s: s.question_id),
        ("by_section", lambda s: rubric.section_of(s.question_id).id),
        ("by_kind", lambda s: s.kind),
    ):
        groups: dict[str, list[Sample]] = defaultdict(list)
        for s in samples:
            groups[group_of(s)].append(s)
        result[key] = {
            name: {
                "n_answers": len(members),
                **{k: v for k, v in _point_block([p for s in members for p in pairs_by_sample[s.id]]).items() if k != "confusion"},
                "score_mae": m.mean_absolute_error([human[s.id] for s in members], [model[s.id] for s in members]),
            }
            for name, members in groups.items()
        }

    if all(s.label_2way for s in samples):
        result.update(_semeval_f1(samples, predictions))
    if any(s.group for s in samples):
        result["consistency"] = _consistency(samples, predictions)
    result["reliability"] = _reliability(samples, predictions)
    result["selective"] = _selective(samples, predictions, human, model, max_score, pairs_by_sample)
    result["worst"] = _worst(samples, predictions, human, model, worst)
    return Metrics.model_validate(result)


def _semeval_f1(samples: Sequence[Sample], predictions: dict[str, AnswerGrade]) -> dict[str, float]:
    """SemEval-2013 macro-F1: a covered verdict reads as "correct", anything else as "incorrect"
    (the grader has no "contradictory" verdict, so 3-way F1 is bounded by that)."""

    def said(s: Sample) -> str:
        grade = predictions.get(s.id)
        ok = grade is not None and grade.status == "scored" and all(p.verdict is Verdict.covered for p in grade.points)
        return "correct" if ok else "incorrect"

    predicted = [said(s) for s in samples]
    return {
        "semeval_2way_macro_f1": m.macro_f1([s.label_2way for s in samples], predicted, ["correct", "incorrect"]),
        "semeval_3way_macro_f1": m.macro_f1([s.label_3way for s in samples], predicted, ["correct", "contradictory", "incorrect"]),
    }


def _reliability(samples: Sequence[Sample], predictions: dict[str, AnswerGrade], bins: int = 5) -> list[dict[str, float]]:
    """Confidence in the chosen verdict against how often humans agreed, where the grader gives one."""
    rows = []
    for s in samples:
        grade = predictions.get(s.id)
        for p in grade.points if grade else []:
            if p.p_covered is None:
                continue
            confidence = p.p_covered if p.verdict is not Verdict.missing else 1 - p.p_covered
            rows.append((confidence, float(s.labels[p.id] == p.verdict)))
    out = []
    for b in range(bins):
        lo, hi = 0.5 + b * 0.5 / bins, 0.5 + (b + 1) * 0.5 / bins
        members = [agree for conf, agree in rows if lo <= conf < hi or (b == bins - 1 and conf >= hi)]
        if members:
            out.append({"lo": lo, "hi": hi, "n": len(members), "agreement": sum(members) / len(members)})
    return out


def _consistency(samples: Sequence[Sample], predictions: dict[str, AnswerGrade]) -> dict[str, Any]:
    """Share of groups (the same content in other forms) whose members all got the same score,
    and the same verdict on every point."""
    groups: dict[str, list[AnswerGrade | None]] = defaultdict(list)
    for s in samples:
        if s.group:
            groups[s.group].append(predictions.get(s.id))
    same_score = same_verdicts = 0
    for members in groups.values():
        scored = [g for g in members if g is not None and g.status == "scored"]
        if len(scored) < len(members):
            continue
        same_score += len({g.score for g in scored}) == 1
        same_verdicts += len({tuple(p.verdict for p in g.points) for g in scored}) == 1
    n = len(groups)
    return {"n_groups": n, "same_score": same_score / n if n else math.nan, "same_verdicts": same_verdicts / n if n else math.nan}


def _selective(samples, predictions, human, model, max_score: int, pairs_by_sample) -> dict[str, Any] | None:
    """Selective grading: the share of answers routed to a person (`needs_review`), and how well
    the grader agrees with the labels on the rest, at the shipped routing and as a curve over the
    confidence threshold (the other reasons, such as a suspected keyword list, always route)."""
    from ..grading.results import Flag
    from ..grading.routing import DEFAULT_POLICY

    rows = []  # (sample id, confidence, routed for a reason other than confidence, routed as shipped)
    for s in samples:
        grade = predictions.get(s.id)
        if grade is None or grade.status != "scored":
            continue
        other = any(r is not Flag.low_confidence for r in grade.review_reasons)
        confidence = grade.point_confidence()
        rows.append((s.id, 1.0 if confidence is None else confidence, other, Flag.needs_review in grade.flags))
    if not rows:
        return None

    def kept_block(kept_ids: list[str], routed: int) -> dict[str, Any]:
        chosen = [p for i in kept_ids for p in pairs_by_sample[i]]
        return {
            "share_routed": routed / len(rows),
            "n_kept": len(kept_ids),
            "point_kappa": m.cohen_kappa([p[2] for p in chosen], [p[3] for p in chosen], LABELS) if chosen else math.nan,
            "score_qwk": m.quadratic_weighted_kappa([human[i] for i in kept_ids], [model[i] for i in kept_ids], max_score) if kept_ids else math.nan,
            "score_mae": m.mean_absolute_error([human[i] for i in kept_ids], [model[i] for i in kept_ids]) if kept_ids else math.nan,
        }

    shipped = [r[0] for r in rows if not r[3]]
    by_reason: dict[str, int] = defaultdict(int)
    for s in samples:
        grade = predictions.get(s.id)
        for reason in grade.review_reasons if grade else []:
            by_reason[reason.value] += 1
    curve = []
    for step in range(0, 11):
        threshold = round(0.60 + 0.03 * step, 2)
        kept = [i for i, confidence, other, _ in rows if not other and confidence >= threshold]
        curve.append({"below_confidence": threshold, **kept_block(kept, len(rows) - len(kept))})
    return {
        "below_confidence": DEFAULT_POLICY.below_confidence,
        **kept_block(shipped, len(rows) - len(shipped)),
        "reasons": dict(sorted(by_reason.items())),
        "curve": curve,
    }


def _worst(samples, predictions, human, model, count: int) -> list[dict[str, Any]]:
    ranked = sorted(samples, key=lambda s: -abs(human[s.id] - model[s.id]))[:count]
    rows = []
    for s in ranked:
        grade = predictions.get(s.id)
        by_point = {p.id: p for p in grade.points} if grade else {}
        rows.append(
            {
                "id": s.id,
                "question_id": s.question_id,
                "kind": s.kind,
                "human_score": human[s.id],
                "model_score": model[s.id],
                "answer": s.answer,
                "error": grade.error if grade else "not graded",
                "points": [
                    {
                        "id": pid,
                        "human": label.value,
                        "model": by_point[pid].verdict.value if pid in by_point else UNSCORED,
                        "evidence": by_point[pid].evidence if pid in by_point else "",
                        "reason": by_point[pid].reason if pid in by_point else "",
                        "flags": [f.value for f in by_point[pid].flags] if pid in by_point else [],
                    }
                    for pid, label in s.labels.items()
                ],
            }
        )
    return rows


def describe(metrics: Metrics) -> str:
    def fmt(v: Any) -> str:
        return f"{v:.3f}" if isinstance(v, float) else str(v)

    lines = [f"{k:<20} {fmt(getattr(metrics, k))}" for k in HEADLINE if k in metrics.model_fields_set]
    if metrics.point_kappa_ci95 and metrics.score_qwk_ci95:
        lo, hi = metrics.point_kappa_ci95
        lines[HEADLINE.index("point_kappa")] += f"  (95% CI {lo:.3f}..{hi:.3f})"
        lo, hi = metrics.score_qwk_ci95
        lines[HEADLINE.index("score_qwk")] += f"  (95% CI {lo:.3f}..{hi:.3f})"
    conf = metrics.confusion
    if conf:
        lines.append("confusion (rows human, columns model): " + " ".join(conf.labels))
        for label, row in zip(conf.labels, conf.matrix):
            lines.append(f"  {label:<9} " + " ".join(f"{v:>7}" for v in row))
    consistency = metrics.consistency
    if consistency:
        lines.append(f"consistency over {consistency.n_groups} groups: same score {consistency.same_score:.0%}, same verdicts {consistency.same_verdicts:.0%}")
    selective = metrics.selective
    if selective:
        lines.append(
            f"needs_review: {selective.share_routed:.0%} of answers routed "
            f"({', '.join(f'{k} {v}' for k, v in selective.reasons.items()) or 'no reasons'}); on the rest: point kappa "
            f"{selective.point_kappa:.3f}, QWK {selective.score_qwk:.3f}, MAE {selective.score_mae:.2f}"
        )
        lines.append("selective grading (route below confidence): threshold  routed  kappa   QWK")
        for c in selective.curve:
            lines.append(f"  {c.below_confidence:>42.2f}  {c.share_routed:>5.0%}  {c.point_kappa:.3f}  {c.score_qwk:.3f}")
    if metrics.by_kind:
        lines.append("by kind:            n   accuracy  kappa  score_mae")
        for kind, b in sorted(metrics.by_kind.items()):
            lines.append(f"  {kind:<16} {b.n_answers:>3}   {b.point_accuracy:.3f}    {b.point_kappa:.3f}  {b.score_mae:.2f}")
    return "\n".join(lines)
