from grader.grading.redact import redact


def test_personal_data_is_masked():
    text = "我叫王小明，电话138 1234 5678，座机010-12345678，身份证11010519900307123X，邮箱xm.wang@example.com，卡号6222021234567890123。"
    masked = redact(text)
    for secret in ("王小明", "138 1234 5678", "010-12345678", "11010519900307123X", "xm.wang@example.com", "6222021234567890123"):
        assert secret not in masked
    assert "[姓名]" in masked and "[电话]" in masked and "[身份证号]" in masked and "[邮箱]" in masked and "[银行卡号]" in masked


def test_known_names_and_english_names():
    assert redact("张伟说：客户第一。", names=["张伟"]) == "[姓名]说：客户第一。"
    assert redact("My name is Alice Chen and I would verify the ID.") == "My name is [姓名] and I would verify the ID."


def test_ordinary_answers_are_untouched():
    answer = "我会先核实客户身份，50万以内的存款受保护，拨打96110反诈专线。"
    assert redact(answer) == answer
