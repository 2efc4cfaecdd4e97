"""How often does the evidence shown for a covered point repeat another covered point's sentence?

For every point the hand graders marked covered, picks the answer's closest sentence two ways:
by all the point's wording, and by the wording it does not share with the question's other points
(the grader's choice since this experiment). No model calls; from the project root:

    python -m evals.experiments evidence/shared_evidence.py
"""

import argparse

from evals.experiments.common import add_size_options, samples_of, seed_rubric
from grader.grading.evidence import closest_sentence


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_size_options(parser, splits=False)
    args = parser.parse_args(argv)
    rubric = seed_rubric()
    samples = samples_of(rubric, answers=args.answers)
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
