"""Experiment: two kinds of extra yes/no questions per hand-graded answer, asked with the default
prompt (prompts/point_check.zh.j2) after the answer, so that they share its cached prefix:

- decoys: points that no answer to these questions makes. P(yes) for them measures how much the
  model says "yes" to this answer whatever the point (its yes-bias for the answer).
- parts: each part of a two- or three-part point ("核实客户身份，确认账户安全") asked on its own.
  The labelling guide gives partial when only one part is made, so the weakest part's P(yes)
  should tell partial from covered.

Writes one line per (answer, probe) to probes.jsonl (appends; skips what is there). Run from the
project root:

    python evals/experiments/extra-probes/probe.py
"""

import json
import re
import sys
from pathlib import Path
from types import SimpleNamespace

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))

from grader.grading import prompts  # noqa: E402
from grader.evaluation.samples import load_samples  # noqa: E402
from grader.grading.strategies import YesNoGrader, prepare_answer  # noqa: E402
from grader.model.client import ModelClient, ModelSettings  # noqa: E402
from grader.model.local_model import QWEN_CODER_1_5B, LocalModelServer  # noqa: E402
from grader.rubric.model import load_rubric  # noqa: E402

# A point's parts: what its text asks for, split where the labelling guide splits it ("两段式要点":
# both parts make it covered, one part partial). Examples in brackets are not required, so they go;
# a leading label ("适应方式：") is no part; a condition ("若客户坚持") belongs to what follows it.
_EXAMPLE = re.compile(r"（[^）]*）|\([^)]*\)")
_LABEL = re.compile(r"^[^：:，,]{2,8}[：:]")
_PART_SEPARATOR = re.compile(r"[，,；;。]")
_CONDITION = re.compile(r"^(若|如果|如|当|必要时)")
_MIN_PART_CHARS = 3


def point_parts(text: str) -> list[str]:
    """The separately checkable parts of a point's text; one part for a single-part point."""
    body = _LABEL.sub("", _EXAMPLE.sub("", text)).strip()
    parts: list[str] = []
    pending = ""
    for piece in (p.strip() for p in _PART_SEPARATOR.split(body)):
        if len(piece) < _MIN_PART_CHARS:
            continue
        piece = pending + piece
        if _CONDITION.match(piece) and not pending:
            pending = piece + "，"
            continue
        pending = ""
        parts.append(piece.removeprefix("并"))
    if pending:
        parts.append(pending.rstrip("，"))
    return parts or [text]


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


def main() -> None:
    rubric = load_rubric(ROOT / "rubrics" / "internet-bank-cs-manager-2026.yaml")
    samples = load_samples(ROOT / "evals" / "samples" / "internet-bank-cs-manager-2026.jsonl", rubric)
    out_path = HERE / "probes.jsonl"
    done = {(d["answer_id"], d["probe"]) for d in map(json.loads, out_path.read_text().splitlines())} if out_path.exists() else set()
    with LocalModelServer() as server, out_path.open("a") as out:
        client = ModelClient(ModelSettings(base_url=server.base_url, model=QWEN_CODER_1_5B.name))
        for sample in samples:
            question = rubric.question(sample.question_id)
            text, _ = prepare_answer(sample.answer)
            if not text:
                continue
            for name, point_text in probes(question).items():
                if (sample.id, name) in done:
                    continue
                point = SimpleNamespace(id=name, text=point_text)
                rendered = prompts.render("point_check", rubric.language, question=question, answer=text, fence=prompts.answer_fence(text), point=point)
                p_yes, _ = client.yes_probability(rendered.messages, YesNoGrader.YES, YesNoGrader.NO)
                out.write(json.dumps({"answer_id": sample.id, "probe": name, "text": point_text, "p": p_yes}, ensure_ascii=False) + "\n")
                out.flush()


if __name__ == "__main__":
    main()
