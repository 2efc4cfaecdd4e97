"""Hand-labelled samples: an answer to a rubric question with a person's verdict on each point
(JSONL; bad lines are reported by file, line and field)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from ..errors import InputError
from .results import Verdict
from ..jsonl import read_records
from ..rubric.model import Rubric


class Sample(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str = Field(min_length=1)
    question_id: str = Field(min_length=1)
    answer: str
    labels: dict[str, Verdict]
    score: float | None = None
    kind: str = "unspecified"
    note: str = ""
    # Public data sets' own labels, for figures comparable with published ones.
    label_2way: str | None = None
    label_3way: str | None = None
    # Bias checks: answers in one group say the same thing in different forms.
    group: str | None = None


def load_samples(path: Path, rubric: Rubric) -> list[Sample]:
    """All samples, or an InputError naming every bad line (file, line, field)."""
    samples, problems = [], []
    for number, record in read_records(path, Sample, rubric):
        if isinstance(record, str):
            problems.append(record)
            continue
        expected = [p.id for p in rubric.question(record.question_id).points]
        if sorted(record.labels) != sorted(expected):
            problems.append(f"{path}:{number}: field labels: has {sorted(record.labels)}, question {record.question_id} has points {expected}")
            continue
        samples.append(record)
    if problems:
        raise InputError("bad samples:\n  " + "\n  ".join(problems))
    if not samples:
        raise InputError(f"{path}: no samples")
    return samples


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
