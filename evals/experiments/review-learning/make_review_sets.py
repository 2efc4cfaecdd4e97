"""Split `grader data` samples into the files the review-learning experiment grades.

beetle:  every beetle_test-unseen-answers answer is an unreviewed answer; up to 20 beetle_train
         answers per question (seeded) are the reviews, written in two halves (10 + 10 per question)
         so that the first half can be graded first.
sas:     a `grader data sas` samples file split by answer within question into a review part
         (<= 20 per question, written as reviews 1-5, 6-10 and 11-20 of each question) and a test part (<= --test-per-question per question).

Usage:
  python make_review_sets.py beetle TEST_SAMPLES TRAIN_SAMPLES OUT_DIR
  python make_review_sets.py sas SAMPLES OUT_DIR [--test-per-question N]
"""

from __future__ import annotations

import argparse
import json
import random
from collections import defaultdict
from pathlib import Path

REVIEWS_PER_QUESTION = 20
SEED = 25


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{path}: {len(rows)} answers, {len({r['question_id'] for r in rows})} questions")


def by_question(rows: list[dict]) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        groups[row["question_id"]].append(row)
    return groups


def beetle(test_path: Path, train_path: Path, out: Path) -> None:
    test, train = read(test_path), read(train_path)
    test_questions = {r["question_id"] for r in test}
    train_groups = by_question(train)
    missing = test_questions - set(train_groups)
    if missing:
        raise SystemExit(f"questions of the test split with no training answers: {sorted(missing)}")
    if {r["id"] for r in test} & {r["id"] for r in train}:
        raise SystemExit("an answer id occurs in both splits")
    rng = random.Random(SEED)
    first, second = [], []
    for qid in sorted(test_questions):
        chosen = rng.sample(train_groups[qid], min(REVIEWS_PER_QUESTION, len(train_groups[qid])))
        first += chosen[:10]
        second += chosen[10:]
    out.mkdir(parents=True, exist_ok=True)
    write(out / "test.jsonl", test)
    write(out / "reviews-a.jsonl", first)
    write(out / "reviews-b.jsonl", second)


def sas(samples_path: Path, out: Path, test_per_question: int) -> None:
    rng = random.Random(SEED)
    first, second, rest, test = [], [], [], []
    for qid, rows in sorted(by_question(read(samples_path)).items()):
        rows = rows[:]
        rng.shuffle(rows)
        first += rows[:5]
        second += rows[5:10]
        rest += rows[10:REVIEWS_PER_QUESTION]
        test += rows[REVIEWS_PER_QUESTION : REVIEWS_PER_QUESTION + test_per_question]
    out.mkdir(parents=True, exist_ok=True)
    write(out / "test.jsonl", test)
    write(out / "reviews-1.jsonl", first)
    write(out / "reviews-2.jsonl", second)
    write(out / "reviews-b.jsonl", rest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("set", choices=["beetle", "sas"])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--test-per-question", type=int, default=20)
    args = parser.parse_args()
    if args.set == "beetle":
        beetle(*args.paths)
    else:
        sas(*args.paths, test_per_question=args.test_per_question)


if __name__ == "__main__":
    main()
