"""Signs that an answer names the rubric's topics instead of answering: cheap, model-free
features of the text.

A keyword list ("这道题我的回答要点是：理解客户需求、远程协助、额外审批……") says nothing a
candidate would do, yet a small model asked "does the answer make this point?" says yes to it
(issue 15: such answers scored 7-10 of 10). These measures let the combiner and the review
routing see that form; none reads another answer.
"""

from __future__ import annotations

import re
from typing import Sequence

from ..textnorm import normalise, to_simplified

# Clause boundaries in an answer: a keyword list is many short clauses.
_CLAUSE_BREAK = re.compile(r"[，,、；;：:。！？!?\n]+")
# Words that show someone doing something: the first person, sequence and action verbs, and
# their English counterparts. A clause with none of them names a topic; one with them says what
# is done (measured per kind of answer in evals/experiments/gaming/).
_ACTION = re.compile(
    r"我|先|再|然后|接着|会|帮|让|把|如果|就|马上|立即|及时|主动|告诉|跟|向|请"
    r"|\b(i|we|will|would|then|first|if|ask|tell|call|check|help)\b",
    re.IGNORECASE,
)


def _ngrams(text: str, n: int = 3) -> list[str]:
    return [text[i : i + n] for i in range(len(text) - n + 1)]


def rubric_copy(answer: str, rubric_texts: Sequence[str]) -> float:
    """Share of the answer's character trigrams that occur in the rubric's own wording (the
    question and its points): paraphrase rarely shares three characters in a row, a copied
    keyword list shares most."""
    grams = _ngrams(normalise(answer))
    if not grams:
        return 0.0
    source = set().union(*(set(_ngrams(normalise(t))) for t in rubric_texts)) if rubric_texts else set()
    return sum(g in source for g in grams) / len(grams)


def short_clause_share(answer: str, short: int = 8) -> float:
    """Share of the answer's clauses of at most `short` characters: a list of noun phrases is made
    of them, sentences that say what someone does mostly are not."""
    clauses = [c for c in (normalise(c) for c in _clauses(answer)) if c]
    if not clauses:
        return 0.0
    return sum(len(c) <= short for c in clauses) / len(clauses)


def _clauses(answer: str) -> list[str]:
    return [c for c in _CLAUSE_BREAK.split(to_simplified(answer)) if c.strip()]


def action_share(answer: str) -> float:
    """Share of the answer's clauses that say someone does something (see `_ACTION`): low for a
    list of topics, slogans or a template, whatever their words."""
    clauses = _clauses(answer)
    return sum(bool(_ACTION.search(c)) for c in clauses) / len(clauses) if clauses else 0.0


# Talk about the question instead of an answer to it: "这道题考察的是…", "我的回答要点是…".
_ABOUT_THE_QUESTION = re.compile(
    r"这道题|本题|此题|考察的是|考查的是|考察点|考查点|要点(包括|是|有|为)|得分点|答题要点|回答要点|答案要点"
    r"|should cover|this question (tests|assesses|is about)|key points",
    re.IGNORECASE,
)


def talks_about_the_question(answer: str) -> bool:
    """Does the answer describe what a good answer would contain, rather than give one?"""
    return bool(_ABOUT_THE_QUESTION.search(to_simplified(answer)))


# Generalities: what matters, what one should have, what goes without saying ("沟通是很重要的",
# "该核实的要核实", "这些是基本素养", "总之"). A ramble that brushes every topic in a clause is
# made of them; an answer that says what the candidate does has few (per kind of answer in
# evals/experiments/gaming/ramble.txt: topic-brushing 1.3-5.1 per 100 characters, strong and
# buried-point answers of 150 characters or more under 1.0). Chinese only: English answers are not measured by it.
_GENERALITY = re.compile(
    r"重要|关键|基础|基本|素养|态度|肯定|应该|都要|也要|要有|不能|自然|总之|说到底|总的来说|我觉得|我认为|我一直|我相信"
)


def generality_rate(answer: str) -> float:
    """Generalities (`_GENERALITY`) per 100 characters of the answer."""
    text = to_simplified(answer)
    return 100 * len(_GENERALITY.findall(text)) / len(text) if text else 0.0


def looks_like_generic_ramble(answer: str, *, min_chars: int, generality: float) -> bool:
    """Is the answer long (at least `min_chars` characters) and made of generalities (at least
    `generality` per 100 characters)? Such rambles touch every topic in passing and a small model
    says yes to each (issue 15: graded 10 of 10 against labels of 1-2.5). The shipped thresholds
    are `routing.RoutingPolicy`'s."""
    return len(answer.strip()) >= min_chars and generality_rate(answer) >= generality


def looks_like_topic_list(answer: str, rubric_texts: Sequence[str], *, copy: float, action: float, about_the_question: bool) -> bool:
    """Does the answer read as the rubric's topics listed rather than an answer? At least `copy`
    of its trigrams are the rubric's own wording, it talks about the question, or under `action`
    of its (mostly short) clauses say that anyone does anything. The shipped thresholds are
    `routing.RoutingPolicy`'s."""
    if rubric_copy(answer, rubric_texts) >= copy:
        return True
    if about_the_question and talks_about_the_question(answer):
        return True
    return action_share(answer) < action and short_clause_share(answer) >= 0.5
