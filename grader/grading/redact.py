"""Masking personal data in answers before they leave the machine (`--redact`).

Masks phone numbers (mobile and landline, in any grouping), ID-card numbers (18 and 15 digits,
spaced or not), bank-card numbers (plain or in groups), e-mail addresses, WeChat and QQ ids,
passport numbers, street addresses with a house number, and names: self-introduced ("我叫…",
"本人…", "My name is …", in any case), with a title (王经理, 李主管), in a signature
(应聘者：陈静), at a sentence start before a comma or a verb (李娜认为…), compound surnames
(欧阳娜娜), Traditional script and pinyin (Zhang Wei) — and any names the caller knows (a batch
knows its candidates). Full-width digits and letters are read as ASCII first.

What it does not catch is listed in docs/attacks.md ("Personal data under --redact"): regexes
find forms, not people; a name with no cue in the middle of a sentence goes through.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

NAME = "[姓名]"

# Full-width digits, letters and the signs inside numbers and addresses ("１３８", "ｗｘｉｄ＿", "＠").
_HALF_WIDTH = str.maketrans(
    {**{chr(0xFF10 + i): str(i) for i in range(10)}, **{chr(0xFF21 + i): chr(0x41 + i) for i in range(26)},
     **{chr(0xFF41 + i): chr(0x61 + i) for i in range(26)}, "＠": "@", "．": ".", "－": "-", "＿": "_", "＋": "+", "\u3000": " "}
)

_D = r"(?<![0-9A-Za-z])"  # no digit or letter before
_E = r"(?![0-9A-Za-z])"  # nor after
_PATTERNS = [
    # ASCII only: \w would take the Chinese before the address too ("邮箱xm@…" -> all of it).
    ("[邮箱]", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")),
    # An id after its name: WeChat ids are 6-20 letters, digits, _ or -, starting with a letter.
    # After a colon, or holding a digit or _ (so that "WeChat account", a WeChat mini-program and 微信app stay).
    (
        "[微信号]",
        re.compile(
            r"(?i)(?:微信|(?<![A-Za-z])(?:we\s?chat|weixin|vx|wx)|v信)(?:\s*(?:id|号码|号))?"
            r"(?:\s*[:：]\s*|\s*(?:是|为)?\s*(?=[A-Za-z][-_A-Za-z0-9]*[_\d]))[A-Za-z][-_A-Za-z0-9]{5,19}(?![-_A-Za-z0-9])"
        ),
    ),
    ("[QQ号]", re.compile(r"(?i)(?:(?<![A-Za-z])qq|扣扣)\s*(?:号码|号)?\s*[:：是为]?\s*[1-9]\d{4,10}(?!\d)")),
    ("[护照号]", re.compile(r"(?i)(?:护照|passport)\s*(?:号码|号|no\.?|number|#)?\s*[:：是为]?\s*[A-Za-z]{1,2}\d{7,8}" + _E)),
    ("[护照号]", re.compile(_D + r"(?:[EG]\d{8}|E[A-Z]\d{7})" + _E)),
    # 18 digits (the last may be X), or the first-generation 15; also grouped 6-8-4 with spaces or dashes.
    ("[身份证号]", re.compile(_D + r"\d{6}[ -]?(?:19|20)\d{2}[01]\d[0-3]\d[ -]?\d{3}[\dXx]" + _E)),
    ("[身份证号]", re.compile(_D + r"\d{17}[\dXx]" + _E)),
    ("[身份证号]", re.compile(_D + r"\d{6}\d{2}[01]\d[0-3]\d\d{3}" + _E)),
    # Bank cards: 16-19 digits, plain or in groups of four.
    ("[银行卡号]", re.compile(r"(?<!\d)\d{16,19}(?!\d)")),
    ("[银行卡号]", re.compile(r"(?<!\d)(?<!\d[ -])\d{4}(?:[ -]\d{4}){3}(?:[ -]?\d{1,3})?(?![\d])")),
    ("[电话]", re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)")),
    # Landlines: area code 0xx(x), bare or in brackets, then 7-8 digits (maybe split by - or a space).
    ("[电话]", re.compile(r"(?<!\d)(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3})[- ]?\d{3,4}[- ]?\d{4}(?!\d)")),
    # A street with a house number, and what follows it (building, unit, room); with the city and
    # district before it where an address cue (住在, 地址：) says where it starts.
    (
        "[地址]",
        re.compile(
            r"(?:(?<=住在)|(?<=住址)|(?<=地址)|(?<=家在)|(?<=寄到)|(?<=送到)|(?<=位于))[:：是为\s]*"
            r"[\u4e00-\u9fff]{2,20}?(?:路|街|大道|巷|弄|胡同)\d+号(?:[\d-]+(?:号楼|栋|幢|单元|室|层|楼))*"
        ),
    ),
    ("[地址]", re.compile(r"(?:(?![在是的了和我你他她住家到从向往去])[\u4e00-\u9fff]){1,6}(?:路|街|大道|巷|弄|胡同)\d+号(?:[\d-]+(?:号楼|栋|幢|单元|室|层|楼))*")),
]

# Common surnames (about 85% of people in China), Simplified; the Traditional forms are added
# below. Compound surnames first, so that 欧阳娜娜 is one name, not 欧阳娜 and a stray 娜.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_COMPOUND = "欧阳|司马|上官|诸葛|东方|皇甫|令狐|慕容|尉迟|公孙|长孙|宇文|司徒|夏侯|轩辕|端木|独孤|南宫|西门|呼延|赫连|钟离|澹台"


@lru_cache(maxsize=1)
def _surname_classes() -> tuple[str, str]:
    from ..textnorm import to_traditional

    single = "".join(dict.fromkeys(_SURNAMES + to_traditional(_SURNAMES)))
    compound = "|".join(dict.fromkeys(_COMPOUND.split("|") + to_traditional(_COMPOUND).split("|")))
    return single, compound


_NAME_END = r"(?=[，,。.！!；;：:、\s（(]|$)"
# A given name's characters: not the particles and verbs that follow a surname-initial word.
_GIVEN = r"(?:(?![的了和与是在会说也都就还已对把被从向给为做很并及或而])[\u4e00-\u9fff])"
# Words that start with a surname character and open ordinary sentences (于是, 方便, 任何…).
_SURNAME_WORDS = frozenset(
    "于是 万一 方便 方面 方法 方案 方式 方向 高度 高效 高兴 高峰 金额 金融 许多 任何 任务 陆续 严格 严重 范围 余额 江湖 马上 白天 黄金 "
    "顾客 龙头 史上 段落 孔子 曾经 向来 向上 何时 何况 何必 罗列 周末 周到 周围 周期 程序 程度 石头 雷同 熊猫 秦朝 毛病 钱款 常常 "
    "田地 董事 董事长 叶子 苏醒 魏晋 吕布 丁点 沈阳 姚明 卢布 姜汁 崔健 钟表 谭嗣 汪洋 范例 金钱 廖廖 贾宝 夏天 韦小 付款 付出 "
    "白色 邹忌 孟子 秦始 江苏 尹天 薛定 闫某 段时 雷雨 侯爵 龙卷 陶瓷 黎明 贺卡 顾问 毛巾 郝思 龚自 邵氏 钱包 严禁 覃某 武器 戴上 "
    "莫名 孔明 汤圆 张开 张贴 张罗 李子 刘海 陈述 陈列 杨柳 黄色 赵国 吴国 徐徐 孙子 马虎 朱红 胡乱 郭外 何为 林业 高级 高层 "
    "郑重 梁上 谢谢 宋朝 唐突 许可 韩国 冯小 邓小 曹操 彭湃 曾几 肖像 田间 袁大 潘多 于此 蒋介 蔡伦 余下 杜绝 叶片 程门 苏州 魏国 "
    "吕梁 丁克 任意 任职 沈默 万能 万分 万元 向客 向他 向她 向我 向对 金卡 石油 方才 白白 高手 高中 高考 江西 江南 严肃 严谨 "
    "平安 安全 安抚 常见 包括 宁可 宁愿 "
    .split()
)
_TITLES = "经理|主管|主任|行长|总监|老师|师傅|先生|女士|小姐|组长|科长|处长|部长|总经理|专员|同学"
_SIGNATURE_CUES = "应聘者|候选人|应聘人|面试者|答题人|作答人|签名|署名|姓名|落款|名字"
_PERSON_VERBS = "认为|觉得|表示|建议|指出|发现|负责|曾经|曾|来自|毕业于|毕业|说"
_PINYIN_SURNAMES = (
    "zhang|wang|li|liu|chen|yang|huang|zhao|wu|zhou|xu|sun|zhu|hu|guo|lin|luo|gao|zheng|liang|xie|tang|han|feng|deng|"
    "cao|peng|zeng|xiao|tian|dong|yuan|jiang|cai|du|ye|cheng|su|wei|lv|lu|ding|ren|shen|yao|cui|zhong|tan|jin|"
    "liao|jia|xia|fang|zou|meng|xiong|qin|qiu|yin|xue|yan|duan|lei|hou|tao|gu|mao|hao|gong|shao|qian|dai|kong|"
    "ouyang|sima|shangguan|zhuge"
)
# One pinyin syllable (initial + final), so that "Zhang Wei" reads as a name and "Li Ka-shing" or
# "Yang Mi" do too, but an English word after a pinyin-like surname ("long time") does not.
_PINYIN_SYLLABLE = (
    r"(?:(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
    r"(?:iang|iong|uang|ueng|ang|eng|ing|ong|ian|iao|uai|uan|van|ai|ei|ao|ou|an|en|in|un|vn|ia|ie|iu|ua|uo|ui|ue|ve|er|a|o|e|i|u|v))"
)


@lru_cache(maxsize=1)
def _name_patterns() -> list[re.Pattern]:
    single, compound = _surname_classes()
    surname = rf"(?:{compound}|[{single}])"
    given_2_3 = rf"(?:(?:{compound})[\u4e00-\u9fff]{{1,2}}|[\u4e00-\u9fff]{{2,3}})"
    latin_name = r"[A-Za-z][a-z]+(?:[ -][A-Za-z][a-z]+)?"
    signed = "|".join(f"(?<={cue}{colon})" for cue in _SIGNATURE_CUES.split("|") for colon in "：:")
    return [
        # "我叫…", "我的名字是…" are followed by a name, in Han or Latin letters.
        re.compile(rf"(?:(?<=我叫)|(?<=我的名字是)|(?<=我的名字叫))\s*(?:{given_2_3}|{latin_name})"),
        # "我是"/"本人"/"叫" also start ordinary phrases ("我是一名柜员", "本人认为"): a surname, then punctuation.
        re.compile(rf"(?:(?<=我是)|(?<=本人)|(?<=本人是)|(?<=叫)){surname}{_GIVEN}{{1,3}}{_NAME_END}"),
        # A signature: 应聘者：陈静, 签名：Wang Fang, and a closing "—— 陈静".
        re.compile(rf"(?:{signed})\s*(?:{surname}{_GIVEN}{{1,3}}|{latin_name})"),
        re.compile(rf"(?<=[—–-]{{2}})\s*(?:{surname}{_GIVEN}{{1,3}}|{latin_name})\s*$"),
        # English introductions, in any case.
        re.compile(rf"(?i:(?<=my name is )|(?<=my name's )){latin_name}"),
        # "I'm …" only capitalised: in lower case it is "I'm sorry," as often as a name.
        re.compile(r"(?:(?<=\bI'm )|(?<=\bI am ))[A-Z][a-z]+(?: [A-Z][a-z]+)?(?=[,.;!]|\s+(?:and|from|a|an)\b|$)"),
        # Pinyin: a pinyin surname and one or two given-name syllables, capitalised ("Zhang Wei").
        re.compile(rf"(?<![A-Za-z])(?:{_PINYIN_SURNAMES.title().replace('|', '|')}) ?(?:[A-Z]{_PINYIN_SYLLABLE}){{1,2}}(?:{_PINYIN_SYLLABLE})?(?![A-Za-z])"),
    ]


def _sentence_start_names(text: str) -> str:
    """A name that opens a sentence and is followed by a comma or a verb of a person (李娜认为…,
    张伟，五年客服经验): the form of a résumé line or a third-person self-description."""
    single, compound = _surname_classes()
    pattern = re.compile(
        rf"(?:^|(?<=[。！？!?；;\n]))(\s*)((?:{compound})[\u4e00-\u9fff]{{1,2}}|[{single}]{_GIVEN}{{1,2}})(?=[，,]|{_PERSON_VERBS})"
    )

    def mask(match: re.Match) -> str:
        name = match.group(2)
        if name in _SURNAME_WORDS or name[:2] in _SURNAME_WORDS:
            return match.group(0)
        return match.group(1) + NAME

    return pattern.sub(mask, text)


def _titled_names(text: str) -> str:
    """A surname (and a given name) before a title: 王经理, 李主管, 张伟经理, 张女士. Not after
    向 or 于 ("向经理汇报" is "report to the manager"), nor where the surname ends a word (任何老师)."""
    single, compound = _surname_classes()
    single = single.replace("向", "").replace("于", "")
    pattern = re.compile(rf"(?<![{single}])((?:{compound})|[{single}])({_GIVEN}?)(?={_TITLES})")

    def mask(match: re.Match) -> str:
        before = text[max(0, match.start() - 1) : match.start() + 1]
        if before in _WORDS_ENDING_IN_A_SURNAME or match.group(0) in _SURNAME_WORDS:
            return match.group(0)
        return NAME

    return pattern.sub(mask, text)


_WORDS_ENDING_IN_A_SURNAME = frozenset("任何 如何 为何 几何 有何 从何 因何 缘何 奈何 若何 我行 该行 本行 支行 分行 总行 银行 同行 执行 进行".split())


def redact(text: str, names: Iterable[str] = ()) -> str:
    """`text` with personal data masked; `text` itself, unchanged to the byte, where none is found."""
    original, text = text, text.translate(_HALF_WIDTH)
    for label, pattern in _PATTERNS:
        text = pattern.sub(label, text)
    # The candidate's own name, wherever it appears (the batch input names the candidate).
    for name in sorted({n.strip() for n in names if n and len(n.strip()) >= 2}, key=len, reverse=True):
        text = text.replace(name, NAME)
    for pattern in _name_patterns():
        text = pattern.sub(NAME, text)
    text = _sentence_start_names(_titled_names(text))
    return original if text == original.translate(_HALF_WIDTH) else text
