"""The one reader of JSONL input (answers to grade, candidates' answers, hand-labelled samples).

Every problem is reported as `file:line: field NAME: what is wrong`, and the rest of the file is
still read; the caller decides whether a bad line stops the run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable, Iterator, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import InputError

Record = TypeVar("Record", bound=BaseModel)


class _HasQuestions(Protocol):
    """A rubric, as this reader sees it (the ground layer imports nothing of rubric/)."""

    def questions(self) -> Iterable[Any]: ...


def read_objects(path: Path, error: type[InputError] = InputError) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line number, JSON object) or (line number, problem) for each non-blank line. A file that
    cannot be read at all raises `error`."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror or exc}") from None
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
        yield number, data


def read_records(path: Path, record_type: type[Record], rubric: _HasQuestions | None = None, error: type[InputError] = InputError) -> Iterator[tuple[int, Record | str]]:
    """`read_objects`, each object validated as `record_type` (which has `id` and `question_id`):
    (line number, record) or (line number, problem naming the field). A record must name a
    question of `rubric` (when given) and an id no earlier line used."""
    seen: set[str] = set()
    known = {q.id for q in rubric.questions()} if rubric else None
    for number, data in read_objects(path, error):
        where = f"{path}:{number}"
        if isinstance(data, str):
            yield number, data
            continue
        try:
            record = record_type.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(f"field {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            yield number, f"{where}: {problems}"
            continue
        if known is not None and record.question_id not in known:
            yield number, f"{where}: field question_id: unknown question id {record.question_id!r}"
        elif record.id in seen:
            yield number, f"{where}: field id: duplicate id {record.id!r}"
        else:
            seen.add(record.id)
            yield number, record
