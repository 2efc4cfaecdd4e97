"""Benchmark: batch grading throughput against a local mock OpenAI-compatible server.

The mock answers every chat completion after a fixed latency (default 200 ms) with a valid
structured grade, so the figure measures the grader's own overhead and concurrency, not a model.
Prints, per concurrency: answers/s against the ideal concurrency/latency, peak memory (RSS),
and the model calls made by a second run over the same answers (the cache should make it 0).

    python benchmarks/batch_throughput.py --answers 10000 --concurrency 8 64 256 [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.recruiting.runner import grade_candidates, grade_candidates_in_workers  # noqa: E402
from grader.grading.strategies import StructuredGrader  # noqa: E402
from grader.model.client import ModelClient, ModelSettings  # noqa: E402
from grader.rubric.model import load_rubric  # noqa: E402
from grader.recruiting.store import GradeCache, GradeStore  # noqa: E402
from grader.recruiting.inputs import CandidateAnswer  # noqa: E402


def mock_server(latency_s: float, calls) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes; with Nagle's algorithm on, the second waits for
        # the client's delayed ACK (~40 ms a request). Real servers (uvicorn under vLLM, SGLang)
        # set TCP_NODELAY, so the mock does too.
        disable_nagle_algorithm = True

        def log_message(self, *args):  # quiet
            pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            with calls.get_lock():
                calls.value += 1
            schema = body["response_format"]["json_schema"]["schema"]
            grade = {pid: {"evidence": "", "reason": "mock", "verdict": "missing"} for pid in schema["required"]}
            payload = json.dumps(
                {
                    "id": "mock",
                    "object": "chat.completion",
                    "created": 0,
                    "model": "mock",
                    "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": json.dumps(grade)}}],
                    "usage": {"prompt_tokens": 400, "completion_tokens": 60, "total_tokens": 460},
                }
            ).encode()
            time.sleep(latency_s)
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.request_queue_size = 1024
    return server


def _serve(latency_s: float, calls, port) -> None:
    server = mock_server(latency_s, calls)
    port.value = server.server_address[1]
    server.serve_forever()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--answers", type=int, default=10000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 64, 256])
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--workers", type=int, default=1, help="grading processes (grader batch --workers)")
    args = parser.parse_args()
    rubric = load_rubric(ROOT / "rubrics" / "internet-bank-cs-manager-2026.yaml")
    questions = [q.id for q in rubric.questions()]
    answers = [CandidateAnswer(f"c{i // 20:05d}", questions[i % 20], f"候选人{i}的回答：我会先安抚客户情绪，再核实问题。", "bench") for i in range(args.answers)]
    # The mock runs in its own process, so the figures measure the grader, not the mock.
    calls, port = multiprocessing.Value("i", 0), multiprocessing.Value("i", 0)
    server = multiprocessing.Process(target=_serve, args=(args.latency, calls, port), daemon=True)
    server.start()
    while not port.value:
        time.sleep(0.05)
    base_url = f"http://127.0.0.1:{port.value}/v1"
    print(f"{args.answers} answers, mock latency {args.latency * 1000:.0f} ms, {args.workers} grading process(es)")
    for concurrency in args.concurrency:
        with tempfile.TemporaryDirectory() as tmp:
            def make_grader():
                return StructuredGrader(ModelClient(ModelSettings(base_url=base_url, model="mock", api_key="bench")), rubric)

            def run(store_name: str) -> None:
                store_path, cache_path = Path(tmp) / store_name, Path(tmp) / "cache.sqlite"
                if args.workers > 1:
                    grade_candidates_in_workers(
                        make_grader, rubric, answers, store_path, cache_path, workers=args.workers, concurrency=concurrency, show_progress=False
                    )
                else:
                    grade_candidates(make_grader(), rubric, answers, GradeStore(store_path), GradeCache(cache_path), concurrency=concurrency, show_progress=False)

            calls.value = 0
            started, mock_cpu = time.monotonic(), cpu_seconds(server.pid)
            run("a.sqlite")
            elapsed = time.monotonic() - started
            mock_cpu = cpu_seconds(server.pid) - mock_cpu
            first_calls = calls.value
            calls.value = 0
            run("b.sqlite")
            rate, ideal = args.answers / elapsed, concurrency / args.latency
            # Peak RSS of this process and, with --workers, of the largest worker.
            peak_mb = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024
            print(
                f"concurrency {concurrency:>4}: {rate:7.1f} answers/s, ideal {ideal:7.1f} ({rate / ideal:5.1%}), "
                f"{first_calls} calls, peak RSS so far {peak_mb:.0f} MB, cached re-run calls {calls.value}, "
                f"mock server CPU {mock_cpu / elapsed:.0%} of a core"
            )
    server.terminate()


if __name__ == "__main__":
    main()
