"""`grader check`: practise one question, and see what the answer misses."""

from __future__ import annotations

import sys
from pathlib import Path

from ..grading.session import open_session
from ..errors import InputError, UnknownIdError
from ..practice.feedback import UI_TEXT, AttemptLog, feedback, format_feedback
from ..rubric.model import Question, Rubric, load_rubric
from .options import add_model_options, model_options


def add_parser(sub) -> None:
    p = sub.add_parser("check", help="practise: grade your own answer to one question and see what it misses")
    p.add_argument("--rubric", required=True, type=Path)
    p.add_argument("--question", help="question id (default: pick from a list)")
    p.add_argument("--answer-file", type=Path, help="read the answer from a file instead of typing it")
    p.add_argument("--reveal", action="store_true", help="after grading, show the full rubric points")
    add_model_options(p)
    p.set_defaults(func=cmd_check)


def _pick_question(rubric: Rubric) -> Question:
    questions = list(rubric.questions())
    for section in rubric.sections:
        print(f"\n{section.title}")
        for q in section.questions:
            print(f"  {questions.index(q) + 1:>2}. [{q.id}] {q.prompt}")
    while True:
        choice = input(f"\n{UI_TEXT[rubric.language]['pick']} (1-{len(questions)} / id): ").strip()
        if choice.isdigit() and 1 <= int(choice) <= len(questions):
            return questions[int(choice) - 1]
        for q in questions:
            if q.id == choice:
                return q


def cmd_check(args) -> int:
    rubric = load_rubric(args.rubric)
    try:
        question = rubric.question(args.question) if args.question else _pick_question(rubric)
    except UnknownIdError as exc:
        raise InputError(f"{args.rubric}: {exc}") from None
    print(f"\n{question.prompt}")
    if args.answer_file:
        answer = args.answer_file.read_text(encoding="utf-8")
    else:
        print(f"{UI_TEXT[rubric.language]['answer']} (Ctrl-D / an empty line twice to finish):", file=sys.stderr)
        lines: list[str] = []
        while True:
            try:
                line = input()
            except EOFError:
                break
            if not line and lines and not lines[-1]:
                break
            lines.append(line)
        answer = "\n".join(lines).strip()
    if not answer.strip():
        raise InputError(UI_TEXT[rubric.language]["empty"])
    log = AttemptLog()
    options = model_options(args)
    with open_session(options, rubric, keep_anchors=True) as session:
        grade = session.grader.grade(question, answer)
    log.add(rubric, question.id, answer, grade)
    print()
    print(format_feedback(feedback(question, grade, reveal=args.reveal), rubric.language, log.history(rubric, question.id)))
    return 0 if grade.status == "scored" else 1
