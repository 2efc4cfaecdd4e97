"""Reading candidates' answers exported from hiring systems: CSV (UTF-8, UTF-8 with BOM,
GB18030/GBK as Chinese Excel writes it), XLSX and JSONL, in long format (one row per candidate
and question) or wide format (one row per candidate, a column per question id).

Every problem is reported with file, row and column; the rest of the file is still read.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from ..errors import TableError
from ..jsonl import read_objects
from ..rubric.model import Rubric

CANDIDATE_COLUMNS = ("candidate", "candidate_id", "candidate_name", "name", "id", "姓名", "候选人", "编号")
QUESTION_COLUMNS = ("question_id", "question", "题号")
ANSWER_COLUMNS = ("answer", "回答", "答案")


@dataclass(frozen=True)
class CandidateAnswer:
    candidate: str
    question_id: str
    answer: str
    where: str  # file:row:column, for messages

    @property
    def answer_id(self) -> str:
        """How grades and reports name this answer."""
        return f"{self.candidate}/{self.question_id}"


def _decode_csv(raw: bytes) -> str:
    """The file's text: UTF-8 (with or without a BOM) if it all is; otherwise line by line, each in
    the encoding it decodes in, UTF-8 first: a GBK export may hold a row pasted from a UTF-8
    source, which GB18030 would read as mojibake (张伟 as 寮犱紵) without an error. A line that
    is neither keeps U+FFFD for its bad bytes, which `_read_table` reports."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    decoded = []
    # bytes.splitlines splits at \n, \r and \r\n only, which are never part of a GBK character.
    for line in raw.splitlines(keepends=True):
        for encoding in ("utf-8", "gb18030"):
            try:
                decoded.append(line.decode(encoding))
                break
            except UnicodeDecodeError:
                continue
        else:
            decoded.append(line.decode("utf-8", errors="replace"))
    return "".join(decoded)


# Row tables by file suffix: (path, rubric, problems) -> (row number as a spreadsheet shows it,
# cells) for every row, the header first. A new table format is one function registered here
# (docs/architecture.md, "How to add an input format"); CSV reads any suffix not registered.
TableRows = Iterator[tuple[int, list[str]]]
TABLE_FORMATS: dict[str, Callable[[Path, Rubric, list[str]], TableRows]] = {}


def register_table_format(*suffixes: str):
    def register(reader: Callable[[Path, Rubric, list[str]], TableRows]):
        for suffix in suffixes:
            TABLE_FORMATS[suffix.lower()] = reader
        return reader

    return register


def _rows(path: Path, rubric: Rubric, problems: list[str]) -> TableRows:
    """Every row of the table, the header first, by the reader of its suffix (CSV by default)."""
    return TABLE_FORMATS.get(path.suffix.lower(), _csv_rows)(path, rubric, problems)


@register_table_format(".xlsx", ".xlsm")
def _xlsx_rows(path: Path, rubric: Rubric, problems: list[str]) -> TableRows:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        raise TableError(f"{path}: not a readable XLSX file: {exc}") from exc
    sheet = book.worksheets[0]
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        yield number, ["" if v is None else str(v) for v in row]
    book.close()


def _csv_rows(path: Path, rubric: Rubric, problems: list[str]) -> TableRows:
    """A quoted field that runs away is added to `problems` (see `_csv_records`)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise TableError(f"{path}: cannot read: {exc}") from exc
    text = _decode_csv(raw)
    # The csv module stops at 131,072 characters a field; no field can be longer than the file,
    # and a long answer is cut and flagged `truncated` when it is graded, like any other.
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    yield from _csv_records(path, list(io.StringIO(text, newline="")), rubric, problems)


def _csv_records(path: Path, lines: list[str], rubric: Rubric, problems: list[str]) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) of each CSV record in `lines` (the physical lines, ends kept); a row is
    numbered as a spreadsheet shows it, so a multi-line answer is one row.

    A quoted field may hold line breaks (a multi-line answer, as Excel writes it). A quote that
    is never closed on its line, though, swallows the rows after it into one field, and the csv
    module says nothing. A record spanning lines runs away when it is not well-formed CSV (its
    quote is still open at the end of the file, or closes in the middle of a field) or when one
    of its later lines is a row of the table on its own. Such a record is reported and its first
    line read alone (the field from the stray quote to the end of the line); reading goes on
    from the next line, so every row is read."""
    start, number, is_row = 0, 0, None
    while start < len(lines):
        reader = csv.reader(lines[i] for i in range(start, len(lines)))  # no copy of the rest per restart
        first = start
        for row in reader:
            end = start + reader.line_num
            number += 1
            if is_row is None:  # the header
                is_row = _row_start(row, rubric)
            elif (end - first > 1 or end == len(lines)) and _runs_away(lines[first:end], is_row):
                column = next((i for i, cell in enumerate(row) if "\n" in cell or "\r" in cell), len(row) - 1)
                problems.append(
                    f"{path}:{number}: column {_column_letter(column)}: a quoted field runs past the end of its line, from line {first + 1} "
                    f"(a stray \"?); that line was read on its own, and the lines after it as rows"
                )
                yield number, next(csv.reader([lines[first]]))
                start = first + 1
                break
            yield number, row
            first = end
        else:
            return


def _runs_away(span: list[str], is_row: Callable[[list[str]], bool]) -> bool:
    """Whether the record on these lines (several, or the file's last) was made by a stray quote."""
    try:
        for _ in csv.reader(span, strict=True):
            pass
    except csv.Error as exc:
        # Several lines: the quote is still open at the end of the file, or closes mid-field. The
        # last line alone: only an open quote is a runaway (a quote closing mid-field is read as
        # the csv module always read it).
        return len(span) > 1 or "unexpected end of data" in str(exc)
    return any(is_row(next(csv.reader([line]), [])) for line in span[1:])


def _row_start(header: list[str], rubric: Rubric) -> Callable[[list[str]], bool]:
    """Whether cells read from one line look like a row of the table `header` heads: as many cells
    as the header, a candidate, and (long format) a question id of the rubric."""
    header = _clean_header(header)
    candidate_col, question_col, answer_col = _find(header, CANDIDATE_COLUMNS), _find(header, QUESTION_COLUMNS), _find(header, ANSWER_COLUMNS)
    known = {q.id for q in rubric.questions()}

    def is_row(cells: list[str]) -> bool:
        if len(cells) != len(header) or candidate_col is None or not cells[candidate_col].strip():
            return False
        return question_col is None or answer_col is None or cells[question_col].strip() in known

    return is_row


def _clean_header(header: list[str]) -> list[str]:
    return [h.strip().lstrip("\ufeff") for h in header]


def _find(header: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [h.strip().lower() for h in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    return None


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def read_answers(path: Path, rubric: Rubric) -> tuple[list[CandidateAnswer], list[str]]:
    """All readable answers and a list of problems (each naming file, row and column)."""
    if path.is_dir():
        raise TableError(f"{path}: is a folder, not a CSV, XLSX or JSONL file")
    answers, problems = _read_jsonl(path, rubric) if path.suffix.lower() == ".jsonl" else _read_table(path, rubric)
    if not answers and not problems:
        # Grading nothing and exiting 0 would look like success.
        raise TableError(f"{path}: no answers in the file")
    return answers, problems


def _read_table(path: Path, rubric: Rubric) -> tuple[list[CandidateAnswer], list[str]]:
    known = {q.id for q in rubric.questions()}
    answers: list[CandidateAnswer] = []
    problems: list[str] = []
    rows = _rows(path, rubric, problems)
    try:
        _, header = next(rows)
    except StopIteration:
        raise TableError(f"{path}: empty file") from None
    header = _clean_header(header)
    candidate_col = _find(header, CANDIDATE_COLUMNS)
    if candidate_col is None:
        raise TableError(f"{path}: row 1: no candidate column (one of {', '.join(CANDIDATE_COLUMNS)})")
    question_col, answer_col = _find(header, QUESTION_COLUMNS), _find(header, ANSWER_COLUMNS)
    long_format = question_col is not None and answer_col is not None
    wide_cols = {i: h for i, h in enumerate(header) if h in known}
    if not long_format:
        unknown = [f"column {_column_letter(i)} {h!r}" for i, h in enumerate(header) if h and i != candidate_col and h not in known]
        problems += [f"{path}:1: {u}: not a question id of rubric {rubric.id}" for u in unknown]
        if not wide_cols:
            raise TableError(f"{path}: row 1: neither question_id/answer columns (long format) nor question-id columns (wide format)")
    seen: set[tuple[str, str]] = set()
    for number, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        cell = lambda i: row[i].strip() if i is not None and i < len(row) else ""  # noqa: E731
        candidate = cell(candidate_col)
        if not candidate:
            problems.append(f"{path}:{number}: column {_column_letter(candidate_col)}: no candidate")
            continue
        pairs = [(cell(question_col), answer_col)] if long_format else [(qid, i) for i, qid in wide_cols.items()]
        for question_id, col in pairs:
            where = f"{path}:{number}: column {_column_letter(col)}"
            text = cell(col)
            if question_id not in known:
                problems.append(f"{path}:{number}: column {_column_letter(question_col)}: unknown question id {question_id!r}")
                continue
            if "\ufffd" in text:
                problems.append(f"{where}: undecodable bytes in the answer (the file is neither UTF-8 nor GBK here)")
                continue
            if not text:
                problems.append(f"{where}: empty answer for {candidate} / {question_id}")
                continue
            if (candidate, question_id) in seen:
                problems.append(f"{where}: duplicate answer for {candidate} / {question_id} (the first one is graded)")
                continue
            seen.add((candidate, question_id))
            answers.append(CandidateAnswer(candidate, question_id, text, where))
    return answers, problems


def _read_jsonl(path: Path, rubric: Rubric) -> tuple[list[CandidateAnswer], list[str]]:
    known = {q.id for q in rubric.questions()}
    answers, problems, seen = [], [], set()
    for number, data in read_objects(path, TableError):
        if isinstance(data, str):
            problems.append(data)
            continue
        candidate = str(data.get("candidate") or data.get("candidate_id") or "").strip()
        if not candidate:
            problems.append(f"{path}:{number}: field candidate: missing")
            continue
        if "question_id" in data:
            pairs = [(data.get("question_id"), data.get("answer"))]
        else:
            pairs = [(k, v) for k, v in data.items() if k in known]
        for question_id, text in pairs:
            if question_id not in known:
                problems.append(f"{path}:{number}: field question_id: unknown question id {question_id!r}")
            elif not isinstance(text, str) or not text.strip():
                problems.append(f"{path}:{number}: field answer: empty answer for {candidate} / {question_id}")
            elif (candidate, question_id) in seen:
                problems.append(f"{path}:{number}: field question_id: duplicate answer for {candidate} / {question_id} (the first one is graded)")
            else:
                seen.add((candidate, question_id))
                answers.append(CandidateAnswer(candidate, question_id, text.strip(), f"{path}:{number}"))
    return answers, problems
