"""Grading a JSONL file of answers: bad lines are reported by file, line and field; every result
is appended and flushed as soon as it exists, and a re-run skips answers already in the output."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import InputError
from .grading import Grader
from .results import AnswerGrade
from .rubric import Rubric


# Fields of an answer record that name the candidate (masked in the answer by --redact).
NAME_FIELDS = ("candidate", "candidate_name", "name", "姓名", "候选人")


class AnswerRecord(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str = Field(min_length=1)
    question_id: str = Field(min_length=1)
    answer: str


@dataclass
class BatchSummary:
    graded: int = 0
    already_done: int = 0
    unscored: int = 0
    bad_lines: list[str] = field(default_factory=list)

    def describe(self) -> str:
        lines = [f"graded {self.graded}, already done {self.already_done}, unscored {self.unscored}, bad input lines {len(self.bad_lines)}"]
        lines += [f"  {problem}" for problem in self.bad_lines]
        return "\n".join(lines)


def read_records(path: Path, rubric: Rubric | None = None, record_type: type[BaseModel] = AnswerRecord) -> Iterator[tuple[int, BaseModel | str]]:
    """Yield (line number, record) or (line number, problem) for each non-blank line."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc}") from exc
    seen: set[str] = set()
    known = {q.id for q in rubric.questions()} if rubric else None
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            data = json.loads(line.decode("utf-8"))
        except UnicodeDecodeError as exc:
            yield number, f"{where}: not valid UTF-8 (byte {exc.start})"
            continue
        except json.JSONDecodeError as exc:
            yield number, f"{where}: not valid JSON: {exc.msg} (column {exc.colno})"
            continue
        except RecursionError:
            yield number, f"{where}: not valid JSON: nested too deeply"
            continue
        if not isinstance(data, dict):
            yield number, f"{where}: expected a JSON object"
            continue
        try:
            record = record_type.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(f"field {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            yield number, f"{where}: {problems}"
            continue
        if known is not None and record.question_id not in known:
            yield number, f"{where}: field question_id: unknown question id {record.question_id!r}"
            continue
        if record.id in seen:
            yield number, f"{where}: field id: duplicate id {record.id!r}"
            continue
        seen.add(record.id)
        yield number, record


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
    summary = BatchSummary()
    if output.is_dir():
        raise InputError(f"{output}: is a folder; -o needs a file name for the results (JSONL)")
    records = list(read_records(input_path, rubric))
    if not records:
        # Grading nothing and exiting 0 would look like success.
        raise InputError(f"{input_path}: no answers in the file")
    finished = done_ids(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    _drop_partial_last_line(output)
    with output.open("a", encoding="utf-8") as out:
        for _, record in records:
            if isinstance(record, str):
                summary.bad_lines.append(record)
                continue
            if record.id in finished:
                summary.already_done += 1
                continue
            names = [str(v) for k, v in (record.model_extra or {}).items() if k in NAME_FIELDS and v]
            result = grader.grade(rubric.question(record.question_id), transform(record.answer, names), answer_id=record.id)
            append_result(out, result)
            summary.graded += 1
            summary.unscored += result.status == "unscored"
    return summary


def _drop_partial_last_line(output: Path) -> None:
    if output.exists() and output.stat().st_size and not output.read_bytes().endswith(b"\n"):
        data = output.read_bytes()
        output.write_bytes(data[: data.rfind(b"\n") + 1])
