"""Benchmark: the offline default with and without llama.cpp's prompt cache.

Grades every 20th hand-graded answer (8 answers) twice on one local server, first with the prompt
cache (the default) and then without it, and prints seconds per answer and the scores. Without
the cache every request is computed from scratch (bit-exact, independent of what was graded
before); with it, an answer's later points reuse the cached prefix, which is about three times
faster but gives slightly different probabilities, enough to move some verdicts.

    python benchmarks/prompt_cache.py
"""

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.grading.samples import load_samples  # noqa: E402
from grader.grading.strategies import YesNoGrader  # noqa: E402
from grader.model.client import ModelClient, ModelSettings  # noqa: E402
from grader.model.local_model import QWEN_CODER_1_5B, LocalModelServer  # noqa: E402
from grader.rubric.model import load_rubric  # noqa: E402


def main() -> None:
    rubric = load_rubric(ROOT / "rubrics" / "internet-bank-cs-manager-2026.yaml")
    samples = load_samples(ROOT / "evals" / "samples" / "internet-bank-cs-manager-2026.jsonl", rubric)[::20]
    with LocalModelServer() as server:
        for cache in (True, False):
            client = ModelClient(ModelSettings(base_url=server.base_url, model=QWEN_CODER_1_5B.name, prompt_cache=cache))
            grader = YesNoGrader(client, rubric)
            started = time.time()
            scores = [grader.grade(rubric.question(s.question_id), s.answer).score for s in samples]
            print(f"prompt cache {'on ' if cache else 'off'}: {(time.time() - started) / len(samples):.2f} s/answer, scores {scores}")


if __name__ == "__main__":
    main()
