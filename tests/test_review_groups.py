"""Issue 25, item 4: the queue asks for the reviews that teach most, says per question how many
more it needs (from the reviewed answers on each side of its cut), routes near-cut answers while a
question needs reviews, and groups answers that repeat each other so one review, undoable, speaks
for the group. Through the review page's HTTP API over a batch graded by a stub yes/no endpoint
that returns log-probabilities, and once in headless Chromium."""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import pytest

from grader import cli
from grader.evaluation.review_fit import PER_SIDE
from grader.recruiting.groups import SIMILARITY, answer_groups
from grader.recruiting.review import ReviewRun, ReviewStore
from grader.recruiting.review_web import ReviewApp

from .logprob_server import MODEL, LogprobServer, model_args, truth, write_answers, write_rubric
from .test_review_learning import call


def graded_run(tmp_path: Path, answers: Path | None = None) -> Path:
    rubric_path = write_rubric(tmp_path / "bank.yaml")
    run_dir = tmp_path / "run"
    with LogprobServer(model=MODEL) as stub:
        answers = answers or write_answers(tmp_path / "a.csv")
        assert cli.main(["batch", "--rubric", str(rubric_path), str(answers), "-o", str(run_dir), "--cache", str(tmp_path / "c.sqlite"), *model_args(stub)]) == 0
    return run_dir


def label(answer_id: str) -> dict[str, str]:
    c, q = int(answer_id[4:6]), answer_id.split("/")[1]
    return {"p1": "covered" if truth(c, q) else "missing"}


def flagged(queue: list[dict]) -> set[str]:
    return {q["answer_id"] for q in queue if "calibration_untrusted" in q["flags"]}


def test_reviews_needed_come_from_the_reviewed_answers_on_each_side_of_the_cut(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-stub")
    run_dir = graded_run(tmp_path)
    with ReviewApp(ReviewRun.open(run_dir), write_reports=False).make_server() as server:
        _, asked = call(server, "GET", "/api/suggest")
        assert asked["q1"]["needed"] == asked["q2"]["needed"] == 2 * PER_SIDE
        # q1: PER_SIDE answers each way -> trusted, whatever else is left
        q1 = [f"cand{c:02d}/q1" for c in range(2 * PER_SIDE)]  # candidates alternate: half covered, half missing
        for answer_id in q1:
            assert call(server, "POST", "/api/review", {"answer_id": answer_id, "points": label(answer_id)})[0] == 200
        _, asked = call(server, "GET", "/api/suggest")
        assert asked["q1"]["reviewed"] == 2 * PER_SIDE and asked["q1"]["needed"] == 0
        assert asked["q1"]["sides"] == {"missing": PER_SIDE, "covered_or_partial": PER_SIDE}
        # the suggestions are chosen near the cut the reviews taught, not the packaged one
        assert asked["q1"]["thresholds"] != asked["q2"]["thresholds"] and asked["q1"]["thresholds"]["partial"] < 0.35
        # q2: the answer the model ranks highest, reviewed with its point missing: no answer covers it,
        # so only the missing side is asked for
        _, queue = call(server, "GET", "/api/queue")
        highest = asked["q2"]["next"][0]  # nearest the packaged cut: the highest P(yes) of the strict model
        assert call(server, "POST", "/api/review", {"answer_id": highest, "points": {"p1": "missing"}})[0] == 200
        _, asked = call(server, "GET", "/api/suggest")
        assert asked["q2"]["needed"] == PER_SIDE - 1 and asked["q2"]["sides"]["covered_or_partial"] == 0


def test_needs_review_routes_near_cut_answers_only_while_their_question_needs_reviews(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-stub")
    run_dir = graded_run(tmp_path)
    with ReviewApp(ReviewRun.open(run_dir), write_reports=False).make_server() as server:
        _, before = call(server, "GET", "/api/queue")
        assert not flagged(before)  # nobody has reviewed yet: queued as routing alone queues it
        first = "cand00/q1"
        assert call(server, "POST", "/api/review", {"answer_id": first, "points": label(first)})[0] == 200
        _, queue = call(server, "GET", "/api/queue")
        routed = flagged(queue)
        assert routed and first not in routed
        assert any(a.endswith("/q1") for a in routed)
        tiers = [q["tier"] for q in queue]
        assert all(q["tier"] == "needs_review" for q in queue if q["answer_id"] in routed)
        assert tiers == sorted(tiers, key=["needs_review", "near_cutoff", "rest"].index)
        _, asked = call(server, "GET", "/api/suggest")
        assert asked["q1"]["routed"] == sum(1 for a in routed if a.endswith("/q1")) > 0
        # q1 taught: its answers are no longer routed, q2's still are
        for answer_id in [f"cand{c:02d}/q1" for c in range(1, 2 * PER_SIDE)]:
            assert call(server, "POST", "/api/review", {"answer_id": answer_id, "points": label(answer_id)})[0] == 200
        _, queue = call(server, "GET", "/api/queue")
        assert not any(a.endswith("/q1") for a in flagged(queue))
        assert {a for a in flagged(queue) if a.endswith("/q2")} == {a for a in routed if a.endswith("/q2")}  # q2 untaught, unchanged


def write_repeats(path: Path) -> Path:
    texts = {
        "cand00": "I would explain the IDEA behind the fix.",
        "cand01": "i would explain the idea behind the fix",  # the same once normalised
        "cand02": "I would explain the IDEA behind the fixes.",  # a near-duplicate (bigram Jaccard 0.93)
        "cand03": "I would explain the IDEA behind the fix!!",
        "cand04": "I would thank them for their patience and move on.",
        "cand05": "Refund them.",
    }
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["candidate", "question_id", "answer"])
        for candidate, text in texts.items():
            writer.writerow([candidate, "q1", text])
            writer.writerow([candidate, "q2", f"{candidate} wrote something of their own: {len(text)}"])
    return path


def test_answer_groups_by_normalised_text_or_bigram_similarity():
    groups = answer_groups(
        [
            ("a", "q1", "Refund the customer at once, then apologise to them."),
            ("b", "q1", "refund the customer at once then apologise to them"),  # the same once normalised
            ("c", "q1", "Refund the customer at once, then apologise to them!!! OK"),  # Jaccard 0.94
            ("d", "q1", "Refund the customer at once, then call the police."),  # 0.6: another answer
            ("e", "q2", "Refund the customer at once, then apologise to them."),  # another question: never grouped
        ]
    )
    assert groups["a"] == groups["b"] == groups["c"] and groups["a"].members == ("a", "b", "c")
    assert groups["d"].members == ("d",) and groups["e"].members == ("e",)
    assert answer_groups([("a", "q1", "Refund the customer at once, then apologise to them."), ("c", "q1", "Refund the customer at once, then apologise to them!!! OK")], 0.95)["c"].members == ("c",)
    assert 0.5 < SIMILARITY < 1


def test_one_review_applied_to_a_group_is_recorded_per_member_and_undone_exactly(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-stub")
    run_dir = graded_run(tmp_path, write_repeats(tmp_path / "repeats.csv"))
    store_path = run_dir / "grades.sqlite"
    group = ["cand00/q1", "cand01/q1", "cand02/q1", "cand03/q1"]
    with ReviewApp(ReviewRun.open(run_dir), write_reports=False).make_server() as server:
        _, queue = call(server, "GET", "/api/queue")
        sizes = {q["answer_id"]: q["group_size"] for q in queue}
        assert all(sizes[a] == 4 for a in group) and sizes["cand04/q1"] == sizes["cand05/q1"] == 1
        # cand03 was reviewed on its own first, and said otherwise: a group review must not overwrite it
        status, own = call(server, "POST", "/api/review", {"answer_id": "cand03/q1", "points": {"p1": "partial"}})
        assert status == 200
        status, saved = call(server, "POST", "/api/review", {"answer_id": "cand00/q1", "points": {"p1": "covered"}, "based_on": None, "group": True})
        assert status == 200, saved
        assert saved["group"]["applied"] == ["cand00/q1", "cand01/q1", "cand02/q1"] and saved["group"]["kept"] == ["cand03/q1"]
        action = saved["group"]["action"]
        latest = ReviewStore(store_path).latest()
        assert {f"{c}/{q}": r.points["p1"] for (c, q), r in latest.items()} == {**{a: "covered" for a in group[:3]}, "cand03/q1": "partial"}
        _, queue = call(server, "GET", "/api/queue")
        assert {q["answer_id"] for q in queue if q["reviewed"]} == set(group)
        _, member = call(server, "GET", "/api/answer?id=cand01/q1")
        assert member["group_action"] == action and member["group"] == saved["group"]["group"]
        _, alone = call(server, "GET", "/api/answer?id=cand03/q1")
        assert alone["group_action"] is None
        # a later review of one member, and an unrelated one: the undo leaves both
        assert call(server, "POST", "/api/review", {"answer_id": "cand04/q1", "points": {"p1": "missing"}})[0] == 200
        before_undo = ReviewStore(store_path).all()

        status, undone = call(server, "DELETE", f"/api/group-review?action={action}")
        assert status == 200 and sorted(undone["removed"]) == group[:3]
        after = ReviewStore(store_path).all()
        assert [r.id for r in after] == [r.id for r in before_undo if r.answer_id not in group[:3]]
        _, queue = call(server, "GET", "/api/queue")
        assert {q["answer_id"] for q in queue if q["reviewed"]} == {"cand03/q1", "cand04/q1"}
        assert undone["agreement"]["n_reviewed"] == 2
        assert call(server, "DELETE", f"/api/group-review?action={action}")[0] == 404  # nothing left to undo
        assert call(server, "DELETE", f"/api/group-review?action={own['review']['id']}")[0] == 404  # not a group review
        for bad in ("x", "%C2%B2", "9" * 40, ""):  # not a number, a superscript digit, too long, none
            assert call(server, "DELETE", f"/api/group-review?action={bad}")[0] == 400


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_browser_shows_the_review_these_next_panel_and_group_sizes(tmp_path, monkeypatch):
    if CHROMIUM is None:
        if os.environ.get("GRADER_REQUIRE_BROWSER") == "1":
            pytest.fail("Debian chromium is not installed")
        pytest.skip("Debian chromium not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("OPENAI_API_KEY", "sk-stub")
    run_dir = graded_run(tmp_path, write_repeats(tmp_path / "repeats.csv"))
    with ReviewApp(ReviewRun.open(run_dir), write_reports=False).make_server() as server, sync_playwright() as p:
        _, asked = call(server, "GET", "/api/suggest")
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(server.url + "/")
        page.wait_for_selector("#suggest tr[data-question=q1]")
        for question_id, ask in asked.items():
            row = page.inner_text(f"#suggest tr[data-question={question_id}]")
            assert f"{ask['needed']} more reviews before this question's grades can be trusted" in row
        assert "Review these next" in page.inner_text("#suggest")
        assert page.inner_text("nav li[data-answer='cand01/q1'] .group") == "×4"
        # a suggested answer opens from the panel; a grouped one offers the group review
        target = asked["q1"]["next"][0]
        page.click(f"#suggest a[data-answer='{target}']")
        page.wait_for_function(f"document.getElementById('which').textContent.includes({json.dumps(target.split('/')[0])})")
        page.click("nav li[data-answer='cand00/q1']")
        page.wait_for_selector("#apply-group")
        page.check("#apply-group")
        page.click("#save")
        page.wait_for_selector("#undo-group")
        assert "saved for 4 answers" in page.inner_text("#status")
        page.wait_for_function("document.querySelectorAll('nav li.done').length >= 3")
        page.click("#undo-group")
        page.wait_for_function("document.getElementById('status').textContent.includes('group review undone')")
        assert page.locator("nav li.done").count() == 0
        page.screenshot(path=str(tmp_path / "panel.png"))
        browser.close()
    assert not ReviewStore(run_dir / "grades.sqlite").all()
