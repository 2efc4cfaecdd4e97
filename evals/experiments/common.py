"""What the experiment scripts share: the seed rubric with its hand-graded samples and a run's
stored grades, the options that shrink a script's work to a tiny input, and the measures the
anchors experiment introduced (question splits, cross-validated point kappa, AUC).

The scripts import it as `evals.experiments.common`, so they run from the project root through
the launcher: `python -m evals.experiments FOLDER/SCRIPT.py [ARGS]` (README.md in this folder).
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path
from typing import Callable, Iterable, Sequence

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from grader.evaluation import stats
from grader.evaluation.runs import RESCORE_FIELDS, load_run, predictions_of
from grader.grading.samples import load_samples
from grader.evaluation.calibration_fit import fit_thresholds
from grader.grading.scoring import CREDIT
from grader.grading.results import LABELS
from grader.grading.results import Verdict
from grader.grading.strategies import YesNoGrader
from grader.model.client import ModelClient, ModelSettings
from grader.model.local_model import QWEN_CODER_1_5B, LocalModelServer
from grader.grading.combiner import Combiner
from grader.rubric.model import load_rubric

EXPERIMENTS = Path(__file__).resolve().parent
ROOT = EXPERIMENTS.parents[1]
SEED_RUBRIC = ROOT / "rubrics" / "internet-bank-cs-manager-2026.yaml"
SEED_SAMPLES = ROOT / "evals" / "samples" / "internet-bank-cs-manager-2026.jsonl"
RANDOM_SPLITS = 12


def add_size_options(parser: argparse.ArgumentParser, splits: bool = True) -> None:
    """--answers N (only the first N answers of each sample file) and, for scripts that average
    over random question splits, --splits N: the test of every script runs it on a tiny input."""
    parser.add_argument("--answers", type=int, metavar="N", help="only the first N answers of each sample file (default: all)")
    if splits:
        parser.add_argument("--splits", type=int, default=RANDOM_SPLITS, metavar="N", help=f"random 2-fold question splits (default {RANDOM_SPLITS})")


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def seed_rubric():
    return load_rubric(SEED_RUBRIC)


def samples_of(rubric, path: Path = SEED_SAMPLES, answers: int | None = None) -> list:
    """The hand-graded samples of `path` (the first `answers` of them, where given)."""
    return load_samples(Path(path), rubric)[:answers]


def hand_graded(run_path: str, answers: int | None = None):
    """(rubric, samples, run record, predictions by answer id) for the seed rubric and a run of it;
    only the samples the run graded."""
    rubric = seed_rubric()
    run = load_run(Path(run_path), RESCORE_FIELDS)
    predictions = predictions_of(run)
    samples = [s for s in samples_of(rubric, answers=answers) if s.id in predictions]
    return rubric, samples, run, predictions


def auc(scores, positive) -> float:
    """Area under the ROC curve of `scores` for the `positive` flags (ties count half)."""
    pos = [s for s, y in zip(scores, positive) if y]
    neg = [s for s, y in zip(scores, positive) if not y]
    if not pos or not neg:
        return float("nan")
    return sum((a > b) + 0.5 * (a == b) for a in pos for b in neg) / (len(pos) * len(neg))


def kappa(rows, feature_row, splits) -> float:
    """Point kappa of a combiner over `feature_row(row)`, each held-out set of `splits` graded by
    one fitted on the other questions' rows (`row["question"]`, `row["label"]`)."""
    truth, predicted = [], []
    for held in splits:
        train = [r for r in rows if r["question"] not in held]
        if not train or not held:  # a tiny input can leave a fold empty
            continue
        x = [feature_row(r) for r in train]
        model = Combiner.fit(x, [float(CREDIT[Verdict(r["label"])]) for r in train])
        cuts = fit_thresholds([model.probability(v) for v in x], [r["label"] for r in train])
        for r in rows:
            if r["question"] in held:
                truth.append(r["label"])
                predicted.append(cuts.verdict(model.probability(feature_row(r))).value)
    return stats.cohen_kappa(truth, predicted, LABELS)


def random_splits(questions, count: int = RANDOM_SPLITS, seed: int = 0) -> list:
    """`count` random halvings of the questions, the same for every feature set compared."""
    rng = random.Random(seed)
    splits = []
    for _ in range(count):
        shuffled = list(questions)
        rng.shuffle(shuffled)
        splits.append([shuffled[: len(shuffled) // 2], shuffled[len(shuffled) // 2 :]])
    return splits


def render_blocks(template, **variables) -> list[dict[str, str]]:
    """The chat messages of an experiment's own template (its `system` and `user` blocks), rendered
    as `grader.grading.prompts.render` renders the shipped ones."""
    context = template.new_context(variables)
    return [{"role": role, "content": "".join(template.blocks[role](context)).strip()} for role in ("system", "user")]


def template_environment(*folders: Path) -> SandboxedEnvironment:
    """A sandboxed Jinja environment over experiment folders, as the grader's own for prompts/."""
    return SandboxedEnvironment(loader=FileSystemLoader([str(f) for f in folders]), undefined=StrictUndefined)


def add_probe_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="build every prompt and report how many would be asked, and the first one; start no model")


def run_probe(jobs: Iterable[tuple[dict, list[dict]]], out_path: Path, key: Sequence[str], ask: Callable, dry_run: bool = False) -> None:
    """Asks the bundled offline model each job's messages (`ask(client, messages)` gives the
    measured fields) and appends `record | measured` to `out_path` as a JSON line, skipping
    records whose `key` fields are there already. With `dry_run`, prints what it would ask instead."""
    done = {tuple(d[k] for k in key) for d in read_jsonl(out_path)} if Path(out_path).exists() else set()
    if dry_run:
        every = list(jobs)
        todo = [job for job in every if tuple(job[0][k] for k in key) not in done]
        print(f"{len(every)} prompts, {len(todo)} of them not yet in {Path(out_path).name}; the first:")
        print(json.dumps(every[:1], ensure_ascii=False, indent=1))
        return
    todo = ((record, messages) for record, messages in jobs if tuple(record[k] for k in key) not in done)
    with LocalModelServer() as server, Path(out_path).open("a", encoding="utf-8") as out:
        client = ModelClient(ModelSettings(base_url=server.base_url, model=QWEN_CODER_1_5B.name))
        for record, messages in todo:
            out.write(json.dumps(record | ask(client, messages), ensure_ascii=False) + "\n")
            out.flush()


def yes_probability(client, messages) -> dict:
    """P(yes) of the grader's yes/no question, as `YesNoGrader` reads it."""
    p_yes, _ = client.yes_probability(messages, YesNoGrader.YES, YesNoGrader.NO)
    return {"p": p_yes}


# A point's parts: what its text asks for, split where the labelling guide splits it ("两段式要点":
# both parts make it covered, one part partial). Examples in brackets are not required, so they go;
# a leading label ("适应方式：") is no part; a condition ("若客户坚持") belongs to what follows it.
_EXAMPLE = re.compile(r"（[^）]*）|\([^)]*\)")
_LABEL = re.compile(r"^[^：:，,]{2,8}[：:]")
_PART_SEPARATOR = re.compile(r"[，,；;。]")
_CONDITION = re.compile(r"^(若|如果|如|当|必要时)")
_MIN_PART_CHARS = 3


def point_parts(text: str) -> list[str]:
    """The separately checkable parts of a point's text; one part for a single-part point."""
    body = _LABEL.sub("", _EXAMPLE.sub("", text)).strip()
    parts: list[str] = []
    pending = ""
    for piece in (p.strip() for p in _PART_SEPARATOR.split(body)):
        if len(piece) < _MIN_PART_CHARS:
            continue
        piece = pending + piece
        if _CONDITION.match(piece) and not pending:
            pending = piece + "，"
            continue
        pending = ""
        parts.append(piece.removeprefix("并"))
    if pending:
        parts.append(pending.rstrip("，"))
    return parts or [text]


# A point's examples in brackets ("（如…）"); prompt-wording's `noexample.zh.j2` asks the point without them.
_BRACKETED_EXAMPLE = re.compile(r"（[^）]*）|\([^)]*\)")


def without_examples(text: str) -> str:
    return _BRACKETED_EXAMPLE.sub("", text).strip()


def shares(top: dict) -> tuple[float, float, float]:
    """P(yes), P(partly), P(no) among the first token's top candidates, renormalised."""
    yes = sum(p for t, p in top.items() if t in YesNoGrader.YES)
    no = sum(p for t, p in top.items() if t in YesNoGrader.NO)
    part = sum(p for t, p in top.items() if t.startswith("part") or t.startswith("部分"))
    total = (yes + no + part) or 1.0
    return yes / total, part / total, no / total
