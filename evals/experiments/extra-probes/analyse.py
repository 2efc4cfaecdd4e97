"""Decoy points and point parts, on the answers probes.jsonl covers (all 160): AUC
covered-vs-missing, AUC covered-vs-partial on two- and three-part points, and the combiner's point
kappa cross-validated by question (fixed folds and 12 random 2-fold splits), with the generic
anchor. No model calls:

    python -m evals.experiments extra-probes/analyse.py evals/runs/20261129T064551_yesno_qwen2.5-coder-1.5b-instruct-q4-k-m.json
"""

import argparse
import statistics
from pathlib import Path

from evals.experiments.common import add_size_options, auc, hand_graded, kappa, point_parts, random_splits, read_jsonl
from grader.grading.calibration import raw_probability
from grader.evaluation.calibration_fit import question_folds
from grader.grading.combiner import _logit, features

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", help="a yesno run record of the seed rubric's hand-graded set")
    add_size_options(parser)
    args = parser.parse_args(argv)
    rubric, samples, _, predictions = hand_graded(args.run, args.answers)
    probe = {(d["answer_id"], d["probe"]): d["p"] for d in read_jsonl(HERE / "probes.jsonl")}
    anchor = {(d["question"], d["point"]): d["p"] for d in read_jsonl(HERE.parent / "anchors" / "anchors.jsonl") if d["anchor"] == "generic"}
    rows = []
    for s in samples:
        for point in predictions[s.id].points:
            text = rubric.question(s.question_id).point(point.id).text
            n_parts = len(point_parts(text))
            keys = [(s.id, "decoy:audit"), (s.id, "decoy:programming")] + [(s.id, f"part:{point.id}:{i}") for i in range(n_parts) if n_parts > 1]
            if not all(k in probe for k in keys):
                continue
            whole = _logit(raw_probability(point))
            parts = [_logit(probe[(s.id, f"part:{point.id}:{i}")]) for i in range(n_parts)] if n_parts > 1 else [whole]
            rows.append({
                "question": s.question_id, "label": s.labels[point.id].value, "multi": n_parts > 1,
                "base": features(s.answer, text, raw_probability(point)) + [_logit(anchor[(s.question_id, point.id)])],
                "weakest_part": min(parts), "mean_part": sum(parts) / len(parts),
                "decoy": (_logit(probe[(s.id, "decoy:audit")]) + _logit(probe[(s.id, "decoy:programming")])) / 2,
            })
    print(f"{len({(r['question']) for r in rows})} questions, {len(rows)} point labels")
    decided = [r for r in rows if r["label"] != "partial"]
    covered = [r["label"] == "covered" for r in decided]
    print(f"AUC covered vs missing: P(yes) {auc([r['base'][0] for r in decided], covered):.3f}, weakest part {auc([r['weakest_part'] for r in decided], covered):.3f}, "
          f"P(yes) minus decoys {auc([r['base'][0] - r['decoy'] for r in decided], covered):.3f}")
    made = [r for r in rows if r["multi"] and r["label"] != "missing"]
    full = [r["label"] == "covered" for r in made]
    print(f"AUC covered vs partial, multi-part points ({len(made)}): whole point {auc([r['base'][0] for r in made], full):.3f}, "
          f"weakest part {auc([r['weakest_part'] for r in made], full):.3f}, mean of parts {auc([r['mean_part'] for r in made], full):.3f}")
    questions = sorted({r["question"] for r in rows})
    splits = random_splits(questions, args.splits)
    baseline = None
    for name, row in {"base + generic anchor": lambda r: r["base"], "+ weakest part": lambda r: r["base"] + [r["weakest_part"]],
                      "+ mean of parts": lambda r: r["base"] + [r["mean_part"]], "+ decoys": lambda r: r["base"] + [r["decoy"]]}.items():
        random_kappas = [kappa(rows, row, split) for split in splits]
        baseline = baseline or random_kappas
        wins = sum(a > b for a, b in zip(random_kappas, baseline))
        print(f"{name:22s} point kappa, 2/4/5 folds: " + " / ".join(f"{kappa(rows, row, question_folds(questions, k)):.3f}" for k in (2, 4, 5))
              + f"; {len(splits)} random 2-fold splits: mean {statistics.mean(random_kappas):.3f} (better than without in {wins})")


if __name__ == "__main__":
    main()
