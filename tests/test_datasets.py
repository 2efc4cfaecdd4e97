import json

from grader.datasets import import_semeval
from grader.evaluation import load_samples
from grader.rubric import load_rubric


def test_semeval_import_makes_a_loadable_rubric_and_samples(tmp_path):
    # A made-up row in the SemEval merged layout (the real data never enter the project).
    rows = [
        {
            "corpus": "beetle", "split": "train", "question_id": "Q1", "question": "Why does the bulb light?",
            "reference_answers": [{"id": "r1", "category": "BEST", "text": "The circuit is closed"}, {"id": "r2", "category": "KEYWORD", "text": "closed"}],
            "student_answer_id": f"s{i}", "student_answer": text, "label_2way": two, "label_3way": three, "label_5way": None, "coverage": coverage,
        }
        for i, (text, two, three, coverage) in enumerate(
            [("it is a closed path", "correct", "correct", "covered"), ("battery", "incorrect", "incorrect", "not_covered_or_partial"), ("half", "incorrect", "incorrect", "partially_covered")]
        )
    ]
    source = tmp_path / "beetle.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    rubric_path, samples_path = import_semeval(source, tmp_path / "out")
    rubric = load_rubric(rubric_path)
    assert rubric.language == "en" and rubric.question("Q1").points[0].text == "The circuit is closed"
    samples = load_samples(samples_path, rubric)
    assert [s.labels["p1"].value for s in samples] == ["covered", "missing", "partial"]
    assert samples[0].label_2way == "correct" and samples[1].label_3way == "incorrect"
