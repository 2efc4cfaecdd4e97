"""Issue 25: every review teaches the grader the rubric's standard. A batch graded by a yes/no
endpoint (a stub that returns log-probabilities) is reviewed through the page's API, the page
learns the rubric's calibration and re-cuts the unreviewed grades without a model call, the
ranking follows, and `grader eval` on the export shows the gain. A rubric's calibration applies
to that rubric only, and a point whose text changes loses its own fit."""

from __future__ import annotations

import csv
import http.client
import json
from pathlib import Path

from grader import cli
from grader.grading.calibration import Thresholds, resolve_calibration, save_rubric_calibration, load_calibration, user_calibration_path
from grader.grading.results import AnswerGrade
from grader.recruiting.review import ReviewRun
from grader.recruiting.review_web import ReviewApp
from grader.rubric.model import load_rubric

from .logprob_server import MODEL, LogprobServer, model_args, truth, verdicts, write_answers, write_rubric

def call(server, method: str, path: str, payload=None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request(method, path, body=json.dumps(payload).encode() if payload is not None else None, headers={"content-type": "application/json"})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def eval_kappa(stub, rubric_path: Path, samples: Path, runs: Path, capsys) -> float:
    assert cli.main(["eval", "--rubric", str(rubric_path), "--samples", str(samples), "--runs-dir", str(runs), "--json", *model_args(stub)]) == 0
    return json.loads(capsys.readouterr().out)["point_kappa"]


def test_batch_review_learn_recut_rank_and_eval_close_the_loop(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-stub")
    rubric_path = write_rubric(tmp_path / "bank.yaml")
    answers = write_answers(tmp_path / "answers.csv")
    run_dir = tmp_path / "run"
    with LogprobServer(model=MODEL) as stub:
        assert cli.main(["batch", "--rubric", str(rubric_path), str(answers), "-o", str(run_dir), "--cache", str(tmp_path / "cache.sqlite"), *model_args(stub)]) == 0
        before = verdicts(run_dir)
        assert set(before.values()) == {"missing"}  # a strict model: every answer "missing" before any review
        ranking_before = (run_dir / "ranking.csv").read_text(encoding="utf-8-sig")

        # A person reviews 5 answers per question through the page's API.
        reviewed = [f"cand{c:02d}/{q}" for q in ("q1", "q2") for c in range(5)]
        with ReviewApp(ReviewRun.open(run_dir), write_reports=False).make_server() as server:
            for answer_id in reviewed:
                c, q = int(answer_id[4:6]), answer_id.split("/")[1]
                status, _ = call(server, "POST", "/api/review", {"answer_id": answer_id, "points": {"p1": "covered" if truth(c, q) else "missing"}})
                assert status == 200
            samples = tmp_path / "samples.jsonl"
            assert cli.main(["review", "export", str(run_dir), "-o", str(samples)]) == 0
            kappa_before = eval_kappa(stub, rubric_path, samples, tmp_path / "runs-before", capsys)

            status, learnt = call(server, "POST", "/api/learn", {})
            assert status == 200, learnt
            assert learnt["recut"] == len(before) - len(reviewed)
            assert learnt["agreement"]["after"]["point_kappa"] > learnt["agreement"]["before"]["point_kappa"]

        # The rest were re-cut without a model call, and now agree with the truth.
        after = verdicts(run_dir)
        for answer_id, verdict in after.items():
            c, q = int(answer_id[4:6]), answer_id.split("/")[1]
            if answer_id not in reviewed:
                assert verdict == ("covered" if truth(c, q) else "missing"), answer_id
            else:
                assert verdict == before[answer_id]  # the model's grade of a reviewed answer is kept as it was
        ranking_after = (run_dir / "ranking.csv").read_text(encoding="utf-8-sig")
        assert ranking_after != ranking_before
        top = next(csv.DictReader(ranking_after.splitlines()))
        assert top["candidate"] in {"cand06", "cand00"} and float(top["total"]) == 10  # both points covered, ranked first
        rows = [json.loads(line) for line in (run_dir / "grades.jsonl").read_text(encoding="utf-8").splitlines()]
        assert all("+" in r["calibration_id"] for r in rows if f"{r['candidate']}/{r['question_id']}" not in reviewed)

        # `grader eval` on the export: the same reviewed answers, graded again, now agree.
        calls = stub.calls
        kappa_after = eval_kappa(stub, rubric_path, samples, tmp_path / "runs-after", capsys)
        assert stub.calls > calls  # eval really asked the model again
        assert kappa_before <= 0.0 < 0.9 < kappa_after


def test_a_rubrics_calibration_never_changes_another_rubrics_grades(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-stub")
    mine = load_rubric(write_rubric(tmp_path / "mine.yaml", "mine"))
    other_path = write_rubric(tmp_path / "other.yaml", "other")  # the same questions and points, another rubric
    answer = "I would listen first and explain the IDEA behind the fix."
    with LogprobServer(model=MODEL) as stub:
        def grade(rubric_path: Path) -> dict:
            assert cli.main(["grade", "--rubric", str(rubric_path), "--question", "q1", "--answer", answer, "--json", *model_args(stub)]) == 0
            return json.loads(capsys.readouterr().out)

        other_before = grade(other_path)
        from grader.grading.prompts import template_hash, template_name

        prompt_hash = template_hash(template_name("point_check", "en"))
        base = load_calibration(MODEL, prompt_hash)
        save_rubric_calibration(MODEL, prompt_hash, mine, base, {("q1", "p1"): Thresholds(0.1, 0.2), ("q2", "p1"): Thresholds(0.1, 0.2)}, note="test")
        mine_after = grade(tmp_path / "mine.yaml")
        other_after = grade(other_path)
    assert mine_after["points"][0]["verdict"] == "covered" and mine_after["calibration_id"] != other_before["calibration_id"]
    assert other_after == {**other_before, "seconds": other_after["seconds"]}  # the other rubric's grade is unchanged
    assert other_after["points"][0]["verdict"] == "missing" and other_after["calibration_id"] == "uncalibrated"


def test_a_point_whose_text_changes_loses_its_own_fit_and_the_rest_keep_theirs(tmp_path):
    rubric = load_rubric(write_rubric(tmp_path / "bank.yaml"))
    base = load_calibration("m", "h")
    fitted = {("q1", "p1"): Thresholds(0.1, 0.2), ("q2", "p1"): Thresholds(0.3, 0.4)}
    save_rubric_calibration("m", "h", rubric, base, fitted, note="test")
    assert resolve_calibration("m", "h", rubric).point_thresholds == fitted
    edited = load_rubric(write_rubric(tmp_path / "bank.yaml", point_texts=("Offers the customer a concrete remedy", "Names the legal risk to the bank")))
    resolved = resolve_calibration("m", "h", edited)
    assert resolved.point_thresholds == {("q1", "p1"): Thresholds(0.1, 0.2)}
    assert resolved.thresholds_for("q2", "p1") == base.thresholds  # fell back to the base
    assert resolved.id_for("q2") == base.base_id != resolved.id_for("q1")
    # a fit made over another base calibration no longer applies
    user = json.loads(user_calibration_path().read_text(encoding="utf-8"))
    user["m|h"] = {"partial": 0.4, "covered": 0.6}
    user_calibration_path().write_text(json.dumps(user), encoding="utf-8")
    assert resolve_calibration("m", "h", rubric).point_thresholds == {}


def test_calibrate_run_dir_learns_saves_and_recuts_from_the_cli(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-stub")
    rubric_path = write_rubric(tmp_path / "bank.yaml")
    run_dir = tmp_path / "run"
    with LogprobServer(model=MODEL) as stub:
        assert cli.main(["batch", "--rubric", str(rubric_path), str(write_answers(tmp_path / "a.csv")), "-o", str(run_dir), "--cache", str(tmp_path / "c.sqlite"), *model_args(stub)]) == 0
    # labelled samples instead of reviews: ids as the run names its answers
    samples = tmp_path / "labels.jsonl"
    with samples.open("w", encoding="utf-8") as f:
        for c in range(6):
            for q in ("q1", "q2"):
                f.write(json.dumps({"id": f"cand{c:02d}/{q}", "question_id": q, "answer": "-", "labels": {"p1": "covered" if truth(c, q) else "missing"}}) + "\n")
    capsys.readouterr()
    assert cli.main(["calibrate", str(run_dir), "--samples", str(samples)]) == 0
    assert "point kappa 0.000 -> 1.000" in capsys.readouterr().out
    assert not user_calibration_path().exists()  # without --save nothing is written
    assert cli.main(["calibrate", str(run_dir), "--samples", str(samples), "--save"]) == 0
    assert "re-cut 24 unreviewed grades" in capsys.readouterr().err
    assert all(v == ("covered" if truth(int(a[4:6]), a[-2:]) else "missing") for a, v in verdicts(run_dir).items())
    grades = [AnswerGrade.model_validate(json.loads(line) | {}) for line in (run_dir / "grades.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len({g.calibration_id for g in grades}) == 2  # one per question: each has its own fit


def test_the_queue_asks_per_question_for_the_reviews_that_teach_most(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-stub")
    rubric_path = write_rubric(tmp_path / "bank.yaml")
    run_dir = tmp_path / "run"
    with LogprobServer(model=MODEL) as stub:
        assert cli.main(["batch", "--rubric", str(rubric_path), str(write_answers(tmp_path / "a.csv")), "-o", str(run_dir), "--cache", str(tmp_path / "c.sqlite"), *model_args(stub)]) == 0
    with ReviewApp(ReviewRun.open(run_dir), write_reports=False).make_server() as server:
        status, asked = call(server, "GET", "/api/suggest")
        assert status == 200 and set(asked) == {"q1", "q2"}
        for question_id, ask in asked.items():
            assert ask["reviewed"] == 0 and ask["needed"] > 0 and len(ask["next"]) == 3
            # the first two asked lie on both sides of the truth: one review each way teaches the cut
            sides = {truth(int(a[4:6]), question_id) for a in ask["next"][:2]}
            assert sides == {True, False}, ask
        first = asked["q1"]["next"][0]
        assert call(server, "POST", "/api/review", {"answer_id": first, "points": {"p1": "covered"}})[0] == 200
        _, again = call(server, "GET", "/api/suggest")
    assert again["q1"]["reviewed"] == 1 and again["q1"]["needed"] == asked["q1"]["needed"] - 1
    assert first not in again["q1"]["next"] and again["q2"] == asked["q2"]


def test_learning_needs_reviews_of_a_yesno_run_and_says_so(tmp_path, monkeypatch, capsys):
    from .fault_server import FaultServer

    monkeypatch.setenv("OPENAI_API_KEY", "sk-stub")
    rubric_path = write_rubric(tmp_path / "bank.yaml")
    answers = write_answers(tmp_path / "a.csv", candidates=2)
    with LogprobServer(model=MODEL) as stub:
        assert cli.main(["batch", "--rubric", str(rubric_path), str(answers), "-o", str(tmp_path / "yesno"), "--cache", str(tmp_path / "c.sqlite"), *model_args(stub)]) == 0
    with ReviewApp(ReviewRun.open(tmp_path / "yesno"), write_reports=False).make_server() as server:
        status, body = call(server, "POST", "/api/learn", {})
    assert status == 400 and "no reviewed answers" in body["error"]
    assert not user_calibration_path().exists()
    with FaultServer([], default="good") as stub:
        structured = ["--base-url", stub.base_url, "--model", "stub", "--strategy", "structured", "--max-attempts", "1"]
        assert cli.main(["batch", "--rubric", str(rubric_path), str(answers), "-o", str(tmp_path / "structured"), "--cache", str(tmp_path / "c.sqlite"), *structured]) == 0
    capsys.readouterr()
    assert cli.main(["calibrate", str(tmp_path / "structured"), "--save"]) == 2
    assert "structured strategy" in capsys.readouterr().err and not user_calibration_path().exists()


def test_reviewed_answers_become_few_shot_examples_of_the_structured_prompt(tmp_path, monkeypatch, capsys):
    from .fault_server import FaultServer

    monkeypatch.setenv("OPENAI_API_KEY", "sk-stub")
    rubric_path = write_rubric(tmp_path / "bank.yaml")
    answers = write_answers(tmp_path / "a.csv", candidates=2)
    examples = tmp_path / "reviewed.jsonl"
    with examples.open("w", encoding="utf-8") as f:
        f.write(json.dumps({"id": "r1", "question_id": "q1", "answer": "Call me on 13812345678. I would explain the IDEA behind the fix.", "labels": {"p1": "covered"}}) + "\n")
        f.write(json.dumps({"id": "r2", "question_id": "q1", "answer": "Unrelated text about lunch.", "labels": {"p1": "missing"}}) + "\n")
    cache = str(tmp_path / "c.sqlite")
    with FaultServer([], default="good") as stub:
        structured = ["--base-url", stub.base_url, "--model", "stub", "--strategy", "structured", "--max-attempts", "1", "--cache", cache]
        assert cli.main(["batch", "--rubric", str(rubric_path), str(answers), "-o", str(tmp_path / "with"), "--examples", str(examples), "--redact", *structured]) == 0
        with_examples = list(stub.bodies)
        # q1's prompts carry both examples as earlier turns, the nearest last; q2's carry none
        q1 = [b["messages"] for b in with_examples if "Question 1" in b["messages"][-1]["content"]]
        assert q1 and all([m["role"] for m in ms] == ["system", "user", "assistant", "user", "assistant", "user"] for ms in q1)
        for ms in q1:
            assert "IDEA" in ms[3]["content"] and json.loads(ms[4]["content"])["p1"]["verdict"] == "covered"
            assert "lunch" in ms[1]["content"] and json.loads(ms[2]["content"])["p1"]["verdict"] == "missing"
        assert all(len(b["messages"]) == 2 for b in with_examples if "Question 2" in b["messages"][-1]["content"])
        assert "13812345678" not in json.dumps(with_examples, ensure_ascii=False)  # --redact masks the examples too
        rows = [json.loads(line) for line in (tmp_path / "with" / "grades.jsonl").read_text(encoding="utf-8").splitlines()]
        q1_hashes = {r["prompt_hash"] for r in rows if r["question_id"] == "q1"}
        assert len(q1_hashes) == 1 and "+" in q1_hashes.pop()  # the examples are part of the prompt's identity
        # so the same answers without examples are not served from the cache made with them
        calls = len(stub.bodies)
        assert cli.main(["batch", "--rubric", str(rubric_path), str(answers), "-o", str(tmp_path / "without"), "--redact", *structured]) == 0
        assert len(stub.bodies) - calls == 2  # q1's two answers graded afresh; q2's (no examples) from the cache
    capsys.readouterr()
    assert cli.main(["batch", "--rubric", str(rubric_path), str(answers), "-o", str(tmp_path / "y"), "--examples", str(examples), "--base-url", "http://127.0.0.1:9/v1", "--strategy", "yesno"]) == 2
    assert "structured strategy" in capsys.readouterr().err
