"""Recruiter batch grading: many candidates' answers, graded concurrently into a resumable store,
then ranked and explained (CSV, XLSX, JSONL and a self-contained HTML report)."""

from __future__ import annotations

import csv
import json
import multiprocessing
import queue
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from ..errors import InputError
from ..progress import Progress
from ..grading.injection import injection_suspected
from ..grading.results import AnswerGrade, BatchFlag, BatchSummary, Flag
from ..rubric.model import Rubric
from ..grading.scoring import sum_scores
from .store import GradeCache, GradeStore, cache_key
from .inputs import CandidateAnswer
from ..grading.textnorm import normalise


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


def cached_grade(cache: GradeCache | None, grader, question, item: CandidateAnswer) -> tuple[str, AnswerGrade | None]:
    """The cache key of `item` for this grader, and its cached grade (named for this candidate),
    if there is one."""
    model = getattr(grader.client, "model", "") if hasattr(grader, "client") else ""
    key = cache_key(model, grader.prompt_hash, question.content_hash, item.answer)
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
) -> BatchSummary:
    """Grade every answer not yet in `store`, `concurrency` at a time, committing each result as
    it finishes. `prices_per_million` is (input, output) USD per million tokens, for the estimate."""
    stats = BatchSummary(total=len(answers))
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
        if progress:
            progress.step(f"{item.candidate} {item.question_id}")

    # A bounded window of submitted work keeps memory flat in the number of answers.
    pending: set = set()
    queue = iter(todo)
    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        try:
            while True:
                while len(pending) < 2 * max(1, concurrency):
                    item = next(queue, None)
                    if item is None:
                        break
                    pending.add(pool.submit(work, item))
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
    results = context.Queue()
    shared = {name: limits[name] / workers for name in ("requests_per_minute", "tokens_per_minute") if limits.get(name)}
    shared["concurrency"] = max(1, limits.get("concurrency", 4) // workers)

    import os

    parent_pid = os.getpid()

    def work(shard: list[CandidateAnswer]) -> None:
        die_with_parent(parent_pid)
        store, cache = GradeStore(store_path), (GradeCache(cache_path) if cache_path else None)
        try:
            stats = grade_candidates(make_grader(), rubric, shard, store, cache, **(limits | shared), show_progress=False)
            results.put(stats)
        except BaseException as exc:  # noqa: BLE001 - reported by the parent
            results.put(f"{type(exc).__name__}: {exc}")
        finally:
            store.close()
            if cache:
                cache.close()

    processes = [context.Process(target=work, args=(answers[i::workers],), daemon=True) for i in range(workers)]
    for process in processes:
        process.start()
    progress_store = GradeStore(store_path)
    progress = Progress(len(answers)) if show_progress and answers else None
    total, failures = BatchSummary(total=len(answers)), []
    try:
        for _ in processes:
            while True:
                try:
                    outcome = results.get(timeout=0.5)
                    break
                except queue.Empty:
                    if progress:
                        progress.update(progress_store.count())
            if isinstance(outcome, BatchSummary):
                total.merge(outcome)
            else:
                failures.append(outcome)
    finally:
        for process in processes:
            process.join()
        if progress:
            progress.update(progress_store.count())
        progress_store.close()
    if failures:
        from ..errors import WorkerError

        raise WorkerError("; ".join(failures))
    return total


# ---------------------------------------------------------------- flags and ranking

MIN_ANSWER_CHARS = 20


def _cjk_share(text: str) -> float:
    chars = [c for c in normalise(text) if not c.isdigit()]
    return sum("\u3400" <= c <= "\u9fff" for c in chars) / len(chars) if chars else 0.0


def answer_flags(rubric: Rubric, answer: str, grade: AnswerGrade) -> list[str]:
    flags = {f.value for f in grade.flags}
    flags |= {f.value for p in grade.points for f in p.flags}
    if grade.status != "scored":
        flags.add(BatchFlag.unscored.value)
    if injection_suspected(answer):
        flags.add(Flag.injection_suspected.value)
    if grade.rubric_hash != rubric.question(grade.question_id).content_hash:
        flags.add(BatchFlag.older_rubric.value)  # graded against an earlier version of this question's points
    if len(normalise(answer)) < MIN_ANSWER_CHARS:
        flags.add(BatchFlag.too_short.value)
    share = _cjk_share(answer)
    if (rubric.language == "zh" and share < 0.3) or (rubric.language == "en" and share > 0.3):
        flags.add(BatchFlag.other_language.value)
    return sorted(flags)


# What sends a candidate to a person: the grader's own routing (`needs_review` and its reasons,
# grader/grading/routing.py) and what only the batch can see.
REVIEW_FLAGS = {
    *(f.value for f in (BatchFlag.unscored, BatchFlag.other_language, BatchFlag.older_rubric)),
    *(f.value for f in (Flag.needs_review, Flag.injection_suspected, Flag.evidence_not_found, Flag.low_confidence, Flag.keyword_list_suspected, Flag.near_threshold)),
}


@dataclass
class CandidateResult:
    candidate: str
    total: float | None  # None when a section has no total
    max_total: float
    sections: dict[str, float | None]  # None when an answer of the section is unscored
    questions: dict[str, float | None]
    answers: list[dict[str, Any]]
    needs_review: list[str]
    reviewed: list[str] = field(default_factory=list)  # question ids whose score is a person's
    notes: list[str] = field(default_factory=list)  # why a total is missing
    rank: int | None = None  # place by total, whatever the order of the list; None without a total


def rank(
    rubric: Rubric,
    answers: Iterable[CandidateAnswer],
    grades: list[tuple[str, AnswerGrade]],
    cutoff: float | None = None,
    margin: float = 5.0,
    reviews: dict | None = None,
) -> list[CandidateResult]:
    """Candidates by total. `reviews` ((candidate, question id) -> grader.review.Review, those
    that apply to the graded text): a reviewed answer counts the reviewer's score, and its review
    flags no longer send the candidate to review."""
    text_of = {(a.candidate, a.question_id): a.answer for a in answers}
    reviews = reviews or {}
    by_candidate: dict[str, list[AnswerGrade]] = {}
    for candidate, grade in grades:
        by_candidate.setdefault(candidate, []).append(grade)
    results = []
    for candidate, graded in by_candidate.items():
        reviewed = {g.question_id: reviews[(candidate, g.question_id)] for g in graded if (candidate, g.question_id) in reviews}
        questions = {g.question_id: (reviewed[g.question_id].score if g.question_id in reviewed else g.score) for g in graded}
        errors = {g.question_id: g.error or "unscored" for g in graded if questions[g.question_id] is None}
        # An unscored answer is unknown, not 0: its section (and so the candidate) has no total.
        sections, notes = {}, []
        for s in rubric.sections:
            missing = [q.id for q in s.questions if q.id in errors]
            sections[s.id] = None if missing else sum_scores(questions[q.id] for q in s.questions if q.id in questions)
            if missing:
                notes.append(f"{s.id}: no total, {', '.join(f'{q} unscored ({errors[q][:80]})' for q in missing)}")
        total = None if notes else sum_scores(sections.values())
        rows, review = [], set()
        for g in sorted(graded, key=lambda g: [q.id for q in rubric.questions()].index(g.question_id)):
            answer = text_of.get((candidate, g.question_id), "")
            flags = answer_flags(rubric, answer, g)
            if g.question_id not in reviewed:
                review |= set(flags) & REVIEW_FLAGS
            rows.append({"grade": g, "answer": answer, "flags": flags, "segments": highlight(answer, g), "review": reviewed.get(g.question_id)})
        answered = {g.question_id for g in graded}
        if answered != {q.id for q in rubric.questions()}:
            review.add(BatchFlag.incomplete.value)
        if cutoff is not None and total is not None and abs(total - cutoff) <= margin:
            review.add(BatchFlag.near_cutoff.value)
        # Within a candidate, answers routed to a person (and not yet reviewed) come first.
        rows.sort(key=lambda row: not _awaits_person(row))
        order = [q.id for q in rubric.questions()]
        results.append(CandidateResult(candidate, total, rubric.max_total, sections, questions, rows, sorted(review), sorted(reviewed, key=order.index), notes))
    # Candidates without a total come last: they cannot be placed until re-run (or reviewed).
    results.sort(key=lambda r: (r.total is None, -(r.total or 0), r.candidate))
    for place, result in enumerate(results, start=1):
        result.rank = place if result.total is not None else None
    # Candidates with an answer the grader would not stand behind (routed or unscored) are listed
    # first, their rank still their place by total, so that a recruiter reads those before the rest.
    results.sort(key=lambda r: not any(_awaits_person(row) for row in r.answers))
    return results


def _awaits_person(row: dict[str, Any]) -> bool:
    """An answer the grader would not stand behind (routed or unscored) that nobody reviewed yet."""
    return bool({Flag.needs_review.value, BatchFlag.unscored.value} & set(row["flags"])) and not row.get("review")


def highlight(answer: str, grade: AnswerGrade) -> list[tuple[str, str | None]]:
    """The answer as (text, point id or None) segments, evidence marked where it occurs verbatim."""
    marks = []
    for p in grade.points:
        if p.verdict.value != "missing" and p.evidence:
            start = answer.find(p.evidence)
            if start >= 0:
                marks.append((start, start + len(p.evidence), p.id))
    marks.sort()
    segments, pos = [], 0
    for start, end, pid in marks:
        if start < pos:
            continue  # overlapping evidence: the first mark wins
        segments += [(answer[pos:start], None), (answer[start:end], pid)]
        pos = end
    segments.append((answer[pos:], None))
    return [s for s in segments if s[0]]


# A cell starting with one of these is a formula to Excel and LibreOffice (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, quoted with a leading ' (OWASP)."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def write_reports(run_dir: Path, rubric: Rubric, results: list[CandidateResult], stats: BatchSummary, meta: dict[str, Any]) -> list[Path]:
    run_dir.mkdir(parents=True, exist_ok=True)
    qids = [q.id for q in rubric.questions()]
    # Question cells hold the reviewed score where a person reviewed the answer; the `reviewed`
    # column names those questions.
    header = ["rank", "candidate", "total", *[s.id for s in rubric.sections], *qids, "needs_review", "reviewed", "notes"]
    blank = lambda v: "" if v is None else v  # noqa: E731 - no score is an empty cell, never 0
    table = [
        [blank(r.rank), r.candidate, blank(r.total), *[blank(r.sections[s.id]) for s in rubric.sections], *[blank(r.questions.get(q)) for q in qids], " ".join(r.needs_review), " ".join(r.reviewed), "; ".join(r.notes)]
        for r in results
    ]
    paths = []
    csv_path = run_dir / "ranking.csv"
    with csv_path.open("w", encoding="utf-8-sig", newline="") as f:  # BOM: Excel opens it as UTF-8
        csv.writer(f).writerows([[csv_safe(v) for v in row] for row in [header, *table]])
    paths.append(csv_path)
    try:
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "ranking"
        for row in [header, *table]:
            sheet.append(row)
            for cell in sheet[sheet.max_row]:
                if cell.data_type == "f":  # openpyxl made a formula of text starting with "=": keep it text
                    cell.data_type = "s"
                    cell.quotePrefix = True
        xlsx_path = run_dir / "ranking.xlsx"
        book.save(xlsx_path)
        paths.append(xlsx_path)
    except ImportError:
        print("openpyxl not installed: ranking.xlsx skipped", file=sys.stderr)
    jsonl_path = run_dir / "grades.jsonl"
    with jsonl_path.open("w", encoding="utf-8") as f:
        for r in results:
            for row in r.answers:
                reviewed = row.get("review")
                extra = {"review": reviewed.as_json()} if reviewed is not None else {}
                f.write(json.dumps({"candidate": r.candidate, "answer": row["answer"], "flags": row["flags"], **row["grade"].model_dump(mode="json"), **extra}, ensure_ascii=False) + "\n")
    paths.append(jsonl_path)
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(loader=PackageLoader("grader", "templates"), autoescape=select_autoescape(["html", "j2"]), undefined=StrictUndefined)
    html = env.get_template("batch_report.html.j2").render(rubric=rubric, results=results, stats=stats, meta=meta, questions={q.id: q for q in rubric.questions()})
    html_path = run_dir / "report.html"
    html_path.write_text(html, encoding="utf-8")
    paths.append(html_path)
    return paths


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
