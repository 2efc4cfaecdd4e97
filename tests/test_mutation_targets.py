"""The mutation check (benchmarks/mutation_check.py) still finds what it mutates: after the
package moved into subpackages, five of its fourteen targets had silently gone stale."""

import importlib.util

import pytest

from .conftest import ROOT

spec = importlib.util.spec_from_file_location("mutation_check", ROOT / "benchmarks" / "mutation_check.py")
mutation_check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mutation_check)


@pytest.mark.parametrize("name", list(mutation_check.MUTATIONS))
def test_each_mutation_finds_its_text_once_and_its_tests(name):
    path, old, new, tests = mutation_check.MUTATIONS[name]
    assert (ROOT / path).read_text(encoding="utf-8").count(old) == 1, f"{name}: {path} no longer holds the text to mutate"
    assert old != new and all((ROOT / t).is_file() for t in tests)
