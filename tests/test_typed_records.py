"""Issue 23, typed records and the review split: metrics, the batch run.json and a candidate's
answers are typed; one verdict list; the review queue reads the grade store only through it, its
agreement is the eval's, and its export is `Sample`s; model failures reach callers as one error
of ours."""

from __future__ import annotations

import http.client
import json
import re

import openai
import pytest
from pydantic import BaseModel

from grader import cli
from grader.errors import GraderError, InputError, ModelCallError, ReviewError, UnknownIdError
from grader.evaluation.gate import regression
from grader.evaluation.metrics import HEADLINE, Metrics, compute_metrics, point_agreement
from grader.evaluation.runs import RunRecord, load_run, write_run
from grader.grading.results import LABELS, VERDICTS, BatchSummary, Verdict
from grader.grading.samples import Sample, load_samples
from grader.grading.calibration import Calibration, Thresholds
from grader.grading.combiner import ANCHORED_FEATURES, Combiner
from grader.grading.strategies import PointJudgement, YesNoGrader
from grader.model.client import CallInfo, ModelClient, ModelSettings, parse_completion
from grader.practice.feedback import AttemptLog
from grader.practice.webapp import PracticeApp
from grader.recruiting.batch_record import BATCH_RUN_SCHEMA_VERSION, BatchRunRecord, load_batch_record
from grader.recruiting.ranking import RankedAnswer
from grader.recruiting.review import ReviewRun
from grader.recruiting.review_store import judged_points
from grader.rubric.model import load_rubric

from .conftest import ROOT, RUBRIC_PATH, SAMPLES_PATH
from .fault_server import FaultServer
from .helpers import LabelEchoGrader, use_scripted_session

EXAMPLE = ROOT / "examples" / "candidates-wide-gbk.csv"


def _batch(tmp_path, monkeypatch):
    """A batch of the example file (with bad rows: exit 2) by a scripted grader, one answer unscored."""
    grader = LabelEchoGrader(fail_ids=["王芳/stress-1"])
    grader.prompt_hash = "p"
    use_scripted_session(monkeypatch, grader)
    out = tmp_path / "run"
    assert cli.main(["batch", "--rubric", str(RUBRIC_PATH), str(EXAMPLE), "-o", str(out), "--cache", str(tmp_path / "cache.sqlite"), "--cutoff", "20"]) == 2
    return out


# ---------------------------------------------------------------- metrics


def test_metrics_are_a_model_that_a_run_record_stores_and_reads_back(tmp_path, rubric):
    samples = load_samples(SAMPLES_PATH, rubric)[:30]
    predictions = {s.id: LabelEchoGrader().grade(rubric.question(s.question_id), s.answer, s.id) for s in samples}
    metrics = compute_metrics(rubric, samples, predictions, resamples=20)
    assert isinstance(metrics, Metrics) and metrics.n_answers == 30 and metrics.by_kind and metrics.confusion.labels[:3] == LABELS
    assert set(HEADLINE) <= set(Metrics.model_fields)  # what describe and compare read are fields
    path = write_run(tmp_path, RunRecord(model="m", strategy="s", time="2026-12-06T00:00:00", metrics=metrics))
    assert load_run(path).metrics == metrics


def test_a_stored_record_keeps_figures_this_version_no_longer_computes(tmp_path):
    older = {"point_kappa": 0.5, "score_qwk": 0.7, "review": {"threshold": 0.4, "marked": 3}}
    path = tmp_path / "older.json"
    path.write_text(json.dumps({"metrics": older}), encoding="utf-8")
    record = load_run(path)
    assert record.metrics.point_kappa == 0.5 and record.metrics.to_dict() == older
    assert json.loads(record.to_json())["metrics"] == older


def test_the_gate_reads_the_figures_it_gates_on():
    baseline = RunRecord(metrics={"point_kappa": 0.5})  # no score_qwk: nothing to gate that on
    failures = regression(baseline, Metrics(point_kappa=0.5, score_qwk=0.9), 0.05)
    assert len(failures) == 1 and "no score_qwk" in failures[0]


# ---------------------------------------------------------------- the batch run.json


def test_batch_writes_a_versioned_run_record_that_review_reads_back(tmp_path, monkeypatch):
    out = _batch(tmp_path, monkeypatch)
    stored = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert stored["schema_version"] == BATCH_RUN_SCHEMA_VERSION and stored["cutoff"] == 20 and stored["stats"]["unscored"] == 1
    run = ReviewRun.open(out)
    assert isinstance(run.meta, BatchRunRecord) and isinstance(run.meta.stats, BatchSummary)
    assert run.meta.stats.unscored == 1 and run.cutoff == 20 and run.meta.model == "scripted"
    run.write_reports()  # the counts in the rewritten report are the batch's, read as typed
    assert run.meta.stats.describe() in (out / "report.html").read_text(encoding="utf-8")


def test_a_run_record_without_a_version_is_converted_and_a_newer_one_refused(tmp_path):
    path = tmp_path / "run.json"
    # As `grader batch` wrote it before the record had a version (and a field since dropped).
    path.write_text(json.dumps({"model": "m", "rubric_path": "r.yaml", "cutoff": None, "margin": None, "stats": {"graded": 3, "gone_field": 1}}), encoding="utf-8")
    record = load_batch_record(path)
    assert record.schema_version == BATCH_RUN_SCHEMA_VERSION and record.margin == 5.0 and record.stats.graded == 3
    path.write_text(json.dumps({"schema_version": BATCH_RUN_SCHEMA_VERSION + 1, "rubric_path": "r.yaml"}), encoding="utf-8")
    with pytest.raises(InputError, match=rf"{re.escape(str(path))}: field schema_version: version {BATCH_RUN_SCHEMA_VERSION + 1} was written by a newer grader"):
        load_batch_record(path)
    path.write_text(json.dumps({"rubric_path": "r.yaml", "stats": {"graded": "many"}}), encoding="utf-8")
    with pytest.raises(InputError, match="field stats.graded"):
        load_batch_record(path)


# ---------------------------------------------------------------- answers and verdicts


def test_a_candidates_answers_are_typed(tmp_path, monkeypatch):
    out = _batch(tmp_path, monkeypatch)
    results = ReviewRun.open(out).results()
    answers = [a for r in results for a in r.answers]
    assert answers and all(isinstance(a, RankedAnswer) for a in answers)
    failed = next(a for r in results if r.candidate == "王芳" for a in r.answers if a.grade.question_id == "stress-1")
    assert failed.awaits_person and "unscored" in failed.flags
    assert next(r for r in results if r.candidate == "王芳").answers[0] is failed  # routed answers first


def test_one_verdict_list():
    assert VERDICTS == tuple(v.value for v in Verdict) and LABELS == list(reversed(VERDICTS))
    assert PointJudgement.model_json_schema()["properties"]["verdict"]["enum"] == list(VERDICTS)


def test_a_review_verdict_must_be_a_verdict(rubric):
    question = rubric.question("stress-1")
    points = {p.id: "covered" for p in question.points}
    assert list(judged_points("a/stress-1", question, dict(reversed(points.items())))) == [p.id for p in question.points]
    with pytest.raises(ReviewError, match="bad verdicts"):
        judged_points("a/stress-1", question, {**points, question.points[0].id: "yes"})


# ---------------------------------------------------------------- the review split


def test_only_the_grade_store_touches_the_grades_table():
    sql = re.compile(r"(FROM|INTO|UPDATE|JOIN)\s+grades\b", re.IGNORECASE)
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "grader").rglob("*.py") if sql.search(p.read_text(encoding="utf-8")) and p.name != "store.py"]
    assert offenders == []


def test_review_agreement_is_the_eval_metrics(tmp_path, monkeypatch, rubric):
    out = _batch(tmp_path, monkeypatch)
    run = ReviewRun.open(out)
    items = run.items()
    for item, verdict in zip(items[:6], ["covered", "missing", "partial", "covered", "missing", "missing"]):
        run.save(item.answer_id, {p.id: verdict for p in rubric.question(item.question_id).points})
    agreement = run.agreement()
    exported = tmp_path / "samples.jsonl"
    assert run.export(exported) == agreement["n_reviewed"] == 6
    samples = load_samples(exported, rubric)  # the export reads back as samples
    predictions = {i.answer_id: i.grade.model_copy(update={"answer_id": i.answer_id}) for i in items}
    metrics = compute_metrics(rubric, samples, predictions, resamples=2)
    assert agreement["n_points"] == metrics.n_points
    assert agreement["point_agreement"] == pytest.approx(metrics.point_accuracy, abs=1e-4)
    assert agreement["point_kappa"] == pytest.approx(metrics.point_kappa, abs=1e-4)
    assert point_agreement(["covered", "missing"], ["covered", "unscored"])[1] == 0.5  # a failed grade disagrees


def test_the_export_is_samples_with_the_reviews_provenance(tmp_path, monkeypatch, rubric):
    out = _batch(tmp_path, monkeypatch)
    run = ReviewRun.open(out)
    item = run.items()[0]
    run.save(item.answer_id, {p.id: "partial" for p in rubric.question(item.question_id).points}, note="ok", reviewer="王经理")
    exported = tmp_path / "samples.jsonl"
    assert run.export(exported) == 1
    (line,) = exported.read_text(encoding="utf-8").splitlines()
    row = json.loads(line)
    assert list(row) == ["id", "question_id", "answer", "labels", "score", "kind", "note", "reviewer", "reviewed_at", "model_score"]
    assert Sample.model_validate(row).labels == {p.id: Verdict.partial for p in rubric.question(item.question_id).points}
    assert row["reviewer"] == "王经理" and row["model_score"] == item.grade.score



# ---------------------------------------------------------------- errors


def _client(server, **overrides):
    settings = dict(base_url=server.base_url, model="m", api_key="sk-typed-records-0000", max_attempts=2, backoff_initial_s=0.001, timeout_s=20)
    return ModelClient(ModelSettings(**{**settings, **overrides}), sleep=lambda s: None)


class Verdicts(BaseModel):
    p1: PointJudgement


def test_a_failed_call_is_one_error_of_ours_with_attempts_reply_and_usage():
    with FaultServer(["500", "500"]) as server:
        with pytest.raises(ModelCallError) as failed:
            _client(server).complete_json([{"role": "user", "content": "grade"}], Verdicts)
    error = failed.value
    assert type(error) is ModelCallError and isinstance(error.__cause__, openai.InternalServerError)
    assert (error.kind, error.attempts, error.status) == ("InternalServerError", 2, 500)
    assert "500" in error.last_response and error.describe().startswith("InternalServerError: ")

    with FaultServer([], default="wrong_shape") as server:  # the model answers, twice, with the wrong JSON
        with pytest.raises(ModelCallError) as failed:
            _client(server).complete_json([{"role": "user", "content": "grade"}], Verdicts)
    error = failed.value
    assert type(error) is ModelCallError and (error.kind, error.attempts, error.status) == ("ModelOutputError", 2, None)
    assert '"verdict": "covered"' in error.last_response and error.usage.calls == 2 and error.usage.prompt_tokens == 20


def test_the_batch_api_calls_fail_with_the_same_error():
    with pytest.raises(ModelCallError) as failed:
        ModelClient(ModelSettings(base_url="http://127.0.0.1:9/v1", model="m", api_key="k", max_attempts=1)).batch_state("batch_1")
    assert failed.value.kind == "APIConnectionError" and failed.value.attempts == 1


def test_a_batch_result_that_is_not_a_completion_is_a_model_failure():
    with pytest.raises(ModelCallError, match="not a chat completion"):
        parse_completion({"choices": "none"}, Verdicts)


def test_review_and_lookup_errors_are_ours(tmp_path, monkeypatch, rubric):
    assert issubclass(ReviewError, InputError) and issubclass(InputError, GraderError)
    run = ReviewRun.open(_batch(tmp_path, monkeypatch))
    with pytest.raises(ReviewError, match="unknown answer id"):
        run.item("nobody/stress-1")
    with pytest.raises(UnknownIdError, match="unknown question id 'q9'.*known: "):
        rubric.question("q9")
    with pytest.raises(UnknownIdError, match="unknown point id 'p9' in question 'stress-1'"):
        rubric.question("stress-1").point("p9")
    with pytest.raises(UnknownIdError, match="unknown question id 'q9'"):
        rubric.section_of("q9")


def test_an_unknown_question_reaches_the_page_and_the_command_line_as_bad_input(tmp_path, capsys):
    assert cli.main(["grade", "--rubric", str(RUBRIC_PATH), "--question", "q9", "--answer", "x"]) == 2
    assert "unknown question id 'q9'" in capsys.readouterr().err
    app = PracticeApp(load_rubric(RUBRIC_PATH), LabelEchoGrader(), AttemptLog(tmp_path / "attempts.jsonl"))
    with app.make_server("127.0.0.1", 0) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        body = json.dumps({"question_id": "q9", "answer": "我会先核实客户身份。"}, ensure_ascii=False).encode()
        conn.request("POST", "/api/grade", body=body, headers={"content-type": "application/json"})
        response = conn.getresponse()
        status, text = response.status, response.read().decode()
        conn.close()
    assert status == 400 and "unknown question id 'q9'" in text


def test_a_calibration_that_reads_anchors_a_prompt_lacks_is_bad_input(rubric):
    # A hand-edited (or misfiled) calibration entry: the user can fix it, so it is named, not a bug.
    grader = YesNoGrader(ModelClient(ModelSettings(base_url="http://127.0.0.1:9/v1", model="m", api_key="k")), rubric)
    grader.calibration = Calibration(Thresholds(0.2, 0.6), Combiner(weights=(1.0, 0.5, 0.1, -0.7), bias=-0.2), fitted=True, feature_names=ANCHORED_FEATURES)
    grader.anchor_answer = None
    with pytest.raises(InputError, match="reads anchors, but prompt .* has no anchor_answer block"):
        grader.anchors(rubric.question("stress-1"), CallInfo())
