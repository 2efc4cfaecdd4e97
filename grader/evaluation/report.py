"""Self-contained HTML report of an eval run (no external assets; inline SVG charts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..web import page_environment

from ..files import write_text
from ..rubric.model import Rubric
from .runs import RunRecord


def _heat(value: int, peak: int) -> str:
    alpha = 0.08 + 0.85 * (value / peak if peak else 0)
    return f"rgba(37, 99, 235, {alpha:.2f})"


def _trend_points(history: list[dict[str, Any]], key: str, width: int = 560, height: int = 160) -> str:
    values = [h.get(key) for h in history]
    if not values:
        return ""
    step = width / max(1, len(values) - 1)
    pts = []
    for i, v in enumerate(values):
        if isinstance(v, (int, float)):
            y = height - (max(-0.2, min(1.0, v)) + 0.2) / 1.2 * height
            pts.append(f"{i * step:.1f},{y:.1f}")
    return " ".join(pts)


def write_eval_report(path: Path, record: RunRecord, rubric: Rubric, history: list[dict[str, Any]]) -> None:
    env = page_environment()
    env.globals.update(heat=_heat, trend_points=_trend_points)
    confusion = record.metrics.confusion
    peak = max((v for row in confusion.matrix for v in row), default=0) if confusion else 0
    html = env.get_template("eval_report.html.j2").render(
        run=record, m=record.metrics, rubric=rubric, history=history, peak=peak,
        questions={q.id: q for q in rubric.questions()},
    )
    write_text(Path(path), html)  # whole or not at all
