"""Experiment: the offline model's P(yes) for each rubric point when the "answer" is a fixed,
content-free text (an anchor), to see whether it measures a point's own yes-bias.

Writes one line per (question, point, anchor) to anchors.jsonl (appends; skips what is there).
Run from the project root:

    python evals/experiments/anchors/probe.py
    python evals/experiments/anchors/probe.py --self-only evals/experiments/answer-context/self_anchors.jsonl

(the second asks only the point's own text, with the current default prompt, into another file)
"""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))

from grader.grading import prompts  # noqa: E402
from grader.grading.strategies import YesNoGrader  # noqa: E402
from grader.model.client import ModelClient, ModelSettings  # noqa: E402
from grader.model.local_model import QWEN_CODER_1_5B, LocalModelServer  # noqa: E402
from grader.rubric.model import load_rubric  # noqa: E402

ANCHORS = {
    "generic": "这个问题我觉得很重要。我会认真对待，按照公司的规定和流程来处理，积极沟通，努力做好本职工作，让客户满意。",
    "offtopic": "我平时喜欢跑步和看书，周末会和朋友去爬山。我觉得保持好的心态很重要，生活和工作都要平衡。",
    "none": "不知道。",
    # more answers in the generic one's style: vague, polite, about customer service in general
    "generic2": "我觉得遇到这种情况首先要保持良好的态度，多和客户沟通，站在客户的角度考虑问题，尽量把事情处理好。",
    "generic3": "作为客服经理，我会以客户为中心，严格遵守银行的各项制度，不断提升自己的专业能力和服务水平。",
    "generic4": "这种事情在工作中很常见。我会耐心一点，按流程办事，有问题及时向领导汇报，争取让大家都满意。",
}


def main(out_path: Path = HERE / "anchors.jsonl", anchors: dict = ANCHORS) -> None:
    rubric = load_rubric(ROOT / "rubrics" / "internet-bank-cs-manager-2026.yaml")
    done = {(d["question"], d["point"], d["anchor"]) for d in map(json.loads, out_path.read_text().splitlines())} if out_path.exists() else set()
    with LocalModelServer() as server, out_path.open("a") as out:
        client = ModelClient(ModelSettings(base_url=server.base_url, model=QWEN_CODER_1_5B.name))
        for question in rubric.questions():
            for name, text in anchors.items():
                for point in question.points:
                    if (question.id, point.id, name) in done:
                        continue
                    rendered = prompts.render("point_check", rubric.language, question=question, answer=text, fence=prompts.answer_fence(text), point=point)
                    p_yes, _ = client.yes_probability(rendered.messages, YesNoGrader.YES, YesNoGrader.NO)
                    out.write(json.dumps({"question": question.id, "point": point.id, "anchor": name, "p": p_yes}) + "\n")
                    out.flush()
            # the point itself, as if an answer said exactly it
            for point in question.points:
                if (question.id, point.id, "self") in done:
                    continue
                rendered = prompts.render("point_check", rubric.language, question=question, answer=point.text, fence=prompts.answer_fence(point.text), point=point)
                p_yes, _ = client.yes_probability(rendered.messages, YesNoGrader.YES, YesNoGrader.NO)
                out.write(json.dumps({"question": question.id, "point": point.id, "anchor": "self", "p": p_yes}) + "\n")
                out.flush()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--self-only"]:
        main(Path(sys.argv[2]), anchors={})
    else:
        main()
