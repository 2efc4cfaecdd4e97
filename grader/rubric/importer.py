"""Importing a recruiter's question-bank document (txt, md, docx, text-based pdf) as a rubric.

Repairs what conversions do to such documents — pinyin annotations after characters
(`聯(lián)`), GBK mojibake (`??蛻魡栴}` for 客戶問題), Traditional script in a Simplified text,
half-width punctuation in Chinese — and reports every repair with its line, flagging what it
cannot repair instead of guessing. Without --llm the import never invents points: each key point
of the document becomes one point, with equal weights summing to the question's marks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..textnorm import to_simplified, to_traditional
from . import extraction, layouts

SECTION_IDS = {"行为": "behavioral", "情景": "situational", "业务知识": "knowledge", "知识": "knowledge", "压力": "stress", "技术": "technical"}
_CJK = "\u3400-\u9fff"
_PINYIN = re.compile(rf"(?<=[{_CJK}])\(([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+)\)")
# A run of mojibake: "??" (the bytes that were lost) then double-byte characters misaligned by
# one byte, ending in the ASCII byte that closed the last pair.
_MOJIBAKE = re.compile(rf"\?\?([{_CJK}]+[\x40-\x7e])")
_BOILERPLATE = [
    re.compile(r"_第\d+[頁页]"),
    re.compile(r"^(已[閱阅]讀|下[載载]本文[檔档]|版[權权][說说]明|文[檔档]簡介|溫馨提示|評論|提交評論|\d+/\d+)"),
]
_FOOTER_STARTS = {"溫馨提示", "温馨提示"}
_WIDE = {",": "，", "?": "？", ":": "：", ";": "；", "!": "！", "(": "（", ")": "）"}


@dataclass
class Repair:
    line: int
    kind: str  # pinyin, mojibake, lost_character, script (Traditional or Simplified; punctuation widened with it), boilerplate
    before: str
    after: str
    note: str = ""
    where: str = ""  # the place in a docx, PDF or sheet, where "line N" would not find it

    def __str__(self) -> str:
        note = f" ({self.note})" if self.note else ""
        return f"{self.where or f'line {self.line}'}: {self.kind}: {self.before!r} -> {self.after!r}{note}"


@dataclass
class ImportResult:
    rubric: dict
    repairs: list[Repair] = field(default_factory=list)
    unrepaired: list[Repair] = field(default_factory=list)
    # What was found and where (sections, questions, marks, points), for a person to confirm.
    found: list[str] = field(default_factory=list)
    # Where the import guessed or left something out.
    warnings: list[str] = field(default_factory=list)
    # Ids of the questions a model extracted (`--llm`), for review.
    model_extracted: list[str] = field(default_factory=list)


def read_document(path: Path) -> str:
    """The document's text; a file that cannot be read as its kind is a RubricError naming it."""
    from .model import RubricError

    suffix = path.suffix.lower()
    if not path.is_file():
        raise RubricError(f"{path}: no such file" if not path.exists() else f"{path}: not a file")
    try:
        if suffix == ".docx":
            text = "\n".join(line.text if isinstance(line, layouts.Line) else "\n".join(cell for row in line[1] for cell in row)
                             for line in layouts.docx_items(path))
        elif suffix == ".pdf":
            from pypdf import PdfReader

            lines = [line for page in PdfReader(str(path)).pages for line in (page.extract_text() or "").splitlines()]
            text = _unwrap(lines)
        else:
            text, _ = layouts.decode_text(path, path.read_bytes())
            if "\x00" in text:
                raise RubricError(f"{path}:{text[: text.index(chr(0))].count(chr(10)) + 1}: binary data (NUL byte), not a text document")
    except RubricError:
        raise
    except Exception as exc:  # noqa: BLE001 - python-docx and pypdf raise many kinds for a damaged file
        kind = {".docx": "Word (.docx)", ".pdf": "PDF"}.get(suffix, "text")
        raise RubricError(f"{path}: not a readable {kind} file ({type(exc).__name__}: {exc})") from None
    if not text.strip():
        raise RubricError(f"{path}: the document has no text")
    return text


def _unwrap(lines: list[str]) -> str:
    """Undo a PDF's line wrapping: a line as long as the longest ones continues on the next."""
    width = max((len(line) for line in lines), default=0)
    out: list[str] = []
    for line in lines:
        if out and len(out[-1]) >= 0.9 * width and width >= 20:
            out[-1] += line
        else:
            out.append(line)
    return "\n".join(out)


def _fix_mojibake(match: re.Match, line: int, repairs: list[Repair], unrepaired: list[Repair], vocabulary: str) -> str:
    run = match.group(1)
    try:
        tail = run.encode("gbk")
    except UnicodeEncodeError:
        unrepaired.append(Repair(line, "mojibake", match.group(0), match.group(0), "not GBK mojibake; left as is"))
        return match.group(0)
    best, best_score, runner_up = None, -1.0, 0.0
    for lead in range(0x81, 0xFF):  # the lost lead byte of the first character
        try:
            text = (bytes([lead]) + tail).decode("gbk")
        except UnicodeDecodeError:
            continue
        # Prefer the decoding whose character pairs the rest of the document also uses.
        simple = to_simplified(text)
        pairs = [simple[i : i + 2] for i in range(len(simple) - 1)] or [simple]
        score = sum(pair in vocabulary for pair in pairs) / len(pairs)
        if score > best_score:
            best, best_score, runner_up = text, score, max(best_score, 0.0)
        elif score > runner_up:
            runner_up = score
    # Accept only a clear winner: the document supports it, and twice as well as any other reading.
    if best is None or best_score < 0.2 or best_score < 2 * runner_up:
        unrepaired.append(Repair(line, "mojibake", match.group(0), match.group(0), "no decoding fits the document; left as is"))
        return match.group(0)
    repairs.append(Repair(line, "mojibake", match.group(0), best, "GBK bytes realigned by one byte"))
    return "\x00" + best  # \x00 marks the character that was lost with the first byte


def _resolve_lost(text: str, line: int, repairs: list[Repair], unrepaired: list[Repair]) -> str:
    """A lost character between two sentences is read as 。 (reported); elsewhere it is flagged."""
    out = []
    for i, part in enumerate(text.split("\x00")):
        if i == 0:
            out.append(part)
            continue
        before, after = "".join(out), part
        clause_before = re.split(r"[。？！?!：:；;\n]", before)[-1]
        # Between a full clause and a question that follows, the lost character was a full stop.
        if len(clause_before) >= 8 and re.match(r"[^，,；;：:。]{1,20}[？?]", after):
            out.append("。" + part)
            repairs.append(Repair(line, "lost_character", before[-6:] + "?" + after[:6], before[-6:] + "。" + after[:6], "inferred sentence break: review"))
        else:
            out.append(part)
            unrepaired.append(Repair(line, "lost_character", before[-6:] + "?" + after[:6], before[-6:] + after[:6], "a character was lost here and cannot be recovered: review"))
    return "".join(out)


def repair_text(raw: str, script: str = "simplified") -> tuple[str, list[Repair], list[Repair]]:
    """(repaired text, repairs, what could not be repaired); `script` is simplified, traditional or keep."""
    kept, repairs, unrepaired = _repair_lines(raw, script)
    return "\n".join(line for _, line in kept), repairs, unrepaired


def _repair_lines(raw: str, script: str = "simplified") -> tuple[list[tuple[int, str]], list[Repair], list[Repair]]:
    """([(line number, repaired line)] without the dropped lines, repairs, what could not be repaired)."""
    repairs: list[Repair] = []
    unrepaired: list[Repair] = []
    kept = []
    vocabulary = to_simplified(_PINYIN.sub("", raw))
    lines = raw.splitlines()
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped in _FOOTER_STARTS:
            repairs.append(Repair(number, "boilerplate", stripped, "", f"site footer dropped (lines {number}-{len(lines)})"))
            break
        if any(p.search(stripped) for p in _BOILERPLATE) and not re.search("题目|題目|答案要", stripped):
            if stripped:
                repairs.append(Repair(number, "boilerplate", stripped[:40], "", "dropped"))
            continue
        for m in _PINYIN.finditer(line):
            repairs.append(Repair(number, "pinyin", line[m.start() - 1 : m.end()], line[m.start() - 1], "annotation removed"))
        line = _PINYIN.sub("", line)
        line = _MOJIBAKE.sub(lambda m: _fix_mojibake(m, number, repairs, unrepaired, vocabulary), line)
        if "\x00" in line:
            line = _resolve_lost(line, number, repairs, unrepaired)
        converted = to_simplified(line) if script == "simplified" else line
        if converted != line:
            changed = sum(a != b for a, b in zip(line, converted))
            repairs.append(Repair(number, "script", f"{changed} characters", script, f"converted to {script}"))
        line = _widen_punctuation(converted)
        kept.append((number, line))
    return kept, repairs, unrepaired


def _widen_punctuation(text: str) -> str:
    """Half-width punctuation next to Chinese becomes full-width, as Simplified Chinese writes it."""
    text = text.replace("??", "\x01")  # left-over damage stays recognisable
    return re.sub(rf"(?<=[{_CJK}）”）\d])[,?:;!](?=\S)|(?<=[{_CJK}])[,?:;!]|[,?:;!](?=[{_CJK}“（])|\((?=[^()]*\))|(?<=[^()])\)", lambda m: _WIDE[m.group(0)], text).replace("\x01", "??")


_SECTION = re.compile(r"([一二三四五六七八九十]+)、([^（(\n]+?)(?:[（(]共(\d+)题[，,]每题(\d+)分[，,]总分(\d+)分[）)])?(?=考察核心|$|\s|\d+\.题目)")
_QUESTION = re.compile(r"(\d+)\.题目：(.+?)答案要点：(.+?)(?=\d+\.题目：|[一二三四五六七八九十]+、|答案与解析|$)", re.S)
_FOCUS = re.compile(r"^考察核心：(.+?)(?=\d+\.题目：)", re.S)


def _points(key_points: str) -> list[str]:
    """Key points: `-heading：...` blocks; numbered items inside a block are points of their own."""
    points = []
    for block in [b.strip() for b in re.split(r"-(?=[^-]{1,12}：)", key_points) if b.strip()]:
        heading, _, body = block.partition("：")
        items = [i.strip(" ；;。") for i in re.split(r"(?:^|[；;。])\s*\d+\.", body) if i.strip(" ；;。")]
        if len(items) > 1 or re.match(r"\s*\d+\.", body):
            points += [f"{heading}：{item}" for item in items]
        else:
            points.append(f"{heading}：{body.strip(' ；;。')}")
    return points


def import_rubric(path: Path, rubric_id: str | None = None, script: str = "simplified", ask: "extraction.Ask | None" = None) -> ImportResult:
    """The document as a rubric, read by its layout (docs/rubric-import.md), with what was found
    and where. Parsed in Simplified; converted afterwards if another script is wanted. `ask` (a
    model's structured answer) extracts questions only where the rules find none."""
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm", ".csv"):
        result, raw = _import_sheets(path, rubric_id)
    else:
        raw = read_document(path)
        seed = _import_seed_layout(path, raw, rubric_id)
        items, repairs, unrepaired, warnings = _document_items(path)
        result = _build(path, rubric_id, layouts.parse_items(items, warnings), repairs, unrepaired)
        # The seed's layout wins only where it finds more: its parser reads text with the line breaks removed.
        if _count_questions(seed.rubric) > _count_questions(result.rubric):
            result = seed
        if ask is not None and not _count_questions(result.rubric):
            lines = [i for i in items if isinstance(i, layouts.Line)]
            lines += [layouts.Line(f"{q.prompt}\n" + "\n".join(t for t, _ in q.points), q.where) for i in items if isinstance(i, list) for q in i]
            found = extraction.extract(lines, ask)
            # The rules' warnings were about a reading that is replaced.
            found.warnings.insert(0, f"{path.name}: the rules found no questions; every question below is the model's (--llm)")
            result = _build(path, rubric_id, found, repairs, unrepaired)
    if script == "keep":
        script = "traditional" if _mostly_traditional(raw) else "simplified"
    if script == "traditional":
        result.rubric = _convert_strings(result.rubric, to_traditional)
        result.found = [to_traditional(line) for line in result.found]
        result.repairs = [r for r in result.repairs if r.kind != "script"]
    return result


def _count_questions(rubric: dict) -> int:
    return sum(len(s["questions"]) for s in rubric["sections"])


def _repaired(text: str, where: str, repairs: list[Repair], unrepaired: list[Repair]) -> str:
    """A table cell or docx/PDF line repaired like a text line, its repairs placed at `where`."""
    kept, found, left = _repair_lines(text)
    for r in found + left:
        r.where = where if "\n" not in text else f"{where} (line {r.line} of the cell)"
    repairs += found
    unrepaired += left
    return "\n".join(line for _, line in kept)


_LINE_BREAKS = re.compile("[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def _document_items(path: Path) -> tuple[list, list[Repair], list[Repair], list[str]]:
    """(the document's repaired lines and table questions in order, repairs, what could not be repaired, warnings)."""
    suffix = path.suffix.lower()
    if suffix == ".docx":
        items = layouts.docx_items(path)
    elif suffix == ".pdf":
        items = layouts.pdf_lines(path)
    else:
        text, encoding = layouts.decode_text(path, path.read_bytes())
        items = layouts.text_lines(text)
    warnings: list[str] = []
    repairs: list[Repair] = []
    unrepaired: list[Repair] = []
    lines = [i for i in items if isinstance(i, layouts.Line)]
    # One text line per item, so the repairs' line numbers are the items' places.
    kept, line_repairs, line_unrepaired = _repair_lines("\n".join(_LINE_BREAKS.sub(" ", line.text) for line in lines))
    for r in line_repairs + line_unrepaired:
        if suffix in (".docx", ".pdf"):
            r.where = lines[r.line - 1].where
    repairs += line_repairs
    unrepaired += line_unrepaired
    texts = dict(kept)
    parsed: list = []
    line_index = 0
    for item in items:
        if isinstance(item, layouts.Line):
            line_index += 1
            if line_index in texts:
                item.text = texts[line_index]
                parsed.append(item)
            continue
        where, rows = item
        numbered = [(f"{where} row {n}", cells) for n, cells in enumerate(rows, start=1)]
        questions, _, has_header = layouts.table_questions(numbered, lambda cell: _repaired(cell, where, repairs, unrepaired), warnings)
        if has_header:
            parsed.append(questions)
        else:  # a table used for layout: its cells are read as lines
            parsed += [layouts.Line(_repaired(part, place, repairs, unrepaired), place) for place, cells in numbered for cell in cells for part in cell.split("\n")]
    if suffix not in (".docx", ".pdf") and encoding != "utf-8":
        warnings.insert(0, f"{path.name}: not UTF-8; read as {encoding.upper()} (GBK)")
    return parsed, repairs, unrepaired, warnings


def _import_sheets(path: Path, rubric_id: str | None) -> tuple[ImportResult, str]:
    from .model import RubricError

    try:
        sheets = layouts.sheet_rows(path)
    except RubricError:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise RubricError(f"{path}: not a readable spreadsheet ({type(exc).__name__}: {exc})") from None
    warnings: list[str] = []
    repairs: list[Repair] = []
    unrepaired: list[Repair] = []
    xlsx = path.suffix.lower() != ".csv"
    read: list[tuple[str, list, str | None]] = []
    for name, rows in sheets:
        def cell_ref(where: str, index: int, name=name) -> str:
            row = where.rsplit(" ", 1)[1]
            return f"sheet {name!r} cell {layouts.column_letter(index)}{row}" if xlsx else f"{where}, column {layouts.column_letter(index)}"

        questions, title, has_header = layouts.table_questions(
            rows, lambda cell: _repaired(cell, f"sheet {name!r}" if xlsx else path.name, repairs, unrepaired), warnings, cell_ref)
        if not has_header and any(any(c.strip() for c in cells) for _, cells in rows):
            warnings.append(f"sheet {name!r}: no header row naming a question column and a points column in its first 15 rows; not read")
        if questions:
            read.append((name, questions, title))
    if len(read) > 1:  # one sheet a section, unless a column names them
        for name, questions, _ in read:
            for q in questions:
                if q.section is None:
                    q.section, q.section_where = name, f"sheet {name!r}"
    items = [questions for _, questions, _ in read]
    found = layouts.parse_items(items, warnings)
    found.title = next((title for _, _, title in read if title), None)
    found.title_where = "above the header row" if found.title else ""
    raw = "\n".join(cell for _, rows in sheets for _, cells in rows for cell in cells)  # as written, for --script keep
    return _build(path, rubric_id, found, repairs, unrepaired), raw


_SECTION_WORDS = {**SECTION_IDS, "behavio": "behavioral", "situation": "situational", "knowledge": "knowledge", "technical": "technical", "stress": "stress"}


def _section_id(title: str, label: str, index: int) -> str:
    lowered = title.lower()
    known = next((v for k, v in _SECTION_WORDS.items() if k in lowered), None)
    if known:
        return known
    named = re.match(r"^(section|part)\s+([a-z0-9]+)\b", label.strip().lower())
    if named:
        return f"{named.group(1)}-{named.group(2)}"
    return f"section-{index}"


def _build(path: Path, rubric_id: str | None, found: "layouts.Found", repairs: list[Repair], unrepaired: list[Repair]) -> ImportResult:
    """The rubric from what was found: ids from the document's numbering, marks as found (or
    split evenly, or the default, with a warning), and a listing of where each came from."""
    warnings = found.warnings
    title = found.title or path.stem
    all_text = " ".join(q.prompt for s in found.sections for q in s.questions)
    cjk = len(re.findall(r"[\u3400-\u9fff]", all_text))
    language = "zh" if cjk >= 0.1 * max(1, len(re.findall(r"[A-Za-z\u3400-\u9fff]", all_text))) else "en"
    listing = [f"title: {title}" + (f" ({found.title_where})" if found.title_where else " (the file name: none found)")]
    if found.each_marks is not None:
        listing.append(f"marks: {found.each_marks:g} a question ({found.each_where})")
    sections, section_ids, defaulted, model_extracted = [], set(), [], []
    for index, s in enumerate(found.sections, start=1):
        sid = _section_id(s.title, s.label, index) if s.title else "questions"
        while sid in section_ids:
            sid += "-b"
        section_ids.add(sid)
        stitle = s.title or title
        listing.append(f"[{sid}] {stitle}" + (f" ({s.where})" if s.where else " (no section headings: one section)")
                       + (f"; {s.each_marks:g} marks a question ({s.each_where})" if s.each_marks is not None else ""))
        questions, question_ids = [], set()
        for ordinal, q in enumerate(s.questions, start=1):
            qid = f"{sid}-{q.number or ordinal}"
            if qid in question_ids:
                warnings.append(f"{q.where}: question number {q.number} repeats in section {sid}; id {qid}-b given")
                while qid in question_ids:
                    qid += "-b"
            question_ids.add(qid)
            marks, marks_where = _question_marks(q, s, found, qid, warnings, defaulted)
            weights = _weights(q, marks, qid, warnings)
            marks = round(sum(weights), 4)
            question = {"id": qid, "prompt": q.prompt, "max_score": marks}
            if q.notes:
                question["notes"] = q.notes
            question["points"] = [{"id": f"p{i}", "text": p.text, "weight": w} for i, (p, w) in enumerate(zip(q.points, weights), start=1)]
            questions.append(question)
            under = f" under {q.marker} ({q.marker_where})" if q.marker else ""
            if q.model_extracted:
                model_extracted.append(qid)
            listing.append(f"  {qid}{' [model-extracted: review]' if q.model_extracted else ''} ({q.where}): {marks:g} marks ({marks_where}); {len(q.points)} point{'s' * (len(q.points) != 1)}{under}")
            listing += [f"    p{i} {w:g}  {p.text}  ({p.where})" for i, (p, w) in enumerate(zip(q.points, weights), start=1)]
        section = {"id": sid, "title": stitle, "questions": questions}
        sections.append(section)
    if defaulted:
        warnings.append(f"no marks found for {', '.join(defaulted)}; {layouts.DEFAULT_MARKS:g} each assumed")
    rubric = {"id": rubric_id or path.stem, "title": title, "language": language, "sections": sections}
    return ImportResult(rubric, repairs, unrepaired, listing, warnings, model_extracted)


def _question_marks(q, s, found, qid: str, warnings: list[str], defaulted: list[str]) -> tuple[float, str]:
    if q.marks is not None:
        return q.marks, q.marks_where
    if s.each_marks is not None:
        return s.each_marks, f"the section's, {s.each_where}"
    if found.each_marks is not None:
        return found.each_marks, f"the document's, {found.each_where}"
    if all(p.marks is not None for p in q.points):
        return sum(p.marks for p in q.points), "its points' marks"
    defaulted.append(qid)
    return layouts.DEFAULT_MARKS, "none found: default"


def _weights(q, marks: float, qid: str, warnings: list[str]) -> list[float]:
    """The points' own marks where every point has them; the rest of the question's marks shared
    by the points without; else the marks split evenly (the last weight makes the sum exact)."""
    own = [p.marks for p in q.points]
    if all(m is not None for m in own):
        if abs(sum(own) - marks) > 1e-6:
            warnings.append(f"{q.where}: {qid}: its points' marks sum to {sum(own):g}, not the question's {marks:g}; the points' marks used")
        return own
    known = sum(m for m in own if m is not None)
    unknown = own.count(None)
    if unknown < len(own):
        if marks - known > 1e-6:
            warnings.append(f"{q.where}: {qid}: {len(own) - unknown} of {len(own)} points have marks; the other {unknown} share the remaining {marks - known:g}")
            share = round((marks - known) / unknown, 4)
            weights = [m if m is not None else share for m in own]
            last = max(i for i, m in enumerate(own) if m is None)
            weights[last] = round(marks - sum(w for i, w in enumerate(weights) if i != last), 4)
            return weights
        warnings.append(f"{q.where}: {qid}: some points' marks ({known:g}) leave nothing of the question's {marks:g} for the rest; points' marks ignored, split evenly")
    weight = round(marks / len(own), 4)
    weights = [weight] * len(own)
    weights[-1] = round(marks - weight * (len(own) - 1), 4)
    return weights


def _import_seed_layout(path: Path, raw: str, rubric_id: str | None) -> ImportResult:
    """The seed's layout: `一、行为面试题（共5题，每题10分，总分50分）`, `1.题目：… 答案要点：-heading：…`, read from
    the text with its line breaks removed (conversions break lines anywhere)."""
    text, repairs, unrepaired = repair_text(raw, "simplified")
    body = re.sub(r"\s*\n\s*", "", text)
    title_match = re.search(r"(\d{4}年.+?题集)", body)
    title = title_match.group(1) if title_match else path.stem
    starts = list(_SECTION.finditer(body))
    analysis = re.search(r"答案与解析.*", body)
    notes = dict(re.findall(r"-(\S+?题\d+)解析：(.+?)(?=-\S+?题\d+解析：|$)", analysis.group(0))) if analysis else {}
    sections = []
    for n, match in enumerate(starts):
        end = starts[n + 1].start() if n + 1 < len(starts) else (analysis.start() if analysis else len(body))
        chunk = body[match.end() : end]
        name = match.group(2).strip()
        section_id = next((v for k, v in SECTION_IDS.items() if k in name), f"section-{n + 1}")
        marks = float(match.group(4) or 10)
        focus = _FOCUS.search(chunk)
        questions = []
        for q in _QUESTION.finditer(chunk):
            points = _points(q.group(3))
            weight = round(marks / len(points), 4) if points else marks
            weights = [weight] * len(points)
            if points:
                weights[-1] = round(marks - weight * (len(points) - 1), 4)  # the sum is exactly the marks
            question = {"id": f"{section_id}-{q.group(1)}", "prompt": q.group(2).strip(), "max_score": marks}
            note = notes.get(f"{name}{q.group(1)}")
            if note:
                question["notes"] = note.strip()
            question["points"] = [{"id": f"p{i}", "text": text, "weight": w} for i, (text, w) in enumerate(zip(points, weights), start=1)]
            questions.append(question)
        section = {"id": section_id, "title": name}
        if focus:
            section["description"] = "考察核心：" + focus.group(1).strip()
        section["questions"] = questions
        sections.append(section)
    rubric = {"id": rubric_id or path.stem, "title": title, "language": "zh", "sections": sections}
    lines = text.splitlines()
    found = [f"layout: the seed's (一、sections, 1.题目：… 答案要点：…), {sum(len(s['questions']) for s in sections)} questions"]
    for section in sections:
        found.append(f"[{section['id']}] {section['title']}")
        for q in section["questions"]:
            line = next((n for n, line in enumerate(lines, start=1) if q["prompt"][:12] in line), "?")
            found.append(f"  {q['id']} (line {line}): {q['max_score']:g} marks (the section's 每题), {len(q['points'])} points under 答案要点")
    return ImportResult(rubric, repairs, unrepaired, found)


def _mostly_traditional(text: str) -> bool:
    han = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    return bool(han) and sum(a != b for a, b in zip(han, to_simplified("".join(han)))) > 0.05 * len(han)


def _convert_strings(value, convert):
    if isinstance(value, str):
        return convert(value)
    if isinstance(value, list):
        return [_convert_strings(v, convert) for v in value]
    if isinstance(value, dict):
        return {k: v if k == "id" else _convert_strings(v, convert) for k, v in value.items()}
    return value


def write_rubric(result: ImportResult, out: Path) -> None:
    header = "# Imported by `grader rubric import`; review before use.\n"
    header += "".join(f"# repaired {r}\n" for r in result.repairs if r.kind != "boilerplate")
    header += "".join(f"# UNREPAIRED {r}\n" for r in result.unrepaired)
    header += "".join(f"# warning {w}\n" for w in result.warnings)
    if result.model_extracted:
        header += f"# model-extracted (--llm), review each: {', '.join(result.model_extracted)}\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(header + yaml.safe_dump(result.rubric, allow_unicode=True, sort_keys=False, width=200), encoding="utf-8")


def write_rubric_safely(result: ImportResult, out: Path, force: bool = False) -> None:
    """Write to a temporary file beside `out`, check that it loads, and only then replace `out`:
    a failed import never leaves a half-written or stub rubric where a good one was."""
    import os
    import tempfile

    from .model import RubricError, load_rubric

    if out.is_dir():
        raise RubricError(f"{out}: is a folder; -o needs a file name such as {out / 'rubric.yaml'}")
    if out.exists() and not force:
        raise RubricError(f"{out}: exists; not overwritten (use --force to replace it)")
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=out.suffix or ".yaml", dir=out.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write_rubric(result, tmp)
        try:
            load_rubric(tmp)  # what we write must load
        except RubricError as exc:
            raise RubricError(str(exc).replace(str(tmp), str(out)) + f"\n  ({out} left unchanged)") from None
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


# ---------------------------------------------------------------- review: check and diff


def rubric_warnings(rubric) -> list[str]:
    """Things a reviewer should look at: points that overlap, points too short to grade, and
    questions with too few or too many points."""
    from ..textnorm import bigrams

    warnings = []
    for q in rubric.questions():
        if not 3 <= len(q.points) <= 6:
            warnings.append(f"{q.id}: {len(q.points)} points (3-6 grade best)")
        for i, a in enumerate(q.points):
            if len(a.text) < 6:
                warnings.append(f"{q.id}.{a.id}: too short to grade reliably: {a.text!r}")
            for b in q.points[i + 1 :]:
                x, y = bigrams(a.text), bigrams(b.text)
                if x and y and len(x & y) / len(x | y) > 0.5:
                    warnings.append(f"{q.id}: {a.id} and {b.id} overlap")
    return warnings


def rubric_summary(rubric) -> str:
    lines = [f"{rubric.id}: {rubric.title} ({rubric.language}), {sum(1 for _ in rubric.questions())} questions, max {rubric.max_total:g}"]
    lines.append(f"{'question':<16}{'points':>7}{'max':>6}  weights")
    for s in rubric.sections:
        lines.append(f"[{s.id}] {s.title}")
        for q in s.questions:
            lines.append(f"{q.id:<16}{len(q.points):>7}{q.max_score:>6g}  {' '.join(f'{p.weight:g}' for p in q.points)}")
    warnings = rubric_warnings(rubric)
    lines += ["", f"{len(warnings)} warnings"] + [f"  {w}" for w in warnings]
    return "\n".join(lines)


def rubric_show(rubric) -> str:
    """Each question with its points and weights, in the rubric's order: what a recruiter reads to
    confirm that an import got their bank right."""
    lines = [f"{rubric.title} ({rubric.id}, {rubric.language}): {sum(1 for _ in rubric.questions())} questions, max {rubric.max_total:g}"]
    for s in rubric.sections:
        lines += ["", f"[{s.id}] {s.title}"]
        for q in s.questions:
            lines.append(f"  {q.id}  ({q.max_score:g} marks)  {q.prompt}")
            lines += [f"      {p.id:<4}{p.weight:>7g}  {p.text}" for p in q.points]
            if q.notes:
                lines.append(f"      notes: {q.notes}")
    return "\n".join(lines)


def rubric_diff(old, new) -> list[str]:
    changes = []
    old_q = {q.id: q for q in old.questions()}
    new_q = {q.id: q for q in new.questions()}
    for qid in old_q.keys() - new_q.keys():
        changes.append(f"- {qid} removed")
    for qid in new_q.keys() - old_q.keys():
        changes.append(f"+ {qid} added")
    for qid in [q for q in old_q if q in new_q]:
        a, b = old_q[qid], new_q[qid]
        if a.prompt != b.prompt:
            changes.append(f"~ {qid} prompt: {a.prompt!r} -> {b.prompt!r}")
        if a.max_score != b.max_score:
            changes.append(f"~ {qid} max_score: {a.max_score:g} -> {b.max_score:g}")
        pa, pb = {p.id: p for p in a.points}, {p.id: p for p in b.points}
        for pid in pa.keys() - pb.keys():
            changes.append(f"- {qid}.{pid} removed: {pa[pid].text!r}")
        for pid in pb.keys() - pa.keys():
            changes.append(f"+ {qid}.{pid} added: {pb[pid].text!r}")
        for pid in [p for p in pa if p in pb]:
            if pa[pid].text != pb[pid].text:
                changes.append(f"~ {qid}.{pid} text: {pa[pid].text!r} -> {pb[pid].text!r}")
            if pa[pid].weight != pb[pid].weight:
                changes.append(f"~ {qid}.{pid} weight: {pa[pid].weight:g} -> {pb[pid].weight:g}")
    return changes
