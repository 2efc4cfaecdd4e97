"""`--provider-batch` against a local stand-in for the OpenAI Batch API: submit, stop, restart,
resume polling without submitting again, collect, and re-submit only what failed."""

import json

import pytest

from grader import cli
from grader.grading.strategies import StructuredGrader
from grader.model.client import ModelClient, ModelSettings
from grader.recruiting.provider_batch import BatchRunOptions, grade_with_provider_batch, request_id
from grader.recruiting.store import GradeCache, GradeStore
from grader.recruiting.inputs import CandidateAnswer

from .batch_api_server import BatchApiServer
from .conftest import RUBRIC_PATH

KEY = "sk-batch-test-secret"
QUESTIONS = ["situational-4", "stress-1", "knowledge-2", "behavioral-1"]


def answers():
    return [
        CandidateAnswer(f"候选人{c}", q, f"第{c}位候选人对{q}的回答：先安抚客户。再核实信息并跟进。", "input.csv")
        for c in range(6)
        for q in QUESTIONS
    ]


def run(server, rubric, tmp_path, **options):
    """One `grader batch --provider-batch` invocation: a fresh client and store on the same run folder."""
    client = ModelClient(ModelSettings(base_url=server.base_url, model="gpt-test", api_key=KEY, max_attempts=1))
    store = GradeStore(tmp_path / "run" / "grades.sqlite")
    cache = GradeCache(tmp_path / "cache.sqlite")
    log = []
    try:
        stats = grade_with_provider_batch(
            StructuredGrader(client, rubric), rubric, answers(), store, cache,
            BatchRunOptions(poll_every_s=30, **options), sleep=lambda s: None, clock=lambda: 0.0, say=log.append,
        )
        return stats, store.all_grades(), log
    finally:
        store.close()
        cache.close()


def test_restart_resumes_polling_without_submitting_again(rubric, tmp_path):
    with BatchApiServer(polls_until_done=3) as server:
        stats, grades, log = run(server, rubric, tmp_path, max_wait_s=0)  # stops after the first poll
        assert (len(server.uploads), len(server.batches), grades) == (1, 1, [])
        assert any("run the same command again" in line for line in log)

        stats, grades, _ = run(server, rubric, tmp_path)  # the restart
        assert len(server.uploads) == 1 and len(server.batches) == 1, "a restart must not pay for the batch twice"
        assert stats.graded == 24 and stats.unscored == 0
        assert sorted((c, g.question_id) for c, g in grades) == sorted((a.candidate, a.question_id) for a in answers())
        # Each output line was checked like a live response: p1 quotes the answer, so it stands.
        assert all(g.points[0].verdict.value == "covered" and g.points[0].evidence.startswith("第") for _, g in grades)
        assert all(g.model == "gpt-test" and g.usage.calls == 1 for _, g in grades)

        stats, _, _ = run(server, rubric, tmp_path)  # nothing left: no upload, no poll
        assert stats.already_done == 24 and len(server.uploads) == 1 and sum(server.polls.values()) == 3


def test_uploaded_requests_are_chat_completions_with_the_schema_and_no_key(rubric, tmp_path):
    with BatchApiServer(polls_until_done=1) as server:
        run(server, rubric, tmp_path)
    lines = [json.loads(line) for line in server.uploads[0].splitlines()]
    assert len(lines) == 24 and len({line["custom_id"] for line in lines}) == 24
    body = lines[0]["body"]
    assert lines[0]["url"] == "/v1/chat/completions" and body["model"] == "gpt-test"
    assert body["response_format"]["type"] == "json_schema" and body["temperature"] == 0
    assert KEY not in server.uploads[0]
    assert server.batches["batch_1"]["completion_window"] == "24h"


def test_failed_and_broken_lines_are_unscored_then_resubmitted_alone(rubric, tmp_path):
    failing = request_id(answers()[0])
    broken = request_id(answers()[5])
    with BatchApiServer(polls_until_done=1, fail_ids={failing}, broken_ids={broken}) as server:
        stats, grades, _ = run(server, rubric, tmp_path)
        unscored = {g.answer_id: g.error for _, g in grades if g.status == "unscored"}
        assert stats.unscored == 2 and len(unscored) == 2
        assert "mock failure" in unscored["候选人0/situational-4"]
        assert "does not match the schema" in unscored["候选人1/stress-1"]

        server.fail_ids.clear()
        server.broken_ids.clear()
        stats, grades, _ = run(server, rubric, tmp_path)
        assert [len(u.splitlines()) for u in server.uploads] == [24, 2]
        assert stats.graded == 2 and all(g.status == "scored" for _, g in grades) and len(grades) == 24


def test_provider_batch_needs_an_endpoint_and_the_structured_strategy(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("GRADER_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"candidate": "甲", "question_id": "stress-1", "answer": "保持冷静"}, ensure_ascii=False) + "\n", encoding="utf-8")
    code = cli.main(["batch", "--rubric", str(RUBRIC_PATH), str(path), "-o", str(tmp_path / "run"), "--provider-batch"])
    assert code == 2
    assert "--provider-batch needs a configured endpoint" in capsys.readouterr().err


@pytest.fixture
def rubric():
    from grader.rubric.model import load_rubric

    return load_rubric(RUBRIC_PATH)
