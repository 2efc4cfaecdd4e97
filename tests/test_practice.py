"""Candidate self-check: feedback with hints (not answers), local attempts, the web API, and the
page itself driven in headless Chromium against a grade recorded from the real local model."""

import json
import os
import shutil
import urllib.request

import pytest

from grader.grading.results import Flag
from grader.grading.routing import flag_answer_form
from grader.practice.feedback import UI_TEXT, AttemptLog, feedback, format_feedback
from grader.practice.webapp import PracticeApp

from .helpers import LabelEchoGrader

LONG_ANSWER = "我会先核实客户身份并检查账户安全，然后解释常见的诈骗手段，提醒客户以后不要点击陌生链接，最后提供96110反诈专线，必要时我还会协助客户报警处理。"


def test_feedback_gives_hints_not_answers(rubric):
    question = rubric.question("situational-4")
    grade = LabelEchoGrader(rule=lambda q, a, p: "covered" if p.id == "p1" else "missing").grade(question, "短")
    result = feedback(question, grade)
    by_id = {p["id"]: p for p in result["points"]}
    assert "hint" not in by_id["p1"] and by_id["p2"]["hint"] == question.point("p2").hint
    assert all("text" not in p for p in result["points"])
    revealed = feedback(question, grade, reveal=True)
    assert revealed["points"][2]["text"] == question.point("p3").text
    shown = format_feedback(result, "zh", history=[])
    assert "提示" in shown and question.point("p3").text not in shown


@pytest.mark.parametrize("flag", [Flag.keyword_list_suspected, Flag.generic_ramble_suspected])
def test_a_candidate_is_told_when_the_score_overstates_a_list_or_a_ramble(rubric, flag):
    # Practising on a grader that rewards keyword lists would teach the wrong lesson (issue 15):
    # the score stays what the grader gave, and the feedback says why it is too high.
    question = rubric.question("situational-4")
    plain = LabelEchoGrader(rule=lambda q, a, p: "covered").grade(question, LONG_ANSWER)
    assert feedback(question, plain)["warnings"] == []
    flagged = plain.model_copy(update={"flags": [*plain.flags, flag]})
    result = feedback(question, flagged)
    assert result["warnings"] == [flag.value] and result["score"] == plain.score
    for language in ("zh", "en"):
        assert UI_TEXT[language][flag.value] in format_feedback(result, language, history=[])


def test_attempts_are_kept_per_question(tmp_path, rubric):
    log = AttemptLog(tmp_path / "attempts.jsonl")
    grader = LabelEchoGrader()
    for answer in ("短", LONG_ANSWER):
        log.add(rubric, "situational-4", answer, grader.grade(rubric.question("situational-4"), answer))
    log.add(rubric, "stress-1", "x", grader.grade(rubric.question("stress-1"), "x"))
    scores = [h["score"] for h in log.history(rubric, "situational-4")]
    assert scores == [0.0, 10.0]


@pytest.fixture
def serve(tmp_path):
    servers = []

    def start(rubric, grader, endpoint=None):
        app = PracticeApp(rubric, grader, AttemptLog(tmp_path / "attempts.jsonl"), endpoint=endpoint)
        server = app.make_server("127.0.0.1", 0).start()
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.stop()


def _post(url, payload):
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_web_api(serve, rubric):
    base = serve(rubric, LabelEchoGrader())
    page = urllib.request.urlopen(base + "/").read().decode("utf-8")
    assert "面试答案自测" in page and "situational-4" in page and "不会离开你的电脑" in page
    status, body = _post(base + "/api/grade", {"question_id": "situational-4", "answer": LONG_ANSWER})
    assert status == 200 and body["score"] == 10 and len(body["history"]) == 1
    assert _post(base + "/api/grade", {"question_id": "nope", "answer": "x"})[0] == 400
    assert _post(base + "/api/grade", {"question_id": "situational-4", "answer": "  "})[0] == 400


def test_page_warns_before_sending_answers_elsewhere(serve, rubric):
    base = serve(rubric, LabelEchoGrader(), endpoint="https://api.example.com/v1")
    page = urllib.request.urlopen(base + "/").read().decode("utf-8")
    assert "会发送到 https://api.example.com/v1" in page


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_browser_types_an_answer_and_sees_feedback(serve, rubric, cassette_client, tmp_path):
    if CHROMIUM is None:
        if os.environ.get("GRADER_REQUIRE_BROWSER") == "1":
            pytest.fail("Debian chromium is not installed")
        pytest.skip("Debian chromium not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    from grader.grading.strategies import YesNoGrader

    from .test_cassettes import SITUATIONAL_4

    with cassette_client("web_situational-4") as client:
        base = serve(rubric, YesNoGrader(client, rubric))
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
            )
            page = browser.new_page(viewport={"width": 900, "height": 1100})
            page.goto(base + "/")
            page.select_option("#question", "situational-4")
            page.fill("#answer", SITUATIONAL_4)
            page.click("#submit")
            page.wait_for_selector("#score", timeout=120_000)
            score_text = page.inner_text("#score")
            items = page.locator("ul.points li")
            assert items.count() == 4
            assert "得分" in score_text and "/ 10" in score_text
            marked = page.locator(".answer mark")
            for i in range(marked.count()):
                assert marked.nth(i).inner_text() in SITUATIONAL_4
            page.screenshot(path=str(tmp_path / "feedback.png"), full_page=True)
            history = page.inner_text("#history")
            browser.close()
    assert "第 1 次" in history
    assert (tmp_path / "feedback.png").stat().st_size > 10_000


class FormCheckingGrader(LabelEchoGrader):
    """Every point covered (as the small model says of a ramble), and the answer's form checked by
    the shipped detectors, as the real graders do."""

    def grade(self, question, answer, answer_id=None):
        return flag_answer_form(super().grade(question, answer, answer_id), answer, question)


def test_browser_shows_the_warning_on_a_ramble(serve, rubric):
    if CHROMIUM is None:
        if os.environ.get("GRADER_REQUIRE_BROWSER") == "1":
            pytest.fail("Debian chromium is not installed")
        pytest.skip("Debian chromium not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    from .test_gaming_and_routing import GENERIC_RAMBLE, LONG_REAL_ANSWER

    base = serve(rubric, FormCheckingGrader(rule=lambda q, a, p: "covered"))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        page = browser.new_page()
        page.goto(base + "/")
        page.select_option("#question", "situational-4")
        shown = {}
        for name, answer in (("ramble", GENERIC_RAMBLE), ("real", LONG_REAL_ANSWER)):
            page.fill("#answer", answer)
            page.click("#submit")
            page.wait_for_function(f"document.querySelector('#history') && document.querySelector('#history').innerText.includes('第 {len(shown) + 1} 次')")
            shown[name] = [page.locator(".warning").nth(i).inner_text() for i in range(page.locator(".warning").count())]
        browser.close()
    assert shown["ramble"] == [UI_TEXT["zh"]["generic_ramble_suspected"]]
    assert shown["real"] == []
