"""The one place that talks to a language model: the official `openai` client against any
OpenAI-compatible endpoint.

Retries live here and only here (tenacity; the openai client's own retries are switched off):
429 honouring Retry-After, 5xx, timeouts, dropped connections, and output that is not valid JSON
of the requested shape (re-asked with the validation error).

Every call has one wall-clock deadline (`ModelSettings.timeout_s`, --timeout / GRADER_TIMEOUT) that
covers all its attempts and waits: each HTTP wait (connect, send, a read) is capped at the time
left, the reply's body is cut off at it (httpx's read timeout alone restarts with every byte), and
a wait the server asks for that would pass it ends the call instead. httpx has no total timeout,
so the response's head (status line and headers, which a server can trickle too) is awaited in a
helper thread up to the deadline (`_HeadWithinDeadline`). Redirects
are never followed (the request carries a candidate's answer), and a reply that is not a chat
completion is an error naming what it was.
"""

from __future__ import annotations

import functools
import json
import math
import re
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, TypeVar
from urllib.parse import urlsplit

import openai
from pydantic import BaseModel, ValidationError
from tenacity import RetryCallState, Retrying, retry_if_exception, wait_random_exponential

from ..errors import CallTimeoutError, EndpointError, EndpointRedirectError, InputError, ModelCallError, ModelOutputError, NotACompletionError
from .usage import Usage

T = TypeVar("T", bound=BaseModel)

# openai uses httpx, or its successor httpx2, depending on the version installed.
_http = getattr(openai, "_httpx", None) or __import__("httpx")
# What a call can fail with, after its retries: the endpoint or the transport failed (openai's and
# the HTTP library's errors), the reply was not usable (ours), or a reply did not validate. Each
# reaches callers as a ModelCallError; any other exception is a bug and propagates.
_FAILURES: tuple[type[BaseException], ...] = (openai.OpenAIError, ModelCallError, ValidationError, _http.HTTPError, _http.StreamError)
# How much of the last reply a ModelCallError keeps.
LAST_RESPONSE_CHARS = 2000

DEFAULT_SEED = 1234
# One call's deadline, attempts and waits included, unless --timeout or GRADER_TIMEOUT says otherwise:
# ample for a hosted model's graded reply, short enough that a stuck endpoint costs minutes, not hours.
DEFAULT_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class ModelSettings:
    """Where and how to call the model. Built from CLI flags, falling back to the environment."""

    base_url: str | None = None
    model: str | None = None
    api_key: str | None = None
    temperature: float = 0.0
    seed: int = DEFAULT_SEED
    timeout_s: float = DEFAULT_TIMEOUT_S  # the deadline of one call, attempts and waits included
    max_attempts: int = 4
    backoff_initial_s: float = 1.0
    max_tokens: int = 1500
    # llama.cpp reuses a cached prompt prefix; a warm and a cold cache can differ in the last
    # digits of a probability. False asks the server not to, for bit-exact reproduction.
    prompt_cache: bool = True
    # The sha256 of the weights behind the endpoint, where the grader serves them itself (the
    # bundled model); None for a configured endpoint, whose model can change behind its name.
    pinned_weights: str | None = None

    @classmethod
    def from_env(cls, base_url: str | None = None, model: str | None = None, **overrides: Any) -> "ModelSettings":
        if "timeout_s" not in overrides and os.environ.get("GRADER_TIMEOUT"):
            overrides["timeout_s"] = positive_seconds(os.environ["GRADER_TIMEOUT"], "GRADER_TIMEOUT")
        return cls(
            base_url=base_url or os.environ.get("GRADER_BASE_URL") or None,
            model=model or os.environ.get("GRADER_MODEL") or None,
            api_key=os.environ.get("OPENAI_API_KEY") or None,
            **overrides,
        )

    @property
    def is_configured(self) -> bool:
        return bool(self.base_url or self.api_key)

    def __repr__(self) -> str:  # never print the key
        return f"ModelSettings(base_url={self.base_url!r}, model={self.model!r}, api_key={'***' if self.api_key else None})"


@dataclass
class CallInfo:
    """What one (possibly retried) model call cost and which model answered it."""

    model: str = ""
    system_fingerprint: str | None = None
    usage: Usage = field(default_factory=Usage)
    attempts: int = 0

    def merge(self, other: "CallInfo") -> None:
        self.model = other.model or self.model
        self.system_fingerprint = other.system_fingerprint or self.system_fingerprint
        self.usage = self.usage.add(other.usage)
        self.attempts += other.attempts




def parse_completion(completion: Any, schema: type[T]) -> T:
    """The completion's JSON as `schema`, or ModelOutputError saying what is wrong with it.
    `completion` is the client's object or, from a Batch API output file, its JSON body."""
    if isinstance(completion, dict):
        from openai.types.chat import ChatCompletion

        try:
            completion = ChatCompletion.model_validate(completion)
        except ValidationError as exc:
            raise ModelOutputError(f"the result is not a chat completion: {_brief(exc)}") from None
    if not completion.choices:
        raise ModelOutputError("the completion has no choices")
    choice = completion.choices[0]
    content = choice.message.content or ""
    if getattr(choice.message, "refusal", None):
        raise ModelOutputError(f"model refused: {choice.message.refusal}")
    if choice.finish_reason == "length":
        raise ModelOutputError("model output was cut off (finish_reason=length)")
    try:
        return schema.model_validate_json(content)
    except ValidationError as exc:
        brief = _brief(exc)
        raise ModelOutputError(f"output does not match the schema: {brief}", content=content, brief=brief) from exc


def _is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError, openai.RateLimitError)):
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code == 429 or exc.status_code >= 500
    return isinstance(exc, ModelOutputError)


def _retry_after_s(exc: BaseException | None) -> float | None:
    response = getattr(exc, "response", None)
    if response is None:
        return None
    headers = response.headers
    if "retry-after-ms" in headers:
        try:
            return float(headers["retry-after-ms"]) / 1000
        except ValueError:
            return None
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        from email.utils import parsedate_to_datetime
        from datetime import datetime, timezone

        try:
            return max(0.0, (parsedate_to_datetime(value) - datetime.now(timezone.utc)).total_seconds())
        except (TypeError, ValueError):
            return None


def _make_wait(initial_s: float) -> Callable[[RetryCallState], float]:
    backoff = wait_random_exponential(multiplier=initial_s, max=30 * max(initial_s, 0.001))

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        server_says = _retry_after_s(exc)
        if server_says is not None:
            return server_says  # the deadline (`_make_stop`) decides whether it is worth waiting
        return backoff(state)

    return wait


def positive_seconds(text: str, where: str) -> float:
    """`text` as a positive number of seconds, or InputError naming `where` (a flag or variable)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise InputError(f"{where}: {text!r} is not a positive number of seconds")
    return value


class Deadline:
    """The wall-clock end of one model call, which every attempt, wait and HTTP phase shares."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def exceeded(self, detail: str) -> CallTimeoutError:
        return CallTimeoutError(f"no usable reply within the call's {self.seconds:g} s deadline (--timeout, GRADER_TIMEOUT): {detail}")


# The deadline of the call this thread is making: read by the HTTP client's hooks, which see only
# the request. Threads of a batch each make their own calls.
_active = threading.local()


def _active_deadline() -> Deadline | None:
    return getattr(_active, "deadline", None)


def _make_stop(max_attempts: int, deadline: Deadline) -> Callable[[RetryCallState], bool]:
    """Stop after `max_attempts`; end the call when the next wait would reach its deadline."""

    def stop(state: RetryCallState) -> bool:
        if state.upcoming_sleep >= deadline.remaining():
            exc = state.outcome.exception() if state.outcome else None
            last = f"the last attempt: {type(exc).__name__}: {exc}"
            asked = _retry_after_s(exc)
            if asked is not None and asked >= deadline.remaining():
                last = f"the endpoint asked to wait {asked:g} s before asking again ({type(exc).__name__})"
            raise deadline.exceeded(last) from exc
        return state.attempt_number >= max_attempts

    return stop


def _timeouts_within(timeouts: dict[str, float | None], remaining: float, phases=("connect", "read", "write", "pool")) -> dict[str, float | None]:
    """httpx's per-phase timeouts, none of them reaching past `remaining` seconds."""
    return {k: (min(v, remaining) if v is not None else remaining) if k in phases else v for k, v in timeouts.items()}


def _check_request(request) -> None:
    """httpx request hook: the request may not outlast the call's deadline in any phase."""
    deadline = _active_deadline()
    if deadline is None:
        return
    remaining = deadline.remaining()
    if remaining <= 0:
        raise _http.PoolTimeout("the call's deadline passed before the request was sent", request=request)
    request.extensions["timeout"] = _timeouts_within(request.extensions.get("timeout", {}), remaining)


class _BodyWithinDeadline(_http.SyncByteStream):
    """A reply's body that stops at the call's deadline: each byte a server trickles would restart
    httpx's read timeout, so the deadline is checked between the chunks as they arrive."""

    def __init__(self, stream, deadline: Deadline, request):
        self._stream, self._deadline, self._request = stream, deadline, request

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._stream:
            if self._deadline.remaining() <= 0:
                raise _http.ReadTimeout(f"the reply was still arriving at the call's {self._deadline.seconds:g} s deadline", request=self._request)
            yield chunk

    def close(self) -> None:
        self._stream.close()


def _check_response(response) -> None:
    """httpx response hook (the headers are in, the body is not): refuse a redirect, and hold the
    body to the call's deadline."""
    if response.has_redirect_location:
        raise EndpointRedirectError(_redirect_message(response))
    deadline = _active_deadline()
    if deadline is None:
        return
    # httpcore reads the body's timeouts when it starts on the body, which is after this hook.
    request = response.request
    request.extensions["timeout"] = _timeouts_within(request.extensions.get("timeout", {}), max(deadline.remaining(), 0.001), ("read",))
    response.stream = _BodyWithinDeadline(response.stream, deadline, request)


def _origin(url) -> tuple[str, str, int | None]:
    parts = urlsplit(str(url))
    return parts.scheme, (parts.hostname or "").lower(), parts.port or {"http": 80, "https": 443}.get(parts.scheme)


def _redirect_message(response) -> str:
    try:
        target = response.request.url.join(response.headers["location"])
    except _http.InvalidURL:
        return f"the endpoint redirected ({response.status_code}) to an address that is not a URL; redirects are not followed"
    shown = f"{target.scheme}://{target.netloc.decode('ascii')}{target.path}"
    if _origin(target) != _origin(response.request.url):
        return f"the endpoint redirected ({response.status_code}) to another host, {shown}; redirects are not followed, so nothing was sent there"
    return f"the endpoint redirected ({response.status_code}) to {shown}; redirects are not followed: give that address as --base-url"


class _HeadWithinDeadline(_http.BaseTransport):
    """A transport whose wait for the response's status line and headers ends at the call's
    deadline. A server that trickles them a byte at a time restarts the read timeout with each
    byte (the body is bounded between chunks by `_BodyWithinDeadline`), and the HTTP library has
    no total timeout: so the head is awaited in a helper thread, and at the deadline the call goes
    on without it. The helper closes a response that comes too late; a connection that never ends
    is left to the server's own timeout, outside the call."""

    def __init__(self, inner: _http.BaseTransport):
        self._inner = inner

    def handle_request(self, request):
        deadline = _active_deadline()
        if deadline is None:
            return self._inner.handle_request(request)
        outcome: dict[str, Any] = {}
        arrived, lock = threading.Event(), threading.Lock()

        def receive() -> None:
            try:
                response = self._inner.handle_request(request)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller as it is
                outcome["error"] = exc
                arrived.set()
                return
            with lock:
                if outcome.get("abandoned"):
                    response.close()
                    return
                outcome["response"] = response
            arrived.set()

        threading.Thread(target=receive, name="grader-http-head", daemon=True).start()
        if not arrived.wait(max(deadline.remaining(), 0.001)):
            with lock:
                if "response" not in outcome and "error" not in outcome:
                    outcome["abandoned"] = True
                    raise _http.ReadTimeout(f"no response head within the call's {deadline.seconds:g} s deadline", request=request)
        if "error" in outcome:
            raise outcome["error"]
        return outcome["response"]

    def close(self) -> None:
        self._inner.close()


def _guarded_http_client(http_client: Any = None):
    """The HTTP client under the openai client: openai's defaults (connection limits, environment
    proxies), but never following a redirect (openai's default client follows them), and holding
    every request to the deadline of the call that makes it (its head by `_HeadWithinDeadline`, its
    body by `_BodyWithinDeadline`)."""
    if http_client is None:
        from openai._constants import DEFAULT_CONNECTION_LIMITS

        transport = _HeadWithinDeadline(_http.HTTPTransport(limits=DEFAULT_CONNECTION_LIMITS))
        http_client = openai.DefaultHttpxClient(follow_redirects=False, transport=transport)
    client = http_client
    client.follow_redirects = False
    hooks = client.event_hooks
    client.event_hooks = {"request": [*hooks["request"], _check_request], "response": [_check_response, *hooks["response"]]}
    return client


def _describe_reply(reply: Any) -> str:
    """What a reply that is not a chat completion is, in a few words, for an error message."""
    if isinstance(reply, str):
        text = reply.strip()
        if not text:
            return "an empty body"
        kind = "an HTML page" if text[:1] == "<" else "text"
        return f"{kind}: {text[:80]!r}"
    if isinstance(reply, list):
        return f"a JSON list of {len(reply)} items"
    if reply is None or isinstance(reply, (int, float, bool)):
        return f"the JSON value {json.dumps(reply)}"
    choices = getattr(reply, "choices", None)
    if not isinstance(choices, list) or not choices:
        return "an object with no choices"
    return "a choice without a message"


def _chat_completion(reply: Any):
    """`reply` (what the openai client made of a 2xx body) if it is a chat completion with at least
    one choice that has a message; NotACompletionError otherwise."""
    from openai.types.chat import ChatCompletion, ChatCompletionMessage

    choices = getattr(reply, "choices", None) if isinstance(reply, ChatCompletion) else None
    if isinstance(choices, list) and choices and all(isinstance(getattr(c, "message", None), ChatCompletionMessage) for c in choices):
        return reply
    raise NotACompletionError(f"the endpoint's reply is not a chat completion: {_describe_reply(reply)}")


# Key shapes masked in every message, whichever key was configured: endpoints and proxies echo
# the Authorization header or the key in error bodies.
_KEY_SHAPES = [
    (re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+"), r"\1 ***"),
    (re.compile(r"\bsk-[A-Za-z0-9_-]{6,}"), "sk-***"),
]


def mask_secrets(text: str, *keys: str | None) -> str:
    """`text` with API keys masked: `keys`, the OPENAI_API_KEY in the environment, and anything
    shaped like a key (sk-…, Bearer …)."""
    for key in {*keys, os.environ.get("OPENAI_API_KEY")}:
        if key and len(key) >= 4:
            text = text.replace(key, "***")
    for pattern, replacement in _KEY_SHAPES:
        text = pattern.sub(replacement, text)
    return text


class ModelClient:
    """A chat-completions client with structured output, log-probabilities and one retry layer.
    A call that fails, after its retries, raises a ModelCallError (whatever failed under it)."""

    def __init__(self, settings: ModelSettings, *, http_client: Any = None, sleep: Callable[[float], None] = time.sleep):
        self.settings = settings
        self._sleep = sleep  # injectable so tests can check waits without waiting
        self._client = openai.OpenAI(
            base_url=settings.base_url,
            # Local servers need no key, but the client insists on one.
            api_key=settings.api_key or "no-key",
            max_retries=0,
            timeout=settings.timeout_s,
            http_client=_guarded_http_client(http_client),
        )
        # Servers that reject `json_schema` get `json_object` from then on.
        self.response_mode = "json_schema"

    @property
    def model(self) -> str:
        return self.settings.model or "default"

    def scrub(self, text: str) -> str:
        """`text` with the API key masked, for anything that may reach logs or reports."""
        return mask_secrets(text, self.settings.api_key)

    def check_endpoint(self) -> None:
        """Before many answers are graded: InputError when the base URL is not an OpenAI-compatible
        API (a web page, a redirect, a 404), so that a wrong --base-url fails once, not once per
        answer. It asks GET {base}/models, and where that is 404 one 1-token completion. A failure
        that says nothing about the URL (unreachable, a refused key, a 5xx) is left to the calls."""
        base = str(self._client.base_url).rstrip("/")
        not_api = f"{base}: this URL does not look like an OpenAI-compatible endpoint"
        hint = "check --base-url (OpenAI-compatible servers usually answer under .../v1)"
        with self._deadline():
            try:
                reply = self._client.get("/models", cast_to=_http.Response)
            except EndpointRedirectError as exc:
                raise InputError(f"{not_api}: GET {base}/models: {exc}") from None
            except openai.NotFoundError:
                reply = None
            except _FAILURES:
                return
            if reply is not None:
                try:
                    listing = reply.json()
                except ValueError:
                    listing = reply.text
                if not (isinstance(listing, dict) and isinstance(listing.get("data"), list)):
                    what = _describe_reply(listing) if not isinstance(listing, dict) else "a JSON object without a list of models"
                    raise InputError(f"{not_api}: GET {base}/models answered {what}; {hint}")
                return
            try:
                self._create(messages=[{"role": "user", "content": "Reply with OK."}], max_tokens=1)
            except (openai.NotFoundError, EndpointError) as exc:
                raise InputError(f"{not_api}: GET {base}/models and POST {base}/chat/completions answered {self.scrub(str(exc))}; {hint}") from None
            except _FAILURES:
                return

    @contextmanager
    def _deadline(self) -> Iterator[Deadline]:
        """One call's deadline, for the HTTP requests this thread makes inside the block (a call
        made inside another call keeps the outer one's)."""
        outer = _active_deadline()
        deadline = outer or Deadline(self.settings.timeout_s)
        _active.deadline = deadline
        try:
            yield deadline
        finally:
            _active.deadline = outer

    @contextmanager
    def _call(self, info: CallInfo | None = None) -> Iterator[Retrying]:
        """One model call: its retries (iterate them), all within one deadline. Whatever it fails
        with, after them, leaves it as a ModelCallError. `info`: the call's record, for the
        attempts and usage the error reports (without it, the attempts are counted here)."""
        with self._deadline() as deadline:
            retrying = Retrying(
                retry=retry_if_exception(_is_retryable),
                wait=_make_wait(self.settings.backoff_initial_s),
                stop=_make_stop(self.settings.max_attempts, deadline),
                sleep=self._sleep,
                reraise=True,
            )
            try:
                yield retrying
            except _FAILURES as exc:
                if type(exc) is ModelCallError:
                    raise
                attempts = info.attempts if info is not None else retrying.statistics.get("attempt_number", 0)
                raise self._call_error(exc, attempts, info.usage if info is not None else None) from exc

    def _call_error(self, exc: BaseException, attempts: int, usage: Usage | None) -> ModelCallError:
        """`exc`, the last failure of a call, as the ModelCallError its caller sees."""
        status = getattr(exc, "status_code", None)
        last = exc.last_response if isinstance(exc, ModelCallError) else None
        response = getattr(exc, "response", None)
        if last is None and isinstance(response, _http.Response):
            try:
                last = response.text
            except _http.ResponseNotRead:
                last = None
        return ModelCallError(
            self.scrub(str(exc)),
            kind=type(exc).__name__,
            attempts=attempts,
            last_response=self.scrub(last)[:LAST_RESPONSE_CHARS] if last else None,
            status=status if isinstance(status, int) else None,
            usage=usage,
        )

    def _create(self, *, response_format: dict[str, Any] | None = None, **kwargs: Any):
        extra_body: dict[str, Any] = {}
        if response_format is not None:
            # Sent as-is: the client walks typed parameters key by key, which for a JSON Schema
            # cost more CPU than the rest of a request (profiled in benchmarks/batch_throughput.py).
            extra_body["response_format"] = response_format
        if not self.settings.prompt_cache:
            extra_body["cache_prompt"] = False
        if extra_body:
            kwargs["extra_body"] = extra_body
        try:
            reply = self._client.chat.completions.create(
                model=self.model,
                temperature=self.settings.temperature,
                seed=self.settings.seed,
                **kwargs,
            )
        except json.JSONDecodeError as exc:  # a JSON content type over a body that is not JSON
            what = f"not JSON ({exc.msg}): {exc.doc[:80]!r}" if exc.doc.strip() else "an empty body"
            raise NotACompletionError(f"the endpoint's reply is not a chat completion: {what}") from None
        return _chat_completion(reply)

    @staticmethod
    def _record(info: CallInfo, completion: Any) -> None:
        info.model = completion.model or info.model
        info.system_fingerprint = completion.system_fingerprint or info.system_fingerprint
        if completion.usage:
            info.usage = info.usage.add(
                Usage(
                    prompt_tokens=completion.usage.prompt_tokens or 0,
                    completion_tokens=completion.usage.completion_tokens or 0,
                    calls=1,
                )
            )

    def complete_json(self, messages: list[dict[str, str]], schema: type[T], schema_name: str = "grade", info: CallInfo | None = None) -> tuple[T, CallInfo]:
        """Ask for one JSON object of `schema`; re-ask with the error when the output does not validate.
        `info`: the caller's record, filled in as calls are made, so a failure still counts them."""
        info = info if info is not None else CallInfo()
        conversation = list(messages)
        with self._call(info) as retrying:
            for attempt in retrying:
                with attempt:
                    info.attempts += 1
                    completion = self._create_structured(conversation, schema, schema_name)
                    self._record(info, completion)
                    try:
                        return parse_completion(completion, schema), info
                    except ModelOutputError as exc:
                        if exc.content is None:
                            raise
                        # Re-ask with the error, as instructor does; the next attempt sees what was wrong.
                        conversation = list(messages) + [
                            {"role": "assistant", "content": exc.content[:4000]},
                            {"role": "user", "content": f"That output is invalid: {exc.brief}. Reply with corrected JSON only."},
                        ]
                        raise
        raise AssertionError("unreachable")  # pragma: no cover

    def structured_request(self, messages: list[dict[str, str]], schema: type[BaseModel], schema_name: str = "grade") -> dict[str, Any]:
        """The chat-completions body `complete_json` sends first, for uploading to a provider's
        Batch API instead (`provider_batch`)."""
        return {
            "model": self.model,
            "temperature": self.settings.temperature,
            "seed": self.settings.seed,
            "max_tokens": self.settings.max_tokens,
            "messages": messages,
            "response_format": _json_schema_format(schema, schema_name),
        }

    # -------------------------------------------------------------- the provider's Batch API

    def submit_batch(self, requests: list[dict[str, Any]], metadata: dict[str, str]) -> str:
        """Upload `requests` (Batch API input lines) and start a batch; returns its id."""
        data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in requests).encode("utf-8")
        with self._call() as retrying:
            for attempt in retrying:
                with attempt:
                    uploaded = self._client.files.create(file=("grader-batch.jsonl", data, "application/jsonl"), purpose="batch")
        with self._call() as retrying:
            for attempt in retrying:
                with attempt:
                    batch = self._client.batches.create(
                        input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h", metadata=metadata
                    )
        return batch.id

    def batch_state(self, batch_id: str):
        """The provider's record of a batch (`status`, `output_file_id`, `error_file_id`, counts)."""
        with self._call() as retrying:
            for attempt in retrying:
                with attempt:
                    return self._client.batches.retrieve(batch_id)
        raise AssertionError("unreachable")  # pragma: no cover

    def batch_file_lines(self, file_id: str) -> list[dict[str, Any]]:
        """The JSON lines of a batch's output or error file."""
        with self._call() as retrying:
            for attempt in retrying:
                with attempt:
                    text = self._client.files.content(file_id).text
                    return [json.loads(line) for line in text.splitlines() if line.strip()]
        raise AssertionError("unreachable")  # pragma: no cover

    def _create_structured(self, messages: list[dict[str, str]], schema: type[BaseModel], name: str):
        if self.response_mode == "json_schema":
            try:
                return self._create(messages=messages, max_tokens=self.settings.max_tokens, response_format=_json_schema_format(schema, name))
            except openai.BadRequestError as exc:
                if "response_format" not in str(exc) and "json_schema" not in str(exc):
                    raise
                self.response_mode = "json_object"
        schema_hint = {"role": "system", "content": "Reply with one JSON object matching this JSON Schema: " + json.dumps(_json_schema(schema), ensure_ascii=False)}
        return self._create(
            messages=[messages[0], schema_hint, *messages[1:]],
            max_tokens=self.settings.max_tokens,
            response_format={"type": "json_object"},
        )

    def first_token_probabilities(self, messages: list[dict[str, str]], info: CallInfo | None = None) -> dict[str, float]:
        """The probabilities of the first generated token's top candidates (tokens stripped and
        case-folded, probabilities of tokens that fold together added); empty when the server
        gives no log-probabilities."""
        info = info if info is not None else CallInfo()
        with self._call(info) as retrying:
            for attempt in retrying:
                with attempt:
                    info.attempts += 1
                    completion = self._create(messages=messages, max_tokens=1, logprobs=True, top_logprobs=10)
                    self._record(info, completion)
                    logprobs = completion.choices[0].logprobs
                    probabilities: dict[str, float] = {}
                    if logprobs and logprobs.content:
                        for candidate in logprobs.content[0].top_logprobs:
                            token = candidate.token.strip().casefold()
                            probabilities[token] = probabilities.get(token, 0.0) + math.exp(candidate.logprob)
                    return probabilities
        raise AssertionError("unreachable")  # pragma: no cover

    def yes_probability(self, messages: list[dict[str, str]], yes: tuple[str, ...], no: tuple[str, ...], info: CallInfo | None = None) -> tuple[float | None, CallInfo]:
        """P(yes) / (P(yes) + P(no)) for the first generated token, read from `top_logprobs`.

        None when neither a yes nor a no token is among the top candidates (or the server gives no
        log-probabilities): the caller treats that as "the model could not say". `info`: as for
        `complete_json`.
        """
        info = info if info is not None else CallInfo()
        probabilities = self.first_token_probabilities(messages, info)
        p_yes = sum(p for token, p in probabilities.items() if token in yes)
        p_no = sum(p for token, p in probabilities.items() if token in no)
        if p_yes + p_no == 0:
            return None, info
        return p_yes / (p_yes + p_no), info


def _json_schema_format(schema: type[BaseModel], name: str) -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": name, "schema": _json_schema(schema), "strict": True}}


@functools.lru_cache(maxsize=1024)
def _json_schema(schema: type[BaseModel]) -> dict[str, Any]:
    """The JSON Schema of a response model, made once per model (it is the same for every answer)."""
    return schema.model_json_schema()


def _brief(exc: ValidationError) -> str:
    parts = [f"{'.'.join(map(str, e['loc'])) or 'root'}: {e['msg']}" for e in exc.errors()[:5]]
    return "; ".join(parts)
