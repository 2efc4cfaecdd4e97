"""The recipes in docs/architecture.md, done from outside the library: a grading strategy and an
input format registered from this test module work through `grade`, `batch` and `eval` without
editing a library file."""

from __future__ import annotations

import csv
import json

import pytest

from grader import cli
from grader.grading.results import PointGrade, Verdict
from grader.grading.strategies import STRATEGIES, ModelGrader, register_strategy
from grader.recruiting.inputs import TABLE_FORMATS, register_table_format
from grader.textnorm import bigrams

from .conftest import RUBRIC_PATH, SAMPLES_PATH

# No model is called by the toy strategy; a closed port stands in for the endpoint (the first-call
# check lets an unreachable endpoint through: the grades say whether calls worked).
ENDPOINT = ["--base-url", "http://127.0.0.1:9/v1", "--model", "toy-model", "--strategy", "overlap-toy"]


class OverlapToyGrader(ModelGrader):
    """A point is covered when the answer shares half of its character bigrams: no model call."""

    strategy = "overlap-toy"
    task = "grade_answer"  # the prompt it would render; its hash names the grades

    def _grade_points(self, question, text, info):
        answer = bigrams(text)
        points = []
        for point in question.points:
            share = len(bigrams(point.text) & answer) / max(1, len(bigrams(point.text)))
            verdict = Verdict.covered if share >= 0.5 else Verdict.missing
            points.append(PointGrade(id=point.id, verdict=verdict, evidence=text[:20] if verdict is Verdict.covered else "", reason=f"overlap {share:.2f}"))
        return points


@pytest.fixture
def toy_strategy():
    register_strategy(OverlapToyGrader)
    yield OverlapToyGrader
    STRATEGIES.pop(OverlapToyGrader.strategy)


def test_a_strategy_registered_outside_the_library_grades_one_answer(toy_strategy, capsys):
    question_text = "立即核实客户身份，确认账户资金安全"
    assert cli.main(["grade", "--rubric", str(RUBRIC_PATH), "--question", "situational-4", "--answer", question_text, "--json", *ENDPOINT]) == 0
    grade = json.loads(capsys.readouterr().out)
    assert grade["strategy"] == "overlap-toy" and grade["model"] == "toy-model"
    assert grade["points"][0]["reason"].startswith("overlap")


def test_a_registered_strategy_runs_a_batch_and_an_eval(toy_strategy, tmp_path, capsys):
    answers = tmp_path / "answers.csv"
    with answers.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["candidate", "question_id", "answer"])
        writer.writerow(["甲", "situational-4", "我会立即核实客户身份，确认账户资金安全，再解释诈骗短信"])
        writer.writerow(["乙", "situational-4", "不知道"])
    run = tmp_path / "run"
    assert cli.main(["batch", "--rubric", str(RUBRIC_PATH), str(answers), "-o", str(run), "--cache", str(tmp_path / "c.sqlite"), *ENDPOINT]) == 0
    ranking = list(csv.DictReader((run / "ranking.csv").open(encoding="utf-8-sig")))
    assert [r["candidate"] for r in ranking] == ["甲", "乙"] and float(ranking[0]["total"]) > float(ranking[1]["total"])
    assert json.loads((run / "run.json").read_text(encoding="utf-8"))["strategy"] == "overlap-toy"

    runs = tmp_path / "runs"
    assert cli.main(["eval", "--rubric", str(RUBRIC_PATH), "--samples", str(SAMPLES_PATH), "--limit", "4", "--runs-dir", str(runs), "--json", *ENDPOINT]) == 0
    record = json.loads(next(runs.glob("*.json")).read_text(encoding="utf-8"))
    assert record["strategy"] == "overlap-toy" and len(record["predictions"]) == 4


def test_an_unregistered_strategy_is_refused_by_name(capsys):
    with pytest.raises(SystemExit) as stopped:  # argparse's own refusal: the choices are the registry's
        cli.main(["grade", "--rubric", str(RUBRIC_PATH), "--question", "situational-4", "--answer", "x", *ENDPOINT])
    err = capsys.readouterr().err
    assert stopped.value.code == 2 and "invalid choice: 'overlap-toy'" in err and "'yesno'" in err


@pytest.fixture
def tsv_format():
    @register_table_format(".tsv")
    def tsv_rows(path, rubric, problems):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            yield number, line.split("\t")

    yield tsv_rows
    TABLE_FORMATS.pop(".tsv")


def test_an_input_format_registered_outside_the_library_feeds_a_batch(toy_strategy, tsv_format, tmp_path):
    answers = tmp_path / "answers.tsv"
    answers.write_text(
        "candidate\tsituational-4\tstress-1\n"
        "丙\t我会立即核实客户身份，确认账户资金安全\t我会保持冷静\n"
        "丁\t不清楚\t不清楚\n",
        encoding="utf-8",
    )
    run = tmp_path / "run"
    assert cli.main(["batch", "--rubric", str(RUBRIC_PATH), str(answers), "-o", str(run), "--cache", str(tmp_path / "c.sqlite"), *ENDPOINT]) == 0
    rows = [json.loads(line) for line in (run / "grades.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted((r["candidate"], r["question_id"]) for r in rows) == [("丁", "situational-4"), ("丁", "stress-1"), ("丙", "situational-4"), ("丙", "stress-1")]
