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


def _grade_for(body: dict) -> dict:
    schema = body["response_format"]["json_schema"]["schema"] if body.get("response_format", {}).get("type") == "json_schema" else None
    ids = schema["required"] if schema else ["p1"]
    return {pid: {"evidence": "", "reason": "nothing quoted", "verdict": "missing"} for pid in ids}


class FaultServer:
    def __init__(self, script: list[str], *, default: str = GOOD, timeout_s: float = 3.0):
        self.script = list(script)
        self.default = default
        self.timeout_s = timeout_s
        self.seen: list[str] = []
        self.bodies: list[dict] = []
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
        def send(status: int, payload: dict | str, headers: dict | None = None) -> None:
            data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
            handler.send_response(status)
            handler.send_header("content-type", "application/json")
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
        elif behaviour in ("429", "500", "502", "503"):
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
        else:  # pragma: no cover - a typo in a test
            raise ValueError(behaviour)
