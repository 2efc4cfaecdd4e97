"""A `grader batch` run: grade candidates' answers into a run folder (resuming it), with the
thread runner, the worker processes or the provider's Batch API, then rank and write reports."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, replace
from pathlib import Path

from .batch_record import BatchRunRecord
from .ranking import rank
from .reports import write_reports
from .runner import grade_candidates, grade_candidates_in_workers, lock_run_folder
from .store import GradeCache, GradeStore
from ..errors import InputError, StorageError
from ..files import write_text
from ..grading.redact import redact
from ..grading.results import BatchSummary
from ..rubric.model import Rubric
from ..grading.session import ModelOptions
from .inputs import CandidateAnswer


@dataclass(frozen=True)
class BatchOptions:
    """A `grader batch` run: where it goes (`output`, a run folder that a re-run resumes), which
    model grades, and how fast."""

    output: Path
    rubric_path: Path
    model: ModelOptions
    concurrency: int = 4
    requests_per_minute: float | None = None
    tokens_per_minute: float | None = None
    prices_per_million: tuple[float, float] = (0.0, 0.0)
    cache: Path | None = None  # default: the user's cache folder
    cutoff: float | None = None
    margin: float = 5.0
    workers: int = 1
    provider_batch: bool = False
    poll_every: float = 60.0
    max_wait: float | None = None



def run_batch(options: BatchOptions, rubric: Rubric, answers: list[CandidateAnswer], problems: list[str] = ()) -> tuple[BatchSummary, list[Path]]:
    """Grades the answers into the run folder (resuming it), ranks the candidates and writes the
    reports; returns the counts and the reports' paths. `problems`: the input's bad lines."""
    from ..grading.session import STRATEGIES, open_session
    from ..model.local_model import cache_dir

    if options.provider_batch:
        settings = options.model.settings()
        strategy = options.model.strategy_for(settings)
        if not settings.is_configured or strategy not in STRATEGIES or not STRATEGIES[strategy].capabilities.batch_api:
            raise InputError(
                f"--provider-batch needs a configured endpoint (--base-url) and a strategy whose answers are one whole completion each "
                f"(e.g. --strategy structured; this run uses {strategy}): a Batch API returns whole completions, and the offline model has none"
            )
    if options.model.redact:
        # Before anything is stored, with every candidate's name (the grader masks the rest again
        # before sending, but knows no names).
        names = {a.candidate for a in answers}
        answers = [replace(a, answer=redact(a.answer, names)) for a in answers]
    lock = lock_run_folder(options.output)  # held (and inherited by workers) until this process ends
    store = GradeStore(options.output / "grades.sqlite")
    from .review_store import ReviewStore, applicable_reviews

    try:
        review_store = ReviewStore(options.output / "grades.sqlite")  # reviews are never written here, only read
        review_store.record_answers(answers)
    except sqlite3.Error as exc:  # a full disk: nothing graded yet, and the grades before are kept
        store.close()
        lock.close()
        raise StorageError(f"{options.output / 'grades.sqlite'}: {exc} (what was stored before is kept; re-run once this is fixed)") from exc
    cache_path = options.cache or cache_dir() / "grades.sqlite"
    cache = GradeCache(cache_path)
    started = time.monotonic()
    try:
        with open_session(options.model, rubric, check_endpoint=True) as session:
            grader, client = session.grader, session.client
            if options.provider_batch:
                from .provider_batch import BatchRunOptions, grade_with_provider_batch

                run_options = BatchRunOptions(options.poll_every, options.max_wait, options.prices_per_million)
                stats = grade_with_provider_batch(grader, rubric, answers, store, cache, run_options)
            elif options.workers > 1:
                from ..model.client import ModelClient

                stats = grade_candidates_in_workers(
                    lambda: session.new_grader(ModelClient(client.settings)), rubric, answers,
                    options.output / "grades.sqlite", cache_path, workers=options.workers,
                    concurrency=options.concurrency, requests_per_minute=options.requests_per_minute, tokens_per_minute=options.tokens_per_minute,
                    prices_per_million=options.prices_per_million,
                )
            else:
                stats = grade_candidates(
                    grader, rubric, answers, store, cache,
                    concurrency=options.concurrency, requests_per_minute=options.requests_per_minute, tokens_per_minute=options.tokens_per_minute,
                    prices_per_million=options.prices_per_million,
                )
            meta = {"model": client.model, "strategy": session.strategy, "prompt_hash": grader.prompt_hash, "rubric_hash": rubric.content_hash}
        if stats.stopped:
            # Answers were left unasked: a ranking now would total their candidates without them.
            # The grades are kept, and the re-run that grades the rest writes the reports.
            return stats, []
        meta.update(rubric_path=str(options.rubric_path.resolve()), cutoff=options.cutoff, margin=options.margin)
        stats.problems = list(problems)
        stats.candidates = len({a.candidate for a in answers})
        reviews = applicable_reviews(review_store.latest(), answers)
        results = rank(rubric, answers, store.all_grades(), cutoff=options.cutoff, margin=options.margin, reviews=reviews)
        record = BatchRunRecord(**meta, wall_s=round(time.monotonic() - started, 1), stats=stats)
        write_text(options.output / "run.json", record.to_json())
        paths = write_reports(options.output, rubric, results, stats, record)
    finally:
        store.close()
        review_store.close()
        cache.close()
        lock.close()
    return stats, paths
