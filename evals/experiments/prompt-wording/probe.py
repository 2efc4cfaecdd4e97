"""Experiment: other wordings of the per-point question's last sentence, on the hand-graded set.

Each wording (a template here) differs from `prompts/point_check.zh.j2` only after the point, so
all wordings of an answer share its cached prefix. For every (answer, point, wording), and for
every point's anchor (the default template's content-free `anchor_answer`), writes the first
token's top probabilities to probes.jsonl (appends; skips what is there). Offline model; from
the project root:

    python evals/experiments/prompt-wording/probe.py three fewshot
    python evals/experiments/prompt-wording/probe.py noexample
    python evals/experiments/prompt-wording/probe.py actions --samples evals/samples/gaming.jsonl

(--samples: another sample file of the seed rubric; never the gaming set's sealed third)
"""

import json
import re
import sys
from pathlib import Path

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))

from grader.grading import prompts  # noqa: E402
from grader.evaluation.samples import load_samples  # noqa: E402
from grader.grading.strategies import prepare_answer  # noqa: E402
from grader.model.client import ModelClient, ModelSettings  # noqa: E402
from grader.model.local_model import QWEN_CODER_1_5B, LocalModelServer  # noqa: E402
from grader.grading.prompts import answer_fence  # noqa: E402
from grader.rubric.model import load_rubric  # noqa: E402


# A point's examples in brackets ("（如…）"); `noexample.zh.j2` asks the point without them.
_EXAMPLE = re.compile(r"（[^）]*）|\([^)]*\)")


def without_examples(text: str) -> str:
    return _EXAMPLE.sub("", text).strip()


def main(wordings: list[str], samples_path: Path = ROOT / "evals" / "samples" / "internet-bank-cs-manager-2026.jsonl") -> None:
    if "sealed" in samples_path.name:
        raise SystemExit(f"{samples_path}: the sealed third is read only to report an adopted change")
    env = SandboxedEnvironment(loader=FileSystemLoader(HERE), undefined=StrictUndefined)
    env.filters["without_examples"] = without_examples
    rubric = load_rubric(ROOT / "rubrics" / "internet-bank-cs-manager-2026.yaml")
    samples = load_samples(samples_path, rubric)
    anchor_answer = prompts.block_text("point_check", "zh", "anchor_answer")
    out_path = HERE / "probes.jsonl"
    done = set()
    if out_path.exists():
        done = {(d["answer_id"], d["point"], d["probe"]) for d in map(json.loads, out_path.read_text().splitlines())}
    # The anchors first (one short answer per question), then the hand-graded answers.
    jobs = [(f"anchor:{q.id}", q, anchor_answer) for section in rubric.sections for q in section.questions]
    jobs += [(s.id, rubric.question(s.question_id), s.answer) for s in samples]
    with LocalModelServer() as server, out_path.open("a") as out:
        client = ModelClient(ModelSettings(base_url=server.base_url, model=QWEN_CODER_1_5B.name))
        for answer_id, question, answer in jobs:
            text, _ = prepare_answer(answer)
            if not text:
                continue
            for wording in wordings:  # wording-major: its prompts share the cached answer prefix
                template = env.get_template(f"{wording}.zh.j2")
                for point in question.points:
                    if (answer_id, point.id, wording) in done:
                        continue
                    if wording == "noexample" and without_examples(point.text) == point.text:
                        continue  # the same prompt as the default's: its stored P(yes) stands
                    context = template.new_context(dict(question=question, answer=text, fence=answer_fence(text), point=point))
                    messages = [{"role": r, "content": "".join(template.blocks[r](context)).strip()} for r in ("system", "user")]
                    top = client.first_token_probabilities(messages)
                    out.write(json.dumps({"answer_id": answer_id, "point": point.id, "probe": wording, "top": top}, ensure_ascii=False) + "\n")
                    out.flush()


if __name__ == "__main__":
    args = sys.argv[1:]
    if "--samples" in args:
        at = args.index("--samples")
        main(args[:at] + args[at + 2 :], ROOT / args[at + 1])
    else:
        main(args)
