"""Reviewed answers as few-shot examples for the structured strategy (issue 25): a grade's prompt
shows the model, before the answer, the reviewed answers to the same question nearest to it (by
shared character bigrams) with the reviewer's verdicts, as earlier turns of the same chat. The
examples a question can draw on are part of its prompt's identity (`examples_id`), so cached
grades made without them, or with others, are not reused.

Each example is candidate text: it goes through the same preparation as an answer (instructions
to the grader removed, cut) and its own fence, and `--redact` masks it before it is sent.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Callable, Mapping, NamedTuple, Sequence

from ..textnorm import bigrams, normalise
from .evidence import closest_sentence

# Examples shown per answer, and the characters kept of each: enough to show the standard without
# crowding out the answer in a small context.
MAX_EXAMPLES = 3
MAX_EXAMPLE_CHARS = 800


class ReviewedExample(NamedTuple):
    question_id: str
    answer: str
    verdicts: Mapping[str, str]  # point id -> covered / partial / missing, as the reviewer said


def load_examples(path: Path, rubric, transform: Callable[[str], str] = lambda text: text) -> dict[str, list[ReviewedExample]]:
    """Labelled samples (JSONL, e.g. `grader review export`) as examples by question id;
    `transform`: applied to each answer (redaction). Bad lines are an InputError naming them."""
    from .samples import load_samples

    examples: dict[str, list[ReviewedExample]] = {}
    for s in load_samples(path, rubric):
        examples.setdefault(s.question_id, []).append(ReviewedExample(s.question_id, transform(s.answer), {pid: v.value for pid, v in s.labels.items()}))
    return examples


def examples_id(examples: Sequence[ReviewedExample]) -> str:
    """Names a question's pool of examples (order does not matter)."""
    rows = sorted(json.dumps([e.answer, sorted(e.verdicts.items())], ensure_ascii=False) for e in examples)
    return hashlib.sha256("\n".join(rows).encode("utf-8")).hexdigest()[:8]


def nearest(examples: Sequence[ReviewedExample], answer: str, k: int = MAX_EXAMPLES) -> list[ReviewedExample]:
    """The `k` examples sharing most character bigrams with `answer`, most similar last (nearest the
    answer in the chat); never the answer itself."""
    target, own = bigrams(answer), normalise(answer)

    def similarity(example: ReviewedExample) -> float:
        grams = bigrams(example.answer)
        return len(grams & target) / len(grams | target) if grams and target else 0.0

    candidates = [e for e in examples if normalise(e.answer) != own]
    ranked = sorted(range(len(candidates)), key=lambda i: (similarity(candidates[i]), -i), reverse=True)[:k]
    return [candidates[i] for i in reversed(ranked)]


def verdict_reply(question, example_text: str, example: ReviewedExample) -> str:
    """The reply the structured prompt asks for, as the reviewer would have given it: each point's
    verdict, with the example's closest sentence as evidence where it was made."""
    reply = {}
    for point in question.points:
        verdict = example.verdicts.get(point.id, "missing")
        others = [o.text for o in question.points if o is not point]
        evidence = closest_sentence(example_text, point.text, others) if verdict != "missing" else ""
        reply[point.id] = {"evidence": evidence, "reason": "the recruiter's verdict", "verdict": verdict}
    return json.dumps(reply, ensure_ascii=False)
