"""Seconds per call of the default wording and of the few-shot one on the same four answers
(prompt cache on, as the grader runs), to show what the few-shot system prompt costs once the
server has cached it (or of other wordings named on the command line). Offline model; from the
project root:

    python -m evals.experiments prompt-wording/timing.py                         # timing.txt
    python -m evals.experiments prompt-wording/timing.py english instructfirst   # timing-instructfirst.txt
"""

import argparse
import time
from pathlib import Path

from evals.experiments.common import add_probe_options, render_blocks, samples_of, seed_rubric, template_environment
from grader.grading.prompts import answer_fence
from grader.grading.strategies import prepare_answer
from grader.model.client import CallInfo, ModelClient, ModelSettings
from grader.model.local_model import QWEN_CODER_1_5B, LocalModelServer

HERE = Path(__file__).resolve().parent
TIMED = slice(40, 44)  # the same four hand-graded answers for every wording


def prompts_to_time(wordings: list[str]):
    """(wording, answer id, point id, messages) in the order they are timed."""
    # english.zh.j2 is the default's wording (probe-phrasings experiment), fewshot.zh.j2 this one's.
    env = template_environment(HERE, HERE.parent / "probe-phrasings")
    rubric = seed_rubric()
    for sample in samples_of(rubric)[TIMED]:
        question = rubric.question(sample.question_id)
        text, _ = prepare_answer(sample.answer)
        for wording in wordings:
            template = env.get_template(f"{wording}.zh.j2")
            for point in question.points:
                yield wording, sample.id, point.id, render_blocks(template, question=question, answer=text, fence=answer_fence(text), point=point)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wordings", nargs="*", default=["english", "fewshot"], help="templates here or in probe-phrasings/, without .zh.j2 (default: english fewshot)")
    add_probe_options(parser)
    args = parser.parse_args(argv)
    timed = list(prompts_to_time(args.wordings))
    if args.dry_run:
        print(f"{len(timed)} prompts to time; the first: {timed[0][3]}")
        return
    with LocalModelServer() as server:
        client = ModelClient(ModelSettings(base_url=server.base_url, model=QWEN_CODER_1_5B.name))
        for wording, answer_id, point_id, messages in timed:
            info, started = CallInfo(), time.perf_counter()
            client.first_token_probabilities(messages, info)
            print(f"{wording:8s} {answer_id} {point_id} {time.perf_counter() - started:5.2f} s, {info.usage.prompt_tokens} prompt tokens", flush=True)


if __name__ == "__main__":
    main()
