"""`grader serve`: a local web page for candidates on the same grading code as `grader check`.

A Starlette app on uvicorn (grader/web.py: the stack and its protections, shared with the review
page), bound to 127.0.0.1 by default; one grade at a time (the offline model serves one request
at a time anyway). The page is a single self-contained HTML file.
"""

from __future__ import annotations

import threading
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from ..errors import UnknownIdError
from .feedback import UI_TEXT, AttemptLog, feedback
from ..rubric.model import Rubric
from ..web import page_environment, DEFAULT_MAX_BODY, BackgroundServer, BadRequest, allowed_hosts_for, make_app, parse_json

MAX_BODY_BYTES = DEFAULT_MAX_BODY


class GradeRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    question_id: str = Field(min_length=1)
    answer: str
    reveal: bool = False


class PracticeApp:
    def __init__(self, rubric: Rubric, grader, log: AttemptLog, endpoint: str | None = None):
        self.rubric = rubric
        self.grader = grader
        self.log = log
        self.endpoint = endpoint  # None: offline, nothing leaves the machine
        self._grading = threading.Lock()
        questions = [{"id": q.id, "section": s.title, "prompt": q.prompt} for s in rubric.sections for q in s.questions]
        text = UI_TEXT[rubric.language]
        notice = text["external"].format(endpoint=endpoint) if endpoint else text["offline"]
        self.page = page_environment().get_template("practice.html.j2").render(
            rubric=rubric, text=text, notice=notice, external=bool(endpoint), questions=questions
        )

    def grade(self, question_id: str, answer: str, reveal: bool) -> dict[str, Any]:
        question = self.rubric.question(question_id)
        with self._grading:
            result = self.grader.grade(question, answer)
        self.log.add(self.rubric, question_id, answer, result)
        return {**feedback(question, result, reveal=reveal), "answer": answer, "history": self.history(question_id)}

    def history(self, question_id: str) -> list[dict[str, Any]]:
        return [{"time": h["time"], "score": h["score"], "max_score": h["max_score"]} for h in self.log.history(self.rubric, question_id)]

    def asgi(self, host: str = "127.0.0.1"):
        async def index(request: Request):
            return HTMLResponse(self.page)

        async def history(request: Request):
            return JSONResponse(await run_in_threadpool(self.history, request.query_params.get("question_id", "")))

        async def grade(request: Request):
            body = await parse_json(request, GradeRequest)
            if not body.answer.strip():
                raise BadRequest(UI_TEXT[self.rubric.language]["empty"])
            try:
                self.rubric.question(body.question_id)
            except UnknownIdError:
                raise BadRequest(f"unknown question id {body.question_id!r}") from None
            return JSONResponse(await run_in_threadpool(self.grade, body.question_id, body.answer, body.reveal))

        routes = [Route("/", index), Route("/api/history", history), Route("/api/grade", grade, methods=["POST"])]
        return make_app(routes, allowed_hosts=allowed_hosts_for(host), max_body=MAX_BODY_BYTES)

    def make_server(self, host: str = "127.0.0.1", port: int = 8000) -> BackgroundServer:
        """A server in a background thread (call .start()); `grader serve` runs it in the foreground."""
        return BackgroundServer(self.asgi(host), host, port)
