"""The review loop end to end on a question bank nobody here tuned on, with the real grader
(default: the bundled offline model): batch -> a person reviews K answers per question (through
the review page's HTTP API, with the data set's own human labels) -> the page learns the rubric's
calibration and re-cuts the rest without a model call -> the ranking follows -> `grader eval
--rescore` on answers nobody reviewed shows the gain.

    python benchmarks/review_loop.py [--questions 8] [--reviews 5] [--held-out 8] [--seed 7]

Data: SemEval-2013 Beetle test-unseen-answers from ../shared/datasets (imported on the fly with
`grader data semeval`, never copied). A candidate is the data set's student id. The calibration is
saved under a temporary XDG_CONFIG_HOME, so the user's own is untouched. Prints the figures.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import random
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEETLE = ROOT.parent / "shared" / "datasets" / "semeval2013-task7" / "merged" / "beetle_test-unseen-answers.jsonl"


def call(port: int, method: str, path: str, payload=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        conn.request(method, path, body=json.dumps(payload).encode() if payload is not None else None, headers={"content-type": "application/json"})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def agreement(verdicts: dict[str, str], labels: dict[str, str]) -> dict[str, float]:
    from grader.evaluation import stats

    ids = sorted(set(verdicts) & set(labels))
    human, model = [labels[i] for i in ids], [verdicts[i] for i in ids]
    two = lambda xs: ["covered" if x == "covered" else "not" for x in xs]  # noqa: E731
    return {
        "n": len(ids),
        "point_kappa": round(stats.cohen_kappa(human, model, ["missing", "partial", "covered"]), 3),
        "macro_f1_2way": round(stats.macro_f1(two(human), two(model), ["covered", "not"]), 3),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=8)
    parser.add_argument("--reviews", type=int, default=5, help="reviewed answers per question")
    parser.add_argument("--held-out", type=int, default=8, help="unreviewed answers per question, measured")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", type=Path, default=None, help="folder for the run (default: a temporary one)")
    args = parser.parse_args(argv)

    work = args.work or Path(tempfile.mkdtemp(prefix="review-loop-"))
    os.environ["XDG_CONFIG_HOME"] = str(work / "config")  # the learnt calibration goes here, not to the user's
    from grader import cli
    from grader.recruiting.review import ReviewRun
    from grader.recruiting.review_web import ReviewApp

    assert cli.main(["data", "semeval", str(BEETLE), "--out", str(work / "bank")]) == 0
    rubric_path = work / "bank" / "rubric.yaml"
    samples = [json.loads(line) for line in (work / "bank" / "samples.jsonl").read_text(encoding="utf-8").splitlines()]
    def candidate(sample) -> str:  # the student: "...sbj12-l1.qa183" -> "sbj12"
        return next((part.split("-")[0] for part in sample["id"].split(".") if part.startswith("sbj")), sample["id"])

    by_question, seen = defaultdict(list), set()
    for s in samples:  # a student's first answer to a question (some answered twice)
        if (candidate(s), s["question_id"]) not in seen:
            seen.add((candidate(s), s["question_id"]))
            by_question[s["question_id"]].append(s)
    rng = random.Random(args.seed)
    eligible = sorted(q for q, rows in by_question.items() if len(rows) >= args.reviews + args.held_out)
    chosen = sorted(rng.sample(eligible, min(args.questions, len(eligible))))
    reviewed, held_out = [], []
    for q in chosen:
        rows = by_question[q][:]
        rng.shuffle(rows)
        reviewed += rows[: args.reviews]
        held_out += rows[args.reviews : args.reviews + args.held_out]

    answers = work / "answers.csv"
    with answers.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["candidate", "question_id", "answer"])
        for s in reviewed + held_out:
            writer.writerow([candidate(s), s["question_id"], s["answer"]])
    held_out_path = work / "held_out.jsonl"
    held_out_path.write_text("".join(json.dumps(s, ensure_ascii=False) + "\n" for s in held_out), encoding="utf-8")
    answer_id = lambda s: f"{candidate(s)}/{s['question_id']}"  # noqa: E731
    labels = {answer_id(s): s["labels"]["p1"] for s in held_out}

    # 1. The batch, and an eval of the held-out answers (their stored probabilities are re-cut later).
    run_dir = work / "run"
    assert cli.main(["batch", "--rubric", str(rubric_path), str(answers), "-o", str(run_dir), "--cache", str(work / "cache.sqlite")]) == 0
    runs = work / "runs"
    assert cli.main(["eval", "--rubric", str(rubric_path), "--samples", str(held_out_path), "--runs-dir", str(runs), "--json"]) == 0
    eval_run = next(runs.glob("*.json"))

    def verdicts() -> dict[str, str]:
        rows = [json.loads(line) for line in (run_dir / "grades.jsonl").read_text(encoding="utf-8").splitlines()]
        return {f"{r['candidate']}/{r['question_id']}": r["points"][0]["verdict"] for r in rows if r.get("points")}

    before = verdicts()
    ranking_before = (run_dir / "ranking.csv").read_text(encoding="utf-8-sig")

    # 2. A person reviews K answers per question on the page; 3. the page learns and re-cuts.
    with ReviewApp(ReviewRun.open(run_dir)).make_server() as server:
        for s in reviewed:
            status, body = call(server.port, "POST", "/api/review", {"answer_id": answer_id(s), "points": {"p1": s["labels"]["p1"]}})
            if status != 200:
                print(f"review of {answer_id(s)} refused: {status} {body}", file=sys.stderr)
        status, learnt = call(server.port, "POST", "/api/learn", {})
        assert status == 200, learnt
    after = verdicts()
    ranking_after = (run_dir / "ranking.csv").read_text(encoding="utf-8-sig")

    # 4. The held-out eval run, re-cut with the calibration that applies to the rubric now (it
    # prints which one, and the metrics).
    print("grader eval --rescore on the held-out answers' eval run:")
    cli.main(["eval", "--rescore", str(eval_run)])

    print(f"work folder: {work}")
    print(f"questions: {len(chosen)}; reviewed: {len(reviewed)} ({args.reviews} per question); held out: {len(held_out)}")
    print(f"page's cross-validated agreement on the reviewed answers: {json.dumps(learnt.get('agreement'), ensure_ascii=False)}")
    print(f"re-cut without a model call: {learnt.get('recut')} grades")
    print(f"held-out answers in the run, before learning: {agreement(before, labels)}")
    print(f"held-out answers in the run, after learning:  {agreement(after, labels)}")
    print(f"ranking changed: {ranking_after != ranking_before}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
