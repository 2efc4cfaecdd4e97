"""Mutation check: turn off one safeguard at a time in a scratch copy of the repository, run the
tests that guard it there, and report which mutations survive (the tests stayed green).

    python benchmarks/mutation_check.py [NAME ...]

The working tree is never changed: each mutation gets a fresh copy in a temporary folder, run with
this interpreter (`python -m pytest` puts the copy first on sys.path). Exit 1 if any survives.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# name: (file, text to replace, replacement, test files that must then fail)
MUTATIONS = {
    "report pages without HTML escaping": (
        "grader/web.py", 'autoescape=select_autoescape(["html", "j2"])', "autoescape=False", ["tests/test_guards.py"]),
    "unscored answer scored 0 in MAE/QWK": (
        "grader/evaluation/metrics.py", "return 0.0 if human >= max_score / 2 else max_score  # the worst plausible error", "return 0.0",
        ["tests/test_guards.py", "tests/test_eval_harness.py"]),
    "input and output prices swapped": (
        "grader/grading/results.py", "grade.usage.prompt_tokens * prices_per_million[0] + grade.usage.completion_tokens * prices_per_million[1]",
        "grade.usage.prompt_tokens * prices_per_million[1] + grade.usage.completion_tokens * prices_per_million[0]", ["tests/test_guards.py"]),
    "--provider-batch with a strategy that cannot batch": (
        "grader/recruiting/batch.py", "not STRATEGIES[strategy].capabilities.batch_api", "False",
        ["tests/test_guards.py", "tests/test_provider_batch.py"]),
    "spreadsheet formulas kept as formulas": (
        "grader/recruiting/reports.py", 'if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value', "if False else value",
        ["tests/test_hardening.py"]),
    "unscored answer counted 0 in section totals": (
        "grader/recruiting/ranking.py", "sections[s.id] = None if missing else", "sections[s.id] =", ["tests/test_hardening.py", "tests/test_candidates.py"]),
    "csv field size limit left at 131,072": (
        "grader/recruiting/inputs.py", "csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))", "pass", ["tests/test_hardening.py"]),
    "YAML anchors and aliases accepted": (
        "grader/rubric/model.py", 'if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):', "if False:", ["tests/test_hardening.py"]),
    "keys not masked in error messages": (
        "grader/cli/__init__.py", 'print(mask_secrets(f"error: {message}"), file=sys.stderr)', 'print(f"error: {message}", file=sys.stderr)',
        ["tests/test_hardening.py", "tests/test_secrets.py"]),
    "--redact without self-introductions": (
        "grader/grading/redact.py", "    for pattern in _name_patterns():\n        text = pattern.sub(NAME, text)\n", "",
        ["tests/test_hardening.py", "tests/test_redact.py"]),
    "--redact left to each command (not in the grader)": (
        "grader/grading/strategies.py", "    if redact:\n        written = text = redaction.redact(text)\n", "",
        ["tests/test_hardening2_privacy.py"]),
    "rubric import overwrites in place": (
        "grader/rubric/importer.py", "    if out.exists() and not force:", "    if False:", ["tests/test_hardening.py"]),
    "workers outlive the main process": (
        "grader/recruiting/runner.py", "            die_with_parent(parent_pid)\n", "", ["tests/test_batch_kill.py"]),
    "a worker that dies without reporting counted as done": (
        "grader/recruiting/runner.py", 'outcome = f"worker {number} exited with code {process.exitcode} before reporting"', "outcome = BatchSummary()",
        ["tests/test_candidates.py"]),
    "long rambles of generalities not routed": (
        "grader/grading/routing.py", "Flag.generic_ramble_suspected: lambda: policy.looks_like_generic_ramble(answer),", "Flag.generic_ramble_suspected: lambda: False,",
        ["tests/test_gaming_and_routing.py"]),
    "run folder not locked": (
        "grader/recruiting/batch.py", "    lock = lock_run_folder(options.output)", "    lock = open(__import__('os').devnull)", ["tests/test_batch_kill.py"]),
}

IGNORE = shutil.ignore_patterns(".git", ".venv", "__pycache__", ".pytest_cache", "*.egg-info", "evals/runs", "node_modules")


def run_one(name: str, scratch_parent: Path) -> tuple[bool, float, str]:
    """(survived, seconds, last line of pytest's output)."""
    path, old, new, tests = MUTATIONS[name]
    copy = Path(tempfile.mkdtemp(dir=scratch_parent))
    shutil.copytree(ROOT, copy / "repo", ignore=IGNORE)
    target = copy / "repo" / path
    text = target.read_text(encoding="utf-8")
    if text.count(old) != 1:
        raise SystemExit(f"{name}: {path} no longer contains the text to mutate exactly once; update MUTATIONS")
    target.write_text(text.replace(old, new), encoding="utf-8")
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-m", "not live", "-p", "no:cacheprovider", "-o", "timeout=300", *tests],
        cwd=copy / "repo", capture_output=True, text=True, timeout=900,
    )
    shutil.rmtree(copy, ignore_errors=True)
    last = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
    return done.returncode == 0, time.monotonic() - started, last


def main(argv: list[str]) -> int:
    names = argv or list(MUTATIONS)
    survivors = []
    with tempfile.TemporaryDirectory(prefix="mutation-check-") as scratch:
        for name in names:
            survived, seconds, last = run_one(name, Path(scratch))
            print(f"{'SURVIVED' if survived else 'killed  '}  {name:<50} {seconds:5.1f} s  ({last})", flush=True)
            survivors += [name] * survived
    print(f"{len(names) - len(survivors)} of {len(names)} mutations killed; {len(survivors)} survived" + (f": {', '.join(survivors)}" if survivors else ""))
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
