"""Seconds per call of the default wording and of the few-shot one on the same four answers
(prompt cache on, as the grader runs), to show what the few-shot system prompt costs once the
server has cached it (or of other wordings named on the command line). Offline model; from the
project root:

    python evals/experiments/prompt-wording/timing.py                         # timing.txt
    python evals/experiments/prompt-wording/timing.py english instructfirst   # timing-instructfirst.txt
"""

import sys
import time
from pathlib import Path

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))

from grader.evaluation.samples import load_samples  # noqa: E402
from grader.grading.strategies import prepare_answer  # noqa: E402
from grader.model.client import CallInfo, ModelClient, ModelSettings  # noqa: E402
from grader.model.local_model import QWEN_CODER_1_5B, LocalModelServer  # noqa: E402
from grader.grading.prompts import answer_fence  # noqa: E402
from grader.rubric.model import load_rubric  # noqa: E402


def main(wordings: list[str]) -> None:
    # english.zh.j2 is the default's wording (probe-phrasings experiment), fewshot.zh.j2 this one's.
    env = SandboxedEnvironment(loader=FileSystemLoader([str(HERE), str(HERE.parent / "probe-phrasings")]), undefined=StrictUndefined)
    rubric = load_rubric(ROOT / "rubrics" / "internet-bank-cs-manager-2026.yaml")
    samples = load_samples(ROOT / "evals" / "samples" / "internet-bank-cs-manager-2026.jsonl", rubric)
    with LocalModelServer() as server:
        client = ModelClient(ModelSettings(base_url=server.base_url, model=QWEN_CODER_1_5B.name))
        for sample in samples[40:44]:
            question = rubric.question(sample.question_id)
            text, _ = prepare_answer(sample.answer)
            for wording in wordings:
                template = env.get_template(f"{wording}.zh.j2")
                for point in question.points:
                    context = template.new_context(dict(question=question, answer=text, fence=answer_fence(text), point=point))
                    messages = [{"role": r, "content": "".join(template.blocks[r](context)).strip()} for r in ("system", "user")]
                    info, started = CallInfo(), time.perf_counter()
                    client.first_token_probabilities(messages, info)
                    print(f"{wording:8s} {sample.id} {point.id} {time.perf_counter() - started:5.2f} s, {info.usage.prompt_tokens} prompt tokens", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or ["english", "fewshot"])
