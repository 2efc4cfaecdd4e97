"""Does what the model said of an answer's other points help grade each point? And does a second,
full-credit anchor (the point's own text as the answer; `anchors/probe.py --self-only`) help?

Reads a yesno run's stored P(yes) and anchors (and self_anchors.jsonl); reports the combiner's
point kappa cross-validated by question (the fixed 2 folds `grader calibrate --folds 2` uses, and
12 random 2-fold splits) for the default's four features and each further feature. No model
calls; from the project root:

    python -m evals.experiments answer-context/analyse.py evals/runs/20261201T223327_yesno_qwen2.5-coder-1.5b-instruct-q4-k-m.json
"""

import argparse
import statistics
from pathlib import Path

from evals.experiments.common import add_size_options, hand_graded, kappa, random_splits, read_jsonl
from grader.grading.calibration import raw_probability
from grader.evaluation.calibration_fit import question_folds
from grader.grading.combiner import ANCHORED_FEATURES, _logit, features, margin
from grader.grading.prompts import template_hash

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", help="a yesno run record (with anchors) of the seed rubric's hand-graded set")
    add_size_options(parser)
    args = parser.parse_args(argv)
    run_path = args.run
    rubric, samples, run, predictions = hand_graded(run_path, args.answers)
    self_path = HERE / "self_anchors.jsonl"
    self_anchor = {}
    if self_path.exists() and run.prompt_hash == template_hash("point_check.zh.j2"):  # asked with the current prompt only
        self_anchor = {(d["question"], d["point"]): _logit(d["p"]) for d in read_jsonl(self_path)}
    rows = []
    for s in samples:
        points = predictions[s.id].points
        margins = {p.id: margin(raw_probability(p), p.p_anchor) for p in points}
        for p in points:
            others = [m for pid, m in margins.items() if pid != p.id]
            base = features(s.answer, rubric.question(s.question_id).point(p.id).text, raw_probability(p), p.p_anchor, ANCHORED_FEATURES)
            row = {
                "question": s.question_id,
                "label": s.labels[p.id].value,
                "base": base,
                "others mean (the default's `others`)": statistics.mean(others),
                "mean of all points, itself included": statistics.mean(margins.values()),
                "others max": max(others),
                "others min": min(others),
            }
            if (s.question_id, p.id) in self_anchor:
                full = self_anchor[(s.question_id, p.id)]
                row["self anchor"] = full
                row["margin scaled by the self anchor"] = margins[p.id] / max(0.5, full - base[3])
            rows.append(row)
    extra = [k for k in rows[0] if k not in ("question", "label", "base")]
    questions = sorted({r["question"] for r in rows})
    splits = random_splits(questions, args.splits)
    variants = {"P(yes), overlap, length, anchor": lambda r: r["base"]} | {f"+ {k}": (lambda r, k=k: r["base"] + [r[k]]) for k in extra}
    baseline = None
    print(f"{len(rows)} point labels, {len(questions)} questions; run {Path(run_path).name}")
    for name, row in variants.items():
        fixed = kappa(rows, row, question_folds(questions, 2))
        random_kappas = [kappa(rows, row, split) for split in splits]
        baseline = baseline or random_kappas
        wins = sum(a > b for a, b in zip(random_kappas, baseline))
        print(f"{name:42s} point kappa, fixed 2 folds: {fixed:.3f}; {len(splits)} random 2-fold splits: mean {statistics.mean(random_kappas):.3f} (better than without in {wins})", flush=True)


if __name__ == "__main__":
    main()
