"""Command line: `grader grade` and `grader eval`.

Exit codes: 0 ok, 2 bad input (rubric, question id, input file), 1 any other failure.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from .. import __version__
from ..batch import grade_jsonl
from ..errors import GraderError, InputError
from ..llm import MODEL_FAILURES, ModelSettings, mask_secrets
from ..redact import redact
from ..results import AnswerGrade
from ..rubric import load_rubric
from ..session import STRATEGIES, make_grader, open_client, resolve_strategy

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2


# Bad input named on the command line (kept as a name for the subcommand modules).
BadInput = InputError


def _model_options(parser: argparse.ArgumentParser) -> None:
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
    group.add_argument("--redact", action="store_true", help="mask names, phone, ID-card and bank-card numbers, e-mails in answers before grading")


def settings_from(args: argparse.Namespace) -> ModelSettings:
    """Model settings from flags and environment; also resolves `--strategy auto` in `args`."""
    extra = {"max_attempts": args.max_attempts, "prompt_cache": not args.no_prompt_cache}
    if args.seed is not None:
        extra["seed"] = args.seed
    settings = ModelSettings.from_env(base_url=args.base_url, model=args.model, **extra)
    args.strategy = resolve_strategy(args.strategy, settings)
    return settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grader", description="Grade written interview answers against a rubric.")
    parser.add_argument("--version", action="version", version=f"grader {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    grade = sub.add_parser("grade", help="grade one answer, or a JSONL file of answers")
    grade.add_argument("--rubric", required=True, type=Path)
    grade.add_argument("input", nargs="?", type=Path, help="JSONL of {id, question_id, answer} (batch mode)")
    grade.add_argument("-o", "--output", type=Path, help="batch mode: JSONL of results (resumes if it exists)")
    grade.add_argument("--question", help="question id (single-answer mode)")
    source = grade.add_mutually_exclusive_group()
    source.add_argument("--answer", help="the answer text")
    source.add_argument("--answer-file", type=Path, help="file holding the answer (UTF-8); default: stdin")
    grade.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    _model_options(grade)
    grade.set_defaults(func=cmd_grade)

    from ..evaluation import add_calibrate_parser, add_eval_parser

    add_eval_parser(sub, _model_options)
    add_calibrate_parser(sub)

    from ..datasets import add_data_parser

    add_data_parser(sub)

    from ..candidates import add_batch_parser
    from ..practice import add_check_parser
    from ..webapp import add_serve_parser

    add_batch_parser(sub, _model_options)
    add_check_parser(sub, _model_options)
    add_serve_parser(sub, _model_options)

    from ..rubric_import import add_rubric_parser

    add_rubric_parser(sub)

    from ..review_web import add_review_parser

    add_review_parser(sub)
    return parser


def _decode(raw: bytes, source: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise BadInput(f"{source}:{line}: answer is not valid UTF-8 (byte {exc.start})") from None
    if not text.replace("\x00", "").strip():
        raise BadInput(f"{source}: empty answer")
    return text


def _read_answer(args: argparse.Namespace) -> str:
    if args.answer is not None:
        # Bytes that are not UTF-8 reach argv as lone surrogates, which no endpoint can be sent.
        try:
            return _decode(args.answer.encode("utf-8", "surrogateescape"), "--answer")
        except UnicodeEncodeError as exc:
            raise BadInput(f"--answer: not valid text (character {exc.start})") from None
    if args.answer_file is not None:
        try:
            raw = args.answer_file.read_bytes()
        except OSError as exc:
            raise BadInput(f"{args.answer_file}: cannot read answer: {exc.strerror or exc}") from exc
        return _decode(raw, str(args.answer_file))
    if sys.stdin.isatty():
        print("Type or paste the answer, then Ctrl-D:", file=sys.stderr)
    return _decode(sys.stdin.buffer.read(), "<stdin>")


def cmd_grade(args: argparse.Namespace) -> int:
    rubric = load_rubric(args.rubric)
    if args.input is not None:
        if args.output is None:
            raise BadInput("batch mode needs -o OUT.jsonl")
        with open_client(settings_from(args)) as client:
            transform = redact if args.redact else (lambda text, names=(): text)
            summary = grade_jsonl(make_grader(args.strategy, client, rubric, keep_anchors=True), rubric, args.input, args.output, transform)
        print(summary.describe(), file=sys.stderr)
        return EXIT_BAD_INPUT if summary.bad_lines else (EXIT_FAILURE if summary.unscored else EXIT_OK)
    if not args.question:
        raise BadInput("give --question ID (or an INPUT.jsonl for batch mode)")
    try:
        question = rubric.question(args.question)
    except KeyError as exc:
        raise BadInput(f"{args.rubric}: {exc.args[0]}") from None
    answer = _read_answer(args)
    if args.redact:
        answer = redact(answer)
    with open_client(settings_from(args)) as client:
        result = make_grader(args.strategy, client, rubric, keep_anchors=True).grade(question, answer)
    if args.json:
        print(result.model_dump_json(indent=2))
    else:
        print(format_grade(result, rubric))
    return EXIT_OK if result.status == "scored" else EXIT_FAILURE


def format_grade(result: AnswerGrade, rubric) -> str:
    question = rubric.question(result.question_id)
    lines = [f"{question.id}  {question.prompt}"]
    if result.status == "unscored":
        lines.append(f"UNSCORED: {result.error}")
        return "\n".join(lines)
    lines.append(f"score {result.score:g} / {result.max_score:g}    model {result.model}, prompt {result.prompt_hash}")
    if result.flags:
        lines.append("flags: " + ", ".join(f.value for f in result.flags))
    lines.append("")
    for graded in result.points:
        point = question.point(graded.id)
        lines.append(f"{graded.id:<4}{graded.verdict.value:<9}{point.weight:>4g}  {point.text}")
        if graded.evidence:
            lines.append(f"{'':<17}evidence: “{graded.evidence}”")
        if graded.reason:
            lines.append(f"{'':<17}reason:   {graded.reason}")
        if graded.flags:
            said = f" (model said {graded.model_verdict.value})" if graded.model_verdict else ""
            lines.append(f"{'':<17}flags:    {', '.join(f.value for f in graded.flags)}{said}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)

    def fail(message: str, code: int) -> int:
        # Every error message is masked: an endpoint's error may echo the key or the Authorization header.
        print(mask_secrets(f"error: {message}"), file=sys.stderr)
        return code

    try:
        return args.func(args)
    except InputError as exc:  # rubric, table, answer file, run record, argument
        return fail(str(exc), EXIT_BAD_INPUT)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, FileExistsError, PermissionError) as exc:
        # A path the user gave that cannot be used: bad input, named.
        return fail(f"{exc.filename or ''}: {exc.strerror or exc}", EXIT_BAD_INPUT)
    except RecursionError:
        return fail("input nested too deeply", EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        print("interrupted; results written so far are kept", file=sys.stderr)
        return EXIT_FAILURE
    except (GraderError, *MODEL_FAILURES) as exc:  # the user gets one line, not a traceback
        return fail(f"{type(exc).__name__}: {exc}", EXIT_FAILURE)
    except Exception as exc:  # noqa: BLE001 - a bug: its traceback, masked, then the one line
        import traceback

        print(mask_secrets(traceback.format_exc()), file=sys.stderr, end="")
        return fail(f"internal error (a bug, please report it): {type(exc).__name__}: {exc}", EXIT_FAILURE)


if __name__ == "__main__":
    sys.exit(main())
