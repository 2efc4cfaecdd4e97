"""Rubrics: question sets whose answer points are gradeable, weighted points.

A rubric file is YAML or JSON with the shape
``id, title, language, sections: [{id, title, questions: [{id, prompt, max_score, points: [{id, text, weight}]}]}]``.
Pydantic validates it; `load_rubric` turns any validation error into a `RubricError`
that names the file, the line, the question and the field.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Iterator, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import RubricError, UnknownIdError


class _Strict(BaseModel):
    # Unknown keys are errors: a typo such as `wieght` must not silently drop a weight.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Point(_Strict):
    id: str = Field(min_length=1)
    text: str
    # allow_inf_nan=False: `.inf` or `.nan` would make every score infinite or undefined.
    weight: float = Field(gt=0, allow_inf_nan=False)
    # For candidates practising: names what is expected without giving the answer away.
    hint: str | None = None

    @field_validator("text")
    @classmethod
    def _text_not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("point text is empty")
        return v.strip()


class Question(_Strict):
    id: str = Field(min_length=1)
    prompt: str = Field(min_length=1)
    max_score: float = Field(gt=0, allow_inf_nan=False)
    notes: str | None = None
    points: list[Point] = Field(min_length=1)

    @model_validator(mode="after")
    def _points_consistent(self) -> "Question":
        ids = [p.id for p in self.points]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate point ids {dupes}")
        total = sum(p.weight for p in self.points)
        if not math.isclose(total, self.max_score, abs_tol=1e-6):
            raise ValueError(f"point weights sum to {total:g}, not max_score {self.max_score:g}")
        return self

    def point(self, point_id: str) -> Point:
        for p in self.points:
            if p.id == point_id:
                return p
        raise UnknownIdError(f"unknown point id {point_id!r} in question {self.id!r} (its points: {', '.join(p.id for p in self.points)})")

    @property
    def content_hash(self) -> str:
        """Hash of what grading depends on, so cached grades are invalidated by rubric edits
        (hints are for candidates and do not change a grade)."""
        return _short_hash(self.model_dump_json(exclude={"points": {"__all__": {"hint"}}}))


class Section(_Strict):
    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    description: str | None = None
    questions: list[Question] = Field(min_length=1)


class Rubric(_Strict):
    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    language: Literal["zh", "en"]
    sections: list[Section] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> "Rubric":
        for kind, ids in (
            ("section", [s.id for s in self.sections]),
            ("question", [q.id for q in self.questions()]),
        ):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                raise ValueError(f"duplicate {kind} ids {dupes}")
        return self

    def questions(self) -> Iterator[Question]:
        for section in self.sections:
            yield from section.questions

    def question(self, question_id: str) -> Question:
        for q in self.questions():
            if q.id == question_id:
                return q
        raise self._unknown_question(question_id)

    def section_of(self, question_id: str) -> Section:
        for s in self.sections:
            if any(q.id == question_id for q in s.questions):
                return s
        raise self._unknown_question(question_id)

    def _unknown_question(self, question_id: str) -> UnknownIdError:
        known = ", ".join(q.id for q in self.questions())
        return UnknownIdError(f"unknown question id {question_id!r} in rubric {self.id!r} (known: {known})")

    @property
    def max_total(self) -> float:
        return sum(q.max_score for q in self.questions())

    @property
    def content_hash(self) -> str:
        hints = {"sections": {"__all__": {"questions": {"__all__": {"points": {"__all__": {"hint"}}}}}}}
        return _short_hash(self.model_dump_json(exclude=hints))


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


# Deeper than any rubric needs, far below Python's recursion limit.
MAX_DEPTH = 50
# A rubric with hundreds of mistakes needs the first few to be fixed, not a screenful.
MAX_ERRORS_SHOWN = 20


class _RubricLoader(yaml.SafeLoader):
    """SafeLoader that refuses what a rubric never needs and an attacker uses: anchors and
    aliases (an alias bomb expands 1 KB into millions of nodes), duplicate keys (the last one
    silently wins) and nesting deep enough to exhaust the stack."""

    def compose_node(self, parent, index):
        event = self.peek_event()
        where = event.start_mark
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise yaml.composer.ComposerError(None, None, "anchors and aliases (& and *) are not allowed in rubric files", where)
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(None, None, f"nested more than {MAX_DEPTH} levels deep", where)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def _parse(path: Path, text: str) -> tuple[yaml.Node | None, object]:
    """(node tree for line numbers, data). JSON is (for our purposes) a subset of YAML, so both are
    composed by the same strict loader; JSON is then read by the json module."""
    loader = _RubricLoader(text)
    try:
        root = loader.get_single_node()
        if path.suffix.lower() != ".json":
            return root, loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()

    def pairs(items):
        keys = [k for k, _ in items]
        duplicate = next((k for k in keys if keys.count(k) > 1), None)
        if duplicate is not None:
            raise ValueError(f"duplicate key {duplicate!r}")
        return dict(items)

    def constant(name):
        raise ValueError(f"{name} is not a number a rubric can use")

    return root, json.loads(text, object_pairs_hook=pairs, parse_constant=constant)


def load_rubric(path: str | Path) -> Rubric:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RubricError(f"{path}: cannot read rubric: {exc}") from exc
    kind = "JSON" if path.suffix.lower() == ".json" else "YAML"
    try:
        root, data = _parse(path, text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f"{mark.line + 1}" if mark else "1"
        raise RubricError(f"{path}:{line}: not valid {kind}: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise RubricError(f"{path}: not valid {kind}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise RubricError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg} (column {exc.colno})") from None
    except ValueError as exc:
        raise RubricError(f"{path}: not valid JSON: {exc}") from None
    except RecursionError:
        raise RubricError(f"{path}: not valid {kind}: nested too deeply") from None
    if not isinstance(data, dict):
        raise RubricError(f"{path}: line 1: a rubric must be a mapping with id, title, language, sections")
    try:
        return Rubric.model_validate(data)
    except ValidationError as exc:
        raise RubricError(_describe(path, data, root, exc)) from exc


def _describe(path: Path, data: dict, root: yaml.Node | None, exc: ValidationError) -> str:
    lines = [f"{path}: invalid rubric ({exc.error_count()} error{'s' * (exc.error_count() > 1)})"]
    errors = exc.errors()
    for err in errors[:MAX_ERRORS_SHOWN]:
        loc = [part for part in err["loc"] if not (isinstance(part, str) and part.startswith("function-"))]
        where = _question_of(data, loc)
        msg = err["msg"].removeprefix("Value error, ")
        if len(loc) == 4 and loc[2] == "questions" and "point" in msg:
            loc = [*loc, "points"]  # a question-level check about its points: point at them
        field = ".".join(str(p) for p in loc) or "(top level)"
        line = _line_of(root, loc)
        if err["type"] == "extra_forbidden":
            msg = f"unknown key {loc[-1]!r}"
        lines.append(f"  {path}:{line}: {where}field {field}: {msg}")
    if len(errors) > MAX_ERRORS_SHOWN:
        lines.append(f"  ... and {len(errors) - MAX_ERRORS_SHOWN} more")
    return "\n".join(lines)


def _question_of(data: dict, loc: list) -> str:
    try:
        if len(loc) >= 4 and loc[0] == "sections" and loc[2] == "questions":
            question = data["sections"][loc[1]]["questions"][loc[3]]
            return f"question {question.get('id', '?')!r}, "
        if len(loc) >= 2 and loc[0] == "sections":
            return f"section {data['sections'][loc[1]].get('id', '?')!r}, "
    except (KeyError, IndexError, TypeError, AttributeError):
        pass
    return ""


def _line_of(node: yaml.Node | None, loc: list) -> int:
    """1-based line of the deepest node on `loc` that exists in the file."""
    line = 1
    for part in loc:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == part), None)
            if match is None:
                break
            line = match[0].start_mark.line + 1
            node = match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line
