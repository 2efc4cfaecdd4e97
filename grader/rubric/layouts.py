"""The structure of a question bank, read from what bank layouts share (docs/rubric-import.md).

A document becomes a list of lines (text, Markdown, docx paragraphs, PDF text) and table rows
(docx tables, XLSX/CSV sheets), each with the place it came from. Sections come from headings,
`第一部分`, `一、`, `Section A` or a section column; questions from the numbering style that stands
before the answer markers (`答案要点：`, `Key points:` ...), from headings or from table rows; points
from the lines of an answer block (bullets, numbering, one a line) or from one line split at its
numbering or at `；`/`;`; marks from `（10分）`/`(10 marks)`, `每题10分`, a marks column or the points'
own marks. Nothing is made up: what is guessed is said in a warning naming its place.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import RubricError
from ..textnorm import to_simplified

DEFAULT_MARKS = 10.0  # what the seed's importer has always assumed; a warning says so when used

# Markers of a question's answer block. "points" markers name the gradeable points; "answer"
# markers a model answer, used only where a question has no points marker.
POINT_MARKERS = ("答案要点", "评分要点", "评分标准", "评分细则", "考察要点", "考查要点", "参考要点", "答题要点", "得分点", "采分点", "要点",
                 "key points", "marking guide", "marking scheme", "mark scheme", "scoring guide", "scoring criteria", "grading criteria", "rubric", "look for")
ANSWER_MARKERS = ("参考答案", "答案", "model answer", "expected answer", "suggested answer", "reference answer", "sample answer", "answer key", "answer")
# Markers whose text after them is a note on the question, not a point.
NOTE_MARKERS = ("解析", "说明", "备注", "注", "notes", "note")
# Only multi-word English markers may be followed by words before the colon ("Model answer should mention:").
_BARE_MARKERS = {"answer", "答案", "要点", "rubric", "注", "note", "notes", "说明"}

_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _cn_number(text: str) -> int:
    if text.isdigit():
        return int(text)
    if text in _CN_DIGITS:
        return _CN_DIGITS[text]
    tens, _, units = text.partition("十")
    if "十" not in text:
        return 0
    return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(units, 0) if units else 0)


_CN = "一二三四五六七八九十两"
# Numbering styles, most specific first: (style, pattern). Group 1 is the number.
_NUMBERINGS = [
    ("q", re.compile(r"^(?:Q|Question|问题|题目|试题)\s*(\d+)\s*(?:[.．:：)）、]\s*|\s+|$)", re.I)),
    ("di", re.compile(rf"^第\s*([0-9{_CN}]+)\s*[题道](?:[.．:：、]\s*|\s+|$)")),
    ("paren", re.compile(r"^[（(]\s*(\d+)\s*[)）]\s*")),
    ("paren_cn", re.compile(rf"^[（(]\s*([{_CN}]+)\s*[)）]\s*")),
    ("comma", re.compile(r"^(\d+)\s*、\s*")),
    ("dot", re.compile(r"^(\d+)\s*[.．](?!\d)\s*")),
    ("close", re.compile(r"^(\d+)\s*[)）]\s*")),
    ("circled", re.compile(r"^([①-⑳])\s*")),
    ("letter", re.compile(r"^[（(]?([a-h])[)）]\s+")),
    ("cn_comma", re.compile(rf"^([{_CN}]+)\s*[、.．]\s*")),
]
_SECTION_LINE = re.compile(
    rf"^(?:第\s*[0-9{_CN}]+\s*(?:部分|章|节|单元|篇|模块)|(?:Section|Part)\s+(?:[A-Z]|\d+|[IVX]+)\b)\s*[:：.．、\-–—]?\s*", re.I)
_BULLET = re.compile(r"^(?:[-*+](?:\s+|(?=[\u3400-\u9fff]))|[•·●○▪◆◇■□➢►✓√–—]\s*)")
_LABEL_QUESTION = re.compile(r"^(?:题目|问题|试题|Question)\s*[:：]\s*", re.I)
_EMPHASIS = re.compile(r"^[*_]{1,3}|[*_]{1,3}$")
# Marks: (10分) （10 分） (10 marks) [10 points]; 每题10分; 10 marks each.
_MARKS = re.compile(r"[（(\[【]\s*(?:本题|满分|共|计)?\s*(\d+(?:\.\d+)?)\s*(?:分|marks?|points?|pts?)\s*[）)\]】]", re.I)
_EACH = re.compile(r"每[题道小]\s*(?:题\s*)?(\d+(?:\.\d+)?)\s*分|(\d+(?:\.\d+)?)\s*marks?\s+each|each\s+(?:question\s+)?(?:is\s+)?(?:worth\s+)?(\d+(?:\.\d+)?)\s*marks?", re.I)
_TRAILING_PAREN = re.compile(r"\s*[（(][^（()）]*(?:分|题|marks?|points?)[^（()）]*[）)]\s*$", re.I)
_CJK = re.compile(r"[\u3400-\u9fff]")


def _marker_pattern(markers) -> str:
    return "|".join(re.escape(m) for m in sorted(markers, key=len, reverse=True))


_MARKER = re.compile(
    r"^[\s>*_•·●▪◆\-]*(?P<open>[【\[])?\s*(?P<marker>" + _marker_pattern(POINT_MARKERS + ANSWER_MARKERS + NOTE_MARKERS) + r")"
    r"(?P<filler>\s+[a-z][a-z ]{0,30}?)?\s*(?P<marks>[（(][^）)]{0,12}[）)])?\s*(?P<close>[】\]])?[*_\s]*(?:(?P<sep>[:：])|(?=$)|(?<=[】\]]))[*_]*\s*(?P<rest>.*)$",
    re.I,
)
# A marker inside a question's line (`1、如何…？参考答案：（1）…`): a Chinese marker, or a multi-word English one.
_INLINE_MARKER = re.compile(
    r"(?P<marker>" + _marker_pattern([m for m in POINT_MARKERS + ANSWER_MARKERS if m not in _BARE_MARKERS or _CJK.search(m)]) + r")"
    r"(?P<filler>\s+[a-z][a-z ]{0,30}?)?\s*(?P<marks>[（(][^）)]{0,12}[）)])?\s*[】\]]?\s*[:：]\s*(?P<rest>.*)$",
    re.I,
)
_INLINE_NUMBER = re.compile(r"[（(]\s*\d+\s*[)）]|[①-⑳]|(?:(?<=^)|(?<=[\s；;。，,.：:]))\d+\s*[、.．)）](?!\d)")


@dataclass
class Line:
    text: str
    where: str
    heading: int = 0  # heading level (Markdown #, docx Heading n), 0 for body text
    title: bool = False  # a docx Title paragraph
    list_style: str = ""  # "bullet", or a docx numbered list's style key
    list_number: int = 0


@dataclass
class TableQuestion:
    """One question from a table row (docx table, XLSX or CSV sheet)."""

    prompt: str
    points: list[tuple[str, str]]  # (text, where) per item of the points cell
    where: str
    section: str | None = None
    section_where: str = ""
    number: str | None = None
    marks: float | None = None
    marks_where: str = ""
    marker: str = ""
    marker_where: str = ""


@dataclass
class FoundPoint:
    text: str
    where: str
    marks: float | None = None


@dataclass
class FoundQuestion:
    number: str | None
    prompt: str
    where: str
    marks: float | None = None
    marks_where: str = ""
    marker: str = ""
    marker_where: str = ""
    points: list[FoundPoint] = field(default_factory=list)
    notes: str = ""
    model_extracted: bool = False  # from `rubric import --llm`: a person must review it


@dataclass
class FoundSection:
    title: str
    where: str
    each_marks: float | None = None
    each_where: str = ""
    questions: list[FoundQuestion] = field(default_factory=list)
    label: str = ""  # the heading as written (`Section A: …`), for the section's id


@dataclass
class Found:
    title: str | None
    title_where: str
    sections: list[FoundSection]
    warnings: list[str]
    each_marks: float | None = None
    each_where: str = ""


# ---------------------------------------------------------------- reading the document


def decode_text(path: Path, raw: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 (with or without BOM), else GBK/GB18030 as Chinese Windows saves it."""
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        return raw.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as gbk_error:
        # Name the place in the encoding the document reads furthest in: the one it was written in.
        start, name, other = max((utf8_error.start, "UTF-8", "GBK"), (gbk_error.start, "GBK", "UTF-8"), key=lambda e: e[0])
        line = raw[:start].count(b"\n") + 1
        raise RubricError(f"{path}:{line}: not valid {name} (byte {start}) nor {other} text; save the document as UTF-8 text") from None


def text_lines(text: str, prefix: str = "line") -> list[Line]:
    """Lines of plain text or Markdown; `#` headings keep their level."""
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        heading = re.match(r"^(#{1,6})\s+(.*)$", raw.strip())
        if heading:
            lines.append(Line(heading.group(2).strip().strip("#").strip(), f"{prefix} {number}", heading=len(heading.group(1))))
        else:
            lines.append(Line(raw.rstrip(), f"{prefix} {number}"))
    return lines


def pdf_lines(path: Path) -> list[Line]:
    """A text PDF's lines with page and line; a line wrapped by the layout is joined to the next."""
    from pypdf import PdfReader

    raw = [(f"page {p} line {n}", text) for p, page in enumerate(PdfReader(str(path)).pages, start=1)
           for n, text in enumerate((page.extract_text() or "").splitlines(), start=1)]
    width = max((len(t.strip()) for _, t in raw), default=0)
    lines: list[Line] = []
    for where, text in raw:
        text = text.strip()
        previous = lines[-1].text if lines else ""
        starts_item = not text or _numbering(text) or _BULLET.match(text) or _marker_of(text)
        if previous and width >= 20 and len(previous) >= 0.8 * width and not starts_item:
            joiner = " " if re.match(r"[\x21-\x7e]", text) and re.search(r"[\x21-\x7e]$", previous) else ""
            lines[-1].text = previous + joiner + text
        else:
            lines.append(Line(text, where))
    return lines


def docx_items(path: Path) -> list[Line | list]:
    """A docx body in order: paragraphs as Lines (Heading/Title styles, list styles and numbering
    kept) and tables as ("table N", rows of cell texts)."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(str(path))
    items: list = []
    counters: dict[str, int] = {}
    paragraphs = tables = 0
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "tbl":
            tables += 1
            table = Table(child, document)
            rows = []
            for row in table.rows:
                cells, seen = [], set()
                for cell in row.cells:
                    # a merged cell is listed once per grid column it spans
                    cells.append("" if id(cell._tc) in seen else cell.text)
                    seen.add(id(cell._tc))
                rows.append(cells)
            items.append((f"table {tables}", rows))
            continue
        if tag != "p":
            continue
        paragraphs += 1
        paragraph = Paragraph(child, document)
        style = paragraph.style.name if paragraph.style is not None else ""
        heading = re.match(r"^(?:Heading|标题)\s*(\d)$", style or "")
        list_style, number = _docx_list(document, paragraph, style or "")
        if list_style and list_style != "bullet":
            counters[list_style] = number = counters.get(list_style, 0) + 1
        for part in paragraph.text.split("\n"):
            items.append(Line(part.strip(), f"paragraph {paragraphs}", heading=int(heading.group(1)) if heading else 0,
                              title=style == "Title", list_style=list_style, list_number=number))
    return items


def _docx_list(document, paragraph, style: str) -> tuple[str, int]:
    """("bullet" | "list:<key>", 0) for a list paragraph, ("", 0) otherwise."""
    if re.search(r"bullet|项目符号", style, re.I):
        return "bullet", 0
    if re.search(r"number|编号", style, re.I):
        return f"list:{style}", 0
    num_pr = paragraph._p.pPr.numPr if paragraph._p.pPr is not None else None
    if num_pr is None or num_pr.numId is None:
        return "", 0
    num_id, level = num_pr.numId.val, num_pr.ilvl.val if num_pr.ilvl is not None else 0
    try:
        numbering = document.part.numbering_part.element
        abstract = numbering.xpath(f'./w:num[@w:numId="{num_id}"]/w:abstractNumId/@w:val')[0]
        formats = numbering.xpath(f'./w:abstractNum[@w:abstractNumId="{abstract}"]/w:lvl[@w:ilvl="{level}"]/w:numFmt/@w:val')
    except (IndexError, KeyError, NotImplementedError):
        formats = []
    return ("bullet", 0) if formats[:1] == ["bullet"] else (f"list:{num_id}:{level}", 0)


def sheet_rows(path: Path) -> list[tuple[str, list[tuple[str, list[str]]]]]:
    """[(sheet name, [(row label, cells)])] of an XLSX workbook or a CSV file (UTF-8, BOM or GBK)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            return [(sheet.title, [(f"sheet {sheet.title!r} row {n}", ["" if v is None else str(v) for v in row])
                                   for n, row in enumerate(sheet.iter_rows(values_only=True), start=1)]) for sheet in book.worksheets]
        finally:
            book.close()
    text, _ = decode_text(path, path.read_bytes())
    return [(path.stem, [(f"row {n}", row) for n, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1)])]


# ---------------------------------------------------------------- tables

_COLUMNS = {
    "number": ("题号", "序号", "编号", "no", "no.", "number", "#", "id", "question id", "qid", "question no"),
    "section": ("题型", "题目类型", "类型", "类别", "模块", "部分", "板块", "section", "category", "type", "part", "question type"),
    "marks": ("分值", "分数", "满分", "marks", "mark", "max marks", "points", "score", "max score", "max points"),
    "points": POINT_MARKERS + ANSWER_MARKERS + ("答案要点及评分标准",),
    "question": ("题目", "问题", "试题", "题干", "面试题", "面试问题", "question", "questions", "prompt", "question text"),
}


def _header_key(cell: str) -> str:
    cell = re.sub(r"[（(][^）)]*[）)]", "", to_simplified(str(cell))).strip().lower()
    return re.sub(r"\s+", " ", cell.strip("*:： "))


def _header_roles(cells: list[str]) -> dict[str, int]:
    keys = [_header_key(c) for c in cells]
    roles: dict[str, int] = {}
    # A points column beats a model-answer column (`参考答案` beside `评分标准`).
    points = [i for i, key in enumerate(keys) if key in POINT_MARKERS]
    if points:
        roles["points"] = points[0]
    for exact in (True, False):
        for role, names in _COLUMNS.items():
            if role in roles:
                continue
            for index, key in enumerate(keys):
                if index in roles.values() or not key:
                    continue
                if key in names if exact else any(key.startswith(n) for n in names if len(n) >= 2):
                    roles[role] = index
                    break
    return roles


def column_letter(index: int) -> str:
    letters, index = "", index + 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def table_questions(rows: list[tuple[str, list[str]]], repair, warnings: list[str], cell_ref=None) -> tuple[list[TableQuestion], str | None, bool]:
    """(questions, the title above the header, whether a header was found). The header is the first
    of the first 15 rows naming a question column and a points column."""
    for start, (_, cells) in enumerate(rows[:15]):
        roles = _header_roles(cells)
        if "question" in roles and "points" in roles:
            break
    else:
        return [], None, False
    header = rows[start][1]
    title = next((repair(c.strip()) for _, cells in rows[:start] for c in cells if c and c.strip()), None)
    questions: list[TableQuestion] = []
    section = None
    section_where = ""

    def cell(cells, role):
        index = roles.get(role)
        return repair(str(cells[index]).strip()) if index is not None and index < len(cells) and cells[index] is not None else ""

    def ref(where, role):
        return cell_ref(where, roles[role]) if cell_ref else f"{where}, column {header[roles[role]].strip()!r}"

    for where, cells in rows[start + 1:]:
        prompt, points_text = cell(cells, "question"), cell(cells, "points")
        if cell(cells, "section"):
            section, section_where = cell(cells, "section"), ref(where, "section")
        if not prompt and not points_text:
            continue
        items = [(text, ref(where, "points")) for text in points_text.splitlines() if text.strip()]
        if not prompt:
            if questions:  # points continued on the next row (merged question cell)
                questions[-1].points += items
            else:
                warnings.append(f"{ref(where, 'points')}: points with no question above them; left out")
            continue
        marks_text = cell(cells, "marks")
        marks = None
        if marks_text:
            found = re.search(r"\d+(?:\.\d+)?", marks_text)
            if found:
                marks = float(found.group(0))
            else:
                warnings.append(f"{ref(where, 'marks')}: marks {marks_text!r} are not a number; ignored")
        number = re.search(r"\d+", cell(cells, "number"))
        questions.append(TableQuestion(prompt, items, ref(where, "question"), section, section_where, number.group(0) if number else None,
                                       marks, ref(where, "marks") if marks is not None else "", header[roles["points"]].strip(),
                                       ref(rows[start][0], "points")))
    return questions, title, True


# ---------------------------------------------------------------- lines


def _strip_emphasis(text: str) -> str:
    return _EMPHASIS.sub("", text.strip()).strip()


def _numbering(text: str) -> tuple[str, int, str] | None:
    """(style, number, the text after the numbering) of a numbered line."""
    for style, pattern in _NUMBERINGS:
        m = pattern.match(text)
        if m:
            value = m.group(1)
            if style == "circled":
                number = ord(value) - ord("①") + 1
            elif style == "letter":
                number = ord(value.lower()) - ord("a") + 1
            else:
                number = _cn_number(value)
            return style, number, text[m.end():].strip()
    return None


def _marker_ok(m: re.Match) -> bool:
    if m is None:
        return False
    if m.group("filler") and m.group("marker").lower() in _BARE_MARKERS:
        return False
    if m.group("open") and not m.group("close"):
        return False
    return bool(m.group("sep") or m.group("close") or not m.group("rest").strip())


def _marker_of(text: str) -> re.Match | None:
    m = _MARKER.match(text)
    return m if _marker_ok(m) else None


def _marker_kind(marker: str) -> str:
    marker = marker.lower()
    if marker in NOTE_MARKERS:
        return "note"
    return "points" if marker in POINT_MARKERS else "answer"


def _marks_in(text: str) -> float | None:
    m = _MARKS.search(text)
    return float(m.group(1)) if m else None


def _each_marks(text: str) -> float | None:
    m = _EACH.search(text)
    return float(next(g for g in m.groups() if g)) if m else None


def _clean_prompt(text: str) -> str:
    text = _LABEL_QUESTION.sub("", _strip_emphasis(text))
    text = _MARKS.sub("", text).strip()
    return _strip_emphasis(text)


def _section_title(text: str) -> str:
    text = _strip_emphasis(text)
    bare = _SECTION_LINE.sub("", text, count=1)
    numbered = _numbering(bare)
    if numbered and numbered[0] == "cn_comma":
        bare = numbered[2]
    while True:
        stripped = _TRAILING_PAREN.sub("", bare)
        if stripped == bare:
            break
        bare = stripped
    bare = bare.strip(" :：-–—")
    return bare or text


@dataclass
class _Classified:
    line: Line
    text: str  # without emphasis
    number: tuple[str, int, str] | None  # (style, number, rest)
    key: str  # the question-style key of a question-like line ("" if none)
    marker: re.Match | None
    inline: re.Match | None  # a marker inside the line after its numbering
    bullet: bool
    section: bool


def _classify(line: Line) -> _Classified:
    text = _strip_emphasis(line.text)
    number = _numbering(text)
    if line.list_style and line.list_style != "bullet":
        number = (line.list_style, line.list_number, text)
    marker = None if number else _marker_of(text)
    bullet = bool(line.list_style == "bullet" or (_BULLET.match(text) and not marker))
    key = ""
    if number:
        key = number[0]
    elif line.heading:
        key = f"h{line.heading}"
    elif _LABEL_QUESTION.match(text) and not marker:
        key = "label"
    inline = None
    if key and not marker:
        body = number[2] if number else text
        inline = _INLINE_MARKER.search(body)
        if inline and inline.start() == 0:
            inline = None
    section = bool(_SECTION_LINE.match(text)) and not (number and number[0] != "cn_comma")
    return _Classified(line, text, number, key, marker, inline, bullet, section)


def _question_styles(items: list) -> tuple[str | None, str | None]:
    """(question style, sub-question style). Each answer marker votes for the numbering (or heading
    level) that stands last before it; without markers, the first numbering in the document."""
    votes: dict[str, int] = {}
    order: dict[str, int] = {}  # where each style first occurs
    last = None
    first = None
    for position, item in enumerate(items):
        if not isinstance(item, _Classified):
            continue
        if item.key:
            order.setdefault(item.key, position)
        if item.number and not item.section and item.key != "cn_comma":
            first = first or item.key
        if item.key:
            last = item.key
            if item.inline:
                votes[item.key] = votes.get(item.key, 0) + 1
                last = None
        if item.marker and _marker_kind(item.marker.group("marker")) != "note" and last:
            votes[last] = votes.get(last, 0) + 1
            last = None
    if not votes:
        return first, None
    # Sub-questions come after their parent: of the styles before markers, the first in the
    # document is the questions'; the most voted of the others, the sub-questions'.
    outer = min(votes, key=lambda k: order[k])
    inner = sorted((k for k in votes if k != outer), key=lambda k: -votes[k])
    return outer, inner[0] if inner else None


class _Parser:
    def __init__(self, warnings: list[str]):
        self.warnings = warnings
        self.sections: list[FoundSection] = []
        self.title: str | None = None
        self.title_where = ""
        self.each_marks: float | None = None
        self.each_where = ""
        self.question: dict | None = None  # the question being read
        self.parent: dict | None = None  # a question whose sub-questions are being read
        self.last_number = 0
        self.seen_content = False

    # -- sections and questions

    def section(self, text: str, where: str) -> FoundSection:
        self.finish()
        self.close_parent()
        each = _each_marks(text)
        section = FoundSection(_section_title(text), where, each, where if each is not None else "", label=_strip_emphasis(text))
        self.sections.append(section)
        self.last_number = 0
        return section

    def current_section(self) -> FoundSection:
        if not self.sections:
            self.sections.append(FoundSection("", ""))
        return self.sections[-1]

    def start_question(self, number: str | None, text: str, where: str, sub: bool = False) -> None:
        self.finish()
        if not sub:
            self.close_parent()
        self.seen_content = True
        self.question = {"number": number, "prompt": _clean_prompt(text), "where": where, "marks": _marks_in(text), "marks_where": where if _marks_in(text) is not None else "",
                         "blocks": [], "block": None, "pending": [], "notes": [], "subs": [], "sub": sub, "after_blank": False}

    def open_block(self, marker: str, marks_text: str, where: str, rest: str) -> None:
        q = self.question
        block = {"marker": marker, "where": where, "items": []}
        q["blocks"].append(block)
        q["block"] = block
        if marks_text and q["marks"] is None and _marks_in(marks_text) is not None:
            q["marks"], q["marks_where"] = _marks_in(marks_text), where
        if rest.strip():
            block["items"].append({"kind": "inline", "text": rest.strip(), "where": where, "style": None, "number": 0})

    def finish(self) -> None:
        """Close the question being read: a question of its own, or a parent of sub-questions."""
        q, self.question = self.question, None
        if q is None:
            return
        if q["sub"]:
            if self.parent is None:
                return
            self.parent["subs"].append(q)
            return
        if not q["blocks"] and not q["pending"] and q["prompt"]:
            # Maybe the parent of sub-questions that follow; decided when they come (or not).
            self.parent = q
            return
        self.emit(q)

    def close_parent(self) -> None:
        parent, self.parent = self.parent, None
        if parent is None:
            return
        if not parent["subs"]:
            self.emit(parent)
            return
        subs = parent["subs"]
        known = sum(s["marks"] for s in subs if s["marks"] is not None)
        unknown = [s for s in subs if s["marks"] is None]
        if unknown and parent["marks"] is not None and parent["marks"] > known:
            share = round((parent["marks"] - known) / len(unknown), 4)
            for s in unknown:
                s["marks"], s["marks_where"] = share, parent["where"]
            self.warnings.append(f"{parent['where']}: question {parent['number']}'s {parent['marks']:g} marks split evenly among {len(unknown)} sub-questions without marks")
        for s in subs:
            s["prompt"] = _join(parent["prompt"], s["prompt"])
            s["number"] = f"{parent['number']}-{s['number']}" if parent["number"] else s["number"]
            self.emit(s)

    def emit(self, q: dict) -> None:
        where = q["where"]
        name = f"question {q['number']}" if q["number"] else f"the question at {where}"
        points: list[FoundPoint]
        marker, marker_where = "", ""
        if q["blocks"]:
            kinds = {_marker_kind(b["marker"]) for b in q["blocks"]}
            blocks = q["blocks"]
            if len(kinds) > 1:
                left = [b for b in blocks if _marker_kind(b["marker"]) == "answer"]
                blocks = [b for b in blocks if _marker_kind(b["marker"]) == "points"]
                for b in left:
                    self.warnings.append(f"{b['where']}: {name}: {b['marker']} block not used as points; {blocks[0]['marker']} ({blocks[0]['where']}) gives them")
            marker, marker_where = blocks[0]["marker"], blocks[0]["where"]
            points = [p for b in blocks for p in self.block_points(b, name)]
        elif q["pending"]:
            points = [self.point(item["text"], item["where"]) for item in q["pending"]]
            self.warnings.append(f"{where}: {name} has no answer marker; took the {len(points)} list items under it as its points")
        else:
            points = []
        points = [p for p in points if p.text]
        if not points:
            self.warnings.append(f"{where}: {name} has no points (no answer marker or list under it); left out")
            return
        if not q["prompt"]:
            self.warnings.append(f"{where}: {name} has no question text; left out")
            return
        found = FoundQuestion(q["number"], q["prompt"], where, q["marks"], q["marks_where"], marker, marker_where, points, "\n".join(q["notes"]))
        self.current_section().questions.append(found)

    # -- points

    def point(self, text: str, where: str) -> FoundPoint:
        text = _strip_emphasis(_BULLET.sub("", _strip_emphasis(text)))
        numbered = _numbering(text)
        if numbered and numbered[0] not in ("q", "di", "cn_comma"):
            text = numbered[2]
        marks = None
        m = re.search(r"\s*" + _MARKS.pattern + r"[\s。；;.,，]*$", text, re.I) or re.match(r"^\s*" + _MARKS.pattern + r"\s*", text, re.I)
        if m:
            marks = float(m.group(1))
            text = text[: m.start()] + text[m.end():]
        return FoundPoint(text.strip().rstrip("；;。，,.").strip(), where, marks)

    def block_points(self, block: dict, name: str) -> list[FoundPoint]:
        items = block["items"]
        if len(items) == 1 and items[0]["kind"] in ("inline", "plain"):
            parts = _split_inline(items[0]["text"])
            points = [self.point(p, items[0]["where"]) for p in parts]
        else:
            points = [self.point(item["text"], item["where"]) for item in items]
        for p in points:
            if re.search(r"[；;。!?！？]\s*\S|\.\s+[A-Z]", p.text):  # two sentences, or a list kept in one line
                self.warnings.append(f"{p.where}: {name}: one point looks like several ({p.text[:30]!r}...); kept as one")
        return points

    # -- the lines

    def feed(self, item: _Classified, q_style: str | None, sub_style: str | None) -> None:
        line, text = item.line, item.text
        if not text:
            if self.question:
                self.question["after_blank"] = True
            return
        q = self.question
        block = q["block"] if q else None
        if line.title and self.title is None:
            self.title, self.title_where = text, line.where
            return
        if item.number and item.key in (q_style, sub_style) and block is not None:
            # Inside an answer block a number that continues the points' own numbering is a point.
            numbered = [i for i in block["items"] if i["style"] == item.key]
            if numbered and item.number[1] == numbered[-1]["number"] + 1 or (not numbered and item.key == q_style and item.number[1] != self.last_number + 1 and item.number[1] == 1):
                self.add_item(item, "numbered")
                return
        if item.key and item.key == q_style and not item.section:
            number = item.number[1] if item.number else None
            if number is not None:
                self.last_number = number
            self.question_line(item, str(number) if number is not None else None, sub=False)
            return
        if item.key and item.key == sub_style and (self.parent is not None or (q and not q["blocks"] and not q["pending"] and not q["sub"])):
            if q and not q["sub"]:
                self.finish()  # the question becomes the parent
            self.question_line(item, str(item.number[1]) if item.number else None, sub=True)
            return
        if item.section or (item.number and item.number[0] == "cn_comma") or (line.heading and not (q_style or "").startswith("h")) \
                or (line.heading and q_style and q_style.startswith("h") and line.heading < int(q_style[1:])):
            if not self.seen_content and self.title is None and not self.sections and line.heading == 1 and not item.section and not item.number:
                # A first heading above everything else names the document
                self.title, self.title_where = _strip_emphasis(text), line.where
                return
            self.section(text, line.where)
            return
        if item.marker:
            kind = _marker_kind(item.marker.group("marker"))
            if q is None:
                self.warnings.append(f"{line.where}: {item.marker.group('marker')!r} with no question before it; ignored")
                return
            if kind == "note":
                q["block"] = None
                if item.marker.group("rest").strip():
                    q["notes"].append(item.marker.group("rest").strip())
                return
            self.open_block(item.marker.group("marker"), item.marker.group("marks") or "", line.where, item.marker.group("rest"))
            return
        if q is None:
            self.outside(item)
            return
        if block is not None:
            if item.bullet or item.number:
                self.add_item(item, "bullet" if item.bullet else "numbered")
            elif block["items"] and block["items"][-1]["kind"] in ("bullet", "numbered") and not q["after_blank"]:
                block["items"][-1]["text"] = _join(block["items"][-1]["text"], text)
            elif block["items"] and block["items"][-1]["kind"] in ("bullet", "numbered"):
                q["block"] = None
                self.warnings.append(f"{line.where}: text after the points of the question at {q['where']}; not a point: {text[:30]!r}")
            else:
                self.add_item(item, "plain")
        elif item.bullet or item.number:
            q["pending"].append({"text": text, "where": line.where})
        elif not q["pending"] and not q["blocks"]:
            q["prompt"] = _join(q["prompt"], _clean_prompt(text))
            if q["marks"] is None and _marks_in(text) is not None:
                q["marks"], q["marks_where"] = _marks_in(text), line.where
        else:
            self.warnings.append(f"{line.where}: text under the question at {q['where']} that is neither its prompt nor a point: {text[:30]!r}; ignored")
        q["after_blank"] = False

    def add_item(self, item: _Classified, kind: str) -> None:
        q = self.question
        q["block"]["items"].append({"kind": kind, "text": item.text, "where": item.line.where,
                                    "style": item.number[0] if item.number else None, "number": item.number[1] if item.number else 0})
        q["after_blank"] = False

    def question_line(self, item: _Classified, number: str | None, sub: bool) -> None:
        text = item.number[2] if item.number else item.text  # `inline` was searched in this text
        self.start_question(number, text[: item.inline.start()] if item.inline else text, item.line.where, sub)
        if item.inline:
            self.open_block(item.inline.group("marker"), item.inline.group("marks") or "", item.line.where, item.inline.group("rest"))

    def outside(self, item: _Classified) -> None:
        """A line outside any question: the title, a default of marks, or preamble."""
        each = _each_marks(item.text)
        if each is not None:
            if self.sections and self.sections[-1].each_marks is None:
                self.sections[-1].each_marks, self.sections[-1].each_where = each, item.line.where
            elif not self.sections:
                self.each_marks, self.each_where = each, item.line.where
        if self.title is None and not self.sections and not self.seen_content:
            self.title, self.title_where = _TRAILING_PAREN.sub("", _strip_emphasis(item.text)) or item.text, item.line.where

    def table(self, questions: list[TableQuestion]) -> None:
        self.finish()
        self.close_parent()
        named: dict[str, FoundSection] = {}
        for tq in questions:
            if tq.section:
                if tq.section not in named:
                    if self.sections and not self.sections[-1].questions and not self.sections[-1].title:
                        self.sections.pop()
                    named[tq.section] = FoundSection(_section_title(tq.section), tq.section_where, _each_marks(tq.section))
                    self.sections.append(named[tq.section])
                section = named[tq.section]
            else:
                section = self.current_section()
            self.seen_content = True
            items = [{"kind": "plain", "text": text, "where": where, "style": None, "number": 0} for text, where in tq.points]
            name = f"question {tq.number}" if tq.number else f"the question at {tq.where}"
            points = [p for p in self.block_points({"items": items}, name) if p.text]
            if not points:
                self.warnings.append(f"{tq.where}: {name} has no points; left out")
                continue
            section.questions.append(FoundQuestion(tq.number, _clean_prompt(tq.prompt), tq.where, tq.marks if tq.marks is not None else _marks_in(tq.prompt),
                                                   tq.marks_where or (tq.where if _marks_in(tq.prompt) is not None else ""), tq.marker, tq.marker_where, points))


def _join(first: str, second: str) -> str:
    """Two pieces of one text: a space between words of a Latin script, none in Chinese."""
    if not first or not second:
        return first or second
    return first + (" " if re.search(r"[\x21-\x7e]$", first) and not _CJK.match(second) else "") + second


def _split_inline(text: str) -> list[str]:
    """One line of points: split at its numbering (（1）… ①… 1、…), else at ；/;."""
    starts = [m.start() for m in _INLINE_NUMBER.finditer(text)]
    if len(starts) >= 2:
        intro = text[: starts[0]].strip()
        parts = [text[a:b].strip() for a, b in zip(starts, starts[1:] + [len(text)])]
        if intro and not re.search(r"[:：]$", intro):
            parts.insert(0, intro)
        return parts
    parts = [p.strip() for p in re.split(r"[；;]", text) if p.strip()]
    return parts or [text]


def parse_items(items: list, warnings: list[str]) -> Found:
    """Sections, questions and points of a document's lines and tables, in the document's order."""
    classified = [_classify(i) if isinstance(i, Line) else i for i in items]
    q_style, sub_style = _question_styles(classified)
    parser = _Parser(warnings)
    for item in classified:
        if isinstance(item, _Classified):
            parser.feed(item, q_style, sub_style)
        else:
            parser.table(item)
    parser.finish()
    parser.close_parent()
    sections = [s for s in parser.sections if s.questions]
    for s in parser.sections:
        if not s.questions and s.title:
            warnings.append(f"{s.where}: section {s.title!r} has no questions; left out")
    return Found(parser.title, parser.title_where, sections, warnings, parser.each_marks, parser.each_where)
