"""Which answers should the combiner be fitted on, and with which features? Out-of-fold by
question (fixed 2 folds and 12 random 2-fold splits) on the TUNING sets: the combiner is fitted on
the training questions' answers of either the hand-graded set alone or the hand-graded set plus the
gaming set's tuning part, and every held-out answer of both sets is graded with it and routed with
the shipped policy. No model calls; from the project root:

    python -m evals.experiments gaming/train_sets.py SEED_SAMPLES SEED_RUN GAMING_SAMPLES GAMING_RUN
"""

import argparse
import statistics

from evals.experiments.common import add_size_options, random_splits
from evals.experiments.gaming.analyse import COUNTER, FORM_FEATURES, GAMING, load, mae
from grader.evaluation.metrics import compute_metrics
from grader.grading.calibration import rethreshold
from grader.evaluation.calibration_fit import fit_calibration, labelled_rows, point_inputs, question_folds
from grader.grading.combiner import CONTEXT_FEATURES
from grader.grading.routing import rubric_texts


def out_of_fold(rubric, samples, predictions, names, split, train_ids):
    by_id = {s.id: s for s in samples}
    out = {}
    for held_out in split:
        train = [g for g in predictions.values() if g.answer_id in train_ids and by_id[g.answer_id].question_id not in held_out]
        rows = list(labelled_rows(rubric, by_id, train, names))
        calibration = fit_calibration([r for r, _, _ in rows], [p for _, p, _ in rows], [label for _, _, label in rows], True, names)
        for s in samples:
            if s.question_id not in held_out:
                continue
            grade, question = predictions[s.id], rubric.question(s.question_id)
            probability = dict(zip([p.id for p in grade.points], calibration.probabilities(s.answer, point_inputs(rubric, grade), rubric_texts(question))))
            out[s.id] = rethreshold(grade, question, calibration.thresholds, lambda p, probability=probability: probability[p.id], answer=s.answer)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name in ("seed_samples", "seed_run", "gaming_samples", "gaming_run"):
        parser.add_argument(name)
    add_size_options(parser)
    args = parser.parse_args(argv)
    rubric, samples, predictions = load([(args.seed_samples, args.seed_run), (args.gaming_samples, args.gaming_run)], args.answers)
    seed_ids = {s.id for s in samples if "-g" not in s.id}
    seed = [s for s in samples if s.id in seed_ids]
    gaming = [s for s in samples if s.id not in seed_ids]
    questions = sorted({s.question_id for s in samples})
    splits = {"fixed": [question_folds(questions, 2)], f"random{args.splits}": random_splits(questions, args.splits)}
    print(f"{'trained on':16s} {'features':8s} {'split':8s} | seed: kappa   QWK  MAE  terse | gaming set: kappa   QWK  MAE gaming counter | routed seed/gaming")
    for train_label, train_ids in (("seed only", seed_ids), ("seed + gaming", {s.id for s in samples})):
        for feature_label, names in (("5", CONTEXT_FEATURES), ("5+form", FORM_FEATURES)):
            for split_label, chosen in splits.items():
                rows = []
                for split in chosen:
                    graded = out_of_fold(rubric, samples, predictions, names, split, train_ids)
                    a, b = compute_metrics(rubric, seed, graded, resamples=2).to_dict(), compute_metrics(rubric, gaming, graded, resamples=2).to_dict()
                    rows.append([a["point_kappa"], a["score_qwk"], a["score_mae"], a["by_kind"].get("terse_complete", {}).get("score_mae", float("nan")), b["point_kappa"], b["score_qwk"], b["score_mae"], mae(b, GAMING), mae(b, COUNTER), a["selective"]["share_routed"], b["selective"]["share_routed"]])
                mean = [statistics.mean(r[i] for r in rows) for i in range(len(rows[0]))]
                print(
                    f"{train_label:16s} {feature_label:8s} {split_label:8s} |       {mean[0]:.3f} {mean[1]:.3f} {mean[2]:.2f} {mean[3]:5.2f} |             {mean[4]:.3f} {mean[5]:.3f} {mean[6]:.2f} {mean[7]:6.2f} {mean[8]:7.2f} | {mean[9]:.0%}/{mean[10]:.0%}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
