from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import pytest
import vcr

from grader.model.client import ModelClient, ModelSettings
from grader.model.local_model import QWEN_CODER_1_5B
from grader.rubric.model import load_rubric

ROOT = Path(__file__).resolve().parent.parent
RUBRIC_PATH = ROOT / "rubrics" / "internet-bank-cs-manager-2026.yaml"
SAMPLES_PATH = ROOT / "evals" / "samples" / "internet-bank-cs-manager-2026.jsonl"
CASSETTES = Path(__file__).resolve().parent / "cassettes"
# Nothing listens here: replayed tests prove they need no server.
DEAD_ENDPOINT = "http://127.0.0.1:9/v1"
# `none` (the default, and CI's) replays only: an unrecorded request fails the test.
# Re-record against the real local model with GRADER_RECORD=all.
RECORD_MODE = os.environ.get("GRADER_RECORD", "none")

SECRET_HEADERS = ["authorization", "api-key", "x-api-key", "openai-organization", "openai-project", "cookie", "set-cookie"]

recorder = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode=RECORD_MODE,
    # The local server takes a new port each run, so match on what we send, not where.
    match_on=["method", "path", "body"],
    filter_headers=SECRET_HEADERS,
    decode_compressed_response=True,
)
# The local server is deterministic, and grading the same text twice (an answer whose injection
# was stripped is its clean twin) sends the same request twice.
CASSETTE_OPTIONS = {"allow_playback_repeats": True}


@pytest.fixture(scope="session")
def rubric():
    return load_rubric(RUBRIC_PATH)


@contextmanager
def open_cassette(name: str, **overrides):
    """A client replaying (or, with GRADER_RECORD set, recording against the local model) a cassette.
    `overrides` are further ModelSettings."""
    settings = dict(model=QWEN_CODER_1_5B.name, max_attempts=1) | overrides
    if RECORD_MODE == "none":
        with recorder.use_cassette(f"{name}.yaml", **CASSETTE_OPTIONS):
            yield ModelClient(ModelSettings(base_url=DEAD_ENDPOINT, **settings))
        return
    from grader.model.local_model import LocalModelServer

    with LocalModelServer() as server, recorder.use_cassette(f"{name}.yaml", **CASSETTE_OPTIONS):
        yield ModelClient(ModelSettings(base_url=server.base_url, **settings))


@pytest.fixture
def cassette_client():
    """`with cassette_client("name") as client:` see `open_cassette`."""
    return open_cassette


@pytest.fixture(autouse=True)
def _no_user_calibration(tmp_path_factory, monkeypatch):
    """Tests read only the packaged calibration: a user's own file (written by `calibrate --save`)
    must not change their figures."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
