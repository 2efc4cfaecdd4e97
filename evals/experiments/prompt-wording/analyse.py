"""Other wordings of the per-point question (probes.jsonl), each against the default's stored
P(yes) on the answers it was measured on: AUC covered-vs-missing and covered-vs-partial (raw and
minus the point's anchor), and the combiner's point kappa cross-validated by question (fixed 2
folds, and 12 random 2-fold splits), each wording with its own anchor, alone and beside the
default's P(yes) (two calls per point). `noexample` asked only the points with bracketed
examples; the others' prompts are the default's, so its stored P(yes) stands for them. No model
calls; from the project root:

    python -m evals.experiments prompt-wording/analyse.py evals/runs/20261201T184052_yesno_qwen2.5-coder-1.5b-instruct-q4-k-m.json
"""

import argparse
import statistics
from pathlib import Path

from evals.experiments.common import add_size_options, auc, hand_graded, kappa, random_splits, read_jsonl, shares, without_examples
from grader.grading.calibration import raw_probability
from grader.evaluation.calibration_fit import question_folds
from grader.grading.combiner import ANCHORED_FEATURES, _logit, features

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", help="the default's yesno run record (with anchors) of the seed rubric's hand-graded set")
    parser.add_argument("--wordings", nargs="+", help="only these wordings of probes.jsonl (default: all)")
    add_size_options(parser)
    args = parser.parse_args(argv)
    rubric, samples, _, predictions = hand_graded(args.run, args.answers)
    probe = {(d["answer_id"], d["point"], d["probe"]): shares(d["top"]) for d in read_jsonl(HERE / "probes.jsonl") if not args.wordings or d["probe"] in args.wordings}
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
            print(f"AUC {name:8s} covered vs missing: P {auc([r[name][0] for r in decided], [r['label'] == 'covered' for r in decided]):.3f}, "
                  f"P minus anchor {auc([r[name][0] - r[name][3] for r in decided], [r['label'] == 'covered' for r in decided]):.3f}; "
                  f"covered vs partial: P {auc([r[name][0] for r in made], [r['label'] == 'covered' for r in made]):.3f}, "
                  f"P minus anchor {auc([r[name][0] - r[name][3] for r in made], [r['label'] == 'covered' for r in made]):.3f}")
        variants = {"default (P(yes), overlap, length, anchor)": lambda r: r["default"], f"{wording} instead": lambda r: r["wording"]}
        if wording == "three":
            variants[f"{wording} instead, + P(partly) and its anchor's"] = lambda r: r["wording"] + r["part"]
        variants[f"default + {wording} (two calls per point)"] = lambda r: r["default"] + [r["wording"][0], r["wording"][3]]
        splits = random_splits(questions, args.splits)
        baseline = None
        for name, row in variants.items():
            random_kappas = [kappa(rows, row, split) for split in splits]
            baseline = baseline or random_kappas
            wins = sum(a > b for a, b in zip(random_kappas, baseline))
            print(f"{name:48s} point kappa, 2 folds: {kappa(rows, row, question_folds(questions, 2)):.3f}; "
                  f"{len(splits)} random 2-fold splits: mean {statistics.mean(random_kappas):.3f} (better than default in {wins})", flush=True)


if __name__ == "__main__":
    main()
