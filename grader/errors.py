"""The errors the grader raises on purpose, in one hierarchy.

    GraderError
    ├── InputError          a file or argument the user gave cannot be used (message: file:line: field)
    │   ├── RubricError     ... a rubric
    │   ├── TableError      ... a table of answers as a whole
    │   ├── UnknownIdError  ... an id the rubric does not have (a question, a point)
    │   └── ReviewError     ... a review that cannot be saved (unknown answer, points or verdicts)
    ├── ModelCallError      a model call failed, after its retries: what every model call raises
    │   ├── ModelOutputError       ... the model answered, but not with what was asked
    │   └── EndpointError          ... the endpoint's reply cannot be used, and asking again would not help
    │       ├── EndpointRedirectError  ... it redirected (never followed)
    │       ├── NotACompletionError    ... it is not a chat completion
    │       └── CallTimeoutError       ... none came within the call's deadline (--timeout)
    ├── LocalModelError     the bundled offline model cannot be set up or run
    ├── StorageError        a file or store of results cannot be written (a full disk, an I/O error)
    └── WorkerError         a batch worker process failed (its errors, as text)

The command line maps InputError to exit code 2 and any other GraderError to 1. Grading leaves an
answer unscored only for a model's failure (a ModelCallError); anything else is a bug and propagates.
The model client (grader/model/client.py) raises a plain ModelCallError whatever failed, the openai,
httpx and pydantic errors under it included; its subclasses are what the client raises inside a call,
and what a Batch API result that cannot be used raises (`parse_completion`).
"""

from __future__ import annotations


class GraderError(Exception):
    """Base of every error the grader raises on purpose."""


class InputError(GraderError, ValueError):
    """An input that cannot be used; the message says where (file, line, field)."""


class RubricError(InputError):
    """A rubric file that cannot be used; the message names file, line, question and field."""


class TableError(InputError):
    """A table of answers that cannot be read as a whole."""


class UnknownIdError(InputError):
    """An id (of a question, a point, a section) that the rubric does not have; the message names it
    and the ids there are."""


class ReviewError(InputError):
    """A review that cannot be saved (an unknown answer, points or verdicts); the message says why."""


class ModelCallError(GraderError):
    """A model call failed, after its retries: the endpoint or the transport failed, its reply was
    not a chat completion, or the model's output could not be used. Like instructor's
    InstructorRetryException, it carries what a caller needs to report or account for it:

    `kind`: what failed last, the underlying error's class name (RateLimitError, CallTimeoutError,
    ModelOutputError, ...), which reports count failures by; `attempts`: the requests sent;
    `last_response` and `status`: the last reply's text (secrets masked, cut short) and HTTP status,
    where there was one; `usage`: what the attempts cost (a grader.model.usage.Usage, or None where
    the call counts none). The underlying error is chained as `__cause__`."""

    def __init__(self, message: str, *, kind: str | None = None, attempts: int = 0, last_response: str | None = None, status: int | None = None, usage: object | None = None):
        super().__init__(message)
        self.kind = kind or type(self).__name__
        self.attempts, self.last_response, self.status, self.usage = attempts, last_response, status, usage

    def describe(self) -> str:
        """"KIND: message", as an unscored grade's error and the command line show it."""
        return f"{self.kind}: {self}"


class ModelOutputError(ModelCallError):
    """The model answered, but not with what was asked (bad JSON, wrong shape, cut off, refusal).
    For output of the wrong shape, `content` and `brief` (the validation error) let the caller
    re-ask the model."""

    def __init__(self, message: str, *, content: str | None = None, brief: str | None = None):
        super().__init__(message, last_response=content)
        self.content, self.brief = content, brief


class LocalModelError(GraderError, RuntimeError):
    """The bundled offline model cannot be assembled, loaded or run."""


class StorageError(GraderError):
    """A file or store of results cannot be written (a full disk, an I/O error); the message names
    it. What was written before stays as it was."""


class WorkerError(GraderError, RuntimeError):
    """A batch worker process failed; the message carries each worker's error."""


class EndpointError(ModelCallError):
    """The endpoint's reply cannot be used, and asking again would not help; the answer is left
    unscored with this reason."""


class EndpointRedirectError(EndpointError):
    """The endpoint answered with a redirect. Redirects are never followed: the request carries a
    candidate's answer, and the address it points to is not the one the user configured."""


class NotACompletionError(EndpointError):
    """A 2xx reply that is not a chat completion (an HTML page, a JSON list, an empty body, a
    choice without a message): usually a wrong --base-url or a broken proxy."""


class CallTimeoutError(EndpointError):
    """No usable reply within the call's deadline (--timeout), attempts and waits included."""
