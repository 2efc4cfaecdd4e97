"""The expected count of points an answer makes (counts.jsonl; the probe was stopped after 42
answers) against the human score, and as a combiner feature cross-validated by question. No
model calls:

    python -m evals.experiments answer-rating/analyse.py evals/runs/20261129T064551_yesno_qwen2.5-coder-1.5b-instruct-q4-k-m.json
"""

import argparse
from pathlib import Path

from evals.experiments.common import add_size_options, hand_graded, kappa, read_jsonl
from grader.evaluation import stats as m
from grader.grading.calibration import raw_probability
from grader.evaluation.calibration_fit import question_folds
from grader.grading.combiner import _logit, features

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", help="a yesno run record of the seed rubric's hand-graded set")
    add_size_options(parser, splits=False)
    args = parser.parse_args(argv)
    rubric, samples, _, predictions = hand_graded(args.run, args.answers)
    counts = {d["answer_id"]: d for d in read_jsonl(HERE / "counts.jsonl") if d["expected"] is not None}
    chosen = [s for s in samples if s.id in counts]
    share = {s.id: counts[s.id]["expected"] / counts[s.id]["n_points"] for s in chosen}
    human = [s.score / rubric.question(s.question_id).max_score for s in chosen]
    mean_logit = [sum(_logit(raw_probability(p)) for p in predictions[s.id].points) / len(predictions[s.id].points) for s in chosen]
    print(f"{len(chosen)} answers; Pearson with the human score: expected count {m.pearson([share[s.id] for s in chosen], human):.3f}, "
          f"mean P(yes) logit of the per-point calls {m.pearson(mean_logit, human):.3f}")
    rows = []
    for s in chosen:
        for point in predictions[s.id].points:
            text = rubric.question(s.question_id).point(point.id).text
            rows.append({"question": s.question_id, "label": s.labels[point.id].value, "base": features(s.answer, text, raw_probability(point)), "share": share[s.id]})
    questions = sorted({r["question"] for r in rows})
    for name, row in {"P(yes), overlap, length": lambda r: r["base"], "+ expected count": lambda r: r["base"] + [r["share"]]}.items():
        print(f"{name:24s} point kappa, 2/4 folds: " + " / ".join(f"{kappa(rows, row, question_folds(questions, k)):.3f}" for k in (2, 4)))


if __name__ == "__main__":
    main()
