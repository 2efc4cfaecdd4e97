"""Writes the corpus's banks that are not plain text (docx, xlsx, text PDF, a GBK text), so that
what each holds is readable here: `python tests/data/banks/make_banks.py OUT_DIR`.
Each bank's expected structure, written by hand, is the .json beside this script."""

from __future__ import annotations

import sys
from pathlib import Path

GBK_BANK = """物业客服主管面试题（每题10分）

第1题 业主投诉楼上漏水，多次沟通无果，你如何处理？
答案要点：
安抚业主情绪并记录诉求
上门查看并拍照取证
协调楼上住户和维修人员
跟进直至问题解决

第2题 你如何提高物业费的收缴率？
答案要点：
提升服务质量赢得信任
分析欠费原因分类处理
"""

PDF_LINES = [
    "Retail Banking Graduate Scheme - Written Interview",
    "",
    "Part 1 Knowledge",
    "1. Explain what a credit score is and why a bank uses it. (10 marks)",
    "Marking guide:",
    "1. Defines a credit score as a number that sums up a person's credit history and repayment record, as",
    "reported by the credit bureaus",
    "2. States that banks use it to estimate the risk of lending",
    "3. Mentions at least one factor that affects the score",
    "2. Describe how you would explain an overdraft fee to an unhappy customer. (6 marks)",
    "Marking guide:",
    "1. Uses plain language",
    "2. Shows the customer where the fee appears on the statement",
    "3. Offers ways to avoid the fee in future",
    "",
    "Part 2 Situational",
    "3. A customer says their card was used abroad without their permission. What do you do? (8 marks)",
    "Marking guide:",
    "a) Blocks the card at once",
    "b) Explains how the disputed payments will be investigated",
]


def gbk_text(folder: Path) -> None:
    (folder / "gbk_bank.txt").write_bytes(GBK_BANK.encode("gbk"))


def xlsx_bank(folder: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "题库"
    sheet.append(["2026 客服岗题库（内部）"])
    sheet.append([])
    sheet.append(["序号", "题型", "题目", "评分要点", "分值"])
    sheet.append([1, "行为面试", "请讲一次你主动帮助同事的经历。", "1. 说明当时的情境\n2. 讲清自己做了什么\n3. 说明结果和收获", 9])
    sheet.append([2, None, "你如何平衡工作与学习？", "合理规划时间；设定优先级；持续复盘", 6])
    sheet.append([3, "情景模拟", "客户在电话中情绪激动并辱骂你，你怎么办？", "保持冷静，不与客户争执\n先安抚情绪再解决问题\n必要时按流程升级", "12分"])
    book.save(folder / "xlsx_bank.xlsx")


def docx_table(folder: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("风控专员面试题", style="Title")
    for heading, rows in (
        ("专业知识", [("什么是反洗钱中的“了解你的客户”原则？", "（1）识别客户身份（2）了解业务目的和资金来源（3）持续监测交易", "10"),
                      ("发现可疑交易后应如何处理？", "按规定提交可疑交易报告\n不得向客户泄露\n保存相关记录", "9")]),
        ("压力面试", [("如果领导否定了你的方案，你怎么办？", "先理解否定的理由；补充数据后再沟通", "8")]),
    ):
        document.add_heading(heading, level=1)
        table = document.add_table(rows=1, cols=3)
        for cell, name in zip(table.rows[0].cells, ("题目", "答案要点", "分值")):
            cell.text = name
        for row in rows:
            for cell, text in zip(table.add_row().cells, row):
                cell.text = text
    document.save(folder / "docx_table.docx")


def docx_headings(folder: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("2026年客服中心面试题库", style="Title")
    for section, questions in (
        ("一、行为面试题（每题10分）", [("请描述一次你在压力下完成任务的经历。", ["情境描述清楚", "行动具体、有条理", "结果可衡量"]),
                                    ("你最大的缺点是什么？", ["真实，不回避", "有改进的行动"])]),
        ("二、情景面试题（每题12分）", [("客户投诉你服务态度差，但你认为自己没有错，你会怎么做？（12分）", ["先道歉安抚情绪", "了解客户不满的原因", "必要时请主管协助", "事后反思改进"])]),
    ):
        document.add_heading(section, level=1)
        for prompt, points in questions:
            document.add_paragraph(prompt, style="List Number")  # Word numbers it; the text has no number
            document.add_paragraph("评分标准：")
            for point in points:
                document.add_paragraph(point, style="List Bullet")
    document.save(folder / "docx_headings.docx")


def en_docx(folder: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("Software Support Engineer – Interview Guide", style="Title")
    document.add_heading("Section A – Technical", level=1)
    document.add_heading("Question 1: How would you troubleshoot a slow web page? (12 marks)", level=2)
    document.add_paragraph().add_run("Expected answer:").bold = True
    for point in ("Reproduces the problem and measures load time", "Checks the network and server response times",
                  "Looks for large or blocking resources", "Confirms the fix with a second measurement"):
        document.add_paragraph(point, style="List Bullet")
    document.add_heading("Section B – Behavioural", level=1)
    document.add_heading("Question 2: Tell us about a time you disagreed with a teammate. (8 marks)", level=2)
    document.add_paragraph().add_run("Expected answer:").bold = True
    for point in ("Describes the disagreement fairly", "Explains how they reached a decision together", "Says what they learned"):
        document.add_paragraph(point, style="List Number")
    document.save(folder / "en_docx.docx")


def pdf_bank(folder: Path) -> None:
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(folder / "en_marking_guide.pdf"))
    y = 800
    for line in PDF_LINES:
        pdf.setFont("Helvetica", 9)
        pdf.drawString(30, y, line)
        y -= 13
    pdf.save()


def build(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for make in (gbk_text, xlsx_bank, docx_table, docx_headings, en_docx, pdf_bank):
        make(folder)


if __name__ == "__main__":
    build(Path(sys.argv[1]))
