"""Tests that fail when a safeguard is broken (issue 17 item 11): each one was seen to pass with
the safeguard turned off before it existed. `benchmarks/mutation_check.py` turns each off in a
scratch copy and checks these tests then fail."""

from __future__ import annotations

import json

import pytest

from grader import cli
from grader.evaluation.metrics import compute_metrics
from grader.grading.samples import Sample
from grader.grading.results import AnswerGrade

from .batch_api_server import BatchApiServer
from .conftest import RUBRIC_PATH, SAMPLES_PATH
from .fault_server import FaultServer
from .helpers import LabelEchoGrader, use_scripted_session

HOSTILE = ["<script>alert(1)</script>", '<img src=x onerror="alert(2)">']


def _assert_escaped(html: str) -> None:
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;img src=x onerror=" in html
    assert "<script>alert(1)" not in html and "<img src=x" not in html


def test_eval_report_escapes_answers(tmp_path, monkeypatch):
    # Two answers every point of which a person marked covered, cut short to the hostile text:
    # the scripted grader marks them missing, so they head the worst disagreements in the report.
    lines = [json.loads(line) for line in SAMPLES_PATH.read_text(encoding="utf-8").splitlines()]
    full = [s for s in lines if set(s["labels"].values()) == {"covered"}][:2]
    assert len(full) == 2
    for sample, text in zip(full, HOSTILE):
        sample["answer"] = text
    samples = tmp_path / "samples.jsonl"
    samples.write_text("".join(json.dumps(s, ensure_ascii=False) + "\n" for s in full), encoding="utf-8")
    use_scripted_session(monkeypatch, LabelEchoGrader())
    assert cli.main(["eval", "--rubric", str(RUBRIC_PATH), "--samples", str(samples), "--runs-dir", str(tmp_path / "runs"), "--html", str(tmp_path / "r.html")]) == 0
    _assert_escaped((tmp_path / "r.html").read_text(encoding="utf-8"))


def test_batch_report_escapes_answers_and_names(tmp_path, monkeypatch):
    rows = [{"candidate": f"甲{HOSTILE[0]}", "situational-4": HOSTILE[0] + "我会先核实客户身份。"}, {"candidate": "乙", "stress-1": HOSTILE[1] + "保持冷静。"}]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    scripted = LabelEchoGrader()
    scripted.prompt_hash = "p"
    use_scripted_session(monkeypatch, scripted)
    assert cli.main(["batch", "--rubric", str(RUBRIC_PATH), str(source), "-o", str(tmp_path / "run"), "--cache", str(tmp_path / "c.sqlite")]) == 0
    _assert_escaped((tmp_path / "run" / "report.html").read_text(encoding="utf-8"))


def _sample(rubric, sid, question_id, verdict):
    return Sample(id=sid, question_id=question_id, answer="答", labels={p.id: verdict for p in rubric.question(question_id).points})


def test_an_unscored_answer_is_not_a_zero_in_mae_or_qwk(rubric):
    # A person gave 0; the grader failed. Counting the failure as 0 would make it a perfect match.
    samples = [_sample(rubric, "zero", "stress-1", "missing"), _sample(rubric, "full", "stress-2", "covered")]
    scripted = LabelEchoGrader(rule=lambda q, a, p: "covered", fail_ids=["zero"])
    predictions = {s.id: scripted.grade(rubric.question(s.question_id), s.answer, answer_id=s.id) for s in samples}
    assert predictions["zero"].status == "unscored" and predictions["full"].score == 10
    metrics = compute_metrics(rubric, samples, predictions, resamples=20)
    assert metrics.score_mae == pytest.approx(5.0)  # the failure counts as the worst plausible error, 10
    assert metrics.score_qwk < 0.5


def test_cost_estimate_prices_prompt_and_completion_tokens_apart(tmp_path, monkeypatch):
    # The fault server reports 10 prompt and 5 completion tokens per call.
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"candidate": "甲", "situational-4": "我会先核实客户身份。", "stress-1": "保持冷静。"}, ensure_ascii=False) + "\n", encoding="utf-8")
    with FaultServer([]) as server:
        code = cli.main(["batch", "--rubric", str(RUBRIC_PATH), str(source), "-o", str(tmp_path / "run"), "--cache", str(tmp_path / "c.sqlite"),
                         "--base-url", server.base_url, "--model", "m", "--price-in", "1", "--price-out", "100"])
    assert code == 0 and len(server.seen) == 2
    stats = json.loads((tmp_path / "run" / "run.json").read_text(encoding="utf-8"))["stats"]
    assert (stats["prompt_tokens"], stats["completion_tokens"]) == (20, 10)
    assert stats["estimated_cost"] == pytest.approx((20 * 1 + 10 * 100) / 1e6)


@pytest.mark.parametrize("strategy", ["yesno", "auto"])
def test_provider_batch_refuses_any_strategy_but_structured(tmp_path, monkeypatch, capsys, strategy):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-provider-batch-0000")
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"candidate": "甲", "question_id": "stress-1", "answer": "保持冷静"}, ensure_ascii=False) + "\n", encoding="utf-8")
    with BatchApiServer(polls_until_done=1) as server:
        code = cli.main(["batch", "--rubric", str(RUBRIC_PATH), str(source), "-o", str(tmp_path / "run"), "--cache", str(tmp_path / "c.sqlite"),
                         "--base-url", server.base_url, "--model", "m", "--provider-batch", "--poll-every", "0", "--strategy", strategy])
    err = capsys.readouterr().err
    if strategy == "auto":  # auto is structured for a configured endpoint
        assert code == 0 and len(server.uploads) == 1, err
    else:
        assert code == 2 and "--strategy structured" in err and server.uploads == [] and server.headers == []


@pytest.fixture
def rubric():
    from grader.rubric.model import load_rubric

    return load_rubric(RUBRIC_PATH)
