"""Decoy points and point parts, on the answers probes.jsonl covers (all 160): AUC
covered-vs-missing, AUC covered-vs-partial on two- and three-part points, and the combiner's point
kappa cross-validated by question (fixed folds and 12 random 2-fold splits), with the generic
anchor. No model calls:

    python evals/experiments/extra-probes/analyse.py evals/runs/20261129T064551_yesno_qwen2.5-coder-1.5b-instruct-q4-k-m.json
"""

import importlib.util
import json
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))
_spec = importlib.util.spec_from_file_location("anchors_analyse", HERE.parent / "anchors" / "analyse.py")
anchors = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(anchors)
sys.path.insert(0, str(HERE))
from probe import point_parts  # noqa: E402

from grader.grading.calibration import question_folds, raw_probability  # noqa: E402
from grader.grading.combiner import _logit, features  # noqa: E402
from grader.evaluation.samples import load_samples  # noqa: E402
from grader.evaluation.runs import load_run, predictions_of  # noqa: E402
from grader.rubric.model import load_rubric  # noqa: E402


def main(run_path: str) -> None:
    rubric = load_rubric(ROOT / "rubrics" / "internet-bank-cs-manager-2026.yaml")
    samples = load_samples(ROOT / "evals" / "samples" / "internet-bank-cs-manager-2026.jsonl", rubric)
    predictions = predictions_of(load_run(Path(run_path)))
    probe = {(d["answer_id"], d["probe"]): d["p"] for d in map(json.loads, (HERE / "probes.jsonl").read_text().splitlines())}
    anchor = {(d["question"], d["point"]): d["p"] for d in map(json.loads, (HERE.parent / "anchors" / "anchors.jsonl").read_text().splitlines()) if d["anchor"] == "generic"}
    rows = []
    for s in samples:
        for point in predictions[s.id].points:
            text = rubric.question(s.question_id).point(point.id).text
            n_parts = len(point_parts(text))
            keys = [(s.id, "decoy:audit"), (s.id, "decoy:programming")] + [(s.id, f"part:{point.id}:{i}") for i in range(n_parts) if n_parts > 1]
            if not all(k in probe for k in keys):
                continue
            whole = _logit(raw_probability(point))
            parts = [_logit(probe[(s.id, f"part:{point.id}:{i}")]) for i in range(n_parts)] if n_parts > 1 else [whole]
            rows.append({
                "question": s.question_id, "label": s.labels[point.id].value, "multi": n_parts > 1,
                "base": features(s.answer, text, raw_probability(point)) + [_logit(anchor[(s.question_id, point.id)])],
                "weakest_part": min(parts), "mean_part": sum(parts) / len(parts),
                "decoy": (_logit(probe[(s.id, "decoy:audit")]) + _logit(probe[(s.id, "decoy:programming")])) / 2,
            })
    print(f"{len({(r['question']) for r in rows})} questions, {len(rows)} point labels")
    decided = [r for r in rows if r["label"] != "partial"]
    covered = [r["label"] == "covered" for r in decided]
    print(f"AUC covered vs missing: P(yes) {anchors.auc([r['base'][0] for r in decided], covered):.3f}, weakest part {anchors.auc([r['weakest_part'] for r in decided], covered):.3f}, "
          f"P(yes) minus decoys {anchors.auc([r['base'][0] - r['decoy'] for r in decided], covered):.3f}")
    made = [r for r in rows if r["multi"] and r["label"] != "missing"]
    full = [r["label"] == "covered" for r in made]
    print(f"AUC covered vs partial, multi-part points ({len(made)}): whole point {anchors.auc([r['base'][0] for r in made], full):.3f}, "
          f"weakest part {anchors.auc([r['weakest_part'] for r in made], full):.3f}, mean of parts {anchors.auc([r['mean_part'] for r in made], full):.3f}")
    questions = sorted({r["question"] for r in rows})
    splits = anchors.random_splits(questions)
    baseline = None
    for name, row in {"base + generic anchor": lambda r: r["base"], "+ weakest part": lambda r: r["base"] + [r["weakest_part"]],
                      "+ mean of parts": lambda r: r["base"] + [r["mean_part"]], "+ decoys": lambda r: r["base"] + [r["decoy"]]}.items():
        random_kappas = [anchors.kappa(rows, row, split) for split in splits]
        baseline = baseline or random_kappas
        wins = sum(a > b for a, b in zip(random_kappas, baseline))
        print(f"{name:22s} point kappa, 2/4/5 folds: " + " / ".join(f"{anchors.kappa(rows, row, question_folds(questions, k)):.3f}" for k in (2, 4, 5))
              + f"; 12 random 2-fold splits: mean {statistics.mean(random_kappas):.3f} (better than without in {wins})")


if __name__ == "__main__":
    main(sys.argv[1])
