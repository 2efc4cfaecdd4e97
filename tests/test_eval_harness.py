import json

import pytest

from grader import cli
from grader.grading.calibration import Thresholds, rethreshold
from grader.evaluation.calibration_fit import cross_validate, fit_thresholds
from grader.errors import InputError
from grader.evaluation.metrics import Metrics, compute_metrics
from grader.evaluation.run import grade_samples
from grader.grading.samples import load_samples
from grader.evaluation.gate import regression
from grader.evaluation.runs import RUN_SCHEMA_VERSION, RunRecord, load_run
from grader.grading.results import Verdict

from .conftest import ROOT, RUBRIC_PATH, SAMPLES_PATH
from .helpers import LabelEchoGrader, use_scripted_session


def test_hand_graded_samples_are_complete_and_consistent(rubric):
    samples = load_samples(SAMPLES_PATH, rubric)
    assert len(samples) >= 160
    per_question = {}
    for s in samples:
        per_question[s.question_id] = per_question.get(s.question_id, 0) + 1
        weights = {p.id: p.weight for p in rubric.question(s.question_id).points}
        expected = sum({"covered": 1, "partial": 0.5, "missing": 0}[v.value] * weights[k] for k, v in s.labels.items())
        assert s.score == pytest.approx(expected), s.id
    assert len(per_question) == 20 and min(per_question.values()) >= 8
    kinds = {s.kind for s in samples}
    assert {"strong", "medium", "weak", "injection", "keyword_stuffing", "opposite", "english", "traditional", "rambling", "near_empty", "terse_complete", "typos"} <= kinds


def test_perfect_grader_scores_perfectly(rubric):
    samples = load_samples(SAMPLES_PATH, rubric)[:40]
    by_id = {s.id: s for s in samples}
    oracle = LabelEchoGrader(rule=None)
    oracle.rule = lambda q, a, p: next(s.labels[p.id] for s in samples if s.answer == a and s.question_id == q.id)
    metrics = compute_metrics(rubric, samples, grade_samples(oracle, rubric, samples), resamples=50)
    assert metrics.point_accuracy == 1 and metrics.point_kappa == pytest.approx(1)
    assert metrics.score_mae == 0 and metrics.score_qwk == pytest.approx(1)
    assert len(by_id) == 40


def test_unscored_answers_count_against_the_grader(rubric):
    samples = load_samples(SAMPLES_PATH, rubric)[:30]
    good = compute_metrics(rubric, samples, grade_samples(LabelEchoGrader(), rubric, samples), resamples=20)
    failing = LabelEchoGrader(fail_ids=[s.id for s in samples[:10]])
    bad = compute_metrics(rubric, samples, grade_samples(failing, rubric, samples), resamples=20)
    assert bad.n_unscored == 10 and bad.n_answers == 30
    assert bad.point_accuracy < good.point_accuracy
    assert "unscored" in bad.confusion.labels
    assert sum(map(sum, bad.confusion.matrix)) == bad.n_points == good.n_points


def test_metrics_have_breakdowns_and_worst_cases(rubric):
    samples = load_samples(SAMPLES_PATH, rubric)
    metrics = compute_metrics(rubric, samples, grade_samples(LabelEchoGrader(), rubric, samples), resamples=50)
    for key in ("n_answers", "n_unscored", "point_accuracy", "point_kappa", "score_mae", "score_qwk", "by_kind"):
        assert getattr(metrics, key) is not None
    assert set(metrics.by_section) == {"behavioral", "situational", "knowledge", "stress"}
    assert len(metrics.by_question) == 20
    lo, hi = metrics.point_kappa_ci95
    assert lo <= metrics.point_kappa <= hi
    worst = metrics.worst[0]
    assert abs(worst.human_score - worst.model_score) >= abs(metrics.worst[-1].human_score - metrics.worst[-1].model_score)
    assert metrics.reliability


def test_regression_gate():
    baseline = RunRecord(metrics={"point_kappa": 0.5, "score_qwk": 0.8})
    assert regression(baseline, Metrics(point_kappa=0.46, score_qwk=0.8), 0.05) == []
    assert regression(baseline, Metrics(point_kappa=0.40, score_qwk=0.8), 0.05) == ["point_kappa fell from 0.500 to 0.400 (max drop 0.05)"]


def test_thresholds_fit_and_cross_validate(rubric):
    probabilities = [0.1, 0.2, 0.45, 0.5, 0.8, 0.9, 0.95, 0.05]
    labels = ["missing", "missing", "partial", "partial", "covered", "covered", "covered", "missing"]
    t = fit_thresholds(probabilities, labels)
    assert [t.verdict(p).value for p in probabilities] == labels
    assert Thresholds(0.3, 0.7).verdict(None) is Verdict.missing
    samples = load_samples(SAMPLES_PATH, rubric)
    predictions = grade_samples(LabelEchoGrader(), rubric, samples)
    oof, folds = cross_validate(rubric, samples, predictions, folds=2)
    assert len(oof) == len(samples) and len(folds) == 2
    assert set(folds[0]["held_out"]).isdisjoint(folds[1]["held_out"])
    graded = next(iter(predictions.values()))
    cut = rethreshold(graded, rubric.question(graded.question_id), Thresholds(0.95, 0.99))
    assert all(p.verdict is Verdict.missing for p in cut.points) and cut.score == 0


@pytest.fixture
def scripted_run(tmp_path, monkeypatch, rubric, capsys):
    """A recorded eval run made with a scripted grader through the real CLI path."""
    use_scripted_session(monkeypatch, LabelEchoGrader())
    runs = tmp_path / "runs"
    code = cli.main(["eval", "--rubric", str(RUBRIC_PATH), "--samples", str(SAMPLES_PATH), "--runs-dir", str(runs), "--json", "--limit", "24", "--html", str(tmp_path / "r.html")])
    assert code == 0
    return runs, tmp_path, capsys.readouterr().out


def test_eval_cli_records_rescore_compare_and_gate(scripted_run, capsys, tmp_path):
    runs, _, printed = scripted_run
    out = json.loads(printed)
    for key in ("n_answers", "n_unscored", "point_accuracy", "point_kappa", "score_mae", "score_qwk", "by_kind"):
        assert key in out
    (run_path,) = runs.glob("*.json")
    run = json.loads(run_path.read_text())
    assert {"time", "model", "endpoint_kind", "prompt_hash", "rubric_hash", "samples_hash", "metrics", "usage", "wall_s", "predictions"} <= set(run)
    assert len(run["predictions"]) == 24 and run["schema_version"] == RUN_SCHEMA_VERSION and run["kind"] == "eval"
    assert load_run(run_path).model_dump(mode="json") == RunRecord.model_validate(run).model_dump(mode="json")
    # re-scoring stored predictions reproduces the metrics without a model
    assert cli.main(["eval", "--rescore", str(run_path), "--json", "--runs-dir", str(runs)]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["point_kappa"] == pytest.approx(out["point_kappa"])
    # a run with worse kappa fails the gate
    worse = dict(run, metrics=dict(run["metrics"], point_kappa=run["metrics"]["point_kappa"] + 0.2))
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps(worse))
    assert cli.main(["eval", "--rescore", str(run_path), "--baseline", str(baseline), "--max-drop", "0.05"]) == 1
    assert "REGRESSION: point_kappa" in capsys.readouterr().err
    assert cli.main(["eval", "--compare", str(baseline), str(run_path)]) == 0
    assert "-0.200" in capsys.readouterr().out


def test_html_report_is_self_contained(scripted_run):
    _, tmp_path, _ = scripted_run
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Confusion matrix" in html and "Worst disagreements" in html and "<svg" in html
    assert "http://" not in html and "https://" not in html and "<script src" not in html
    assert "<script>" not in html.split("Worst disagreements")[1] or "&lt;" in html  # answers are escaped


def test_bad_samples_name_file_line_and_field(tmp_path, rubric, capsys):
    bad = tmp_path / "s.jsonl"
    good_line = SAMPLES_PATH.read_text(encoding="utf-8").splitlines()[0]
    record = json.loads(good_line)
    record["labels"].pop("p2")
    record["id"] = "y"
    bad.write_text(good_line + "\n" + json.dumps(record) + "\n{oops\n" + json.dumps({**json.loads(good_line), "id": "x", "question_id": "nope-1"}) + "\n", encoding="utf-8")
    code = cli.main(["eval", "--rubric", str(RUBRIC_PATH), "--samples", str(bad)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{bad}:2: field labels" in err and f"{bad}:3: not valid JSON" in err and f"{bad}:4: field question_id: unknown question id 'nope-1'" in err


def test_consistency_of_groups(rubric, tmp_path):
    from grader.grading.samples import Sample

    answer = "我会先核实客户身份，确认账户安全，然后解释这是诈骗。"
    samples = [
        Sample(id=f"g{g}-{v}", question_id="situational-4", answer=answer + ("。" * v if g == 1 else ""), labels={p: "missing" for p in ("p1", "p2", "p3", "p4")}, group=f"g{g}")
        for g in (1, 2)
        for v in range(3)
    ]
    # g1's answers differ in length across the 60-character line the scripted grader draws.
    samples[2] = samples[2].model_copy(update={"answer": answer * 3})
    metrics = compute_metrics(rubric, samples, grade_samples(LabelEchoGrader(), rubric, samples), resamples=10)
    assert metrics.consistency.model_dump() == {"n_groups": 2, "same_score": 0.5, "same_verdicts": 0.5}


def test_run_records_of_every_version_load(tmp_path):
    """Every stored run loads; one without schema_version (version 1) is converted on read, and
    one from a newer grader is refused by name."""
    stored = sorted((ROOT / "evals" / "runs").glob("*.json"))
    assert stored
    for path in stored:
        run = load_run(path, ("rubric_path", "samples_path", "predictions"))
        raw = json.loads(path.read_text(encoding="utf-8"))
        assert run.schema_version == RUN_SCHEMA_VERSION and len(run.predictions) == len(raw["predictions"])
        assert run.kind == ("cross-validated" if raw.get("source_run") else "eval")
        assert json.dumps(run.metrics.to_dict(), sort_keys=True) == json.dumps(raw["metrics"], sort_keys=True)  # every figure as stored, NaN and older ones included
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({"schema_version": RUN_SCHEMA_VERSION + 1, "metrics": {}}), encoding="utf-8")
    with pytest.raises(InputError, match="newer grader"):
        load_run(newer)
