"""Grading a JSONL file of answers: bad lines are reported by file, line and field; every result
is appended and flushed as soon as it exists, and a re-run skips answers already in the output."""

from __future__ import annotations

import json
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from ..errors import InputError, StorageError
from ..files import write_bytes
from ..grading.strategies import Grader
from ..jsonl import read_records
from ..grading.results import AnswerGrade, BatchSummary
from ..rubric.model import Rubric
from .runner import FailureBreaker


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
    summary = BatchSummary(total=sum(not isinstance(record, str) for _, record in records))
    finished = done_ids(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    _drop_partial_last_line(output)
    breaker, not_asked = FailureBreaker(), 0
    try:
        with output.open("a", encoding="utf-8") as out:
            for _, record in records:
                if isinstance(record, str):
                    summary.problems.append(record)
                    continue
                if record.id in finished:
                    summary.already_done += 1
                    continue
                if breaker.tripped:  # left for a re-run, like a crash would
                    not_asked += 1
                    continue
                names = [str(v) for k, v in (record.model_extra or {}).items() if k in NAME_FIELDS and v]
                result = grader.grade(rubric.question(record.question_id), transform(record.answer, names), answer_id=record.id)
                append_result(out, result)
                summary.count(result, cached=False)
                breaker.record(result)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError):
        raise  # a path the user gave that cannot be used: bad input, which the command line names
    except OSError as exc:
        # A full disk: the results written before stay, and a cut-off last line is re-graded on resume.
        raise StorageError(f"{output}: cannot write: {exc.strerror or exc} (the results before are kept; re-run to resume)") from exc
    if not_asked:
        summary.stopped = breaker.reason(not_asked)
    return summary


def _drop_partial_last_line(output: Path) -> None:
    if output.exists() and output.stat().st_size and not output.read_bytes().endswith(b"\n"):
        data = output.read_bytes()
        write_bytes(output, data[: data.rfind(b"\n") + 1])  # whole or not at all: the results are the user's
