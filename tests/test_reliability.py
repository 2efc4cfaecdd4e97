"""Endpoint faults against a real (local, misbehaving) HTTP server: each fault is retried with
backoff and then recorded as unscored with its reason; no answer is lost or graded twice."""

import json
from collections import Counter

import pytest

from grader.recruiting.grade_file import grade_jsonl
from grader.recruiting.runner import grade_candidates
from grader.grading.strategies import StructuredGrader
from grader.model.client import ModelClient, ModelSettings
from grader.recruiting.store import GradeStore
from grader.recruiting.inputs import CandidateAnswer

from .conftest import RUBRIC_PATH
from .fault_server import FAULTS, FaultServer

ANSWER = "我会先核实客户身份，确认账户安全，然后解释这是诈骗短信。"


def client_for(server, attempts=3):
    waits = []
    settings = ModelSettings(base_url=server.base_url, model="m", api_key="sk-fault-test", timeout_s=1.0, max_attempts=attempts, backoff_initial_s=0.01)
    return ModelClient(settings, sleep=waits.append), waits


# A reply slower than the call's deadline leaves no time to ask again (test_hardening2_client).
@pytest.mark.parametrize("fault", [f for f in FAULTS if f != "timeout"])
def test_each_fault_is_retried_then_succeeds(rubric, fault):
    with FaultServer([fault]) as server:
        client, waits = client_for(server)
        result = StructuredGrader(client, rubric).grade(rubric.question("situational-4"), ANSWER)
    assert result.status == "scored", result.error
    assert server.seen == [fault, "good"]
    assert len(waits) == 1
    if fault == "429_retry_after":
        assert waits == [0.05]


@pytest.mark.parametrize("fault", FAULTS)
def test_a_persistent_fault_leaves_the_answer_unscored_with_a_reason(rubric, fault):
    with FaultServer([], default=fault) as server:
        client, _ = client_for(server, attempts=2)
        result = StructuredGrader(client, rubric).grade(rubric.question("situational-4"), ANSWER)
    assert result.status == "unscored" and result.score is None and result.points == []
    assert result.error and "sk-fault-test" not in result.error
    assert len(server.seen) == (1 if fault == "timeout" else 2)  # a timeout spends the call's whole deadline


def test_faults_in_a_batch_are_counted_and_a_resume_grades_only_what_failed(tmp_path, rubric):
    answers = [CandidateAnswer(f"c{i}", "situational-4", f"{ANSWER}（{i}）", "t") for i in range(6)]
    store = GradeStore(tmp_path / "g.sqlite")
    # Each answer gets one attempt: answers 1, 3 and 5 meet a fault.
    script = ["good", "500", "good", "timeout", "good", "truncated_json"]
    with FaultServer(script) as server:
        client, _ = client_for(server, attempts=1)
        stats = grade_candidates(StructuredGrader(client, rubric), rubric, answers, store, concurrency=1, show_progress=False)
    assert stats.unscored == 3
    assert Counter(stats.failures) == Counter({"InternalServerError": 1, "CallTimeoutError": 1, "ModelOutputError": 1})
    with FaultServer([]) as server:
        client, _ = client_for(server, attempts=1)
        again = grade_candidates(StructuredGrader(client, rubric), rubric, answers, store, concurrency=2, show_progress=False)
    assert again.already_done == 3 and len(server.seen) == 3 and again.unscored == 0
    assert sorted(c for c, g in store.all_grades() if g.status == "scored") == [f"c{i}" for i in range(6)]


def test_jsonl_batch_keeps_unscored_lines_and_regrades_them_on_resume(tmp_path, rubric):
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": f"a{i}", "question_id": "situational-4", "answer": ANSWER}) + "\n" for i in range(3)), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    with FaultServer(["good", "503", "good"]) as server:
        client, _ = client_for(server, attempts=1)
        summary = grade_jsonl(StructuredGrader(client, rubric), rubric, source, out)
    assert summary.graded == 3 and summary.unscored == 1
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["status"] for line in lines] == ["scored", "unscored", "scored"]
    with FaultServer([]) as server:
        client, _ = client_for(server, attempts=1)
        again = grade_jsonl(StructuredGrader(client, rubric), rubric, source, out)
    assert again.graded == 1 and again.already_done == 2 and len(server.seen) == 1
    last = {}
    for line in out.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        last[record["answer_id"]] = record["status"]
    assert last == {"a0": "scored", "a1": "scored", "a2": "scored"}


def test_batch_command_with_worker_processes_grades_every_answer_once(tmp_path, monkeypatch):
    from grader import cli

    rows = "".join(json.dumps({"candidate": f"c{i}", "situational-4": f"{ANSWER}（{i}）", "stress-1": f"保持冷静（{i}）"}, ensure_ascii=False) + "\n" for i in range(5))
    (tmp_path / "in.jsonl").write_text(rows, encoding="utf-8")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with FaultServer([]) as server:
        args = ["batch", "--rubric", str(RUBRIC_PATH), str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "run"), "--cache", str(tmp_path / "c.sqlite")]
        code = cli.main([*args, "--base-url", server.base_url, "--model", "m", "--workers", "2", "--concurrency", "4"])
    assert code == 0 and len(server.seen) == 10  # each answer once, across both processes
    store = GradeStore(tmp_path / "run" / "grades.sqlite")
    assert sorted((c, g.question_id) for c, g in store.all_grades()) == sorted((f"c{i}", q) for i in range(5) for q in ("situational-4", "stress-1"))
