"""`grader calibrate`: fit the yes/no thresholds (and combiner) on runs' stored probabilities,
cross-validated by question; --save writes them where the grader reads them."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

from ..grading.calibration import cross_validate, feature_names, fit_calibration, labelled_rows, save_calibration
from ..errors import InputError
from ..grading.combiner import FEATURE_NAMES
from ..evaluation.metrics import compute_metrics, describe
from ..evaluation.samples import file_hash, load_samples
from ..evaluation.runs import RESCORE_FIELDS, RUNS_DIR, RUNS_DIR_HELP, load_run, predictions_of, write_run
from ..rubric.model import load_rubric

# `--save` without a path: the user's calibration file (resolved when saving).
USER_CALIBRATION = Path("<user calibration file>")


def add_parser(sub) -> None:
    p = sub.add_parser("calibrate", help="fit yes/no thresholds on runs' stored probabilities (cross-validated by question)")
    p.add_argument("runs", type=Path, nargs="+", help="run records of the yesno strategy (same model and prompt)")
    p.add_argument("--folds", type=int, default=2, help="questions are split into this many folds")
    p.add_argument(
        "--save",
        nargs="?",
        type=Path,
        const=USER_CALIBRATION,
        metavar="PATH",
        help="fit on all questions of all runs and save the thresholds to PATH (default: the user file "
        "$XDG_CONFIG_HOME/grader/calibration.json, which the grader reads beside, and before, its packaged calibration)",
    )
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
        rubric = load_rubric(run.rubric_path)
        predictions = predictions_of(run)
        samples = [s for s in load_samples(Path(run.samples_path), rubric) if s.id in predictions]
        groups.append((run, rubric, samples, predictions, Path(run.samples_path)))
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


def cmd_calibrate(args: argparse.Namespace) -> int:
    pooled: list[tuple[list[float], float | None, str]] = []
    keys, names_seen = set(), set()
    chosen = tuple(args.features.split(",")) if args.features else None
    unknown = [name for name in chosen or () if name not in FEATURE_NAMES]
    if unknown:
        raise InputError(f"--features: no feature {unknown[0]!r} (the combiner's features: {', '.join(FEATURE_NAMES)})")
    for run, rubric, samples, predictions, samples_path in _groups(args):
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
        print(json.dumps(metrics, ensure_ascii=False, default=str) if args.json else describe(metrics))
        print(f"folds: {fitted}\nrun record: {path}", file=sys.stderr)
        scored = [g for g in predictions.values() if g.status == "scored"]
        names = chosen or feature_names(p for g in scored for p in g.points)
        names_seen.add(names)
        pooled += labelled_rows(rubric, {s.id: s for s in samples}, scored, names)
    if args.save:
        if len(keys) != 1:
            raise InputError(f"runs mix models or prompts: {sorted(keys)}")
        if len(names_seen) != 1:
            raise InputError("runs mix records with and without anchor probabilities: re-run the older ones")
        ((model, prompt_hash),), (names,) = keys, names_seen
        calibration = fit_calibration([r for r, _, _ in pooled], [p for _, p, _ in pooled], [label for _, _, label in pooled], args.combine, names)
        note = "fitted on " + ", ".join(Path(r).name for r in args.runs)
        path = save_calibration(model, prompt_hash, calibration, note=note, path=None if args.save is USER_CALIBRATION else args.save)
        print(f"saved {calibration} for {model} / prompt {prompt_hash} to {path}", file=sys.stderr)
    return 0
