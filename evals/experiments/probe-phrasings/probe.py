"""Experiment: P(yes) of other phrasings of the per-point yes/no question, on the hand-graded set.

Writes one line per (answer, point, phrasing) to probes.jsonl (appends; skips what is there), on
the offline model. Run from the project root:

    python evals/experiments/probe-phrasings/probe.py negated english
"""

import json
import sys
from pathlib import Path

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))

from grader.evaluation.samples import load_samples  # noqa: E402
from grader.grading.strategies import YesNoGrader, prepare_answer  # noqa: E402
from grader.model.client import ModelClient, ModelSettings  # noqa: E402
from grader.model.local_model import QWEN_CODER_1_5B, LocalModelServer  # noqa: E402
from grader.grading.prompts import answer_fence  # noqa: E402
from grader.rubric.model import load_rubric  # noqa: E402


def main(phrasings: list[str]) -> None:
    env = SandboxedEnvironment(loader=FileSystemLoader(HERE), undefined=StrictUndefined)
    rubric = load_rubric(ROOT / "rubrics" / "internet-bank-cs-manager-2026.yaml")
    samples = load_samples(ROOT / "evals" / "samples" / "internet-bank-cs-manager-2026.jsonl", rubric)
    out_path = HERE / "probes.jsonl"
    done = set()
    if out_path.exists():
        done = {(d["answer_id"], d["point"], d["probe"]) for d in map(json.loads, out_path.read_text().splitlines())}
    with LocalModelServer() as server, out_path.open("a") as out:
        client = ModelClient(ModelSettings(base_url=server.base_url, model=QWEN_CODER_1_5B.name))
        for sample in samples:
            question = rubric.question(sample.question_id)
            text, _ = prepare_answer(sample.answer)
            if not text:
                continue
            for phrasing in phrasings:  # phrasing-major: its prompts share the cached answer prefix
                template = env.get_template(f"{phrasing}.zh.j2")
                for point in question.points:
                    if (sample.id, point.id, phrasing) in done:
                        continue
                    context = template.new_context(dict(question=question, answer=text, fence=answer_fence(text), point=point))
                    messages = [{"role": r, "content": "".join(template.blocks[r](context)).strip()} for r in ("system", "user")]
                    p_yes, info = client.yes_probability(messages, YesNoGrader.YES, YesNoGrader.NO)
                    line = {"answer_id": sample.id, "point": point.id, "probe": phrasing, "p": p_yes, "tokens": info.usage.prompt_tokens}
                    out.write(json.dumps(line) + "\n")
                    out.flush()


if __name__ == "__main__":
    main(sys.argv[1:])
