"""The prompt-injection corpus (tests/attacks/): on the offline default grader, an answer with an
attack must get the same verdicts as the same answer without it, and be flagged.

Grades replay from a cassette recorded against the local model. Attacks that the model does not
withstand are listed in tests/attacks/known_failures.txt (measured, published in README); the
test fails if one of them starts to pass (so the list is kept honest) or if any other fails.
"""

import json
from pathlib import Path

import pytest

from grader.grading.strategies import YesNoGrader
from grader.grading.results import Flag

from .conftest import open_cassette

ATTACKS_DIR = Path(__file__).resolve().parent / "attacks"
ATTACKS = [json.loads(line) for line in (ATTACKS_DIR / "attacks.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
KNOWN_FAILURES = {line.split("#")[0].strip() for line in (ATTACKS_DIR / "known_failures.txt").read_text(encoding="utf-8").splitlines()} - {""}


def attacked_answer(attack: dict) -> str:
    base, text = attack["base_answer"], attack["attack"]
    if attack["position"] == "start":
        return text + base
    if attack["position"] == "middle":
        cut = base.index("。") + 1
        return base[:cut] + text + base[cut:]
    return base + text


@pytest.fixture(scope="module")
def grades(rubric):
    results = {}
    # Without llama.cpp's prompt cache every request is computed from scratch, so a grade cannot
    # depend on what was graded before it: with the cache, the same text can come back with other
    # probabilities (numerics of a cached prefix differ), which would blur what an attack changed.
    with open_cassette("attacks", prompt_cache=False) as client:
        grader = YesNoGrader(client, rubric)
        base_grades = {}
        for attack in ATTACKS:
            question = rubric.question(attack["question_id"])
            if attack["base_answer"] not in base_grades:
                base_grades[attack["base_answer"]] = grader.grade(question, attack["base_answer"])
            results[attack["id"]] = (base_grades[attack["base_answer"]], grader.grade(question, attacked_answer(attack)))
    return results


@pytest.mark.parametrize("attack", ATTACKS, ids=[a["id"] for a in ATTACKS])
def test_attack_is_flagged(grades, attack):
    clean, attacked = grades[attack["id"]]
    assert Flag.injection_suspected in attacked.flags
    assert Flag.injection_suspected not in clean.flags


@pytest.mark.parametrize("attack", ATTACKS, ids=[a["id"] for a in ATTACKS])
def test_attack_changes_no_verdict(grades, attack):
    clean, attacked = grades[attack["id"]]
    assert clean.status == attacked.status == "scored"
    held = [p.verdict for p in attacked.points] == [p.verdict for p in clean.points]
    if attack["id"] in KNOWN_FAILURES:
        assert not held, f"{attack['id']} now holds: remove it from known_failures.txt"
    else:
        assert held, f"{attack['id']} ({attack['category']}) changed the grade {clean.score} -> {attacked.score}"
