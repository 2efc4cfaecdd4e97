"""`grader data`: import public human-graded data sets as a rubric and samples."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..rubric.datasets import import_reference_set, import_semeval


def add_parser(sub) -> None:
    p = sub.add_parser("data", help="import public human-graded data sets as rubric + samples")
    p.add_argument("format", choices=["semeval", "saf", "sas"], help="semeval: SemEval-2013 Task 7 merged JSONL (SciEntsBank, Beetle); saf: SAF merged JSONL; sas: SAS-Datasets normalized JSONL")
    p.add_argument("path", type=Path)
    p.add_argument("--out", type=Path, required=True, help="folder for rubric.yaml and samples.jsonl (outside the project)")
    p.add_argument("--limit", type=int, help="a random sample of N answers (seeded)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_data)


def cmd_data(args: argparse.Namespace) -> int:
    importer = import_semeval if args.format == "semeval" else import_reference_set
    rubric_path, samples_path = importer(args.path, args.out, args.limit, args.seed)
    print(f"wrote {rubric_path} and {samples_path}")
    return 0
