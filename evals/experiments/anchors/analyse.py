"""Does a point's anchor (P(yes) for a fixed, content-free answer) help the combiner?

Reads the default run's stored P(yes) and anchors.jsonl; reports AUC covered-vs-missing and the
combiner's point kappa cross-validated by question (2, 4 and 5 folds, and 12 random 2-fold
splits), with and without each anchor (and the mean of the four generic ones) as a fourth feature. No model calls. From the project root:

    python -m evals.experiments anchors/analyse.py evals/runs/20261129T064551_yesno_qwen2.5-coder-1.5b-instruct-q4-k-m.json
"""

import argparse
import statistics
from pathlib import Path

from evals.experiments.common import add_size_options, auc, hand_graded, kappa, random_splits, read_jsonl
from grader.grading.calibration import raw_probability
from grader.evaluation.calibration_fit import question_folds
from grader.grading.combiner import _logit, features

HERE = Path(__file__).resolve().parent
ANCHORS = ("generic", "offtopic", "none", "self", "generic2", "generic3", "generic4")
GENERIC = ("generic", "generic2", "generic3", "generic4")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", help="a yesno run record of the seed rubric's hand-graded set")
    add_size_options(parser)
    args = parser.parse_args(argv)
    rubric, samples, _, predictions = hand_graded(args.run, args.answers)
    anchor = {(d["question"], d["point"], d["anchor"]): d["p"] for d in read_jsonl(HERE / "anchors.jsonl")}
    rows = []
    for s in samples:
        for point in predictions[s.id].points:
            text = rubric.question(s.question_id).point(point.id).text
            row = {"question": s.question_id, "label": s.labels[point.id].value, "base": features(s.answer, text, raw_probability(point))}
            row |= {a: _logit(anchor[(s.question_id, point.id, a)]) for a in ANCHORS}
            row["generic-mean"] = sum(row[a] for a in GENERIC) / len(GENERIC)
            rows.append(row)
    decided = [r for r in rows if r["label"] != "partial"]
    covered = [r["label"] == "covered" for r in decided]
    print(f"{len(rows)} point labels; AUC covered vs missing, P(yes): {auc([r['base'][0] for r in decided], covered):.3f}")
    for a in (*ANCHORS, "generic-mean"):
        print(f"  P(yes) logit minus the {a} anchor's: {auc([r['base'][0] - r[a] for r in decided], covered):.3f}")
    questions = sorted({r["question"] for r in rows})
    splits = random_splits(questions, args.splits)
    variants = {"P(yes), overlap, length": lambda r: r["base"]} | {f"+ {a} anchor": (lambda r, a=a: r["base"] + [r[a]]) for a in (*ANCHORS, "generic-mean")}
    baseline = None
    for name, row in variants.items():
        by_folds = [kappa(rows, row, question_folds(questions, k)) for k in (2, 4, 5)]
        random_kappas = [kappa(rows, row, split) for split in splits]
        baseline = baseline or random_kappas
        wins = sum(a > b for a, b in zip(random_kappas, baseline))
        print(
            f"{name:24s} point kappa, 2/4/5 folds: {' / '.join(f'{k:.3f}' for k in by_folds)}; "
            f"{len(splits)} random 2-fold splits: mean {statistics.mean(random_kappas):.3f} (better than without in {wins})"
        )


if __name__ == "__main__":
    main()
