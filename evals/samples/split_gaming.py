"""Split the gaming set into its tuning part and its sealed third, deterministically.

Within each kind, answers are ordered by a hash of their id and the first third (rounded) goes to
`gaming-sealed.jsonl`: no tuning, threshold or feature selection may read that file; it is
reported once per adopted change (evals/experiments/gaming/sealed.py). Run from the project root
after editing the labelled sources (gaming-A.jsonl, gaming-B.jsonl):

    python evals/samples/split_gaming.py
"""

import hashlib
import json
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
SALT = "sealed-2026-12-02"


def split(rows):
    by_kind = defaultdict(list)
    for row in rows:
        by_kind[row["kind"]].append(row)
    sealed_ids = set()
    for kind, members in by_kind.items():
        ordered = sorted(members, key=lambda r: hashlib.sha256(f"{SALT}:{r['id']}".encode()).hexdigest())
        sealed_ids |= {r["id"] for r in ordered[: round(len(members) / 3)]}
    return [r for r in rows if r["id"] not in sealed_ids], [r for r in rows if r["id"] in sealed_ids]


def main(sources=("gaming-A.jsonl", "gaming-B.jsonl")):
    rows = [json.loads(line) for name in sources for line in (HERE / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    tuning, sealed = split(rows)
    for name, part in (("gaming.jsonl", tuning), ("gaming-sealed.jsonl", sealed)):
        (HERE / name).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in part), encoding="utf-8")
        print(f"{name}: {len(part)} answers")


if __name__ == "__main__":
    main(tuple(sys.argv[1:]) or ("gaming-A.jsonl", "gaming-B.jsonl"))
