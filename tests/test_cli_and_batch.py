import json

import pytest

from grader import cli
from grader.recruiting.grade_file import grade_jsonl

from .conftest import RUBRIC_PATH
from .helpers import LabelEchoGrader, use_scripted_session


def _lines(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_batch_reports_bad_lines_and_grades_the_rest(tmp_path, rubric):
    source = tmp_path / "in.jsonl"
    source.write_bytes(
        "\n".join(
            [
                json.dumps({"id": "a", "question_id": "stress-1", "answer": "我会保持冷静，不和客户争吵，记录下关键信息，然后上报主管。"}, ensure_ascii=False),
                json.dumps({"id": "b", "question_id": "stress-9", "answer": "x"}),
                json.dumps({"id": "c", "answer": "no question"}),
                "not json",
                json.dumps({"id": "a", "question_id": "stress-2", "answer": "dup"}),
                json.dumps({"id": "d", "question_id": "stress-2", "answer": ""}),
            ]
        ).encode("utf-8")
        + b"\n\xff\xfe{}\n"
    )
    out = tmp_path / "out.jsonl"
    summary = grade_jsonl(LabelEchoGrader(), rubric, source, out)
    assert summary.graded == 2
    problems = "\n".join(summary.problems)
    assert f"{source}:2: field question_id: unknown question id 'stress-9'" in problems
    assert f"{source}:3: field question_id: Field required" in problems
    assert f"{source}:4: not valid JSON" in problems
    assert f"{source}:5: field id: duplicate id 'a'" in problems
    assert f"{source}:7: not valid UTF-8" in problems
    assert [r["answer_id"] for r in _lines(out)] == ["a", "d"]


def test_batch_resumes_without_grading_twice(tmp_path, rubric):
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": f"x{i}", "question_id": "stress-3", "answer": "答" * (i * 20)}) + "\n" for i in range(6)), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    first = LabelEchoGrader()
    grade_jsonl(first, rubric, source, out)
    # simulate a crash mid-write: the last result is cut off
    data = out.read_bytes()
    out.write_bytes(data[: data.rfind(b"\n", 0, len(data) - 1) + 1] + b'{"answer_id": "x5", "trunc')
    second = LabelEchoGrader()
    summary = grade_jsonl(second, rubric, source, out)
    assert second.calls == ["x5"] and summary.already_done == 5
    assert sorted(r["answer_id"] for r in _lines(out)) == [f"x{i}" for i in range(6)]


def test_unscored_answers_are_written_not_zeroed(tmp_path, rubric):
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "z", "question_id": "stress-3", "answer": "答案"}) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    summary = grade_jsonl(LabelEchoGrader(fail_ids=["z"]), rubric, source, out)
    (row,) = _lines(out)
    assert summary.unscored == 1 and row["status"] == "unscored" and row["score"] is None and row["error"] == "boom"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["grade", "--rubric", "nope.yaml", "--question", "x", "--answer", "a"], "cannot read rubric"),
        (["grade", "--rubric", str(RUBRIC_PATH), "--question", "stress-9", "--answer", "a"], "unknown question id 'stress-9'"),
        (["grade", "--rubric", str(RUBRIC_PATH), "--answer", "a"], "give --question"),
        (["grade", "--rubric", str(RUBRIC_PATH), "--question", "stress-1", "--answer-file", "missing.txt"], "cannot read answer"),
        (["eval", "--rubric", str(RUBRIC_PATH)], "needs --rubric and --samples"),
    ],
)
def test_bad_input_exits_2_with_a_message(argv, message, capsys):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_grade_json_output_shape(monkeypatch, capsys):
    use_scripted_session(monkeypatch, LabelEchoGrader())
    answer = "我会先立即核实客户身份并检查账户安全，然后解释常见诈骗手段，提供反诈中心电话96110，必要时协助报案并提示风险。"
    assert cli.main(["grade", "--rubric", str(RUBRIC_PATH), "--question", "situational-4", "--answer", answer, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {"question_id", "score", "max_score", "points", "model", "prompt_hash"} <= set(result)
    assert [p["id"] for p in result["points"]] == ["p1", "p2", "p3", "p4"]
    assert {"id", "verdict", "evidence", "reason", "flags"} <= set(result["points"][0])
    assert cli.main(["grade", "--rubric", str(RUBRIC_PATH), "--question", "situational-4", "--answer", answer]) == 0
    table = capsys.readouterr().out
    assert f"score {result['score']:g} / 10" in table and "立即验证客户身份" in table
