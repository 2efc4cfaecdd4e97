"""Experiment: the offline model's P(yes) for each rubric point when the "answer" is a fixed,
content-free text (an anchor), to see whether it measures a point's own yes-bias.

Writes one line per (question, point, anchor) to anchors.jsonl. Run from the project root:

    python evals/experiments/anchors/probe.py
"""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))

from grader import prompts  # noqa: E402
from grader.grading import YesNoGrader  # noqa: E402
from grader.llm import ModelClient, ModelSettings  # noqa: E402
from grader.local_model import QWEN_CODER_1_5B, LocalModelServer  # noqa: E402
from grader.rubric import load_rubric  # noqa: E402

ANCHORS = {
    "generic": "这个问题我觉得很重要。我会认真对待，按照公司的规定和流程来处理，积极沟通，努力做好本职工作，让客户满意。",
    "offtopic": "我平时喜欢跑步和看书，周末会和朋友去爬山。我觉得保持好的心态很重要，生活和工作都要平衡。",
    "none": "不知道。",
}


def main() -> None:
    rubric = load_rubric(ROOT / "rubrics" / "internet-bank-cs-manager-2026.yaml")
    out_path = HERE / "anchors.jsonl"
    with LocalModelServer() as server, out_path.open("w") as out:
        client = ModelClient(ModelSettings(base_url=server.base_url, model=QWEN_CODER_1_5B.name))
        for question in rubric.questions():
            anchors = dict(ANCHORS)
            for name, text in anchors.items():
                for point in question.points:
                    rendered = prompts.render("point_check", rubric.language, question=question, answer=text, fence=prompts.answer_fence(text), point=point)
                    p_yes, _ = client.yes_probability(rendered.messages, YesNoGrader.YES, YesNoGrader.NO)
                    out.write(json.dumps({"question": question.id, "point": point.id, "anchor": name, "p": p_yes}) + "\n")
                    out.flush()
            # the point itself, as if an answer said exactly it
            for point in question.points:
                rendered = prompts.render("point_check", rubric.language, question=question, answer=point.text, fence=prompts.answer_fence(point.text), point=point)
                p_yes, _ = client.yes_probability(rendered.messages, YesNoGrader.YES, YesNoGrader.NO)
                out.write(json.dumps({"question": question.id, "point": point.id, "anchor": "self", "p": p_yes}) + "\n")
                out.flush()


if __name__ == "__main__":
    main()
