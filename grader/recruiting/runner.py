"""Grading many candidates' answers concurrently into a resumable store: the rate limiter, the
thread runner, the worker processes, and the lock on a run folder. Ranking is in ranking.py, the
report files in reports.py."""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, Callable

from ..errors import InputError
from ..progress import Progress
from ..grading.results import AnswerGrade, BatchSummary
from ..rubric.model import Rubric
from .store import GradeCache, GradeStore, cache_key
from .inputs import CandidateAnswer


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
    resumes them."""

    def __init__(self, limit: int = 5):
        self.limit = limit
        self.kind, self.count, self.last_error = "", 0, ""
        self.tripped = False  # once tripped it stays so: what it held back is reported, not lost

    def record(self, grade: AnswerGrade) -> None:
        if self.tripped:
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


def cached_grade(cache: GradeCache | None, grader, question, item: CandidateAnswer) -> tuple[str, AnswerGrade | None]:
    """The cache key of `item` for this grader, and its cached grade (named for this candidate),
    if there is one."""
    identity = grader.identity(question)
    key = cache_key(identity.model, identity.prompt, question.content_hash, item.answer, identity.calibration, identity.routing)
    hit = cache.get(key) if cache else None
    return key, (hit.model_copy(update={"answer_id": item.answer_id}) if hit else None)


def grade_candidates(
    grader,
    rubric: Rubric,
    answers: list[CandidateAnswer],
    store: GradeStore,
    cache: GradeCache | None = None,
    *,
    concurrency: int = 4,
    requests_per_minute: float | None = None,
    tokens_per_minute: float | None = None,
    prices_per_million: tuple[float, float] = (0.0, 0.0),
    show_progress: bool = True,
    stop_after_failures: int = 5,
) -> BatchSummary:
    """Grade every answer not yet in `store`, `concurrency` at a time, committing each result as
    it finishes. `prices_per_million` is (input, output) USD per million tokens, for the estimate.
    After `stop_after_failures` answers in a row fail the same way, no more are asked
    (`BatchSummary.stopped` says why); those in flight still finish and are kept."""
    stats = BatchSummary(total=len(answers))
    breaker = FailureBreaker(stop_after_failures)
    todo = [a for a in answers if not store.finished(a.candidate, a.question_id, a.answer)]
    stats.already_done = len(answers) - len(todo)
    limiter = RateLimiter(requests_per_minute, tokens_per_minute)
    progress = Progress(len(todo)) if show_progress and todo else None

    def work(item: CandidateAnswer) -> tuple[CandidateAnswer, AnswerGrade, bool]:
        question = rubric.question(item.question_id)
        key, hit = cached_grade(cache, grader, question, item)
        if hit is not None:
            return item, hit, True
        limiter.acquire()
        grade = grader.grade(question, item.answer, answer_id=item.answer_id)
        limiter.record(grade.usage.prompt_tokens + grade.usage.completion_tokens)
        if cache:
            cache.put(key, grade)
        return item, grade, False

    def commit(item: CandidateAnswer, grade: AnswerGrade, cached: bool) -> None:
        store.put(item.candidate, item.answer, grade, cached)
        stats.count(grade, cached, prices_per_million)
        breaker.record(grade)
        if progress:
            progress.step(f"{item.candidate} {item.question_id}")

    # A bounded window of submitted work keeps memory flat in the number of answers.
    pending: set = set()
    queue = iter(todo)
    submitted = 0
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        try:
            while True:
                while len(pending) < 2 * max(1, concurrency) and not breaker.tripped:
                    item = next(queue, None)
                    if item is None:
                        break
                    pending.add(pool.submit(work, item))
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
    if breaker.tripped and submitted < len(todo):
        stats.stopped = breaker.reason(len(todo) - submitted)
    return stats


def die_with_parent(parent_pid: int) -> None:
    """Make this worker process end when `parent_pid` does, however it ends (kill -9 included):
    orphaned workers would go on calling the endpoint and committing beside a re-run.

    Linux: the kernel sends SIGKILL when the parent dies (PR_SET_PDEATHSIG). Elsewhere, or should
    that fail, a watchdog thread notices the worker was re-parented and exits."""
    import ctypes
    import os
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: the watchdog below does it

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        os._exit(1)

    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)
    threading.Thread(target=watch, daemon=True, name="parent-watchdog").start()


def grade_candidates_in_workers(
    make_grader: Callable[[], Any],
    rubric: Rubric,
    answers: list[CandidateAnswer],
    store_path: Path,
    cache_path: Path | None,
    *,
    workers: int,
    show_progress: bool = True,
    **limits: Any,
) -> BatchSummary:
    """`grade_candidates` in `workers` processes, each with its own client, a share of the answers,
    of the requests in flight and of the rate limits (`limits`: `grade_candidates`'s
    concurrency, requests_per_minute, tokens_per_minute, prices_per_million). For fast endpoints: one Python process
    spends a few milliseconds of CPU per request, which caps it near 250 requests/s on one core.
    Every worker commits to the same SQLite store (WAL), so resume works as with one process."""
    context = multiprocessing.get_context("fork")  # the grader factory is a closure; fork needs no pickling
    shared = {name: limits[name] / workers for name in ("requests_per_minute", "tokens_per_minute") if limits.get(name)}
    shared["concurrency"] = max(1, limits.get("concurrency", 4) // workers)

    import os

    parent_pid = os.getpid()

    def work(shard: list[CandidateAnswer], report) -> None:
        # The outcome goes through the worker's own pipe: send() writes it before the worker can
        # exit (a Queue hands it to a feeder thread, which a worker ending early can lose).
        try:
            die_with_parent(parent_pid)
            store, cache = GradeStore(store_path), (GradeCache(cache_path) if cache_path else None)
            try:
                outcome: BatchSummary | str = grade_candidates(make_grader(), rubric, shard, store, cache, **(limits | shared), show_progress=False)
            finally:
                store.close()
                if cache:
                    cache.close()
        except BaseException as exc:  # noqa: BLE001 - reported by the parent
            outcome = f"{type(exc).__name__}: {exc}"
        report.send(outcome)
        report.close()

    # The parent creates the store and the cache (tables, WAL) before any worker opens them:
    # workers racing to create them met "database is locked".
    progress_store = GradeStore(store_path)
    if cache_path:
        GradeCache(cache_path).close()
    pipes = [context.Pipe(duplex=False) for _ in range(workers)]
    processes = [context.Process(target=work, args=(answers[i::workers], pipes[i][1]), daemon=True) for i in range(workers)]
    for process in processes:
        process.start()
    for _, sending_end in pipes:
        sending_end.close()  # the parent keeps only the reading ends, so a dead worker reads as EOF
    progress = Progress(len(answers)) if show_progress and answers else None
    total, failures = BatchSummary(total=len(answers)), []
    try:
        waiting = {reader: (number, process) for number, ((reader, _), process) in enumerate(zip(pipes, processes), 1)}
        while waiting:
            for reader in multiprocessing.connection.wait(list(waiting), timeout=0.5):
                number, process = waiting.pop(reader)
                try:
                    outcome = reader.recv()
                except EOFError:  # it ended without a word: killed, or crashed in C code
                    process.join()
                    outcome = f"worker {number} exited with code {process.exitcode} before reporting"
                if isinstance(outcome, BatchSummary):
                    total.merge(outcome)
                else:
                    failures.append(outcome)
            if progress:
                progress.update(progress_store.count())
    finally:
        for process in processes:
            process.join()
        for reader, _ in pipes:
            reader.close()
        if progress:
            progress.update(progress_store.count())
        progress_store.close()
    if failures:
        from ..errors import WorkerError

        raise WorkerError("; ".join(failures))
    return total


# ---------------------------------------------------------------- the run folder


def lock_run_folder(run_dir: Path):
    """Hold an exclusive lock on the run folder for as long as the returned file stays open.

    Worker processes inherit the open file, so the lock is held until the last of them is gone:
    a re-run can never grade beside live workers, even orphaned ones."""
    import fcntl

    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / ".lock"
    handle = path.open("a+")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise InputError(f"{run_dir}: another `grader batch` is running on this run folder (it holds {path}); wait for it to finish or stop it, then re-run") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{__import__('os').getpid()}\n")
    handle.flush()
    return handle
