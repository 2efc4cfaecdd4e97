"""`grader batch`: many candidates' answers (CSV/XLSX/JSONL) into a ranked, explained report."""

from __future__ import annotations

import sys
from pathlib import Path

from ..recruiting.batch import BatchOptions, run_batch
from ..errors import InputError
from ..rubric.model import load_rubric
from ..recruiting.inputs import read_answers
from .options import add_model_options, model_options


def add_parser(sub) -> None:
    p = sub.add_parser("batch", help="grade many candidates' answers (CSV/XLSX/JSONL) into a ranked, explained report")
    p.add_argument("--rubric", required=True, type=Path)
    p.add_argument("input", type=Path, help="CSV (UTF-8 or GBK), XLSX or JSONL; long or wide format")
    p.add_argument("-o", "--output", required=True, type=Path, help="run folder (re-running resumes it)")
    p.add_argument("--concurrency", type=int, default=4, help="requests in flight (the offline model serves one at a time)")
    p.add_argument("--rpm", type=float, help="at most this many requests per minute")
    p.add_argument("--tpm", type=float, help="at most this many tokens per minute")
    p.add_argument("--price-in", type=float, default=0.0, help="USD per million prompt tokens, for the cost estimate")
    p.add_argument("--price-out", type=float, default=0.0, help="USD per million completion tokens")
    p.add_argument("--cache", type=Path, help="grade cache shared across runs (default: ~/.cache/grader/grades.sqlite)")
    p.add_argument("--cutoff", type=float, help="flag candidates whose total is within --margin of this cut-off for review")
    p.add_argument("--margin", type=float, default=5.0)
    p.add_argument("--workers", type=int, default=1, help="grading processes sharing --concurrency (for fast endpoints, where one process's CPU is the limit)")
    p.add_argument("--provider-batch", action="store_true", help="submit through the endpoint's Batch API (OpenAI: half price, up to 24 h); re-running resumes polling")
    p.add_argument("--poll-every", type=float, default=60.0, help="seconds between Batch API polls")
    p.add_argument("--max-wait", type=float, help="stop polling after this many seconds (re-run to collect)")
    add_model_options(p, examples=True)
    p.set_defaults(func=cmd_batch)


def cmd_batch(args) -> int:
    if args.output.exists() and not args.output.is_dir():
        raise InputError(f"{args.output}: is a file; -o names the run folder (it is created, or resumed)")
    rubric = load_rubric(args.rubric)
    answers, problems = read_answers(args.input, rubric)
    for problem in problems:
        print(f"input: {problem}", file=sys.stderr)
    options = BatchOptions(
        output=args.output,
        rubric_path=args.rubric,
        model=model_options(args),
        concurrency=args.concurrency,
        requests_per_minute=args.rpm,
        tokens_per_minute=args.tpm,
        prices_per_million=(args.price_in, args.price_out),
        cache=args.cache,
        cutoff=args.cutoff,
        margin=args.margin,
        workers=args.workers,
        provider_batch=args.provider_batch,
        poll_every=args.poll_every,
        max_wait=args.max_wait,
    )
    stats, paths = run_batch(options, rubric, answers, problems)
    print(stats.describe(), file=sys.stderr)
    if stats.stopped:
        print(f"{stats.stopped}; no reports written (the grades so far are kept in {args.output})", file=sys.stderr)
    for path in paths:
        print(f"wrote {path}", file=sys.stderr)
    return 2 if problems else (1 if stats.unscored or stats.stopped else 0)
