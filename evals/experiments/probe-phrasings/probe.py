"""Experiment: P(yes) of other phrasings of the per-point yes/no question, on the hand-graded set.

Writes one line per (answer, point, phrasing) to probes.jsonl (appends; skips what is there), on
the offline model. Run from the project root:

    python -m evals.experiments probe-phrasings/probe.py negated english
"""

import argparse
from pathlib import Path

from evals.experiments.common import add_probe_options, add_size_options, render_blocks, run_probe, samples_of, seed_rubric, template_environment
from grader.grading.prompts import answer_fence
from grader.grading.strategies import YesNoGrader, prepare_answer

HERE = Path(__file__).resolve().parent


def jobs(rubric, samples, phrasings):
    env = template_environment(HERE)
    for sample in samples:
        question = rubric.question(sample.question_id)
        text, _ = prepare_answer(sample.answer)
        if not text:
            continue
        for phrasing in phrasings:  # phrasing-major: its prompts share the cached answer prefix
            template = env.get_template(f"{phrasing}.zh.j2")
            for point in question.points:
                yield {"answer_id": sample.id, "point": point.id, "probe": phrasing}, render_blocks(template, question=question, answer=text, fence=answer_fence(text), point=point)


def yes_probability_and_tokens(client, messages) -> dict:
    p_yes, info = client.yes_probability(messages, YesNoGrader.YES, YesNoGrader.NO)
    return {"p": p_yes, "tokens": info.usage.prompt_tokens}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("phrasings", nargs="+", help="templates here, without .zh.j2 (negated, english)")
    add_size_options(parser, splits=False)
    add_probe_options(parser)
    args = parser.parse_args(argv)
    rubric = seed_rubric()
    run_probe(jobs(rubric, samples_of(rubric, answers=args.answers), args.phrasings), HERE / "probes.jsonl", ("answer_id", "point", "probe"), yes_probability_and_tokens, args.dry_run)


if __name__ == "__main__":
    main()
