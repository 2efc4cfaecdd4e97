"""The review queue (issue 18): a batch graded against a stub endpoint is reviewed through the
API, its reports show the reviews, a re-run keeps them, and the export is read by `grader eval`;
the page is driven with the keyboard in headless Chromium."""

from __future__ import annotations

import csv
import http.client
import json
import os
import shutil
import time
import urllib.parse
from collections import Counter
from pathlib import Path

import pytest

from grader import cli
from grader.recruiting.review import ReviewRun
from grader.recruiting.review_queue import NEEDS_REVIEW, needs_person
from grader.recruiting.review_store import ReviewStore
from grader.recruiting.review_web import ReviewApp
from grader.recruiting.store import GradeStore

from .conftest import ROOT, RUBRIC_PATH
from .fault_server import FaultServer
from .helpers import LabelEchoGrader, use_scripted_session

EXAMPLE = ROOT / "examples" / "candidates-wide-gbk.csv"


def call(server, method, path, payload=None, raw_body=None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        body = raw_body if raw_body is not None else (json.dumps(payload, ensure_ascii=False).encode() if payload is not None else None)
        conn.request(method, path, body=body, headers={"content-type": "application/json"})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def batch(out: Path, tmp_path: Path, *model_args: str) -> int:
    return cli.main(["batch", "--rubric", str(RUBRIC_PATH), str(EXAMPLE), "-o", str(out), "--cache", str(tmp_path / "cache.sqlite"), "--cutoff", "20", *model_args])


def test_stub_batch_reviewed_through_the_api_exported_and_evaluated(tmp_path, monkeypatch, capsys, rubric):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-stub")
    out = tmp_path / "run"
    with FaultServer([], default="good") as stub:  # every point "missing", with a reason
        model = ["--base-url", stub.base_url, "--model", "stub", "--max-attempts", "1", "--strategy", "structured"]
        assert batch(out, tmp_path, *model) == 2  # the example file has bad rows, reported
        model_grades = GradeStore(out / "grades.sqlite").all_grades()

        with ReviewApp(ReviewRun.open(out)).make_server() as server:
            status, queue = call(server, "GET", "/api/queue")
            assert status == 200 and len(queue) == len(model_grades) == 23
            assert set(queue[0]) >= {"answer_id", "candidate", "question_id", "score", "flags", "reviewed"}
            tiers = [q["tier"] for q in queue]
            assert tiers == sorted(tiers, key=["needs_review", "near_cutoff", "rest"].index)
            flagged = [q for q in queue if q["tier"] == "needs_review"]
            assert any("injection_suspected" in q["flags"] for q in flagged) and any("other_language" in q["flags"] for q in flagged)
            assert not any(q["reviewed"] for q in queue)

            target = next(q for q in queue if q["question_id"] == "situational-4")
            points = [p.id for p in rubric.question("situational-4").points]
            # Bad requests: 400 with a message that says what is wrong.
            for body, words in (
                ({"answer_id": "nobody/stress-1", "points": {}}, "unknown answer id"),
                ({"answer_id": target["answer_id"], "points": {**{p: "covered" for p in points}, "p9": "covered"}}, "unknown point ids ['p9']"),
                ({"answer_id": target["answer_id"], "points": {points[0]: "covered"}}, "no verdict for"),
                ({"answer_id": target["answer_id"], "points": {p: "yes" for p in points}}, "bad verdicts"),
                ({"answer_id": target["answer_id"], "points": ["covered"]}, "points"),
                ({"points": {}}, "answer_id"),
            ):
                status, reply = call(server, "POST", "/api/review", body)
                assert status == 400 and words in reply["error"], (body, reply)
            for raw_body in (b"[1,2]", b"null", b"{"):
                status, reply = call(server, "POST", "/api/review", raw_body=raw_body)
                assert status == 400 and "expected a JSON object {answer_id, points, note, reviewer, based_on, group}" in reply["error"]

            # Three reviews; the second answer is reviewed twice (the latest counts, both are kept).
            chosen = {}
            for item, pattern in zip([q for q in queue if q["question_id"] in ("situational-4", "stress-1", "knowledge-1")][:3], ("cpm", "ccc", "pmm")):
                pids = [p.id for p in rubric.question(item["question_id"]).points]
                verdicts = {pid: {"c": "covered", "p": "partial", "m": "missing"}[pattern[i % 3]] for i, pid in enumerate(pids)}
                status, reply = call(server, "POST", "/api/review", {"answer_id": item["answer_id"], "points": {pid: "missing" for pid in pids}, "note": "first look"})
                assert status == 200
                status, reply = call(server, "POST", "/api/review", {"answer_id": item["answer_id"], "points": verdicts, "note": f"note {pattern}", "reviewer": "王经理"})
                assert status == 200 and reply["review"]["points"] == verdicts
                chosen[item["answer_id"]] = verdicts
            agreement = reply["agreement"]
            assert agreement["n_reviewed"] == 3 and agreement["n_points"] == sum(len(v) for v in chosen.values())
            missing_share = sum(v == "missing" for vs in chosen.values() for v in vs.values()) / agreement["n_points"]
            assert agreement["point_agreement"] == pytest.approx(missing_share, abs=1e-4)  # the stub said "missing" throughout
            assert agreement["score_mae"] > 0
            status, queue = call(server, "GET", "/api/queue")
            assert {q["answer_id"] for q in queue if q["reviewed"]} == set(chosen)
            status, detail = call(server, "GET", "/api/answer?id=" + urllib.parse.quote(next(iter(chosen)), safe=""))
            assert status == 200 and detail["review"]["reviewer"] == "王经理" and detail["points"][0]["model"] == "missing"

            # The server rewrites the run's reports after saving.
            deadline = time.monotonic() + 20
            while "王经理" not in (out / "report.html").read_text(encoding="utf-8") and time.monotonic() < deadline:
                time.sleep(0.1)
        assert "reviewed" in (out / "report.html").read_text(encoding="utf-8")

        # Saving overwrote nothing: the model's grades are as they were, every review is kept.
        assert GradeStore(out / "grades.sqlite").all_grades() == model_grades
        assert len(ReviewStore(out / "grades.sqlite").all()) == 6

        # Re-running the batch keeps the reviews, and its reports count the reviewed scores.
        assert batch(out, tmp_path, *model) == 2
        assert len(ReviewStore(out / "grades.sqlite").all()) == 6
        rows = list(csv.DictReader((out / "ranking.csv").read_text(encoding="utf-8-sig").splitlines()))
        reviewed_cells = {(r["candidate"], q) for r in rows for q in r["reviewed"].split()}
        assert reviewed_cells == {tuple(a.split("/")) for a in chosen}
        run = ReviewRun.open(out)
        for answer_id, verdicts in chosen.items():
            candidate, qid = answer_id.split("/")
            row = next(r for r in rows if r["candidate"] == candidate)
            expected = sum({"covered": 1, "partial": 0.5, "missing": 0}[verdicts[p.id]] * p.weight for p in rubric.question(qid).points)
            assert float(row[qid]) == pytest.approx(expected)
        html = (out / "report.html").read_text(encoding="utf-8")
        assert html.count('class="flag reviewed">reviewed</span>') == 3 and "note cpm" in html
        grades_jsonl = [json.loads(line) for line in (out / "grades.jsonl").read_text(encoding="utf-8").splitlines()]
        assert sum("review" in g for g in grades_jsonl) == 3

        # Export, then evaluate the stub on the reviewer's labels.
        samples = tmp_path / "samples.jsonl"
        capsys.readouterr()
        assert cli.main(["review", "export", str(out), "-o", str(samples)]) == 0
        exported = [json.loads(line) for line in samples.read_text(encoding="utf-8").splitlines()]
        assert {e["id"] for e in exported} == set(chosen)
        for e in exported:
            assert set(e) >= {"id", "question_id", "answer", "labels", "score", "kind", "note"}
            assert e["labels"] == chosen[e["id"]] and e["note"].startswith("note ") and e["kind"]
        assert run.export(tmp_path / "again.jsonl") == 3
        capsys.readouterr()
        assert cli.main(["eval", "--rubric", str(RUBRIC_PATH), "--samples", str(samples), "--no-record", "--json", *model]) == 0
        metrics = json.loads(capsys.readouterr().out)
    assert metrics["n_answers"] == 3
    given = Counter(v for verdicts in chosen.values() for v in verdicts.values())
    confusion = metrics["confusion"]
    rows_by_label = dict(zip(confusion["labels"], confusion["matrix"]))
    assert {label: sum(rows_by_label[label]) for label in given} == dict(given)  # rows are the labels given
    assert all(row[confusion["labels"].index("missing")] == sum(row) for row in confusion["matrix"])  # the stub's "missing"


def test_queue_order_and_a_review_follows_its_text(tmp_path, monkeypatch, rubric):
    grader = LabelEchoGrader(fail_ids=["王芳/stress-1"])
    grader.prompt_hash = "p"
    use_scripted_session(monkeypatch, grader)
    out = tmp_path / "run"
    batch(out, tmp_path)
    run = ReviewRun.open(out)
    items = run.items()
    assert items[0].answer_id == "王芳/stress-1" and items[0].grade.status == "unscored"  # unscored first
    tiers = [i.tier for i in items]
    assert tiers == sorted(tiers) and 0 in tiers
    # The flag being added by the needs_review work routes an answer on its own.
    assert needs_person(items[-1].grade, [NEEDS_REVIEW]) and not needs_person(items[-1].grade, [])
    # An unscored answer can be reviewed: the reviewer's score then counts.
    pids = [p.id for p in rubric.question("stress-1").points]
    review = run.save("王芳/stress-1", {pid: "covered" for pid in pids}, reviewer="x")
    assert review.score == rubric.question("stress-1").max_score
    result = next(r for r in run.results() if r.candidate == "王芳")
    assert result.questions["stress-1"] == review.score and result.reviewed == ["stress-1"] and "unscored" not in result.needs_review
    # A re-run over a changed answer: the old review no longer applies to the new text.
    store = ReviewStore(out / "grades.sqlite")
    answers = {(a.candidate, a.question_id): a for a in run.answers()}
    from dataclasses import replace

    from grader.recruiting.review_store import applicable_reviews

    changed = [replace(answers[("王芳", "stress-1")], answer="完全不同的一段新回答，长度超过二十个字符以免被判为过短。")]
    assert applicable_reviews(store.latest(), changed) == {}
    assert applicable_reviews(store.latest(), [answers[("王芳", "stress-1")]]) != {}


def test_review_cli_errors_are_located(tmp_path, capsys):
    assert cli.main(["review", str(tmp_path / "nope")]) == 2
    assert "not a batch run folder" in capsys.readouterr().err
    assert cli.main(["review", "export", str(tmp_path / "nope")]) == 2
    assert "-o samples.jsonl" in capsys.readouterr().err


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_browser_reviews_answers_with_the_keyboard(tmp_path, monkeypatch, rubric):
    if CHROMIUM is None:
        if os.environ.get("GRADER_REQUIRE_BROWSER") == "1":
            pytest.fail("Debian chromium is not installed")
        pytest.skip("Debian chromium not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    grader = LabelEchoGrader(rule=lambda q, a, p: "covered" if p.id == "p1" and len(a) > 30 else ("partial" if p.id == "p2" else "missing"))
    grader.prompt_hash = "p"
    use_scripted_session(monkeypatch, grader)
    out = tmp_path / "run"
    batch(out, tmp_path)
    run = ReviewRun.open(out)
    first, second = run.items()[:2]
    with ReviewApp(run, reviewer="李主管").make_server() as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(server.url + "/")
        page.wait_for_selector("#points li")
        assert first.candidate in page.inner_text("#which") and page.inner_text("#n-reviewed") == "0"
        n_points = len(rubric.question(first.question_id).points)
        # Every point of the first answer: covered, except the second point partial.
        page.keyboard.press("1")
        for i in range(1, n_points):
            page.keyboard.press("j")
            page.keyboard.press("2" if i == 1 else "1")
        page.keyboard.press("k")  # back up one and forward again: selection moves, nothing changes
        page.keyboard.press("j")
        assert page.locator("#points li.selected").get_attribute("data-point") == rubric.question(first.question_id).points[-1].id
        page.keyboard.press("/")
        page.keyboard.type("checked by keyboard")
        page.keyboard.press("Escape")
        page.keyboard.press("Enter")
        page.wait_for_function("document.getElementById('n-reviewed').textContent === '1'")
        page.wait_for_function(f"document.getElementById('which').textContent.includes({json.dumps(second.candidate)})")
        # The second answer: every point missing, saved with Enter from the note field.
        for i in range(len(rubric.question(second.question_id).points)):
            page.keyboard.press("3")
            page.keyboard.press("j")
        page.keyboard.press("Enter")
        page.wait_for_function("document.getElementById('n-reviewed').textContent === '2'")
        assert page.inner_text("#kappa") != "" and page.inner_text("#mae") != "—"
        assert page.locator("nav li.done").count() == 2
        page.keyboard.press("p")
        page.keyboard.press("p")
        page.wait_for_function(f"document.getElementById('which').textContent.includes({json.dumps(first.candidate)})")
        page.wait_for_selector("#answer mark.focus, #answer")
        shot = Path(os.environ.get("GRADER_SCREENSHOT_DIR", tmp_path)) / "review.png"
        page.screenshot(path=str(shot))
        browser.close()
    reviews = ReviewStore(out / "grades.sqlite").latest()
    got = reviews[(first.candidate, first.question_id)]
    expected = {pid.id: ("partial" if i == 1 else "covered") for i, pid in enumerate(rubric.question(first.question_id).points)}
    assert got.points == expected and got.note == "checked by keyboard" and got.reviewer == "李主管"
    assert set(reviews[(second.candidate, second.question_id)].points.values()) == {"missing"}
    assert shot.stat().st_size > 10_000


# ---------------------------------------------------------------- Hypothesis: never a 500

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@pytest.fixture(scope="module")
def review_server(tmp_path_factory, rubric):
    from grader.recruiting.runner import grade_candidates
    from grader.recruiting.inputs import read_answers

    out = tmp_path_factory.mktemp("hyp") / "run"
    answers, _ = read_answers(EXAMPLE, rubric)
    grader = LabelEchoGrader(fail_ids=["王芳/stress-1"])
    grader.prompt_hash = "p"
    grade_candidates(grader, rubric, answers, GradeStore(out / "grades.sqlite"), show_progress=False)
    ReviewStore(out / "grades.sqlite").record_answers(answers)
    (out / "run.json").write_text(json.dumps({"rubric_path": str(RUBRIC_PATH)}), encoding="utf-8")
    with ReviewApp(ReviewRun.open(out), write_reports=False).make_server() as server:
        server.ids = [f"{a.candidate}/{a.question_id}" for a in answers]
        yield server


_verdicts = st.sampled_from(["covered", "partial", "missing", "", "COVERED", "yes"]) | st.text(max_size=8) | st.integers() | st.none()
_points = st.dictionaries(st.sampled_from(["p1", "p2", "p3", "p4", "p5", ""]) | st.text(max_size=5), _verdicts, max_size=6) | st.lists(st.text(max_size=3), max_size=3) | st.none()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_review_handlers_never_answer_500(review_server, data):
    answer_id = data.draw(st.sampled_from(review_server.ids) | st.text(max_size=20) | st.integers())
    body = data.draw(
        st.one_of(
            st.binary(max_size=200),
            st.fixed_dictionaries({"answer_id": st.just(answer_id), "points": _points}, optional={"note": st.text(max_size=40) | st.integers(), "reviewer": st.text(max_size=10) | st.none(), "extra": st.integers()}).map(
                lambda v: json.dumps(v, ensure_ascii=False).encode()
            ),
        )
    )
    status, reply = call(review_server, "POST", "/api/review", raw_body=body)
    assert status in (200, 400), reply
    assert status == 200 or reply["error"]
    status, reply = call(review_server, "GET", "/api/answer?id=" + urllib.parse.quote(str(answer_id), safe=""))
    assert status in (200, 400), reply
