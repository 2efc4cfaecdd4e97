"""`grader eval`: grade hand-labelled samples and record the run; re-score, compare, gate."""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

from ..errors import InputError
from ..evaluation.metrics import compute_metrics, describe
from ..evaluation.run import EvalOptions, run_eval
from ..grading.samples import load_samples
from ..evaluation.gate import compare, regression
from ..evaluation.runs import RESCORE_FIELDS, RUNS_DIR, RUNS_DIR_HELP, check_predictions, check_probabilities, history, load_run, predictions_of
from ..grading.calibration import has_probabilities, recut_grade, resolve_calibration
from ..grading.strategies import prepared
from ..rubric.model import load_rubric
from .options import add_model_options, model_options


def add_parser(sub) -> None:
    p = sub.add_parser("eval", help="measure agreement with hand-graded samples, and track it across runs")
    p.add_argument("--rubric", type=Path)
    p.add_argument("--samples", type=Path)
    p.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    p.add_argument("--html", type=Path, help="write a self-contained HTML report")
    p.add_argument("--limit", type=int, help="grade only the first N samples")
    p.add_argument("--per-question", type=int, metavar="N", help="grade only the first N samples of each question")
    p.add_argument("--runs-dir", type=Path, default=RUNS_DIR, help=RUNS_DIR_HELP)
    p.add_argument("--no-record", action="store_true", help="do not write a run record")
    p.add_argument("--rescore", type=Path, metavar="RUN", help="recompute metrics from a run's stored predictions (no model calls)")
    p.add_argument("--compare", nargs=2, type=Path, metavar=("A", "B"), help="show the differences between two runs")
    p.add_argument("--baseline", type=Path, metavar="RUN", help="exit 1 when kappa or QWK fell by more than --max-drop")
    p.add_argument("--max-drop", type=float, default=0.05)
    add_model_options(p, examples=True)
    p.set_defaults(func=cmd_eval)


def _recut(run, rubric, samples, predictions: dict) -> dict:
    """A yes/no run's grades re-cut from their stored probabilities by the calibration that applies
    to its rubric now (saying which); other runs' verdicts as stored."""
    if run.kind == "cross-validated" or not any(has_probabilities(g) for g in predictions.values()):
        reason = "cross-validated predictions" if run.kind == "cross-validated" else f"strategy {run.strategy or '?'}: no probabilities"
        print(f"re-scored the stored verdicts ({reason} to re-cut)", file=sys.stderr)
        return predictions
    check_probabilities(run)
    calibration = resolve_calibration(run.model, run.prompt_hash or "", rubric)
    by_id = {s.id: s for s in samples}
    recut = {
        answer_id: recut_grade(grade, rubric.question(grade.question_id), lambda answer=by_id[answer_id].answer: prepared(answer).text, calibration) if answer_id in by_id else grade
        for answer_id, grade in predictions.items()
    }
    changed = sum(recut[a] is not predictions[a] for a in predictions)
    print(f"re-cut {changed} of {len(predictions)} grades with calibration {calibration.label}", file=sys.stderr)
    return recut


def cmd_eval(args: argparse.Namespace) -> int:
    if args.html is not None and args.html.is_dir():
        raise InputError(f"{args.html}: is a folder; --html needs a file name such as {args.html / 'report.html'}")
    if args.compare:
        a, b = (load_run(path) for path in args.compare)
        print(compare(a, b))
        return 0
    if args.rescore:
        run = load_run(args.rescore, RESCORE_FIELDS)
        predictions = predictions_of(run)
        rubric = load_rubric(args.rubric or run.rubric_path)
        check_predictions(run, rubric)
        samples = load_samples(args.samples or Path(run.samples_path), rubric)
        # The run graded these (failures are stored as unscored predictions, so none is dropped).
        samples = [s for s in samples if s.id in predictions]
        predictions = _recut(run, rubric, samples, predictions)
        record = run.model_copy(update={"metrics": compute_metrics(rubric, samples, predictions), "predictions": list(predictions.values())})
    else:
        if not (args.rubric and args.samples):
            raise InputError("grader eval needs --rubric and --samples (or --rescore RUN, or --compare A B)")
        rubric = load_rubric(args.rubric)
        samples = load_samples(args.samples, rubric)
        if args.per_question:
            taken: dict[str, int] = defaultdict(int)
            samples = [s for s in samples if (taken.__setitem__(s.question_id, taken[s.question_id] + 1) or taken[s.question_id]) <= args.per_question]
        if args.limit:
            samples = samples[: args.limit]
        options = EvalOptions(
            rubric_path=args.rubric,
            samples_path=args.samples,
            model=model_options(args),
            runs_dir=None if args.no_record else args.runs_dir,
            limit=args.limit,
            per_question=args.per_question,
        )
        record = run_eval(options, rubric, samples)
    metrics = record.metrics
    if args.json:
        print(json.dumps(metrics.to_dict(), ensure_ascii=False))
    else:
        print(describe(metrics))
    if args.html:
        from ..evaluation.report import write_eval_report

        # The trend compares like with like: runs on the same rubric.
        trend = [h for h in history(args.runs_dir) if h["rubric_hash"] == record.rubric_hash]
        write_eval_report(args.html, record, rubric, history=trend)
        print(f"report: {args.html}", file=sys.stderr)
    if args.baseline:
        failures = regression(load_run(args.baseline), metrics, args.max_drop)
        for failure in failures:
            print(f"REGRESSION: {failure}", file=sys.stderr)
        if failures:
            return 1
    return 0
