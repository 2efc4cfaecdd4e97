"""The one reader of JSONL input (answers to grade, candidates' answers, hand-labelled samples),
and of the JSON records the grader keeps (run records, run.json, calibration files).

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


def read_json_object(path: Path, what: str, expected: str = "") -> dict[str, Any]:
    """The JSON object in `path`, a record of `what` (e.g. "a run record"); a file that cannot be
    read, is not UTF-8 JSON or holds anything but an object is an InputError naming it.
    `expected`: what the object should be, for the message."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read {what}: {exc.strerror or exc}") from None
    except (ValueError, RecursionError) as exc:
        raise InputError(f"{path}: not {what}: not valid UTF-8 JSON ({exc if not isinstance(exc, RecursionError) else 'nested too deeply'})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: not {what}: expected a JSON object{f' ({expected})' if expected else ''}, got {type(data).__name__}")
    return data


def check_schema_version(data: dict[str, Any], newest: int) -> int:
    """A versioned record's schema_version (1 when it has none); a newer one than this grader
    reads is refused by name (ValueError, which the record's loader locates)."""
    version = data.get("schema_version", 1)
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValueError(f"field schema_version: not a whole number: {version!r}")
    if version > newest:
        raise ValueError(f"field schema_version: version {version} was written by a newer grader (this one reads up to {newest})")
    return version
