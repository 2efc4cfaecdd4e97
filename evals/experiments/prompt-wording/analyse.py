"""Other wordings of the per-point question (probes.jsonl), each against the default's stored
P(yes) on the answers it was measured on: AUC covered-vs-missing and covered-vs-partial (raw and
minus the point's anchor), and the combiner's point kappa cross-validated by question (fixed 2
folds, and 12 random 2-fold splits), each wording with its own anchor, alone and beside the
default's P(yes) (two calls per point). `noexample` asked only the points with bracketed
examples; the others' prompts are the default's, so its stored P(yes) stands for them. No model
calls; from the project root:

    python evals/experiments/prompt-wording/analyse.py evals/runs/20261201T184052_yesno_qwen2.5-coder-1.5b-instruct-q4-k-m.json
"""

import json
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
from handgraded import anchors, hand_graded  # noqa: E402
from probe import without_examples  # noqa: E402

from grader.grading.calibration import question_folds, raw_probability  # noqa: E402
from grader.grading.combiner import ANCHORED_FEATURES, _logit, features  # noqa: E402
from grader.grading.strategies import YesNoGrader  # noqa: E402


def shares(top: dict) -> tuple[float, float, float]:
    """P(yes), P(partly), P(no) among the first token's top candidates, renormalised."""
    yes = sum(p for t, p in top.items() if t in YesNoGrader.YES)
    no = sum(p for t, p in top.items() if t in YesNoGrader.NO)
    part = sum(p for t, p in top.items() if t.startswith("part") or t.startswith("部分"))
    total = (yes + no + part) or 1.0
    return yes / total, part / total, no / total


def main(run_path: str) -> None:
    rubric, samples, _, predictions = hand_graded(run_path)
    probe = {(d["answer_id"], d["point"], d["probe"]): shares(d["top"]) for d in map(json.loads, (HERE / "probes.jsonl").read_text().splitlines())}
    for wording in sorted({w for answer_id, _, w in probe if not answer_id.startswith("anchor:")}):
        # Each wording against the default on the answers it was measured on.
        def answer_measured(sample) -> bool:
            """Every point of the answer that the wording asks differently has been asked."""
            points = rubric.question(sample.question_id).points
            return all((sample.id, p.id, wording) in probe for p in points if without_examples(p.text) != p.text)

        rows = []
        for s in samples:
            for point in predictions[s.id].points:
                text = rubric.question(s.question_id).point(point.id).text
                if (s.id, point.id, wording) in probe:
                    yes, part, _ = probe[(s.id, point.id, wording)]
                    a_yes, a_part, _ = probe[(f"anchor:{s.question_id}", point.id, wording)]
                elif wording == "noexample" and without_examples(text) == text and answer_measured(s):
                    # a point without examples is asked as the default asks it: its stored P(yes) stands
                    yes, part, a_yes, a_part = raw_probability(point), 0.0, point.p_anchor, 0.0
                else:
                    continue
                rows.append({
                    "question": s.question_id, "label": s.labels[point.id].value,
                    "default": features(s.answer, text, raw_probability(point), point.p_anchor, names=ANCHORED_FEATURES),
                    # A two-way wording's P(yes); a three-way one's expected credit, P(yes) + P(partly) / 2.
                    "wording": features(s.answer, text, yes + part / 2, a_yes + a_part / 2, names=ANCHORED_FEATURES),
                    "part": [_logit(part), _logit(a_part)],
                })
        questions = sorted({r["question"] for r in rows})
        print(f"== {wording}: {len({r['question'] for r in rows})} questions, {len(rows)} point labels")
        decided = [r for r in rows if r["label"] != "partial"]
        made = [r for r in rows if r["label"] != "missing"]
        for name in ("default", "wording"):
            print(f"AUC {name:8s} covered vs missing: P {anchors.auc([r[name][0] for r in decided], [r['label'] == 'covered' for r in decided]):.3f}, "
                  f"P minus anchor {anchors.auc([r[name][0] - r[name][3] for r in decided], [r['label'] == 'covered' for r in decided]):.3f}; "
                  f"covered vs partial: P {anchors.auc([r[name][0] for r in made], [r['label'] == 'covered' for r in made]):.3f}, "
                  f"P minus anchor {anchors.auc([r[name][0] - r[name][3] for r in made], [r['label'] == 'covered' for r in made]):.3f}")
        variants = {"default (P(yes), overlap, length, anchor)": lambda r: r["default"], f"{wording} instead": lambda r: r["wording"]}
        if wording == "three":
            variants[f"{wording} instead, + P(partly) and its anchor's"] = lambda r: r["wording"] + r["part"]
        variants[f"default + {wording} (two calls per point)"] = lambda r: r["default"] + [r["wording"][0], r["wording"][3]]
        splits = anchors.random_splits(questions)
        baseline = None
        for name, row in variants.items():
            random_kappas = [anchors.kappa(rows, row, split) for split in splits]
            baseline = baseline or random_kappas
            wins = sum(a > b for a, b in zip(random_kappas, baseline))
            print(f"{name:48s} point kappa, 2 folds: {anchors.kappa(rows, row, question_folds(questions, 2)):.3f}; "
                  f"12 random 2-fold splits: mean {statistics.mean(random_kappas):.3f} (better than default in {wins})", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
