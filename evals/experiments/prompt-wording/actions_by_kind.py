"""The 'actions' wording against the default on the gaming set's tuning part: mean P(yes) and
mean margin (logit P(yes) minus logit anchor) per kind of answer, and AUC covered vs missing.
No model calls; from the project root, after substitute.py:

    python -m evals.experiments prompt-wording/actions_by_kind.py evals/runs/20261202T162537_….json /tmp/gaming-actions.json
"""

import argparse
import json
import math
import statistics
from collections import defaultdict
from pathlib import Path

from evals.experiments.common import ROOT, read_jsonl


def logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def by_kind(run_path: str, kinds: dict, labels: dict) -> dict:
    out = defaultdict(list)
    for prediction in json.loads(Path(run_path).read_text())["predictions"]:
        answer_id = prediction["answer_id"]
        for p in prediction["points"]:
            out[kinds[answer_id]].append((p["p_model"], logit(p["p_model"]) - logit(p["p_anchor"]), labels[answer_id][p["id"]]))
    return out


def auc(rows, column: int) -> float:
    covered = [r[column] for r in rows if r[2] == "covered"]
    missing = [r[column] for r in rows if r[2] == "missing"]
    return sum((c > m) + 0.5 * (c == m) for c in covered for m in missing) / (len(covered) * len(missing))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("default_run", help="the gaming set's yesno run record (default wording)")
    parser.add_argument("actions_run", help="the same with the 'actions' wording's probabilities (substitute.py)")
    args = parser.parse_args(argv)
    default_run, actions_run = args.default_run, args.actions_run
    samples = read_jsonl(ROOT / "evals/samples/gaming.jsonl")
    kinds = {s["id"]: s["kind"] for s in samples}
    labels = {s["id"]: s["labels"] for s in samples}
    a, b = by_kind(default_run, kinds, labels), by_kind(actions_run, kinds, labels)
    print("Gaming set, tuning part: mean P(yes) and mean margin (logit P(yes) - logit anchor) per point, default wording vs 'actions'")
    print(f"{'kind':18} {'points':>6} {'P(yes) default':>15} {'actions':>8} {'margin default':>15} {'actions':>8}")
    for kind in sorted(a):
        mean = lambda rows, i: statistics.mean(r[i] for r in rows)  # noqa: E731
        print(f"{kind:18} {len(a[kind]):6} {mean(a[kind], 0):15.3f} {mean(b[kind], 0):8.3f} {mean(a[kind], 1):15.3f} {mean(b[kind], 1):8.3f}")
    for name, table in (("default", a), ("actions", b)):
        rows = [r for v in table.values() for r in v]
        print(f"{name}: AUC covered vs missing, margin {auc(rows, 1):.3f}, raw P(yes) {auc(rows, 0):.3f}")


if __name__ == "__main__":
    main()
