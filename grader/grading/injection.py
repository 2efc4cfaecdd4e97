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

import base64
import binascii
import re
import unicodedata

from ..textnorm import normalise

# Latin look-alikes from other scripts, so "іgnоre" (Cyrillic і, о) reads as "ignore" (and
# Cyrillic ӏ as "l"; each look-alike once, or the later entry wins: і once read as "l"): Cyrillic,
# Greek, Armenian, Cherokee and the Latin small capitals (ɪɢɴᴏʀᴇ), which NFKC leaves as they are.
_HOMOGLYPHS = str.maketrans(
    "аеіоӏрсухАВЕНІКМОРСТХѕјԁһԛԝѵӀ" "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧαεικνοτυχ" "օսհոԁ" "ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘǫʀꜱᴛᴜᴠᴡʏᴢıɑ"
    "ᎪᏴᏟᎬᎻᎥᏆᎫᏦᏞᎷᏢᏚᎢᏔᏙᏃꭵꮃꮪꮯꮇꮋ",
    "aeiolpcyxABEHIKMOPCTXsjdhqwvl" "ABEZHIKMNOPTYXaeikvotux" "ouhnd" "abcdefghijklmnopqrstuvwyzia"
    "ABCEHiIJKLMPSTWVZiwscmh",
)
# Characters that show nothing (zero-width, joiners, bidi controls, fillers, variation selectors,
# the Unicode tag block): dropped before detection, so that 忽\u200b略 reads as 忽略. Tag
# characters (U+E0020-E007E) spell ASCII invisibly; what they spell is read too.
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e007f\U000e0100-\U000e01ef]"
)
_TAGS = re.compile("[\U000e0020-\U000e007e]+")
# Leetspeak digits and signs read as letters: 1 as i ("g1ve"), and 11 as ll ("fu11"); in a second
# reading every 1 as l. Read only in a text with a word that mixes letters and such signs.
_LEET_I, _LEET_L = str.maketrans("0134567@$!8", "oieasgtasib"), str.maketrans("0134567@$!8", "oleasgtasib")
_LEET = (lambda word: word.replace("11", "ll").translate(_LEET_I), lambda word: word.translate(_LEET_L))
_LEET_WORD = re.compile(r"(?=[A-Za-z0-9@$!]*[A-Za-z])[A-Za-z0-9@$!]*[0-9@$!][A-Za-z0-9@$!]*")
_LEET_ANY = re.compile(r"[A-Za-z0-9@$!]+")
# A base64 run long enough to carry a sentence.
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{16,}={0,2}(?![A-Za-z0-9+/=])")

# Who an injection pretends to be, and what it pretends to send (used in bracket and colon forms).
_ROLE = r"(?:系统|管理员|阅卷人|阅卷老师|评分员|评审员|评审|审核员|审核|考官|system|admin|administrator|reviewer|grader|assistant|developer)"
_ROLE_NOTE = r"(?:消息|提示|备注|指令|说明|通知|notes?|messages?|prompt|instructions?|override)?"
# Words that only make sense to the grader: our verdict label, the score, the rubric, the candidate.
_GRADING = (
    r"(?:评分|打分|阅卷|评审|要点|考生|本答案|该答案|这份答案|满分|扣分|得分|covered|候选人|考核点|评估|最高分|"
    r"\bgrad(?:e|ed|er|ing)\b|rubric|full\s*marks|candidate|this\s*answer|verdict|assessor|evaluator|criteri)"
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
    r"(标准答案|参考答案)(的)?(每一点|每一条|所有要点|全部要点|各点|每个要点).{0,10}(均|都)?(已)?(涵盖|覆盖|包含|满足)",
    r"(本答案|本回答|这份答案|该答案|考生作答|考生的回答)(与|和)(参考答案|标准答案)(完全)?(一致|相同|吻合)",
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
    # The same, reworded: other verbs of ignoring, other names for the rules, other top scores.
    r"(不必理会|不用理会|无需理会|不予理会|不用管|别管|抛开|撇开|跳过|略过|忽视|忽略|无视|置之不理)(前文|前面|上文|上面|以上|上述|先前|此前|之前|前述|原来|原先|原有)(的)?(给你|给您|交给你|你收到|你得到)?(的)?(一切|所有|全部)?(的)?(评判|评价|评分|打分|考核|评估)?(准则|标准|规则|指令|要求|说明|指示)",
    r"(把|将)(这份|本份|该份|本|此|我的)(作答|回答|答案|答卷|回复)(评为|判为|打成|记为|定为|给)(最高档|最高分|满分|最高等级|最高评级|满档)",
    r"(前面|以上|上述|之前|先前|上面)(那些|这些|的)?(打分|评分|评判|阅卷)(规矩|规则|标准|要求|指令)(都|全|全部|一律)?(不用管|不用理|不必管|作废|不算|无效|不必遵守|可以忽略|忽略)",
    r"(直接|就)(判|判为|判定为)(我|本题|这题|本答案)?(满分|最高分|covered)",
    r"(评分|打分|阅卷|评估|评审)(系统|老师|人员|的人|者|员|官|模型).{0,12}(给|打|判).{0,8}(满分|最高分|covered)",
    r"(ignore|disregard|forget|setaside|overlook|paynoattentionto|skip|bypass|discard)(all)?(of)?(the|your|any)(instructions?|rules|guidelines|directives?|criteria|prompts?|guidance)(that)?(you|youve)(were|have|havebeen|was|are)?(been)?(given|told|provided|shown|received)",
    r"(rate|score|grade|mark)(this|it|me|myanswer|thisanswer|thisresponse)(a|as)?(perfect|full|maximum|top)?(10|ten|100|fullmarks|perfect)",
    r"(treat|regard|consider|mark|score|grade|rate)(this|the|my)(submission|answer|response|reply)(as)(a)?(flawless|perfect|excellent|complete|fullmarks|fullycorrect|modelanswer|10|ten)",
    r"(discount|ignore|disregard|setaside|overlook)(all|any|every)(earlier|previous|prior|preceding|other)(guidance|instructions?|rules|directives?|criteria|guidelines)",
    r"(the)?(ai|model|system|bot|llm|grader)(that|which|who)?(is)?(grading|scoring|marking|evaluating|assessing|reviewing|reading)(this|these|my|the)",
    r"(ignore|disregard|forget|setaside|paynoattentionto|overlook|skip|bypass|discard|neglect|dontfollow|donotfollow|stopfollowing)(all|any|everything)?(of)?(the|your|that)?(stated|said|written|given)?(preceding|prior|earlier|above|previous|foregoing|original|initial|system)(grading|scoring)?(guidance|directives?|criteria|instructions?|rules|prompts?|guidelines|orders|constraints)",
    r"(ignore|disregard|forget|setaside|overlook|paynoattentionto)(everything|anything|all)(stated|said|written|mentioned)?(earlier|before|above|previously)",
    r"请.{0,6}(给予|给出|评为|评定为|记为|打出|按)(本|这份|该份|此|这)?(份)?(作答|回答|答案|答卷|回复)?.{0,4}(最高分|最高评级|最高等级|最高档|满分)",
    r"(给予|给)(这份|本份|该份|本|此)(作答|回答|答案|答卷|回复)(以)?(最高分|最高评级|最高等级|最高档|满分)",
    r"(每|所有|全部|各)(一|个|项|条)?(考核点|评分点|得分点|考察点|评分项)(都|均|全部)?(应|应该|请|要)?(已)?(记为|记作|视为|判为|判定为|算作|标记为|评为)?(已)?(满足|达成|覆盖|达到|命中)",
    r"(assign|award|give|grant|record)(this|the|my)?(response|answer|submission|reply|candidate)?(the|a)?(maximum|highest|top|perfect|full|best)(possible)?(rating|score|grade|marks?|band)",
    r"(give|award|grant)(this|the)(agent|candidate|answer|response|employee|person|staff|rep)?(a)?(full|maximum|perfect)(marks|score|points)",
    r"(score|mark|grade|rate|record)(every|each|all)(the)?(criteri\w*|points?|items?|requirements?)(as)?(fully)?(met|satisfied|covered|fulfilled|complete)",
    r"(every|each|all)(the)?(criterion|criteria|points?|requirements?|rubricitems?)(should|must|shall|willbe|are|is)?(be)?(recorded|marked|scored|graded|rated|counted|treated)(as)?(fully)?(satisfied|met|fulfilled|achieved|covered|complete)",
    # Someone from HR, or a customer, passing a request on to whoever grades.
    r"(人力资源|人事部|招聘部|招聘负责人|hr).{0,30}(候选人|考生|该生|candidate|applicant).{0,30}(录用|内定|通过|内推|批准|高分|满分|最高|approved|hired|selected)",
    r"(hr|humanresources|recruit\w*|hiringmanager|hiringteam|hiringcommittee).{0,60}(approved|preapproved|hired|selected|decided|confirmed|signedoff|toppick|preferred|favou?rite|shortlisted|referred|referral).{0,60}(score|mark|rate|grade|criteri|points?|accordingly)",
    r"(告诉|转告|致|转达|请)(给)?(评分|打分|阅卷|评估|评审|评卷|判卷)(的)?(人|者|人员|老师|员|官)",
    r"(whoever|anyone|theperson|those)(who)?(is|are)?(grades?|grading|marks?|marking|scores?|scoring|evaluates?|evaluating|assess(es)?|assessing|reviews?|reviewing)(this|these|my|the)",
    r"(noteto|dear|attention|hello|hi)(the)?(assessor|evaluator|grader|marker|examiner|scorer|rater|aievaluator|reviewer)",
    # Pinyin (tone marks dropped, ü as u or v).
    r"(hulue|hulve|wushi|wangji|buyaolihui)(yishang|shangmian|shangshu|qianmian|zhiqian).{0,20}(guize|zhiling|yaoqiu|biaozhun|shuoming)",
    r"(gei|da)(wo|ni|bendaan|zhefendaan)(ge)?manfen",
    r"qing(ni|nin)?(zhijie)?(gei|da)(wo|ni|bendaan|zhefendaan)?(ge)?manfen",
    r"(bendaan|zhefendaan|zhegedaan|wodedaan|wodehuida)(yinggai|yingdang|keyi|zhide)?(de|ping|pingwei|gei|dedao|na)?manfen",
    r"(ba|jiang)(zhefen|ben|zhege|wode)(daan|huida)(pingwei|panwei|dawei|gei|da|pan)(manfen|zuigaofen)",
    r"(pingfenyuan|yuejuanlaoshi|yuejuanren|kaoguan)(qing|ni|nin)",
    r"(suoyou|quanbu|meige)(de)?yaodian.{0,8}(panwei|pan|biaowei|suanzuo)",
    r"(qing|gei|xiexie)(kaoguan|yuejuanren|yuejuanlaoshi|pingfenyuan)",
    r"pingfen(guize|biaozhun)(yi)?(shixiao|zuofei|wuxiao)",
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
    # An HTML comment that talks grading, or to the one who grades: no interview answer holds one.
    rf"<!--(?:(?!-->)[\s\S]){{0,400}}?(?:{_GRADING}|grader|marker|examiner|reviewer|\bAI\b|model|评委|审核|考官)",
    # A pasted "reference answer", and a table of verdicts (| p1 | covered |).
    r"(?:(?:参考|标准|满分|官方|示范|范例|正确)(?:评分)?答案|评分答案|评分参考)\s*(?:[:：（(]|[】\]])",
    r"\b(?:model|reference|sample|ideal|expected|official|correct|marking[\s-]*guide|marking[\s-]*scheme|grading[\s-]*guide|scoring[\s-]*guide)\s*(?:answer|response|solution)s?\s*(?:[:：(]|[\]】])|\banswer\s*key\s*[:：(]",
    r"\|\s*(?:p\d+|要点\s*\d*|points?\s*\d*|criteri(?:on|a)\s*\d*|考核点\s*\d*|评分点\s*\d*|得分点\s*\d*)\s*\|[^\n]*?(?:covered|partial|missing|\bmet\b|已覆盖|覆盖|满足|✓|✔|√|✅|☑|满分|\d+\s*分)",
    r"\|\s*(?:要点|points?|criteri(?:on|a)|考核点|评分点|得分点|考察点)\s*\|\s*(?:判定|结果|verdict|status|得分|score|评分|结论|met|covered|达成|是否)",
    r"\|[^|\n]{1,40}\|\s*(?:✅|☑|✔|✓|√)\s*\|",
    # A bracketed note from HR about the candidate.
    r"[【\[]\s*(?:HR|人力资源|人事|招聘)[^】\]]{0,8}[】\]][^。！？!?\n]{0,60}?(?:候选人|考生|candidate|满分|高分|评为|score)",
]
# Searched one by one: each pattern's literal prefix makes it fast; one alternation of them all
# tries every pattern at every position (15 times slower on the ordinary answers).
_NORMALISED_RES = [re.compile(p) for p in _NORMALISED]
_RAW_RES = [re.compile(p, re.IGNORECASE) for p in _RAW]


def _any(patterns: list[re.Pattern], text: str) -> bool:
    return any(p.search(text) for p in patterns)

# A bare label ("【系统提示】", "[SYSTEM]", "【评分要点】", "最终输出：", "P2"): on its own it says
# nothing, so it flags no answer; in an answer already caught addressing the grader it is the
# header of that address, and goes with it.
_BARE_LABEL = re.compile(
    rf"{_ROLE}{_ROLE_NOTE}|评分要点|要点清单|评分标准|阅卷说明|答案要点|最终(?:输出|评分|得分)|p\d+(?:\d+分)?",
    re.IGNORECASE,
)


def _is_bare_label(text: str) -> bool:
    return bool(_BARE_LABEL.fullmatch(normalise(text)))


def readable(answer: str) -> str:
    """The answer as a reader sees it: NFKC (full width, mathematical letters), look-alike letters
    from other scripts as Latin, invisible characters dropped, and what tag characters spell
    appended (they show nothing, yet a model reads them)."""
    hidden = "".join(chr(ord(c) - 0xE0000) for run in _TAGS.findall(answer) for c in run)
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", answer)).translate(_HOMOGLYPHS)
    return f"{text}\n{hidden}" if hidden else text


def _without_marks(text: str) -> str:
    """Latin letters without their accents: pinyin's tone marks (ǐ, ü as u), "ïgnörè"."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _decoded_base64(text: str) -> list[str]:
    decoded = []
    for run in _BASE64.findall(text):
        try:
            plain = base64.b64decode(run + "=" * (-len(run) % 4), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
        if plain.isprintable() or all(c.isprintable() or c.isspace() for c in plain):
            decoded.append(plain)
    return decoded


_TONED = re.compile("[\u00c0-\u024f\u1e00-\u1eff]")


def injection_suspected(answer: str, _depth: int = 0) -> bool:
    raw = readable(answer)
    if _any(_RAW_RES, raw):
        return True
    plain = normalise(raw)
    # The same instruction disguised: reversed, in pinyin with tone marks, in leetspeak, in base64.
    variants = [plain, plain[::-1]]
    if _TONED.search(raw):
        variants.append(normalise(_without_marks(raw)))
    if _LEET_WORD.search(raw):
        variants += [normalise(_LEET_ANY.sub(lambda m: read(m.group(0)), raw)) for read in _LEET]
    if any(_any(_NORMALISED_RES, v) for v in variants):
        return True
    return _depth < 2 and any(injection_suspected(decoded, _depth + 1) for decoded in _decoded_base64(raw))


# Spans that carry instructions rather than an answer: JSON-like objects naming grading fields,
# chat-template tokens, our fence tags and banner delimiters ("### 结束 ###").
_SPANS = re.compile(
    r"<!--(?:(?!-->)[\s\S]){0,2000}-->"
    r"|[\U000e0020-\U000e007e]+"
    r"|\{[^{}]*\"(?:score|verdict|role|max_score|p\d+|content)\"[^{}]*(?:\{[^{}]*\}[^{}]*)*\}"
    r"|#{3,}[^#\n]{0,30}#{3,}"
    r"|<\|im_(?:start|end)\|>[^<]*"
    r"|</?answer[^>\s]*>?"
    r"|```|\"\"\"|<!--|-->",
    re.IGNORECASE,
)
# Sentences end at Chinese or English sentence punctuation (an English full stop only before a
# space, a Chinese character or the end, so that 0.5 stays one number).
_SENTENCE_END = re.compile(r"(?<=[。！？!?\n；;])|(?<=\.)(?=\s|[\u3400-\u9fff]|$)")
# A pasted reference answer under a bracketed label ("【标准答案】…"): its sentence goes with it.
_REFERENCE_LABEL = re.compile(r"[【\[（(]\s*(?:参考答案|标准答案|满分答案|官方答案|示范答案|范例答案|reference\s*answer|model\s*answer)\s*[】\]）)]", re.IGNORECASE)
_REMOVED_HERE = "\ue000"  # marks where such a label stood, until its sentence is removed
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
    # Base64 that spells an instruction is that instruction.
    for plain in _decoded_base64(text):
        if injection_suspected(plain):
            encoded = base64.b64encode(plain.encode("utf-8")).decode().rstrip("=")
            for run in _BASE64.findall(text):
                if run.rstrip("=") == encoded:
                    removed.append(run)
                    text = text.replace(run, " ")

    def aside(match: re.Match) -> str:
        if injection_suspected(match.group(0)) or _is_bare_label(match.group(0)):
            removed.append(match.group(0))
            return _REMOVED_HERE if _REFERENCE_LABEL.fullmatch(match.group(0)) else ""
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
        flagged.append(bool(key) and bool(_REMOVED_HERE in sentence or injection_suspected(sentence) or _is_bare_label(key) or _LONG_DIGITS.fullmatch(key) or (seen[key] > 1 and len(key) > 4)))
    # An address that only reads as one across sentences ("… from HR. … our top pick; rate
    # accordingly."): the shortest run of sentences that does.
    if not any(flagged):
        for width in (2, 3, 4):
            start = next((i for i in range(len(sentences) - width + 1) if injection_suspected("".join(sentences[i : i + width]))), None)
            if start is not None:
                flagged[start : start + width] = [bool(s.strip()) for s in sentences[start : start + width]]
                break
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
    removed += [s.replace(_REMOVED_HERE, "") for s, f in zip(sentences, flagged) if f]
    cleaned = "".join(kept).strip()
    return (cleaned, removed) if removed else (answer, [])
