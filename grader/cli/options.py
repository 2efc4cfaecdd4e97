"""The model flags every grading command shares, and the typed options they become."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import InputError
from ..model.client import DEFAULT_TIMEOUT_S, positive_seconds
from ..grading.session import STRATEGIES, ModelOptions


def add_model_options(parser: argparse.ArgumentParser, examples: bool = False) -> None:
    """The model flags; `examples`: also --examples (the commands that pass it on: batch, eval)."""
    group = parser.add_argument_group("model", "Any OpenAI-compatible endpoint; none means the bundled offline model.")
    group.add_argument("--base-url", help="endpoint base URL (env GRADER_BASE_URL); the key comes from OPENAI_API_KEY")
    group.add_argument("--model", help="model name (env GRADER_MODEL)")
    group.add_argument(
        "--strategy",
        default="auto",
        choices=["auto", *sorted(STRATEGIES)],
        help="grading strategy; auto = structured for a configured endpoint, yesno for the offline model",
    )
    group.add_argument("--seed", type=int, default=None, help="sampling seed (default: fixed)")
    group.add_argument("--max-attempts", type=int, default=4, help="attempts per answer before it is left unscored")
    group.add_argument("--no-prompt-cache", action="store_true", help="ask the server not to reuse cached prompts (bit-exact reproduction, slower)")
    group.add_argument("--redact", action="store_true", help="mask names, phone, ID, bank-card and passport numbers, e-mails, WeChat/QQ ids and addresses in answers before they are sent")
    group.add_argument(
        "--timeout",
        type=_timeout,
        metavar="SECONDS",
        help=f"most seconds one model call may take, retries and waits included (env GRADER_TIMEOUT; default {DEFAULT_TIMEOUT_S:g})",
    )
    if examples:
        group.add_argument("--examples", type=Path, metavar="SAMPLES", help="structured strategy: reviewed answers (JSONL samples, e.g. from `grader review export`) shown to the model as few-shot examples, the 3 nearest per answer; they are sent to the endpoint (masked with --redact)")


def _timeout(text: str) -> float:
    try:
        return positive_seconds(text, "--timeout")
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def model_options(args: argparse.Namespace) -> ModelOptions:
    return ModelOptions(
        base_url=args.base_url,
        model=args.model,
        strategy=args.strategy,
        seed=args.seed,
        max_attempts=args.max_attempts,
        prompt_cache=not args.no_prompt_cache,
        redact=args.redact,
        timeout_s=args.timeout,
        examples=getattr(args, "examples", None),
    )
