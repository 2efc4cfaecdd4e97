"""Prompt templates: Jinja2 files in the top-level `prompts/` folder, rendered in a sandbox with StrictUndefined.

The wheel carries that folder as `grader/prompts` (pyproject maps it with `package-dir`);
a source checkout or an editable install reads the folder itself. The files are byte for byte the
same either way, so their hashes (calibration keys) do not depend on how the grader was installed.

Each template defines two blocks, `system` and `user`, which become the chat messages. The
candidate's text is only ever a variable, fenced by a tag whose name is derived from a hash of the
answer itself: an answer cannot close a fence it cannot predict.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment



def _prompts_dir() -> Path:
    package = Path(__file__).resolve().parent.parent
    packaged = package / "prompts"  # installed from a wheel: the data package grader.prompts
    return packaged if packaged.is_dir() else package.parent / "prompts"


PROMPTS_DIR = _prompts_dir()


@dataclass(frozen=True)
class RenderedPrompt:
    messages: list[dict[str, str]]
    template: str
    prompt_hash: str


@lru_cache(maxsize=1)
def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(
        loader=FileSystemLoader(PROMPTS_DIR),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
    )


def template_name(task: str, language: str) -> str:
    return f"{task}.{language}.j2"


def template_hash(name: str) -> str:
    source = (PROMPTS_DIR / name).read_bytes()
    return hashlib.sha256(source).hexdigest()[:12]


def answer_fence(answer: str) -> str:
    return hashlib.sha256(answer.encode("utf-8")).hexdigest()[:10]


def block_text(task: str, language: str, block: str) -> str | None:
    """A template's fixed text block (one that uses no variables), or None where it has none."""
    template = _environment().get_template(template_name(task, language))
    if block not in template.blocks:
        return None
    return _render_block(template, block, template.new_context({}))


def _render_block(template, block: str, context) -> str:
    return "".join(template.blocks[block](context)).strip()


def render(task: str, language: str, **variables) -> RenderedPrompt:
    name = template_name(task, language)
    template = _environment().get_template(name)
    context = template.new_context(variables)
    messages = [
        {"role": role, "content": _render_block(template, role, context)}
        for role in ("system", "user")
        if role in template.blocks
    ]
    return RenderedPrompt(messages=messages, template=name, prompt_hash=template_hash(name))
