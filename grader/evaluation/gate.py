"""Comparing runs: `grader eval --compare A B`, and the regression gate (`--baseline`, and CI's
tests/test_eval_gate.py) that fails when agreement fell by more than a margin."""

from __future__ import annotations

import math

from .metrics import HEADLINE, Metrics
from .runs import RunRecord


def compare(a: RunRecord, b: RunRecord) -> str:
    lines = [f"{'metric':<20} {'A':>8} {'B':>8} {'B-A':>8}", f"{'run':<20} {(a.run_id or '?')[:8]:>8} {(b.run_id or '?')[:8]:>8}"]
    for key in ("model", "strategy", "prompt_hash", "rubric_hash", "samples_hash"):
        if getattr(a, key) != getattr(b, key):
            lines.append(f"{key:<20} {str(getattr(a, key))[:20]} -> {str(getattr(b, key))[:20]}")
    for key in HEADLINE:
        va, vb = getattr(a.metrics, key), getattr(b.metrics, key)
        if va is not None and vb is not None:
            lines.append(f"{key:<20} {va:>8.3f} {vb:>8.3f} {vb - va:>+8.3f}")
    return "\n".join(lines)


def regression(baseline: RunRecord, current: Metrics, max_drop: float) -> list[str]:
    """Metrics that fell by more than `max_drop` against the baseline run. Fails closed: a baseline
    without a figure to compare (empty metrics, a missing or NaN kappa) is a failure."""
    failures = []
    for key, before, after in (
        ("point_kappa", baseline.metrics.point_kappa, current.point_kappa),
        ("score_qwk", baseline.metrics.score_qwk, current.score_qwk),
    ):
        if before is None or math.isnan(before):
            failures.append(f"the baseline {baseline.where} has no {key} to compare with (found {before!r}): nothing can be gated on it")
        elif after is None or math.isnan(after):
            failures.append(f"{key} is {after!r} now (baseline {before:.3f})")
        elif before - after > max_drop:
            failures.append(f"{key} fell from {before:.3f} to {after:.3f} (max drop {max_drop})")
    return failures
