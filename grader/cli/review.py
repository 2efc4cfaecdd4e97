"""`grader review`: review a batch run's grades in a local page, or export the reviews as samples."""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import InputError
from ..recruiting.review import ReviewRun
from ..recruiting.review_web import ReviewApp
from ..web import serve


def add_parser(sub) -> None:
    p = sub.add_parser(
        "review",
        help="review a batch run's grades in a local page (grader review RUN_DIR), or export the reviews as samples (grader review export RUN_DIR -o samples.jsonl)",
    )
    p.add_argument("target", nargs="+", metavar="[export] RUN_DIR", help="the run folder of `grader batch -o`; `export RUN_DIR` writes the reviewed answers as hand-graded samples")
    p.add_argument("-o", "--output", type=Path, help="export: the samples file (JSONL) to write, outside the run folder")
    p.add_argument("--force", action="store_true", help="export: replace the samples file if it exists")
    p.add_argument("--port", type=int, default=8001)
    p.add_argument("--rubric", type=Path, help="the run's rubric (default: the one run.json names)")
    p.add_argument("--cutoff", type=float, help="answers of candidates within --margin of this total come after the flagged ones (default: the run's --cutoff)")
    p.add_argument("--margin", type=float)
    p.add_argument("--reviewer", help="your name, kept with each review")
    p.set_defaults(func=cmd_review)


def cmd_review(args) -> int:
    target = args.target
    if target[0] == "export" and len(target) == 2:
        if args.output is None:
            raise InputError("grader review export RUN_DIR needs -o samples.jsonl")
        run = ReviewRun.open(Path(target[1]), args.rubric, args.cutoff, args.margin)
        count = run.export(args.output, force=args.force)
        if not count:
            print(f"error: {run.run_dir} has no reviews yet: nothing written to {args.output}", file=sys.stderr)
            return 1
        print(f"wrote {count} reviewed answers to {args.output}", file=sys.stderr)
        return 0
    if len(target) != 1:
        raise InputError("usage: grader review RUN_DIR [--port 8001] | grader review export RUN_DIR -o samples.jsonl")
    run = ReviewRun.open(Path(target[0]), args.rubric, args.cutoff, args.margin)
    app = ReviewApp(run, reviewer=args.reviewer)
    items = run.items()
    print(
        f"reviewing {len(items)} answers of {run.run_dir} ({sum(i.review is not None for i in items)} reviewed) on http://127.0.0.1:{args.port}/  (Ctrl-C to stop)",
        file=sys.stderr,
    )
    serve(app.asgi(), "127.0.0.1", args.port)
    return 0
