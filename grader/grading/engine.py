"""Grading many answers: the one loop behind `grader batch`, `grader grade IN.jsonl` and `grader
eval`. What "done" means and where a grade goes (a run store, a JSONL file, a dict) are the caller's,
and so are the answers: anything with `question_id`, `answer` (the text graded, and cached by) and
`answer_id`, such as a CandidateAnswer or a Job."""

from __future__ import annotations

import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import Any, Callable, NamedTuple, Protocol, Sequence, TypeVar

from ..progress import Progress
from ..rubric.model import Question, Rubric
from ..sqlite import digest
from ..textnorm import normalise
from .results import AnswerGrade, BatchSummary


class Job(NamedTuple):
    """An answer to grade, for callers whose records are not one already."""

    question_id: str
    answer: str
    answer_id: str


Item = TypeVar("Item")  # an answer as the caller holds it


class GradeCache(Protocol):  # recruiting/store.py's: grades shared across runs, by cache_key
    def get(self, key: str) -> AnswerGrade | None: ...
    def put(self, key: str, grade: AnswerGrade) -> None: ...


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


def to_grade(items: Sequence[Item], done: Callable[[Item], bool] | None, summary: BatchSummary) -> list[Item]:
    """The answers not yet done; the others are counted as already done."""
    todo = [item for item in items if not (done and done(item))]
    summary.already_done += len(items) - len(todo)
    return todo


def cache_key(model: str, prompt_hash: str, rubric_hash: str, answer: str, calibration_id: str | None = None, routing_id: str = "") -> str:
    """Everything a grade depends on: after `grader calibrate --save` (or a new routing policy) a
    cached grade cut the old way is not reused."""
    return digest(model, prompt_hash, rubric_hash, calibration_id or "", routing_id, normalise(answer))


def cached(cache: GradeCache | None, grader, question: Question, item: Any) -> tuple[str, AnswerGrade | None]:
    """The cache key of `item` for this grader, and its cached grade (named for this answer), if there is one."""
    identity = grader.identity(question)
    key = cache_key(identity.model, identity.prompt, question.content_hash, item.answer, identity.calibration, identity.routing)
    hit = cache.get(key) if cache else None
    return key, (hit.model_copy(update={"answer_id": item.answer_id}) if hit else None)


def grade_many(
    grader, rubric: Rubric, items: Sequence[Item], record: Callable[[Item, AnswerGrade, bool], None], *,
    done: Callable[[Item], bool] | None = None, cache: GradeCache | None = None, threads: int = 1,
    limiter: RateLimiter | None = None, stop_after_failures: int | None = 5, prices_per_million: tuple[float, float] = (0.0, 0.0), show_progress: bool = False,
) -> BatchSummary:
    """Grade every answer not `done`, `threads` at a time, handing each grade to `record(item,
    grade, from the cache)` as it finishes. After `stop_after_failures` answers in a row fail the
    same way no more are asked (`BatchSummary.stopped` says why); those in flight are still
    recorded, as are grades made when `record` fails, whose error is then raised.
    `prices_per_million`: (input, output) USD per million tokens, for the estimate."""
    summary = BatchSummary(total=len(items))
    todo = to_grade(items, done, summary)
    breaker = FailureBreaker(stop_after_failures)
    progress = Progress(len(todo)) if show_progress and todo else None

    def work(item: Item) -> tuple[Item, AnswerGrade, bool]:
        question = rubric.question(item.question_id)
        key, hit = cached(cache, grader, question, item) if cache else ("", None)
        if hit is not None:
            return item, hit, True
        if limiter:
            limiter.acquire()
        grade = grader.grade(question, item.answer, answer_id=item.answer_id)
        if limiter:
            limiter.record(grade.usage.prompt_tokens + grade.usage.completion_tokens)
        if cache:
            cache.put(key, grade)
        return item, grade, False

    def commit(item: Item, grade: AnswerGrade, from_cache: bool) -> None:
        record(item, grade, from_cache)
        summary.count(grade, from_cache, prices_per_million)
        breaker.record(grade)
        if progress:
            progress.step(f"{item.answer_id} {grade.score if grade.status == 'scored' else 'unscored'}")

    if threads > 1:
        _in_threads(work, commit, todo, threads, breaker)
    else:  # in the calling thread, so that a Ctrl-C interrupts the call itself
        for item in todo:
            if breaker.tripped:
                break
            commit(*work(item))
    if breaker.tripped and summary.graded < len(todo):  # every answer asked was recorded
        summary.stopped = breaker.reason(len(todo) - summary.graded)
    return summary


def _in_threads(work, commit, todo: list, threads: int, breaker: FailureBreaker) -> None:
    def commit_all(futures) -> list[BaseException]:
        errors = []
        for future in futures:
            try:
                commit(*future.result())
            except BaseException as exc:  # noqa: BLE001 - commit the others first
                errors.append(exc)
        return errors

    # A bounded window of submitted work keeps memory flat in the number of answers.
    pending: set = set()
    queue = iter(todo)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        try:
            while True:
                while len(pending) < 2 * threads and not breaker.tripped and (item := next(queue, None)) is not None:
                    pending.add(pool.submit(work, item))
                if not pending:
                    break
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                if errors := commit_all(finished):
                    raise errors[0]
                if breaker.tripped:  # what has not started yet is not asked either
                    pending = {future for future in pending if not future.cancel()}
        except BaseException:
            # Interrupted (Ctrl-C, or a worker failed): keep every grade that still finishes.
            for future in pending:
                future.cancel()
            commit_all([future for future in pending if not future.cancelled()])
            raise
