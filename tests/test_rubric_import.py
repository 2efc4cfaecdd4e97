"""Importing the seed question set: every question id and prompt of the hand-made rubric, with
no conversion damage left and every repair listed; the same from .docx and .pdf copies."""

import os
import re

import pytest

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
    from grader.grading.textnorm import to_simplified

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
