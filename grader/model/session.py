"""Opening a grading session: an endpoint from flags or environment, or the offline default."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..grading.strategies import Grader, StructuredGrader, YesNoGrader
from .client import ModelClient, ModelSettings
from ..errors import InputError
from ..rubric.model import Rubric
from ..recruiting.store import AnchorCache

STRATEGIES = {"structured": StructuredGrader, "yesno": YesNoGrader}
OFFLINE_DEFAULT_STRATEGY = "yesno"


@dataclass(frozen=True)
class ModelOptions:
    """Which model grades, and how: what the command line's model flags say. Unset fields fall
    back to the environment (GRADER_BASE_URL, GRADER_MODEL, OPENAI_API_KEY); none of them means
    the bundled offline model."""

    base_url: str | None = None
    model: str | None = None
    strategy: str = "auto"  # or one of STRATEGIES
    seed: int | None = None  # None: the fixed default seed
    max_attempts: int = 4
    prompt_cache: bool = True
    redact: bool = False  # mask personal data in answers before grading
    timeout_s: float | None = None  # one call's deadline; None: GRADER_TIMEOUT, else the default
    examples: Path | None = None  # structured strategy: labelled samples shown as few-shot examples

    def examples_for(self, rubric: Rubric, strategy: str) -> dict | None:
        """The few-shot examples by question id (masked with `redact`), or None without --examples."""
        if self.examples is None:
            return None
        if strategy != "structured":
            raise InputError(f"--examples: few-shot examples are for the structured strategy (this run uses {strategy})")
        from ..grading.examples import load_examples
        from ..grading.redact import redact

        return load_examples(self.examples, rubric, redact if self.redact else (lambda text: text))

    def settings(self) -> ModelSettings:
        extra = {"max_attempts": self.max_attempts, "prompt_cache": self.prompt_cache}
        if self.seed is not None:
            extra["seed"] = self.seed
        if self.timeout_s is not None:
            extra["timeout_s"] = self.timeout_s
        return ModelSettings.from_env(base_url=self.base_url, model=self.model, **extra)

    def strategy_for(self, settings: ModelSettings) -> str:
        """The strategy, with `auto` resolved for these settings."""
        return resolve_strategy(self.strategy, settings)


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


def resolve_strategy(strategy: str, settings: ModelSettings) -> str:
    """`auto`: the structured call for a configured endpoint (strong hosted models follow it well);
    per-point yes/no log-probabilities for the small offline model, whose argmax verdicts are
    nearly all "covered" (see README, "Measured agreement")."""
    if strategy != "auto":
        return strategy
    return "structured" if settings.is_configured else OFFLINE_DEFAULT_STRATEGY


def make_grader(strategy: str, client: ModelClient, rubric: Rubric, *, redact: bool = False, keep_anchors: bool = False, examples: dict | None = None) -> Grader:
    """`redact`: the grader masks personal data in every answer before it is sent (`--redact`).
    `keep_anchors`: keep the yes/no grader's point anchors in the user's cache folder, so that
    a one-shot grade on the bundled model asks them once per machine, not once per process. Off
    for evals: there every run asks its own anchors, so that its requests, and with the prompt
    cache its probabilities, are the same on a fresh machine. Off too without the prompt cache
    (bit-exact reproduction): kept anchors were measured with it."""
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r} (known: {', '.join(STRATEGIES)})")
    if strategy == "yesno" and keep_anchors and client.settings.pinned_weights and client.settings.prompt_cache:
        from .local_model import cache_dir

        cache = AnchorCache(cache_dir() / "anchors.sqlite", f"{client.model}@{client.settings.pinned_weights}")
        return YesNoGrader(client, rubric, anchor_cache=cache, redact=redact)
    if examples:
        return StructuredGrader(client, rubric, examples, redact=redact)
    return STRATEGIES[strategy](client, rubric, redact=redact)
