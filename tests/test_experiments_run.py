"""Every experiment script in evals/experiments/ runs, on a tiny input, so none rots silently when
the grader's modules move or change (the scripts read stored runs and probe files; the probes
that need the offline model only build their prompts, `--dry-run`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from grader import cli as grader_cli

from evals.experiments.__main__ import main as launch, scripts
from evals.experiments.gaming.probe_keyword_anchor import keyword_list_answer, point_keywords
from grader.grading.combiner import Combiner
from grader.model import local_model

ROOT = Path(__file__).resolve().parents[1]
RUNS = "evals/runs/"
SEED_RUN = RUNS + "20261201T223327_yesno_qwen2.5-coder-1.5b-instruct-q4-k-m.json"  # the current default prompt's
EARLIER_RUN = RUNS + "20261129T064551_yesno_qwen2.5-coder-1.5b-instruct-q4-k-m.json"
PREVIOUS_PROMPT_RUN = RUNS + "20261201T184052_yesno_qwen2.5-coder-1.5b-instruct-q4-k-m.json"
GAMING_RUN = RUNS + "20261202T162537_yesno_qwen2.5-coder-1.5b-instruct-q4-k-m.json"
SEALED_RUN = RUNS + "20261202T163734_yesno_qwen2.5-coder-1.5b-instruct-q4-k-m.json"
PAIRS = ["evals/samples/internet-bank-cs-manager-2026.jsonl", SEED_RUN, "evals/samples/gaming.jsonl", GAMING_RUN]
TINY = ["--answers", "16"]
BEETLE = [str(ROOT.parent / "shared" / "datasets" / "semeval2013-task7" / "merged" / f"beetle_{split}.jsonl") for split in ("test-unseen-answers", "train")]  # the first two questions' hand-graded answers
ONE_SPLIT = [*TINY, "--splits", "1"]

# Each case: the launcher's arguments for one or more runs (the script first); every script is in one.
CASES = {
    "anchors/analyse": [["anchors/analyse.py", EARLIER_RUN, *ONE_SPLIT]],
    "anchors/probe": [["anchors/probe.py", "--dry-run"], ["anchors/probe.py", "--dry-run", "--self-only", "evals/experiments/answer-context/self_anchors.jsonl"]],
    "answer-context/analyse": [["answer-context/analyse.py", SEED_RUN, *ONE_SPLIT]],
    "answer-rating/analyse": [["answer-rating/analyse.py", EARLIER_RUN, *TINY]],
    "answer-rating/probe": [["answer-rating/probe.py", "--dry-run", *TINY]],
    "evidence/shared_evidence": [["evidence/shared_evidence.py", *TINY]],
    "extra-probes/analyse": [["extra-probes/analyse.py", EARLIER_RUN, *ONE_SPLIT]],
    "extra-probes/probe": [["extra-probes/probe.py", "--dry-run", *TINY]],
    "gaming/analyse": [["gaming/analyse.py", *PAIRS, *ONE_SPLIT, "--only", "topic_list"]],
    "gaming/cap": [["gaming/cap.py", *PAIRS, *ONE_SPLIT]],
    "gaming/kinds_table": [["gaming/kinds_table.py", GAMING_RUN, *TINY]],
    "gaming/probe_keyword_anchor": [["gaming/probe_keyword_anchor.py", "--dry-run"]],
    "gaming/ramble": [["gaming/ramble.py", *TINY]],
    "gaming/reroute": [["gaming/reroute.py", GAMING_RUN, *TINY, "--resamples", "2"]],
    "gaming/routing": [
        ["gaming/routing.py", "p_yes,overlap,length,anchor,others", *PAIRS, *ONE_SPLIT, "--policies", "2"],
        ["gaming/routing.py", "p_yes,overlap,length,anchor,others", *PAIRS, *ONE_SPLIT, "--policies", "2", "--seed-only"],
    ],
    "gaming/sealed": [["gaming/sealed.py", SEALED_RUN, "--resamples", "2"]],
    "gaming/train_sets": [["gaming/train_sets.py", *PAIRS, *ONE_SPLIT]],
    "probe-phrasings/analyse": [["probe-phrasings/analyse.py", RUNS + "20261129T054725_yesno_qwen2.5-coder-1.5b-instruct-q4-k-m.json", "english", *TINY]],
    "probe-phrasings/probe": [["probe-phrasings/probe.py", "negated", "english", "--dry-run", *TINY]],
    "prompt-wording/analyse": [["prompt-wording/analyse.py", PREVIOUS_PROMPT_RUN, *ONE_SPLIT, "--wordings", "noexample", "three"]],
    "prompt-wording/probe": [["prompt-wording/probe.py", "three", "noexample", "--dry-run", *TINY], ["prompt-wording/probe.py", "actions", "--samples", "evals/samples/gaming.jsonl", "--dry-run", *TINY]],
    "prompt-wording/substitute": [["prompt-wording/substitute.py", "actions", GAMING_RUN, "{tmp}/gaming-actions.json"]],
    "prompt-wording/actions_by_kind": [
        ["prompt-wording/substitute.py", "actions", GAMING_RUN, "{tmp}/gaming-actions.json"],
        ["prompt-wording/actions_by_kind.py", GAMING_RUN, "{tmp}/gaming-actions.json"],
    ],
    "prompt-wording/timing": [["prompt-wording/timing.py", "english", "instructfirst", "--dry-run"]],
    "review-learning/curves": [["review-learning/curves.py", "--set", "handgraded", "--methods", "today,halfway", "--ks", "0,3", "--seeds", "1"]],
    "review-learning/method": [["review-learning/method.py"]],
    "review-learning/summarize": [["review-learning/summarize.py"]],
    "review-learning/make_review_sets": [
        ["grader data", "semeval", BEETLE[0], "--out", "{tmp}/beetle_test"],
        ["grader data", "semeval", BEETLE[1], "--out", "{tmp}/beetle_train"],
        ["review-learning/make_review_sets.py", "beetle", "{tmp}/beetle_test/samples.jsonl", "{tmp}/beetle_train/samples.jsonl", "{tmp}/beetle"],
    ],
}


@pytest.fixture
def no_model(monkeypatch):
    """Starting the offline model fails the test: these runs only read stored data."""

    def refuse(*args, **kwargs):
        raise AssertionError("an experiment script started the offline model in a test run")

    monkeypatch.setattr(local_model.LocalModelServer, "__init__", refuse)


@pytest.fixture
def quick_fits(monkeypatch):
    """The combiner fitted in 30 gradient steps instead of 800: these runs check that every script
    runs, not its figures, and the full fits would take minutes on two cores."""
    fit = Combiner.fit.__func__
    monkeypatch.setattr(Combiner, "fit", classmethod(lambda cls, rows, targets, **options: fit(cls, rows, targets, **{"steps": 30, **options})))


def test_every_script_has_a_case():
    assert sorted(CASES) == sorted(s.removesuffix(".py") for s in scripts())


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_script_runs_on_a_tiny_input(case, tmp_path, monkeypatch, capsys, no_model, quick_fits):
    monkeypatch.chdir(ROOT)  # the scripts name their files from the project root
    for argv in CASES[case]:
        argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
        if argv[0] == "grader data":  # a step the experiment's own commands take first
            assert grader_cli.main(["data", *argv[1:]]) == 0
            capsys.readouterr()
            continue
        monkeypatch.setattr(sys, "argv", list(sys.argv))  # the launcher sets it for the script
        launch(argv)
        printed = capsys.readouterr().out
        assert printed.strip(), f"{argv[0]} printed nothing"
        if "--dry-run" in argv:
            assert "prompts" in printed and '"role": "system"' in printed.replace("'", '"')


def test_the_launcher_runs_a_script_from_the_project_root_and_lists_them():
    listed = subprocess.run([sys.executable, "-m", "evals.experiments", "--help"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert all(script in listed for script in scripts())
    run = subprocess.run([sys.executable, "-m", "evals.experiments", "evidence/shared_evidence.py", "--answers", "8"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0 and "covered points" in run.stdout, run.stderr
    unknown = subprocess.run([sys.executable, "-m", "evals.experiments", "no/such.py"], cwd=ROOT, capture_output=True, text=True)
    assert unknown.returncode == 1 and "not an experiment script" in unknown.stderr


def test_no_script_edits_the_import_path():
    """The scripts import `grader` as installed and each other through `evals.experiments`."""
    for path in (ROOT / "evals" / "experiments").rglob("*.py"):
        assert "sys.path" not in path.read_text(encoding="utf-8"), path


def test_the_keyword_list_answer_lists_every_points_keywords(rubric):
    assert point_keywords("倾听并安抚客户情绪，记录并明确客户的核心诉求") == ["倾听", "安抚客户情绪", "记录", "明确客户的核心诉求"]
    assert point_keywords("实时向客户反馈进展，并提供临时解决方案（如线下柜台办理）") == ["实时向客户反馈进展", "提供临时解决方案"]
    question = rubric.question("behavioral-1")
    text = keyword_list_answer(question, "zh")
    assert text.startswith("这道题我的回答要点是：") and "安抚客户情绪、记录" in text
    assert all(any(k in text for k in point_keywords(p.text)) for p in question.points)


def test_the_grader_does_not_import_the_experiments():
    """The experiments are research on top of the product, never under it."""
    for path in (ROOT / "grader").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "import evals" not in text and "from evals" not in text, path
