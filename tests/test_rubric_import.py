"""Importing the seed question set: every question id and prompt of the hand-made rubric, with
no conversion damage left and every repair listed; the same from .docx and .pdf copies."""

import json
import os
import re

import pytest
import yaml

from grader import cli
from grader.rubric.model import load_rubric
from grader.rubric.importer import import_rubric, repair_text, rubric_diff, rubric_warnings, write_rubric

from .conftest import ROOT, RUBRIC_PATH

SEED = ROOT.parent / "shared" / "seed" / "000_59ede42754e61b53.txt"
# CI sets GRADER_REQUIRE_SEED=1: there a missing seed fails these tests instead of skipping them.
REQUIRE_SEED = os.environ.get("GRADER_REQUIRE_SEED") == "1"
needs_seed = pytest.mark.skipif(not SEED.exists() and not REQUIRE_SEED, reason="shared/seed is not beside the project")


def test_seed_is_present_when_required():
    if REQUIRE_SEED:
        assert SEED.exists(), f"GRADER_REQUIRE_SEED=1 but the seed is missing: {SEED}"
DAMAGE = re.compile(r"\([a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]+\)|\?\?|蛻|魡|栴")


def _check_import(result, tmp_path):
    out = tmp_path / "imported.yaml"
    write_rubric(result, out)
    imported, reference = load_rubric(out), load_rubric(RUBRIC_PATH)
    assert [(q.id, q.prompt) for q in imported.questions()] == [(q.id, q.prompt) for q in reference.questions()]
    assert [s.id for s in imported.sections] == ["behavioral", "situational", "knowledge", "stress"]
    text = out.read_text(encoding="utf-8").split("\nid:", 1)[1]
    assert not DAMAGE.search(text)
    from grader.textnorm import to_simplified

    assert to_simplified(text) == text  # no Traditional character left
    assert all(abs(sum(p.weight for p in q.points) - q.max_score) < 1e-6 for q in imported.questions())
    return imported


@needs_seed
def test_seed_imports_to_the_reference_questions(tmp_path):
    result = import_rubric(SEED, "internet-bank-cs-manager-2026")
    imported = _check_import(result, tmp_path)
    kinds = {r.kind for r in result.repairs}
    assert {"pinyin", "mojibake", "script", "boilerplate", "lost_character"} <= kinds
    mojibake = [r for r in result.repairs if r.kind == "mojibake"]
    assert [r.after for r in mojibake] == ["客戶問題", "客戶未在交易中受損"] and all(r.line == 14 for r in mojibake)
    assert len([r for r in result.repairs if r.kind == "pinyin"]) >= 20
    # The character lost before 客户 in 确?客户 cannot be known: flagged, not guessed.
    assert [r.kind for r in result.unrepaired] == ["lost_character"] and "確" in result.unrepaired[0].before
    assert imported.question("behavioral-1").notes == "重点考察“STAR原则”"
    assert "人人文库" not in (tmp_path / "imported.yaml").read_text(encoding="utf-8")


@needs_seed
def test_docx_and_pdf_copies_import_the_same(tmp_path):
    import docx
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    lines = SEED.read_text(encoding="utf-8").splitlines()
    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    document.save(tmp_path / "seed.docx")
    _check_import(import_rubric(tmp_path / "seed.docx", "internet-bank-cs-manager-2026"), tmp_path)

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    pdf = canvas.Canvas(str(tmp_path / "seed.pdf"))
    y, width = 800, 45
    for line in lines:
        for start in range(0, max(1, len(line)), width):
            if y < 40:
                pdf.showPage()
                y = 800
            pdf.setFont("STSong-Light", 9)
            pdf.drawString(30, y, line[start : start + width])
            y -= 12
    pdf.save()
    _check_import(import_rubric(tmp_path / "seed.pdf", "internet-bank-cs-manager-2026"), tmp_path)


def test_unrecoverable_mojibake_is_left_and_flagged():
    text, repairs, unrepaired = repair_text("题目：这是一段乱码??鐵鐵鐵}测试")
    assert "??" in text and unrepaired and unrepaired[0].kind == "mojibake"


@needs_seed
def test_traditional_script_on_request(tmp_path):
    result = import_rubric(SEED, "x", script="traditional")
    prompts = [q["prompt"] for s in result.rubric["sections"] for q in s["questions"]]
    assert prompts[0].startswith("請分享一次你成功解決客戶")


def test_check_and_diff(tmp_path, capsys):
    rubric = load_rubric(RUBRIC_PATH)
    assert any("stress-3.p1" in w for w in rubric_warnings(rubric))
    changed = tmp_path / "v2.yaml"
    changed.write_text(RUBRIC_PATH.read_text(encoding="utf-8").replace("text: 公开道歉", "text: 公开向受影响的客户道歉"), encoding="utf-8")
    assert rubric_diff(rubric, load_rubric(changed)) == ["~ stress-3.p1 text: '公开道歉' -> '公开向受影响的客户道歉'"]
    assert cli.main(["rubric", "check", str(RUBRIC_PATH)]) == 0
    assert "20 questions" in capsys.readouterr().out
    assert cli.main(["rubric", "diff", str(RUBRIC_PATH), str(changed)]) == 0
    assert "stress-3.p1" in capsys.readouterr().out


# ---------------------------------------------------------------- banks in other layouts (issue 24)

BANKS = ROOT / "tests" / "data" / "banks"
EXPECTED = sorted(BANKS.glob("*.json"))


@pytest.fixture(scope="module")
def generated_banks(tmp_path_factory):
    """The corpus's docx, xlsx, PDF and GBK banks, written by the committed generator."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_banks", BANKS / "make_banks.py")
    make_banks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_banks)
    folder = tmp_path_factory.mktemp("banks")
    make_banks.build(folder)
    return folder


def _structure(rubric: dict) -> dict:
    return {"title": rubric["title"], "language": rubric["language"], "sections": [
        {"id": s["id"], "title": s["title"], "questions": [
            {"id": q["id"], "prompt": q["prompt"], "max_score": q["max_score"], "points": [[p["text"], p["weight"]] for p in q["points"]]}
            for q in s["questions"]]} for s in rubric["sections"]]}


def test_the_corpus_covers_the_layouts_asked_for():
    suffixes = [json.loads(p.read_text(encoding="utf-8"))["file"].rsplit(".", 1)[1] for p in EXPECTED]
    assert len(EXPECTED) >= 12
    assert {"md", "txt", "csv", "xlsx", "docx", "pdf"} <= set(suffixes)


@pytest.mark.parametrize("expected_path", EXPECTED, ids=[p.stem for p in EXPECTED])
def test_each_bank_imports_to_the_structure_a_person_reads(expected_path, generated_banks, tmp_path, capsys):
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    document = (generated_banks if expected.get("generated") else BANKS) / expected["file"]
    result = import_rubric(document)
    want = {k: expected[k] for k in ("title", "language", "sections")}
    assert _structure(result.rubric) == want
    # exactly the warnings a person would expect, no more
    assert len(result.warnings) == len(expected["warnings"]), result.warnings
    for warning in expected["warnings"]:
        assert any(warning in w for w in result.warnings), (warning, result.warnings)
    # the same document imports to the same ids and points again
    assert import_rubric(document).rubric == result.rubric
    out = tmp_path / "imported.yaml"
    assert cli.main(["rubric", "import", str(document), "-o", str(out)]) == 0
    assert cli.main(["rubric", "check", str(out)]) == 0
    assert _structure(yaml.safe_load(out.read_text(encoding="utf-8"))) | {"title": expected["title"]} == want | {"title": expected["title"]}


def test_import_prints_each_question_with_the_place_it_came_from(generated_banks, tmp_path, capsys):
    assert cli.main(["rubric", "import", str(BANKS / "md_key_points.md"), "-o", str(tmp_path / "a.yaml")]) == 0
    out = capsys.readouterr().out
    assert "[behavioral] Behavioural questions (line 3)" in out
    assert "behavioral-1 (line 5): 10 marks (line 5); 4 points under Key points (line 7)" in out
    assert "p4 2.5  Follows up after the issue is closed  (line 11)" in out
    assert cli.main(["rubric", "import", str(generated_banks / "xlsx_bank.xlsx"), "-o", str(tmp_path / "b.yaml")]) == 0
    out = capsys.readouterr().out
    assert "situational-3 (sheet '题库' cell C6): 12 marks (sheet '题库' cell E6)" in out
    assert "p1 4  保持冷静，不与客户争执  (sheet '题库' cell D6)" in out


def test_guesses_are_warned_and_written_into_the_rubric(tmp_path, capsys):
    bank = tmp_path / "bank.txt"
    bank.write_text("1. 如何处理投诉？（10分）\n- 倾听客户\n- 道歉并给出方案\n2. 如何看待加班？\n答案要点：理解业务需要，也注意效率。主动和主管沟通安排。\n", encoding="utf-8")
    out = tmp_path / "r.yaml"
    assert cli.main(["rubric", "import", str(bank), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "warning: line 1: question 1 has no answer marker; took the 2 list items under it as its points" in err
    assert "warning: line 5: question 2: one point looks like several" in err
    assert "no marks found for questions-2; 10 each assumed" in err
    assert "# warning line 1: question 1 has no answer marker" in out.read_text(encoding="utf-8")


def test_a_bank_without_points_writes_nothing_and_says_why(tmp_path, capsys):
    bank = tmp_path / "questions-only.txt"
    bank.write_text("面试题\n1. 请介绍你自己。\n2. 你为什么离开上一家公司？\n", encoding="utf-8")
    assert cli.main(["rubric", "import", str(bank), "-o", str(tmp_path / "r.yaml")]) == 2
    err = capsys.readouterr().err
    assert "line 2: question 1 has no points" in err and "no questions found" in err and "docs/rubric-import.md" in err
    assert not (tmp_path / "r.yaml").exists()


def test_marks_from_sub_questions_and_some_points(tmp_path):
    bank = tmp_path / "bank.txt"
    bank.write_text("1. 回答下列问题（20分）\n（1）什么是KYC？\n答案要点：识别客户身份；了解资金来源\n（2）什么是洗钱？（8分）\n答案要点：掩饰非法所得来源\n"
                    "2. 如何开户？（10分）\n答案要点：\n- 核验证件（4分）\n- 风险评估\n- 签署协议\n", encoding="utf-8")
    result = import_rubric(bank)
    marks = {q["id"]: (q["max_score"], [p["weight"] for p in q["points"]]) for q in result.rubric["sections"][0]["questions"]}
    assert marks == {"questions-1-1": (12, [6, 6]), "questions-1-2": (8, [8]), "questions-2": (10, [4, 3, 3])}
    assert any("20 marks split evenly among 1 sub-questions" in w for w in result.warnings)
    assert any("1 of 3 points have marks; the other 2 share the remaining 6" in w for w in result.warnings)


def test_ids_do_not_move_when_another_section_changes(tmp_path):
    text = (BANKS / "mixed_markers.txt").read_text(encoding="utf-8")
    before = import_rubric(BANKS / "mixed_markers.txt").rubric
    edited = tmp_path / "mixed_markers.txt"
    edited.write_text(text.replace("二、压力面试", "问题9：新加的一题？\n答案要点：\n1. 新要点一\n2. 新要点二\n\n二、压力面试"), encoding="utf-8")
    after = import_rubric(edited).rubric
    assert after["sections"][1] == before["sections"][1]
    assert [q["id"] for q in after["sections"][0]["questions"]] == ["behavioral-1", "behavioral-2", "behavioral-9"]


def test_show_lists_questions_points_and_weights_in_order(capsys):
    assert cli.main(["rubric", "show", str(RUBRIC_PATH)]) == 0
    out = capsys.readouterr().out
    reference = load_rubric(RUBRIC_PATH)
    ids = [q.id for q in reference.questions()]
    positions = [out.index(f"  {qid}  (") for qid in ids]
    assert positions == sorted(positions)
    first = reference.question(ids[0])
    assert f"{first.points[0].id:<4}{first.points[0].weight:>7g}  {first.points[0].text}" in out


def test_notes_end_the_points_and_a_table_without_a_header_is_read_as_lines(tmp_path):
    import docx

    document = docx.Document()
    table = document.add_table(rows=2, cols=1)
    table.rows[0].cells[0].text = "1. 你如何理解合规？（6分）\n答案要点：\n- 遵守法规\n- 保护客户"
    table.rows[1].cells[0].text = "解析：考察合规意识"
    document.save(tmp_path / "layout-table.docx")
    result = import_rubric(tmp_path / "layout-table.docx")
    (question,) = result.rubric["sections"][0]["questions"]
    assert [p["text"] for p in question["points"]] == ["遵守法规", "保护客户"]
    assert question["notes"] == "考察合规意识" and question["max_score"] == 6
    assert "p2 3  保护客户  (table 1 row 1)" in "\n".join(result.found)


def test_an_unreadable_spreadsheet_is_named(tmp_path, capsys):
    bad = tmp_path / "bank.xlsx"
    bad.write_bytes(b"PK\x03\x04 not a workbook")
    assert cli.main(["rubric", "import", str(bad), "-o", str(tmp_path / "r.yaml")]) == 2
    assert f"{bad}: not a readable spreadsheet" in capsys.readouterr().err
    assert not (tmp_path / "r.yaml").exists()


def test_section_ids_from_known_titles_else_their_label_else_their_place(tmp_path):
    bank = tmp_path / "bank.md"
    bank.write_text("## Section A: Technical\n### Q1. What is DNS?\nKey points:\n- Names to addresses\n"
                    "## Section C: Miscellaneous\n### Q2. Why us?\nKey points:\n- Knows the firm\n"
                    "## 其他问题\n### Q3. 你的期望薪资？\nKey points:\n- 有依据\n", encoding="utf-8")
    assert [s["id"] for s in import_rubric(bank).rubric["sections"]] == ["technical", "section-c", "section-3"]


def test_a_sheet_with_a_model_answer_and_a_points_column_takes_the_points(tmp_path):
    sheet = tmp_path / "bank.csv"
    sheet.write_text("题号,题目,参考答案,评分标准,分值\n1,为什么选择我们？,我一直关注贵行的发展……,了解公司；动机真实,4\n", encoding="gbk")
    result = import_rubric(sheet)
    (question,) = result.rubric["sections"][0]["questions"]
    assert (question["id"], [p["text"] for p in question["points"]]) == ("questions-1", ["了解公司", "动机真实"])
    assert "under 评分标准 (row 1, column D)" in "\n".join(result.found)


# ---------------------------------------------------------------- --llm: a model extracts what the rules miss


@pytest.fixture
def extraction_server():
    """A local OpenAI-compatible endpoint answering every request with one extraction, one point
    of which is not in the document; it records the requests it got."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    answer = {"title": "客服岗面试说明", "sections": [{"title": "", "questions": [
        {"number": "1", "prompt": "请说说你如何处理客户投诉。", "marks": 9,
         "points": [{"text": "倾听客户"}, {"text": "及时道歉"}, {"text": "给出解决方案"}, {"text": "赔偿客户损失"}]}]}]}
    requests = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            requests.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            body = json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": "stub", "choices": [
                {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": json.dumps(answer, ensure_ascii=False)}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", requests
    server.shutdown()


PROSE_BANK = "客服岗面试说明\n第一道题请说说你如何处理客户投诉。好的回答要讲到倾听客户、及时道歉、给出解决方案，满分9分。\n"


def test_llm_extraction_keeps_only_points_in_the_document_and_marks_each_question(tmp_path, capsys, extraction_server, monkeypatch):
    monkeypatch.delenv("GRADER_BASE_URL", raising=False)
    base_url, requests = extraction_server
    bank, out = tmp_path / "prose.txt", tmp_path / "r.yaml"
    bank.write_text(PROSE_BANK, encoding="utf-8")
    assert cli.main(["rubric", "import", str(bank), "-o", str(out)]) == 2  # the rules find nothing
    assert cli.main(["rubric", "import", str(bank), "-o", str(out), "--llm", "--base-url", base_url]) == 0
    captured = capsys.readouterr()
    assert "赔偿客户损失' is not in the document; dropped" in captured.err
    assert "questions-1 [model-extracted: review] (model-extracted, line 2): 9 marks" in captured.out
    rubric = load_rubric(out)
    assert [(p.text, p.weight) for p in rubric.question("questions-1").points] == [("倾听客户", 3), ("及时道歉", 3), ("给出解决方案", 3)]
    assert "# model-extracted (--llm), review each: questions-1" in out.read_text(encoding="utf-8")
    # the document reaches the model as data inside delimiters
    assert len(requests) == 1 and "<document>\n客服岗面试说明" in requests[0]["messages"][1]["content"]


def test_llm_is_not_asked_where_the_rules_read_the_bank_and_needs_an_endpoint(tmp_path, capsys, extraction_server, monkeypatch):
    monkeypatch.delenv("GRADER_BASE_URL", raising=False)
    base_url, requests = extraction_server
    assert cli.main(["rubric", "import", str(BANKS / "per_point_marks.txt"), "-o", str(tmp_path / "a.yaml"), "--llm", "--base-url", base_url]) == 0
    assert requests == [] and "model-extracted" not in (tmp_path / "a.yaml").read_text(encoding="utf-8")
    bank = tmp_path / "prose.txt"
    bank.write_text(PROSE_BANK, encoding="utf-8")
    assert cli.main(["rubric", "import", str(bank), "-o", str(tmp_path / "b.yaml"), "--llm"]) == 2
    assert "--llm needs an endpoint" in capsys.readouterr().err and not (tmp_path / "b.yaml").exists()


def test_a_traditional_sheet_keeps_its_script_on_request(tmp_path):
    sheet = tmp_path / "bank.csv"
    sheet.write_text("題目,答案要點,分值\n請說明你處理客戶投訴的經驗。,傾聽客戶；提出方案,4\n", encoding="utf-8")
    (question,) = import_rubric(sheet, script="keep").rubric["sections"][0]["questions"]
    assert question["prompt"] == "請說明你處理客戶投訴的經驗。" and question["points"][0]["text"] == "傾聽客戶"
