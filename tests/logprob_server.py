"""A local OpenAI-compatible endpoint that answers yes/no questions with log-probabilities, for
tests of the yes/no strategy and its calibration (listens on 127.0.0.1 only).

P(yes) comes from the answer inside the prompt's fence: `p_yes(answer)` (default: a strict model
that puts 0.25-0.29 on "yes" for an answer that says "IDEA" and 0.05-0.09 otherwise, so that the
uncalibrated cut points, 0.35/0.65, call every answer "missing")."""

from __future__ import annotations

import json
import math
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

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
