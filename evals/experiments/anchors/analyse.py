"""Does a point's anchor (P(yes) for a fixed, content-free answer) help the combiner?

Reads the default run's stored P(yes) and anchors.jsonl; reports AUC covered-vs-missing and the
combiner's point kappa cross-validated by question (2, 4 and 5 folds, and 12 random 2-fold
splits), with and without each anchor (and the mean of the four generic ones) as a fourth feature. No model calls. From the project root:

    python evals/experiments/anchors/analyse.py evals/runs/20261129T064551_yesno_qwen2.5-coder-1.5b-instruct-q4-k-m.json
"""

import json
import random
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))

from grader.evaluation import stats as m  # noqa: E402
from grader.grading.calibration import CREDIT, LABELS, fit_thresholds, question_folds, raw_probability  # noqa: E402
from grader.grading.combiner import Combiner, _logit, features  # noqa: E402
from grader.evaluation.samples import load_samples  # noqa: E402
from grader.evaluation.runs import load_run, predictions_of  # noqa: E402
from grader.rubric.model import load_rubric  # noqa: E402

ANCHORS = ("generic", "offtopic", "none", "self", "generic2", "generic3", "generic4")
GENERIC = ("generic", "generic2", "generic3", "generic4")


def auc(scores, positive):
    pos = [s for s, y in zip(scores, positive) if y]
    neg = [s for s, y in zip(scores, positive) if not y]
    return sum((a > b) + 0.5 * (a == b) for a in pos for b in neg) / (len(pos) * len(neg))


def kappa(rows, feature_row, splits):
    truth, predicted = [], []
    for held in splits:
        train = [r for r in rows if r["question"] not in held]
        x = [feature_row(r) for r in train]
        model = Combiner.fit(x, [CREDIT[r["label"]] for r in train])
        cuts = fit_thresholds([model.probability(v) for v in x], [r["label"] for r in train])
        for r in rows:
            if r["question"] in held:
                truth.append(r["label"])
                predicted.append(cuts.verdict(model.probability(feature_row(r))).value)
    return m.cohen_kappa(truth, predicted, LABELS)


def random_splits(questions, count: int = 12, seed: int = 0):
    """`count` random halvings of the questions, the same for every feature set compared."""
    rng = random.Random(seed)
    splits = []
    for _ in range(count):
        shuffled = list(questions)
        rng.shuffle(shuffled)
        splits.append([shuffled[: len(shuffled) // 2], shuffled[len(shuffled) // 2 :]])
    return splits


def main(run_path: str) -> None:
    rubric = load_rubric(ROOT / "rubrics" / "internet-bank-cs-manager-2026.yaml")
    samples = load_samples(ROOT / "evals" / "samples" / "internet-bank-cs-manager-2026.jsonl", rubric)
    predictions = predictions_of(load_run(Path(run_path)))
    anchor = {(d["question"], d["point"], d["anchor"]): d["p"] for d in map(json.loads, (HERE / "anchors.jsonl").read_text().splitlines())}
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
    splits = random_splits(questions)
    variants = {"P(yes), overlap, length": lambda r: r["base"]} | {f"+ {a} anchor": (lambda r, a=a: r["base"] + [r[a]]) for a in (*ANCHORS, "generic-mean")}
    baseline = None
    for name, row in variants.items():
        by_folds = [kappa(rows, row, question_folds(questions, k)) for k in (2, 4, 5)]
        random_kappas = [kappa(rows, row, split) for split in splits]
        baseline = baseline or random_kappas
        wins = sum(a > b for a, b in zip(random_kappas, baseline))
        print(
            f"{name:24s} point kappa, 2/4/5 folds: {' / '.join(f'{k:.3f}' for k in by_folds)}; "
            f"12 random 2-fold splits: mean {statistics.mean(random_kappas):.3f} (better than without in {wins})"
        )


if __name__ == "__main__":
    main(sys.argv[1])
