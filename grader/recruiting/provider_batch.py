"""`grader batch --provider-batch`: very large jobs through a provider's Batch API.

The answers still to grade are written as chat-completions requests to a JSONL file, uploaded,
and run as one batch per 50,000 requests (the OpenAI limit); the batch ids go into the run's
SQLite store before the first poll, so a restarted command polls the batches it already
submitted instead of paying for them twice. When a batch ends, each output line is checked
exactly as a live response is (schema, refusal, cut-off, evidence quotes) and committed; lines
that failed become unscored grades, which the next run submits again.

Only a strategy whose answers are one whole completion each (`capabilities.batch_api`: the
structured strategy) can run this way: a batch returns whole completions, and the
offline model has no Batch API.
"""

from __future__ import annotations

import hashlib
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable

from ..grading.engine import cached, to_grade
from ..grading.strategies import BatchGrader
from ..model.client import CallInfo
from ..grading.results import AnswerGrade, BatchSummary, Usage
from ..rubric.model import Rubric
from .store import GradeCache, GradeStore
from .inputs import CandidateAnswer

MAX_REQUESTS_PER_BATCH = 50_000
ENDED = {"completed", "failed", "expired", "cancelled"}
# The OpenAI Batch API charges half the synchronous price.
BATCH_PRICE_FACTOR = 0.5


def request_id(item: CandidateAnswer) -> str:
    """Stable across restarts and changes to other rows; a changed answer gets a new id."""
    key = "\x1f".join((item.candidate, item.question_id, item.answer))
    return "g-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


@dataclass
class BatchRunOptions:
    poll_every_s: float = 60.0
    max_wait_s: float | None = None  # stop polling after this long; re-running resumes
    prices_per_million: tuple[float, float] = (0.0, 0.0)


def grade_with_provider_batch(
    grader: BatchGrader,
    rubric: Rubric,
    answers: list[CandidateAnswer],
    store: GradeStore,
    cache: GradeCache | None = None,
    options: BatchRunOptions | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    say: Callable[[str], None] = lambda line: print(line, file=sys.stderr),
) -> BatchSummary:
    """Submit what is not yet graded (or in a submitted batch), poll every open batch, and commit
    what the ended ones returned. Returns when all batches ended or `max_wait_s` passed."""
    options = options or BatchRunOptions()
    client = grader.client
    stats = BatchSummary(total=len(answers))
    todo = to_grade(answers, store.finished, stats)
    by_id = {request_id(a): a for a in todo}
    in_flight = store.requests_in_open_batches()

    def commit(item: CandidateAnswer, grade: AnswerGrade, from_cache: bool = False, discount: float = 1.0) -> None:
        store.put(item.candidate, item.answer, grade, from_cache)
        stats.count(grade, from_cache, options.prices_per_million, discount)

    requests: list[dict[str, Any]] = []
    for rid, item in by_id.items():
        if rid in in_flight:
            continue
        question = rubric.question(item.question_id)
        _, hit = cached(cache, grader, question, item)
        if hit is not None:
            commit(item, hit, True)
            continue
        text = grader.prepare(item.answer).text
        if not text:
            commit(item, grader.empty_grade(question, item.answer_id))
            continue
        body = grader.batch_request(question, text)
        requests.append({"custom_id": rid, "method": "POST", "url": "/v1/chat/completions", "body": body})

    for start in range(0, len(requests), MAX_REQUESTS_PER_BATCH):
        chunk = requests[start : start + MAX_REQUESTS_PER_BATCH]
        batch_id = client.submit_batch(chunk, metadata={"tool": "grader", "rubric": rubric.content_hash})
        store.add_provider_batch(batch_id, [r["custom_id"] for r in chunk])
        say(f"submitted batch {batch_id}: {len(chunk)} requests")

    started = clock()
    open_batches = store.open_provider_batches()
    while open_batches:
        for batch_id in list(open_batches):
            state = client.batch_state(batch_id)
            counts = state.request_counts
            done = f"{counts.completed + counts.failed}/{counts.total}" if counts else "?"
            say(f"batch {batch_id}: {state.status} ({done} requests done)")
            if state.status in ENDED:
                _collect(grader, rubric, state, by_id, store, cache, commit, stats)
                store.close_provider_batch(batch_id, state.status)
                open_batches.remove(batch_id)
        if not open_batches:
            break
        if options.max_wait_s is not None and clock() - started >= options.max_wait_s:
            say(f"{len(open_batches)} batch(es) still running; run the same command again to collect them")
            break
        sleep(options.poll_every_s)
    return stats


def _collect(grader, rubric, state, by_id, store, cache, commit, stats) -> None:
    client = grader.client
    lines = []
    for file_id in (state.output_file_id, state.error_file_id):
        if file_id:
            lines += client.batch_file_lines(file_id)
    for line in lines:
        item = by_id.get(line.get("custom_id"))
        if item is None:  # an answer changed or graded since it was submitted
            continue
        question = rubric.question(item.question_id)
        grade = _grade_from_line(grader, question, item, line)
        commit(item, grade, discount=BATCH_PRICE_FACTOR)
        if cache:
            cache.put(cached(None, grader, question, item)[0], grade)
    # Requests a failed, expired or cancelled batch did not answer stay ungraded: the next run
    # submits them again.
    unanswered = set(store.requests_of_batch(state.id)) - {line.get("custom_id") for line in lines}
    if unanswered:
        stats.failures[f"batch {state.status}"] = stats.failures.get(f"batch {state.status}", 0) + len(unanswered)


def _grade_from_line(grader: BatchGrader, question, item: CandidateAnswer, line: dict[str, Any]) -> AnswerGrade:
    info = CallInfo(attempts=1)
    response = line.get("response") or {}
    body = response.get("body") or {}
    usage = body.get("usage") or {}
    info.usage = Usage(prompt_tokens=usage.get("prompt_tokens") or 0, completion_tokens=usage.get("completion_tokens") or 0, calls=1)
    info.model = body.get("model") or ""
    info.system_fingerprint = body.get("system_fingerprint")
    failure = None
    if line.get("error") or response.get("status_code") != 200:
        error = line.get("error") or body.get("error") or {"message": f"status {response.get('status_code')}"}
        failure = f"batch request failed: {error.get('message', error) if isinstance(error, dict) else error}"
    return grader.grade_completion(question, item.answer, body, info, item.answer_id, failure)
