"""A local OpenAI-compatible endpoint that answers yes/no questions with log-probabilities, for
tests of the yes/no strategy and its calibration (listens on 127.0.0.1 only), and a small English
rubric and batch of answers whose truth the tests know.

P(yes) comes from the answer inside the prompt's fence: `p_yes(answer)` (default: a strict model
that puts 0.25-0.29 on "yes" for an answer that says "IDEA" and 0.05-0.09 otherwise, so that the
uncalibrated cut points, 0.35/0.65, call every answer "missing")."""

from __future__ import annotations

import csv
import json
import math
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

import yaml

from grader.recruiting.store import GradeStore

FENCED = re.compile(r"<answer-(\w+)>\n?(.*?)\n?</answer-\1>", re.S)


def strict_model(answer: str) -> float:
    return (0.25 if "IDEA" in answer else 0.05) + (len(answer) % 5) / 100


class LogprobServer:
    def __init__(self, p_yes: Callable[[str], float] = strict_model, model: str = "stub-yesno"):
        self.p_yes, self.model = p_yes, model
        self.calls = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                owner.calls += 1
                data = json.dumps(owner.completion(body)).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def completion(self, body: dict) -> dict:
        user = [m["content"] for m in body["messages"] if m["role"] == "user"][-1]
        found = FENCED.findall(user)  # the last one: the instructions name the fence first
        p = self.p_yes(found[-1][1] if found else "")
        yes, no = math.log(p), math.log(1 - p)
        first = "Yes" if p >= 0.5 else "No"
        return {
            "id": "c1",
            "object": "chat.completion",
            "created": 0,
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "length",
                    "message": {"role": "assistant", "content": first},
                    "logprobs": {
                        "content": [
                            {
                                "token": first,
                                "logprob": max(yes, no),
                                "bytes": None,
                                "top_logprobs": [{"token": "Yes", "logprob": yes, "bytes": None}, {"token": "No", "logprob": no, "bytes": None}],
                            }
                        ]
                    },
                }
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11},
        }

    def __enter__(self) -> "LogprobServer":
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()


MODEL = "stub-yesno"


def write_rubric(path: Path, rubric_id: str = "loop-bank", point_texts=("Offers the customer a concrete remedy", "Names the risk to the bank")) -> Path:
    questions = [
        {"id": f"q{i + 1}", "prompt": f"Question {i + 1}: how would you handle an angry customer?", "max_score": 5, "points": [{"id": "p1", "text": text, "weight": 5}]}
        for i, text in enumerate(point_texts)
    ]
    path.write_text(yaml.safe_dump({"id": rubric_id, "title": "Loop bank", "language": "en", "sections": [{"id": "s", "title": "S", "questions": questions}]}), encoding="utf-8")
    return path


def truth(candidate: int, question: str) -> bool:
    return candidate % 2 == 0 if question == "q1" else candidate % 3 == 0


def write_answers(path: Path, candidates: int = 12) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["candidate", "question_id", "answer"])
        for c in range(candidates):
            for q in ("q1", "q2"):
                said = "and explain the IDEA behind the fix" if truth(c, q) else "and thank them for their patience"
                writer.writerow([f"cand{c:02d}", q, f"I would listen to the customer first, candidate {c} says, {said}."])
    return path


def model_args(stub) -> list[str]:
    return ["--base-url", stub.base_url, "--model", MODEL, "--strategy", "yesno", "--max-attempts", "1"]


def verdicts(run_dir: Path) -> dict[str, str]:
    store = GradeStore(run_dir / "grades.sqlite")
    try:
        return {f"{c}/{g.question_id}": g.points[0].verdict.value for c, g in store.all_grades()}
    finally:
        store.close()
