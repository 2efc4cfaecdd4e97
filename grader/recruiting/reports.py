"""A run's reports: ranking.csv and .xlsx (formula-safe), grades.jsonl and a self-contained HTML report."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any

from ..files import open_replacing, replacing, write_text
from ..grading.results import BatchSummary
from ..rubric.model import Rubric
from .batch_record import BatchRunRecord
from .ranking import CandidateResult


# A cell starting with one of these is a formula to Excel and LibreOffice (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, quoted with a leading ' (OWASP)."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def write_reports(run_dir: Path, rubric: Rubric, results: list[CandidateResult], stats: BatchSummary, meta: BatchRunRecord) -> list[Path]:
    """Each report is written whole or not at all (`grader.files`): a run killed here leaves the
    previous complete report, or none."""
    run_dir.mkdir(parents=True, exist_ok=True)
    qids = [q.id for q in rubric.questions()]
    # Question cells hold the reviewed score where a person reviewed the answer; the `reviewed`
    # column names those questions.
    header = ["rank", "candidate", "total", *[s.id for s in rubric.sections], *qids, "needs_review", "reviewed", "notes"]
    blank = lambda v: "" if v is None else v  # noqa: E731 - no score is an empty cell, never 0
    table = [
        [blank(r.rank), r.candidate, blank(r.total), *[blank(r.sections[s.id]) for s in rubric.sections], *[blank(r.questions.get(q)) for q in qids], " ".join(r.needs_review), " ".join(r.reviewed), "; ".join(r.notes)]
        for r in results
    ]
    paths = []
    csv_path = run_dir / "ranking.csv"
    with open_replacing(csv_path, encoding="utf-8-sig", newline="") as f:  # BOM: Excel opens it as UTF-8
        csv.writer(f).writerows([[csv_safe(v) for v in row] for row in [header, *table]])
    paths.append(csv_path)
    try:
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "ranking"
        for row in [header, *table]:
            sheet.append(row)
            for cell in sheet[sheet.max_row]:
                if cell.data_type == "f":  # openpyxl made a formula of text starting with "=": keep it text
                    cell.data_type = "s"
                    cell.quotePrefix = True
        xlsx_path = run_dir / "ranking.xlsx"
        with replacing(xlsx_path) as tmp:
            book.save(tmp)
        paths.append(xlsx_path)
    except ImportError:
        print("openpyxl not installed: ranking.xlsx skipped", file=sys.stderr)
    jsonl_path = run_dir / "grades.jsonl"
    with open_replacing(jsonl_path) as f:
        for r in results:
            for row in r.answers:
                extra = {"review": row.review.as_json()} if row.review is not None else {}
                f.write(json.dumps({"candidate": r.candidate, "answer": row.answer, "flags": row.flags, **row.grade.model_dump(mode="json"), **extra}, ensure_ascii=False) + "\n")
    paths.append(jsonl_path)
    from ..web import page_environment

    html = page_environment().get_template("batch_report.html.j2").render(rubric=rubric, results=results, stats=stats, meta=meta, questions={q.id: q for q in rubric.questions()})
    html_path = run_dir / "report.html"
    write_text(html_path, html)
    paths.append(html_path)
    return paths
