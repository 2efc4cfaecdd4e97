"""Benchmark: the review page's per-question plan (issue 25, item 4) on a large yes/no run: the
suggestions with the reviews still needed (`recut.review_plan`, GET /api/suggest), the routing pass
(`per_question=0`, what GET /api/queue adds), the answer groups (made once per run state) and the
whole queue call, after R reviews. Synthetic grades and texts from benchmarks/recut.py's builder
(answers are 1-5 of 5 sentences in a random order, so many repeat each other).

    python benchmarks/review_plan_scale.py [--answers 10000] [--reviews 200]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.recut import build_run  # noqa: E402
from grader.grading.calibration import load_calibration  # noqa: E402
from grader.recruiting import recut  # noqa: E402
from grader.recruiting.review_web import ReviewApp  # noqa: E402


def timed(label: str, call):
    started = time.perf_counter()
    result = call()
    print(f"{label:<48} {time.perf_counter() - started:6.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=10_000)
    parser.add_argument("--reviews", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["XDG_CONFIG_HOME"] = str(Path(tmp) / "config")
        # Grades cut by the base calibration, as a batch stores them (a rubric fit's re-cut keeps its base id).
        from grader.grading.prompts import template_hash, template_name
        from grader.model.local_model import QWEN_CODER_1_5B

        base = load_calibration(QWEN_CODER_1_5B.name, template_hash(template_name("point_check", "zh")))
        run = build_run(Path(tmp), args.answers, base.base_id)
        thresholds = base.thresholds
        for item in run.items()[: args.reviews]:
            run.save(item.answer_id, {p.id: thresholds.verdict(p.p_covered or 0).value for p in item.grade.points}, reviewer="benchmark")
        app = ReviewApp(run, write_reports=False)
        print(f"{args.answers} answers, {len(list(run.rubric.questions()))} questions, {args.reviews} reviewed")
        plan = timed("suggestions and routing (recut.review_plan)", lambda: recut.review_plan(run))
        timed("first GET /api/suggest of the page (plan made)", app.plan)
        timed("GET /api/suggest again (no review since)", app.plan)
        groups = timed("answer groups (first time)", lambda: app.groups.groups())
        timed("answer groups (again, cached)", lambda: app.groups.groups())
        timed("GET /api/queue (plan and groups made already)", app.queue)
        sizes = {}
        for group in groups.values():
            sizes[group.id] = len(group.members)
        print(f"{len(sizes)} groups; {sum(1 for s in sizes.values() if s > 1)} of 2+ answers; {len(plan.routed)} answers routed; "
              f"reviews still needed per question: {sorted(q['needed'] for q in plan.questions.values())}")


if __name__ == "__main__":
    main()
