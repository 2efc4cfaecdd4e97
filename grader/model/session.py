"""Opening a model: a client for the configured endpoint, or the bundled offline model started
for the block and stopped after it. Which strategy grades with it is grading's business
(grader/grading/session.py)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from .client import ModelClient, ModelSettings


@contextmanager
def open_client(settings: ModelSettings, *, quiet: bool = False) -> Iterator[ModelClient]:
    """A model client; with no endpoint configured, the bundled model is started and stopped here."""
    if settings.is_configured:
        yield ModelClient(settings)
        return
    from dataclasses import replace

    from .local_model import QWEN_CODER_1_5B, LocalModelServer, announce

    if not quiet:
        announce(QWEN_CODER_1_5B)
    with LocalModelServer(QWEN_CODER_1_5B) as server:
        local = replace(settings, base_url=server.base_url, model=settings.model or QWEN_CODER_1_5B.name, pinned_weights=QWEN_CODER_1_5B.sha256)
        yield ModelClient(local)
