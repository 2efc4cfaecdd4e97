"""Experiment: the offline model's P(yes) for each rubric point when the "answer" is a fixed,
content-free text (an anchor), to see whether it measures a point's own yes-bias.

Writes one line per (question, point, anchor) to anchors.jsonl (appends; skips what is there).
Run from the project root:

    python -m evals.experiments anchors/probe.py
    python -m evals.experiments anchors/probe.py --self-only evals/experiments/answer-context/self_anchors.jsonl

(the second asks only the point's own text, with the current default prompt, into another file)
"""

import argparse
from pathlib import Path

from evals.experiments.common import ROOT, add_probe_options, run_probe, seed_rubric, yes_probability
from grader.grading import prompts

HERE = Path(__file__).resolve().parent
ANCHORS = {
    "generic": "这个问题我觉得很重要。我会认真对待，按照公司的规定和流程来处理，积极沟通，努力做好本职工作，让客户满意。",
    "offtopic": "我平时喜欢跑步和看书，周末会和朋友去爬山。我觉得保持好的心态很重要，生活和工作都要平衡。",
    "none": "不知道。",
    # more answers in the generic one's style: vague, polite, about customer service in general
    "generic2": "我觉得遇到这种情况首先要保持良好的态度，多和客户沟通，站在客户的角度考虑问题，尽量把事情处理好。",
    "generic3": "作为客服经理，我会以客户为中心，严格遵守银行的各项制度，不断提升自己的专业能力和服务水平。",
    "generic4": "这种事情在工作中很常见。我会耐心一点，按流程办事，有问题及时向领导汇报，争取让大家都满意。",
}


def jobs(rubric, anchors: dict):
    """(record, messages) for every point about every fixed answer, then about its own text."""
    for question in rubric.questions():
        asked = [(name, text, point) for name, text in anchors.items() for point in question.points]
        asked += [("self", point.text, point) for point in question.points]  # as if an answer said exactly it
        for name, text, point in asked:
            rendered = prompts.render("point_check", rubric.language, question=question, answer=text, fence=prompts.answer_fence(text), point=point)
            yield {"question": question.id, "point": point.id, "anchor": name}, rendered.messages


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--self-only", type=Path, metavar="OUT", help="ask only the point's own text, into OUT (relative to the project root)")
    add_probe_options(parser)
    args = parser.parse_args(argv)
    out_path, anchors = (ROOT / args.self_only, {}) if args.self_only else (HERE / "anchors.jsonl", ANCHORS)
    run_probe(jobs(seed_rubric(), anchors), out_path, ("question", "point", "anchor"), yes_probability, args.dry_run)


if __name__ == "__main__":
    main()
