"""Experiment: cap the points of an answer the topic-list detector flags (covered -> partial, and
with "two" also partial -> missing), with the rubric-copy + topic-list combiner fitted on all tuning
answers. Prints point kappa, QWK, MAE gaming, MAE counter-cases, MAE rest for no cap / one / two,
on the fixed 2 folds and 12 random splits (tuning data only). From the project root:

    python evals/experiments/gaming/cap.py SEED_SAMPLES SEED_RUN GAMING_SAMPLES GAMING_RUN
"""

import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from analyse import COUNTER, GAMING, load, mae  # noqa: E402
from handgraded import anchors  # noqa: E402

from grader.evaluation.metrics import compute_metrics  # noqa: E402
from grader.grading.calibration import cross_validate, question_folds  # noqa: E402
from grader.grading.combiner import FORM_FEATURES  # noqa: E402
from grader.grading.results import Verdict  # noqa: E402
from grader.grading.routing import keyword_list_suspected  # noqa: E402
from grader.grading.scoring import question_score  # noqa: E402

MODES = (None, "one", "two")


def capped(rubric, samples, oof, mode):
    """The grades with a suspected list's covered points cut to partial (and, for "two", its
    partial points to missing)."""
    out = {}
    for s in samples:
        grade, question = oof[s.id], rubric.question(s.question_id)
        if mode and grade.status == "scored" and keyword_list_suspected(s.answer, question):
            lower = {Verdict.covered: Verdict.partial, Verdict.partial: Verdict.missing if mode == "two" else Verdict.partial}
            points = [p.model_copy(update={"verdict": lower.get(p.verdict, p.verdict)}) for p in grade.points]
            score = question_score({p.id: p.verdict for p in points}, {p.id: p.weight for p in question.points})
            grade = grade.model_copy(update={"points": points, "score": score})
        out[s.id] = grade
    return out


def main(argv):
    rubric, samples, predictions = load(list(zip(argv[0::2], argv[1::2])))
    questions = sorted({s.question_id for s in samples})
    for label, splits in (("fixed", [question_folds(questions, 2)]), ("random12", anchors.random_splits(questions))):
        results = {mode: [] for mode in MODES}
        for split in splits:
            oof, _ = cross_validate(rubric, samples, predictions, combine=True, names=FORM_FEATURES, held_out_sets=split)
            for mode in MODES:
                m = compute_metrics(rubric, samples, capped(rubric, samples, oof, mode), resamples=2)
                rest = set(m["by_kind"]) - set(GAMING) - set(COUNTER)
                results[mode].append((m["point_kappa"], m["score_qwk"], mae(m, GAMING), mae(m, COUNTER), mae(m, rest)))
        for mode, rows in results.items():
            print(label, mode, " ".join(f"{statistics.mean(r[i] for r in rows):.3f}" for i in range(5)))


if __name__ == "__main__":
    main(sys.argv[1:])
