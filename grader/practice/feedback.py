"""Candidate self-check: grade a practice answer, show point by point what it still misses (as
hints, not the model answer), and keep the attempts locally."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from pydantic import BaseModel, ConfigDict, ValidationError

from ..errors import InputError
from ..grading.results import AnswerGrade, Verdict
from ..jsonl import read_objects
from ..grading.routing import FORM_FLAGS
from ..rubric.model import Question, Rubric

UI_TEXT = {
    "zh": {
        "title": "面试答案自测",
        "pick": "选择题目",
        "answer": "你的回答",
        "submit": "提交评分",
        "grading": "正在评分（本地小模型约需 10–20 秒）…",
        "score": "得分",
        "covered": "已覆盖",
        "partial": "部分覆盖",
        "missing": "未覆盖",
        "hint": "提示",
        "history": "作答记录",
        "reveal": "查看完整要点",
        "offline": "评分在本机完成，答案不会离开你的电脑。",
        "external": "注意：已配置外部模型服务，提交的答案会发送到 {endpoint}。",
        "empty": "请先写下你的回答。",
        "attempt": "第 {n} 次",
        "keyword_list_suspected": "这个回答更像是在罗列要点的名称，而不是说你会怎么做。面试官不会为关键词给分，这里的分数会偏高：把每个要点写成你的具体行动、理由或事实。",
        "generic_ramble_suspected": "这个回答多是泛泛而谈（“……很重要”“要有……”），很少说你具体会做什么。这里的分数会偏高：把每个要点写成你的具体行动。",
    },
    "en": {
        "title": "Interview answer self-check",
        "pick": "Pick a question",
        "answer": "Your answer",
        "submit": "Grade my answer",
        "grading": "Grading (the offline model takes about 10-20 s)…",
        "score": "Score",
        "covered": "covered",
        "partial": "partly covered",
        "missing": "missing",
        "hint": "Hint",
        "history": "Attempts",
        "reveal": "Show the full points",
        "offline": "Grading runs on this computer; your answers do not leave it.",
        "external": "Note: an external model endpoint is configured; answers are sent to {endpoint}.",
        "empty": "Write your answer first.",
        "attempt": "attempt {n}",
        "keyword_list_suspected": "This answer reads as a list of the topics rather than what you would do. Interviewers do not mark keywords, so this score is too high: write each point as your concrete action, reason or fact.",
        "generic_ramble_suspected": "This answer is mostly generalities (\"… is important\", \"one should …\") and says little of what you would do. This score is too high: write each point as a concrete action.",
    },
}


def data_dir() -> Path:
    return Path(os.environ.get("GRADER_DATA_DIR") or Path.home() / ".local" / "share" / "grader")


def default_hint(question: Question, point_id: str) -> str:
    point = question.point(point_id)
    if point.hint:
        return point.hint
    # Without a written hint, name only the point's heading (the part before "：") if it has one.
    head = point.text.split("：")[0]
    return head if head != point.text else ("Think about another aspect of the question" if question.prompt.isascii() else "想想这道题还有哪个方面没答到")


def feedback(question: Question, grade: AnswerGrade, reveal: bool = False) -> dict[str, Any]:
    points = []
    for graded in grade.points:
        point = question.point(graded.id)
        item = {"id": graded.id, "verdict": graded.verdict.value, "weight": point.weight, "sentence": graded.evidence}
        if graded.verdict is not Verdict.covered:
            item["hint"] = default_hint(question, graded.id)
        if reveal:
            item["text"] = point.text
        points.append(item)
    return {
        "question_id": question.id,
        "status": grade.status,
        "score": grade.score,
        "max_score": grade.max_score,
        "error": grade.error,
        "points": points,
        # A form the grader over-grades (issue 15): the candidate is told the score is too high,
        # or practising would teach them to list keywords. UI_TEXT has a warning per FORM_FLAGS.
        "warnings": [f.value for f in FORM_FLAGS if f in grade.flags],
        "model": grade.model,
    }


class Attempt(BaseModel):
    """One line of the attempt log, as the history reads it."""

    model_config = ConfigDict(extra="allow")
    time: str
    rubric: str
    question_id: str
    score: float | None
    max_score: float


class AttemptLog:
    """Attempts as JSON lines in the user's data folder (nothing is sent anywhere).

    The log is the user's file and may be damaged (a line cut off, edited by hand, not UTF-8): a
    bad line is skipped with a warning naming file, line and field, once per process, so that
    the grade the candidate just paid for is still shown."""

    def __init__(self, path: Path | None = None, warn: Callable[[str], None] = lambda line: print(line, file=sys.stderr)):
        self.path = path or data_dir() / "attempts.jsonl"
        self._warn = warn
        self._warned: set[str] = set()

    def add(self, rubric: Rubric, question_id: str, answer: str, grade: AnswerGrade) -> None:
        record = {
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "rubric": rubric.id,
            "question_id": question_id,
            "score": grade.score,
            "max_score": grade.max_score,
            "answer": answer,
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
        except OSError as exc:  # a full disk or a read-only folder: the grade is still shown
            self._warn_once(f"practice history: {self.path}: attempt not kept: {exc.strerror or exc}")

    def history(self, rubric: Rubric, question_id: str) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        rows = []
        try:
            lines = list(read_objects(self.path))
        except InputError as exc:
            self._warn_once(f"practice history: {exc}; earlier attempts not shown")
            return []
        for number, data in lines:
            if isinstance(data, str):
                self._warn_once(f"practice history: {data}; line skipped")
                continue
            try:
                attempt = Attempt.model_validate(data)
            except ValidationError as exc:
                fields = "; ".join(f"field {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
                self._warn_once(f"practice history: {self.path}:{number}: {fields}; line skipped")
                continue
            if attempt.rubric == rubric.id and attempt.question_id == question_id:
                rows.append(attempt.model_dump())
        return rows

    def _warn_once(self, message: str) -> None:
        if message not in self._warned:
            self._warned.add(message)
            self._warn(message)


def format_feedback(result: dict[str, Any], language: str, history: list[dict[str, Any]]) -> str:
    t = UI_TEXT[language]
    if result["status"] != "scored":
        return f"unscored: {result['error']}"
    lines = [f"{t['score']}: {result['score']:g} / {result['max_score']:g}", ""]
    lines += [f"! {t[w]}" for w in result.get("warnings", [])] + ([""] if result.get("warnings") else [])
    marks = {"covered": "✔", "partial": "◐", "missing": "✘"}
    for p in result["points"]:
        lines.append(f"{marks[p['verdict']]} {p['id']} {t[p['verdict']]} ({p['weight']:g})")
        if p["sentence"]:
            lines.append(f"    “{p['sentence']}”")
        if p.get("hint"):
            lines.append(f"    {t['hint']}: {p['hint']}")
        if p.get("text"):
            lines.append(f"    = {p['text']}")
    if len(history) > 1:
        lines += ["", f"{t['history']}: " + "  ".join(f"{t['attempt'].format(n=i)} {h['score']:g}" for i, h in enumerate(history, 1) if h["score"] is not None)]
    return "\n".join(lines)
