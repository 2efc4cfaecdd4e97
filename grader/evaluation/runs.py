"""Run records: what `grader eval` and `grader calibrate` write, and what `eval --rescore`,
`--compare`, `--baseline`, `calibrate` and CI's gate read back.

A record is a typed, versioned `RunRecord`. Records written before it had a version (version 1)
are converted when read, so every stored run in evals/runs/ still loads.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Iterator, Literal, Sequence

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from ..errors import InputError
from ..files import write_text
from ..jsonl import check_schema_version, read_json_object
from ..grading.results import AnswerGrade, Usage
from .metrics import Metrics

# Version 2 added `schema_version` and `kind`; version 1 records (no schema_version) are
# converted on read (`kind` is "cross-validated" where the record names a source run).
RUN_SCHEMA_VERSION = 2

# Run records go here, relative to the current folder (the repository keeps its runs in evals/runs).
RUNS_DIR = Path("evals/runs")
RUNS_DIR_HELP = f"folder of run records (default: {RUNS_DIR}, relative to the current folder)"


class RunRecord(BaseModel):
    """One eval run: what graded what, the metrics, and every prediction (so it can be re-scored
    without a model). `kind` "cross-validated": predictions of `grader calibrate`'s held-out
    folds over `source_run`, with the thresholds fitted per fold in `folds`."""

    model_config = ConfigDict(extra="ignore")

    schema_version: int = RUN_SCHEMA_VERSION
    kind: Literal["eval", "cross-validated"] = "eval"
    run_id: str = ""
    time: str = ""
    model: str = ""
    endpoint_kind: str | None = None
    strategy: str = ""
    prompt_hash: str | None = None
    rubric_path: str = ""
    rubric_hash: str | None = None
    samples_path: str = ""
    samples_hash: str | None = None
    n_samples: int | None = None
    limit: int | None = None
    per_question: int | None = None
    wall_s: float | None = None
    seconds_per_answer: float | None = None
    usage: Usage = Field(default_factory=Usage)
    source_run: str | None = None
    pooled_runs: list[str] | None = None  # `grader calibrate --pool`: the runs cross-validated together
    folds: list[Any] | None = None
    metrics: Metrics = Field(default_factory=Metrics)
    predictions: list[AnswerGrade] = Field(default_factory=list)

    _path: str | None = PrivateAttr(default=None)

    @property
    def where(self) -> str:
        """The file it was read from, for messages."""
        return self._path or "run record"

    def to_json(self) -> str:
        data = self.model_dump(mode="json", exclude={"metrics", "predictions"})
        # Metrics keep NaN as JSON's NaN (as records always had), not null.
        data |= {"metrics": self.metrics.to_dict(), "predictions": [g.model_dump(mode="json") for g in self.predictions]}
        return json.dumps(data, ensure_ascii=False, indent=1, default=str) + "\n"


def _upgrade(data: dict[str, Any]) -> dict[str, Any]:
    """A stored record's fields as the current version has them."""
    version = check_schema_version(data, RUN_SCHEMA_VERSION)
    if version == 1:
        data = {**data, "schema_version": 2, "kind": "cross-validated" if data.get("source_run") else "eval"}
    return data


def write_run(runs_dir: Path, record: RunRecord) -> Path:
    runs_dir.mkdir(parents=True, exist_ok=True)
    safe_model = "".join(ch if ch.isalnum() or ch in "-." else "-" for ch in record.model)[:40]
    path = runs_dir / f"{record.time.replace(':', '').replace('-', '')[:15]}_{record.strategy}_{safe_model}.json"
    write_text(path, record.to_json())  # a killed eval leaves no half record to be read as a run
    return path


# What each use of a run record needs in it.
RESCORE_FIELDS = ("rubric_path", "samples_path", "predictions")
COMPARE_FIELDS = ("metrics",)


def load_run(path: Path, needs: Sequence[str] = COMPARE_FIELDS) -> RunRecord:
    """A run record (any version); any other JSON is an InputError naming the field."""
    data = read_json_object(path, "a run record", "as `grader eval` writes")
    missing = [name for name in needs if name not in data]
    if missing:
        raise InputError(f"{path}: not a run record: field {missing[0]} missing (`grader eval` writes {', '.join(needs)})")
    if "predictions" in needs and not isinstance(data["predictions"], list):
        raise InputError(f"{path}: not a run record: field predictions is not a list")
    try:
        record = RunRecord.model_validate(_upgrade(data))
    except ValueError as exc:
        if isinstance(exc, ValidationError):
            first = exc.errors()[0]
            exc = f"field {'.'.join(map(str, first['loc']))}: {first['msg']}"
        raise InputError(f"{path}: not a run record: {exc}") from None
    record._path = str(path)
    return record


def predictions_of(run: RunRecord) -> dict[str, AnswerGrade]:
    """The run's grades by answer id."""
    grades = {}
    for i, grade in enumerate(run.predictions):
        if not grade.answer_id:
            raise InputError(f"{run.where}: field predictions.{i}.answer_id: missing")
        grades[grade.answer_id] = grade
    return grades


def check_predictions(run: RunRecord, rubric) -> None:
    """Every prediction names a question and points of `rubric`, with a score the question allows;
    anything else is an InputError naming the record and the field (a stored run that does not fit
    its rubric must not be scored as if it did)."""
    questions = {q.id: q for q in rubric.questions()}
    for i, grade in enumerate(run.predictions):
        where = f"{run.where}: field predictions.{i}"
        question = questions.get(grade.question_id)
        if question is None:
            raise InputError(f"{where}.question_id: {grade.question_id!r} is not a question of rubric {rubric.id!r}")
        expected = [p.id for p in question.points]
        for j, point in enumerate(grade.points):
            if point.id not in expected:
                raise InputError(f"{where}.points.{j}.id: {point.id!r} is not a point of question {question.id} (its points: {expected})")
        if grade.score is not None and not (0 <= grade.score <= question.max_score):
            raise InputError(f"{where}.score: {grade.score:g} is outside 0..{question.max_score:g}, question {question.id}'s range")


PROBABILITY_FIELDS = ("p_covered", "p_model", "p_anchor")


def check_probabilities(run: RunRecord) -> None:
    """Every stored probability is a finite number from 0 to 1: a NaN would silently become a
    "missing" verdict everywhere a calibration fitted on it is used."""
    for i, grade in enumerate(run.predictions):
        for j, point in enumerate(grade.points):
            for name in PROBABILITY_FIELDS:
                value = getattr(point, name)
                if value is not None and not (math.isfinite(value) and 0 <= value <= 1):
                    raise InputError(f"{run.where}: field predictions.{i}.points.{j}.{name}: {value} is not a probability from 0 to 1")


def history(runs_dir: Path) -> Iterator[dict[str, Any]]:
    """A line per readable run record in `runs_dir` (for the report's trend), oldest first."""
    for path in sorted(runs_dir.glob("*.json")) if runs_dir.exists() else []:
        try:
            run = load_run(path)
        except InputError:
            continue
        yield {
            "time": run.time,
            "model": run.model,
            "strategy": run.strategy,
            "prompt_hash": run.prompt_hash,
            "rubric_hash": run.rubric_hash,
            "samples_hash": run.samples_hash,
            "point_kappa": run.metrics.point_kappa,
            "score_qwk": run.metrics.score_qwk,
            "file": path.name,
        }


