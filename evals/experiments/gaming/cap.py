"""Experiment: cap the points of an answer the topic-list detector flags (covered -> partial, and
with "two" also partial -> missing), with the rubric-copy + topic-list combiner fitted on all tuning
answers. Prints point kappa, QWK, MAE gaming, MAE counter-cases, MAE rest for no cap / one / two,
on the fixed 2 folds and 12 random splits (tuning data only). From the project root:

    python -m evals.experiments gaming/cap.py SEED_SAMPLES SEED_RUN GAMING_SAMPLES GAMING_RUN
"""

import argparse
import statistics

from evals.experiments.common import random_splits
from evals.experiments.gaming.analyse import COUNTER, FORM_FEATURES, GAMING, add_pair_arguments, load, mae, pairs_of
from grader.evaluation.metrics import compute_metrics
from grader.evaluation.calibration_fit import cross_validate, question_folds
from grader.grading.results import Verdict
from grader.grading.routing import keyword_list_suspected
from grader.grading.scoring import question_score

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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_pair_arguments(parser)
    args = parser.parse_args(argv)
    rubric, samples, predictions = load(pairs_of(parser, args), args.answers)
    questions = sorted({s.question_id for s in samples})
    for label, splits in (("fixed", [question_folds(questions, 2)]), (f"random{args.splits}", random_splits(questions, args.splits))):
        results = {mode: [] for mode in MODES}
        for split in splits:
            oof, _ = cross_validate(rubric, samples, predictions, combine=True, names=FORM_FEATURES, held_out_sets=split)
            for mode in MODES:
                m = compute_metrics(rubric, samples, capped(rubric, samples, oof, mode), resamples=2).to_dict()
                rest = set(m["by_kind"]) - set(GAMING) - set(COUNTER)
                results[mode].append((m["point_kappa"], m["score_qwk"], mae(m, GAMING), mae(m, COUNTER), mae(m, rest)))
        for mode, rows in results.items():
            print(label, mode, " ".join(f"{statistics.mean(r[i] for r in rows):.3f}" for i in range(5)))


if __name__ == "__main__":
    main()
