"""Experiment: one call per answer, "how many of these points does the answer make?", read as an
expected count from the first token's log-probabilities over the digits 0-9.

Writes one line per answer to counts.jsonl (appends; skips what is there). Run from the project root:

    python -m evals.experiments answer-rating/probe.py
"""

import argparse
from pathlib import Path

from evals.experiments.common import add_probe_options, add_size_options, render_blocks, run_probe, samples_of, seed_rubric, template_environment
from grader.grading.prompts import answer_fence
from grader.grading.strategies import prepare_answer

HERE = Path(__file__).resolve().parent


def jobs(rubric, samples):
    template = template_environment(HERE).get_template("count.zh.j2")
    for sample in samples:
        question = rubric.question(sample.question_id)
        text, _ = prepare_answer(sample.answer)
        if text:
            yield {"answer_id": sample.id, "n_points": len(question.points)}, render_blocks(template, question=question, answer=text, fence=answer_fence(text), points=question.points)


def expected_count(client, messages) -> dict:
    """The expected digit of the first token, from its probabilities over 0-9."""
    probabilities = client.first_token_probabilities(messages)
    digits = {int(t): p for t, p in probabilities.items() if t.isdigit() and len(t) == 1}
    total = sum(digits.values())
    return {"expected": sum(d * p for d, p in digits.items()) / total if total else None, "digits": digits}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_size_options(parser, splits=False)
    add_probe_options(parser)
    args = parser.parse_args(argv)
    rubric = seed_rubric()
    run_probe(jobs(rubric, samples_of(rubric, answers=args.answers)), HERE / "counts.jsonl", ("answer_id",), expected_count, args.dry_run)


if __name__ == "__main__":
    main()
