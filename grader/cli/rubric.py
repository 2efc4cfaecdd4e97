"""`grader rubric import|show|check|diff`."""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import GraderError, InputError, ModelCallError, RubricError
from ..rubric.model import load_rubric
from ..rubric.importer import import_rubric, rubric_diff, rubric_show, rubric_summary, write_rubric_safely


def add_parser(sub) -> None:
    p = sub.add_parser("rubric", help="import, show, check and diff rubrics")
    rsub = p.add_subparsers(dest="rubric_command", required=True)
    imp = rsub.add_parser("import", help="turn a question bank (.txt .md .docx .pdf .xlsx .csv) into a rubric; prints what it found and where")
    imp.add_argument("file", type=Path)
    imp.add_argument("-o", "--output", type=Path, required=True)
    imp.add_argument("--id", help="rubric id (default: the file name)")
    imp.add_argument("--script", choices=["simplified", "traditional", "keep"], default="simplified")
    imp.add_argument("--force", action="store_true", help="replace the output file if it exists")
    imp.add_argument("--llm", action="store_true", help="where the rules find no questions, ask the model at --base-url to extract them "
                     "(points must occur in the document; each question is marked for review). Needs an endpoint: the offline model is not offered")
    imp.add_argument("--base-url", help="endpoint for --llm (env GRADER_BASE_URL); the key comes from OPENAI_API_KEY")
    imp.add_argument("--model", help="model name for --llm (env GRADER_MODEL)")
    imp.set_defaults(func=cmd_import)
    show = rsub.add_parser("show", help="each question with its points and weights, in order, to confirm an import")
    show.add_argument("file", type=Path)
    show.set_defaults(func=cmd_show)
    check = rsub.add_parser("check", help="validate a rubric and summarise it, with warnings")
    check.add_argument("file", type=Path)
    check.set_defaults(func=cmd_check_rubric)
    diff = rsub.add_parser("diff", help="what changed between two rubric versions")
    diff.add_argument("old", type=Path)
    diff.add_argument("new", type=Path)
    diff.set_defaults(func=cmd_diff)


def cmd_import(args) -> int:
    result = import_rubric(args.file, args.id, args.script, _extraction_model(args) if args.llm else None)
    questions = sum(len(s["questions"]) for s in result.rubric["sections"])
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if not questions:
        raise RubricError(f"{args.file}: no questions found (no numbered questions or table rows with an answer block under them; "
                          f"the layouts read are listed in docs/rubric-import.md); {args.output} not written")
    print(f"found in {args.file}:")
    print("\n".join(f"  {line}" for line in result.found))
    write_rubric_safely(result, args.output, args.force)
    for repair in result.repairs:
        print(f"repaired {repair}", file=sys.stderr)
    for problem in result.unrepaired:
        print(f"UNREPAIRED {problem}", file=sys.stderr)
    print(f"wrote {args.output}: {len(result.rubric['sections'])} sections, {questions} questions; {len(result.repairs)} repairs, "
          f"{len(result.unrepaired)} to review, {len(result.warnings)} warnings (check them: `grader rubric show {args.output}`)")
    return 0


def _extraction_model(args):
    """`ask(messages, schema)` on the configured endpoint. The offline model is not offered: its
    extraction has not been measured on the bank corpus (tests/data/banks)."""
    from ..model.client import ModelClient, ModelSettings

    settings = ModelSettings.from_env(args.base_url, args.model, max_tokens=8000)
    if not settings.base_url:
        raise InputError("--llm needs an endpoint (--base-url or GRADER_BASE_URL); the offline model is not offered for extraction")
    client = ModelClient(settings)

    def ask(messages, schema):
        try:
            return client.complete_json(messages, schema, "question_bank")[0]
        except ModelCallError as exc:
            raise GraderError(f"--llm: the model at {settings.base_url} failed to extract the bank: {client.scrub(str(exc))}; nothing written") from None

    return ask


def cmd_show(args) -> int:
    print(rubric_show(load_rubric(args.file)))
    return 0


def cmd_check_rubric(args) -> int:
    print(rubric_summary(load_rubric(args.file)))
    return 0


def cmd_diff(args) -> int:
    changes = rubric_diff(load_rubric(args.old), load_rubric(args.new))
    print("\n".join(changes) if changes else "no differences in questions or points")
    return 0
