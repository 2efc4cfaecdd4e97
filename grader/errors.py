"""The errors the grader raises on purpose, in one hierarchy.

    GraderError
    ├── InputError          a file or argument the user gave cannot be used (message: file:line: field)
    │   ├── RubricError     ... a rubric
    │   ├── TableError      ... a table of answers as a whole
    │   └── ReviewError     ... a review that cannot be saved (unknown answer, points or verdicts)
    ├── ModelOutputError    the model answered, but not with what was asked
    ├── EndpointError       the endpoint's reply cannot be used, and asking again would not help
    │   ├── EndpointRedirectError  ... it redirected (never followed)
    │   ├── NotACompletionError    ... it is not a chat completion
    │   └── CallTimeoutError       ... none came within the call's deadline (--timeout)
    ├── LocalModelError     the bundled offline model cannot be set up or run
    ├── StorageError        a file or store of results cannot be written (a full disk, an I/O error)
    └── WorkerError         a batch worker process failed (its errors, as text)

The command line maps InputError to exit code 2 and any other GraderError to 1. Grading leaves an
answer unscored only for a model's failure (`grader.model.client.MODEL_FAILURES`); anything else is a bug
and propagates.
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


class ReviewError(InputError):
    """A review that cannot be saved (an unknown answer, points or verdicts); the message says why."""


class ModelOutputError(GraderError):
    """The model answered, but not with what was asked (bad JSON, wrong shape, cut off, refusal).
    For output of the wrong shape, `content` and `brief` (the validation error) let the caller
    re-ask the model."""

    def __init__(self, message: str, *, content: str | None = None, brief: str | None = None):
        super().__init__(message)
        self.content, self.brief = content, brief


class LocalModelError(GraderError, RuntimeError):
    """The bundled offline model cannot be assembled, loaded or run."""


class StorageError(GraderError):
    """A file or store of results cannot be written (a full disk, an I/O error); the message names
    it. What was written before stays as it was."""


class WorkerError(GraderError, RuntimeError):
    """A batch worker process failed; the message carries each worker's error."""


class EndpointError(GraderError):
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
