"""The retry layer and the structured-output fallbacks, against a scripted in-memory transport."""

import json

import httpx2
import pytest

from grader.grading.strategies import StructuredGrader
from grader.model.client import ModelClient, ModelSettings

ANSWER = "我会先核实客户身份，确认账户安全。然后告诉他这是诈骗短信。"


def completion(content, finish_reason="stop"):
    return {
        "id": "c1",
        "object": "chat.completion",
        "created": 0,
        "model": "scripted",
        "system_fingerprint": "fp_test",
        "choices": [{"index": 0, "finish_reason": finish_reason, "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def good_grade(question):
    body = {p.id: {"evidence": "", "reason": "无", "verdict": "missing"} for p in question.points}
    body["p1"] = {"evidence": "我会先核实客户身份，确认账户安全", "reason": "核实身份", "verdict": "covered"}
    body["p2"] = {"evidence": "立即验证客户身份", "reason": "抄了要点", "verdict": "covered"}
    return json.dumps(body, ensure_ascii=False)


class Script:
    """Answers requests from a list of (status, json body, headers); records what was sent."""

    def __init__(self, *steps):
        self.steps = list(steps)
        self.requests = []

    def __call__(self, request):
        self.requests.append(json.loads(request.content))
        status, body, headers = self.steps.pop(0)
        if isinstance(body, Exception):
            raise body
        return httpx2.Response(status, json=body, headers=headers or {})


def make(script, **settings):
    waits = []
    client = ModelClient(
        ModelSettings(base_url="http://scripted.test/v1", model="m", api_key="sk-test-secret", backoff_initial_s=0.01, **settings),
        http_client=httpx2.Client(transport=httpx2.MockTransport(script)),
        sleep=waits.append,
    )
    return client, waits


def test_429_honours_retry_after_then_succeeds(rubric):
    q = rubric.question("situational-4")
    script = Script((429, {"error": {"message": "slow down"}}, {"retry-after": "7"}), (200, completion(good_grade(q)), None))
    client, waits = make(script)
    result = StructuredGrader(client, rubric).grade(q, ANSWER)
    assert result.status == "scored" and waits == [7.0]
    assert len(script.requests) == 2


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retried_with_backoff(rubric, status):
    q = rubric.question("situational-4")
    script = Script((status, {"error": {"message": "boom"}}, None), (200, completion(good_grade(q)), None))
    client, waits = make(script)
    assert StructuredGrader(client, rubric).grade(q, ANSWER).status == "scored"
    assert len(waits) == 1 and 0 < waits[0] < 1


def test_connection_failures_are_retried(rubric):
    q = rubric.question("situational-4")
    script = Script((0, httpx2.ReadTimeout("timed out"), None), (0, httpx2.ConnectError("reset"), None), (200, completion(good_grade(q)), None))
    client, waits = make(script)
    assert StructuredGrader(client, rubric).grade(q, ANSWER).status == "scored"
    assert len(waits) == 2


def test_invalid_output_is_re_asked_with_the_error(rubric):
    q = rubric.question("situational-4")
    script = Script(
        (200, completion('{"p1": {"verdict": "covered"'), None),  # truncated JSON
        (200, completion(json.dumps({"p1": {"evidence": "", "reason": "", "verdict": "maybe"}})), None),  # wrong shape
        (200, completion(good_grade(q)), None),
    )
    client, _ = make(script)
    result = StructuredGrader(client, rubric).grade(q, ANSWER)
    assert result.status == "scored"
    assert "invalid" in script.requests[1]["messages"][-1]["content"]
    assert result.usage.calls == 3


def test_still_failing_answer_is_unscored_not_zero(rubric):
    q = rubric.question("situational-4")
    script = Script(*[(200, completion("not json"), None)] * 2)
    client, _ = make(script, max_attempts=2)
    result = StructuredGrader(client, rubric).grade(q, ANSWER)
    assert result.status == "unscored" and result.score is None
    assert "ModelOutputError" in result.error and result.points == []


def test_cut_off_output_is_an_error(rubric):
    q = rubric.question("situational-4")
    script = Script((200, completion(good_grade(q), finish_reason="length"), None))
    client, _ = make(script, max_attempts=1)
    result = StructuredGrader(client, rubric).grade(q, ANSWER)
    assert result.status == "unscored" and "finish_reason=length" in result.error


def test_bad_request_is_not_retried(rubric):
    q = rubric.question("situational-4")
    script = Script((401, {"error": {"message": "bad key"}}, None))
    client, waits = make(script)
    result = StructuredGrader(client, rubric).grade(q, ANSWER)
    assert result.status == "unscored" and waits == [] and len(script.requests) == 1
    assert "sk-test-secret" not in result.model_dump_json()


def test_json_schema_rejected_falls_back_to_json_object(rubric):
    q = rubric.question("situational-4")
    script = Script(
        (400, {"error": {"message": "response_format json_schema is not supported"}}, None),
        (200, completion(good_grade(q)), None),
    )
    client, _ = make(script)
    result = StructuredGrader(client, rubric).grade(q, ANSWER)
    assert result.status == "scored"
    assert script.requests[0]["response_format"]["type"] == "json_schema"
    assert script.requests[1]["response_format"] == {"type": "json_object"}
    assert client.response_mode == "json_object"


def test_request_is_deterministic_and_schema_requires_every_point(rubric):
    q = rubric.question("situational-4")
    script = Script((200, completion(good_grade(q)), None))
    client, _ = make(script)
    result = StructuredGrader(client, rubric).grade(q, ANSWER)
    sent = script.requests[0]
    assert sent["temperature"] == 0 and isinstance(sent["seed"], int)
    schema = sent["response_format"]["json_schema"]["schema"]
    assert schema["required"] == [p.id for p in q.points]
    assert result.system_fingerprint == "fp_test" and result.model == "m"
    # p1 quotes the answer and stands; p2 quotes the rubric and is downgraded.
    verdicts = {p.id: (p.verdict.value, [f.value for f in p.flags]) for p in result.points}
    assert verdicts["p1"] == ("covered", [])
    assert verdicts["p2"] == ("missing", ["evidence_not_found"])
    assert result.score == 2.5


def test_yes_probability_reads_top_logprobs():
    body = completion("是")
    body["choices"][0]["logprobs"] = {
        "content": [
            {
                "token": "是",
                "logprob": -0.2,
                "bytes": None,
                "top_logprobs": [
                    {"token": "是", "logprob": -0.2, "bytes": None},
                    {"token": "否", "logprob": -1.8, "bytes": None},
                    {"token": "的", "logprob": -3.0, "bytes": None},
                ],
            }
        ]
    }
    client, _ = make(Script((200, body, None)))
    p, info = client.yes_probability([{"role": "user", "content": "?"}], yes=("是",), no=("否",))
    assert p == pytest.approx(1 / (1 + pow(2.718281828, -1.6)), rel=1e-4)
    assert info.usage.calls == 1


def logprob_completion(p_yes_logprob, p_no_logprob):
    body = completion("是")
    body["choices"][0]["logprobs"] = {
        "content": [
            {
                "token": "是",
                "logprob": p_yes_logprob,
                "bytes": None,
                "top_logprobs": [{"token": "是", "logprob": p_yes_logprob, "bytes": None}, {"token": "否", "logprob": p_no_logprob, "bytes": None}],
            }
        ]
    }
    return body


def test_yesno_grader_cuts_probabilities_with_thresholds(rubric):
    from grader.grading.calibration import Thresholds
    from grader.grading.strategies import YesNoGrader

    q = rubric.question("situational-4")
    anchors = [(200, logprob_completion(-0.7, -0.7), None)] * len(q.points)
    # P(yes) per point: ~0.9, ~0.5, ~0.1, ~0.9
    answer_calls = [(200, logprob_completion(lp_yes, lp_no), None) for lp_yes, lp_no in ((-0.1, -2.3), (-0.7, -0.7), (-2.3, -0.1), (-0.1, -2.3))]
    script = Script(*anchors, *answer_calls, *answer_calls)
    client, _ = make(script)
    grader = YesNoGrader(client, rubric, thresholds=Thresholds(partial=0.3, covered=0.7))
    result = grader.grade(q, ANSWER)
    assert [p.verdict.value for p in result.points] == ["covered", "partial", "missing", "covered"]
    assert result.score == 6.25 and result.usage.calls == 8
    # the point's anchors are asked first, about the template's content-free answer, and recorded
    anchor_answer = grader.anchor_answer
    assert anchor_answer and all(anchor_answer in r["messages"][1]["content"] for r in script.requests[:4])
    assert all(p.p_anchor == pytest.approx(0.5) for p in result.points)
    answer_requests = script.requests[4:8]
    sent = answer_requests[0]
    assert sent["max_tokens"] == 1 and sent["logprobs"] is True and sent["temperature"] == 0
    # every request shares the prefix up to and including the answer, so the server can reuse its cache
    prefix = sent["messages"][1]["content"].rsplit("</answer-", 1)[0]
    assert ANSWER in prefix
    assert all(r["messages"][1]["content"].startswith(prefix + "</answer-") for r in answer_requests)
    for point in result.points:
        if point.verdict.value != "missing":
            assert point.evidence and point.evidence in ANSWER
        assert point.p_covered is not None
    # a second answer to the same question asks no anchor again
    again = grader.grade(q, ANSWER + "。")
    assert again.usage.calls == 4 and len(script.requests) == 12


def test_anchor_cache_spares_the_anchor_calls_of_a_later_process(rubric, tmp_path):
    from grader.grading.calibration import Thresholds
    from grader.grading.strategies import YesNoGrader
    from grader.grading.anchors import AnchorCache

    q = rubric.question("situational-4")
    anchors = [(200, logprob_completion(lp, -0.7), None) for lp in (-0.2, -0.5, -1.0, -1.5)]
    answer_calls = [(200, logprob_completion(-0.1, -2.3), None)] * len(q.points)
    thresholds = Thresholds(partial=0.3, covered=0.7)

    def grade_in_new_process(cache, script):
        client, _ = make(script)
        return YesNoGrader(client, rubric, thresholds=thresholds, anchor_cache=cache).grade(q, ANSWER)

    path = tmp_path / "anchors.sqlite"
    first = grade_in_new_process(AnchorCache(path, "m@sha-a"), Script(*anchors, *answer_calls))
    assert first.usage.calls == 8
    later_script = Script(*answer_calls)
    later = grade_in_new_process(AnchorCache(path, "m@sha-a"), later_script)
    # only the answer's own calls; the anchors read back are the ones measured the first time
    assert later.usage.calls == 4 and all(r["messages"][1]["content"].count(ANSWER) for r in later_script.requests)
    assert [p.p_anchor for p in later.points] == [p.p_anchor for p in first.points]
    assert len({p.p_anchor for p in first.points}) == 4
    # other weights: the anchors are asked again
    assert grade_in_new_process(AnchorCache(path, "m@sha-b"), Script(*anchors, *answer_calls)).usage.calls == 8


def test_anchors_are_kept_on_disk_only_for_pinned_weights(rubric, tmp_path, monkeypatch):
    from grader.grading.session import make_grader

    monkeypatch.setenv("GRADER_CACHE_DIR", str(tmp_path))
    hosted, _ = make(Script())
    assert make_grader("yesno", hosted, rubric, keep_anchors=True).anchor_cache is None
    bundled = ModelClient(ModelSettings(base_url="http://127.0.0.1:9/v1", model="m", pinned_weights="abc"))
    assert make_grader("yesno", bundled, rubric).anchor_cache is None
    kept = make_grader("yesno", bundled, rubric, keep_anchors=True).anchor_cache
    assert kept is not None and kept.model_identity == "m@abc" and (tmp_path / "anchors.sqlite").exists()
    exact = ModelClient(ModelSettings(base_url="http://127.0.0.1:9/v1", model="m", pinned_weights="abc", prompt_cache=False))
    assert make_grader("yesno", exact, rubric, keep_anchors=True).anchor_cache is None


def test_anchored_calibration_reads_each_points_anchor(rubric):
    from grader.grading.calibration import Calibration, Thresholds
    from grader.grading.combiner import ANCHORED_FEATURES, Combiner
    from grader.grading.strategies import YesNoGrader

    q = rubric.question("situational-4")
    # The same P(yes) for every point of the answer; the anchors differ: a point the model says
    # "yes" to whatever is written (anchor ~0.9) earns less than one it rarely says "yes" to (~0.1).
    anchors = [(200, logprob_completion(lp_yes, lp_no), None) for lp_yes, lp_no in ((-0.1, -2.3), (-2.3, -0.1), (-0.1, -2.3), (-2.3, -0.1))]
    script = Script(*anchors, *[(200, logprob_completion(-0.4, -1.1), None)] * 4)
    client, _ = make(script)
    grader = YesNoGrader(client, rubric)
    grader.calibration = Calibration(Thresholds(0.3, 0.5), Combiner(weights=(1.0, 0.0, 0.0, -1.0), bias=0.0), fitted=True, feature_names=ANCHORED_FEATURES)
    result = grader.grade(q, ANSWER)
    assert [p.verdict.value for p in result.points] == ["missing", "covered", "missing", "covered"]
    assert "content-free answer" in result.points[0].reason


def test_api_key_never_reaches_results_or_run_records(rubric, tmp_path, capsys):
    secret = "sk-test-secret"
    q = rubric.question("situational-4")
    script = Script((401, {"error": {"message": f"Incorrect API key provided: {secret}"}}, None))
    client, _ = make(script)
    result = StructuredGrader(client, rubric).grade(q, ANSWER)
    assert result.status == "unscored" and "Incorrect API key" in result.error
    assert secret not in result.model_dump_json()
    assert secret not in repr(client.settings)


def test_prompt_cache_can_be_switched_off(rubric):
    q = rubric.question("situational-4")
    script = Script((200, completion(good_grade(q)), None), (200, completion(good_grade(q)), None))
    client, _ = make(script)
    StructuredGrader(client, rubric).grade(q, ANSWER)
    uncached, _ = make(script, prompt_cache=False)
    StructuredGrader(uncached, rubric).grade(q, ANSWER)
    assert "cache_prompt" not in script.requests[0] and script.requests[1]["cache_prompt"] is False


def test_a_bug_in_the_grader_raises_instead_of_leaving_the_answer_unscored(rubric, monkeypatch):
    """Only a model's failure leaves an answer unscored; a programming error is a traceback, so it
    is never counted as the model's failure."""
    from grader.grading.strategies import StructuredGrader

    from .fault_server import FaultServer

    def broken(question, text, parsed):
        raise TypeError("a bug in the grader")

    monkeypatch.setattr(StructuredGrader, "points_from", staticmethod(broken))
    question = next(rubric.questions())
    with FaultServer([]) as server:
        client = ModelClient(ModelSettings(base_url=server.base_url, model="m", max_attempts=1, api_key="k"))
        with pytest.raises(TypeError, match="a bug in the grader"):
            StructuredGrader(client, rubric).grade(question, "我会先核实客户身份。")
    # ... while the model's own failure still leaves it unscored
    with FaultServer([], default="wrong_shape") as server:
        client = ModelClient(ModelSettings(base_url=server.base_url, model="m", max_attempts=1, api_key="k"))
        assert StructuredGrader(client, rubric).grade(question, "我会先核实客户身份。").status == "unscored"


def test_the_command_line_shows_a_bug_as_a_traceback(monkeypatch, capsys):
    from grader import cli

    def broken(args):
        raise TypeError("a bug in the grader")

    parser = cli.build_parser
    monkeypatch.setattr(cli, "build_parser", lambda: _with(parser(), broken))
    assert cli.main(["grade", "--rubric", "x.yaml", "--question", "q", "--answer", "a"]) == cli.EXIT_FAILURE
    err = capsys.readouterr().err
    assert "Traceback" in err and "internal error (a bug" in err


def _with(parser, func):
    for action in parser._subparsers._group_actions:
        action.choices["grade"].set_defaults(func=func)
    return parser
