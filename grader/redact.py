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
_SELF_NAMED = [
    re.compile(r"(?<=我叫)[\u4e00-\u9fff]{2,3}"),
    re.compile(r"(?<=我的名字是)[\u4e00-\u9fff]{2,3}"),
    re.compile(r"(?<=[Mm]y name is )[A-Z][a-z]+(?: [A-Z][a-z]+)?"),
]


def redact(text: str, names: Iterable[str] = ()) -> str:
    for label, pattern in _PATTERNS:
        text = pattern.sub(label, text)
    for pattern in _SELF_NAMED:
        text = pattern.sub("[姓名]", text)
    for name in sorted({n.strip() for n in names if n and len(n.strip()) >= 2}, key=len, reverse=True):
        text = text.replace(name, "[姓名]")
    return text
