"""A stored yesno run's grades re-cut with the calibration shipped now and routed with the routing
policy shipped now: the figures by kind of answer, and the share routed by kind. No model calls;
from the project root:

    python -m evals.experiments gaming/reroute.py evals/runs/<run>.json
"""

import argparse
from collections import Counter
from pathlib import Path

from evals.experiments.common import ROOT, add_size_options, samples_of
from evals.experiments.gaming.sealed import RESAMPLES, recut
from grader.evaluation.metrics import compute_metrics, describe
from grader.evaluation.runs import RESCORE_FIELDS, load_run, predictions_of
from grader.grading.calibration import load_calibration
from grader.rubric.model import load_rubric


def graded_now(run_path: str, answers: int | None = None):
    """(rubric, samples, grades) of a stored run (not the sealed set's), re-cut with today's
    calibration and routing; a cross-validated record's grades are kept as they are."""
    run = load_run(Path(run_path), RESCORE_FIELDS)
    if "sealed" in Path(run.samples_path).name:
        raise SystemExit("the sealed set is reported by sealed.py only")
    rubric = load_rubric(ROOT / run.rubric_path)
    predictions = predictions_of(run)
    samples = [s for s in samples_of(rubric, ROOT / run.samples_path, answers) if s.id in predictions]
    predictions = {s.id: predictions[s.id] for s in samples}
    if "-cv" in run.strategy:
        return rubric, samples, predictions
    return rubric, samples, recut(rubric, samples, predictions, load_calibration(run.model, run.prompt_hash))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", help="a yesno run record of the seed rubric (not the sealed set's)")
    parser.add_argument("--resamples", type=int, default=RESAMPLES, help=f"bootstrap resamples for the intervals (default {RESAMPLES})")
    add_size_options(parser, splits=False)
    args = parser.parse_args(argv)
    rubric, samples, graded = graded_now(args.run, args.answers)
    print(describe(compute_metrics(rubric, samples, graded, resamples=args.resamples)))
    kinds, routed = Counter(s.kind for s in samples), Counter(s.kind for s in samples if "needs_review" in [f.value for f in graded[s.id].flags])
    print("routed by kind: " + ", ".join(f"{k} {routed[k]}/{n}" for k, n in sorted(kinds.items())))


if __name__ == "__main__":
    main()
