"""CI's regression gate on grading quality, without a model: stored predictions are re-scored with
the current metrics code and labels, and the offline default's cross-validated figures are
re-derived from the stored probabilities."""

import json

import pytest

from grader.evaluation.calibration_fit import cross_validate
from grader.evaluation.metrics import compute_metrics
from grader.grading.samples import load_samples
from grader.evaluation.gate import regression
from grader.evaluation.runs import load_run, predictions_of
from grader.rubric.model import load_rubric

from .conftest import ROOT

BASELINE = json.loads((ROOT / "evals" / "baseline.json").read_text(encoding="utf-8"))


def _rescored(run):
    rubric = load_rubric(ROOT / run.rubric_path)
    predictions = predictions_of(run)
    samples = [s for s in load_samples(ROOT / run.samples_path, rubric) if s.id in predictions]
    return rubric, samples, predictions


@pytest.mark.parametrize("name", sorted(BASELINE["runs"]))
def test_stored_runs_rescore_without_regression(name):
    run = load_run(ROOT / BASELINE["runs"][name])
    rubric, samples, predictions = _rescored(run)
    assert len(samples) == (run.n_samples if run.n_samples is not None else len(predictions))
    metrics = compute_metrics(rubric, samples, predictions, resamples=200)
    assert regression(run, metrics, BASELINE["max_drop"]) == []
    assert metrics.point_kappa == pytest.approx(run.metrics.point_kappa, abs=BASELINE["max_drop"])


def test_offline_default_figures_are_reproduced_from_stored_probabilities():
    raw = load_run(ROOT / BASELINE["runs"]["offline_raw_probabilities"])
    published = load_run(ROOT / BASELINE["runs"]["offline_default_cv"])
    rubric, samples, predictions = _rescored(raw)
    oof, folds = cross_validate(rubric, samples, predictions, folds=2, combine=True)
    metrics = compute_metrics(rubric, samples, oof, resamples=200)
    assert metrics.point_kappa == pytest.approx(published.metrics.point_kappa, abs=1e-6)
    assert metrics.score_qwk == pytest.approx(published.metrics.score_qwk, abs=1e-6)
    assert metrics.n_unscored == 0 and len(folds) == 2
