"""A normal (non-editable) install works: the wheel carries the prompts and the calibration, and
the installed `grader` grades from another folder against a local OpenAI-compatible endpoint."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.fault_server import FaultServer

ROOT = Path(__file__).resolve().parent.parent
# What the wheel is built from; copied so the build leaves nothing in the checkout.
SOURCES = ("pyproject.toml", "README.md", "grader", "prompts")


def _build_wheel(tmp_path: Path) -> Path:
    source = tmp_path / "src"
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    out = tmp_path / "dist"
    base = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", str(source), "-w", str(out)]
    # Without build isolation where this environment can build wheels; else pip fetches the build
    # backend from its configured (here local) indexes.
    for extra in (["--no-build-isolation"], []):
        done = subprocess.run(base + extra, capture_output=True, text=True, timeout=300)
        if done.returncode == 0:
            break
    assert done.returncode == 0, done.stderr[-2000:]
    [wheel] = out.glob("grader-*.whl")
    return wheel


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(wheel, venv python): a fresh venv holding only the wheel; the dependencies come from this
    test's own environment through a .pth line, so nothing is downloaded."""
    tmp_path = tmp_path_factory.mktemp("wheel")
    wheel = _build_wheel(tmp_path)
    venv = tmp_path / "venv"
    base_python = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base_python, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True, check=True).stdout.strip())
    # Appended after the venv's own site-packages, whose grader (the wheel's) therefore wins; .pth
    # files in the dependencies' folder (such as an editable grader's finder) are not run.
    (site / "_grader_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "--quiet", str(wheel)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return wheel, python


def test_the_wheel_carries_the_prompts_and_the_calibration_byte_for_byte(installed):
    wheel, _ = installed
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert "grader/grading/calibration.json" in names
        for prompt in sorted((ROOT / "prompts").glob("*.j2")):
            assert archive.read(f"grader/prompts/{prompt.name}") == prompt.read_bytes()
        assert {f"grader/templates/{t.name}" for t in (ROOT / "grader" / "templates").glob("*.j2")} <= names


def test_the_installed_grader_grades_from_another_folder(installed, tmp_path):
    _, python = installed
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy2(ROOT / "rubrics" / "internet-bank-cs-manager-2026.yaml", elsewhere / "rubric.yaml")
    where = subprocess.run([python, "-c", "import grader.grading.prompts as p, grader.grading.calibration as c; print(p.PROMPTS_DIR); print(c.CALIBRATION_FILE)"], cwd=elsewhere, capture_output=True, text=True, check=True).stdout.split("\n")
    prompts_dir, calibration = Path(where[0]), Path(where[1])
    assert ROOT not in prompts_dir.parents and prompts_dir == Path(where[1]).parent.parent / "prompts"
    assert calibration.is_file() and calibration.read_bytes() == (ROOT / "grader" / "grading" / "calibration.json").read_bytes()
    for prompt in (ROOT / "prompts").glob("*.j2"):
        assert hashlib.sha256((prompts_dir / prompt.name).read_bytes()).digest() == hashlib.sha256(prompt.read_bytes()).digest()

    script = python.parent / ("grader.exe" if os.name == "nt" else "grader")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRADER_", "PYTHON"))}
    env |= {"OPENAI_API_KEY": "sk-test", "XDG_CONFIG_HOME": str(tmp_path / "config")}
    with FaultServer([]) as server:
        done = subprocess.run(
            [str(script), "grade", "--rubric", "rubric.yaml", "--question", "behavioral-1", "--answer", "我会先核实客户身份，再解释情况。",
             "--base-url", server.base_url, "--model", "stub", "--max-attempts", "1", "--json"],
            cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["status"] == "scored" and result["question_id"] == "behavioral-1"
    assert result["score"] is not None and result["prompt_hash"]
