"""The sealed third of the gaming set, read once per adopted change: its stored grades (made with
the calibration shipped when the run was graded: "before") against the same stored probabilities
re-cut with the calibration shipped now ("after"). No tuning reads this file's labels; this script
only reports. From the project root:

    python -m evals.experiments gaming/sealed.py evals/runs/<the sealed set's yesno run>.json
"""

import argparse
from pathlib import Path

from evals.experiments.common import ROOT
from evals.experiments.gaming.analyse import COUNTER, GAMING, mae
from grader.evaluation.metrics import compute_metrics
from grader.evaluation.runs import RESCORE_FIELDS, load_run, predictions_of
from grader.grading.samples import load_samples
from grader.grading.calibration import load_calibration, rethreshold
from grader.evaluation.calibration_fit import point_inputs
from grader.grading.routing import rubric_texts
from grader.rubric.model import load_rubric

RESAMPLES = 200  # bootstrap resamples for the figures' intervals


def recut(rubric, samples, predictions, calibration):
    by_id = {s.id: s for s in samples}
    out = {}
    for answer_id, grade in predictions.items():
        s = by_id[answer_id]
        question = rubric.question(s.question_id)
        probability = dict(zip([p.id for p in grade.points], calibration.probabilities(s.answer, point_inputs(rubric, grade), rubric_texts(question))))
        out[answer_id] = rethreshold(grade, question, calibration.thresholds, lambda p, probability=probability: probability[p.id], answer=s.answer)
    return out


def show(label, metrics):
    sel = metrics["selective"]
    print(
        f"{label:7s} kappa {metrics['point_kappa']:.3f}  QWK {metrics['score_qwk']:.3f}  MAE {metrics['score_mae']:.2f}  "
        f"MAE gaming {mae(metrics, GAMING):.2f}  counter {mae(metrics, COUNTER):.2f}  routed {sel['share_routed']:.0%} "
        f"(kappa on the rest {sel['point_kappa']:.3f}, QWK {sel['score_qwk']:.3f})"
    )
    print("        by kind: " + ", ".join(f"{k} {b['score_mae']:.2f} (n {b['n_answers']})" for k, b in sorted(metrics["by_kind"].items())))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", help="the sealed set's yesno run record")
    parser.add_argument("--resamples", type=int, default=RESAMPLES, help=f"bootstrap resamples for the intervals (default {RESAMPLES})")
    args = parser.parse_args(argv)
    run_path = args.run
    run = load_run(Path(run_path), RESCORE_FIELDS)
    rubric = load_rubric(ROOT / run.rubric_path)
    samples = load_samples(ROOT / run.samples_path, rubric)
    if "sealed" not in Path(run.samples_path).name:
        raise SystemExit("this script reports the sealed set only")
    before = predictions_of(run)
    after = recut(rubric, samples, before, load_calibration(run.model, run.prompt_hash))
    print(f"sealed set: {len(samples)} answers; run {Path(run_path).name}")
    show("before", compute_metrics(rubric, samples, before, resamples=args.resamples).to_dict())
    show("after", compute_metrics(rubric, samples, after, resamples=args.resamples).to_dict())
    flagged = [(s.id, s.kind) for s in samples if "needs_review" in [f.value for f in after[s.id].flags]]
    off = [(s.id, s.kind, s.score, after[s.id].score) for s in samples if s.kind in GAMING and abs((s.score or 0) - (after[s.id].score or 0)) > 2]
    print(f"after: gaming answers more than 2 marks off: {len(off)}, of which routed: {sum(i in dict(flagged) for i, *_ in off)}")
    for row in off:
        print("   ", *row, "routed" if row[0] in dict(flagged) else "NOT routed")


if __name__ == "__main__":
    main()
