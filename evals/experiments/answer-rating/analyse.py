"""The expected count of points an answer makes (counts.jsonl; the probe was stopped after 42
answers) against the human score, and as a combiner feature cross-validated by question. No
model calls:

    python evals/experiments/answer-rating/analyse.py evals/runs/20261129T064551_yesno_qwen2.5-coder-1.5b-instruct-q4-k-m.json
"""

import importlib.util
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))
_spec = importlib.util.spec_from_file_location("anchors_analyse", HERE.parent / "anchors" / "analyse.py")
anchors = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(anchors)

from grader.evaluation import stats as m  # noqa: E402
from grader.grading.calibration import question_folds, raw_probability  # noqa: E402
from grader.grading.combiner import _logit, features  # noqa: E402
from grader.evaluation.samples import load_samples  # noqa: E402
from grader.evaluation.runs import load_run, predictions_of  # noqa: E402
from grader.rubric.model import load_rubric  # noqa: E402


def main(run_path: str) -> None:
    rubric = load_rubric(ROOT / "rubrics" / "internet-bank-cs-manager-2026.yaml")
    samples = load_samples(ROOT / "evals" / "samples" / "internet-bank-cs-manager-2026.jsonl", rubric)
    predictions = predictions_of(load_run(Path(run_path)))
    counts = {d["answer_id"]: d for d in map(json.loads, (HERE / "counts.jsonl").read_text().splitlines()) if d["expected"] is not None}
    chosen = [s for s in samples if s.id in counts]
    share = {s.id: counts[s.id]["expected"] / counts[s.id]["n_points"] for s in chosen}
    human = [s.score / rubric.question(s.question_id).max_score for s in chosen]
    mean_logit = [sum(_logit(raw_probability(p)) for p in predictions[s.id].points) / len(predictions[s.id].points) for s in chosen]
    print(f"{len(chosen)} answers; Pearson with the human score: expected count {m.pearson([share[s.id] for s in chosen], human):.3f}, "
          f"mean P(yes) logit of the per-point calls {m.pearson(mean_logit, human):.3f}")
    rows = []
    for s in chosen:
        for point in predictions[s.id].points:
            text = rubric.question(s.question_id).point(point.id).text
            rows.append({"question": s.question_id, "label": s.labels[point.id].value, "base": features(s.answer, text, raw_probability(point)), "share": share[s.id]})
    questions = sorted({r["question"] for r in rows})
    for name, row in {"P(yes), overlap, length": lambda r: r["base"], "+ expected count": lambda r: r["base"] + [r["share"]]}.items():
        print(f"{name:24s} point kappa, 2/4 folds: " + " / ".join(f"{anchors.kappa(rows, row, question_folds(questions, k)):.3f}" for k in (2, 4)))


if __name__ == "__main__":
    main(sys.argv[1])
