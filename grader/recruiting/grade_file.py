"""Grading a JSONL file of answers: bad lines are reported by file, line and field; every result
is appended and flushed as soon as it exists, and a re-run skips answers already in the output."""

from __future__ import annotations

import json
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from ..errors import InputError, StorageError
from ..files import write_bytes
from ..grading.engine import Job, grade_many
from ..grading.strategies import Grader
from ..jsonl import read_records
from ..grading.results import AnswerGrade, BatchSummary
from ..rubric.model import Rubric


# Fields of an answer record that name the candidate (masked in the answer by --redact).
NAME_FIELDS = ("candidate", "candidate_name", "name", "姓名", "候选人")


class AnswerRecord(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str = Field(min_length=1)
    question_id: str = Field(min_length=1)
    answer: str


def done_ids(output: Path) -> set[str]:
    """Ids already scored in `output`. A line cut off by a crash is ignored and re-graded; so is
    an unscored one, whose new result is appended (the last line for an id is the one that counts)."""
    if not output.exists():
        return set()
    ids = set()
    for line in output.read_bytes().splitlines():
        try:
            record = json.loads(line)
            if record["status"] == "scored":
                ids.add(record["answer_id"])
        except (ValueError, KeyError, TypeError):
            continue
    return ids


def append_result(out, result: AnswerGrade) -> None:
    out.write(result.model_dump_json() + "\n")
    out.flush()
    os.fsync(out.fileno())


def grade_jsonl(grader: Grader, rubric: Rubric, input_path: Path, output: Path, transform=lambda text, names=(): text) -> BatchSummary:
    """`transform(answer, names)`: e.g. redaction; `names` are the record's candidate/name fields."""
    if output.is_dir():
        raise InputError(f"{output}: is a folder; -o needs a file name for the results (JSONL)")
    records = list(read_records(input_path, AnswerRecord, rubric))
    if not records:
        # Grading nothing and exiting 0 would look like success.
        raise InputError(f"{input_path}: no answers in the file")
    answers = [record for _, record in records if not isinstance(record, str)]
    jobs = [Job(r.question_id, transform(r.answer, _names(r)), r.id) for r in answers]
    finished = done_ids(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    _drop_partial_last_line(output)
    try:
        with output.open("a", encoding="utf-8") as out:
            summary = grade_many(grader, rubric, jobs, lambda job, grade, cached: append_result(out, grade), done=lambda job: job.answer_id in finished)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError):
        raise  # a path the user gave that cannot be used: bad input, which the command line names
    except OSError as exc:
        # A full disk: the results written before stay, and a cut-off last line is re-graded on resume.
        raise StorageError(f"{output}: cannot write: {exc.strerror or exc} (the results before are kept; re-run to resume)") from exc
    summary.problems = [record for _, record in records if isinstance(record, str)]
    return summary


def _names(record: AnswerRecord) -> list[str]:
    """The record's candidate/name fields, which redaction masks in the answer."""
    return [str(v) for k, v in (record.model_extra or {}).items() if k in NAME_FIELDS and v]


def _drop_partial_last_line(output: Path) -> None:
    if output.exists() and output.stat().st_size and not output.read_bytes().endswith(b"\n"):
        data = output.read_bytes()
        write_bytes(output, data[: data.rfind(b"\n") + 1])  # whole or not at all: the results are the user's
