"""Hostile input found by the red-team probe of issue 17: each case runs the real command on real
files (and, where an endpoint is involved, against the local fault server) and checks the exit
code and that the message names the file, line and field — never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from grader import cli

from .conftest import ROOT, RUBRIC_PATH
from .helpers import exit_2_naming

DOCUMENT = """2026年客户经理面试题集
一、行为面试题（共1题，每题10分，总分10分）
考察核心：沟通
1.题目：请讲一次你安抚客户的经历。
答案要点：
-情境：说明客户为何不满
-行动：倾听并道歉，然后给出方案
"""



# ---------------------------------------------------------------- 3. rubric import


def test_rubric_import_refuses_to_overwrite_and_keeps_the_old_rubric_on_failure(tmp_path, capsys):
    doc, out = tmp_path / "bank.txt", tmp_path / "rubric.yaml"
    doc.write_text(DOCUMENT, encoding="utf-8")
    assert cli.main(["rubric", "import", str(doc), "-o", str(out)]) == 0
    good = out.read_bytes()
    capsys.readouterr()
    exit_2_naming(["rubric", "import", doc, "-o", out], capsys, out, "--force")
    assert out.read_bytes() == good

    # A document with no questions, even with --force, leaves the rubric as it was (no stub).
    empty = tmp_path / "notes.txt"
    empty.write_text("会议纪要：下周面试安排。\n", encoding="utf-8")
    exit_2_naming(["rubric", "import", empty, "-o", out, "--force"], capsys, empty, "no questions")
    assert out.read_bytes() == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bank.txt", "notes.txt", "rubric.yaml"]  # no temp file left

    assert cli.main(["rubric", "import", str(doc), "-o", str(out), "--force", "--id", "v2"]) == 0
    assert "id: v2" in out.read_text(encoding="utf-8")


# ---------------------------------------------------------------- 8. rubric import of damaged documents


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("corrupt.docx", b"PK\x03\x04 this is not a zip", "not a readable Word (.docx) file"),
        ("empty.docx", b"", "not a readable Word (.docx) file"),
        ("corrupt.pdf", b"%PDF-1.4\n garbage", "not a readable PDF file"),
        ("empty.pdf", b"", "not a readable PDF file"),
        ("binary.txt", bytes(range(256)), ":2: not valid UTF-8"),
        ("neither.txt", "第一行\n".encode("gbk") + b"\x81\x20", ":2: not valid GBK (byte 7) nor UTF-8"),
        ("nul.txt", b"line one\nline\x00two\n", ":2: binary data"),
        ("blank.txt", b"  \n\n", "has no text"),
    ],
)
def test_rubric_import_of_damaged_documents_is_located(tmp_path, capsys, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    exit_2_naming(["rubric", "import", path, "-o", tmp_path / "out.yaml"], capsys, path, message)
    assert not (tmp_path / "out.yaml").exists()


def test_rubric_import_to_a_folder_or_from_nowhere(tmp_path, capsys):
    doc = tmp_path / "bank.txt"
    doc.write_text(DOCUMENT, encoding="utf-8")
    exit_2_naming(["rubric", "import", doc, "-o", tmp_path], capsys, tmp_path, "is a folder")
    exit_2_naming(["rubric", "import", tmp_path / "nosuch.docx", "-o", tmp_path / "r.yaml"], capsys, "nosuch.docx", "no such file")


# ---------------------------------------------------------------- 7. YAML alias bombs, duplicate keys, non-finite weights


def _rubric_text(**point):
    point = {"id": "p1", "text": "倾听客户", "weight": 10} | point
    return json.dumps({"id": "r", "title": "t", "language": "zh", "sections": [{"id": "s", "title": "S", "questions": [
        {"id": "q1", "prompt": "问题", "max_score": 10, "points": [point]}]}]}, ensure_ascii=False)


def test_alias_bomb_is_refused_at_the_first_anchor_quickly(tmp_path, capsys):
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        lines.append(f"{chr(97 + i)}: &{chr(97 + i)} [{','.join(['*' + chr(96 + i)] * 9)}]")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # Run as a real process with a time limit: expanding this bomb takes minutes and gigabytes.
    done = subprocess.run([sys.executable, "-m", "grader.cli", "rubric", "check", str(bomb)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"{bomb}:1: not valid YAML: anchors and aliases" in done.stderr
    assert len(done.stderr.splitlines()) <= 3


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("dup.yaml", "id: r\ntitle: t\nlanguage: zh\nid: other\nsections: []\n", ":4: not valid YAML: duplicate key 'id'"),
        ("dup.json", '{"id": "r", "title": "t", "id": "x"}', "not valid JSON: duplicate key 'id'"),
        ("inf.yaml", _rubric_text(weight=".inf").replace('".inf"', ".inf"), "field sections.0.questions.0.points.0.weight: Input should be a finite number"),
        ("nan.yaml", _rubric_text(weight=".nan").replace('".nan"', ".nan"), "field sections.0.questions.0.points.0.weight: Input should be a finite number"),
        ("inf.json", _rubric_text(weight="Infinity").replace('"Infinity"', "Infinity"), "not valid JSON: Infinity is not a number"),
        ("deep.yaml", "a: " + "[" * 5000 + "]" * 5000 + "\n", ":1: not valid YAML: nested more than"),
        ("deep.json", '{"a": ' + "[" * 100000 + "]" * 100000 + "}", ":1: not valid JSON: nested more than"),
    ],
)
def test_rubric_traps_are_refused_with_file_and_line(tmp_path, capsys, name, text, message):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    exit_2_naming(["rubric", "check", path], capsys, f"{path}", message)


def test_errors_printed_are_capped(tmp_path, capsys):
    points = [{"id": f"p{i}", "text": "", "weight": -1} for i in range(300)]
    data = json.loads(_rubric_text())
    data["sections"][0]["questions"][0]["points"] = points
    path = tmp_path / "many.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    err = exit_2_naming(["rubric", "check", path], capsys, "... and ")
    assert len(err.splitlines()) <= 25


# ---------------------------------------------------------------- 8. errors without a location, or exit 1


def _grader(*argv, stdin=b""):
    return subprocess.run([sys.executable, "-m", "grader.cli", *map(str, argv)], cwd=ROOT, input=stdin, capture_output=True, timeout=120)


def test_missing_and_misdirected_files_exit_2(tmp_path, capsys):
    answers = tmp_path / "in.jsonl"
    answers.write_text(json.dumps({"candidate": "甲", "question_id": "stress-1", "answer": "保持冷静"}, ensure_ascii=False) + "\n", encoding="utf-8")
    exit_2_naming(["batch", "--rubric", RUBRIC_PATH, tmp_path / "nosuch.jsonl", "-o", tmp_path / "run"], capsys, "nosuch.jsonl", "cannot read")
    exit_2_naming(["batch", "--rubric", RUBRIC_PATH, tmp_path / "nosuch.csv", "-o", tmp_path / "run"], capsys, "nosuch.csv", "cannot read")
    exit_2_naming(["batch", "--rubric", RUBRIC_PATH, answers, "-o", answers], capsys, answers, "is a file; -o names the run folder")
    exit_2_naming(["grade", "--rubric", RUBRIC_PATH, answers, "-o", tmp_path], capsys, tmp_path, "is a folder")
    exit_2_naming(["eval", "--rubric", RUBRIC_PATH, "--samples", answers, "--html", tmp_path], capsys, tmp_path, "is a folder")


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"metrics": {}, "model": "m"}', "field rubric_path missing"),
        ("[1, 2, 3]", "not a run record"),
        ("not json", "not a run record: not valid UTF-8 JSON"),
        ("[" * 100000 + "]" * 100000, "nested too deeply"),
        (json.dumps({"rubric_path": str(RUBRIC_PATH), "samples_path": "x", "predictions": [{"question_id": 3}]}), "field predictions.0."),
    ],
)
def test_rescore_of_a_file_that_is_not_a_run_record(tmp_path, capsys, content, message):
    path = tmp_path / "run.json"
    path.write_text(content, encoding="utf-8")
    exit_2_naming(["eval", "--rescore", path], capsys, path, message)


def test_empty_inputs_exit_2_naming_the_file(tmp_path, capsys):
    for name in ("empty.jsonl", "blank.jsonl", "empty.csv", "header-only.csv"):
        (tmp_path / name).write_text({"blank.jsonl": "\n \n", "header-only.csv": "candidate,question_id,answer\n"}.get(name, ""), encoding="utf-8")
    for name in ("empty.jsonl", "blank.jsonl", "header-only.csv"):
        exit_2_naming(["batch", "--rubric", RUBRIC_PATH, tmp_path / name, "-o", tmp_path / "run"], capsys, tmp_path / name, "no answers")
    exit_2_naming(["batch", "--rubric", RUBRIC_PATH, tmp_path / "empty.csv", "-o", tmp_path / "run"], capsys, tmp_path / "empty.csv", "empty file")
    exit_2_naming(["grade", "--rubric", RUBRIC_PATH, tmp_path / "empty.jsonl", "-o", tmp_path / "out.jsonl"], capsys, tmp_path / "empty.jsonl", "no answers")
    (tmp_path / "answer.txt").write_text(" \n", encoding="utf-8")
    exit_2_naming(["grade", "--rubric", RUBRIC_PATH, "--question", "stress-1", "--answer-file", tmp_path / "answer.txt"], capsys, tmp_path / "answer.txt", "empty answer")


def test_deeply_nested_json_lines_are_located(tmp_path, capsys):
    deep = "[" * 100000 + "]" * 100000
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"candidate": "甲", "question_id": "stress-1", "answer": "保持冷静"}, ensure_ascii=False) + "\n" + deep + "\n", encoding="utf-8")
    exit_2_naming(["batch", "--rubric", RUBRIC_PATH, source, "-o", tmp_path / "run", "--cache", tmp_path / "c.sqlite", "--base-url", "http://127.0.0.1:9/v1", "--max-attempts", "1"], capsys, f"{source}:2: not valid JSON: nested too deeply")
    exit_2_naming(["grade", "--rubric", RUBRIC_PATH, source, "-o", tmp_path / "out.jsonl", "--base-url", "http://127.0.0.1:9/v1", "--max-attempts", "1"], capsys, f"{source}:2: not valid JSON: nested too deeply")


@pytest.mark.parametrize("stdin, message", [(b"\xff\xfe\x00binary\x80", "<stdin>:1: answer is not valid UTF-8 (byte 0)"), (b"", "<stdin>: empty answer"), (b"ok\n\xc3", "<stdin>:2: answer is not valid UTF-8")])
def test_binary_or_empty_stdin_exits_2(stdin, message):
    # A real process: the answer comes through the real stdin, as bytes.
    done = _grader("grade", "--rubric", RUBRIC_PATH, "--question", "stress-1", "--base-url", "http://127.0.0.1:9/v1", stdin=stdin)
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2 and message in err and "Traceback" not in err, err


# ---------------------------------------------------------------- 5, 6, 10. the batch's spreadsheets


def _batch(tmp_path, source, server, *extra):
    args = ["batch", "--rubric", RUBRIC_PATH, source, "-o", tmp_path / "run", "--cache", tmp_path / "cache.sqlite"]
    return cli.main([str(a) for a in [*args, "--base-url", server.base_url, "--model", "m", "--max-attempts", "1", "--concurrency", "1", *extra]])


def _ranking_csv(tmp_path):
    import csv

    with (tmp_path / "run" / "ranking.csv").open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


ANSWER = "我会先核实客户身份，确认账户安全，然后解释这是诈骗短信，提醒客户不要点击链接。"
FORMULAS = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1:A2)", "=cmd|' /C calc'!A0"]


def test_formula_like_names_are_text_in_csv_and_xlsx(tmp_path, monkeypatch):
    import zipfile

    import openpyxl

    from .fault_server import FaultServer

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"candidate": name, "situational-4": ANSWER + str(i)}) + "\n" for i, name in enumerate(FORMULAS)), encoding="utf-8")
    with FaultServer([]) as server:
        assert _batch(tmp_path, source, server) == 0
    names = [row["candidate"] for row in _ranking_csv(tmp_path)]
    assert sorted(names) == sorted("'" + name for name in FORMULAS)  # OWASP: a leading ' makes it text
    sheet = openpyxl.load_workbook(tmp_path / "run" / "ranking.xlsx").active
    cells = [sheet.cell(row=r, column=2) for r in range(2, 2 + len(FORMULAS))]
    assert sorted(c.value for c in cells) == sorted(FORMULAS) and {c.data_type for c in cells} == {"s"}
    xml = zipfile.ZipFile(tmp_path / "run" / "ranking.xlsx").read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml  # no formula anywhere in the sheet
    # Readers strip names, so tab and CR cannot start one there; they can start other text.
    from grader.recruiting.reports import csv_safe

    assert [csv_safe(v) for v in ("\t=1+1", "\r=1+1", "a=1", 3.5, -2.0)] == ["'\t=1+1", "'\r=1+1", "a=1", 3.5, -2.0]


def test_an_answer_longer_than_the_csv_field_limit_is_graded_truncated(tmp_path, monkeypatch):
    from .fault_server import FaultServer

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    long_answer = ANSWER * 5000  # about 200,000 characters, over csv's 131,072
    source = tmp_path / "in.csv"
    source.write_text(f"candidate,question_id,answer\n甲,situational-4,{ANSWER}\n乙,situational-4,{long_answer}\n丙,stress-1,{ANSWER}\n", encoding="utf-8")
    with FaultServer([]) as server:
        assert _batch(tmp_path, source, server) == 0
    assert len(server.bodies) == 3 and all(len(json.dumps(b, ensure_ascii=False)) < 20000 for b in server.bodies)
    grades = {g["candidate"]: g for g in map(json.loads, (tmp_path / "run" / "grades.jsonl").read_text(encoding="utf-8").splitlines())}
    assert set(grades) == {"甲", "乙", "丙"} and grades["乙"]["status"] == "scored"
    assert "truncated" in grades["乙"]["flags"] and "truncated" not in grades["甲"]["flags"]


def test_an_unscored_answer_leaves_its_section_without_a_total(tmp_path, monkeypatch):
    from .fault_server import FaultServer

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"candidate": c, "situational-4": ANSWER + c, "stress-1": ANSWER + c}, ensure_ascii=False) + "\n" for c in ("甲", "乙")), encoding="utf-8")
    # One attempt per answer, in input order: 乙's stress-1 (the fourth request) meets a 500.
    with FaultServer(["good", "good", "good", "500"]) as server:
        assert _batch(tmp_path, source, server) == 1
    rows = {row["candidate"]: row for row in _ranking_csv(tmp_path)}
    assert rows["甲"]["stress"] != "" and rows["甲"]["total"] != "" and rows["甲"]["notes"] == ""
    assert rows["乙"]["stress-1"] == "" and rows["乙"]["stress"] == "" and rows["乙"]["total"] == ""
    assert rows["乙"]["situational"] == rows["甲"]["situational"]  # the other section still adds up
    assert "stress: no total, stress-1 unscored (InternalServerError" in rows["乙"]["notes"]
    # Without a total it is not ranked at all (it is listed among those a person has to look at).
    assert rows["乙"]["rank"] == "" and rows["甲"]["rank"] == "1"
    html = (tmp_path / "run" / "report.html").read_text(encoding="utf-8")
    assert "stress: no total" in html


# ---------------------------------------------------------------- 9. keys on stderr


@pytest.mark.parametrize("key", ["sk-proj-SENTINEL0123456789abcdef", "plain-key-SENTINEL-42"])
def test_provider_batch_endpoint_echoing_the_key_is_masked(tmp_path, monkeypatch, capsys, key):
    from .batch_api_server import BatchApiServer

    monkeypatch.setenv("OPENAI_API_KEY", key)
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"candidate": "甲", "situational-4": ANSWER}, ensure_ascii=False) + "\n", encoding="utf-8")
    with BatchApiServer(echo_auth=True) as server:
        code = cli.main(["batch", "--rubric", str(RUBRIC_PATH), str(source), "-o", str(tmp_path / "run"), "--cache", str(tmp_path / "c.sqlite"),
                         "--base-url", server.base_url, "--model", "m", "--strategy", "structured", "--provider-batch", "--poll-every", "0"])
    printed = capsys.readouterr()
    assert server.headers and {k.lower(): v for k, v in server.headers[0].items()}["authorization"] == f"Bearer {key}"  # the server did see (and echo) it
    assert code == 1 and "AuthenticationError" in printed.err and "Incorrect API key provided: ***" in printed.err
    assert key not in printed.err + printed.out and "Bearer ***" in printed.err
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and key.encode() in p.read_bytes()]


def test_key_shapes_are_masked_whatever_key_is_configured():
    from grader.model.client import mask_secrets

    text = "401: Authorization: Bearer sk-other-0123456789 / key sk-live_ABCDEF123456 / bearer abc.def-ghi"
    assert mask_secrets(text) == "401: Authorization: Bearer *** / key sk-*** / bearer ***"


# ---------------------------------------------------------------- 12. --redact and names


SELF_INTRODUCED = {
    "C-002": ("本人张伟，做过三年柜员。我会先核实客户身份，确认账户安全，然后解释这是诈骗短信。", "张伟"),
    "C-003": ("我叫王芳，我会先核实客户身份，确认账户安全，然后提醒客户不要点击链接。", "王芳"),
    "C-004": ("My name is Alice Chen. I would verify the customer's identity and explain the scam.", "Alice Chen"),
    "C-005": ("I'm Bob, and I would verify the customer's identity first, then report the fraud.", "Bob"),
}


def test_redact_masks_the_candidates_name_and_self_introductions_before_the_endpoint(tmp_path, monkeypatch):
    from .fault_server import FaultServer

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    own = "我是李明，电话13812345678，身份证110101199003071234。我会核实客户身份，李明认为应立即冻结账户。"
    rows = [{"candidate": "李明", "situational-4": own}] + [{"candidate": c, "situational-4": a} for c, (a, _) in SELF_INTRODUCED.items()]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    with FaultServer([]) as server:
        assert _batch(tmp_path, source, server, "--redact") == 0
        sent = json.dumps(server.bodies, ensure_ascii=False)
        # `grader grade IN.jsonl` too: its records name the candidate.
        single = tmp_path / "single.jsonl"
        single.write_text(json.dumps({"id": "1", "candidate": "赵一鸣", "question_id": "stress-1", "answer": "客户很生气时，赵一鸣会先倾听，再道歉。"}, ensure_ascii=False) + "\n", encoding="utf-8")
        assert cli.main(["grade", "--rubric", str(RUBRIC_PATH), str(single), "-o", str(tmp_path / "out.jsonl"), "--redact", "--base-url", server.base_url, "--model", "m"]) == 0
        sent_single = json.dumps(server.bodies[-1], ensure_ascii=False)
    assert len(server.bodies) == 6
    for secret in ("李明", "13812345678", "110101199003071234", *(name for _, name in SELF_INTRODUCED.values())):
        assert secret not in sent, secret
    assert sent.count("[姓名]") >= 6 and "[电话]" in sent and "[身份证号]" in sent
    assert "赵一鸣" not in sent_single and "[姓名]会先倾听" in sent_single


def test_redact_leaves_ordinary_uses_of_wo_shi_and_ben_ren():
    from grader.grading.redact import redact

    for text in ("我是一名柜员，本人认为应先核实身份。", "我是客户经理，我是周到的人，", "I'm sure I am able to help."):
        assert redact(text) == text
