"""`grader review export`: a run's reviewed answers as hand-graded samples (`grader eval
--samples`, `--examples`), written as `Sample`s."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from ..errors import InputError
from ..files import write_text
from ..grading.results import BatchFlag, Flag
from ..grading.samples import Sample
from .review_queue import Item

# Which flag names an exported sample's kind, first match wins; without one the kind is "reviewed".
KIND_FLAGS = [
    f.value
    for f in (
        Flag.injection_suspected, Flag.keyword_list_suspected, Flag.generic_ramble_suspected, BatchFlag.other_language, BatchFlag.too_short, BatchFlag.unscored,
        Flag.low_confidence, Flag.near_threshold, Flag.evidence_not_found, Flag.evidence_empty, Flag.truncated, Flag.needs_review,
    )
]


class ReviewedSample(Sample):
    """A hand-graded sample from a review, with who reviewed it, when, and the model's score
    (read back as a plain `Sample`: the extra fields are for people)."""

    reviewer: str | None
    reviewed_at: str
    model_score: float | None


def reviewed_samples(items: Iterable[Item]) -> list[ReviewedSample]:
    """A sample for each reviewed item, in the items' order."""
    samples = []
    for item in items:
        if item.review is None:
            continue
        samples.append(
            ReviewedSample(
                id=item.answer_id,
                question_id=item.question_id,
                answer=item.answer,
                labels=item.review.points,
                score=item.review.score,
                kind=next((f for f in KIND_FLAGS if f in item.flags), "reviewed"),
                note=item.review.note,
                reviewer=item.review.reviewer,
                reviewed_at=item.review.time,
                model_score=item.grade.score,
            )
        )
    return samples


def check_target(path: Path, run_dir: Path, force: bool = False) -> None:
    """An InputError unless the export may write `path`: never inside the run folder (its store
    and reports), and an existing file only with `force`."""
    target, run = path.resolve(), run_dir.resolve()  # symlinks followed
    if target == run or run in target.parents:
        raise InputError(f"{path}: inside the run folder {run_dir} (its store and reports); export to a file outside it")
    if path.is_dir():
        raise InputError(f"{path}: is a folder; -o needs a file name such as {path / 'samples.jsonl'}")
    if path.exists() and not force:
        raise InputError(f"{path}: exists; not overwritten (use --force to replace it)")


def write_samples(path: Path, items: Iterable[Item]) -> int:
    """The reviewed items as samples in `path`, all at once; the count written. Nothing is written
    when there are no reviews."""
    samples = reviewed_samples(items)
    if samples:
        # Only the fields set: a sample's data-set labels and group are not a review's.
        lines = (json.dumps(s.model_dump(mode="json", exclude_unset=True), ensure_ascii=False) + "\n" for s in samples)
        write_text(path, "".join(lines))  # a StorageError names path
    return len(samples)
