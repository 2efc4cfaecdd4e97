"""A stored yesno run's grades re-cut with the calibration shipped now and routed with the routing
policy shipped now: the figures by kind of answer, and the share routed by kind. No model calls;
from the project root:

    python evals/experiments/gaming/reroute.py evals/runs/<run>.json
"""

import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from handgraded import ROOT  # noqa: E402
from sealed import recut  # noqa: E402

from grader.grading.calibration import load_calibration  # noqa: E402
from grader.evaluation.metrics import compute_metrics, describe  # noqa: E402
from grader.evaluation.runs import load_run, predictions_of  # noqa: E402
from grader.evaluation.samples import load_samples  # noqa: E402
from grader.rubric.model import load_rubric  # noqa: E402


def graded_now(run_path: str):
    """(rubric, samples, grades) of a stored run (not the sealed set's), re-cut with today's
    calibration and routing; a cross-validated record's grades are kept as they are."""
    run = load_run(Path(run_path))
    if "sealed" in Path(run.samples_path).name:
        raise SystemExit("the sealed set is reported by sealed.py only")
    rubric = load_rubric(ROOT / run.rubric_path)
    predictions = predictions_of(run)
    samples = [s for s in load_samples(ROOT / run.samples_path, rubric) if s.id in predictions]
    if "-cv" in run.strategy:
        return rubric, samples, predictions
    return rubric, samples, recut(rubric, samples, predictions, load_calibration(run.model, run.prompt_hash))


def main(run_path: str) -> None:
    rubric, samples, graded = graded_now(run_path)
    print(describe(compute_metrics(rubric, samples, graded, resamples=200)))
    kinds, routed = Counter(s.kind for s in samples), Counter(s.kind for s in samples if "needs_review" in [f.value for f in graded[s.id].flags])
    print("routed by kind: " + ", ".join(f"{k} {routed[k]}/{n}" for k, n in sorted(kinds.items())))


if __name__ == "__main__":
    main(sys.argv[1])
