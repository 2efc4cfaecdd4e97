"""Experiment: other wordings of the per-point question's last sentence, on the hand-graded set.

Each wording (a template here) differs from `prompts/point_check.zh.j2` only after the point, so
all wordings of an answer share its cached prefix. For every (answer, point, wording), and for
every point's anchor (the default template's content-free `anchor_answer`), writes the first
token's top probabilities to probes.jsonl (appends; skips what is there). Offline model; from
the project root:

    python -m evals.experiments prompt-wording/probe.py three fewshot
    python -m evals.experiments prompt-wording/probe.py noexample
    python -m evals.experiments prompt-wording/probe.py actions --samples evals/samples/gaming.jsonl

(--samples: another sample file of the seed rubric; never the gaming set's sealed third)
"""

import argparse
from pathlib import Path

from evals.experiments.common import (
    ROOT, SEED_SAMPLES, add_probe_options, add_size_options, render_blocks, run_probe, samples_of, seed_rubric, template_environment, without_examples,
)
from grader.grading import prompts
from grader.grading.prompts import answer_fence
from grader.grading.strategies import prepare_answer

HERE = Path(__file__).resolve().parent


def jobs(rubric, samples, wordings):
    """The anchors first (one short answer per question), then the samples' answers."""
    env = template_environment(HERE)
    env.filters["without_examples"] = without_examples
    anchor_answer = prompts.block_text("point_check", "zh", "anchor_answer")
    answers = [(f"anchor:{q.id}", q, anchor_answer) for section in rubric.sections for q in section.questions]
    answers += [(s.id, rubric.question(s.question_id), s.answer) for s in samples]
    for answer_id, question, answer in answers:
        text, _ = prepare_answer(answer)
        if not text:
            continue
        for wording in wordings:  # wording-major: its prompts share the cached answer prefix
            template = env.get_template(f"{wording}.zh.j2")
            for point in question.points:
                if wording == "noexample" and without_examples(point.text) == point.text:
                    continue  # the same prompt as the default's: its stored P(yes) stands
                yield {"answer_id": answer_id, "point": point.id, "probe": wording}, render_blocks(template, question=question, answer=text, fence=answer_fence(text), point=point)


def first_token(client, messages) -> dict:
    return {"top": client.first_token_probabilities(messages)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wordings", nargs="+", help="templates here, without .zh.j2")
    parser.add_argument("--samples", type=Path, default=SEED_SAMPLES.relative_to(ROOT), help="another sample file of the seed rubric, relative to the project root (never the gaming set's sealed third)")
    add_size_options(parser, splits=False)
    add_probe_options(parser)
    args = parser.parse_args(argv)
    if "sealed" in args.samples.name:
        raise SystemExit(f"{args.samples}: the sealed third is read only to report an adopted change")
    rubric = seed_rubric()
    samples = samples_of(rubric, ROOT / args.samples, args.answers)
    run_probe(jobs(rubric, samples, args.wordings), HERE / "probes.jsonl", ("answer_id", "point", "probe"), first_token, args.dry_run)


if __name__ == "__main__":
    main()
