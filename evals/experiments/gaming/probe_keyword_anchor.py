"""Experiment: the offline model's P(yes) for each rubric point when the "answer" is the
question's own keywords, listed (`grader.grading.gaming.keyword_list_answer`): what a bare keyword list
gets. Writes keyword_anchors.jsonl (question, point, p). Run from the project root:

    python evals/experiments/gaming/probe_keyword_anchor.py
"""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))

from grader.grading import prompts  # noqa: E402
from grader.grading.gaming import keyword_list_answer  # noqa: E402
from grader.grading.strategies import YesNoGrader  # noqa: E402
from grader.model.client import ModelClient, ModelSettings  # noqa: E402
from grader.model.local_model import QWEN_CODER_1_5B, LocalModelServer  # noqa: E402
from grader.rubric.model import load_rubric  # noqa: E402


def main(out_path: Path = HERE / "keyword_anchors.jsonl") -> None:
    rubric = load_rubric(ROOT / "rubrics" / "internet-bank-cs-manager-2026.yaml")
    with LocalModelServer() as server, out_path.open("w") as out:
        client = ModelClient(ModelSettings(base_url=server.base_url, model=QWEN_CODER_1_5B.name))
        for question in rubric.questions():
            text = keyword_list_answer(question, rubric.language)
            for point in question.points:
                rendered = prompts.render("point_check", rubric.language, question=question, answer=text, fence=prompts.answer_fence(text), point=point)
                p_yes, _ = client.yes_probability(rendered.messages, YesNoGrader.YES, YesNoGrader.NO)
                out.write(json.dumps({"question": question.id, "point": point.id, "p": p_yes}) + "\n")
                out.flush()


if __name__ == "__main__":
    main()
