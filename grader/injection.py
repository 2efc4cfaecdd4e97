"""A cheap detector for answers that try to talk to the grader instead of the interviewer.

It only flags (`injection_suspected`): the grade never depends on it, because the prompt fences
the answer as data. Measured on tests/attacks/ and on the hand-graded samples (README).
"""

from __future__ import annotations

import re
import unicodedata

from .textnorm import normalise

# Latin look-alikes from other scripts, so "іgnоre" (Cyrillic і, о) reads as "ignore".
_HOMOGLYPHS = str.maketrans("аеіоірсухАВЕНІКМОРСТХ", "aeiolpcyxABEHIKMOPCTX")

# Matched against the normalised answer (no spaces or punctuation, Simplified, casefolded).
_NORMALISED = [
    r"(忽略|无视|不要理会|忘记|忘掉)(以上|上面|之前|前面|上述|所有|全部)",
    r"(以上|之前|原有|原来的|上述)(的)?(评分)?(规则|指令|标准|要求)(均|都|全部)?(已)?(失效|作废|无效|更新|废止)",
    r"(所有|全部|每个|每一个|各个)要点(都|均)?(已)?(判为|判定为|标记为|算作|视为|给|覆盖|满足)",
    r"(判|判为|判定为|标记为|标为|视为|输出)(全部|所有|都)?covered",
    r"(全部|都|均|逐条|每条)(判|判为|为|是)?covered",
    r"要点(都|均|全部)?(判|判为|判定为|标记为|为|是)covered",
    r"covered(给|为)?(我)?满分",
    r"(给我|请给|直接给|给|打)(我)?(个)?满分",
    r"(评分要点|要点清单|阅卷关键词|关键词)(已|均已)?(全部)?(满足|命中)",
    r"(系统|管理员|阅卷人|阅卷老师|评分员|审核员|考官|评委)(消息|提示|备注|指令|说明|通知)",
    r"(假设|假如|想象)你是",
    r"(请你|你来|现在)?扮演",
    r"ignore(all|any)?(the|your)?(previous|above|prior|earlier|preceding)",
    r"(disregard|forget)(all|any)?(the|your)?(previous|above|prior|grading|rubric|instructions|rules)",
    r"(mark|grade|label|treat|output|return)(all|every|each)?(the)?(points?|p\d)?(p\d)*(as)?covered",
    r"(mark|grade|rate|score)(this|the|my)?(answer)?as(a)?(10|perfect|full)",
    r"(give|award|grant)(me|this(answer)?|the(candidate)?)?(full|maximum|max|perfect)(marks|score|points)",
    r"(fullmarks|perfectscore|perfectmodelanswer)",
    r"(pretendyouare|youarenow|actas(a|an)?grader|letsplayagame|stayincharacter|respondas)",
    r"(reviewer|grader|system|admin|administrator)(note|override|message|prompt|instruction)",
    r"verdict(=|is)?covered",
    r"evidencecheck(is)?disabled",
]
# Matched against the raw answer: structure that normalisation would erase.
_RAW = [
    r"</?answer",
    r"<\|im_(start|end)\|>",
    r"\[\s*(system|admin|reviewer|grader)\s*\]",
    r"(^|\n)\s*(system|assistant|user)\s*[:：]",
    r"[{,]\s*\"(score|verdict|role|max_score|p\d+)\"\s*:",
    r"\b10\s*/\s*10\b",
]
_NORMALISED_RE = re.compile("|".join(f"(?:{p})" for p in _NORMALISED))
_RAW_RE = re.compile("|".join(f"(?:{p})" for p in _RAW), re.IGNORECASE)


def injection_suspected(answer: str) -> bool:
    raw = unicodedata.normalize("NFKC", answer).translate(_HOMOGLYPHS)
    return bool(_RAW_RE.search(raw) or _NORMALISED_RE.search(normalise(raw)))


# Spans that carry instructions rather than an answer: JSON-like objects naming grading fields,
# chat-template tokens and our fence tags.
_SPANS = re.compile(
    r"\{[^{}]*\"(?:score|verdict|role|max_score|p\d+|content)\"[^{}]*(?:\{[^{}]*\}[^{}]*)*\}"
    r"|<\|im_(?:start|end)\|>[^<]*"
    r"|</?answer[^>\s]*>?",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[^。！？!?\n；;]*(?:[。！？!?\n；;]+|$)")


def strip_injections(answer: str) -> tuple[str, list[str]]:
    """The answer without the sentences and spans that address the grader, and what was removed.

    Only text the detector flags is removed, so an honest answer is graded exactly as written;
    what is removed is an instruction to the grader, not an answer to the question.
    """
    removed = [m.group(0) for m in _SPANS.finditer(answer)]
    text = _SPANS.sub(" ", answer)
    kept = []
    for sentence in _SENTENCE.findall(text):
        if sentence.strip() and injection_suspected(sentence):
            removed.append(sentence)
        else:
            kept.append(sentence)
    cleaned = "".join(kept).strip()
    return (cleaned, removed) if removed else (answer, [])
