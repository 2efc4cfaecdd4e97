"""Benchmark: how many reviews each way of ordering them needs before a run's grades reach a given
agreement with the people who labelled it (issue 25, item 4). No model calls: the stored P(covered)
of an eval run record (`grader eval`, yes/no strategy) and its hand labels play the run and the
reviewer.

A simulated recruiter reviews one answer at a time, giving the hand labels; after each review the
run's grades are: the reviewer's verdicts on reviewed answers, and every other answer re-cut by the
review fit of the reviews so far (`review_fit.fit_point_thresholds`, what the review page's "Learn
from reviews" saves). Agreement is point kappa of those grades against the hand labels, over every
answer (what the recruiter ends up with). Orders:

  random      uniformly random (mean, min and max over --seeds seeds)
  suggested   the page's "review these next": the question that needs most reviews
              (`review_fit.reviews_needed`; ties: fewest reviewed, then question id), its first
              suggestion (`review_fit.next_to_review`); once no question needs any, round robin
              over the questions' first suggestions
  groups      `suggested`, but each review is applied to the answer's whole group (`groups.py`:
              the same normalised text or character-bigram Jaccard >= SIMILARITY) and counts once;
              a member whose own hand labels differ gets the reviewed answer's labels all the same
  random+groups  random order over the groups, one review each

It also reports how pure the groups are (members whose hand labels equal their group's first
answer's) and, for `suggested`, the point agreement of the unreviewed answers of questions the
estimate calls trusted (needed == 0) against those it does not, after --trust-after reviews (default 3 a question).

    python benchmarks/review_order.py RUN_RECORD SAMPLES RUBRIC [--targets 0.5,0.6] [--seeds 10] [--max-reviews N]
    python benchmarks/review_order.py --purity SAMPLES...      (groups' label purity by similarity)
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.evaluation import stats  # noqa: E402
from grader.evaluation.review_fit import WEIGHTS, ReviewedPoint, Unreviewed, fit_point_thresholds, next_to_review, reviews_needed  # noqa: E402
from grader.evaluation.runs import load_run  # noqa: E402
from grader.grading.calibration import has_probabilities, load_calibration, recut_grade  # noqa: E402
from grader.grading.strategies import prepared  # noqa: E402
from grader.grading.results import LABELS  # noqa: E402
from grader.grading.samples import load_samples  # noqa: E402
from grader.recruiting.groups import SIMILARITY, answer_groups  # noqa: E402
from grader.rubric.model import load_rubric  # noqa: E402


@dataclass
class Answer:
    id: str
    question_id: str
    text: str
    points: list[tuple[str, float, str]]  # (point id, stored P(covered), hand label)

    @property
    def probability(self) -> float:
        return sum(p for _, p, _ in self.points) / len(self.points)


def load(run_path: Path, samples_path: Path, rubric_path: Path):
    """The run's answers with P(covered) as today's calibration of its model and prompt gives it
    (`recut_grade`, as the review page reads a run's grades), the hand labels, and how many stored
    verdicts that calibration cuts otherwise than the run did."""
    rubric = load_rubric(rubric_path)
    run = load_run(run_path, ("predictions",))
    samples = {s.id: s for s in load_samples(samples_path, rubric)}
    calibration = load_calibration(run.model, run.prompt_hash)
    answers, differ = [], 0
    for grade in run.predictions:
        sample = samples.get(grade.answer_id)
        if sample is None or grade.status != "scored" or not has_probabilities(grade):
            continue
        today = recut_grade(grade, rubric.question(grade.question_id), lambda sample=sample: prepared(sample.answer).text, calibration)
        differ += sum(a.verdict != b.verdict for a, b in zip(grade.points, today.points))
        answers.append(Answer(sample.id, sample.question_id, sample.answer, [(p.id, p.p_covered, sample.labels[p.id].value) for p in today.points]))
    return answers, calibration.thresholds, differ


def purity(paths: list[Path], thresholds: list[float]) -> None:
    """How many answers join another's group at each similarity, and how many of those carry the
    hand labels of their group's first answer (labelled samples only: no run needed)."""
    print("| samples | similarity | answers | groups | answers in another's group | with its first answer's labels |")
    print("|---|---|---|---|---|---|")
    for path in paths:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        labels = {r["id"]: json.dumps(r["labels"], sort_keys=True) for r in rows}
        for threshold in thresholds:
            members = defaultdict(list)
            for answer_id, group in answer_groups([(r["id"], r["question_id"], r["answer"]) for r in rows], threshold).items():
                members[group.id].append(answer_id)
            joined = [(ids[0], a) for ids in members.values() for a in ids[1:]]
            same = sum(labels[a] == labels[head] for head, a in joined)
            name = "exact (normalised)" if threshold > 1 else f">= {threshold}"
            print(f"| {path.name if path.parent.name in ('', '.') else path.parent.name + '/' + path.name} | {name} | {len(rows)} | {len(members)} | {len(joined)} ({len(joined) / len(rows):.1%}) | {same} ({same / len(joined) if joined else 0:.3f}) |", flush=True)


class Simulation:
    """Reviews given so far, and the grades they make of every answer."""

    def __init__(self, answers: list[Answer], base):
        self.answers, self.base = answers, base
        self.labels: dict[str, dict[str, str]] = {}  # answer id -> the verdicts it was given (its own, or its group's)

    def review(self, answer: Answer, given: dict[str, str]) -> None:
        self.labels[answer.id] = given

    def rows(self) -> list[ReviewedPoint]:
        by_id = {a.id: a for a in self.answers}
        return [ReviewedPoint(aid, by_id[aid].question_id, pid, p, given[pid]) for aid, given in self.labels.items() for pid, p, _ in by_id[aid].points]

    def kappa(self) -> float:
        fitted = fit_point_thresholds(self.rows(), self.base)
        truth, predicted = [], []
        for a in self.answers:
            for pid, p, label in a.points:
                truth.append(label)
                predicted.append(self.labels[a.id][pid] if a.id in self.labels else fitted.get((a.question_id, pid), self.base).verdict(p).value)
        return stats.cohen_kappa(truth, predicted, LABELS)


def own(answer: Answer) -> dict[str, str]:
    return {pid: label for pid, _, label in answer.points}


def reviews_to(kappas: list[float], target: float) -> int | None:
    """Reviews given before the grades first reach `target` (kappas[i]: after i reviews)."""
    return next((i for i, k in enumerate(kappas) if k >= target), None)


def run_order(answers: list[Answer], base, pick, apply_group, groups, max_reviews: int, stop: float, at_least: int = 0) -> tuple[list[float], Simulation]:
    sim = Simulation(answers, base)
    kappas = [sim.kappa()]
    by_id = {a.id: a for a in answers}
    for _ in range(max_reviews):
        chosen = pick(sim)
        if chosen is None:
            break
        given = own(chosen)
        members = groups[chosen.id].members if apply_group else (chosen.id,)
        for member in members:
            if member not in sim.labels:
                sim.review(by_id[member], given)
        kappas.append(sim.kappa())
        if kappas[-1] >= stop and len(kappas) > at_least:
            break
    return kappas, sim


def plan(sim: Simulation, weights) -> dict[str, dict]:
    unreviewed = [Unreviewed(a.id, a.question_id, a.probability, a.text) for a in sim.answers if a.id not in sim.labels]
    texts = {a.id: a.text for a in sim.answers if a.id in sim.labels}
    return next_to_review(unreviewed, sim.rows(), sim.base, texts, per_question=1, weights=weights)


def suggested_picker(answers: list[Answer], weights=WEIGHTS):
    by_id = {a.id: a for a in answers}
    turn = [0]

    def pick(sim: Simulation):
        asked = {q: p for q, p in plan(sim, weights).items() if p["next"]}
        if not asked:
            return None
        needing = [q for q, p in asked.items() if p["needed"] > 0]
        if needing:
            question = min(needing, key=lambda q: (-asked[q]["needed"], asked[q]["reviewed"], q))
        else:
            ordered = sorted(asked)
            question = ordered[turn[0] % len(ordered)]
            turn[0] += 1
        return by_id[asked[question]["next"][0]]

    return pick


def random_picker(answers: list[Answer], seed: int, groups=None):
    order = list(answers)
    random.Random(seed).shuffle(order)
    if groups is not None:  # one review per group, in the order its first-drawn member came
        seen, heads = set(), []
        for a in order:
            if groups[a.id].id not in seen:
                seen.add(groups[a.id].id)
                heads.append(a)
        order = heads
    queue = iter(order)

    def pick(sim: Simulation):
        return next((a for a in queue if a.id not in sim.labels), None)

    return pick


def trusted_split(sim: Simulation) -> str:
    """Point agreement of the unreviewed answers, in questions the estimate trusts and in the rest."""
    unreviewed = [Unreviewed(a.id, a.question_id, a.probability, a.text) for a in sim.answers if a.id not in sim.labels]
    rows = sim.rows()
    fitted = fit_point_thresholds(rows, sim.base)
    out = {True: [0, 0], False: [0, 0]}
    for question_id in sorted({a.question_id for a in sim.answers}):
        trusted = reviews_needed(question_id, rows, unreviewed)["needed"] == 0
        for a in sim.answers:
            if a.question_id == question_id and a.id not in sim.labels:
                for pid, p, label in a.points:
                    out[trusted][0] += fitted.get((question_id, pid), sim.base).verdict(p).value == label
                    out[trusted][1] += 1

    def share(pair):
        return f"{pair[0] / pair[1]:.3f} of {pair[1]} points" if pair[1] else "none"

    return f"unreviewed answers' point agreement: questions trusted {share(out[True])}, not yet trusted {share(out[False])}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, nargs="?")
    parser.add_argument("samples", type=Path, nargs="?")
    parser.add_argument("rubric", type=Path, nargs="?")
    parser.add_argument("--purity", type=Path, nargs="+", metavar="SAMPLES", help="only measure the groups' label purity on these labelled samples")
    parser.add_argument("--targets", default="0.5,0.6")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--max-reviews", type=int, default=None, help="stop each order after this many reviews (default: every answer)")
    parser.add_argument("--orders", default="random,suggested,groups,random+groups")
    parser.add_argument("--weights", default=",".join(f"{w:g}" for w in WEIGHTS), help="the suggestion's weights: near a cut, spread, like a reviewed answer (review_fit.WEIGHTS)")
    parser.add_argument("--trust-after", type=int, default=None, help="reviews the suggested order gives before the trusted/not trusted check (default: 3 a question)")
    args = parser.parse_args()
    if args.purity:
        purity(args.purity, [0.7, 0.8, 0.85, 0.9, 0.95, 1.01])
        return
    if not (args.run and args.samples and args.rubric):
        parser.error("give RUN SAMPLES RUBRIC (or --purity SAMPLES...)")
    targets = [float(t) for t in args.targets.split(",")]
    weights = tuple(float(w) for w in args.weights.split(","))
    orders = args.orders.split(",")
    answers, base, differ = load(args.run, args.samples, args.rubric)
    groups = answer_groups((a.id, a.question_id, a.text) for a in answers)
    limit = args.max_reviews or len(answers)
    stop = max(targets)
    questions = len({a.question_id for a in answers})
    print(f"# {args.run.name}: {len(answers)} answers, {questions} questions, {sum(len(a.points) for a in answers)} points; P(covered) and cut points "
          f"{base.partial:.3f}/{base.covered:.3f} of today's calibration" + (f" ({differ} stored verdicts differ from its cut)" if differ else ""))
    by_group = defaultdict(list)
    for a in answers:
        by_group[groups[a.id].id].append(a)
    multi = [g for g in by_group.values() if len(g) > 1]
    in_multi = sum(len(g) for g in multi)
    pure = sum(1 for g in multi for a in g[1:] if own(a) == own(g[0]))
    print(f"# groups at bigram Jaccard >= {SIMILARITY}: {len(by_group)} groups, {len(multi)} of 2+ answers holding {in_multi} answers; "
          f"{pure} of {in_multi - len(multi)} grouped members have their group's first answer's hand labels")
    print(f"# suggestion weights (near a cut, spread, like a reviewed answer): {weights}")
    print("| order | reviews to kappa " + " | reviews to kappa ".join(f"{t}" for t in targets) + " | kappa at 0 reviews |")
    print("|---|" + "---|" * len(targets) + "---|")

    def cell(values: list[int | None]) -> str:
        reached = [v for v in values if v is not None]
        if not reached:
            return f"not reached (of {limit})"
        if len(values) == 1:
            return str(reached[0])
        return f"{sum(reached) / len(reached):.1f} (min {min(reached)}, max {max(reached)}" + (f"; {len(values) - len(reached)} of {len(values)} seeds never" if len(reached) < len(values) else "") + ")"

    rows = {}
    for name, pickers, grouped in (
        ("random", [random_picker(answers, seed) for seed in range(args.seeds)], False),
        ("suggested", [suggested_picker(answers, weights)], False),
        ("groups", [suggested_picker(answers, weights)], True),
        ("random+groups", [random_picker(answers, seed, groups) for seed in range(args.seeds)], True),
    ):
        if name not in orders:
            continue
        curves = []
        for pick in pickers:
            at_least = (args.trust_after if args.trust_after is not None else 3 * questions) if name == "suggested" else 0
            kappas, sim = run_order(answers, base, pick, grouped, groups, limit, stop, min(at_least, limit))
            curves.append(kappas)
            if name == "suggested":
                rows["trusted"] = f"# after {len(kappas) - 1} reviews in suggested order: " + trusted_split(sim)
        print(f"| {name} | " + " | ".join(cell([reviews_to(k, t) for k in curves]) for t in targets) + f" | {curves[0][0]:.3f} |", flush=True)
    if "trusted" in rows:
        print(rows["trusted"])


if __name__ == "__main__":
    main()
