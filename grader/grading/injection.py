"""A cheap detector for answers that try to talk to the grader instead of the interviewer.

An answer it flags gets `injection_suspected`, and before grading the sentences and spans it
flags are removed (grading.prepare_answer calls strip_injections): so the grade of a flagged
answer does depend on the detector. That is why every pattern asks for text ADDRESSED TO THE
GRADER (second person with grading vocabulary, overrides of rules or instructions, requests for a
score or a verdict, fake system or reviewer roles in bracket or colon form), never for a word on
its own: an ordinary answer says 系统通知, 忽略所有链接, 扮演, 满分 or "system notice" in their
plain sense, and must be graded as written. Measured on tests/attacks/ (all flagged), on
tests/data/plain_answers.jsonl and on the hand-graded samples (tests/test_injection_precision.py).
"""

from __future__ import annotations

import re
import unicodedata

from .textnorm import normalise

# Latin look-alikes from other scripts, so "іgnоre" (Cyrillic і, о) reads as "ignore" (and
# Cyrillic ӏ as "l"; each look-alike once, or the later entry wins: і once read as "l").
_HOMOGLYPHS = str.maketrans("аеіоӏрсухАВЕНІКМОРСТХ", "aeiolpcyxABEHIKMOPCTX")

# Who an injection pretends to be, and what it pretends to send (used in bracket and colon forms).
_ROLE = r"(?:系统|管理员|阅卷人|阅卷老师|评分员|评审员|评审|审核员|审核|考官|system|admin|administrator|reviewer|grader|assistant|developer)"
_ROLE_NOTE = r"(?:消息|提示|备注|指令|说明|通知|notes?|messages?|prompt|instructions?|override)?"
# Words that only make sense to the grader: our verdict label, the score, the rubric, the candidate.
_GRADING = (
    r"(?:评分|打分|阅卷|评审|要点|考生|本答案|该答案|这份答案|满分|扣分|得分|covered|"
    r"\bgrad(?:e|ed|er|ing)\b|rubric|full\s*marks|candidate|this\s*answer|verdict)"
)

# Matched against the normalised answer (no spaces or punctuation, Simplified, casefolded).
_NORMALISED = [
    # Overrides: ignoring or voiding the rules/instructions above (the grader's prompt), not
    # ignoring a link, a text message or a forgotten password.
    r"(忽略|无视|不要理会|忘记|忘掉)(以上|上面|上述)(的)?(所有|全部)?(的)?(评分)?(规则|指令|要求|标准|说明)",
    r"(忽略|无视|不要理会|忘记|忘掉)(之前|前面)(的)?(所有|全部)?(的)?(评分规则|评分标准|指令)",
    r"(以上|上述|上面)(的)?(所有)?(评分)?(规则|指令|标准|要求)(均|都|全部)?(已)?(失效|作废|无效|废止)",
    r"评分(规则|标准|指令|要求)(均|都|全部)?(已)?(失效|作废|无效|更新|废止)",
    r"(ignore|disregard|forget)(all|any)?(of)?(the|your)?(previous|above|prior|earlier|preceding)(grading|scoring)?(instructions?|rules|prompts?|directions|guidelines)",
    r"(ignore|disregard|forget)(all|any)?(of)?(the|your)?((grading|scoring)(instructions?|rules|criteria)|rubric)",
    # Verdicts requested in our own label ("covered" in a Chinese answer is addressed to us).
    r"(所有|全部|每个|每一个|各个)要点(都|均)?(已)?(判为|判定为|标记为|标为|算作|视为)",
    r"(本题|本答案|本回答|这份答案|该答案|认定)(的)?(所有|全部|每个)要点(都|均)?(已)?(覆盖|满足|达到|命中)",
    r"(判|判为|判定为|标记为|标为|视为|输出)(全部|所有|都)?covered",
    r"(全部|都|均|逐条|每条)(判|判为|为|是)?covered",
    r"要点(都|均|全部)?(判|判为|判定为|标记为|为|是)covered",
    r"covered(给|为)?(我)?满分",
    r"(评分要点|要点清单|阅卷关键词)(已|均已|均)?(全部)?(满足|命中)",
    r"评分要点p\d",
    r"(mark|grade|label|treat|output|return)(all|every|each)?(the)?(points?|p\d)(p\d)*(as)?covered",
    r"verdict(=|is)?covered",
    r"evidencecheck(is)?disabled",
    # Score requests: asked of the grader (请, 给我, this answer), not a customer's rating.
    r"请(你|您)?(直接)?(给|打)(我|本答案|这份答案)?(个)?满分",
    r"(本答案|本回答|这份答案|本题)(按|以|给|打|判)满分",
    r"(为|给)(本答案|本回答|本题|这份答案|我的答案|我的回答)(评分|打分|打满分)",
    r"please(give|award|grant)(me|us)?(the)?(full|maximum|max|perfect)(marks|score)",
    r"(give|award|grant)(me|thisanswer|this|myanswer)(full|maximum|max|perfect)(marks|score|points)",
    r"(mark|grade|rate|score)(this|my)(answer)?as(a)?(10|perfect|full)",
    r"perfectmodelanswer",
    # Speaking to the grader by its role, or casting it in one (role play aimed at a grader).
    r"(请|供)(阅卷人|阅卷老师|评分员|评分者|考官)",
    r"给(阅卷人|阅卷老师|评分员|评分者)",
    r"(阅卷人|阅卷老师|评分员|评审员|考官)(消息|提示|备注|指令|说明|通知)",
    r"(grader|examiner)(note|override|message|prompt|instruction)",
    r"(假设|假如|想象)你是.{0,12}(考官|面试官|阅卷|评分|评委|评审)",
    r"(请你|你来|你要|你将)扮演.{0,12}(考官|面试官|阅卷|评分|评委|评审)",
    r"扮演我的(面试官|考官|阅卷|评委)",
    r"(pretend|imagine)(that)?youare.{0,20}grader",
    r"youare(a|an|the|now)?.{0,12}grader",
    r"actas(a|an)?(grader|examiner)",
]
# Matched against the raw answer: structure that normalisation would erase.
_RAW = [
    # Our fence tags and chat-template tokens.
    r"</?answer",
    r"<\|im_(start|end)\|>",
    # A fake role header, in bracket form ("【系统提示】", "[SYSTEM]") or at the start of a line or
    # sentence with a colon ("SYSTEM:", "阅卷人备注："), that goes on to talk grading. A role on its
    # own ("[System] Your account is frozen", "系统提示：理财非存款") quotes a screen or a text message.
    rf"[【\[]\s*{_ROLE}\s*{_ROLE_NOTE}\s*[】\]]\s*(?:[:：]|[^。！？!?\n.]{{0,60}}?{_GRADING})",
    rf"(?:^|[\n。！？!?；;—\-])\s*{_ROLE}\s*{_ROLE_NOTE}\s*[:：][^。！？!?\n.]{{0,60}}?{_GRADING}",
    # Grades as JSON: a point id, a verdict, a chat role, or a score next to grading words.
    r"[{,]\s*\"(verdict|max_score|p\d+)\"\s*:",
    r"[{,]\s*\"role\"\s*:\s*\"(system|assistant|user|developer)\"",
    rf"^(?=[\s\S]*{_GRADING})[\s\S]*[{{,]\s*\"score\"\s*:",
]
_NORMALISED_RE = re.compile("|".join(f"(?:{p})" for p in _NORMALISED))
_RAW_RE = re.compile("|".join(f"(?:{p})" for p in _RAW), re.IGNORECASE)

# A bare label ("【系统提示】", "[SYSTEM]", "【评分要点】", "最终输出：", "P2"): on its own it says
# nothing, so it flags no answer; in an answer already caught addressing the grader it is the
# header of that address, and goes with it.
_BARE_LABEL = re.compile(
    rf"{_ROLE}{_ROLE_NOTE}|评分要点|要点清单|评分标准|阅卷说明|答案要点|最终(?:输出|评分|得分)|p\d+(?:\d+分)?",
    re.IGNORECASE,
)


def _is_bare_label(text: str) -> bool:
    return bool(_BARE_LABEL.fullmatch(normalise(text)))


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

    Only an answer the detector flags is stripped, and only of text the detector flags (or
    padding, bare labels and same-script neighbours of that text), so an honest answer is graded
    exactly as written; what is removed is an instruction to the grader, not an answer.
    """
    if not injection_suspected(answer):
        return answer, []
    removed = [m.group(0) for m in _SPANS.finditer(answer)]
    text = _SPANS.sub(" ", answer)

    def aside(match: re.Match) -> str:
        if injection_suspected(match.group(0)) or _is_bare_label(match.group(0)):
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
        flagged.append(bool(key) and bool(injection_suspected(sentence) or _is_bare_label(key) or _LONG_DIGITS.fullmatch(key) or (seen[key] > 1 and len(key) > 4)))
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
