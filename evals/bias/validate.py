"""Check evals/bias/variants.jsonl. Run from the repository root: python evals/bias/validate.py"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
RUBRIC = ROOT / "rubrics/internet-bank-cs-manager-2026.yaml"
PATH = Path(__file__).resolve().parent / "variants.jsonl"
CREDIT = {"covered": Decimal("1"), "partial": Decimal("0.5"), "missing": Decimal("0")}
VARIANTS = ["base", "long", "formal", "traditional", "english"]
FIELDS = {"id", "group", "question_id", "variant", "answer", "labels", "score", "kind", "note"}
# characters (whitespace excluded) for the Chinese variants; words for English
CHAR_RANGE = {"base": (80, 200), "long": (300, 450), "formal": (80, 200), "traditional": (80, 200)}
WORD_RANGE = (40, 200)
HAN = re.compile(r"[\u4e00-\u9fff]")

rubric = yaml.safe_load(RUBRIC.read_text(encoding="utf-8"))
questions = {q["id"]: (s["id"], {p["id"]: p["weight"] for p in q["points"]}) for s in rubric["sections"] for q in s["questions"]}

errors: list[str] = []
rows = []
lines = PATH.read_text(encoding="utf-8").splitlines()
for n, line in enumerate(lines, 1):
    try:
        rows.append((n, json.loads(line)))
    except json.JSONDecodeError as e:
        errors.append(f"line {n}: does not parse: {e}")

def err(n, msg):
    errors.append(f"line {n}: {msg}")

ids = [r.get("id") for _, r in rows]
for dup in {i for i in ids if ids.count(i) > 1}:
    errors.append(f"duplicate id {dup}")

groups = defaultdict(list)
lengths = []
for n, r in rows:
    if set(r) != FIELDS:
        err(n, f"fields {sorted(r)}")
        continue
    qid, v, g = r["question_id"], r["variant"], r["group"]
    if qid not in questions:
        err(n, f"unknown question {qid}")
        continue
    if v not in VARIANTS:
        err(n, f"bad variant {v}")
    if r["id"] != f"{g}-{v}":
        err(n, f"id {r['id']} != {g}-{v}")
    if r["kind"] != f"bias-{v}":
        err(n, f"kind {r['kind']}")
    weights = questions[qid][1]
    if set(r["labels"]) != set(weights):
        err(n, f"labels keys {sorted(r['labels'])} != rubric points {sorted(weights)}")
        continue
    if any(x not in CREDIT for x in r["labels"].values()):
        err(n, f"bad label value {r['labels']}")
        continue
    expected = float(sum(CREDIT[r["labels"][p]] * Decimal(str(w)) for p, w in weights.items()))
    if abs(r["score"] - expected) > 1e-9:
        err(n, f"score {r['score']} != computed {expected}")
    a = r["answer"]
    if v == "english":
        if HAN.search(a):
            err(n, "english answer contains Han characters")
        size = len(a.split())
        lo, hi = WORD_RANGE
    else:
        size = len(re.sub(r"\s", "", a))
        lo, hi = CHAR_RANGE[v]
    if not lo <= size <= hi:
        err(n, f"{v} length {size} outside {lo}-{hi}")
    lengths.append((r["id"], size, len(HAN.findall(a))))
    groups[g].append(r)

sections = defaultdict(set)
for g, members in sorted(groups.items()):
    if sorted(m["variant"] for m in members) != sorted(VARIANTS):
        errors.append(f"{g}: variants {sorted(m['variant'] for m in members)}")
    if len({m["question_id"] for m in members}) != 1:
        errors.append(f"{g}: several questions")
    if len({json.dumps(m["labels"], sort_keys=True) for m in members}) != 1:
        errors.append(f"{g}: labels differ within group")
    if len({m["score"] for m in members}) != 1:
        errors.append(f"{g}: scores differ within group")
    by = {m["variant"]: m["answer"] for m in members}
    if "base" in by and "traditional" in by:
        if len(by["base"]) != len(by["traditional"]):
            errors.append(f"{g}: traditional is not a character-for-character conversion of base")
        if by["base"] == by["traditional"]:
            errors.append(f"{g}: traditional identical to base")
    if "base" in by and "long" in by:
        # long = base wording (every sentence, verbatim) + neutral padding
        for sentence in filter(None, re.split(r"(?<=[。！？])", by["base"])):
            if sentence not in by["long"]:
                errors.append(f"{g}: long lacks base sentence {sentence!r}")
    if "base" in by and "formal" in by:
        ratio = len(by["formal"]) / len(by["base"])
        if not 0.7 <= ratio <= 1.3:
            errors.append(f"{g}: formal/base length ratio {ratio:.2f}")
    qid = members[0]["question_id"]
    sections[questions[qid][0]].add(qid)

qids = {members[0]["question_id"] for members in groups.values()}
if len(lines) != 60:
    errors.append(f"{len(lines)} lines, expected 60")
if len(groups) != 12 or len(qids) != 12:
    errors.append(f"{len(groups)} groups over {len(qids)} questions, expected 12 and 12")
if len(sections) != 4:
    errors.append(f"sections covered: {sorted(sections)}")

print(f"lines: {len(lines)}  parsed: {len(rows)}  unique ids: {len(set(ids))}  groups: {len(groups)}  questions: {len(qids)}")
print("per section: " + ", ".join(f"{s}={len(q)}" for s, q in sorted(sections.items())))
print("group  question        score  labels")
for g, members in sorted(groups.items()):
    m = members[0]
    print(f"{g}    {m['question_id']:<15} {m['score']:>5}  " + " ".join(f"{p}={l[0]}" for p, l in m["labels"].items()))
print("lengths (chars excl. whitespace / English words), min-max per variant:")
for v in VARIANTS:
    sizes = [s for i, s, _ in lengths if i.endswith("-" + v)]
    if sizes:
        print(f"  {v:<12} {min(sizes)}-{max(sizes)}")
han = [h for i, _, h in lengths if not i.endswith("-english")]
print(f"  (Han characters only, Chinese variants: {min(han)}-{max(han)})")
if errors:
    print(f"FAIL: {len(errors)} problem(s)")
    for e in errors:
        print("  " + e)
    sys.exit(1)
print("OK: all checks passed")
