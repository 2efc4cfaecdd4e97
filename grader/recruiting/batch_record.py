"""The record of a `grader batch` run, its folder's run.json: what graded it (model, strategy,
prompt), against which rubric, the cut-off the ranking used, and the run's counts. `grader batch`
writes it; `grader review`, `review export` and `review recut` read it back.

Typed and versioned like the eval's `RunRecord`: files written before the record had a version
(version 1) are converted when read, and one written by a newer grader is refused by name.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from ..errors import InputError
from ..jsonl import check_schema_version, read_json_object
from ..grading.results import BatchSummary

# Version 2 added `schema_version`; version 1 files (no schema_version) have the same fields.
BATCH_RUN_SCHEMA_VERSION = 2
# How far from the cut-off a candidate's total is "near" it, where the run does not say.
DEFAULT_MARGIN = 5.0


def _number(value: Any) -> Any:
    # Stricter than pydantic's float: "60" or true in a hand-edited run.json is a mistake to name.
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"expected a number, got {value!r}")
    return value


def _path(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError(f"expected a path, got {value!r}")
    return value


Number = Annotated[float, BeforeValidator(_number)]
PathText = Annotated[str, BeforeValidator(_path)]


class BatchRunRecord(BaseModel):
    """One batch run. Fields a record does not have are None (an older run, or a folder graded
    before run.json named them)."""

    model_config = ConfigDict(extra="ignore")

    schema_version: int = BATCH_RUN_SCHEMA_VERSION
    model: str | None = None
    strategy: str | None = None
    prompt_hash: str | None = None
    rubric_hash: str | None = None
    rubric_path: PathText | None = None
    cutoff: Number | None = None
    margin: Number = DEFAULT_MARGIN
    wall_s: float | None = None
    stats: BatchSummary = Field(default_factory=BatchSummary)

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False, indent=1)


def _upgrade(data: dict[str, Any]) -> dict[str, Any]:
    """A stored record's fields as the current version has them."""
    version = check_schema_version(data, BATCH_RUN_SCHEMA_VERSION)
    if version == 1:
        # `margin: null` meant the default margin.
        data = {**{k: v for k, v in data.items() if not (k == "margin" and v is None)}, "schema_version": BATCH_RUN_SCHEMA_VERSION}
    return data


def load_batch_record(path: Path) -> BatchRunRecord:
    """run.json of a batch run (any version); anything else is an InputError naming the file and
    the field."""
    data = read_json_object(path, "the run's record", "the run's record")
    try:
        return BatchRunRecord.model_validate(_upgrade(data))
    except ValidationError as exc:
        first = exc.errors()[0]
        what = str(first["ctx"]["error"]) if first["type"] == "value_error" else first["msg"]
        raise InputError(f"{path}: field {'.'.join(map(str, first['loc']))}: {what}") from None
    except ValueError as exc:
        raise InputError(f"{path}: {exc}") from None
