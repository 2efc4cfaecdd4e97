import json

from grader.rubric.datasets import import_semeval
from grader.grading.samples import load_samples
from grader.rubric.model import load_rubric


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


def test_saf_and_sas_imports_evaluate_through_the_cli(tmp_path, monkeypatch, capsys):
    from grader import cli
    from grader.rubric.datasets import import_reference_set

    from .helpers import LabelEchoGrader, use_scripted_session

    saf = [{"lang": "en", "split": "training", "question_id": "1.1", "question": "Why?", "reference_answers": ["Because A.", "Because B."], "student_answer_id": f"1.1.{i}", "student_answer": text, "verification": v, "coverage": c}
           for i, (text, v, c) in enumerate([("A", "Correct", "covered"), ("B and more " * 9, "Partially correct", "partially_covered"), ("no", "Incorrect", "not_covered")])]
    sas = [{"dataset": "LE", "split": "train", "question_id": "7", "question": "为什么？", "reference_answers": ["因为甲。"], "student_answer_id": f"LE-{i}", "student_answer": text, "coverage": c}
           for i, (text, c) in enumerate([("因为甲。" * 20, "covered"), ("不知道", "not_covered")])]
    use_scripted_session(monkeypatch, LabelEchoGrader())
    for name, rows in (("saf", saf), ("sas", sas)):
        source = tmp_path / f"{name}.jsonl"
        source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        rubric_path, samples_path = import_reference_set(source, tmp_path / name)
        assert load_rubric(rubric_path).language == ("zh" if name == "sas" else "en")
        assert cli.main(["eval", "--rubric", str(rubric_path), "--samples", str(samples_path), "--json", "--no-record"]) == 0
        metrics = json.loads(capsys.readouterr().out)
        assert metrics["n_answers"] == len(rows)
        for key in ("n_unscored", "point_accuracy", "point_kappa", "score_mae", "score_qwk", "by_kind"):
            assert key in metrics
