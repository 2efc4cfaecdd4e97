"""An eval run (`grader eval`): grade the samples with a model, compute the metrics, and write the
run record."""

from __future__ import annotations

import hashlib
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence
from urllib.parse import urlsplit

from ..grading.engine import Job, grade_many
from ..grading.results import AnswerGrade, Usage
from ..grading.session import ModelOptions
from ..rubric.model import Rubric
from .metrics import compute_metrics
from .runs import RUNS_DIR, RunRecord, write_run
from ..grading.samples import Sample, file_hash


def endpoint_kind(base_url: str | None) -> str:
    if not base_url:
        return "hosted-default"
    host = urlsplit(base_url).hostname or ""
    return "local" if host in ("127.0.0.1", "localhost", "::1") else "openai-compatible"


def grade_samples(grader, rubric: Rubric, samples: Sequence[Sample], show_progress: bool = False) -> dict[str, AnswerGrade]:
    """Every sample's grade by its id: all are asked, however many fail (the metrics count them)."""
    predictions: dict[str, AnswerGrade] = {}
    jobs = [Job(s.question_id, s.answer, s.id) for s in samples]
    grade_many(grader, rubric, jobs, lambda job, grade, cached: predictions.update({job.answer_id: grade}), stop_after_failures=None, show_progress=show_progress)
    return predictions


@dataclass(frozen=True)
class EvalOptions:
    """What `run_eval` grades with, and where its record goes (`runs_dir` None: nowhere)."""

    rubric_path: Path
    samples_path: Path
    model: ModelOptions = ModelOptions()
    runs_dir: Path | None = RUNS_DIR
    limit: int | None = None  # recorded only: the caller picks the samples
    per_question: int | None = None


def run_eval(options: EvalOptions, rubric: Rubric, samples: list[Sample]) -> RunRecord:
    from ..grading.session import open_session

    started = time.monotonic()
    with open_session(options.model, rubric, check_endpoint=True) as session:
        predictions = grade_samples(session.grader, rubric, samples, show_progress=True)
        model, settings, strategy = session.client.model, session.settings, session.strategy
    wall = time.monotonic() - started
    usage = Usage()
    for grade in predictions.values():
        usage = usage.add(grade.usage)
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    record = RunRecord(
        run_id=hashlib.sha256(f"{now}{model}{strategy}".encode()).hexdigest()[:12],
        time=now,
        model=model,
        endpoint_kind=endpoint_kind(settings.base_url) if settings.is_configured else "offline-default",
        strategy=strategy,
        prompt_hash=next(iter(predictions.values())).prompt_hash if predictions else None,
        rubric_path=str(options.rubric_path),
        rubric_hash=rubric.content_hash,
        samples_path=str(options.samples_path),
        samples_hash=file_hash(options.samples_path),
        n_samples=len(samples),
        limit=options.limit,
        per_question=options.per_question,
        wall_s=round(wall, 1),
        seconds_per_answer=round(wall / max(1, len(samples)), 2),
        usage=usage,
        metrics=compute_metrics(rubric, samples, predictions),
        predictions=list(predictions.values()),
    )
    if options.runs_dir is not None:
        path = write_run(options.runs_dir, record)
        print(f"run record: {path}", file=sys.stderr)
    return record
