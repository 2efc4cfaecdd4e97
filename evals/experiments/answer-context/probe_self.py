"""Experiment: a second, "full-credit" anchor per rubric point: the model's P(yes) when the answer
is the point's own text, under the current default prompt (`prompts/point_check.zh.j2`). Writes
self_anchors.jsonl (appends; skips what is there). Offline model; from the project root:

    python evals/experiments/answer-context/probe_self.py
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


def main() -> None:
    rubric = load_rubric(ROOT / "rubrics" / "internet-bank-cs-manager-2026.yaml")
    out_path = HERE / "self_anchors.jsonl"
    done = {(d["question"], d["point"]) for d in map(json.loads, out_path.read_text().splitlines())} if out_path.exists() else set()
    with LocalModelServer() as server, out_path.open("a") as out:
        client = ModelClient(ModelSettings(base_url=server.base_url, model=QWEN_CODER_1_5B.name))
        for question in rubric.questions():
            for point in question.points:
                if (question.id, point.id) in done:
                    continue
                rendered = prompts.render("point_check", rubric.language, question=question, answer=point.text, fence=prompts.answer_fence(point.text), point=point)
                p_yes, _ = client.yes_probability(rendered.messages, YesNoGrader.YES, YesNoGrader.NO)
                out.write(json.dumps({"question": question.id, "point": point.id, "anchor": "self", "p": p_yes}) + "\n")
                out.flush()


if __name__ == "__main__":
    main()
