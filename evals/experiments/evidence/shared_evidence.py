"""How often does the evidence shown for a covered point repeat another covered point's sentence?

For every point the hand graders marked covered, picks the answer's closest sentence two ways:
by all the point's wording, and by the wording it does not share with the question's other points
(the grader's choice since this experiment). No model calls; from the project root:

    python evals/experiments/evidence/shared_evidence.py
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from grader.evaluation.samples import load_samples  # noqa: E402
from grader.grading.evidence import closest_sentence  # noqa: E402
from grader.rubric.model import load_rubric  # noqa: E402


def main() -> None:
    rubric = load_rubric(ROOT / "rubrics" / "internet-bank-cs-manager-2026.yaml")
    samples = load_samples(ROOT / "evals" / "samples" / "internet-bank-cs-manager-2026.jsonl", rubric)
    for name, own_wording in (("all of the point's wording", False), ("the point's own wording", True)):
        repeated = total = 0
        for sample in samples:
            points = rubric.question(sample.question_id).points
            evidence = {p.id: closest_sentence(sample.answer, p.text, [o.text for o in points if o is not p] if own_wording else ()) for p in points}
            covered = [p.id for p in points if sample.labels[p.id].value == "covered"]
            total += len(covered)
            repeated += sum(1 for pid in covered if sum(evidence[o] == evidence[pid] for o in covered) > 1)
        print(f"{name}: {repeated} of {total} covered points show a sentence another covered point of the answer also shows")


if __name__ == "__main__":
    main()
