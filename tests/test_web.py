"""The web stack of `grader serve` (and `grader review`): each red-team probe of issue 17 item 4
against a real uvicorn server on a free loopback port, and a Hypothesis test of the handlers."""

from __future__ import annotations

import html.parser
import http.client
import json
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.practice.feedback import AttemptLog
from grader.rubric.model import Rubric
from grader.web import json_script
from grader.practice.webapp import PracticeApp

from .conftest import RUBRIC_PATH
from .helpers import LabelEchoGrader

GOOD = {"question_id": "situational-4", "answer": "我会先核实客户身份并检查账户安全，然后解释常见的诈骗手段，提醒客户以后不要点击陌生链接，最后提供96110反诈专线，必要时我还会协助客户报警处理。"}


class CountingGrader(LabelEchoGrader):
    def __init__(self):
        super().__init__()
        self.lock = threading.Lock()

    def grade(self, question, answer, answer_id=None):
        with self.lock:
            return super().grade(question, answer, answer_id)


@pytest.fixture
def server(tmp_path, rubric):
    grader = CountingGrader()
    app = PracticeApp(rubric, grader, AttemptLog(tmp_path / "attempts.jsonl"))
    with app.make_server("127.0.0.1", 0) as running:
        running.grader = grader
        yield running


def request(server, method, path, body=b"", headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers={"content-type": "application/json", **(headers or {})})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def raw(server, head: bytes, body: bytes = b"") -> tuple[int | None, bytes]:
    """Send bytes as they are (lying headers included), reading the reply as soon as there is one
    (a server may answer and close before the body is all sent); the status code and the reply."""
    import select

    reply = b""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(head)
        pos = 0
        try:
            while True:
                readable, _, _ = select.select([sock], [], [], 0.05 if pos < len(body) else 30)
                if readable:
                    break
                if pos < len(body):
                    sock.sendall(body[pos : pos + 65536])
                    pos += 65536
            while chunk := sock.recv(65536):
                reply += chunk
                if b"\r\n\r\n" in reply and not select.select([sock], [], [], 0.5)[0]:
                    break
        except OSError:
            pass
    status = int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/1.1 ") else None
    return status, reply


def post_head(server, extra: str) -> bytes:
    return (f"POST /api/grade HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Type: application/json\r\n{extra}\r\n").encode()


def test_good_request_is_graded(server):
    status, body = request(server, "POST", "/api/grade", json.dumps(GOOD).encode())
    assert status == 200 and json.loads(body)["score"] == 10
    assert len(server.grader.calls) == 1


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1.nip.io"])
def test_foreign_host_is_refused(server, host):
    """DNS rebinding: a page on evil.example that resolves to 127.0.0.1 sends its own Host."""
    for method, path, body in (("GET", "/", b""), ("POST", "/api/grade", json.dumps(GOOD).encode())):
        status, _ = request(server, method, path, body, {"host": host})
        assert status == 400
    assert server.grader.calls == []


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://localhost:1", "https://127.0.0.1"])
@pytest.mark.parametrize("content_type", ["text/plain", "application/json"])
def test_foreign_origin_post_is_refused(server, origin, content_type):
    status, body = request(server, "POST", "/api/grade", json.dumps(GOOD).encode(), {"origin": origin, "content-type": content_type})
    assert status == 403 and "refused" in json.loads(body)["error"]
    assert server.grader.calls == []


def test_cross_site_fetch_metadata_is_refused(server):
    status, _ = request(server, "POST", "/api/grade", json.dumps(GOOD).encode(), {"sec-fetch-site": "cross-site"})
    assert status == 403 and server.grader.calls == []


def test_own_origin_post_is_served(server):
    for origin in (f"http://127.0.0.1:{server.port}",):
        status, _ = request(server, "POST", "/api/grade", json.dumps(GOOD).encode(), {"origin": origin, "sec-fetch-site": "same-origin"})
        assert status == 200
    status, _ = request(server, "POST", "/api/grade", json.dumps(GOOD).encode(), {"host": f"localhost:{server.port}", "origin": f"http://localhost:{server.port}"})
    assert status == 200


def test_text_plain_without_origin_is_not_graded(server):
    status, _ = request(server, "POST", "/api/grade", json.dumps(GOOD).encode(), {"content-type": "text/plain"})
    assert status == 415 and server.grader.calls == []


TEN_MB = b"[" + b"1," * (5 * 1024 * 1024) + b"1]"


@pytest.mark.parametrize("length", ["-1", "abc", "1e3", "", "10 0"])
def test_bad_content_length_is_400_not_a_traceback(server, length):
    status, _ = raw(server, post_head(server, f"Content-Length: {length}\r\n"), TEN_MB)
    assert status == 400
    assert server.grader.calls == []
    assert request(server, "GET", "/")[0] == 200  # still serving


def test_lying_content_length_and_chunked_bodies_are_counted(server):
    # Declares a small body, sends a huge one: only the declared bytes are the request; the rest
    # is a malformed next request on the same connection, never graded.
    status, _ = raw(server, post_head(server, "Content-Length: 10\r\n"), TEN_MB)
    assert status == 400
    # No length at all, chunked: streamed and counted.
    chunk = b"x" * 65536
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(8)) + b"0\r\n\r\n"
    status, reply = raw(server, post_head(server, "Transfer-Encoding: chunked\r\n"), chunked)
    assert status == 413, reply[:200]
    status, _ = raw(server, post_head(server, f"Content-Length: {len(TEN_MB)}\r\n"), TEN_MB)
    assert status == 413
    assert server.grader.calls == []


@pytest.mark.parametrize("body", [b"[1,2]", b"null", b"1", b'"x"', b"{", b"\xff\xfe", b"[" * 100_000, b'{"question_id": 3}', b'{"question_id": "situational-4", "answer": null}'])
def test_bad_bodies_get_a_clear_400(server, body):
    status, reply = request(server, "POST", "/api/grade", body)
    assert status == 400
    assert "expected a JSON object {question_id, answer, reveal}" in json.loads(reply)["error"]
    assert server.grader.calls == []


def test_twenty_parallel_posts_all_succeed(server):
    def one(_):
        return request(server, "POST", "/api/grade", json.dumps(GOOD).encode())[0]

    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(one, range(20)))
    assert statuses == [200] * 20
    assert len(server.grader.calls) == 20


class _Scripts(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts, self._in = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self._in = dict(attrs)
            self.scripts.append([self._in, ""])

    def handle_endtag(self, tag):
        if tag == "script":
            self._in = None

    def handle_data(self, data):
        if self._in is not None:
            self.scripts[-1][1] += data


def test_script_in_a_rubric_prompt_cannot_break_out_of_the_page(tmp_path):
    data = yaml.safe_load(RUBRIC_PATH.read_text(encoding="utf-8"))
    evil = '</script><script>window.PWNED=1</script><!-- & "\u2028'
    data["sections"][0]["questions"][0]["prompt"] = evil
    data["title"] = "</script>"
    rubric = Rubric.model_validate(data)
    page = PracticeApp(rubric, LabelEchoGrader(), AttemptLog(tmp_path / "a.jsonl")).page
    parser = _Scripts()
    parser.feed(page)
    kinds = [attrs.get("type") for attrs, _ in parser.scripts]
    assert kinds == ["application/json", "application/json", None]  # no script was injected
    questions = json.loads(parser.scripts[0][1])
    assert questions[0]["prompt"] == evil
    assert "PWNED=1</script>" not in page


def test_json_script_escapes_what_could_end_a_script():
    text = json_script({"a": "</script><!--&\u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(str(text)) == {"a": "</script><!--&\u2028"}


def test_security_headers(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", "/")
    response = conn.getresponse()
    response.read()
    conn.close()
    assert response.getheader("x-frame-options") == "DENY" and response.getheader("cache-control") == "no-store"
    assert response.getheader("x-content-type-options") == "nosniff" and response.getheader("server") is None


# ---------------------------------------------------------------- Hypothesis: never a 500

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(["question_id", "answer", "reveal", "x"]), children, max_size=4),
    max_leaves=12,
)
_bodies = st.one_of(
    st.binary(max_size=300),
    _json_values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries(
        {"question_id": st.sampled_from(["situational-4", "stress-1", "nope", "", "../x"]) | st.text(max_size=10), "answer": st.text(max_size=50)},
        optional={"reveal": _json_values},
    ).map(lambda v: json.dumps(v, ensure_ascii=False).encode()),
)
_header_values = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30)


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory, rubric):
    app = PracticeApp(rubric, CountingGrader(), AttemptLog(tmp_path_factory.mktemp("h") / "attempts.jsonl"))
    with app.make_server("127.0.0.1", 0) as running:
        yield running


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD"]),
    path=st.sampled_from(["/", "/api/grade", "/api/history?question_id=stress-1", "/api/history", "/nope", "/api/grade?x=1"]),
    body=_bodies,
    content_type=st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain", "", "multipart/form-data"]) | _header_values,
    origin=st.none() | st.sampled_from(["http://evil.example", "null"]) | _header_values,
    host=st.none() | st.sampled_from(["evil.example", "localhost"]) | _header_values,
)
def test_handlers_never_answer_500(shared_server, method, path, body, content_type, origin, host):
    headers = {"content-type": content_type}
    if origin is not None:
        headers["origin"] = origin
    if host is not None:
        headers["host"] = host
    conn = http.client.HTTPConnection("127.0.0.1", shared_server.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        payload = response.read()
    finally:
        conn.close()
    assert response.status < 500, payload[:300]
    if response.status >= 400 and method != "HEAD" and response.getheader("content-type", "").startswith("application/json"):
        assert json.loads(payload)["error"]
