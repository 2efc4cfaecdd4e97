"""Issue 22, item 10 and the calibration parts of item 15, and the design review's grade cache key:
calibration cannot be poisoned or break every grade, re-scoring and the gate fail with located
errors (or closed), and a cached grade is never one cut by an older calibration."""

from __future__ import annotations

import json
import math

import pytest

from grader import cli
from grader.grading.calibration import user_calibration_path
from grader.grading.routing import DEFAULT_POLICY, RoutingPolicy
from grader.grading.engine import cache_key

from .conftest import ROOT
from .helpers import exit_2_naming
from .logprob_server import MODEL, LogprobServer, model_args, verdicts, write_answers, write_rubric

BASELINE = json.loads((ROOT / "evals" / "baseline.json").read_text(encoding="utf-8"))
RAW_RUN = ROOT / BASELINE["runs"]["offline_raw_probabilities"]
STRUCTURED_RUN = ROOT / "evals" / "runs" / "20261129T072501_structured_qwen2.5-coder-1.5b-instruct-q4-k-m.json"



def _prompt_hash() -> str:
    from grader.grading.prompts import template_hash, template_name

    return template_hash(template_name("point_check", "en"))


# ---------------------------------------------------------------- 10. calibration files


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"stub-yesno|HASH": {"partial": 0.3,', "not valid UTF-8 JSON"),
        ('{"stub-yesno|HASH": {"partial": "0.3", "covered": "0.6"}}', "field partial"),
        ('{"stub-yesno|HASH": {"partial": NaN, "covered": 0.6}}', "finite number"),
        ('{"stub-yesno|HASH": {"partial": 0.7, "covered": 0.6}}', "partial (0.7) is above covered"),
        ('{"stub-yesno|HASH": {"partial": 0.3, "covered": 1.5}}', "field covered"),
        ("[1, 2]", "expected a JSON object"),
    ],
)
def test_a_bad_calibration_file_is_an_error_naming_itexit_2_naming(tmp_path, monkeypatch, capsys, content, message):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-stub")
    rubric = write_rubric(tmp_path / "bank.yaml")
    user_calibration_path().parent.mkdir(parents=True, exist_ok=True)
    user_calibration_path().write_text(content.replace("HASH", _prompt_hash()), encoding="utf-8")
    with LogprobServer(model=MODEL) as stub:
        exit_2_naming(["grade", "--rubric", rubric, "--question", "q1", "--answer", "I would explain the IDEA.", *model_args(stub)], capsys, user_calibration_path(), message)
        assert stub.calls == 0  # refused before any answer was sent (and paid for)


def test_calibrate_refuses_non_finite_probabilities_and_writes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)  # the run names its rubric and samples relative to the repository
    record = json.loads(RAW_RUN.read_text(encoding="utf-8"))
    record["predictions"][2]["points"][1]["p_model"] = math.nan
    poisoned = tmp_path / "poisoned.json"
    poisoned.write_text(json.dumps(record), encoding="utf-8")
    runs = tmp_path / "runs"
    for extra in ([], ["--global"]):
        exit_2_naming(["calibrate", poisoned, "--save", *extra, "--runs-dir", runs], capsys, poisoned, "predictions.2.points.1.p_model", "nan")
    assert not runs.exists() and not user_calibration_path().exists()


def test_calibrate_refuses_a_structured_run_and_writes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    runs = tmp_path / "runs"
    exit_2_naming(["calibrate", STRUCTURED_RUN, "--save", "--runs-dir", runs], capsys, STRUCTURED_RUN, "structured strategy", "nothing written")
    assert not runs.exists() and not user_calibration_path().exists()


# ---------------------------------------------------------------- 15. --rescore and --baseline


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("points.0.id", "zz", "field predictions.5.points.0.id: 'zz' is not a point of question"),
        ("score", 1e9, "field predictions.5.score: 1e+09 is outside 0..10"),
        ("score", -1, "field predictions.5.score: -1 is outside"),
        ("question_id", "nope", "field predictions.5.question_id: 'nope' is not a question"),
    ],
)
def test_rescore_of_predictions_that_do_not_fit_the_rubric_is_located(tmp_path, monkeypatch, capsys, field, value, message):
    monkeypatch.chdir(ROOT)
    record = json.loads(RAW_RUN.read_text(encoding="utf-8"))
    target = record["predictions"][5]
    *path, last = field.split(".")
    for part in path:
        target = target[int(part)] if part.isdigit() else target[part]
    target[last] = value
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(record), encoding="utf-8")
    exit_2_naming(["eval", "--rescore", bad], capsys, bad, message)


@pytest.mark.parametrize("metrics", [{}, {"point_kappa": None, "score_qwk": None}, {"point_kappa": math.nan, "score_qwk": 0.8}])
def test_baseline_without_figures_fails_closed(tmp_path, monkeypatch, capsys, metrics):
    monkeypatch.chdir(ROOT)
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps({**json.loads(RAW_RUN.read_text(encoding="utf-8")), "metrics": metrics}), encoding="utf-8")
    assert cli.main(["eval", "--rescore", str(RAW_RUN), "--baseline", str(baseline)]) == 1
    err = capsys.readouterr().err
    assert "REGRESSION" in err and "nothing can be gated" in err and str(baseline) in err


def test_baseline_with_a_figure_that_is_not_a_number_is_located(tmp_path, monkeypatch, capsys):
    # Metrics are typed: a kappa that is not a number is a bad record (exit 2, naming the field), not a figure.
    monkeypatch.chdir(ROOT)
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps({**json.loads(RAW_RUN.read_text(encoding="utf-8")), "metrics": {"point_kappa": "high", "score_qwk": 0.9}}), encoding="utf-8")
    exit_2_naming(["eval", "--rescore", RAW_RUN, "--baseline", baseline], capsys, baseline, "field metrics.point_kappa")


def test_rescore_recuts_with_the_calibration_that_applies_now_and_says_which(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    assert cli.main(["eval", "--rescore", str(RAW_RUN), "--json"]) == 0
    packaged = capsys.readouterr()
    assert "with calibration" in packaged.err and "(packaged)" in packaged.err
    record = json.loads(RAW_RUN.read_text(encoding="utf-8"))
    user_calibration_path().parent.mkdir(parents=True, exist_ok=True)
    user_calibration_path().write_text(json.dumps({f"{record['model']}|{record['prompt_hash']}": {"partial": 0.999, "covered": 1.0}}), encoding="utf-8")
    assert cli.main(["eval", "--rescore", str(RAW_RUN), "--json"]) == 0
    strict = capsys.readouterr()
    assert "(user file)" in strict.err
    # every point is "missing" under the saved thresholds: a saved calibration is measured without re-grading
    assert json.loads(strict.out)["point_accuracy"] < json.loads(packaged.out)["point_accuracy"]


# ---------------------------------------------------------------- the grade cache key


def test_cache_key_covers_calibration_and_routing():
    key = cache_key("m", "p", "r", "answer", "cal-a", DEFAULT_POLICY.id)
    assert key != cache_key("m", "p", "r", "answer", "cal-b", DEFAULT_POLICY.id)
    assert key != cache_key("m", "p", "r", "answer", "cal-a", RoutingPolicy(below_confidence=0.5).id)
    assert key == cache_key("m", "p", "r", "answer", "cal-a", RoutingPolicy().id)


def test_after_calibrate_save_a_batch_does_not_reuse_grades_cut_the_old_way(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-stub")
    rubric = write_rubric(tmp_path / "bank.yaml")
    answers = write_answers(tmp_path / "answers.csv", candidates=4)
    cache = tmp_path / "cache.sqlite"
    with LogprobServer(model=MODEL) as stub:
        assert cli.main(["batch", "--rubric", str(rubric), str(answers), "-o", str(tmp_path / "first"), "--cache", str(cache), *model_args(stub)]) == 0
        assert set(verdicts(tmp_path / "first").values()) == {"missing"}
        user_calibration_path().parent.mkdir(parents=True, exist_ok=True)
        user_calibration_path().write_text(json.dumps({f"{MODEL}|{_prompt_hash()}": {"partial": 0.2, "covered": 0.2}}), encoding="utf-8")
        assert cli.main(["batch", "--rubric", str(rubric), str(answers), "-o", str(tmp_path / "second"), "--cache", str(cache), *model_args(stub)]) == 0
    second = verdicts(tmp_path / "second")
    assert "covered" in second.values()  # cut by the new thresholds, not served from the cache
    rows = [json.loads(line) for line in (tmp_path / "second" / "grades.jsonl").read_text(encoding="utf-8").splitlines()]
    first = [json.loads(line) for line in (tmp_path / "first" / "grades.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {r["calibration_id"] for r in first} == {"uncalibrated"} and "uncalibrated" not in {r["calibration_id"] for r in rows}


def test_each_grade_records_its_calibration_in_grade_json_and_run_records(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-stub")
    rubric = write_rubric(tmp_path / "bank.yaml")
    samples = tmp_path / "samples.jsonl"
    samples.write_text(json.dumps({"id": "s1", "question_id": "q1", "answer": "I would explain the IDEA.", "labels": {"p1": "covered"}}) + "\n", encoding="utf-8")
    with LogprobServer(model=MODEL) as stub:
        assert cli.main(["grade", "--rubric", str(rubric), "--question", "q1", "--answer", "I would explain the IDEA.", "--json", *model_args(stub)]) == 0
        assert json.loads(capsys.readouterr().out)["calibration_id"] == "uncalibrated"
        assert cli.main(["eval", "--rubric", str(rubric), "--samples", str(samples), "--runs-dir", str(tmp_path / "runs"), *model_args(stub)]) == 0
    (record,) = (tmp_path / "runs").glob("*.json")
    assert json.loads(record.read_text(encoding="utf-8"))["predictions"][0]["calibration_id"] == "uncalibrated"
