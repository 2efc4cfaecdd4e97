"""A local stand-in for the OpenAI Batch API (files, batches, file content), for `--provider-batch`
tests. A batch stays `in_progress` for a set number of polls, then completes: each request line
gets a structured grade (the first point covered, quoting the answer's first sentence; the rest
missing), except the custom ids told to fail (an error-file line) or to return broken JSON.
"""

from __future__ import annotations

import json
import re
import threading
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _grade_for(body: dict) -> dict:
    ids = body["response_format"]["json_schema"]["schema"]["required"]
    user = body["messages"][-1]["content"]
    match = re.search(r"<answer-(\w+)>\n(.*?)\n</answer-\1>", user, re.S)
    first_sentence = re.split(r"(?<=[。！？])", match.group(2))[0] if match else ""
    return {pid: {"evidence": first_sentence if i == 0 else "", "reason": "mock", "verdict": "covered" if i == 0 else "missing"} for i, pid in enumerate(ids)}


class BatchApiServer:
    def __init__(self, *, polls_until_done: int = 2, fail_ids: set[str] = frozenset(), broken_ids: set[str] = frozenset(), echo_auth: bool = False):
        self.polls_until_done = polls_until_done
        # Refuse uploads with a 401 that echoes the Authorization header and the key, as some proxies do.
        self.echo_auth = echo_auth
        self.fail_ids, self.broken_ids = set(fail_ids), set(broken_ids)
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, dict] = {}
        self.polls: dict[str, int] = {}
        self.uploads: list[str] = []  # uploaded file contents, in order
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _reply(self, payload, status: int = 200, raw: bytes | None = None):
                data = raw if raw is not None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/octet-stream" if raw is not None else "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                owner.headers.append(dict(self.headers))
                with owner._lock:
                    if owner.echo_auth:
                        auth = self.headers.get("authorization", "")
                        message = f"Invalid Authorization header {auth!r}: Incorrect API key provided: {auth.removeprefix('Bearer ')}"
                        self._reply({"error": {"message": message, "type": "invalid_request_error"}}, 401)
                    elif self.path == "/v1/files":
                        self._reply(owner._upload(self.headers["content-type"], body))
                    elif self.path == "/v1/batches":
                        self._reply(owner._create(json.loads(body)))
                    else:
                        self._reply({"error": {"message": "not found"}}, 404)

            def do_GET(self):
                owner.headers.append(dict(self.headers))
                with owner._lock:
                    if self.path == "/v1/models":  # what `batch` asks first, to check the URL
                        self._reply({"object": "list", "data": [{"id": "m", "object": "model", "created": 0, "owned_by": "tests"}]})
                    elif m := re.fullmatch(r"/v1/batches/([\w-]+)", self.path):
                        self._reply(owner._retrieve(m.group(1)))
                    elif m := re.fullmatch(r"/v1/files/([\w-]+)/content", self.path):
                        self._reply(None, raw=owner.files[m.group(1)])
                    else:
                        self._reply({"error": {"message": "not found"}}, 404)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "BatchApiServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _file(self, content: bytes, filename: str, purpose: str) -> dict:
        file_id = f"file-{len(self.files) + 1}"
        self.files[file_id] = content
        return {"id": file_id, "object": "file", "bytes": len(content), "created_at": 0, "filename": filename, "purpose": purpose, "status": "processed"}

    def _upload(self, content_type: str, body: bytes) -> dict:
        message = BytesParser().parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
        parts = {part.get_param("name", header="content-disposition"): part for part in message.get_payload()}
        content = parts["file"].get_payload(decode=True)
        self.uploads.append(content.decode("utf-8"))
        return self._file(content, parts["file"].get_filename(), parts["purpose"].get_payload())

    def _create(self, request: dict) -> dict:
        batch_id = f"batch_{len(self.batches) + 1}"
        self.batches[batch_id] = {
            "id": batch_id, "object": "batch", "endpoint": request["endpoint"], "input_file_id": request["input_file_id"],
            "completion_window": request["completion_window"], "status": "validating", "created_at": 0,
            "metadata": request.get("metadata"), "request_counts": {"total": 0, "completed": 0, "failed": 0},
        }
        self.polls[batch_id] = 0
        return self.batches[batch_id]

    def _retrieve(self, batch_id: str) -> dict:
        batch = self.batches[batch_id]
        self.polls[batch_id] += 1
        if batch["status"] != "completed":
            if self.polls[batch_id] >= self.polls_until_done:
                self._complete(batch)
            else:
                batch["status"] = "in_progress"
        return batch

    def _complete(self, batch: dict) -> None:
        lines = [json.loads(line) for line in self.files[batch["input_file_id"]].decode("utf-8").splitlines() if line.strip()]
        outputs, errors = [], []
        for i, line in enumerate(lines):
            cid = line["custom_id"]
            if cid in self.fail_ids:
                errors.append({"id": f"r{i}", "custom_id": cid, "response": None, "error": {"code": "server_error", "message": "mock failure"}})
                continue
            content = "{not json" if cid in self.broken_ids else json.dumps(_grade_for(line["body"]), ensure_ascii=False)
            completion = {
                "id": f"c{i}", "object": "chat.completion", "created": 0, "model": line["body"]["model"],
                "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
                "usage": {"prompt_tokens": 300, "completion_tokens": 50, "total_tokens": 350},
            }
            outputs.append({"id": f"r{i}", "custom_id": cid, "response": {"status_code": 200, "request_id": f"q{i}", "body": completion}, "error": None})
        batch["status"] = "completed"
        batch["request_counts"] = {"total": len(lines), "completed": len(outputs), "failed": len(errors)}
        batch["output_file_id"] = self._file("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in outputs).encode(), "out.jsonl", "batch_output")["id"]
        if errors:
            batch["error_file_id"] = self._file("".join(json.dumps(e) + "\n" for e in errors).encode(), "err.jsonl", "batch_output")["id"]
