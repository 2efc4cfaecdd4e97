"""Importers that turn public human-graded short-answer sets into our rubric + samples format,
so `grader eval` measures the grader on work nobody on this project wrote.

The data stay where they are (licences differ; see shared/datasets/README.md): importers write
to a folder of the user's choosing, never into the project.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import yaml

from ..files import write_text

# SemEval-2013 Task 7 "coverage" (from the 5-way label where known, else the 2-way one).
SEMEVAL_COVERAGE = {"covered": "covered", "partially_covered": "partial"}


def semeval_reference_text(references: list[dict]) -> str:
    """One rubric point: the reference answer, or Beetle's acceptable alternatives."""
    good = [r["text"] for r in references if r.get("category") in (None, "BEST", "GOOD")] or [r["text"] for r in references]
    if len(good) == 1:
        return good[0]
    return "Any of: " + " | ".join(dict.fromkeys(good))


def import_semeval(path: Path, out_dir: Path, limit: int | None = None, seed: int = 0) -> tuple[Path, Path]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if limit and limit < len(rows):
        rows = random.Random(seed).sample(rows, limit)
        rows.sort(key=lambda r: (r["question_id"], r["student_answer_id"]))
    questions: dict[str, dict] = {}
    samples = []
    for row in rows:
        qid = row["question_id"]
        questions.setdefault(
            qid,
            {"id": qid, "prompt": row["question"], "max_score": 1, "points": [{"id": "p1", "text": semeval_reference_text(row["reference_answers"]), "weight": 1}]},
        )
        label = SEMEVAL_COVERAGE.get(row["coverage"], "missing")
        samples.append(
            {
                "id": row["student_answer_id"],
                "question_id": qid,
                "answer": row["student_answer"],
                "labels": {"p1": label},
                "score": {"covered": 1.0, "partial": 0.5}.get(label, 0.0),
                "kind": row.get("label_5way") or row["label_3way"],
                "label_2way": row["label_2way"],
                "label_3way": row["label_3way"],
            }
        )
    corpus = rows[0]["corpus"] if rows else "semeval"
    split = rows[0]["split"] if rows else ""
    rubric = {
        "id": f"semeval2013-{corpus}-{split}".lower(),
        "title": f"SemEval-2013 Task 7 {corpus} {split} (CC BY-SA 3.0, Dzikovska et al. 2013)",
        "language": "en",
        "sections": [{"id": corpus.lower(), "title": corpus, "questions": list(questions.values())}],
    }
    return _write(out_dir, rubric, samples)


def import_reference_set(path: Path, out_dir: Path, limit: int | None = None, seed: int = 0) -> tuple[Path, Path]:
    """SAF (English/German) and the Chinese SAS sets: a question with reference answer(s) and an
    answer-level coverage label. The reference becomes the question's one point; coverage maps
    covered / partially_covered / anything else to covered / partial / missing."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if limit and limit < len(rows):
        rows = sorted(random.Random(seed).sample(rows, limit), key=lambda r: (str(r["question_id"]), str(r["student_answer_id"])))
    language = "zh" if rows and (rows[0].get("dataset") or rows[0].get("lang") == "zh") else "en"  # German uses the English prompt
    questions: dict[str, dict] = {}
    samples = []
    for row in rows:
        qid = str(row["question_id"])
        references = row["reference_answers"] if isinstance(row["reference_answers"], list) else [row["reference_answers"]]
        questions.setdefault(qid, {"id": qid, "prompt": row["question"], "max_score": 1, "points": [{"id": "p1", "text": " | ".join(references), "weight": 1}]})
        label = {"covered": "covered", "partially_covered": "partial"}.get(row["coverage"], "missing")
        samples.append(
            {
                "id": str(row["student_answer_id"]),
                "question_id": qid,
                "answer": row["student_answer"],
                "labels": {"p1": label},
                "score": {"covered": 1.0, "partial": 0.5}.get(label, 0.0),
                "kind": row.get("verification") or row["coverage"],
            }
        )
    name = rows[0].get("dataset") or f"saf-{rows[0].get('lang')}" if rows else path.stem
    rubric = {
        "id": f"{name}-{path.stem}".lower(),
        "title": f"{name} {path.stem} (see shared/datasets for licence and attribution)",
        "language": language,
        "sections": [{"id": "all", "title": str(name), "questions": list(questions.values())}],
    }
    return _write(out_dir, rubric, samples)


def _write(out_dir: Path, rubric: dict, samples: list[dict]) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    rubric_path = out_dir / "rubric.yaml"
    samples_path = out_dir / "samples.jsonl"
    write_text(rubric_path, yaml.safe_dump(rubric, allow_unicode=True, sort_keys=False))
    write_text(samples_path, "".join(json.dumps(s, ensure_ascii=False) + "\n" for s in samples))
    return rubric_path, samples_path
