"""Which gaming-resistance features to adopt: each candidate feature set's combiner, cross-validated
by question on the TUNING sets only (the seed's 160 hand-graded answers and the tuning part of the
gaming set; never the sealed part), on the fixed 2 folds and 12 random 2-fold question splits.

Reports point kappa, score QWK and score MAE for the gaming kinds, the counter-case kinds and the
rest, and the selective-grading figures of the routing as shipped. No model calls; from the
project root:

    python evals/experiments/gaming/analyse.py SAMPLES RUN [SAMPLES RUN ...]

A run without keyword anchors (older records) gets them from keyword_anchors.jsonl (probe.py).
"""

import json
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from handgraded import ROOT, anchors  # noqa: E402

from grader.grading.calibration import cross_validate, question_folds  # noqa: E402
from grader.grading.combiner import CONTEXT_FEATURES  # noqa: E402
from grader.evaluation.metrics import compute_metrics  # noqa: E402
from grader.evaluation.samples import load_samples  # noqa: E402
from grader.evaluation.runs import load_run, predictions_of  # noqa: E402
from grader.rubric.model import load_rubric  # noqa: E402

GAMING = ("keyword_list", "keyword_synonyms", "star_template", "slogan", "meta_answer", "topic_brushing", "question_repeat", "keyword_stuffing")
COUNTER = ("terse_complete", "numbered_actions", "buried_points")
VARIANTS = {
    "default (5 features)": CONTEXT_FEATURES,
    "+ keyword_margin": (*CONTEXT_FEATURES, "keyword_margin"),
    "+ rubric_copy": (*CONTEXT_FEATURES, "rubric_copy"),
    "+ short_clauses": (*CONTEXT_FEATURES, "short_clauses"),
    "+ action_share": (*CONTEXT_FEATURES, "action_share"),
    "+ keyword_margin, action_share": (*CONTEXT_FEATURES, "keyword_margin", "action_share"),
    "+ all four": (*CONTEXT_FEATURES, "keyword_margin", "rubric_copy", "short_clauses", "action_share"),
    "+ topic_list": (*CONTEXT_FEATURES, "topic_list"),
    "+ rubric_copy, topic_list": (*CONTEXT_FEATURES, "rubric_copy", "topic_list"),
}


def load(pairs):
    rubric = load_rubric(ROOT / "rubrics" / "internet-bank-cs-manager-2026.yaml")
    probe = {(d["question"], d["point"]): d["p"] for d in map(json.loads, (HERE / "keyword_anchors.jsonl").read_text().splitlines())}
    samples, predictions = [], {}
    for samples_path, run_path in pairs:
        if "sealed" in Path(samples_path).name:
            raise SystemExit("the sealed set is read only by sealed.py, once per adopted change")
        chunk = load_samples(Path(samples_path), rubric)
        graded = predictions_of(load_run(Path(run_path)))
        for s in chunk:
            grade = graded[s.id]
            points = [p if p.p_keyword_anchor is not None else p.model_copy(update={"p_keyword_anchor": probe[(s.question_id, p.id)]}) for p in grade.points]
            predictions[s.id] = grade.model_copy(update={"points": points})
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
        metrics = compute_metrics(rubric, samples, oof, resamples=2)
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


def main(argv):
    only = [a[len("--only="):] for a in argv if a.startswith("--only=")]
    argv = [a for a in argv if not a.startswith("--only=")]
    pairs = list(zip(argv[0::2], argv[1::2]))
    rubric, samples, predictions = load(pairs)
    questions = sorted({s.question_id for s in samples})
    kinds = {}
    for s in samples:
        kinds[s.kind] = kinds.get(s.kind, 0) + 1
    print(f"{len(samples)} answers ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}); runs {', '.join(Path(r).name[:15] for _, r in pairs)}")
    fixed = [question_folds(questions, 2)]
    random = anchors.random_splits(questions)
    header = f"{'features':22s} {'split':8s} {'kappa':>6s} {'QWK':>6s} {'MAE gaming':>10s} {'counter':>8s} {'rest':>6s} {'routed':>7s} {'kappa kept':>10s}"
    print(header)
    chosen = [v for v in VARIANTS if not only or any(o in v for o in only)]
    for name in chosen:
        names = VARIANTS[name]
        for label, splits in (("fixed", fixed), ("random12", random)):
            results = evaluate(rubric, samples, predictions, names, splits)
            mean = {k: statistics.mean(r[k] for r in results) for k in results[0]}
            print(
                f"{name:22s} {label:8s} {mean['kappa']:6.3f} {mean['qwk']:6.3f} {mean['gaming']:10.2f} {mean['counter']:8.2f} {mean['rest']:6.2f} {mean['routed']:7.0%} {mean['kept kappa']:10.3f}",
                flush=True,
            )


if __name__ == "__main__":
    main(sys.argv[1:])
