"""Per kind of answer: score MAE, answers more than 2 marks off, and how many the routing sends to
a person, before (the old rule: confidence < 0.74 only) and after (the shipped policy). Grades are
the shipped calibration's (the combiner did not change). No model calls; from the project root:

    python -m evals.experiments gaming/kinds_table.py RUN [RUN ...]

(for the hand-graded set give its cross-validated record; the sealed set is reported by sealed.py)
"""

import argparse
from collections import defaultdict

from evals.experiments.common import add_size_options
from evals.experiments.gaming.reroute import graded_now
from grader.evaluation.metrics import _human_score
from grader.grading.results import Flag
from grader.grading.routing import FORM_FLAGS, RoutingPolicy, flag_answer_form, route

OLD = RoutingPolicy(below_confidence=0.74, keyword_copy=2.0, keyword_action_share=0.0, about_the_question=False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", metavar="RUN", help="yesno run records of the seed rubric (not the sealed set's)")
    add_size_options(parser, splits=False)
    args = parser.parse_args(argv)
    paths = args.runs
    rows = defaultdict(lambda: [0, 0.0, 0, 0, 0, 0])  # n, abs error sum, >2 off, routed old, routed new, >2 off unrouted new
    for path in paths:
        rubric, samples, graded = graded_now(path, args.answers)
        for s in samples:
            question = rubric.question(s.question_id)
            plain = graded[s.id].model_copy(update={"flags": [f for f in graded[s.id].flags if f not in FORM_FLAGS]})
            old, new = route(plain, None, OLD), route(flag_answer_form(plain, s.answer, question), None)
            off = abs(_human_score(s, rubric) - (new.score or 0)) > 2
            row = rows[s.kind]
            row[0] += 1
            row[1] += abs(_human_score(s, rubric) - (new.score or 0))
            row[2] += off
            row[3] += Flag.needs_review in old.flags
            row[4] += Flag.needs_review in new.flags
            row[5] += off and Flag.needs_review not in new.flags
    print(f"| kind | n | score MAE | > 2 marks off | routed before | routed after | > 2 off and not routed (after) |")
    print("|---|---|---|---|---|---|---|")
    for kind, (n, err, off, old, new, missed) in sorted(rows.items()):
        print(f"| {kind} | {n} | {err / n:.2f} | {off} | {old} | {new} | {missed} |")


if __name__ == "__main__":
    main()
