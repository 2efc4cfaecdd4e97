"""A grading session: the one sequence every command goes through, options -> settings ->
strategy -> client -> grader (`open_session`), and the one place a strategy is picked and wired
to its client, caches and examples (`make_grader`). Strategies register themselves
(`strategies.register_strategy`); nothing here names one but the offline default."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..errors import InputError
from ..model.client import ModelClient, ModelSettings
from ..model.session import open_client
from ..rubric.model import Rubric
from .anchors import AnchorCache
from .strategies import STRATEGIES, ModelGrader

__all__ = ["ModelOptions", "Session", "open_session", "open_client", "make_grader", "resolve_strategy", "STRATEGIES"]

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
        if not STRATEGIES[strategy].capabilities.few_shot:
            raise InputError(f"--examples: few-shot examples are for a strategy that takes them, such as the structured strategy (this run uses {strategy})")
        from .examples import load_examples
        from .redact import redact

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


def resolve_strategy(strategy: str, settings: ModelSettings) -> str:
    """`auto`: the structured call for a configured endpoint (strong hosted models follow it well);
    per-point yes/no log-probabilities for the small offline model, whose argmax verdicts are
    nearly all "covered" (see README, "Measured agreement")."""
    if strategy != "auto":
        return strategy
    return "structured" if settings.is_configured else OFFLINE_DEFAULT_STRATEGY


def make_grader(strategy: str, client: ModelClient, rubric: Rubric, *, redact: bool = False, keep_anchors: bool = False, examples: dict | None = None) -> ModelGrader:
    """`redact`: the grader masks personal data in every answer before it is sent (`--redact`).
    `keep_anchors`: keep the point anchors of a strategy that reads them in the user's cache
    folder, so that a one-shot grade on the bundled model asks them once per machine, not once per
    process. Off for evals: there every run asks its own anchors, so that its requests, and with
    the prompt cache its probabilities, are the same on a fresh machine. Off too without the prompt
    cache (bit-exact reproduction): kept anchors were measured with it. `examples`: reviewed
    answers by question id, for a strategy that takes few-shot examples."""
    if strategy not in STRATEGIES:
        raise InputError(f"unknown strategy {strategy!r} (known: {', '.join(sorted(STRATEGIES))})")
    kind = STRATEGIES[strategy]
    extra: dict = {}
    if kind.capabilities.anchors and keep_anchors and client.settings.pinned_weights and client.settings.prompt_cache:
        from ..model.local_model import cache_dir

        extra["anchor_cache"] = AnchorCache(cache_dir() / "anchors.sqlite", f"{client.model}@{client.settings.pinned_weights}")
    if examples and kind.capabilities.few_shot:
        extra["examples"] = examples
    return kind(client, rubric, redact=redact, **extra)


@dataclass
class Session:
    """An open client and the grader built on it, with what chose them."""

    options: ModelOptions
    settings: ModelSettings
    strategy: str
    client: ModelClient
    grader: ModelGrader
    rubric: Rubric
    examples: dict | None = None
    keep_anchors: bool = False

    def new_grader(self, client: ModelClient | None = None) -> ModelGrader:
        """Another grader like this one (a worker thread's or process's), on `client`."""
        return make_grader(self.strategy, client or self.client, self.rubric, redact=self.options.redact, keep_anchors=self.keep_anchors, examples=self.examples)


@contextmanager
def open_session(options: ModelOptions, rubric: Rubric, *, keep_anchors: bool = False, check_endpoint: bool = False, quiet: bool = False) -> Iterator[Session]:
    """Settings from the options, the strategy for them, a client (the bundled model started for
    the block where no endpoint is configured) and its grader. `check_endpoint`: before a run of
    many answers, make sure a configured URL is an OpenAI-compatible endpoint at all."""
    settings = options.settings()
    strategy = options.strategy_for(settings)
    if strategy not in STRATEGIES:
        raise InputError(f"unknown strategy {strategy!r} (known: {', '.join(sorted(STRATEGIES))})")
    examples = options.examples_for(rubric, strategy)
    with open_client(settings, quiet=quiet) as client:
        if check_endpoint and settings.is_configured:  # a wrong --base-url fails here, not once per answer
            client.check_endpoint()
        grader = make_grader(strategy, client, rubric, redact=options.redact, keep_anchors=keep_anchors, examples=examples)
        yield Session(options, settings, strategy, client, grader, rubric, examples, keep_anchors)
