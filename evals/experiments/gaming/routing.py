"""Which routing policy to ship: for each candidate policy, the share of answers routed to a person
and the agreement on the rest, on the TUNING sets' out-of-fold predictions (fixed 2 folds and 12
random 2-fold question splits; never the sealed set). Also counts the gaming answers graded more
than 2 marks off the label that the policy lets through unrouted. No model calls; from the
project root:

    python -m evals.experiments gaming/routing.py FEATURES SAMPLES RUN [SAMPLES RUN ...]

FEATURES: a comma-separated feature list for the combiner (e.g. the shipped calibration's).
"""

import argparse
import itertools
import statistics

from evals.experiments.common import random_splits
from evals.experiments.gaming.analyse import COUNTER, GAMING, add_pair_arguments, load, pairs_of
from evals.experiments.gaming.train_sets import out_of_fold as seed_trained
from grader.evaluation import stats as m
from grader.evaluation.metrics import _human_score
from grader.grading.calibration import Thresholds
from grader.evaluation.calibration_fit import cross_validate, question_folds
from grader.grading.results import LABELS
from grader.grading.results import Flag
from grader.grading.routing import FORM_FLAGS, RoutingPolicy, flag_answer_form, route

RAMBLE_OFF = 10**9  # ramble_chars no answer reaches


def policies(seed_only: bool) -> list[RoutingPolicy]:
    """The candidate policies (without near-threshold routing when the cut points are not known)."""
    return [
        RoutingPolicy(below_confidence=c, near_threshold=n, keyword_copy=copy, keyword_action_share=action, about_the_question=about, ramble_chars=chars)
        for c, n, (copy, action, about), chars in itertools.product(
            (0.62, 0.66, 0.70, 0.74),
            (0.0,) if seed_only else (0.0, 0.02),
            ((2.0, 0.0, False), (0.45, 0.3, False), (0.3, 0.3, True), (0.3, 0.0, True)),
            (RAMBLE_OFF, RoutingPolicy.ramble_chars),
        )
    ]


def out_of_fold(rubric, samples, predictions, names, split, seed_only=False):
    """Out-of-fold grades and each held-out question's cut points (fitted once per split), the
    combiner fitted on all tuning answers or (`seed_only`) on the hand-graded set's alone."""
    if seed_only:
        oof = seed_trained(rubric, samples, predictions, names, split, {s.id for s in samples if "-g" not in s.id})
        cut = {}
        for s in samples:
            points = oof[s.id].points
            cut[s.question_id] = None  # re-cut below from the grade's own verdicts is not possible: route without near-threshold
        return oof, cut
    oof, fitted = cross_validate(rubric, samples, predictions, combine=True, names=names, held_out_sets=split)
    return oof, {q: Thresholds(f["partial"], f["covered"]) for f in fitted for q in f["held_out"]}


def routed(rubric, samples, oof, cut, policy):
    by_id = {s.id: s for s in samples}
    out = {}
    for answer_id, grade in oof.items():
        s = by_id[answer_id]
        question = rubric.question(s.question_id)
        plain = grade.model_copy(update={"flags": [f for f in grade.flags if f not in FORM_FLAGS]})
        out[answer_id] = route(flag_answer_form(plain, s.answer, question, policy), cut[s.question_id], policy)
    return out


def figures(rubric, samples, graded):
    kept = [s for s in samples if graded[s.id].status == "scored" and Flag.needs_review not in graded[s.id].flags]
    truth = [s.labels[p.id].value for s in kept for p in graded[s.id].points]
    said = [p.verdict.value for s in kept for p in graded[s.id].points]
    human = {s.id: _human_score(s, rubric) for s in samples}
    off = lambda s: abs(human[s.id] - (graded[s.id].score or 0))  # noqa: E731
    gaming = [s for s in samples if s.kind in GAMING]
    counter = [s for s in samples if s.kind in COUNTER]
    return {
        "routed": 1 - len(kept) / len(samples),
        "kappa": m.cohen_kappa(truth, said, LABELS),
        "qwk": m.quadratic_weighted_kappa([human[s.id] for s in kept], [graded[s.id].score for s in kept], 10),
        "gaming_off_unrouted": sum(off(s) > 2 and Flag.needs_review not in graded[s.id].flags for s in gaming),
        "gaming_off": sum(off(s) > 2 for s in gaming),
        "counter_routed": sum(Flag.needs_review in graded[s.id].flags for s in counter) / max(1, len(counter)),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("features", help="a comma-separated feature list for the combiner (e.g. the shipped calibration's)")
    add_pair_arguments(parser)
    parser.add_argument("--seed-only", action="store_true", help="fit the combiner on the hand-graded set's answers only")
    parser.add_argument("--policies", type=int, metavar="N", help="only the first N candidate policies (default: all)")
    args = parser.parse_args(argv)
    seed_only = args.seed_only
    names = tuple(args.features.split(","))
    rubric, samples, predictions = load(pairs_of(parser, args), args.answers)
    questions = sorted({s.question_id for s in samples})
    splits = {"fixed": [question_folds(questions, 2)], f"random{args.splits}": random_splits(questions, args.splits)}
    print(f"{len(samples)} answers; features {', '.join(names)}")
    print(f"{'conf':>5s} {'near':>5s} {'copy':>5s} {'act':>5s} {'about':>5s} {'ramble':>6s} | {'split':8s} {'routed':>6s} {'kappa':>6s} {'QWK':>6s} {'gaming >2 off: unrouted/all':>28s} {'counter routed':>14s}")
    graded = {label: [out_of_fold(rubric, samples, predictions, names, split, seed_only) for split in chosen] for label, chosen in splits.items()}
    if seed_only:
        print("combiner fitted on the hand-graded set's answers only (near-threshold routing not measured)")
    for policy in policies(seed_only)[: args.policies]:
        for label, runs in graded.items():
            rows = [figures(rubric, samples, routed(rubric, samples, oof, cut, policy)) for oof, cut in runs]
            mean = {k: statistics.mean(r[k] for r in rows) for k in rows[0]}
            print(
                f"{policy.below_confidence:5.2f} {policy.near_threshold:5.2f} {policy.keyword_copy:5.2f} {policy.keyword_action_share:5.2f} {policy.about_the_question!s:>5s} {'off' if policy.ramble_chars == RAMBLE_OFF else 'on':>6s} | {label:8s} "
                f"{mean['routed']:6.0%} {mean['kappa']:6.3f} {mean['qwk']:6.3f} {mean['gaming_off_unrouted']:13.1f}/{mean['gaming_off']:<14.1f} {mean['counter_routed']:14.0%}",
                flush=True,
            )


if __name__ == "__main__":
    main()
