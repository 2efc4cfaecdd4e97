"""A local OpenAI-compatible server that misbehaves on purpose, for reliability tests.

Each request takes the next behaviour from a script; behaviours are named after the faults real
endpoints produce. It listens on 127.0.0.1 only and stops with the test.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GOOD = "good"
FAULTS = (
    "429_retry_after",
    "429",
    "500",
    "502",
    "503",
    "timeout",
    "reset",
    "truncated_json",
    "wrong_shape",
    "length",
    "refusal",
)
# Not retried: a 401 whose message echoes the key it was sent, as some proxies do.
ECHO_KEY = "401_echo_key"
# 2xx replies that are not chat completions (a wrong --base-url, a broken proxy); not retried.
NOT_COMPLETIONS = ("json_list", "html", "empty_body", "null_message")
# A 307 to `redirect_to` (another server); a body sent one byte every `trickle_s`; the status line
# and headers sent so; a 429 asking for a wait of more than a day.
REDIRECT, TRICKLE, RETRY_AFTER_A_DAY = "redirect_307", "trickle", "429_retry_after_a_day"
TRICKLE_HEAD = "trickle_head"
HTML_PAGE = "<!DOCTYPE html><html><head><title>Welcome</title></head><body>It works!</body></html>"


def _grade_for(body: dict) -> dict:
    schema = body["response_format"]["json_schema"]["schema"] if body.get("response_format", {}).get("type") == "json_schema" else None
    ids = schema["required"] if schema else ["p1"]
    return {pid: {"evidence": "", "reason": "nothing quoted", "verdict": "missing"} for pid in ids}


class FaultServer:
    def __init__(self, script: list[str], *, default: str = GOOD, timeout_s: float = 3.0, models: str = "list",
                 redirect_to: str | None = None, trickle_s: float = 0.05):
        """`models`: what GET {base}/models answers: "list" (the models), "html", "404" or REDIRECT."""
        self.script = list(script)
        self.default = default
        self.timeout_s = timeout_s
        self.models = models
        self.redirect_to = redirect_to
        self.trickle_s = trickle_s
        self.seen: list[str] = []
        self.bodies: list[dict] = []
        self.gets: list[str] = []  # paths asked with GET (not in `seen`, which counts completions)
        self.trickled: list[tuple[int, int]] = []  # (bytes sent, bytes in the body) per trickled reply
        self.head_sent: tuple[int, int] = (0, 0)  # (bytes of a trickled head sent so far, in all)
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                behaviour = owner.script.pop(0) if owner.script else owner.default
                owner.seen.append(behaviour)
                owner.bodies.append(body)
                owner._respond(self, behaviour, body, self.headers.get("authorization", ""))

            def do_GET(self):
                owner.gets.append(self.path)
                if self.path.rstrip("/").endswith("/models") and owner.models != "list":
                    owner._respond(self, {"html": "html", "404": "404", REDIRECT: REDIRECT}[owner.models], {})
                elif self.path.rstrip("/").endswith("/models"):
                    listing = {"object": "list", "data": [{"id": "fault-server", "object": "model", "created": 0, "owned_by": "tests"}]}
                    data = json.dumps(listing).encode()
                    self.send_response(200)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                else:
                    owner._respond(self, "404", {})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> "FaultServer":
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _respond(self, handler: BaseHTTPRequestHandler, behaviour: str, body: dict, authorization: str = "") -> None:
        def send(status: int, payload: dict | list | str, headers: dict | None = None, content_type: str = "application/json") -> None:
            data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
            handler.send_response(status)
            handler.send_header("content-type", content_type)
            handler.send_header("content-length", str(len(data)))
            for k, v in (headers or {}).items():
                handler.send_header(k, v)
            handler.end_headers()
            handler.wfile.write(data)

        def completion(content: str, finish: str = "stop", refusal: str | None = None) -> dict:
            message = {"role": "assistant", "content": content}
            if refusal:
                message["refusal"] = refusal
            return {
                "id": "f",
                "object": "chat.completion",
                "created": 0,
                "model": "fault-server",
                "system_fingerprint": "fp_fault",
                "choices": [{"index": 0, "finish_reason": finish, "message": message}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
            }

        error = {"error": {"message": behaviour, "type": "fault"}}
        if behaviour == GOOD:
            send(200, completion(json.dumps(_grade_for(body))))
        elif behaviour == "429_retry_after":
            send(429, error, {"retry-after": "0.05"})
        elif behaviour == RETRY_AFTER_A_DAY:
            send(429, error, {"retry-after": "100000"})
        elif behaviour in ("404", "429", "500", "502", "503"):
            send(int(behaviour), error)
        elif behaviour == "timeout":
            time.sleep(self.timeout_s)
            send(200, completion(json.dumps(_grade_for(body))))
        elif behaviour == "reset":
            # Start a response, then drop the connection mid-body.
            handler.send_response(200)
            handler.send_header("content-type", "application/json")
            handler.send_header("content-length", "500")
            handler.end_headers()
            handler.wfile.write(b'{"id": "f", "choices": [')
            handler.wfile.flush()
            handler.connection.shutdown(socket.SHUT_RDWR)
        elif behaviour == "truncated_json":
            send(200, completion(json.dumps(_grade_for(body))[:25]))
        elif behaviour == "wrong_shape":
            send(200, completion(json.dumps({"score": 10, "verdict": "covered"})))
        elif behaviour == "length":
            send(200, completion(json.dumps(_grade_for(body))[:40], finish="length"))
        elif behaviour == ECHO_KEY:
            send(401, {"error": {"message": f"Incorrect API key provided: {authorization.removeprefix('Bearer ')}", "type": "auth"}})
        elif behaviour == "refusal":
            send(200, completion("", refusal="I can't help with grading."))
        elif behaviour == "json_list":
            send(200, [])
        elif behaviour == "html":
            send(200, HTML_PAGE, content_type="text/html; charset=utf-8")
        elif behaviour == "empty_body":
            send(200, "")
        elif behaviour == "null_message":
            send(200, {"choices": [{"message": None}]})
        elif behaviour == REDIRECT:
            handler.send_response(307)
            handler.send_header("location", self.redirect_to)
            handler.send_header("content-length", "0")
            handler.end_headers()
        elif behaviour == TRICKLE:
            data = json.dumps(completion(json.dumps(_grade_for(body)))).encode()
            handler.send_response(200)
            handler.send_header("content-type", "application/json")
            handler.send_header("content-length", str(len(data)))
            handler.end_headers()
            sent = 0
            try:
                for i in range(len(data)):
                    handler.wfile.write(data[i : i + 1])
                    handler.wfile.flush()
                    sent += 1
                    time.sleep(self.trickle_s)
            except OSError:  # the client hung up
                pass
            self.trickled.append((sent, len(data)))
        elif behaviour == TRICKLE_HEAD:
            data = json.dumps(completion(json.dumps(_grade_for(body)))).encode()
            head = f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-padding: {'.' * 200}\r\ncontent-length: {len(data)}\r\n\r\n".encode()
            sent = 0
            try:
                for i in range(len(head)):
                    handler.wfile.write(head[i : i + 1])
                    handler.wfile.flush()
                    sent += 1
                    self.head_sent = (sent, len(head))  # live: what a client has seen so far
                    time.sleep(self.trickle_s)
                handler.wfile.write(data)
            except OSError:  # the client hung up
                pass
            handler.close_connection = True
            self.trickled.append((sent, len(head)))
        else:  # pragma: no cover - a typo in a test
            raise ValueError(behaviour)
