"""Issue 22, items 4, 5 and 7: no answer sent out unmasked under --redact, whatever the command;
the forms of personal data `redact` masks (and the ordinary words it leaves); and the new
injection kinds (tests/attacks/new_kinds.jsonl) with the evidence check that no quote of an
injection can satisfy."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest

from grader import cli
from grader.grading.redact import redact

from .conftest import RUBRIC_PATH, SAMPLES_PATH
from .fault_server import FaultServer

# ---------------------------------------------------------------- 4. --redact on every command

PII = {"name": "李明", "phone": "13812345678", "mail": "liming@example.com", "id": "110101199003071234"}
PII_ANSWER = f"我叫{PII['name']}，电话{PII['phone']}，邮箱{PII['mail']}，身份证{PII['id']}。我会先核实客户身份，确认账户安全，再提醒客户不要点击链接。"
QUESTION = "situational-4"


def _model_flags(server) -> list[str]:
    return ["--redact", "--base-url", server.base_url, "--model", "m", "--strategy", "structured"]


def _grade_one(tmp_path, server):
    return cli.main(["grade", "--rubric", str(RUBRIC_PATH), "--question", QUESTION, "--answer", PII_ANSWER, *_model_flags(server)])


def _grade_file(tmp_path, server):
    source = tmp_path / "answers.jsonl"
    source.write_text(json.dumps({"id": "a1", "question_id": QUESTION, "answer": PII_ANSWER}, ensure_ascii=False) + "\n", encoding="utf-8")
    return cli.main(["grade", "--rubric", str(RUBRIC_PATH), str(source), "-o", str(tmp_path / "out.jsonl"), *_model_flags(server)])


def _batch(tmp_path, server):
    source = tmp_path / "batch.jsonl"
    source.write_text(json.dumps({"candidate": "C-001", QUESTION: PII_ANSWER}, ensure_ascii=False) + "\n", encoding="utf-8")
    return cli.main(["batch", "--rubric", str(RUBRIC_PATH), str(source), "-o", str(tmp_path / "run"), "--cache", str(tmp_path / "c.sqlite"), *_model_flags(server)])


def _check(tmp_path, server):
    answer = tmp_path / "answer.txt"
    answer.write_text(PII_ANSWER, encoding="utf-8")
    return cli.main(["check", "--rubric", str(RUBRIC_PATH), "--question", QUESTION, "--answer-file", str(answer), *_model_flags(server)])


def _serve(tmp_path, server, monkeypatch):
    from grader.web import BackgroundServer

    posted = []

    def serve_once(app, host, port):  # instead of serving until Ctrl-C: one answer from the page
        with BackgroundServer(app, "127.0.0.1", 0) as running:
            body = json.dumps({"question_id": QUESTION, "answer": PII_ANSWER}, ensure_ascii=False).encode("utf-8")
            request = urllib.request.Request(running.url + "/api/grade", data=body, headers={"content-type": "application/json"})
            with urllib.request.urlopen(request) as response:
                posted.append(response.status)

    monkeypatch.setattr("grader.cli.serve.serve", serve_once)
    code = cli.main(["serve", "--rubric", str(RUBRIC_PATH), *_model_flags(server)])
    assert posted == [200]
    return code


def _eval(tmp_path, server):
    from grader.rubric.model import load_rubric

    points = load_rubric(RUBRIC_PATH).question(QUESTION).points
    samples = tmp_path / "samples.jsonl"
    sample = {"id": "s1", "question_id": QUESTION, "answer": PII_ANSWER, "labels": {p.id: "missing" for p in points}}
    samples.write_text(json.dumps(sample, ensure_ascii=False) + "\n", encoding="utf-8")
    return cli.main(["eval", "--rubric", str(RUBRIC_PATH), "--samples", str(samples), "--no-record", *_model_flags(server)])


COMMANDS = {"grade": _grade_one, "grade-file": _grade_file, "batch": _batch, "check": _check, "serve": _serve, "eval": _eval}


@pytest.mark.parametrize("command", COMMANDS, ids=list(COMMANDS))
def test_redact_masks_the_answer_before_any_command_sends_it(command, tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("GRADER_DATA_DIR", str(tmp_path / "data"))
    run = COMMANDS[command]
    with FaultServer([]) as server:
        code = run(tmp_path, server, monkeypatch) if command == "serve" else run(tmp_path, server)
    assert code == 0
    assert server.bodies, "the command sent nothing"
    sent = json.dumps(server.bodies, ensure_ascii=False)
    for kind, secret in PII.items():
        assert secret not in sent, f"{command} sent the {kind}"
    # The answer itself did go (masked), so the test is about masking, not about sending nothing.
    assert "核实客户身份" in sent and "[电话]" in sent and "[姓名]" in sent


def test_redact_masks_what_a_provider_batch_uploads(tmp_path, monkeypatch):
    from .batch_api_server import BatchApiServer

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    source = tmp_path / "batch.jsonl"
    source.write_text(json.dumps({"candidate": "C-001", QUESTION: PII_ANSWER}, ensure_ascii=False) + "\n", encoding="utf-8")
    with BatchApiServer(polls_until_done=1) as server:
        code = cli.main(["batch", "--rubric", str(RUBRIC_PATH), str(source), "-o", str(tmp_path / "run"), "--cache", str(tmp_path / "c.sqlite"),
                         "--provider-batch", "--poll-every", "0", *_model_flags(server)])
    assert code == 0 and server.uploads
    sent = json.dumps([json.loads(line) for upload in server.uploads for line in upload.splitlines() if line.strip()], ensure_ascii=False)
    assert "核实客户身份" in sent
    for secret in PII.values():
        assert secret not in sent


def test_a_batch_stores_no_personal_data_under_redact(tmp_path, monkeypatch):
    """Masked before anything is stored: the run folder holds no PII either."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with FaultServer([]) as server:
        assert _batch(tmp_path, server) == 0
    stored = b"".join(p.read_bytes() for p in (tmp_path / "run").rglob("*") if p.is_file())
    for secret in PII.values():
        assert secret.encode("utf-8") not in stored


# ---------------------------------------------------------------- 5. the forms redact() masks

DATA = Path(__file__).resolve().parent / "data"
PII_FORMS = [json.loads(line) for line in (DATA / "pii_forms.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
ORDINARY = sorted(
    {json.loads(line)["answer"] for path in [*sorted(SAMPLES_PATH.parent.glob("*.jsonl")), DATA / "plain_answers.jsonl"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}
)
MASK_LABEL = re.compile(r"\[(?:姓名|电话|邮箱|身份证号|银行卡号|微信号|QQ号|护照号|地址)\]")


@pytest.mark.parametrize("form", PII_FORMS, ids=[f["form"] for f in PII_FORMS])
def test_redact_masks_the_form(form):
    masked = redact(form["text"])
    for secret in form["secrets"]:
        assert secret not in masked, masked
    assert MASK_LABEL.search(masked)
    assert redact(masked) == masked  # masking twice (a batch, then its grader) changes nothing more


def test_redact_masks_no_ordinary_answer():
    """The hand-graded samples and the plain answers (480 distinct texts) hold no personal data:
    not one span of them is masked, so --redact sends them, and grades them, as written."""
    assert len(ORDINARY) >= 220
    touched = [answer[:40] for answer in ORDINARY if redact(answer) != answer]
    assert touched == []


@pytest.mark.parametrize(
    "text",
    [
        "我是客户经理，会先向经理汇报，再请理财经理和大堂经理一起跟进。",
        "任何老师都会这样教；于是，我向主管反映了情况。",
        "方便，快捷，是客户最在意的。周末负责值班的同事会回电。",
        "高风险产品要先做风险测评，金额超过50万元的转账要二次核实，拨打96110反诈专线。",
        "I'm sorry, I would explain it through the WeChat mini-program and the WeChat account.",
        "年化收益率0.5%，2024年3月15日到期，工单号20240315。",
    ],
    ids=["titles-as-words", "prepositions", "surname-initial-words", "numbers", "english", "dates-and-rates"],
)
def test_redact_leaves_ordinary_words(text):
    assert redact(text) == text


def test_the_grade_of_an_ordinary_answer_is_the_same_under_redact():
    from grader.grading.strategies import prepared

    for answer in ORDINARY:
        assert prepared(answer, redact=True) == prepared(answer)
