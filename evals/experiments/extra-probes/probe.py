"""Experiment: two kinds of extra yes/no questions per hand-graded answer, asked with the default
prompt (prompts/point_check.zh.j2) after the answer, so that they share its cached prefix:

- decoys: points that no answer to these questions makes. P(yes) for them measures how much the
  model says "yes" to this answer whatever the point (its yes-bias for the answer).
- parts: each part of a two- or three-part point ("核实客户身份，确认账户安全") asked on its own.
  The labelling guide gives partial when only one part is made, so the weakest part's P(yes)
  should tell partial from covered.

Writes one line per (answer, probe) to probes.jsonl (appends; skips what is there). Run from the
project root:

    python -m evals.experiments extra-probes/probe.py
"""

import argparse
from pathlib import Path
from types import SimpleNamespace

from evals.experiments.common import add_probe_options, add_size_options, point_parts, run_probe, samples_of, seed_rubric, yes_probability
from grader.grading import prompts
from grader.grading.strategies import prepare_answer

HERE = Path(__file__).resolve().parent

DECOYS = {
    "programming": "介绍自己喜欢的编程语言及其优缺点",
    "audit": "说明银行年度财务报表审计的具体流程",
}


def probes(question) -> dict[str, str]:
    out = {f"decoy:{name}": text for name, text in DECOYS.items()}
    for point in question.points:
        parts = point_parts(point.text)
        if len(parts) > 1:
            out.update({f"part:{point.id}:{i}": part for i, part in enumerate(parts)})
    return out


def jobs(rubric, samples):
    for sample in samples:
        question = rubric.question(sample.question_id)
        text, _ = prepare_answer(sample.answer)
        if not text:
            continue
        for name, point_text in probes(question).items():
            point = SimpleNamespace(id=name, text=point_text)
            rendered = prompts.render("point_check", rubric.language, question=question, answer=text, fence=prompts.answer_fence(text), point=point)
            yield {"answer_id": sample.id, "probe": name, "text": point_text}, rendered.messages


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_size_options(parser, splits=False)
    add_probe_options(parser)
    args = parser.parse_args(argv)
    rubric = seed_rubric()
    run_probe(jobs(rubric, samples_of(rubric, answers=args.answers)), HERE / "probes.jsonl", ("answer_id", "probe"), yes_probability, args.dry_run)


if __name__ == "__main__":
    main()
