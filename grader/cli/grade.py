"""`grader grade`: one answer (a table of verdicts, or --json), or a JSONL file of answers."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..grading.session import open_session
from ..recruiting.grade_file import grade_jsonl
from ..errors import InputError, UnknownIdError
from ..grading.redact import redact
from ..grading.results import AnswerGrade
from ..rubric.model import load_rubric
from .options import add_model_options, model_options

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2


def add_parser(sub) -> None:
    grade = sub.add_parser("grade", help="grade one answer, or a JSONL file of answers")
    grade.add_argument("--rubric", required=True, type=Path)
    grade.add_argument("input", nargs="?", type=Path, help="JSONL of {id, question_id, answer} (batch mode)")
    grade.add_argument("-o", "--output", type=Path, help="batch mode: JSONL of results (resumes if it exists)")
    grade.add_argument("--question", help="question id (single-answer mode)")
    source = grade.add_mutually_exclusive_group()
    source.add_argument("--answer", help="the answer text")
    source.add_argument("--answer-file", type=Path, help="file holding the answer (UTF-8); default: stdin")
    grade.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    add_model_options(grade)
    grade.set_defaults(func=cmd_grade)


def _decode(raw: bytes, source: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(f"{source}:{line}: answer is not valid UTF-8 (byte {exc.start})") from None
    if not text.replace("\x00", "").strip():
        raise InputError(f"{source}: empty answer")
    return text


def _read_answer(args: argparse.Namespace) -> str:
    if args.answer is not None:
        # Bytes that are not UTF-8 reach argv as lone surrogates, which no endpoint can be sent.
        try:
            return _decode(args.answer.encode("utf-8", "surrogateescape"), "--answer")
        except UnicodeEncodeError as exc:
            raise InputError(f"--answer: not valid text (character {exc.start})") from None
    if args.answer_file is not None:
        try:
            raw = args.answer_file.read_bytes()
        except OSError as exc:
            raise InputError(f"{args.answer_file}: cannot read answer: {exc.strerror or exc}") from exc
        return _decode(raw, str(args.answer_file))
    if sys.stdin.isatty():
        print("Type or paste the answer, then Ctrl-D:", file=sys.stderr)
    return _decode(sys.stdin.buffer.read(), "<stdin>")


def cmd_grade(args: argparse.Namespace) -> int:
    rubric = load_rubric(args.rubric)
    options = model_options(args)
    if args.input is not None:
        if args.output is None:
            raise InputError("batch mode needs -o OUT.jsonl")
        with open_session(options, rubric, keep_anchors=True, check_endpoint=True) as session:
            # The grader masks what any answer may hold; the records' name fields say whose it is.
            transform = redact if options.redact else (lambda text, names=(): text)
            summary = grade_jsonl(session.grader, rubric, args.input, args.output, transform)
        for problem in summary.problems:
            print(f"input: {problem}", file=sys.stderr)
        print(summary.describe(), file=sys.stderr)
        if summary.stopped:
            print(summary.stopped, file=sys.stderr)
        return EXIT_BAD_INPUT if summary.problems else (EXIT_FAILURE if summary.unscored or summary.stopped else EXIT_OK)
    if not args.question:
        raise InputError("give --question ID (or an INPUT.jsonl for batch mode)")
    try:
        question = rubric.question(args.question)
    except UnknownIdError as exc:
        raise InputError(f"{args.rubric}: {exc}") from None
    answer = _read_answer(args)
    with open_session(options, rubric, keep_anchors=True) as session:
        result = session.grader.grade(question, answer)
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
    if result.review_reasons:
        lines.append("needs review: " + ", ".join(f.value for f in result.review_reasons))
    if result.removed_text:
        without = "unscored" if result.score_without_removal is None else f"{result.score_without_removal:g}"
        lines.append(f"removed before grading (addressed to the grader): {' | '.join(result.removed_text)}")
        lines.append(f"score of the answer as written: {without} / {result.max_score:g}")
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
