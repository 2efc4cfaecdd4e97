"""Experiment: one call per answer, "how many of these points does the answer make?", read as an
expected count from the first token's log-probabilities over the digits 0-9.

Writes one line per answer to counts.jsonl (appends; skips what is there). Run from the project root:

    python evals/experiments/answer-rating/probe.py
"""

import json
import math
import sys
from pathlib import Path

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))

from grader.evaluation.samples import load_samples  # noqa: E402
from grader.grading.strategies import prepare_answer  # noqa: E402
from grader.model.client import ModelClient, ModelSettings  # noqa: E402
from grader.model.local_model import QWEN_CODER_1_5B, LocalModelServer  # noqa: E402
from grader.grading.prompts import answer_fence  # noqa: E402
from grader.rubric.model import load_rubric  # noqa: E402


def main() -> None:
    env = SandboxedEnvironment(loader=FileSystemLoader(HERE), undefined=StrictUndefined)
    template = env.get_template("count.zh.j2")
    rubric = load_rubric(ROOT / "rubrics" / "internet-bank-cs-manager-2026.yaml")
    samples = load_samples(ROOT / "evals" / "samples" / "internet-bank-cs-manager-2026.jsonl", rubric)
    out_path = HERE / "counts.jsonl"
    done = {d["answer_id"] for d in map(json.loads, out_path.read_text().splitlines())} if out_path.exists() else set()
    with LocalModelServer() as server, out_path.open("a") as out:
        client = ModelClient(ModelSettings(base_url=server.base_url, model=QWEN_CODER_1_5B.name))
        for sample in samples:
            if sample.id in done:
                continue
            question = rubric.question(sample.question_id)
            text, _ = prepare_answer(sample.answer)
            if not text:
                continue
            context = template.new_context(dict(question=question, answer=text, fence=answer_fence(text), points=question.points))
            messages = [{"role": r, "content": "".join(template.blocks[r](context)).strip()} for r in ("system", "user")]
            probabilities = client.first_token_probabilities(messages)
            digits = {int(t): p for t, p in probabilities.items() if t.isdigit() and len(t) == 1}
            total = sum(digits.values())
            expected = sum(d * p for d, p in digits.items()) / total if total else None
            out.write(json.dumps({"answer_id": sample.id, "expected": expected, "n_points": len(question.points), "digits": digits}) + "\n")
            out.flush()


if __name__ == "__main__":
    main()
