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
    r"最终(输出|结果|评分|得分)$",
    r"评分要点p\d",
    r"(以这个身份|以此身份)(为|给)",
    r"^(评分要点|要点清单|评分标准|阅卷说明|答案要点)",
    r"^p\d+(\d+分)?$",
    r"(供|请|给)(阅卷人|阅卷老师|评分员|评分者|考官|评委)",
    r"(为|给)(本|这个|该)(答案|回答|题)(评分|打分|打满分)",
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
# chat-template tokens, our fence tags and banner delimiters ("### 结束 ###").
_SPANS = re.compile(
    r"\{[^{}]*\"(?:score|verdict|role|max_score|p\d+|content)\"[^{}]*(?:\{[^{}]*\}[^{}]*)*\}"
    r"|#{3,}[^#\n]{0,30}#{3,}"
    r"|<\|im_(?:start|end)\|>[^<]*"
    r"|</?answer[^>\s]*>?"
    r"|```|\"\"\"|<!--|-->",
    re.IGNORECASE,
)
# Sentences end at Chinese or English sentence punctuation (an English full stop only before a
# space, a Chinese character or the end, so that 0.5 stays one number).
_SENTENCE_END = re.compile(r"(?<=[。！？!?\n；;])|(?<=\.)(?=\s|[\u3400-\u9fff]|$)")
_ASIDE = re.compile(r"【[^【】]*】|\[[^\[\]]*\]|（[^（）]*）|\([^()]*\)")
_LONG_DIGITS = re.compile(r"\d{30,}")
_LATIN_WORD = re.compile(r"[A-Za-z]+")


def _han_share(text: str) -> float:
    """Han characters against Han characters plus Latin words (a word, not a letter, is what
    carries about as much as one Han character)."""
    han = sum("\u3400" <= c <= "\u9fff" for c in text)
    words = len(_LATIN_WORD.findall(text))
    return han / (han + words) if han + words else 0.0


def strip_injections(answer: str) -> tuple[str, list[str]]:
    """The answer without the sentences and spans that address the grader, and what was removed.

    Only text the detector flags is removed, so an honest answer is graded exactly as written;
    what is removed is an instruction to the grader, not an answer to the question.
    """
    removed = [m.group(0) for m in _SPANS.finditer(answer)]
    text = _SPANS.sub(" ", answer)

    def aside(match: re.Match) -> str:
        if injection_suspected(match.group(0)):
            removed.append(match.group(0))
            return ""
        return match.group(0)

    text = _ASIDE.sub(aside, text)
    sentences = _SENTENCE_END.split(text)
    flagged, seen, repeated = [], {}, set()
    for sentence in sentences:
        key = sentence.strip()
        # A copy of repeated padding cut short (where the attacker's paste ended) is a repeat too.
        if len(key) > 10 and key not in seen and any(r.startswith(key) for r in repeated):
            seen[key] = 1
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            repeated.add(key)
        # Padding that pushes the rubric out of context: long digit runs and sentences repeated
        # over and over carry no answer (a repeat adds nothing the first copy did not say); dropped
        # only in an answer already caught addressing us.
        flagged.append(bool(key) and bool(injection_suspected(sentence) or _LONG_DIGITS.fullmatch(key) or (seen[key] > 1 and len(key) > 4)))
    # A note to the grader in another script than the answer's runs on over several sentences:
    # take its neighbours in that script with it.
    chinese = _han_share("".join(s for s, f in zip(sentences, flagged) if not f)) > 0.3
    for _ in range(len(sentences)):
        grown = False
        for i, sentence in enumerate(sentences):
            if not flagged[i] and sentence.strip() and chinese and _han_share(sentence) < 0.1:
                if (i > 0 and flagged[i - 1]) or (i + 1 < len(sentences) and flagged[i + 1]):
                    flagged[i] = grown = True
        if not grown:
            break
    kept = [s for s, f in zip(sentences, flagged) if not f]
    removed += [s for s, f in zip(sentences, flagged) if f]
    cleaned = "".join(kept).strip()
    return (cleaned, removed) if removed else (answer, [])
