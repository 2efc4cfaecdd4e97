"""Issue 22, items 6, 8 and 9: what the model client does with an endpoint that redirects, answers
with something that is not a chat completion, trickles its reply or asks for a day's wait, and how a
batch stops asking an endpoint that keeps failing. Each runs against the local fault server (two of
them where a second host is involved) and checks that nothing already graded is lost."""

from __future__ import annotations

import json
import time

import pytest

from grader import cli
from grader.grading.strategies import StructuredGrader
from grader.model.client import ModelClient, ModelSettings
from grader.grading.session import ModelOptions
from grader.recruiting.grade_file import grade_jsonl
from grader.recruiting.inputs import CandidateAnswer
from grader.recruiting.runner import grade_candidates
from grader.recruiting.store import GradeStore

from .conftest import RUBRIC_PATH, SAMPLES_PATH
from .fault_server import NOT_COMPLETIONS, REDIRECT, RETRY_AFTER_A_DAY, TRICKLE, TRICKLE_HEAD, FaultServer

PHONE = "13812345678"
ANSWER = f"我是张伟，电话{PHONE}。我会先核实客户身份，确认账户安全，然后解释这是诈骗短信。"
QUESTION = "situational-4"


def client_for(server, **settings):
    waits = []
    options = dict(model="m", api_key="sk-fault-test", timeout_s=10.0, max_attempts=3, backoff_initial_s=0.01) | settings
    return ModelClient(ModelSettings(base_url=server.base_url, **options), sleep=waits.append), waits


def grade_one(rubric, client):
    return StructuredGrader(client, rubric).grade(rubric.question(QUESTION), ANSWER)


def write_candidates(tmp_path, n):
    source = tmp_path / "in.jsonl"
    rows = [{"candidate": f"c{i}", QUESTION: f"{ANSWER}（{i}）"} for i in range(n)]
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return source


def batch(tmp_path, source, server, *extra):
    argv = ["batch", "--rubric", RUBRIC_PATH, source, "-o", tmp_path / "run", "--cache", tmp_path / "cache.sqlite",
            "--base-url", server.base_url, "--model", "m", "--concurrency", "1", "--max-attempts", "1", *extra]
    return cli.main([str(a) for a in argv])


def stored(run):
    store = GradeStore(run / "grades.sqlite")
    try:
        return {candidate: grade for candidate, grade in store.all_grades()}
    finally:
        store.close()


# ---------------------------------------------------------------- 6. redirects


def test_a_redirect_to_another_host_is_not_followed_and_the_answer_is_unscored(rubric):
    with FaultServer([]) as other, FaultServer([], default=REDIRECT, redirect_to=f"{other.base_url}/chat/completions") as endpoint:
        client, waits = client_for(endpoint)
        result = grade_one(rubric, client)
    assert result.status == "unscored" and result.score is None
    assert "EndpointRedirectError" in result.error and "redirected (307) to another host" in result.error
    assert other.seen == [] and other.bodies == [] and other.gets == []  # the other host received nothing
    assert endpoint.seen == [REDIRECT] and waits == []  # asked once: a redirect is not retried


def test_a_batch_on_a_redirecting_endpoint_keeps_its_grades_and_sends_nothing_elsewhere(tmp_path, capsys):
    source = write_candidates(tmp_path, 2)
    with FaultServer([]) as other, FaultServer([], default=REDIRECT, redirect_to=f"{other.base_url}/chat/completions") as endpoint:
        code = batch(tmp_path, source, endpoint)
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert other.seen == [] and other.gets == []
    grades = stored(tmp_path / "run")
    assert len(grades) == 2 and all("redirected (307) to another host" in g.error for g in grades.values())
    assert (tmp_path / "run" / "ranking.csv").exists()


def test_a_redirect_at_the_first_call_check_stops_before_any_grading(tmp_path, capsys):
    source = write_candidates(tmp_path, 2)
    with FaultServer([]) as other, FaultServer([], models=REDIRECT, redirect_to=f"{other.base_url}/models") as endpoint:
        code = batch(tmp_path, source, endpoint)
    err = capsys.readouterr().err
    assert code == 2 and "does not look like an OpenAI-compatible endpoint" in err and "redirected (307) to another host" in err
    assert endpoint.seen == [] and other.gets == [] and other.seen == []


# ---------------------------------------------------------------- 8. replies that are not completions


@pytest.mark.parametrize("reply", NOT_COMPLETIONS)
def test_a_reply_that_is_not_a_completion_leaves_the_answer_unscored_with_the_reason(rubric, reply):
    with FaultServer([], default=reply) as endpoint:
        client, _ = client_for(endpoint)
        result = grade_one(rubric, client)
    assert result.status == "unscored" and result.score is None
    assert result.error.startswith("NotACompletionError: the endpoint's reply is not a chat completion: ")
    assert endpoint.seen == [reply]  # not asked again: the same URL gives the same page


def test_a_batch_meeting_replies_that_are_not_completions_writes_its_reports_and_a_rerun_grades_only_those(tmp_path, capsys):
    source = write_candidates(tmp_path, 6)
    with FaultServer(list(NOT_COMPLETIONS)) as endpoint:
        code = batch(tmp_path, source, endpoint)
    err = capsys.readouterr().err
    assert code == 1 and "internal error" not in err and "Traceback" not in err
    grades = stored(tmp_path / "run")
    unscored = [g for g in grades.values() if g.status == "unscored"]
    assert len(grades) == 6 and len(unscored) == 4
    assert all("the endpoint's reply is not a chat completion" in g.error for g in unscored)
    assert all((tmp_path / "run" / name).exists() for name in ("ranking.csv", "grades.jsonl", "report.html"))
    with FaultServer([]) as endpoint:
        assert batch(tmp_path, source, endpoint) == 0
    assert len(endpoint.seen) == 4  # the two graded before were kept, not asked again
    assert all(g.status == "scored" for g in stored(tmp_path / "run").values())


@pytest.mark.parametrize("command", ["batch", "eval", "grade"])
def test_a_url_that_is_not_an_openai_endpoint_is_refused_before_any_grading(tmp_path, capsys, command):
    source = write_candidates(tmp_path, 3)
    answers = tmp_path / "answers.jsonl"
    answers.write_text(json.dumps({"id": "a1", "question_id": QUESTION, "answer": ANSWER}, ensure_ascii=False) + "\n", encoding="utf-8")
    with FaultServer([], default="html", models="html") as website:
        common = ["--base-url", website.base_url, "--model", "m"]
        argv = {
            "batch": ["batch", "--rubric", RUBRIC_PATH, source, "-o", tmp_path / "run", "--cache", tmp_path / "c.sqlite", *common],
            "eval": ["eval", "--rubric", RUBRIC_PATH, "--samples", SAMPLES_PATH, "--limit", "3", "--runs-dir", tmp_path / "runs", *common],
            "grade": ["grade", "--rubric", RUBRIC_PATH, answers, "-o", tmp_path / "out.jsonl", *common],
        }[command]
        code = cli.main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"{website.base_url}: this URL does not look like an OpenAI-compatible endpoint: GET {website.base_url}/models answered an HTML page" in err
    assert website.seen == [] and "Traceback" not in err  # not one completion asked
    assert not (tmp_path / "runs").exists() and not (tmp_path / "out.jsonl").exists()


def test_where_models_is_404_one_tiny_completion_decides(tmp_path, capsys):
    source = write_candidates(tmp_path, 2)
    with FaultServer([], default="404", models="404") as nothing_here:
        assert batch(tmp_path, source, nothing_here) == 2
    assert "does not look like an OpenAI-compatible endpoint" in capsys.readouterr().err
    assert len(nothing_here.seen) == 1 and nothing_here.bodies[0]["max_tokens"] == 1
    with FaultServer([], models="404") as no_model_list:  # an endpoint without GET /models grades
        assert batch(tmp_path, source, no_model_list) == 0
    assert len(no_model_list.seen) == 3  # the check, then the two answers


# ---------------------------------------------------------------- 9. deadlines and the breaker


def test_a_trickled_reply_is_cut_off_at_the_calls_deadline(rubric):
    with FaultServer([], default=TRICKLE, trickle_s=0.05) as endpoint:
        client, _ = client_for(endpoint, timeout_s=1.0)
        result = grade_one(rubric, client)
        for _ in range(100):  # the server notices the hang-up at its next byte
            if endpoint.trickled:
                break
            time.sleep(0.05)
    assert result.status == "unscored" and result.error.startswith("CallTimeoutError: no usable reply within the call's 1 s deadline")
    assert endpoint.seen == [TRICKLE]  # no time left to ask again
    sent, whole = endpoint.trickled[0]
    assert sent < whole / 2, (sent, whole)  # each byte would restart a read timeout: the deadline ended it


def test_a_trickled_status_line_and_headers_end_at_the_calls_deadline(rubric):
    # Each head byte would restart the read timeout too; the head is awaited within the deadline.
    with FaultServer([], default=TRICKLE_HEAD, trickle_s=0.05) as endpoint:
        client, _ = client_for(endpoint, timeout_s=1.0)
        result = grade_one(rubric, client)
        sent, whole = endpoint.head_sent  # the whole head takes the server 13 s and more
        seen = list(endpoint.seen)
    assert result.status == "unscored" and result.error.startswith("CallTimeoutError: no usable reply within the call's 1 s deadline"), result.error
    assert sent < whole / 2, (sent, whole)  # the call ended while the head was still arriving, not after it
    assert seen == [TRICKLE_HEAD]  # no time left to ask again


def test_a_retry_after_past_the_deadline_ends_the_call_instead_of_waiting(rubric):
    with FaultServer([], default=RETRY_AFTER_A_DAY) as endpoint:
        client, waits = client_for(endpoint, timeout_s=30.0)
        result = grade_one(rubric, client)
    assert result.status == "unscored" and "CallTimeoutError" in result.error
    assert "the endpoint asked to wait 100000 s" in result.error
    assert waits == [] and endpoint.seen == [RETRY_AFTER_A_DAY]


def test_every_command_that_calls_a_model_takes_timeout(monkeypatch):
    parser = cli.build_parser()
    commands = parser._subparsers._group_actions[0].choices
    calling = [name for name, sub in commands.items() if "--base-url" in sub._option_string_actions]
    assert {"grade", "batch", "check", "serve", "eval"} <= set(calling)
    for name in calling:
        assert "--timeout" in commands[name]._option_string_actions, name
    monkeypatch.setenv("GRADER_TIMEOUT", "7")
    assert ModelOptions().settings().timeout_s == 7.0
    assert ModelOptions(timeout_s=3.0).settings().timeout_s == 3.0  # the flag wins


def test_timeout_flag_and_variable_reach_the_call_and_bad_values_are_bad_input(monkeypatch, capsys):
    argv = ["grade", "--rubric", str(RUBRIC_PATH), "--question", QUESTION, "--answer", ANSWER, "--model", "m", "--max-attempts", "1"]
    with FaultServer([], default=TRICKLE, trickle_s=0.05) as endpoint:
        code = cli.main([*argv, "--base-url", endpoint.base_url, "--timeout", "1"])
    assert code == 1 and "CallTimeoutError: no usable reply within the call's 1 s deadline" in capsys.readouterr().out
    monkeypatch.setenv("GRADER_TIMEOUT", "soon")
    assert cli.main([*argv, "--base-url", "http://127.0.0.1:9/v1"]) == 2
    assert "GRADER_TIMEOUT: 'soon' is not a positive number of seconds" in capsys.readouterr().err


def test_the_batch_stops_asking_after_five_failures_of_one_kind_and_a_rerun_resumes(tmp_path, rubric):
    answers = [CandidateAnswer(f"c{i}", QUESTION, f"{ANSWER}（{i}）", "t") for i in range(12)]
    store = GradeStore(tmp_path / "g.sqlite")
    with FaultServer([], default="500") as endpoint:
        client, _ = client_for(endpoint, max_attempts=1)
        stats = grade_candidates(StructuredGrader(client, rubric), rubric, answers, store, concurrency=1, show_progress=False)
    asked = len(endpoint.seen)
    assert asked in (5, 6) and stats.graded == asked  # five, and the one already in flight (concurrency 1)
    assert "after 5 answers in a row failed with InternalServerError" in stats.stopped and f"{12 - asked} answers were not asked" in stats.stopped
    with FaultServer([]) as endpoint:
        client, _ = client_for(endpoint, max_attempts=1)
        again = grade_candidates(StructuredGrader(client, rubric), rubric, answers, store, concurrency=3, show_progress=False)
    assert again.stopped == "" and len(endpoint.seen) == 12
    assert sorted(c for c, g in store.all_grades() if g.status == "scored") == sorted(a.candidate for a in answers)
    store.close()


def test_a_stopped_batch_says_why_keeps_its_grades_and_writes_no_half_ranking(tmp_path, capsys):
    source = write_candidates(tmp_path, 8)
    with FaultServer([], default="500") as endpoint:
        code = batch(tmp_path, source, endpoint)
    err = capsys.readouterr().err
    assert code == 1 and "stopped asking the endpoint after 5 answers in a row failed with InternalServerError" in err
    asked = len(endpoint.seen)
    assert asked in (5, 6) and f"{8 - asked} answers were not asked" in err and "no reports written" in err
    assert len(stored(tmp_path / "run")) == asked and not (tmp_path / "run" / "ranking.csv").exists()


def test_grade_file_stops_asking_too_and_resumes(tmp_path, rubric):
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": f"a{i}", "question_id": QUESTION, "answer": ANSWER}, ensure_ascii=False) + "\n" for i in range(7)), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    with FaultServer([], default="503") as endpoint:
        client, _ = client_for(endpoint, max_attempts=1)
        summary = grade_jsonl(StructuredGrader(client, rubric), rubric, source, out)
    assert len(endpoint.seen) == 5 and "2 answers were not asked" in summary.stopped
    with FaultServer([]) as endpoint:
        client, _ = client_for(endpoint, max_attempts=1)
        again = grade_jsonl(StructuredGrader(client, rubric), rubric, source, out)
    assert again.graded == 7 and not again.stopped and len(endpoint.seen) == 7
