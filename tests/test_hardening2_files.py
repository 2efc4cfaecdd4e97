"""Issue 22, the files: a stray quote or a mixed encoding in a CSV, reports written whole or not
at all, a damaged practice history, a full disk, and honest counts of model calls."""

import csv
import json

import pytest

from grader import cli
from grader.recruiting.inputs import read_answers

from .conftest import RUBRIC_PATH
from .helpers import LabelEchoGrader, use_scripted_session

class ScriptedGrader(LabelEchoGrader):
    prompt_hash = "p"


NAMES = ["张伟", "李娜", "王芳", "刘洋", "陈静"]


def _long_csv(rows: list[str]) -> str:
    return "candidate,question_id,answer\n" + "".join(row + "\n" for row in rows)


def _batch(tmp_path, source, *extra) -> int:
    args = ["batch", "--rubric", RUBRIC_PATH, source, "-o", tmp_path / "run", "--cache", tmp_path / "cache.sqlite", *extra]
    return cli.main([str(a) for a in args])


def _ranked(tmp_path) -> list[str]:
    with (tmp_path / "run" / "ranking.csv").open(encoding="utf-8-sig", newline="") as f:
        return [row["candidate"] for row in csv.DictReader(f)]


# ---------------------------------------------------------------- 1. a stray quote in a CSV


def test_a_stray_quote_is_reported_with_its_line_and_every_candidate_is_still_read(tmp_path, monkeypatch, capsys):
    source = tmp_path / "in.csv"
    answers = ["我会先核实身份", '"您好，我会先安抚客户的情绪', "先道歉再处理", "记录问题并跟进", "解释风险并提醒"]
    source.write_text(_long_csv([f"{name},situational-4,{answer}" for name, answer in zip(NAMES, answers)]), encoding="utf-8")
    use_scripted_session(monkeypatch, ScriptedGrader())
    code = _batch(tmp_path, source)
    err = capsys.readouterr().err
    assert code == 2
    assert f"input: {source}:3: column C: a quoted field runs past the end of its line, from line 3" in err
    assert "5 candidates, 5 answers" in err
    assert sorted(_ranked(tmp_path)) == sorted(NAMES)
    graded = {g["candidate"]: g["answer"] for g in map(json.loads, (tmp_path / "run" / "grades.jsonl").read_text(encoding="utf-8").splitlines())}
    assert graded["李娜"] == "您好，我会先安抚客户的情绪"  # her own line, not the others' text
    assert graded["王芳"] == "先道歉再处理"


@pytest.mark.parametrize(
    "runaway",
    [
        '"您好，我会先安抚客户',  # open to the end of the file
        '"您好，我会先安抚客户\n王芳,situational-4,先道歉"再处理',  # closed mid-field by a later quote
        '"您好，我会先安抚客户\n王芳,situational-4,先道歉再处理"',  # closed at the end of a line that is a row
    ],
)
def test_every_shape_of_runaway_quote_is_caught(tmp_path, rubric, runaway):
    source = tmp_path / "in.csv"
    source.write_text(_long_csv(["张伟,situational-4,我会先核实身份", f"李娜,situational-4,{runaway}"]), encoding="utf-8")
    answers, problems = read_answers(source, rubric)
    assert [p.split(": a quoted")[0] for p in problems] == [f"{source}:3: column C"]
    assert answers[1].candidate == "李娜" and "\n" not in answers[1].answer


def test_a_quoted_multi_line_answer_is_one_answer_and_no_problem(tmp_path, rubric):
    source = tmp_path / "in.csv"
    rows = [
        ['张伟', "situational-4", '第一，我会先核实身份\n第二，提醒客户 "不要点击链接"\n第三, 记录, 跟进'],
        ["李娜", "situational-4", "先道歉\n\n再处理"],
        ["王芳", "stress-1", "保持冷静"],
    ]
    with source.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["candidate", "question_id", "answer"], *rows])
    answers, problems = read_answers(source, rubric)
    assert problems == []
    assert [(a.candidate, a.answer) for a in answers] == [(c, text.strip()) for c, _, text in rows]
    assert [a.where for a in answers] == [f"{source}:{n}: column C" for n in (2, 3, 4)]  # rows, as a spreadsheet numbers them


def test_a_multi_line_answer_in_a_wide_table_is_not_taken_for_a_runaway(tmp_path, rubric):
    source = tmp_path / "in.csv"
    source.write_text('姓名,situational-4,stress-1\n张伟,"先核实身份\n再提醒客户",保持冷静\n李娜,先道歉,"记录\n跟进"\n', encoding="utf-8")
    answers, problems = read_answers(source, rubric)
    assert problems == [] and [a.answer for a in answers] == ["先核实身份\n再提醒客户", "保持冷静", "先道歉", "记录\n跟进"]


# ---------------------------------------------------------------- 11. a GBK file with a UTF-8 row


def test_a_utf8_row_in_a_gbk_file_is_read_right(tmp_path, rubric):
    source = tmp_path / "in.csv"
    head = "candidate,question_id,answer\n李娜,situational-4,先道歉再处理\n".encode("gbk")
    source.write_bytes(head + "张伟,situational-4,我会先核实身份\n".encode("utf-8") + "王芳,stress-1,保持冷静\n".encode("gbk"))
    answers, problems = read_answers(source, rubric)
    assert problems == []
    assert [(a.candidate, a.answer) for a in answers] == [("李娜", "先道歉再处理"), ("张伟", "我会先核实身份"), ("王芳", "保持冷静")]


# ---------------------------------------------------------------- 12. a damaged practice history

GOOD_ANSWER = "我会先核实客户身份并检查账户安全，然后解释常见的诈骗手段，提醒客户以后不要点击陌生链接，最后提供96110反诈专线。"


def _damaged_history(path, rubric) -> bytes:
    earlier = {"time": "2026-12-01T10:00:00+00:00", "rubric": rubric.id, "question_id": "situational-4", "score": 3.5, "max_score": 10.0, "answer": "x"}
    content = (
        json.dumps(earlier).encode() + b"\n"
        + b"[1,2]\n"  # line 2: JSON, not an object
        + b'{"rubric": "\xff\xfe", "score": 1}\n'  # line 3: not UTF-8
        + json.dumps({"rubric": rubric.id, "question_id": "situational-4"}).encode() + b"\n"  # line 4: no score
    )
    path.write_bytes(content)
    return content


def test_check_with_a_damaged_history_shows_the_grade_and_names_the_bad_lines(tmp_path, monkeypatch, capsys, rubric):
    monkeypatch.setenv("GRADER_DATA_DIR", str(tmp_path))
    log = tmp_path / "attempts.jsonl"
    before = _damaged_history(log, rubric)
    (tmp_path / "answer.txt").write_text(GOOD_ANSWER, encoding="utf-8")
    use_scripted_session(monkeypatch, ScriptedGrader())
    code = cli.main(["check", "--rubric", str(RUBRIC_PATH), "--question", "situational-4", "--answer-file", str(tmp_path / "answer.txt")])
    out, err = capsys.readouterr()
    assert code == 0 and "Traceback" not in err
    assert "得分" in out and "第 1 次 3.5" in out  # the grade, and the good earlier attempt in the history
    warned = {line.split(": ")[1]: line for line in err.splitlines() if line.startswith("practice history: ")}
    for number, what in [(2, "expected a JSON object"), (3, "not valid UTF-8"), (4, "field score: Field required")]:
        assert what in warned[f"{log}:{number}"]
    assert log.read_bytes().startswith(before) and log.read_bytes().count(b"\n") == 5  # nothing lost, the new attempt kept


def test_serve_with_a_damaged_history_grades_and_warns(tmp_path, rubric):
    import http.client

    from grader.practice.feedback import AttemptLog
    from grader.practice.webapp import PracticeApp

    log = tmp_path / "attempts.jsonl"
    _damaged_history(log, rubric)
    warnings: list[str] = []
    app = PracticeApp(rubric, ScriptedGrader(), AttemptLog(log, warn=warnings.append))
    with app.make_server("127.0.0.1", 0) as running:
        for _ in range(2):
            conn = http.client.HTTPConnection("127.0.0.1", running.port, timeout=30)
            conn.request("POST", "/api/grade", body=json.dumps({"question_id": "situational-4", "answer": GOOD_ANSWER}).encode(), headers={"content-type": "application/json"})
            response = conn.getresponse()
            status, body = response.status, json.loads(response.read())
            conn.close()
            assert status == 200 and body["status"] == "scored"
    assert [h["score"] for h in body["history"]][0] == 3.5 and len(body["history"]) == 3  # the earlier one and both new ones
    assert len(warnings) == 3 and all(str(log) in w for w in warnings)  # once per bad line, not per request
