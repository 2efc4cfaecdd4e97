"""A cheap detector for answers that try to talk to the grader instead of the interviewer.

It only flags: the grade itself never depends on it (the prompt fences the answer as data).
"""

from __future__ import annotations

import re

from .textnorm import normalise

# Matched against the normalised answer (no spaces or punctuation, Simplified, casefolded).
_PATTERNS = [
    r"忽略(以上|上面|之前|前面|所有|全部)?(的)?(指令|规则|要求|评分|提示|说明)",
    r"(无视|不要理会)(以上|上面|之前|前面)",
    r"(所有|全部|每个)要点(都)?(判为|判定为|标记为|算作|视为|给)",
    r"(给我|请给|直接给|打)满分",
    r"(系统|管理员|阅卷人|评分员|审核员|reviewer|system)(消息|提示|备注|指令|note|message|prompt)",
    r"ignore(all)?(the)?(previous|above|prior)",
    r"disregard(all)?(the)?(previous|above|prior|rubric)",
    r"(mark|grade|label)(all|every)(the)?points?(as)?covered",
    r"(give|award)(me|this(answer)?)?(full|maximum|max)(marks|score|points)",
    r"verdictcovered",
    r"answer[0-9a-f]{6,}",  # an attempt to open or close our answer fence
    r"\bassistant\b|\bsystem\b:?",
]
_REGEX = re.compile("|".join(f"(?:{p})" for p in _PATTERNS))


def injection_suspected(answer: str) -> bool:
    return bool(_REGEX.search(normalise(answer))) or "</answer" in answer.casefold()
