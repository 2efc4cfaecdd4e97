"""Experiment: the offline model's P(yes) for each rubric point when the "answer" is the
question's own keywords, listed (`keyword_list_answer`, from keyword_anchor.zh.j2): what a bare
keyword list gets. Writes keyword_anchors.jsonl (question, point, p; appends, skips what is there).
The feature it fed (keyword_margin) was dropped (docs/gaming.md). From the project root:

    python -m evals.experiments gaming/probe_keyword_anchor.py
"""

import argparse
import re
from pathlib import Path

from evals.experiments.common import add_probe_options, run_probe, seed_rubric, template_environment, yes_probability
from grader.grading import prompts

HERE = Path(__file__).resolve().parent
# Examples in brackets ("（如线下柜台办理）") are illustrations, not the point's keywords.
_BRACKETED = re.compile(r"[（(][^）)]*[）)]")
# Where a point's wording splits into phrases: punctuation and the conjunctions between actions.
_PHRASE_BREAK = re.compile(r"[，,、；;：:。/]|并且|并|以及|及|和|或")


def point_keywords(point_text: str) -> list[str]:
    """The point's wording as a gaming candidate would list it: bracketed examples dropped, split
    into phrases at punctuation and conjunctions."""
    text = _BRACKETED.sub("", point_text)
    return [phrase.strip() for phrase in _PHRASE_BREAK.split(text) if len(phrase.strip()) >= 2]


def keyword_list_answer(question, language: str) -> str:
    """The content-free keyword-list answer for a question: all its points' keywords, listed."""
    keywords = list(dict.fromkeys(k for point in question.points for k in point_keywords(point.text)))
    return template_environment(HERE).get_template(f"keyword_anchor.{language}.j2").render(keywords=keywords).strip()


def jobs(rubric):
    for question in rubric.questions():
        text = keyword_list_answer(question, rubric.language)
        for point in question.points:
            rendered = prompts.render("point_check", rubric.language, question=question, answer=text, fence=prompts.answer_fence(text), point=point)
            yield {"question": question.id, "point": point.id}, rendered.messages


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_probe_options(parser)
    args = parser.parse_args(argv)
    run_probe(jobs(seed_rubric()), HERE / "keyword_anchors.jsonl", ("question", "point"), yes_probability, args.dry_run)


if __name__ == "__main__":
    main()
