"""API keys never reach logs, run records, reports, stores or cassettes — even when the endpoint
echoes the key back in an error message."""

from grader import cli

from .conftest import CASSETTES, RUBRIC_PATH, SAMPLES_PATH, SECRET_HEADERS
from .fault_server import ECHO_KEY, FaultServer

SECRET = "sk-proj-SENTINEL0123456789abcdefSECRET"


def _scan(paths):
    leaks = []
    for path in paths:
        if path.is_file() and SECRET.encode() in path.read_bytes():
            leaks.append(path)
    return leaks


def test_key_never_written_anywhere(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    runs, batch = tmp_path / "runs", tmp_path / "batch"
    # Half the calls fail with the key echoed in the error, half succeed.
    with FaultServer([ECHO_KEY, "good"] * 20, default="good") as server:
        args = ["--base-url", server.base_url, "--model", "m", "--max-attempts", "1", "--strategy", "structured"]
        cli.main(["eval", "--rubric", str(RUBRIC_PATH), "--samples", str(SAMPLES_PATH), "--limit", "6", "--runs-dir", str(runs), "--html", str(tmp_path / "r.html"), *args])
        # One request at a time: alternating failures then never make the five in a row that stop
        # a batch before its reports (in threads, completion order could line five up).
        cli.main(["batch", "--rubric", str(RUBRIC_PATH), str(RUBRIC_PATH.parent.parent / "examples" / "candidates-wide-gbk.csv"), "-o", str(batch), "--cache", str(tmp_path / "c.sqlite"), "--concurrency", "1", *args])
        cli.main(["grade", "--rubric", str(RUBRIC_PATH), "--question", "stress-1", "--answer", "保持冷静", "--json", *args])
    printed = capsys.readouterr()
    assert "Incorrect API key" in (runs.glob("*.json").__next__()).read_text(encoding="utf-8")  # the failure itself is kept
    assert SECRET not in printed.out and SECRET not in printed.err
    written = [*tmp_path.rglob("*")]
    assert len(written) > 8 and _scan(written) == []


def test_cassettes_are_filtered():
    for path in CASSETTES.glob("*.yaml"):
        text = path.read_text(encoding="utf-8").lower()
        assert "authorization" not in text and "bearer" not in text, path
        for header in SECRET_HEADERS:
            assert f"\n      {header}:" not in text, (path, header)
