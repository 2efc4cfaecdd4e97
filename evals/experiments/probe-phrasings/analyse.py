"""Compare phrasings on the answers probes.jsonl covers: AUC covered-vs-missing of each P(yes)
(and of sums of logits), and point kappa / score QWK with the logistic combiner cross-validated
by question (2 folds), against the default run's Chinese-instruction P(yes).

    python -m evals.experiments probe-phrasings/analyse.py evals/runs/20261129T054725_yesno_….json english
"""

import argparse
import math
from pathlib import Path

from evals.experiments.common import add_size_options, auc, hand_graded, read_jsonl
from grader.evaluation.metrics import compute_metrics
from grader.grading.calibration import raw_probability, rethreshold
from grader.evaluation.calibration_fit import fit_thresholds, question_folds
from grader.grading.scoring import CREDIT
from grader.grading.combiner import Combiner, _logit, overlap
from grader.grading.results import Verdict
from grader.textnorm import normalise

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", help="the default's yesno run record of the seed rubric's hand-graded set")
    parser.add_argument("phrasings", nargs="*", default=["english"], help="phrasings in probes.jsonl (default: english)")
    add_size_options(parser, splits=False)
    args = parser.parse_args(argv)
    phrasings = tuple(args.phrasings)
    rubric, samples, _, base = hand_graded(args.run, args.answers)
    probe = {(d["answer_id"], d["point"], d["probe"]): d["p"] for d in read_jsonl(HERE / "probes.jsonl")}
    chosen = [s for s in samples if all((s.id, p.id, ph) in probe for p in rubric.question(s.question_id).points for ph in phrasings)]
    text = {(q.id, p.id): p.text for q in rubric.questions() for p in q.points}
    rows = [(s, pt) for s in chosen for pt in base[s.id].points if s.labels[pt.id].value != "partial"]
    covered = [s.labels[pt.id].value == "covered" for s, pt in rows]
    print(f"{len(chosen)} answers, {len(rows)} covered/missing point labels")
    print(f"AUC Chinese instructions (default run): {auc([_logit(raw_probability(pt)) for _, pt in rows], covered):.3f}")
    for ph in phrasings:
        print(f"AUC {ph}: {auc([_logit(probe[(s.id, pt.id, ph)]) for s, pt in rows], covered):.3f}")
        both = [_logit(raw_probability(pt)) + _logit(probe[(s.id, pt.id, ph)]) for s, pt in rows]
        print(f"AUC Chinese + {ph} (sum of logits): {auc(both, covered):.3f}")

    def features(source, s, pt):
        p = raw_probability(pt) if source == "chinese" else probe[(s.id, pt.id, source)]
        return [_logit(p), overlap(s.answer, text[(s.question_id, pt.id)]), math.log1p(len(normalise(s.answer))) / math.log(400)]

    for source in ("chinese", *phrasings):
        out = {}
        for held in question_folds(sorted({s.question_id for s in chosen}), 2):
            train = [(s, pt) for s in chosen if s.question_id not in held for pt in base[s.id].points]
            x = [features(source, s, pt) for s, pt in train]
            model = Combiner.fit(x, [float(CREDIT[Verdict(s.labels[pt.id].value)]) for s, pt in train])
            cuts = fit_thresholds([model.probability(r) for r in x], [s.labels[pt.id].value for s, pt in train])
            for s in chosen:
                if s.question_id in held:
                    out[s.id] = rethreshold(base[s.id], rubric.question(s.question_id), cuts, lambda pt, s=s: model.probability(features(source, s, pt)))
        m = compute_metrics(rubric, chosen, out).to_dict()
        print(f"combiner over {source}: point kappa {m['point_kappa']:.3f}, score QWK {m['score_qwk']:.3f}, MAE {m['score_mae']:.2f}")


if __name__ == "__main__":
    main()
