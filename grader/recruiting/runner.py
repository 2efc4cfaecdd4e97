"""Grading many candidates' answers concurrently into a resumable store: the engine
(grading/engine.py) with the run store as what is done and where grades go, the worker processes,
and the lock on a run folder. Ranking is in ranking.py, the report files in reports.py."""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import threading
import time
from pathlib import Path
from typing import Any, Callable

from ..errors import InputError
from ..progress import Progress
from ..grading.engine import RateLimiter, grade_many
from ..grading.results import BatchSummary
from ..rubric.model import Rubric
from .store import GradeCache, GradeStore
from .inputs import CandidateAnswer


def grade_candidates(
    grader, rubric: Rubric, answers: list[CandidateAnswer], store: GradeStore, cache: GradeCache | None = None, *,
    concurrency: int = 4, requests_per_minute: float | None = None, tokens_per_minute: float | None = None, show_progress: bool = True, **options: Any,
) -> BatchSummary:
    """Grade every answer not yet in `store`, `concurrency` at a time, committing each result as
    it finishes (`grade_many`; `options`: its prices_per_million, stop_after_failures)."""
    return grade_many(
        grader, rubric, answers, lambda item, grade, cached: store.put(item.candidate, item.answer, grade, cached), done=store.finished, cache=cache,
        threads=max(1, concurrency), limiter=RateLimiter(requests_per_minute, tokens_per_minute), show_progress=show_progress, **options,
    )


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
