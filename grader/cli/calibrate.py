"""`grader calibrate`: fit the yes/no thresholds on stored probabilities, with no model call.

- `grader calibrate RUN_DIR [--save]`: a batch run folder's reviews fit its rubric's calibration,
  cross-validated by answer within question; --save saves it and re-cuts the run's unreviewed grades.
- `grader calibrate RUN.json... [--save]`: eval run records of labelled samples; the (model, prompt)
  thresholds (and combiner) cross-validated by question as before, and the rubric's own fit;
  --save saves the rubric's fit, --save --global the (model, prompt) calibration.
- `--samples S [--rubric R]`: the labels come from S (ids as the run names its answers)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

from ..grading.calibration import has_probabilities, resolve_calibration, save_calibration, save_rubric_calibration

from ..evaluation.calibration_fit import cross_validate, feature_names, fit_calibration, labelled_rows
from ..errors import InputError
from ..grading.combiner import FEATURE_NAMES
from ..evaluation.metrics import compute_metrics, describe
from ..grading.samples import file_hash, load_samples
from ..evaluation.runs import RESCORE_FIELDS, RUNS_DIR, RUNS_DIR_HELP, check_predictions, check_probabilities, load_run, predictions_of, write_run
from ..recruiting import recut
from ..recruiting.review import ReviewRun
from ..rubric.model import load_rubric

# `--save` without a path: the user's calibration file (resolved when saving).
USER_CALIBRATION = Path("<user calibration file>")


def add_parser(sub) -> None:
    p = sub.add_parser("calibrate", help="fit yes/no thresholds on runs' stored probabilities (cross-validated by question)")
    p.add_argument("runs", type=Path, nargs="+", help="eval run records of the yesno strategy (same model and prompt), or one batch run folder with reviews")
    p.add_argument("--folds", type=int, default=2, help="questions are split into this many folds")
    p.add_argument(
        "--save",
        nargs="?",
        type=Path,
        const=USER_CALIBRATION,
        metavar="PATH",
        help="fit on all the labelled answers and save the rubric's calibration (with --global: the model and prompt's) to PATH "
        "(default: the user file $XDG_CONFIG_HOME/grader/calibration.json, which the grader reads beside, and before, its packaged "
        "calibration); for a batch run folder, also re-cut its unreviewed grades and rewrite its reports",
    )
    p.add_argument("--global", dest="global_", action="store_true", help="--save the (model, prompt) calibration every rubric falls back to, instead of the runs' rubric's own")
    p.add_argument("--samples", type=Path, help="labelled answers to fit on (JSONL samples; ids as the run names its answers: sample ids, or candidate/question_id for a batch run)")
    p.add_argument("--rubric", type=Path, help="the runs' rubric (default: the one each run names)")
    p.add_argument("--combine", action="store_true", help="also fit a logistic combiner over P(yes), wording overlap, length and (when the run has them) the points' anchor P(yes) and the answer's other points against their anchors")
    p.add_argument(
        "--pool",
        action="store_true",
        help="cross-validate the runs' answers together (one record; folds by question across all runs), as the "
        "default's figures are: the hand-graded set and the gaming set's tuning part, fitted together",
    )
    p.add_argument("--features", help="comma-separated combiner features (default: all the runs measured; see grader/grading/combiner.py)")
    p.add_argument("--runs-dir", type=Path, default=RUNS_DIR, help=RUNS_DIR_HELP)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_calibrate)


def _groups(args: argparse.Namespace):
    """(run record, rubric, samples, predictions, samples path) per run, or one pooled group."""
    groups = []
    for run_path in args.runs:
        run = load_run(run_path, RESCORE_FIELDS)
        rubric = load_rubric(args.rubric or run.rubric_path)
        check_predictions(run, rubric)
        predictions = predictions_of(run)
        if not any(has_probabilities(g) for g in predictions.values()):
            raise InputError(
                f"{run_path}: graded with the {run.strategy or 'unknown'} strategy: no stored probabilities to calibrate "
                "(calibration cuts the yes/no strategy's P(yes)); nothing written"
            )
        check_probabilities(run)
        samples_path = args.samples or Path(run.samples_path)
        samples = [s for s in load_samples(samples_path, rubric) if s.id in predictions]
        groups.append((run, rubric, samples, predictions, samples_path))
    if not args.pool:
        return groups
    first = groups[0]
    if len({g[1].content_hash for g in groups}) != 1:
        raise InputError("--pool needs runs of one rubric")
    samples = [s for g in groups for s in g[2]]
    if len({s.id for s in samples}) != len(samples):
        raise InputError("--pool: the runs' samples share ids")
    predictions = {k: v for g in groups for k, v in g[3].items()}
    pooled = first[0].model_copy(update={"pooled_runs": [str(r) for r in args.runs]})
    return [(pooled, first[1], samples, predictions, first[4])]


def _save_path(args: argparse.Namespace) -> Path | None:
    return None if args.save is USER_CALIBRATION else args.save


def _calibrate_batch_run(args: argparse.Namespace) -> int:
    """A batch run folder: its reviews (or --samples) fit its rubric's calibration; --save saves it
    and re-cuts the run."""
    if len(args.runs) != 1:
        raise InputError("grader calibrate RUN_DIR takes one batch run folder at a time")
    if args.global_:
        raise InputError("--global saves the (model, prompt) calibration, fitted on eval run records; a batch run's reviews fit its rubric's own")
    unused = [flag for flag, given in (("--combine", args.combine), ("--pool", args.pool), ("--features", args.features)) if given]
    if unused:
        raise InputError(f"{', '.join(unused)}: for eval run records; a batch run's reviews fit per-point thresholds over the model's calibration")
    run = ReviewRun.open(args.runs[0], args.rubric)
    labels = None
    if args.samples:
        labels = {s.id: {pid: v.value for pid, v in s.labels.items()} for s in load_samples(args.samples, run.rubric)}
    learnt = recut.learn_from_reviews(run, labels)
    print(json.dumps(learnt.agreement, ensure_ascii=False) if args.json else learnt.describe())
    if args.save:
        path = recut.save_learnt(run, learnt, f"fitted on the reviews of {args.runs[0].resolve().name}", _save_path(args))
        print(f"saved rubric {run.rubric.id}'s calibration ({len(learnt.fitted)} points) to {path}", file=sys.stderr)
        done = recut.recut_run(run)
        print(f"re-cut {done.recut} unreviewed grades of {args.runs[0]} with calibration {done.calibration} ({done.reviewed} reviewed left as graded); reports rewritten", file=sys.stderr)
    return 0


def _rubric_fit(groups):
    """The rubric's own fit over all the runs' labelled answers (None when the runs mix rubrics,
    models or prompts)."""
    if len({(g[0].model, g[0].prompt_hash, g[1].id) for g in groups}) != 1:
        return None
    run, rubric = groups[0][0], groups[0][1]
    base = resolve_calibration(run.model, run.prompt_hash or "")
    graded = []
    for _, _, samples, predictions, _ in groups:
        graded += [(s.id, predictions[s.id], s.answer, {pid: v.value for pid, v in s.labels.items()}) for s in samples]
    return recut.learn(rubric, graded, base)


def cmd_calibrate(args: argparse.Namespace) -> int:
    if any((path / "grades.sqlite").is_file() for path in args.runs):
        return _calibrate_batch_run(args)
    pooled: list[tuple[list[float], float | None, str]] = []
    keys, names_seen = set(), set()
    chosen = tuple(args.features.split(",")) if args.features else None
    unknown = [name for name in chosen or () if name not in FEATURE_NAMES]
    if unknown:
        raise InputError(f"--features: no feature {unknown[0]!r} (the combiner's features: {', '.join(FEATURE_NAMES)})")
    groups = _groups(args)
    for run, rubric, samples, predictions, samples_path in groups:
        run_path = run.where
        keys.add((run.model, run.prompt_hash))
        oof, fitted = cross_validate(rubric, samples, predictions, folds=args.folds, combine=args.combine, names=chosen)
        metrics = compute_metrics(rubric, samples, oof)
        record = run.model_copy(
            update={
                "kind": "cross-validated",
                "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "strategy": f"{run.strategy}{'+combiner' if args.combine else ''}-cv{args.folds}{'-pooled' if args.pool else ''}",
                "source_run": Path(run_path).name,
                "samples_hash": file_hash(samples_path),
                "n_samples": len(samples),
                "folds": fitted,
                "metrics": metrics,
                "predictions": list(oof.values()),
            }
        )
        path = write_run(args.runs_dir, record)
        print(f"== {run_path}{' (pooled)' if args.pool else ''}: cross-validated by question ({args.folds} folds, thresholds fitted on the other folds)")
        print(json.dumps(metrics.to_dict(), ensure_ascii=False) if args.json else describe(metrics))
        print(f"folds: {fitted}\nrun record: {path}", file=sys.stderr)
        scored = [g for g in predictions.values() if g.status == "scored"]
        names = chosen or feature_names(p for g in scored for p in g.points)
        names_seen.add(names)
        pooled += labelled_rows(rubric, {s.id: s for s in samples}, scored, names)
    learnt = _rubric_fit(groups)
    if learnt is not None:
        print(f"rubric {groups[0][1].id}'s own fit: {learnt.describe()}", file=sys.stderr if args.json else sys.stdout)
    if args.save and not args.global_:
        if learnt is None:
            raise InputError("runs mix rubrics, models or prompts: a rubric's calibration is fitted on runs of one rubric, model and prompt")
        run, rubric = groups[0][0], groups[0][1]
        note = "fitted on " + ", ".join(Path(r).name for r in args.runs)
        path = save_rubric_calibration(run.model, run.prompt_hash or "", rubric, learnt.base, learnt.fitted, note, recut.METHOD, learnt.agreement, _save_path(args))
        print(f"saved rubric {rubric.id}'s calibration ({len(learnt.fitted)} points, over {learnt.base.label}) to {path}", file=sys.stderr)
    elif args.save:
        if len(keys) != 1:
            raise InputError(f"runs mix models or prompts: {sorted(keys)}")
        if len(names_seen) != 1:
            raise InputError("runs mix records with and without anchor probabilities: re-run the older ones")
        ((model, prompt_hash),), (names,) = keys, names_seen
        calibration = fit_calibration([r for r, _, _ in pooled], [p for _, p, _ in pooled], [label for _, _, label in pooled], args.combine, names)
        note = "fitted on " + ", ".join(Path(r).name for r in args.runs)
        path = save_calibration(model, prompt_hash, calibration, note=note, path=_save_path(args))
        print(f"saved {calibration} for {model} / prompt {prompt_hash} to {path}", file=sys.stderr)
    return 0
