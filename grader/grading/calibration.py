"""Thresholds that turn a model's P(point covered) into covered / partial / missing.

Fitted per model and prompt on hand-graded data (cross-validated by question, so the figures we
report come from questions the thresholds never saw) and shipped in `calibration.json` (package
data). `grader calibrate --save` writes a user file (default `user_calibration_path()`), read beside
the packaged one: its entries override the packaged entries for the same model and prompt.

A rubric can have its own fit (learnt from its reviews, `grader.evaluation.review_fit`): thresholds
per point on the probability its base calibration gives. `resolve_calibration` is the one place
that decides what cuts a rubric's grades: (model, prompt, rubric) -> (model, prompt) -> packaged
default. A rubric fit is kept per point with a hash of the point's text, so an edited point loses
its own fit and falls back while the rest keep theirs; a fit made on another base calibration no
longer applies. Every calibration has an id, which each grade records and cache keys include.
Calibration files are validated when read: a bad one is an `InputError` naming the file.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Annotated, Callable, Literal, Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import InputError
from ..files import write_text
from ..jsonl import read_json_object
from .combiner import BASE_FEATURES, FEATURE_NAMES, Combiner, PointInput, answer_features
from .results import Flag, Verdict
from .routing import flag_answer_form, route, rubric_texts

CALIBRATION_FILE = Path(__file__).resolve().parent / "calibration.json"


def user_calibration_path() -> Path:
    """Where `grader calibrate --save` writes by default: $XDG_CONFIG_HOME/grader/calibration.json
    (~/.config/grader/calibration.json without XDG_CONFIG_HOME)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "grader" / "calibration.json"


# A probability cut point: a finite number from 0 to 1 (strict: a string such as "0.5" is an error
# when the file is read, not at grade time).
_Cut = Annotated[float, Field(strict=True, ge=0, le=1, allow_inf_nan=False)]
_Finite = Annotated[float, Field(strict=True, allow_inf_nan=False)]


class _Cuts(BaseModel):
    model_config = ConfigDict(extra="forbid")
    partial: _Cut
    covered: _Cut

    @model_validator(mode="after")
    def _ordered(self):
        if self.partial > self.covered:
            raise ValueError(f"partial ({self.partial}) is above covered ({self.covered}): need 0 <= partial <= covered <= 1")
        return self


class _CombinerEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    weights: list[_Finite] = Field(min_length=1)
    bias: _Finite
    means: list[_Finite] = Field(default_factory=list)
    scales: list[_Finite] = Field(default_factory=list)


class _ModelPromptEntry(_Cuts):
    """One (model, prompt) calibration, as the packaged and the user's files keep it."""

    note: str = ""
    combiner: _CombinerEntry | None = None
    features: list[Literal[FEATURE_NAMES]] | None = None  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _combiner_fits_features(self):
        if self.combiner is not None:
            k = len(self.features or BASE_FEATURES)
            sizes = {"weights": len(self.combiner.weights)} | {n: len(v) for n, v in (("means", self.combiner.means), ("scales", self.combiner.scales)) if v}
            wrong = {n: size for n, size in sizes.items() if size != k}
            if wrong:
                raise ValueError(f"combiner {', '.join(wrong)} have {', '.join(map(str, wrong.values()))} values for {k} features")
            if any(v == 0 for v in self.combiner.scales):
                raise ValueError("combiner scales: a scale of 0")
        return self


class _PointEntry(_Cuts):
    question_id: str = Field(min_length=1)
    point_id: str = Field(min_length=1)
    text_hash: str = Field(min_length=1)  # `point_text_hash` when it was fitted


class _RubricEntry(BaseModel):
    """A rubric's own fit: thresholds per point on the probability its `base` calibration gives."""

    model_config = ConfigDict(extra="forbid")
    rubric: str = Field(min_length=1)
    base: str = Field(min_length=1)  # the id of the base calibration the thresholds cut
    points: list[_PointEntry]
    note: str = ""
    method: str = ""
    agreement: dict = Field(default_factory=dict)  # cross-validated, when it was fitted


RUBRIC_KEY = "|rubric="


def _entry_key(model: str, prompt_hash: str, rubric_id: str | None = None) -> str:
    return f"{model}|{prompt_hash}" + (f"{RUBRIC_KEY}{rubric_id}" if rubric_id is not None else "")


def _read_table(path: Path) -> dict[str, "_ModelPromptEntry | _RubricEntry"]:
    """A calibration file's entries, validated; a file that cannot be used is an InputError that
    names it (it would otherwise break, or silently skew, every yes/no grade)."""
    if not path.exists():
        return {}
    data = read_json_object(path, "a calibration file", 'entries keyed "model|prompt hash"; fix or remove it')
    table = {}
    for key, entry in data.items():
        try:
            table[key] = (_RubricEntry if RUBRIC_KEY in key else _ModelPromptEntry).model_validate(entry)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(map(str, first["loc"]))
            raise InputError(f"{path}: calibration entry {key!r}: {'field ' + where + ': ' if where else ''}{first['msg']}; fix or remove it") from None
    return table


def _write_table(path: Path, table: dict) -> None:
    """Whole or not at all (grader/files.py): a crash leaves the old file or the new one."""
    data = {key: entry.model_dump(exclude_none=True) for key, entry in table.items()}
    write_text(path, json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n")


def point_text_hash(question, point) -> str:
    """What a rubric fit of one point depends on: the question's prompt and the point's text."""
    return hashlib.sha256(f"{question.prompt}\x1f{point.text}".encode("utf-8")).hexdigest()[:12]


def _short_id(data) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode("utf-8")).hexdigest()[:12]


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
    """How P(yes) becomes a verdict for one model and prompt (and, with `point_thresholds`, one
    rubric: its points' own cut points on the same probability)."""

    thresholds: Thresholds
    combiner: Combiner | None = None
    fitted: bool = False
    feature_names: tuple[str, ...] = BASE_FEATURES  # what the combiner reads, in order
    # A rubric's own fit: (question id, point id) -> cut points; other points use `thresholds`.
    point_thresholds: Mapping[tuple[str, str], Thresholds] = field(default_factory=dict, hash=False)
    rubric_id: str | None = None
    # Where it came from, for messages ("rubric fit", "user file", "packaged", "uncalibrated").
    source: str = field(default="", compare=False)

    @cached_property
    def base_id(self) -> str:
        """Names the (model, prompt) calibration: a hash of what cuts the probabilities."""
        if not self.fitted and self.combiner is None and self.thresholds == UNCALIBRATED:
            return "uncalibrated"
        combiner = self.combiner.as_dict() if self.combiner else None
        return _short_id([self.thresholds.partial, self.thresholds.covered, combiner, list(self.feature_names) if combiner else None])

    @property
    def label(self) -> str:
        """For messages: the base's id, the rubric fit's extent, and where it came from."""
        own = f" + rubric {self.rubric_id}'s own fit of {len(self.point_thresholds)} points" if self.point_thresholds else ""
        return f"{self.base_id}{own} ({self.source})"

    @cached_property
    def _by_question(self) -> dict[str, dict[str, Thresholds]]:
        by_question: dict[str, dict[str, Thresholds]] = {}
        for (qid, pid), t in self.point_thresholds.items():
            by_question.setdefault(qid, {})[pid] = t
        return by_question

    def question_thresholds(self, question_id: str) -> dict[str, Thresholds]:
        return self._by_question.get(question_id, {})

    def thresholds_for(self, question_id: str, point_id: str) -> Thresholds:
        return self.point_thresholds.get((question_id, point_id), self.thresholds)

    def id_for(self, question_id: str) -> str:
        """The id of what cuts this question's grades: the base's, or with the rubric's own fit of
        this question, the base's and that fit's (so a fit of one question leaves the others'
        ids, and cached grades, alone)."""
        if question_id not in self._ids:
            own = self.question_thresholds(question_id)
            own_id = _short_id([self.rubric_id, question_id, sorted((pid, t.partial, t.covered) for pid, t in own.items())])[:8] if own else ""
            self._ids[question_id] = f"{self.base_id}+{own_id}" if own else self.base_id
        return self._ids[question_id]

    @cached_property
    def _ids(self) -> dict[str, str]:
        return {}

    @property
    def base(self) -> "Calibration":
        """The (model, prompt) calibration under a rubric's fit."""
        if not self.point_thresholds:
            return self
        return Calibration(self.thresholds, self.combiner, self.fitted, self.feature_names, source=self.source)

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


def _tables(path: Path | None) -> list[tuple[str, dict]]:
    """(source, entries) to look in, first match wins: `path`, or the user's file then the packaged one."""
    if path is not None:
        return [(str(path), _read_table(path))]
    return [("user file", _read_table(user_calibration_path())), ("packaged", _read_table(CALIBRATION_FILE))]


def load_calibration(model: str, prompt_hash: str, path: Path | None = None) -> Calibration:
    """The calibration for a model and prompt from `path`, or (by default) from the user's file,
    then the packaged one."""
    key = _entry_key(model, prompt_hash)
    for source, table in _tables(path):
        entry = table.get(key)
        if entry is not None:
            return Calibration(
                Thresholds(partial=entry.partial, covered=entry.covered),
                Combiner.from_dict(entry.combiner.model_dump()) if entry.combiner else None,
                fitted=True,
                feature_names=tuple(entry.features or BASE_FEATURES),
                source=source,
            )
    return Calibration(UNCALIBRATED, source="uncalibrated")


def resolve_calibration(model: str, prompt_hash: str, rubric=None, path: Path | None = None) -> Calibration:
    """What cuts a rubric's yes/no grades: the rubric's own fit (its points whose text is unchanged)
    over the (model, prompt) calibration, which falls back to the packaged default. The one place
    that decides it: grading, `eval --rescore`, `calibrate` and the review page's re-cut all ask here."""
    base = load_calibration(model, prompt_hash, path)
    if rubric is None:
        return base
    key = _entry_key(model, prompt_hash, rubric.id)
    entry = next((table[key] for _, table in _tables(path) if key in table), None)
    if entry is None or entry.base != base.base_id:
        return base  # no fit of this rubric, or one made on another base calibration
    hashes = {(q.id, p.id): point_text_hash(q, p) for q in rubric.questions() for p in q.points}
    own = {(e.question_id, e.point_id): Thresholds(e.partial, e.covered) for e in entry.points if hashes.get((e.question_id, e.point_id)) == e.text_hash}
    if not own:
        return base
    return Calibration(base.thresholds, base.combiner, base.fitted, base.feature_names, own, rubric.id, source=f"rubric {rubric.id} (over {base.source})")


def save_calibration(model: str, prompt_hash: str, calibration: Calibration, note: str, path: Path | None = None) -> Path:
    """Adds or replaces one (model, prompt) entry in `path` (default: the user's file, never the
    installed package)."""
    path = path if path is not None else user_calibration_path()
    table = _read_table(path)
    combiner = calibration.combiner
    table[_entry_key(model, prompt_hash)] = _ModelPromptEntry(
        # `fit_thresholds` may put "never covered" above 1: at 1 it means the same.
        partial=min(1.0, calibration.thresholds.partial),
        covered=min(1.0, calibration.thresholds.covered),
        note=note,
        combiner=_CombinerEntry(**combiner.as_dict()) if combiner else None,
        features=list(calibration.feature_names) if combiner else None,
    )
    _write_table(path, table)
    return path


def save_rubric_calibration(
    model: str, prompt_hash: str, rubric, base: Calibration, fitted: Mapping[tuple[str, str], Thresholds], note: str,
    method: str = "", agreement: dict | None = None, path: Path | None = None,
) -> Path:
    """Saves a rubric's own fit (`fitted`: cut points per (question id, point id) on `base`'s
    probability) in `path` (default: the user's file). Points fitted before on the same base and
    not fitted now keep their fit."""
    path = path if path is not None else user_calibration_path()
    table = _read_table(path)
    key = _entry_key(model, prompt_hash, rubric.id)
    old = table.get(key)
    kept = {(e.question_id, e.point_id): e for e in old.points} if old is not None and old.base == base.base_id else {}
    for (qid, pid), t in fitted.items():
        question = rubric.question(qid)
        kept[(qid, pid)] = _PointEntry(question_id=qid, point_id=pid, text_hash=point_text_hash(question, question.point(pid)), partial=t.partial, covered=t.covered)
    table[key] = _RubricEntry(rubric=rubric.id, base=base.base_id, points=[kept[k] for k in sorted(kept)], note=note, method=method, agreement=agreement or {})
    _write_table(path, table)
    return path


def raw_probability(point) -> float | None:
    """The model's own P(yes) for a graded point (older run records kept it in p_covered)."""
    return point.p_model if point.p_model is not None else point.p_covered


def rethreshold(grade, question, thresholds: Thresholds, probability=None, answer: str | None = None, point_thresholds: Mapping[str, Thresholds] | None = None):
    """The same grade with verdicts re-cut from a probability per point (default: the stored
    P(covered)) and routed afresh (with `answer`, its form is checked too); re-scoring needs no
    model. `point_thresholds`: a rubric's own cut points by point id, where it has them."""
    from .scoring import question_score

    if grade.status != "scored":
        return grade
    probability = probability or (lambda point: point.p_covered)
    point_thresholds = point_thresholds or {}
    points = []
    for p in grade.points:
        prob = probability(p)
        points.append(p.model_copy(update={"p_covered": prob, "verdict": point_thresholds.get(p.id, thresholds).verdict(prob)}))
    score = question_score({p.id: p.verdict for p in points}, {p.id: p.weight for p in question.points})
    regraded = grade.model_copy(update={"points": points, "score": score})
    confidence = regraded.point_confidence()
    regraded.confidence = None if confidence is None else round(confidence, 4)
    if answer is not None:
        regraded = flag_answer_form(regraded, answer, question)
    return route(regraded, thresholds)


def has_probabilities(grade) -> bool:
    """Whether a grade's verdicts came from probabilities a calibration can cut again."""
    return grade.status == "scored" and grade.strategy == "yesno" and Flag.empty_answer not in grade.flags and any(raw_probability(p) is not None for p in grade.points)


def recut_grade(grade, question, text: Callable[[], str], calibration: Calibration):
    """The grade as `calibration` cuts it (no model call): its points' probabilities from the
    stored P(yes) and anchors (the stored P(covered) where the grade was cut by the same base),
    cut by the rubric's own thresholds where it has them. `text()`: the answer as the model saw it,
    asked only when the combiner must read it again. Grades without probabilities are returned as
    they are."""
    calibration_id = calibration.id_for(question.id)
    if not has_probabilities(grade) or grade.calibration_id == calibration_id:
        return grade
    if grade.calibration_id is not None and grade.calibration_id.split("+")[0] == calibration.base_id:
        probability = {p.id: p.p_covered for p in grade.points}
    else:
        inputs = [PointInput(question.point(p.id).text, raw_probability(p), p.p_anchor) for p in grade.points]
        probability = dict(zip([p.id for p in grade.points], calibration.probabilities(text(), inputs, rubric_texts(question))))
    recut = rethreshold(grade, question, calibration.thresholds, lambda p: probability[p.id], point_thresholds=calibration.question_thresholds(question.id))
    return recut.model_copy(update={"calibration_id": calibration_id})
