"""Grading many answers: the one loop behind `grader batch` (threads or worker processes),
`grader grade IN.jsonl -o OUT.jsonl` and `grader eval`. For each answer it skips what the caller
says is done, takes a cached grade or asks the grader, hands the grade to the caller's sink as soon
as it exists, counts it, and stops asking an endpoint that keeps failing. What "done" means and
where a grade goes (a run store, a JSONL file, a dict of predictions) are the caller's."""

from __future__ import annotations

import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Callable, Protocol, Sequence

from ..progress import Progress
from ..rubric.model import Question
from .results import AnswerGrade, BatchSummary
from .strategies import GraderIdentity


@dataclass(frozen=True)
class Job:
    """One answer to grade: `answer` is the text graded (and cached by), `item` the caller's own
    record of it (a candidate's answer, a sample), which `done` and the sink read."""

    question: Question
    answer: str
    answer_id: str
    item: Any = None


class GradeCache(Protocol):
    """Grades shared across runs, keyed by what a grade depends on (recruiting/store.py's)."""

    def key(self, identity: GraderIdentity, question: Question, answer: str) -> str: ...

    def get(self, key: str) -> AnswerGrade | None: ...

    def put(self, key: str, grade: AnswerGrade) -> None: ...


Sink = Callable[[Job, AnswerGrade, bool], None]  # (job, grade, from the cache)


class RateLimiter:
    """Requests-per-minute and tokens-per-minute limits shared by the worker threads.

    Requests are spaced evenly; tokens are counted over a sliding minute from what calls really
    used, and a call waits while the last minute's tokens plus its estimate would pass the limit.
    """

    def __init__(self, per_minute: float | None = None, tokens_per_minute: float | None = None, clock=time.monotonic, sleep=time.sleep):
        self.interval = 60.0 / per_minute if per_minute else 0.0
        self.tokens_per_minute = tokens_per_minute
        self._next = 0.0
        self._used: list[tuple[float, int]] = []  # (time, tokens) of finished calls
        self._lock = threading.Lock()
        self._clock, self._sleep = clock, sleep

    def _estimate(self) -> int:
        return int(sum(t for _, t in self._used) / len(self._used)) if self._used else 0

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                self._used = [(t, n) for t, n in self._used if now - t < 60]
                wait = max(0.0, self._next - now)
                if self.tokens_per_minute and self._used and sum(n for _, n in self._used) + self._estimate() > self.tokens_per_minute:
                    wait = max(wait, 60 - (now - self._used[0][0]))
                if wait <= 0:
                    self._next = now + self.interval
                    return
            self._sleep(wait)

    def record(self, tokens: int) -> None:
        if self.tokens_per_minute:
            with self._lock:
                self._used.append((self._clock(), tokens))


class FailureBreaker:
    """Stops a run from asking an endpoint that keeps failing the same way: once `limit` answers
    in a row are left unscored by the same kind of error (a dead endpoint, a wrong key, a timeout),
    asking the rest would only fail again. The answers not asked stay ungraded, so a re-run
    resumes them. `limit` None: never stops (an eval grades every sample)."""

    def __init__(self, limit: int | None = 5):
        self.limit = limit
        self.kind, self.count, self.last_error = "", 0, ""
        self.tripped = False  # once tripped it stays so: what it held back is reported, not lost

    def record(self, grade: AnswerGrade) -> None:
        if self.tripped or self.limit is None:
            return
        if grade.status == "scored":
            self.kind, self.count = "", 0
            return
        kind = (grade.error or "unknown").split(":")[0]  # the error's type, as BatchSummary counts them
        self.count = self.count + 1 if kind == self.kind else 1
        self.kind, self.last_error = kind, grade.error or "unknown"
        self.tripped = self.count >= self.limit

    def reason(self, not_asked: int) -> str:
        return (
            f"stopped asking the endpoint after {self.count} answers in a row failed with {self.kind} "
            f"(the last: {self.last_error[:300]}); {not_asked} answers were not asked: fix the endpoint and re-run to grade them"
        )


def to_grade(jobs: Sequence[Job], done: Callable[[Job], bool] | None, summary: BatchSummary) -> list[Job]:
    """The jobs not yet done; the others are counted as already done."""
    todo = [job for job in jobs if not (done and done(job))]
    summary.already_done += len(jobs) - len(todo)
    return todo


def cached(cache: GradeCache | None, grader, job: Job) -> tuple[str | None, AnswerGrade | None]:
    """The cache key of `job` for this grader, and its cached grade named for this job's answer
    if there is one ((None, None) without a cache)."""
    if cache is None:
        return None, None
    key = cache.key(grader.identity(job.question), job.question, job.answer)
    hit = cache.get(key)
    return key, (hit.model_copy(update={"answer_id": job.answer_id}) if hit else None)


def grade_many(
    grader,
    jobs: Sequence[Job],
    record: Sink,
    *,
    done: Callable[[Job], bool] | None = None,
    cache: GradeCache | None = None,
    threads: int = 1,
    limiter: RateLimiter | None = None,
    stop_after_failures: int | None = 5,
    prices_per_million: tuple[float, float] = (0.0, 0.0),
    show_progress: bool = False,
    summary: BatchSummary | None = None,
) -> BatchSummary:
    """Grade every job not `done`, `threads` at a time (one: in the calling thread), handing each
    grade to `record` as it finishes. After `stop_after_failures` answers in a row fail the same
    way no more are asked (`BatchSummary.stopped` says why); those in flight still finish and are
    recorded. Should `record` fail, what it recorded before stays, grades already made are still
    offered to it, and its error is raised. `prices_per_million` is (input, output) USD per
    million tokens, for the estimate; `summary` the one to count into (a new one by default)."""
    summary = summary or BatchSummary(total=len(jobs))
    todo = to_grade(jobs, done, summary)
    breaker = FailureBreaker(stop_after_failures)
    progress = Progress(len(todo)) if show_progress and todo else None

    def work(job: Job) -> tuple[Job, AnswerGrade, bool]:
        key, hit = cached(cache, grader, job)
        if hit is not None:
            return job, hit, True
        if limiter:
            limiter.acquire()
        grade = grader.grade(job.question, job.answer, answer_id=job.answer_id)
        if limiter:
            limiter.record(grade.usage.prompt_tokens + grade.usage.completion_tokens)
        if cache:
            cache.put(key, grade)
        return job, grade, False

    def commit(job: Job, grade: AnswerGrade, from_cache: bool) -> None:
        record(job, grade, from_cache)
        summary.count(grade, from_cache, prices_per_million)
        breaker.record(grade)
        if progress:
            progress.step(f"{job.answer_id} {grade.score if grade.status == 'scored' else 'unscored'}")

    asked = _in_threads(work, commit, todo, threads, breaker) if threads > 1 else _in_turn(work, commit, todo, breaker)
    if breaker.tripped and asked < len(todo):
        summary.stopped = breaker.reason(len(todo) - asked)
    return summary


def _in_turn(work, commit, todo: list[Job], breaker: FailureBreaker) -> int:
    """One at a time in the calling thread (a Ctrl-C interrupts the call itself); returns how many were asked."""
    for asked, job in enumerate(todo):
        if breaker.tripped:  # left for a re-run, like a crash would
            return asked
        commit(*work(job))
    return len(todo)


def _in_threads(work, commit, todo: list[Job], threads: int, breaker: FailureBreaker) -> int:
    """`threads` at a time; returns how many were asked."""
    # A bounded window of submitted work keeps memory flat in the number of answers.
    pending: set = set()
    queue = iter(todo)
    submitted = 0
    with ThreadPoolExecutor(max_workers=threads) as pool:
        try:
            while True:
                while len(pending) < 2 * threads and not breaker.tripped:
                    job = next(queue, None)
                    if job is None:
                        break
                    pending.add(pool.submit(work, job))
                    submitted += 1
                if not pending:
                    break
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                errors = []
                for future in finished:
                    try:
                        commit(*future.result())
                    except BaseException as exc:  # noqa: BLE001 - commit the others first
                        errors.append(exc)
                if errors:
                    raise errors[0]
                if breaker.tripped:  # what has not started yet is not asked either
                    cancelled = {future for future in pending if future.cancel()}
                    pending -= cancelled
                    submitted -= len(cancelled)
        except BaseException:
            # Interrupted (Ctrl-C, or a worker failed): keep every grade that still finishes.
            for future in pending:
                future.cancel()
            for future in pending:
                if not future.cancelled():
                    try:
                        commit(*future.result())
                    except BaseException:  # noqa: BLE001 - already stopping
                        pass
            raise
    return submitted
