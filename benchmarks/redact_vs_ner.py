"""Our `redact()` against a Chinese NER package's person names (jieba's part-of-speech tagger,
tags nr/nrfg/nrt), on the forms in tests/data/pii_forms.jsonl and on the ordinary answers
(evals/samples/*.jsonl, tests/data/plain_answers.jsonl: what neither should mask).

jieba is not a dependency of the grader: run with it installed beside (`pip install jieba`).
It finds names only, so it is measured on the name forms; the numbers and ids are regex work
for both. Prints figures; asserts nothing.

    python benchmarks/redact_vs_ner.py
"""

from __future__ import annotations

import glob
import json
import logging
import re
from pathlib import Path

from grader.grading.redact import redact

ROOT = Path(__file__).resolve().parent.parent
# Forms that `redact()` is known to miss (docs/attacks.md, "Personal data under --redact"): a name
# with no cue in mid-sentence, lower-case "i'm …", Chinese numerals in an
# address, a foreign phone number.
KNOWN_MISSES = [
    ("name-mid-sentence", "我和同事刘洋一起处理了这件事。", ["刘洋"]),
    ("name-mid-sentence-2", "后来李娜也同意了这个方案。", ["李娜"]),
    ("english-lower-im", "i'm alice, a teller for three years.", ["alice"]),
    ("address-han-numerals", "我住在朝阳区建国路八十八号。", ["建国路八十八号"]),
    ("phone-foreign", "call me at +1 415 555 0134.", ["555 0134"]),
]
LABEL = re.compile(r"\[(?:姓名|电话|邮箱|身份证号|银行卡号|微信号|QQ号|护照号|地址)\]")


def jieba_names(text: str) -> str:
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    return "".join("[姓名]" if flag in ("nr", "nrfg", "nrt") else word for word, flag in jieba.posseg.cut(text))


def main() -> None:
    forms = [json.loads(line) for line in (ROOT / "tests/data/pii_forms.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    names = [f for f in forms if f["form"].startswith(("name", "self-intro"))]
    ordinary = {}
    for path in sorted(glob.glob(str(ROOT / "evals/samples/*.jsonl"))) + [str(ROOT / "tests/data/plain_answers.jsonl")]:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.strip():
                ordinary.setdefault(json.loads(line)["answer"], None)
    for label, mask in (("ours (redact)", redact), ("jieba posseg nr", jieba_names)):
        try:
            caught = [f["form"] for f in names if not any(s in mask(f["text"]) for s in f["secrets"])]
        except ImportError:
            print(f"{label}: not installed")
            continue
        spans = sum(len(LABEL.findall(mask(a))) for a in ordinary)
        touched = sum(mask(a) != a for a in ordinary)
        print(f"{label:<18} name forms caught {len(caught)}/{len(names)}; ordinary answers: {spans} masked spans in {touched} of {len(ordinary)}")
        missed = [form for form, text, secrets in KNOWN_MISSES if any(s in mask(text) for s in secrets)]
        print(f"{'':<18} known misses still missed: {len(missed)}/{len(KNOWN_MISSES)} ({', '.join(missed)})")
        if label.startswith("ours"):
            all_caught = sum(not any(s in redact(f["text"]) for s in f["secrets"]) for f in forms)
            print(f"{'':<18} all forms caught {all_caught}/{len(forms)}")


if __name__ == "__main__":
    main()
