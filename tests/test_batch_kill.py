"""`grader batch --workers N` killed mid-batch (kill -9 or SIGTERM of the main process), as a real
process against the local fault server: no worker outlives it, so nothing calls the endpoint
afterwards; a run folder is locked while any of its processes lives; and a re-run grades every
answer that was not committed, exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.recruiting.store import GradeStore

from .conftest import ROOT, RUBRIC_PATH
from .fault_server import FaultServer

ANSWER = "我会先核实客户身份，确认账户安全，然后解释这是诈骗短信。"
CANDIDATES = 20
QUESTIONS = ("situational-4", "stress-1")


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _committed(run: Path) -> int:
    path = run / "grades.sqlite"
    if not path.exists():
        return 0
    store = GradeStore(path)
    try:
        return sum(g.status == "scored" for _, g in store.all_grades())
    finally:
        store.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to find the worker processes")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killed_batch_leaves_no_workers_and_a_rerun_grades_each_answer_once(tmp_path, sig):
    rows = "".join(json.dumps({"candidate": f"c{i}", **{q: f"{ANSWER}（{i}）" for q in QUESTIONS}}, ensure_ascii=False) + "\n" for i in range(CANDIDATES))
    (tmp_path / "in.jsonl").write_text(rows, encoding="utf-8")
    run = tmp_path / "run"
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "GRADER_BASE_URL")}
    # Every request takes 0.25 s ("timeout" with a short delay is a slow, good answer).
    with FaultServer([], default="timeout", timeout_s=0.25) as server:
        argv = [sys.executable, "-m", "grader.cli", "batch", "--rubric", str(RUBRIC_PATH), str(tmp_path / "in.jsonl"), "-o", str(run),
                "--cache", str(tmp_path / "cache.sqlite"), "--base-url", server.base_url, "--model", "m", "--workers", "2", "--concurrency", "4"]
        with open(tmp_path / "first.err", "wb") as err:
            parent = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)
        try:
            _wait_for(lambda: _committed(run) >= 4, 60, "the first grades")
            workers = [pid for pid in _children(parent.pid) if _alive(pid)]
            assert len(workers) == 2, workers

            if sig == signal.SIGKILL:
                # A second run on the same folder while this one lives is refused, before any call.
                calls = len(server.seen)
                second = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
                assert second.returncode == 2, second.stderr
                assert "another `grader batch` is running on this run folder" in second.stderr and "Traceback" not in second.stderr
                assert _committed(run) < CANDIDATES * len(QUESTIONS), "the batch ended before the kill: slow the server"

            parent.send_signal(sig)
            parent.wait(timeout=30)
            _wait_for(lambda: not any(_alive(pid) for pid in workers), 10, f"workers {workers} to die with their parent")
        finally:
            if parent.poll() is None:
                parent.kill()
        time.sleep(0.5)  # requests sent just before the kill are still being answered
        calls_after_kill = len(server.seen)
        time.sleep(1.5)
        assert len(server.seen) == calls_after_kill, "something still calls the endpoint after the kill"
        committed = _committed(run)
        assert 0 < committed < CANDIDATES * len(QUESTIONS)

        server.default = "good"
        rerun = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert rerun.returncode == 0, rerun.stderr
    # The re-run graded exactly the answers that were not committed, each once.
    assert len(server.seen) - calls_after_kill == CANDIDATES * len(QUESTIONS) - committed
    store = GradeStore(run / "grades.sqlite")
    grades = store.all_grades()
    store.close()
    assert sorted((c, g.question_id) for c, g in grades) == sorted((f"c{i}", q) for i in range(CANDIDATES) for q in QUESTIONS)
    assert all(g.status == "scored" for _, g in grades)
