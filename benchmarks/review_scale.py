"""Benchmark: the review page's calls on a large run (issue 22 item 14).

Builds a synthetic batch run (no model: grades written straight into the run's store, with a mix of
scored, unscored and low-confidence answers and evidence quoted from the text), serves it with the
review page on 127.0.0.1 exactly as `grader review RUN_DIR` does (reports rewritten after saves),
and times what the page asks: the page itself, the queue, the agreement, one answer, and a review
saved followed by the next answer opened (what Enter does). Prints each call's median and worst
time over --repeat rounds, and the start-up time (opening the run and counting its answers).

    python benchmarks/review_scale.py --answers 5000 [--repeat 10] [--keep DIR]
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.grading.results import AnswerGrade, Flag, PointGrade, Verdict  # noqa: E402
from grader.recruiting.inputs import CandidateAnswer  # noqa: E402
from grader.recruiting.review import ReviewRun  # noqa: E402
from grader.recruiting.review_store import ReviewStore  # noqa: E402
from grader.recruiting.review_web import ReviewApp  # noqa: E402
from grader.recruiting.store import GradeStore  # noqa: E402
from grader.rubric.model import load_rubric  # noqa: E402

RUBRIC_PATH = ROOT / "rubrics" / "internet-bank-cs-manager-2026.yaml"
SENTENCES = [
    "我会先核实客户身份，查看账户有没有异常交易，确认资金安全。",
    "然后告诉他银行不会发这种短信，这是冒充银行的诈骗，提醒他不要点链接。",
    "可以拨打96110反诈专线，如果已经损失，我会协助他报警。",
    "我会保持冷静，不和客户吵，把他反映的问题和关键信息记录下来。",
    "通话结束后报告主管，请主管协调，持续骚扰就按合规流程处理。",
    "存款保险对同一家银行的存款本息合计50万元以内全额保障。",
    "理财、信托这类非保本产品不在保障范围内，要向客户讲清楚。",
    "我会明确拒绝，告诉他违规放款是红线，建议他按正规流程申请。",
]


def build_run(run_dir: Path, n_answers: int, seed: int = 7) -> None:
    """A run folder as `grader batch -o` leaves it: grades.sqlite (grades and answer texts) and run.json."""
    rng = random.Random(seed)
    rubric = load_rubric(RUBRIC_PATH)
    questions = list(rubric.questions())
    store = GradeStore(run_dir / "grades.sqlite")
    answers = []
    for i in range(n_answers):
        question = questions[i % len(questions)]
        candidate = f"候选人{i // len(questions):05d}"
        text = "".join(rng.sample(SENTENCES, rng.randint(2, 6)))
        answer = CandidateAnswer(candidate, question.id, text, "synthetic")
        answers.append(answer)
        if rng.random() < 0.03:
            grade = AnswerGrade(question_id=question.id, status="unscored", score=None, max_score=question.max_score, error="timeout: synthetic",
                                strategy="structured", model="synthetic", prompt_hash="p", rubric_hash=question.content_hash)
        else:
            points = []
            for point in question.points:
                verdict = rng.choice(list(Verdict))
                evidence = rng.choice(SENTENCES[:4]) if verdict != Verdict.missing else ""
                p = rng.random()
                points.append(PointGrade(id=point.id, verdict=verdict, evidence=evidence if evidence in text else "", reason="synthetic", p_covered=p, p_model=p))
            weights = {"covered": 1.0, "partial": 0.5, "missing": 0.0}
            score = sum(weights[p.verdict.value] * point.weight for p, point in zip(points, question.points))
            confidence = sum(max(p.p_covered, 1 - p.p_covered) for p in points) / len(points)
            flags = [Flag.low_confidence, Flag.needs_review] if confidence < 0.6 else []
            grade = AnswerGrade(question_id=question.id, status="scored", score=score, max_score=question.max_score, points=points, flags=flags,
                                strategy="structured", model="synthetic", prompt_hash="p", rubric_hash=question.content_hash, confidence=confidence)
        store.put(candidate, text, grade, cached=False)
    store.close()
    reviews = ReviewStore(run_dir / "grades.sqlite")
    reviews.record_answers(answers)
    reviews.close()
    (run_dir / "run.json").write_text(json.dumps({"rubric_path": str(RUBRIC_PATH), "cutoff": 100.0, "margin": 5.0}), encoding="utf-8")


def request(port: int, method: str, path: str, payload=None) -> tuple[int, bytes, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    body = json.dumps(payload, ensure_ascii=False).encode() if payload is not None else None
    start = time.perf_counter()
    conn.request(method, path, body=body, headers={"content-type": "application/json"})
    response = conn.getresponse()
    data = response.read()
    elapsed = time.perf_counter() - start
    conn.close()
    return response.status, data, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--keep", type=Path, help="build the run in this folder (kept) instead of a temporary one")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        run_dir = args.keep or Path(tmp) / "run"
        start = time.perf_counter()
        build_run(run_dir, args.answers)
        print(f"built a synthetic run of {args.answers} answers in {time.perf_counter() - start:.1f} s ({run_dir})")

        start = time.perf_counter()
        run = ReviewRun.open(run_dir)
        app = ReviewApp(run)
        n_items = len(run.items())  # what `grader review` prints before it serves
        print(f"start-up (open the run, the page, count {n_items} answers): {time.perf_counter() - start:.2f} s")
        rubric = run.rubric

        timings: dict[str, list[float]] = {}
        with app.make_server() as server:
            port = server.port
            _, data, _ = request(port, "GET", "/api/queue")
            queue = json.loads(data)
            unreviewed = [q for q in queue if not q["reviewed"]]
            for i in range(args.repeat):
                for name, path in (("GET /", "/"), ("GET /api/queue", "/api/queue"), ("GET /api/agreement", "/api/agreement")):
                    status, _, elapsed = request(port, "GET", path)
                    assert status == 200, (path, status)
                    timings.setdefault(name, []).append(elapsed)
                item, following = unreviewed[2 * i], unreviewed[2 * i + 1]
                status, data, elapsed = request(port, "GET", "/api/answer?id=" + urllib.parse.quote(item["answer_id"], safe=""))
                assert status == 200, data
                timings.setdefault("GET /api/answer", []).append(elapsed)
                detail = json.loads(data)
                points = {p.id: random.choice(["covered", "partial", "missing"]) for p in rubric.question(item["question_id"]).points}
                body = {"answer_id": item["answer_id"], "points": points, "note": "bench"}
                if "review_id" in detail:
                    body["based_on"] = detail["review_id"]
                status, data, elapsed = request(port, "POST", "/api/review", body)
                assert status == 200, data
                timings.setdefault("POST /api/review", []).append(elapsed)
                # The page opens the next answer at once, while the reports are rewritten.
                status, data, elapsed = request(port, "GET", "/api/answer?id=" + urllib.parse.quote(following["answer_id"], safe=""))
                assert status == 200, data
                timings.setdefault("GET /api/answer right after a save", []).append(elapsed)

        print(f"{'call':<36} {'median s':>9} {'worst s':>9}   ({args.repeat} rounds, {args.answers} answers)")
        for name, values in timings.items():
            print(f"{name:<36} {statistics.median(values):>9.3f} {max(values):>9.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
