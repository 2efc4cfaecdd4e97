"""Benchmark: re-cutting a batch run's stored yes/no grades with a rubric's new calibration, no
model call (issue 25: a batch of 10,000 answers re-cuts in under 10 s).

Builds a run folder of N synthetic grades on the shipped rubric (the offline model's name and
prompt, so the packaged calibration with its combiner is the base), saves a rubric fit of every
point, and times `recut.recut_run` twice per case: re-cutting alone, then with the ranking, XLSX,
grades.jsonl and HTML rewritten. Two cases: grades cut by the same base calibration (the stored
P(covered) is re-cut) and grades from another base (the combiner's features are computed again
from each answer's text).

    python benchmarks/recut.py [--answers 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.grading.calibration import Thresholds, load_calibration, save_rubric_calibration  # noqa: E402
from grader.grading.prompts import template_hash, template_name  # noqa: E402
from grader.grading.results import AnswerGrade, PointGrade, Verdict  # noqa: E402
from grader.model.local_model import QWEN_CODER_1_5B  # noqa: E402
from grader.recruiting import recut  # noqa: E402
from grader.recruiting.inputs import CandidateAnswer  # noqa: E402
from grader.recruiting.review import ReviewRun  # noqa: E402
from grader.recruiting.review_store import ReviewStore  # noqa: E402
from grader.recruiting.store import GradeStore  # noqa: E402
from grader.rubric.model import load_rubric  # noqa: E402

RUBRIC = ROOT / "rubrics" / "internet-bank-cs-manager-2026.yaml"
SENTENCES = ["我会先倾听客户的诉求，表示理解。", "然后核实客户身份和交易记录。", "向客户解释风险和处理流程。", "如果需要，我会上报主管并跟进。", "最后回访客户，确认问题解决。"]


def build_run(folder: Path, answers: int, calibration_id: str) -> ReviewRun:
    rubric = load_rubric(RUBRIC)
    questions = list(rubric.questions())
    rng = random.Random(0)
    model, prompt_hash = QWEN_CODER_1_5B.name, template_hash(template_name("point_check", rubric.language))
    store, texts = GradeStore(folder / "grades.sqlite"), []
    for i in range(answers):
        question = questions[i % len(questions)]
        candidate = f"cand{i // len(questions):05d}"
        text = "".join(rng.sample(SENTENCES, rng.randint(1, 5)))
        points = []
        for point in question.points:
            p = rng.random()
            points.append(PointGrade(id=point.id, verdict=Verdict.covered if p > 0.6 else Verdict.missing, reason=f"P(yes)={p:.2f}", p_covered=p, p_model=p, p_anchor=rng.random()))
        grade = AnswerGrade(
            answer_id=f"{candidate}/{question.id}", question_id=question.id, status="scored", score=0.0, max_score=question.max_score, points=points,
            strategy="yesno", model=model, prompt_hash=prompt_hash, rubric_hash=question.content_hash, calibration_id=calibration_id,
        )
        store.put(candidate, text, grade, False)
        texts.append(CandidateAnswer(candidate, question.id, text, "benchmark"))
    store.close()
    reviews = ReviewStore(folder / "grades.sqlite")
    reviews.record_answers(texts)
    reviews.close()
    (folder / "run.json").write_text(json.dumps({"model": model, "strategy": "yesno", "prompt_hash": prompt_hash, "rubric_path": str(RUBRIC), "cutoff": 60}), encoding="utf-8")
    return ReviewRun.open(folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["XDG_CONFIG_HOME"] = str(Path(tmp) / "config")  # the rubric fit goes here, not to the user's file
        rubric = load_rubric(RUBRIC)
        model, prompt_hash = QWEN_CODER_1_5B.name, template_hash(template_name("point_check", rubric.language))
        base = load_calibration(model, prompt_hash)
        fitted = {(q.id, p.id): Thresholds(0.45, 0.6) for q in rubric.questions() for p in q.points}
        save_rubric_calibration(model, prompt_hash, rubric, base, fitted, note="benchmark")
        print(f"{args.answers} stored grades, {sum(len(q.points) for q in rubric.questions())} points fitted, base calibration {base.label}")
        for case, stored_id in (("same base (stored P(covered) re-cut)", base.base_id), ("other base (features from the text)", "older-calibration")):
            for reports in (False, True):
                folder = Path(tmp) / f"run-{stored_id}-{reports}"
                folder.mkdir()
                run = build_run(folder, args.answers, stored_id)
                started = time.perf_counter()
                done = recut.recut_run(run, write_reports=reports)
                seconds = time.perf_counter() - started
                print(f"{case:<40} {'with reports' if reports else 'grades only':<13} re-cut {done.recut:>6} in {seconds:6.2f} s")


if __name__ == "__main__":
    main()
