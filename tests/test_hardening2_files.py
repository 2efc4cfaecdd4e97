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


# ---------------------------------------------------------------- 3. killed while the reports are written

REPORTS = ["grades.jsonl", "ranking.csv", "ranking.xlsx", "report.html", "run.json"]


class Killed(KeyboardInterrupt):
    """What the process gets mid-write (Ctrl-C; SIGTERM kills it at the same point)."""


def die_while_writing(monkeypatch, name: str, error: BaseException = Killed()) -> None:
    """Any file opened for writing whose name contains `name` gets half of its first write, then
    `error` is raised: by default what a kill in the middle of writing that file leaves."""
    import builtins
    import io

    real_open = builtins.open

    class Dying:
        def __init__(self, f):
            self._f, self._dead = f, False

        def write(self, data):
            if self._dead:  # a dead process writes nothing more (a writer's clean-up may try)
                return len(data)
            self._dead = True
            self._f.write(data[: len(data) // 2])
            self._f.flush()
            raise error

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._f.close()

        def __getattr__(self, attr):
            return getattr(self._f, attr)

    def dying_open(file, mode="r", *args, **kwargs):
        f = real_open(file, mode, *args, **kwargs)
        return Dying(f) if name in str(file) and any(m in mode for m in "wax+") else f

    monkeypatch.setattr(builtins, "open", dying_open)
    monkeypatch.setattr(io, "open", dying_open)


@pytest.mark.parametrize("report", REPORTS)
def test_a_run_killed_while_writing_a_report_leaves_the_previous_report_whole(tmp_path, monkeypatch, capsys, report):
    source = tmp_path / "in.csv"
    rows = [f"{name},situational-4,我会先核实客户身份并检查账户安全，然后解释常见的诈骗手段，提醒客户不要点击陌生链接（{name}）" for name in NAMES]
    source.write_text(_long_csv(rows[:3]), encoding="utf-8")
    use_scripted_session(monkeypatch, ScriptedGrader())
    assert _batch(tmp_path, source) == 0
    run = tmp_path / "run"
    before = {name: (run / name).read_bytes() for name in REPORTS}
    source.write_text(_long_csv(rows), encoding="utf-8")  # two more candidates: every report changes
    with monkeypatch.context() as patch:
        die_while_writing(patch, report)
        assert _batch(tmp_path, source) == 1
    assert "interrupted" in capsys.readouterr().err
    assert (run / report).read_bytes() == before[report]  # the previous report, whole
    assert not [p.name for p in run.iterdir() if p.name.endswith(".tmp")]  # and no part of the new one
    assert _batch(tmp_path, source) == 0  # nothing graded was lost: the re-run writes every report
    assert sorted(_ranked(tmp_path)) == sorted(NAMES)
    err = capsys.readouterr().err
    assert "0 graded now" in err and "5 already done" in err


def test_grade_file_killed_while_dropping_a_cut_off_line_keeps_every_result(tmp_path, monkeypatch):
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": f"a{i}", "question_id": "situational-4", "answer": GOOD_ANSWER}, ensure_ascii=False) + "\n" for i in range(3)), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    use_scripted_session(monkeypatch, ScriptedGrader())
    args = ["grade", "--rubric", str(RUBRIC_PATH), str(source), "-o", str(out)]
    assert cli.main(args) == 0
    whole = out.read_bytes()
    out.write_bytes(whole + b'{"answer_id": "a9", "sta')  # a line cut off by an earlier crash
    with monkeypatch.context() as patch:
        die_while_writing(patch, "out.jsonl")
        assert cli.main(args) == 1
    assert out.read_bytes().startswith(whole)  # the three results are still there
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert cli.main(args) == 0 and out.read_bytes() == whole


def test_replacing_a_file_keeps_its_permissions_and_removes_the_temporary_file_on_failure(tmp_path):
    from grader.files import replacing, write_text

    path = tmp_path / "report.html"
    path.write_text("old", encoding="utf-8")
    path.chmod(0o640)
    with pytest.raises(RuntimeError):
        with replacing(path) as tmp:
            tmp.write_text("half", encoding="utf-8")
            raise RuntimeError("died")
    assert path.read_text(encoding="utf-8") == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]
    write_text(path, "new")
    assert path.read_text(encoding="utf-8") == "new" and (path.stat().st_mode & 0o777) == 0o640


def test_eval_killed_while_writing_its_html_report_leaves_the_previous_one(tmp_path, monkeypatch):
    from .conftest import SAMPLES_PATH

    use_scripted_session(monkeypatch, ScriptedGrader())
    html = tmp_path / "r.html"
    html.write_text("<p>the previous report</p>", encoding="utf-8")
    args = ["eval", "--rubric", str(RUBRIC_PATH), "--samples", str(SAMPLES_PATH), "--runs-dir", str(tmp_path / "runs"), "--limit", "4", "--html", str(html)]
    with monkeypatch.context() as patch:
        die_while_writing(patch, "r.html")
        assert cli.main(args) == 1
    assert html.read_text(encoding="utf-8") == "<p>the previous report</p>"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "runs"]


# ---------------------------------------------------------------- 15. a full disk

NO_SPACE = OSError(28, "No space left on device")


def test_a_full_disk_while_grading_is_an_error_naming_the_store_and_keeps_every_committed_grade(tmp_path, monkeypatch, capsys):
    from grader.recruiting.store import GradeStore

    source = tmp_path / "in.csv"
    names = [f"候选人{i}" for i in range(12)]
    source.write_text(_long_csv([f"{name},situational-4,{GOOD_ANSWER * 3}（{name}）" for name in names]), encoding="utf-8")
    use_scripted_session(monkeypatch, ScriptedGrader())
    real_put, puts = GradeStore.put, []

    def put_then_fill_the_disk(self, *args):
        real_put(self, *args)
        puts.append(1)
        if len(puts) == 2:  # from now on the store cannot grow: sqlite's own "database or disk is full"
            pages = self._db.execute("PRAGMA page_count").fetchone()[0]
            self._db.execute(f"PRAGMA max_page_count = {pages}")

    with monkeypatch.context() as patch:
        patch.setattr(GradeStore, "put", put_then_fill_the_disk)
        code = _batch(tmp_path, source, "--concurrency", "1")
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert f"error: StorageError: {tmp_path / 'run' / 'grades.sqlite'}: database or disk is full" in err
    store = GradeStore(tmp_path / "run" / "grades.sqlite")
    kept = store.count()
    store.close()
    assert 2 <= kept < len(names)
    assert _batch(tmp_path, source) == 0  # the re-run grades only what was not committed
    err = capsys.readouterr().err
    assert f"{len(names) - kept} graded now" in err and f"{kept} already done" in err, err[-500:]


def test_a_full_disk_while_writing_a_report_names_it_and_keeps_the_previous_one(tmp_path, monkeypatch, capsys):
    source = tmp_path / "in.csv"
    source.write_text(_long_csv([f"{name},situational-4,{GOOD_ANSWER}（{name}）" for name in NAMES[:2]]), encoding="utf-8")
    use_scripted_session(monkeypatch, ScriptedGrader())
    assert _batch(tmp_path, source) == 0
    before = (tmp_path / "run" / "ranking.csv").read_bytes()
    source.write_text(_long_csv([f"{name},situational-4,{GOOD_ANSWER}（{name}）" for name in NAMES]), encoding="utf-8")
    capsys.readouterr()
    with monkeypatch.context() as patch:
        die_while_writing(patch, "ranking.csv", NO_SPACE)
        code = _batch(tmp_path, source)
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert f"error: StorageError: {tmp_path / 'run' / 'ranking.csv'}: cannot write: No space left on device" in err
    assert (tmp_path / "run" / "ranking.csv").read_bytes() == before
    assert not [p.name for p in (tmp_path / "run").iterdir() if p.name.endswith(".tmp")]


def test_a_full_disk_while_appending_grade_results_names_the_file_and_a_rerun_resumes(tmp_path, monkeypatch, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps({"id": f"a{i}", "question_id": "situational-4", "answer": GOOD_ANSWER}, ensure_ascii=False) + "\n" for i in range(3)), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    use_scripted_session(monkeypatch, ScriptedGrader())
    args = ["grade", "--rubric", str(RUBRIC_PATH), str(source), "-o", str(out)]
    with monkeypatch.context() as patch:
        die_while_writing(patch, "out.jsonl", NO_SPACE)
        code = cli.main(args)
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert f"error: StorageError: {out}: cannot write: No space left on device" in err
    assert cli.main(args) == 0
    assert sorted(json.loads(line)["answer_id"] for line in out.read_text(encoding="utf-8").splitlines()) == ["a0", "a1", "a2"]


# ---------------------------------------------------------------- 15. model calls counted as attempted


def test_summaries_count_every_call_attempted_not_only_those_answered_with_a_usage_count(rubric):
    from grader.grading.results import BatchSummary
    from grader.grading.strategies import StructuredGrader

    from .test_llm_retries import ANSWER, Script, completion, good_grade, make

    question = rubric.question("situational-4")
    without_usage = {k: v for k, v in completion(good_grade(question)).items() if k != "usage"}
    script = Script(
        (500, {"error": {"message": "boom"}}, None),  # a failed call, retried
        (200, completion(good_grade(question)), None),
        (200, without_usage, None),  # an endpoint that reports no usage
    )
    client, _ = make(script)
    grader = StructuredGrader(client, rubric)
    summary = BatchSummary(total=2)
    for answer_id in ("a1", "a2"):
        summary.count(grader.grade(question, ANSWER, answer_id=answer_id), cached=False)
    assert len(script.requests) == 3
    assert "3 model calls" in summary.describe()


# ---------------------------------------------------------------- item 15: failed calls are counted


@pytest.mark.parametrize("strategy", ["structured", "yesno"])
def test_an_answer_whose_calls_all_fail_counts_every_call_attempted(rubric, strategy):
    from grader.grading.results import BatchSummary
    from grader.grading.strategies import StructuredGrader, YesNoGrader

    from .test_llm_retries import Script, make

    script = Script(*[(500, {"error": {"message": "boom"}}, None)] * 3)
    client, _ = make(script, max_attempts=3)
    grader_type = StructuredGrader if strategy == "structured" else YesNoGrader
    grade = grader_type(client, rubric).grade(rubric.question("situational-4"), "我会先核实客户身份，确认账户安全。")
    summary = BatchSummary()
    summary.count(grade, cached=False)
    assert grade.status != "scored" and len(script.requests) == 3
    assert "3 model calls" in summary.describe()  # was "0 model calls": the failed attempts were dropped
