"""Masking personal data in answers before they leave the machine (`--redact`).

Masks phone numbers, ID-card numbers, bank-card numbers, e-mail addresses, self-introduced names
("我叫…", "My name is …") and any names the caller knows (a batch knows its candidates).
"""

from __future__ import annotations

import re
from typing import Iterable

_PATTERNS = [
    ("[邮箱]", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("[身份证号]", re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")),
    ("[银行卡号]", re.compile(r"(?<!\d)\d{16,19}(?!\d)")),
    ("[电话]", re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)")),
    ("[电话]", re.compile(r"(?<!\d)0\d{2,3}-\d{7,8}(?!\d)")),
]
# Common surnames (about 85% of people in China). "我是" and "本人" also start ordinary phrases
# ("我是一名柜员", "本人认为"), so after them a name must start with a surname and end at
# punctuation; "我叫" and "我的名字是" are followed by a name and need neither.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_NAME_END = r"(?=[，,。.！!；;：:、\s（(]|$)"
_NAME_CHAR = r"(?:(?![的了和与是在])[\u4e00-\u9fff])"
_SELF_NAMED = [
    re.compile(r"(?<=我叫)[\u4e00-\u9fff]{2,3}"),
    re.compile(r"(?<=我的名字是)[\u4e00-\u9fff]{2,3}"),
    re.compile(rf"(?:(?<=我是)|(?<=本人)|(?<=本人是)|(?<=本人叫))[{_SURNAMES}]{_NAME_CHAR}{{1,3}}{_NAME_END}"),
    re.compile(r"(?<=[Mm]y name is )[A-Z][a-z]+(?: [A-Z][a-z]+)?"),
    re.compile(r"(?<=\bI'm )[A-Z][a-z]+(?: [A-Z][a-z]+)?(?=[,.;!]|\s+(?:and|from|a|an)\b|$)"),
    re.compile(r"(?<=\bI am )[A-Z][a-z]+(?: [A-Z][a-z]+)?(?=[,.;!]|\s+(?:and|from|a|an)\b|$)"),
]


def redact(text: str, names: Iterable[str] = ()) -> str:
    for label, pattern in _PATTERNS:
        text = pattern.sub(label, text)
    for pattern in _SELF_NAMED:
        text = pattern.sub("[姓名]", text)
    # The candidate's own name, wherever it appears (the batch input names the candidate).
    for name in sorted({n.strip() for n in names if n and len(n.strip()) >= 2}, key=len, reverse=True):
        text = text.replace(name, "[姓名]")
    return text
