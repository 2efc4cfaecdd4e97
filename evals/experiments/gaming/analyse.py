"""Which gaming-resistance features to adopt: each candidate feature set's combiner, cross-validated
by question on the TUNING sets only (the seed's 160 hand-graded answers and the tuning part of the
gaming set; never the sealed part), on the fixed 2 folds and 12 random 2-fold question splits.

Reports point kappa, score QWK and score MAE for the gaming kinds, the counter-case kinds and the
rest, and the selective-grading figures of the routing as shipped. No model calls; from the
project root:

    python -m evals.experiments gaming/analyse.py SAMPLES RUN [SAMPLES RUN ...]

The rows of analysis.txt that use keyword_margin (P(yes) against the keyword list's,
keyword_anchors.jsonl; "+ all four" among them) were printed by this script as of commit d92eb4a,
when the grader could still read that feature; it was dropped, and the grader no longer can.
"""

import argparse
import statistics
from pathlib import Path

from evals.experiments.common import add_size_options, random_splits, samples_of, seed_rubric
from grader.evaluation.metrics import compute_metrics
from grader.evaluation.runs import RESCORE_FIELDS, load_run, predictions_of
from grader.evaluation.calibration_fit import cross_validate, question_folds
from grader.grading.combiner import CONTEXT_FEATURES

GAMING = ("keyword_list", "keyword_synonyms", "star_template", "slogan", "meta_answer", "topic_brushing", "question_repeat", "keyword_stuffing")
COUNTER = ("terse_complete", "numbered_actions", "buried_points")
# The default's five features, how much of the answer is the rubric's own wording, and whether it
# reads as a list of topics rather than an answer: measured, not adopted (docs/gaming.md).
FORM_FEATURES = (*CONTEXT_FEATURES, "rubric_copy", "topic_list")
VARIANTS = {
    "default (5 features)": CONTEXT_FEATURES,
    "+ rubric_copy": (*CONTEXT_FEATURES, "rubric_copy"),
    "+ short_clauses": (*CONTEXT_FEATURES, "short_clauses"),
    "+ action_share": (*CONTEXT_FEATURES, "action_share"),
    "+ topic_list": (*CONTEXT_FEATURES, "topic_list"),
    "+ rubric_copy, topic_list": FORM_FEATURES,
}


def add_pair_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("pairs", nargs="+", metavar="SAMPLES RUN", help="sample files of the seed rubric (tuning sets only) and their yesno run records, in pairs")
    add_size_options(parser)


def pairs_of(parser: argparse.ArgumentParser, args) -> list[tuple[str, str]]:
    if len(args.pairs) % 2:
        parser.error("SAMPLES and RUN come in pairs")
    return list(zip(args.pairs[0::2], args.pairs[1::2]))


def load(pairs, answers: int | None = None):
    """(rubric, samples, grades by answer id) of the pairs' sample files (the first `answers` of
    each, where given) and their runs."""
    rubric = seed_rubric()
    samples, predictions = [], {}
    for samples_path, run_path in pairs:
        if "sealed" in Path(samples_path).name:
            raise SystemExit("the sealed set is read only by sealed.py, once per adopted change")
        chunk = samples_of(rubric, Path(samples_path), answers)
        graded = predictions_of(load_run(Path(run_path), RESCORE_FIELDS))
        predictions |= {s.id: graded[s.id] for s in chunk}
        samples += chunk
    return rubric, samples, predictions


def mae(metrics, kinds):
    rows = [(b["n_answers"], b["score_mae"]) for k, b in metrics["by_kind"].items() if k in kinds]
    n = sum(r[0] for r in rows)
    return sum(a * b for a, b in rows) / n if n else float("nan")


def evaluate(rubric, samples, predictions, names, splits):
    out = []
    for split in splits:
        oof, _ = cross_validate(rubric, samples, predictions, combine=True, names=names, held_out_sets=split)
        metrics = compute_metrics(rubric, samples, oof, resamples=2).to_dict()
        selective = metrics["selective"]
        out.append(
            {
                "kappa": metrics["point_kappa"],
                "qwk": metrics["score_qwk"],
                "gaming": mae(metrics, GAMING),
                "counter": mae(metrics, COUNTER),
                "rest": mae(metrics, set(metrics["by_kind"]) - set(GAMING) - set(COUNTER)),
                "routed": selective["share_routed"],
                "kept kappa": selective["point_kappa"],
            }
        )
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_pair_arguments(parser)
    parser.add_argument("--only", action="append", default=[], metavar="TEXT", help="only the feature sets whose name contains TEXT")
    args = parser.parse_args(argv)
    pairs, only = pairs_of(parser, args), args.only
    rubric, samples, predictions = load(pairs, args.answers)
    questions = sorted({s.question_id for s in samples})
    kinds = {}
    for s in samples:
        kinds[s.kind] = kinds.get(s.kind, 0) + 1
    print(f"{len(samples)} answers ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}); runs {', '.join(Path(r).name[:15] for _, r in pairs)}")
    fixed = [question_folds(questions, 2)]
    random = random_splits(questions, args.splits)
    header = f"{'features':22s} {'split':8s} {'kappa':>6s} {'QWK':>6s} {'MAE gaming':>10s} {'counter':>8s} {'rest':>6s} {'routed':>7s} {'kappa kept':>10s}"
    print(header)
    chosen = [v for v in VARIANTS if not only or any(o in v for o in only)]
    for name in chosen:
        names = VARIANTS[name]
        for label, splits in (("fixed", fixed), (f"random{len(random)}", random)):
            results = evaluate(rubric, samples, predictions, names, splits)
            mean = {k: statistics.mean(r[k] for r in results) for k in results[0]}
            print(
                f"{name:22s} {label:8s} {mean['kappa']:6.3f} {mean['qwk']:6.3f} {mean['gaming']:10.2f} {mean['counter']:8.2f} {mean['rest']:6.2f} {mean['routed']:7.0%} {mean['kept kappa']:10.3f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
