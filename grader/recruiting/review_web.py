"""`grader review RUN_DIR`: the review page over a batch run, and `grader review export`.

The page and its JSON API run on the same stack and protections as the self-check page
(grader/web.py); the run is grader/recruiting/review.py, the reviews review_store.py, the queue order
review_queue.py and the export review_export.py.

API
- GET  /api/queue             every answer in review order: {answer_id, candidate, question_id, score, flags, reviewed, review_id,
                              group, group_size, ...}; answers routed because their question still needs reviews
                              (`calibration_untrusted`, recut.review_plan) are flagged and queued with those that need review
- GET  /api/answer?id=ID      one answer with its question, evidence, the model's verdicts and reasons, and its review (review_id);
                              group, group_size, group_action (its review's group review, if one made it)
- POST /api/review            {answer_id, points: {p1: covered|partial|missing, ...}, note, reviewer, based_on, group} -> 200 {review, agreement}
                              based_on: the review_id the reviewer saw (null: unreviewed); if another review was
                              saved since, 409 {error, review: the current one} and nothing is saved. Without
                              based_on a save is not checked (scripts). group: true gives the same review to every
                              member of the answer's group without a review of its own (groups.py) -> also {group: {action, applied, kept}}
- DELETE /api/group-review?action=N  undo group review N: deletes exactly the reviews it made -> 200 {action, group, removed}
- GET  /api/agreement         model against reviewer so far: point kappa and score MAE, with counts
- GET  /api/suggest           per question: the next answers to review (those that teach the fit most), how many more it
                              needs (`needed`, from the reviewed answers on each side of its cut: review_fit.reviews_needed)
                              and how many of its answers are routed for it
- POST /api/learn             {} -> learn the rubric's calibration from the reviews, save it, re-cut the
                              unreviewed grades and rewrite the reports (recut.py) -> 200 {agreement: {before, after}, recut, ...}
"""

from __future__ import annotations

import re
import sys
import threading
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from ..errors import InputError, ReviewError
from . import recut
from ..grading.results import VERDICTS, BatchFlag
from .groups import GroupIndex, GroupReviewError, group_action, review_group, undo_group_review
from .review import ReviewRun
from .review_queue import NEEDS_REVIEW
from .review_store import UNCHECKED, ReviewConflict
from ..web import page_environment, BackgroundServer, BadRequest, make_app, parse_json

MAX_BODY_BYTES = 50_000


class ReviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer_id: str = Field(min_length=1)
    points: dict[str, str]
    note: str = Field(default="", max_length=5000)
    reviewer: str | None = Field(default=None, max_length=200)
    based_on: int | None = None  # the review_id the reviewer started from; not given: unchecked
    group: bool = False  # the same review for every unreviewed member of the answer's group


class LearnRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReviewApp:
    def __init__(self, run: ReviewRun, reviewer: str | None = None, write_reports: bool = True):
        self.run = run
        self.reviewer = reviewer
        self.write_reports = write_reports
        self._saving = threading.Lock()
        self._reports = threading.Lock()
        self._reports_stale = False
        self.groups = GroupIndex(run)
        self._plan_lock = threading.Lock()
        self._plan: tuple[int, recut.ReviewPlan] | None = None

        # Questions and answers come from the API; the page embeds only these (as escaped JSON).
        self.page = page_environment().get_template("review.html.j2").render(
            rubric=run.rubric, run_dir=run.run_dir.resolve(), data={"verdicts": VERDICTS, "reviewer": reviewer or ""}
        )

    def plan(self) -> recut.ReviewPlan:
        """The suggestions and routing of the reviews as they are now (recut.review_plan), made
        again only when a review or a grade changed: the queue and the panel share one fit."""
        key = hash(tuple((i.answer_id, i.answer_sha, i.review.id if i.review else None) for i in self.run.items()))
        with self._plan_lock:
            if self._plan is None or self._plan[0] != key:
                self._plan = (key, recut.review_plan(self.run))
            return self._plan[1]

    def routed(self) -> set[str]:
        """Answers routed because their question still needs reviews (none for a run without probabilities)."""
        if not any(item.review is not None for item in self.run.items()):
            return set()  # nobody has reviewed yet: nothing is routed (recut.ReviewPlan)
        try:
            return self.plan().routed
        except InputError:
            return set()

    def queue(self) -> list[dict[str, Any]]:
        items = self.run.items()
        groups, routed = self.groups.groups(items), self.routed()
        out = []
        for item in items:
            summary = item.summary()
            group = groups[item.answer_id]
            summary |= {"group": group.id, "group_size": len(group.members)}
            if item.answer_id in routed and item.review is None:
                summary["flags"] = [*summary["flags"], BatchFlag.calibration_untrusted.value]
                summary["tier"] = NEEDS_REVIEW
            out.append(summary)
        tiers = [NEEDS_REVIEW, BatchFlag.near_cutoff.value, "rest"]
        out.sort(key=lambda s: tiers.index(s["tier"]))  # stable: the routed join the end of the answers that need review
        return out

    def answer(self, answer_id: str) -> dict[str, Any]:
        item = self.run.item(answer_id)
        group = self.groups.groups()[item.answer_id]
        action = group_action(self.run, item.review.id) if item.review else None
        return self.run.detail(item) | {"group": group.id, "group_size": len(group.members), "group_action": action}

    def save(self, body: ReviewRequest) -> dict[str, Any]:
        with self._saving:
            based_on = body.based_on if "based_on" in body.model_fields_set else UNCHECKED
            reviewer = body.reviewer or self.reviewer
            if body.group:
                group = self.groups.groups()[self.run.item(body.answer_id).answer_id]
                done = review_group(self.run, group, body.answer_id, body.points, body.note, reviewer, based_on)
                self._reports_stale = True
                review = done.pop("review")
                return {"review": review, "group": done, "agreement": self.run.agreement()}
            review = self.run.save(body.answer_id, body.points, body.note, reviewer, based_on)
            self._reports_stale = True
            return {"review": review.as_json(), "agreement": self.run.agreement()}

    def undo(self, action: int) -> dict[str, Any]:
        with self._saving:
            done = undo_group_review(self.run, action)
            self._reports_stale = True
            return done | {"agreement": self.run.agreement()}

    def learn(self) -> dict[str, Any]:
        """The reviews so far teach the rubric's calibration; the unreviewed grades are re-cut."""
        with self._saving:
            learnt = recut.learn_from_reviews(self.run)
            recut.save_learnt(self.run, learnt, f"fitted on the reviews of {self.run.run_dir.resolve().name} (review page)")
            done = recut.recut_run(self.run)
        return {"agreement": learnt.agreement, "fitted_points": len(learnt.fitted), "recut": done.recut, "reviewed": done.reviewed, "calibration": done.calibration}

    def refresh_reports(self) -> None:
        """Rewrite the run's reports with the reviews (after saves; several saves, one rewrite)."""
        if not self.write_reports:
            return
        with self._reports:
            if not self._reports_stale:
                return
            self._reports_stale = False
            try:
                self.run.write_reports()
            except Exception as exc:  # noqa: BLE001 - a report problem must not lose the review
                print(f"review: reports not rewritten: {type(exc).__name__}: {exc}", file=sys.stderr)

    def asgi(self):
        async def index(request: Request):
            return HTMLResponse(self.page)

        async def queue(request: Request):
            return JSONResponse(await run_in_threadpool(self.queue))

        async def answer(request: Request):
            try:
                return JSONResponse(await run_in_threadpool(self.answer, request.query_params.get("id", "")))
            except ReviewError as exc:
                raise BadRequest(str(exc)) from None

        async def undo(request: Request):
            raw = request.query_params.get("action", "")
            if not re.fullmatch(r"[0-9]{1,18}", raw):
                raise BadRequest(f"action: expected the id of a group review, got {raw[:40]!r}")
            try:
                result = await run_in_threadpool(self.undo, int(raw))
            except GroupReviewError as exc:
                return JSONResponse({"error": str(exc)}, status_code=404)
            return JSONResponse(result, background=BackgroundTask(run_in_threadpool, self.refresh_reports))

        async def agreement(request: Request):
            return JSONResponse(await run_in_threadpool(self.run.agreement))

        async def review(request: Request):
            body = await parse_json(request, ReviewRequest)
            try:
                result = await run_in_threadpool(self.save, body)
            except ReviewConflict as exc:
                return JSONResponse({"error": str(exc), "review": exc.current.as_json() if exc.current else None}, status_code=409)
            except (ReviewError, GroupReviewError) as exc:
                raise BadRequest(str(exc)) from None
            return JSONResponse(result, background=BackgroundTask(run_in_threadpool, self.refresh_reports))

        async def suggest(request: Request):
            try:
                return JSONResponse(await run_in_threadpool(lambda: self.plan().questions))
            except InputError as exc:
                raise BadRequest(str(exc)) from None

        async def learn(request: Request):
            await parse_json(request, LearnRequest)
            try:
                return JSONResponse(await run_in_threadpool(self.learn))
            except InputError as exc:
                raise BadRequest(str(exc)) from None

        routes = [
            Route("/", index),
            Route("/api/queue", queue),
            Route("/api/answer", answer),
            Route("/api/agreement", agreement),
            Route("/api/review", review, methods=["POST"]),
            Route("/api/group-review", undo, methods=["DELETE"]),
            Route("/api/learn", learn, methods=["POST"]),
            Route("/api/suggest", suggest),
        ]
        return make_app(routes, max_body=MAX_BODY_BYTES)

    def make_server(self, port: int = 0) -> BackgroundServer:
        return BackgroundServer(self.asgi(), "127.0.0.1", port)


