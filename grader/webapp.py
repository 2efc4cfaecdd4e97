"""`grader serve`: a local web page for candidates on the same grading code as `grader check`.

Standard library HTTP server, bound to 127.0.0.1 by default; one grade at a time (the offline
model serves one request at a time anyway). The page is a single self-contained HTML file.
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from .practice import UI_TEXT, AttemptLog, feedback
from .rubric import Rubric

MAX_BODY_BYTES = 200_000


class PracticeApp:
    def __init__(self, rubric: Rubric, grader, log: AttemptLog, endpoint: str | None = None):
        self.rubric = rubric
        self.grader = grader
        self.log = log
        self.endpoint = endpoint  # None: offline, nothing leaves the machine
        self._grading = threading.Lock()
        env = Environment(loader=PackageLoader("grader", "templates"), autoescape=select_autoescape(["html", "j2"]), undefined=StrictUndefined)
        questions = [{"id": q.id, "section": s.title, "prompt": q.prompt} for s in rubric.sections for q in s.questions]
        text = UI_TEXT[rubric.language]
        notice = text["external"].format(endpoint=endpoint) if endpoint else text["offline"]
        self.page = env.get_template("practice.html.j2").render(
            rubric=rubric, text=text, notice=notice, external=bool(endpoint), questions_json=json.dumps(questions, ensure_ascii=False), text_json=json.dumps(text, ensure_ascii=False)
        ).encode("utf-8")

    def grade(self, question_id: str, answer: str, reveal: bool) -> dict[str, Any]:
        question = self.rubric.question(question_id)
        with self._grading:
            result = self.grader.grade(question, answer)
        self.log.add(self.rubric, question_id, answer, result)
        return {**feedback(question, result, reveal=reveal), "answer": answer, "history": self.history(question_id)}

    def history(self, question_id: str) -> list[dict[str, Any]]:
        return [{"time": h["time"], "score": h["score"], "max_score": h["max_score"]} for h in self.log.history(self.rubric, question_id)]

    def handler(self) -> type[BaseHTTPRequestHandler]:
        app = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # answers are private: keep them out of the console
                pass

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(body)))
                self.send_header("cache-control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def _json(self, status: int, payload: Any) -> None:
                self._send(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")

            def do_GET(self):
                url = urlsplit(self.path)
                if url.path == "/":
                    self._send(200, app.page, "text/html; charset=utf-8")
                elif url.path == "/api/history":
                    question_id = parse_qs(url.query).get("question_id", [""])[0]
                    self._json(200, app.history(question_id))
                else:
                    self._json(404, {"error": "not found"})

            def do_POST(self):
                if urlsplit(self.path).path != "/api/grade":
                    return self._json(404, {"error": "not found"})
                length = int(self.headers.get("content-length") or 0)
                if length > MAX_BODY_BYTES:
                    return self._json(413, {"error": "answer too long"})
                try:
                    body = json.loads(self.rfile.read(length).decode("utf-8"))
                    question_id, answer = str(body["question_id"]), str(body["answer"])
                except (ValueError, KeyError, UnicodeDecodeError):
                    return self._json(400, {"error": "expected JSON {question_id, answer}"})
                if not answer.strip():
                    return self._json(400, {"error": UI_TEXT[app.rubric.language]["empty"]})
                try:
                    self._json(200, app.grade(question_id, answer, bool(body.get("reveal"))))
                except KeyError:
                    self._json(400, {"error": f"unknown question id {question_id!r}"})

        return Handler

    def make_server(self, host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
        server = ThreadingHTTPServer((host, port), self.handler())
        server.daemon_threads = True
        return server


def add_serve_parser(sub, model_options) -> None:
    p = sub.add_parser("serve", help="a local web page to practise answers and see feedback")
    p.add_argument("--rubric", required=True, type=Path)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: this computer only)")
    p.add_argument("--port", type=int, default=8000)
    model_options(p)
    p.set_defaults(func=cmd_serve)


def cmd_serve(args) -> int:
    from .cli import settings_from
    from .rubric import load_rubric
    from .session import make_grader, open_client

    rubric = load_rubric(args.rubric)
    settings = settings_from(args)
    with open_client(settings) as client:
        app = PracticeApp(rubric, make_grader(args.strategy, client, rubric, keep_anchors=True), AttemptLog(), endpoint=settings.base_url if settings.is_configured else None)
        server = app.make_server(args.host, args.port)
        host, port = server.server_address[:2]
        print(f"serving {rubric.title} on http://{host}:{port}/  (Ctrl-C to stop)", file=sys.stderr)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
    return 0
