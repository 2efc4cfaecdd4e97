"""Issue 22, the review queue: the export never overwrites what it should not (item 2), two
reviewers cannot silently overwrite each other (item 13), the run is read once and not per
request (item 14), and a broken store or run record is a located error that changes nothing
(item 15)."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import sqlite3
import urllib.parse
from pathlib import Path

import pytest

from grader import cli
from grader.grading.results import AnswerGrade, PointGrade, Verdict
from grader.recruiting import review as review_module
from grader.recruiting.inputs import CandidateAnswer
from grader.recruiting.review import ReviewRun
from grader.recruiting.review_store import ReviewConflict, ReviewStore
from grader.recruiting.review_web import ReviewApp
from grader.recruiting.store import GradeStore

from .conftest import RUBRIC_PATH

ANSWER = "我会先核实客户身份，查看账户有没有异常交易，确认资金安全，然后提醒他这是诈骗并协助报警。"
HAND_GRADED = "".join(json.dumps({"id": f"s{i}", "question_id": "stress-1", "answer": "原有的人工评分样本", "labels": {}}, ensure_ascii=False) + "\n" for i in range(160))


def make_run(run_dir: Path, rubric, candidates=("张伟", "李娜", "王芳"), questions=("stress-1", "knowledge-2")) -> Path:
    """A small run folder as `grader batch -o` leaves it (grades, texts, run.json), without a model."""
    store = GradeStore(run_dir / "grades.sqlite")
    answers = []
    for candidate in candidates:
        for qid in questions:
            question = rubric.question(qid)
            points = [PointGrade(id=p.id, verdict=Verdict.covered if i == 0 else Verdict.missing, evidence="核实客户身份" if i == 0 else "", reason="r") for i, p in enumerate(question.points)]
            grade = AnswerGrade(question_id=qid, status="scored", score=question.points[0].weight, max_score=question.max_score, points=points,
                                strategy="structured", model="stub", prompt_hash="p", rubric_hash=question.content_hash)
            store.put(candidate, ANSWER, grade, cached=False)
            answers.append(CandidateAnswer(candidate, qid, ANSWER, "t"))
    store.close()
    ReviewStore(run_dir / "grades.sqlite").record_answers(answers)
    (run_dir / "run.json").write_text(json.dumps({"rubric_path": str(RUBRIC_PATH)}), encoding="utf-8")
    return run_dir


def all_covered(rubric, qid: str) -> dict[str, str]:
    return {p.id: "covered" for p in rubric.question(qid).points}


def store_snapshot(path: Path) -> tuple:
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return (db.execute("SELECT * FROM grades ORDER BY candidate, question_id").fetchall(), db.execute("SELECT * FROM reviews ORDER BY id").fetchall())
    finally:
        db.close()


# ---------------------------------------------------------------- item 2: the export


@pytest.fixture
def reviewed_run(tmp_path, rubric):
    run_dir = make_run(tmp_path / "run", rubric)
    ReviewRun.open(run_dir).save("张伟/stress-1", all_covered(rubric, "stress-1"), reviewer="王经理")
    return run_dir


def test_export_refuses_an_existing_file_unless_forced(tmp_path, reviewed_run, capsys):
    samples = tmp_path / "hand-graded.jsonl"
    samples.write_text(HAND_GRADED, encoding="utf-8")
    assert cli.main(["review", "export", str(reviewed_run), "-o", str(samples)]) == 2
    assert "exists; not overwritten (use --force" in capsys.readouterr().err
    assert samples.read_text(encoding="utf-8") == HAND_GRADED
    assert cli.main(["review", "export", str(reviewed_run), "-o", str(samples), "--force"]) == 0
    assert [json.loads(line)["id"] for line in samples.read_text(encoding="utf-8").splitlines()] == ["张伟/stress-1"]


def test_export_without_reviews_writes_nothing(tmp_path, rubric, capsys):
    run_dir = make_run(tmp_path / "run", rubric)
    samples = tmp_path / "hand-graded.jsonl"
    samples.write_text(HAND_GRADED, encoding="utf-8")
    assert cli.main(["review", "export", str(run_dir), "-o", str(samples), "--force"]) == 1
    assert "no reviews yet: nothing written" in capsys.readouterr().err
    assert samples.read_text(encoding="utf-8") == HAND_GRADED  # was truncated to 0 bytes
    assert cli.main(["review", "export", str(run_dir), "-o", str(tmp_path / "new.jsonl")]) == 1
    assert not (tmp_path / "new.jsonl").exists()


def test_export_never_writes_inside_the_run_folder(tmp_path, reviewed_run, capsys):
    before = store_snapshot(reviewed_run / "grades.sqlite")
    (tmp_path / "alias").symlink_to(reviewed_run, target_is_directory=True)
    (tmp_path / "link.jsonl").symlink_to(reviewed_run / "grades.sqlite")
    for target in (reviewed_run / "grades.sqlite", reviewed_run / "ranking.csv", reviewed_run / "samples.jsonl", reviewed_run, tmp_path / "alias" / "grades.sqlite", tmp_path / "link.jsonl"):
        assert cli.main(["review", "export", str(reviewed_run), "-o", str(target), "--force"]) == 2, target
        assert "inside the run folder" in capsys.readouterr().err
    assert store_snapshot(reviewed_run / "grades.sqlite") == before  # every grade and review kept
    assert not (reviewed_run / "samples.jsonl").exists() and not (reviewed_run / "ranking.csv").exists()
    assert (tmp_path / "link.jsonl").is_symlink()


def test_a_failed_export_leaves_the_previous_file_whole(tmp_path, reviewed_run, monkeypatch, capsys):
    samples = tmp_path / "hand-graded.jsonl"
    samples.write_text(HAND_GRADED, encoding="utf-8")

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("grader.files.os.fsync", disk_full)  # the new file is half written when this fails
    assert cli.main(["review", "export", str(reviewed_run), "-o", str(samples), "--force"]) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "left as it was" in err and "Traceback" not in err
    assert samples.read_text(encoding="utf-8") == HAND_GRADED
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hand-graded.jsonl", "run"]  # no temporary file left


# ---------------------------------------------------------------- item 13: lost update


def call(server, method, path, payload=None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request(method, path, body=json.dumps(payload, ensure_ascii=False).encode() if payload is not None else None, headers={"content-type": "application/json"})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def test_two_reviewers_of_one_answer_the_later_save_is_refused(tmp_path, rubric):
    run_dir = make_run(tmp_path / "run", rubric)
    answer_id = "李娜/stress-1"
    covered, missing = all_covered(rubric, "stress-1"), {p.id: "missing" for p in rubric.question("stress-1").points}
    with ReviewApp(ReviewRun.open(run_dir), write_reports=False).make_server() as server:
        status, queue = call(server, "GET", "/api/queue")
        assert status == 200 and all(q["review_id"] is None for q in queue)
        path = "/api/answer?id=" + urllib.parse.quote(answer_id, safe="")
        _, seen_by_a = call(server, "GET", path)
        _, seen_by_b = call(server, "GET", path)
        assert seen_by_a["review_id"] is None and seen_by_b["review_id"] is None

        status, saved_a = call(server, "POST", "/api/review", {"answer_id": answer_id, "points": covered, "reviewer": "A", "based_on": seen_by_a["review_id"]})
        assert status == 200 and isinstance(saved_a["review"]["id"], int)
        status, refused = call(server, "POST", "/api/review", {"answer_id": answer_id, "points": missing, "reviewer": "B", "based_on": seen_by_b["review_id"]})
        assert status == 409 and "was not saved" in refused["error"]
        assert refused["review"]["id"] == saved_a["review"]["id"] and refused["review"]["reviewer"] == "A" and refused["review"]["points"] == covered
        assert [r.reviewer for r in ReviewStore(run_dir / "grades.sqlite").all()] == ["A"]  # A's review is not overwritten

        # The queue and the answer now carry A's review id; B, having seen it, may replace it.
        _, queue = call(server, "GET", "/api/queue")
        assert next(q for q in queue if q["answer_id"] == answer_id)["review_id"] == saved_a["review"]["id"]
        _, seen_again = call(server, "GET", path)
        assert seen_again["review_id"] == saved_a["review"]["id"]
        status, saved_b = call(server, "POST", "/api/review", {"answer_id": answer_id, "points": missing, "reviewer": "B", "based_on": seen_again["review_id"]})
        assert status == 200 and saved_b["review"]["id"] > saved_a["review"]["id"]
        # A stale id (A's, now replaced) is refused too; without based_on a script's save is unchecked.
        status, _ = call(server, "POST", "/api/review", {"answer_id": answer_id, "points": covered, "based_on": saved_a["review"]["id"]})
        assert status == 409
        status, _ = call(server, "POST", "/api/review", {"answer_id": answer_id, "points": covered, "reviewer": "script"})
        assert status == 200
    assert [r.reviewer for r in ReviewStore(run_dir / "grades.sqlite").all()] == ["A", "B", "script"]


def test_the_check_holds_across_two_pages_on_one_run(tmp_path, rubric):
    # Two `grader review` processes on one run: each keeps its own copy of the queue.
    run_dir = make_run(tmp_path / "run", rubric)
    first, second = ReviewRun.open(run_dir), ReviewRun.open(run_dir)
    assert first.item("王芳/knowledge-2").review is None and second.item("王芳/knowledge-2").review is None
    saved = first.save("王芳/knowledge-2", all_covered(rubric, "knowledge-2"), reviewer="A", based_on=None)
    with pytest.raises(ReviewConflict) as refused:
        second.save("王芳/knowledge-2", all_covered(rubric, "knowledge-2"), reviewer="B", based_on=None)
    assert refused.value.current.id == saved.id
    assert second.item("王芳/knowledge-2").review.id == saved.id  # the other page's save shows up


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_browser_shows_the_conflict_and_a_second_save_replaces(tmp_path, rubric):
    if CHROMIUM is None:
        if os.environ.get("GRADER_REQUIRE_BROWSER") == "1":
            pytest.fail("Debian chromium is not installed")
        pytest.skip("Debian chromium not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    run_dir = make_run(tmp_path / "run", rubric)
    run = ReviewRun.open(run_dir)
    first = run.items()[0]
    with ReviewApp(run, reviewer="李主管").make_server() as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(server.url + "/")
        page.wait_for_selector("#points li")
        assert first.candidate in page.inner_text("#which")
        # Another reviewer saves this answer while the page shows it.
        status, theirs = call(server, "POST", "/api/review", {"answer_id": first.answer_id, "points": all_covered(rubric, first.question_id), "reviewer": "王经理", "note": "他们的意见"})
        assert status == 200
        page.keyboard.press("3")
        page.keyboard.press("Enter")
        page.wait_for_selector("#conflict")
        message = page.inner_text("#conflict")
        assert page.locator("#conflict").is_visible()
        assert "Not saved" in message and "王经理" in message and "他们的意见" in message
        assert [r.reviewer for r in ReviewStore(run_dir / "grades.sqlite").all()] == ["王经理"]
        assert first.candidate in page.inner_text("#which")  # still on the same answer
        page.keyboard.press("Enter")  # knowingly, a second time: replaces theirs
        page.wait_for_function("document.getElementById('n-reviewed').textContent === '1' && !document.getElementById('conflict')")
        browser.close()
    reviews = ReviewStore(run_dir / "grades.sqlite").all()
    assert [r.reviewer for r in reviews] == ["王经理", "李主管"] and reviews[-1].points[rubric.question(first.question_id).points[0].id] == "missing"
    assert theirs["review"]["id"] == reviews[0].id


# ---------------------------------------------------------------- item 14: read once, not per request


def test_page_calls_and_saves_do_not_reread_the_run(tmp_path, rubric, monkeypatch):
    run_dir = make_run(tmp_path / "run", rubric)
    flagged = []
    real_answer_flags = review_module.answer_flags
    monkeypatch.setattr(review_module, "answer_flags", lambda r, answer, grade: flagged.append(grade.question_id) or real_answer_flags(r, answer, grade))
    with ReviewApp(ReviewRun.open(run_dir), write_reports=False).make_server() as server:
        _, queue = call(server, "GET", "/api/queue")
        assert len(flagged) == len(queue) == 6  # the run is read and flagged once ...
        for item in queue:
            assert call(server, "GET", "/api/answer?id=" + urllib.parse.quote(item["answer_id"], safe=""))[0] == 200
            status, saved = call(server, "POST", "/api/review", {"answer_id": item["answer_id"], "points": all_covered(rubric, item["question_id"]), "based_on": item["review_id"]})
            assert status == 200
            call(server, "GET", "/api/agreement")
            call(server, "GET", "/api/queue")
        assert len(flagged) == 6  # ... and not again by any call (it was once per call)
        _, queue = call(server, "GET", "/api/queue")
        assert all(q["reviewed"] for q in queue)

        # A batch re-run rewrites a grade: the next call reads the run again and shows it.
        grade = AnswerGrade(question_id="stress-1", status="unscored", score=None, max_score=10, error="timeout: stub", strategy="structured", model="stub", prompt_hash="p", rubric_hash="x")
        store = GradeStore(run_dir / "grades.sqlite")
        store.put("张伟", ANSWER, grade, cached=False)
        store.close()
        _, queue = call(server, "GET", "/api/queue")
        assert queue[0]["answer_id"] == "张伟/stress-1" and queue[0]["score"] is None and len(flagged) == 12
    db = sqlite3.connect(run_dir / "grades.sqlite")
    plan = " ".join(str(row) for row in db.execute("EXPLAIN QUERY PLAN SELECT * FROM reviews WHERE candidate = 'a' AND question_id = 'b' ORDER BY id DESC LIMIT 1"))
    db.close()
    assert "reviews_by_answer" in plan  # a save's check is an index lookup, not a scan


# ---------------------------------------------------------------- item 15: located errors


@pytest.mark.parametrize("command", [["review"], ["review", "export"]])
def test_an_empty_or_corrupt_store_is_a_located_error_that_changes_nothing(tmp_path, rubric, command, capsys):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "run.json").write_text(json.dumps({"rubric_path": str(RUBRIC_PATH)}), encoding="utf-8")
    store = run_dir / "grades.sqlite"
    out = ["-o", str(tmp_path / "samples.jsonl")] if command[-1] == "export" else []
    for content, words in ((b"", "empty file"), (b"not a database at all, just text" * 40, "not a readable SQLite store")):
        store.write_bytes(content)
        assert cli.main([*command, str(run_dir), *out]) == 2
        err = capsys.readouterr().err
        assert str(store) in err and words in err and "Traceback" not in err
        assert store.read_bytes() == content  # no tables created in it
    assert not (tmp_path / "samples.jsonl").exists()


def test_a_store_without_grades_and_a_bad_grade_row_are_located(tmp_path, rubric, capsys):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "run.json").write_text(json.dumps({"rubric_path": str(RUBRIC_PATH)}), encoding="utf-8")
    db = sqlite3.connect(run_dir / "grades.sqlite")
    db.execute("CREATE TABLE other (x)")
    db.commit()
    db.close()
    assert cli.main(["review", "export", str(run_dir), "-o", str(tmp_path / "s.jsonl")]) == 2
    assert "has no grades table" in capsys.readouterr().err

    run_dir = make_run(tmp_path / "run2", rubric)
    db = sqlite3.connect(run_dir / "grades.sqlite")
    db.execute("UPDATE grades SET result = '{\"question_id\": 1}' WHERE candidate = '李娜' AND question_id = 'stress-1'")
    db.commit()
    db.close()
    assert cli.main(["review", "export", str(run_dir), "-o", str(tmp_path / "s.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "李娜/stress-1 is not a grade" in err and str(run_dir / "grades.sqlite") in err and "Traceback" not in err


@pytest.mark.parametrize("record, words", [
    ([{"rubric_path": "x"}], "expected a JSON object (the run's record), got list"),
    ({"rubric_path": str(RUBRIC_PATH), "cutoff": "sixty"}, "field cutoff: expected a number"),
    ({"rubric_path": 3}, "field rubric_path: expected a path"),
])
def test_a_bad_run_record_is_located(tmp_path, rubric, record, words, capsys):
    run_dir = make_run(tmp_path / "run", rubric)
    (run_dir / "run.json").write_text(json.dumps(record), encoding="utf-8")
    for command in (["review", str(run_dir)], ["review", "export", str(run_dir), "-o", str(tmp_path / "s.jsonl")]):
        assert cli.main(command) == 2
        err = capsys.readouterr().err
        assert str(run_dir / "run.json") in err and words in err and "Traceback" not in err


def test_export_reads_the_store_without_changing_it(tmp_path, rubric):
    # A run from before reviews existed: only its grades table. Reading it creates no table.
    run_dir = make_run(tmp_path / "run", rubric)
    db = sqlite3.connect(run_dir / "grades.sqlite")
    db.execute("DROP TABLE reviews")
    db.commit()
    db.close()

    def schema():
        db = sqlite3.connect(f"{(run_dir / 'grades.sqlite').resolve().as_uri()}?mode=ro", uri=True)
        try:
            return db.execute("SELECT type, name FROM sqlite_master ORDER BY name").fetchall()
        finally:
            db.close()

    before = schema()
    assert ("table", "reviews") not in before
    assert cli.main(["review", "export", str(run_dir), "-o", str(tmp_path / "s.jsonl")]) == 1  # no reviews
    assert schema() == before
