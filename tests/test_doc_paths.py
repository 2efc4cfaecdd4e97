"""Every repository path that a command's help or a doc names exists, so a moved module or a
renamed folder cannot leave the words behind (docs once named `grader/combiner.py` long after it
moved to `grader/grading/`)."""

import argparse
import re
from pathlib import Path

import pytest

from grader.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
TOP_FOLDERS = ("grader", "prompts", "rubrics", "evals", "tests", "docs", "benchmarks", "examples")
# A path starts at a known top folder (not inside a longer word, an URL or another path) and runs
# over path characters; "…" stands for the rest of a long run-record name.
PATH = re.compile(r"(?<![\w./~:-])(?:%s)/[\w./*…+-]*" % "|".join(TOP_FOLDERS))
# Paths the docs name as what a command writes or as a made-up example, not as files of the repository.
NOT_REPOSITORY_FILES = {
    "rubrics/x.yaml",  # `grader rubric import … -o rubrics/x.yaml`: the imported rubric
    "rubrics/old.yaml",  # `grader rubric diff rubrics/old.yaml rubrics/x.yaml`: an example
}
DOCS = ["README.md", *(str(p.relative_to(ROOT)) for p in sorted((ROOT / "docs").glob("*.md"))), *(str(p.relative_to(ROOT)) for p in sorted((ROOT / "evals").rglob("README.md")))]


def help_texts(parser: argparse.ArgumentParser, name: str = "grader"):
    """(command, text) for the description and every option's help of each (sub)command, as
    written (not line-wrapped, so no path is cut at a hyphen)."""
    yield name, " ".join(filter(None, (parser.description, parser.epilog)))
    for action in parser._actions:
        if action.help and action.help is not argparse.SUPPRESS:
            yield name, action.help
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                yield from help_texts(sub, f"{name} {sub_name}")


def named_paths(text: str) -> list[str]:
    return [match.group(0).rstrip(".,;:") for match in PATH.finditer(text)]


def exists(path: str) -> bool:
    if path in NOT_REPOSITORY_FILES:
        return True
    if "…" in path or "*" in path:
        pattern = path.split("…")[0] + "*" if "…" in path else path
        return any(ROOT.glob(pattern))
    return (ROOT / path).exists()


def test_paths_are_found_in_the_kinds_of_text_checked():
    assert named_paths("see `grader/grading/combiner.py`, and evals/runs/2026_….json.") == ["grader/grading/combiner.py", "evals/runs/2026_….json"]
    assert named_paths("../shared/datasets/x and https://x.org/docs/y and my_tests/z") == []
    assert not exists("grader/combiner.py") and exists("evals/runs/2026…") and exists("grader/grading/")


@pytest.mark.parametrize("doc", DOCS)
def test_every_path_a_doc_names_exists(doc):
    missing = sorted({p for p in named_paths((ROOT / doc).read_text(encoding="utf-8")) if not exists(p)})
    assert not missing, f"{doc} names paths that do not exist: {missing}"


def test_every_path_a_commands_help_names_exists():
    texts = list(help_texts(build_parser()))
    assert any(name == "grader calibrate" for name, _ in texts)  # the subcommands are walked
    missing = sorted({(name, p) for name, text in texts for p in named_paths(text) if not exists(p)})
    assert not missing, f"help texts name paths that do not exist: {missing}"
