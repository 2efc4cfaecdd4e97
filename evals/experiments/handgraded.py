"""What the experiment scripts share: the project on `sys.path`, the seed rubric with its
hand-graded samples and a run's stored grades, and the anchors experiment's helpers (question
splits, cross-validated kappa, AUC). Import it after putting this folder on `sys.path`."""

import importlib.util
import sys
from pathlib import Path

EXPERIMENTS = Path(__file__).resolve().parent
ROOT = EXPERIMENTS.parents[1]
sys.path.insert(0, str(ROOT))

from grader.evaluation.samples import load_samples  # noqa: E402
from grader.evaluation.runs import load_run, predictions_of  # noqa: E402
from grader.rubric.model import load_rubric  # noqa: E402


def _load(relative: str, name: str):
    spec = importlib.util.spec_from_file_location(name, EXPERIMENTS / relative)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


anchors = _load("anchors/analyse.py", "anchors_analyse")


def hand_graded(run_path: str):
    """(rubric, samples, run record, predictions by answer id) for the seed rubric and a run of it."""
    rubric = load_rubric(ROOT / "rubrics" / "internet-bank-cs-manager-2026.yaml")
    samples = load_samples(ROOT / "evals" / "samples" / "internet-bank-cs-manager-2026.jsonl", rubric)
    run = load_run(Path(run_path))
    return rubric, samples, run, predictions_of(run)
