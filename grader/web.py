"""The local web stack shared by `grader serve` (the self-check page) and `grader review` (the
review queue): a Starlette app served by uvicorn, bound to this computer, with the protections a
page on 127.0.0.1 needs against the rest of the browser.

Why Starlette + uvicorn: both are small, widely used and well kept (Starlette is what FastAPI is
built on). The two pages have a handful of JSON routes each, and pydantic already validates their
bodies; FastAPI's extra layer (dependency injection, OpenAPI generation, its own request-model
plumbing) would add a dependency and hide where a body is read, which is exactly what the body
limit below must control. So: Starlette's routing and TrustedHostMiddleware, our own two small ASGI
middlewares, pydantic models called explicitly.

Protections (each has a test against a real uvicorn server in tests/test_web.py):
- Host: only 127.0.0.1 / localhost (a DNS-rebinding page names its own host): 400.
- Origin: a state-changing request (anything but GET/HEAD/OPTIONS) from another origin, a
  `null` origin or a cross-site fetch gets 403; JSON routes also require `application/json`, which
  a cross-site "simple" request cannot send without a preflight.
- Body size: Content-Length is checked (not a non-negative integer: 400; over the limit: 413),
  and then the body is streamed and counted anyway (chunked, or a lying length): 413.
- Bodies are parsed as a JSON object and validated by a pydantic model: anything else is a 400
  naming what was expected, never a traceback.
- Data embedded in a page goes in a `<script type="application/json">` with `<`, `>`, `&`
  escaped as \\u003c etc. (`json_script`), so no string in it can close the script element.
- uvicorn's listen backlog (2048) instead of http.server's 5.
"""

from __future__ import annotations

import json
import socket
import threading
from typing import Any, Iterable, TypeVar

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from pydantic import BaseModel, ValidationError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

LOCAL_HOSTS = ["127.0.0.1", "localhost"]
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
DEFAULT_MAX_BODY = 200_000

SECURITY_HEADERS = [
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", b"frame-ancestors 'none'; form-action 'none'; base-uri 'none'"),
]

M = TypeVar("M", bound=BaseModel)


def json_script(value: Any) -> Markup:
    """JSON safe to put inside `<script type="application/json">`: nothing in it can end the
    element or open a comment, whatever the strings hold. Read it with JSON.parse(el.textContent)."""
    text = json.dumps(value, ensure_ascii=False)
    for char, escaped in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return Markup(text)


def page_environment() -> Environment:
    """The one Jinja environment of every HTML page the grader renders (the reports, the
    self-check page, the review queue): the package's templates, autoescaped (candidate answers
    are untrusted text), StrictUndefined, and `json_script` for data embedded in a page."""
    env = Environment(loader=PackageLoader("grader", "templates"), autoescape=select_autoescape(["html", "j2"]), undefined=StrictUndefined)
    env.filters["json_script"] = json_script
    return env


async def _send_json(send, status: int, payload: dict[str, Any]) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    headers = [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", str(len(body)).encode()), *SECURITY_HEADERS]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


class SameOriginMiddleware:
    """403 for a state-changing request whose Origin is not this server's own (or whose browser
    says it is cross-site); adds the security headers to every response."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if scope["method"] not in SAFE_METHODS:
            origin = _header(scope, b"origin")
            host = _header(scope, b"host") or ""
            site = _header(scope, b"sec-fetch-site")
            if site not in (None, "same-origin", "none"):
                return await _send_json(send, 403, {"error": f"cross-site request refused (sec-fetch-site: {site})"})
            if origin is not None and origin not in (f"http://{host}",):
                return await _send_json(send, 403, {"error": f"cross-origin request refused (origin {origin!r} is not http://{host})"})

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message = {**message, "headers": [*message.get("headers", []), *[h for h in SECURITY_HEADERS if h[0] not in present]]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimitMiddleware:
    """Reads the whole body up front, counting what really arrives: Content-Length is only used
    to refuse early. The app then reads the counted body."""

    def __init__(self, app, max_bytes: int = DEFAULT_MAX_BODY):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                return await _send_json(send, 400, {"error": f"bad Content-Length {declared!r}"})
            if int(declared) > self.max_bytes:
                return await _send_json(send, 413, {"error": f"body over {self.max_bytes} bytes"})
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return await _send_json(send, 413, {"error": f"body over {self.max_bytes} bytes"})
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class BadRequest(HTTPException):
    def __init__(self, detail: str):
        super().__init__(400, detail)


async def _http_error(request: Request, exc: HTTPException) -> Response:
    return JSONResponse({"error": exc.detail}, status_code=exc.status_code)


async def _server_error(request: Request, exc: Exception) -> Response:
    # Nothing of the request (answers are private) and no traceback goes back to the page.
    return JSONResponse({"error": f"internal error: {type(exc).__name__}"}, status_code=500)


def make_app(routes: Iterable[BaseRoute], *, allowed_hosts: Iterable[str] = LOCAL_HOSTS, max_body: int = DEFAULT_MAX_BODY) -> Starlette:
    """A Starlette app with the protections above around `routes`."""
    return Starlette(
        routes=list(routes),
        middleware=[
            Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts)),
            Middleware(SameOriginMiddleware),
            Middleware(BodyLimitMiddleware, max_bytes=max_body),
        ],
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )


def allowed_hosts_for(bind_host: str) -> list[str]:
    """127.0.0.1 and localhost, plus the bound address when it is a specific one."""
    return LOCAL_HOSTS + ([bind_host] if bind_host not in (*LOCAL_HOSTS, "0.0.0.0", "::", "") else [])


async def parse_json(request: Request, model: type[M]) -> M:
    """The body as `model`, or a 400 that says what was expected."""
    expected = "{" + ", ".join(model.model_fields) + "}"
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise HTTPException(415, f"expected Content-Type application/json with a JSON object {expected}")
    raw = await request.body()
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadRequest(f"body is not UTF-8 JSON: expected a JSON object {expected}") from None
    if not isinstance(data, dict):
        raise BadRequest(f"expected a JSON object {expected}, got {type(data).__name__ if data is not None else 'null'}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(part) for part in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors())
        raise BadRequest(f"expected a JSON object {expected}: {problems}") from None
    except RecursionError:
        raise BadRequest("body nested too deeply") from None


def _config(app, host: str, port: int):
    import uvicorn

    # h11: pure Python, strict about Content-Length and framing. No access log: answers are private
    # and the URLs say nothing useful.
    return uvicorn.Config(app, host=host, port=port, http="h11", lifespan="off", access_log=False, log_level="warning", server_header=False)


def serve(app, host: str, port: int) -> None:
    """Serve until Ctrl-C."""
    import uvicorn

    uvicorn.Server(_config(app, host, port)).run()


class BackgroundServer:
    """uvicorn in a thread on a free port (port 0): for tests, screenshots and scripts.

    `with BackgroundServer(app) as server: ... server.url`"""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0):
        import uvicorn

        self.host = host
        self._server = uvicorn.Server(_config(app, host, port))
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self.port: int | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "BackgroundServer":
        import time

        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the web server did not start")
            time.sleep(0.01)
        sock: socket.socket = self._server.servers[0].sockets[0]
        self.port = sock.getsockname()[1]
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> "BackgroundServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
