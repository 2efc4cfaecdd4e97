"""Learning curves: agreement on answers nobody reviewed, after k reviewed answers per question.

Reads stored probabilities only (run records of `grader eval`, offline default, yes/no); no model
calls. For each set, k and method it draws k reviewed answers per question at random (10 seeds),
fits the method on them, re-cuts the unreviewed answers and scores them against the human labels:
point kappa, 2-way and 3-way macro-F1, QWK where scores exist; mean over seeds with a bootstrap
95% interval (answers resampled, the same resample for every seed).

Two protocols:
  fixed pool  (beetle, ads): reviews come from a separate pool of answers to the same questions
              (Beetle: beetle_train; ADS: a review part split off ADS.train), scored on the test answers.
  reviews of other answers (gaming): the hand-graded answers are the reviews, the gaming answers
              to the same questions the unreviewed ones.
  leave-one-answer-out (handgraded): each answer is scored with k *other* answers of its
              question reviewed (and k reviewed answers of every other question).
Sealed part: a third of each question's test answers (fixed by SEAL_SEED), never scored unless
--sealed is given; under leave-one-answer-out the sealed answers are also never drawn as reviews
while tuning.

  python curves.py --set beetle [--methods today,halfway,...] [--ks 0,3,5,10,20] [--sealed]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from grader.evaluation.runs import load_run
from grader.grading.samples import load_samples
from grader.evaluation.review_fit import ReviewedPoint as ProductPoint, fit_point_thresholds as product_fit
from grader.grading.calibration import Thresholds, load_calibration
from grader.rubric.model import load_rubric

# method.py sits beside this script, in a folder whose name is no module name: loaded by path, so
# that the launcher (python -m evals.experiments review-learning/curves.py) and a direct run agree.
_spec = importlib.util.spec_from_file_location("review_learning_method", Path(__file__).with_name("method.py"))
M = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = M  # dataclasses look their module up by name
_spec.loader.exec_module(M)

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
SHARED = REPO.parent / "shared" / "datasets"
SEAL_SEED = 2025
SEEDS = range(10)
RESAMPLES = 400


@dataclass
class Answer:
    id: str
    question_id: str
    text: str
    points: list[tuple[str, float, str]]  # (point id, probability the calibration cuts, human label)
    weights: dict[str, float]
    max_score: float
    label_2way: str | None = None
    label_3way: str | None = None
    human_score: float | None = None  # on the question's own scale (QWK); None: no score
    score_scale: int = 0  # QWK rounds human_score and the predicted score * score_scale / max_score
    sealed: bool = False
    role: str = "test"  # "test" or "pool" (fixed-pool sets only)


@dataclass
class DataSet:
    name: str
    answers: list[Answer]
    base: dict[str, Thresholds]  # per question: the calibration that applies today
    protocol: str  # "pool" or "loao"
    semeval: bool = False
    notes: list[str] = field(default_factory=list)


# --- loading -----------------------------------------------------------------------------------


def _run_for(samples_path: Path, runs_dir: Path):
    """The latest eval run record in runs_dir that graded samples_path."""
    found = []
    for path in sorted(runs_dir.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("samples_path") == str(samples_path) and data.get("kind", "eval") == "eval":
            found.append(path)
    if not found:
        return None
    return load_run(found[-1], ("predictions",))


def _answers(rubric, samples, run, role: str, scores: dict[str, float] | None = None, scale: int = 0) -> tuple[list[Answer], list[str]]:
    by_id = {s.id: s for s in samples}
    out, notes = [], []
    unscored = 0
    for grade in run.predictions:
        sample = by_id.get(grade.answer_id)
        if sample is None:
            continue
        if grade.status != "scored":
            unscored += 1
            continue
        question = rubric.question(grade.question_id)
        points = [(p.id, p.p_covered, sample.labels[p.id].value) for p in grade.points]
        if any(p[1] is None for p in points):
            unscored += 1
            continue
        human = scores.get(sample.id) if scores is not None else None
        out.append(
            Answer(
                sample.id, sample.question_id, sample.answer, points, {p.id: p.weight for p in question.points}, question.max_score,
                sample.label_2way, sample.label_3way, human, scale, role=role,
            )
        )
    if unscored:
        notes.append(f"{run.where}: {unscored} unscored answers left out")
    return out, notes


def _check_today(answers: list[Answer], run, base: dict[str, Thresholds]) -> None:
    """The stored verdicts are today's cut of the stored probabilities (else the 'today' row would lie)."""
    stored = {(g.answer_id, p.id): p.verdict.value for g in run.predictions for p in g.points}
    differ = sum(stored[(a.id, pid)] != base[a.question_id].verdict(p).value for a in answers for pid, p, _ in a.points if (a.id, pid) in stored)
    if differ:
        print(f"note: {differ} stored verdicts of {run.where} differ from today's thresholds applied to p_covered", file=sys.stderr)


def load_pool_set(name: str, rubric_path: Path, test_path: Path, review_paths: list[Path], runs_dir: Path, scores=None, scale=0, semeval=False) -> DataSet:
    rubric = load_rubric(rubric_path)
    answers, notes, base, today = [], [], {}, None
    for path, role in [(test_path, "test")] + [(p, "pool") for p in review_paths]:
        run = _run_for(path, runs_dir)
        if run is None:
            notes.append(f"{path}: no run record yet")
            continue
        samples = load_samples(path, rubric)
        got, n = _answers(rubric, samples, run, role, scores, scale)
        cal = load_calibration(run.model, run.prompt_hash).thresholds
        if today is None:
            today = cal
        elif cal != today:
            raise SystemExit(f"{run.where}: graded under another calibration ({cal} vs {today})")
        answers += got
        notes += n
        notes.append(f"{Path(run.where).name}: {len(got)} {role} answers (prompt {run.prompt_hash}, today's thresholds {cal.partial:.3f}/{cal.covered:.3f})")
        _check_today(got, run, {a.question_id: cal for a in got})
    base = {a.question_id: today for a in answers}
    _seal([a for a in answers if a.role == "test"])
    return DataSet(name, answers, base, "pool", semeval, notes)


def load_loao_set(name: str, run_path: Path, scale: int) -> DataSet:
    run = load_run(run_path, ("rubric_path", "samples_path", "predictions"))
    rubric = load_rubric(REPO / run.rubric_path)
    samples = load_samples(REPO / run.samples_path, rubric)
    scores = {s.id: (s.score if s.score is not None else _score(rubric.question(s.question_id), {k: v.value for k, v in s.labels.items()})) for s in samples}
    answers, notes = _answers(rubric, samples, run, "test", scores, scale)
    if run.folds:  # cross-validated: each question's probabilities and thresholds come from the other fold
        base = {q: Thresholds(f["partial"], f["covered"]) for f in run.folds for q in f["held_out"]}
        notes.append(f"{run_path.name}: cross-validated record, today's thresholds per fold")
    else:
        cal = load_calibration(run.model, run.prompt_hash).thresholds
        base = {a.question_id: cal for a in answers}
        notes.append(f"{run_path.name}: today's thresholds {cal.partial:.3f}/{cal.covered:.3f}")
    _check_today(answers, run, base)
    _seal(answers)
    return DataSet(name, answers, base, "loao", False, notes)


def load_gaming_set() -> DataSet:
    """The gaming tuning answers (keyword lists, templates, rambles ...) as the unreviewed answers;
    the hand-graded answers to the same questions as the reviews (a recruiter reviews ordinary
    answers). Both under the packaged calibration of their prompt: the hand-graded run stored the
    model's P(yes) and anchors, so its p_covered is recomputed with that calibration (in-sample for
    the combiner, which was fitted on these answers; they are only ever reviews here)."""
    from grader.grading.calibration import point_inputs
    from grader.grading.routing import rubric_texts

    gaming = load_run(REPO / "evals/runs/20261202T162537_yesno_qwen2.5-coder-1.5b-instruct-q4-k-m.json", ("rubric_path", "samples_path", "predictions"))
    honest = load_run(REPO / "evals/runs/20261201T223327_yesno_qwen2.5-coder-1.5b-instruct-q4-k-m.json", ("rubric_path", "samples_path", "predictions"))
    if (gaming.prompt_hash, gaming.model) != (honest.prompt_hash, honest.model):
        raise SystemExit("the gaming and hand-graded runs used different prompts or models")
    rubric = load_rubric(REPO / gaming.rubric_path)
    calibration = load_calibration(gaming.model, gaming.prompt_hash)
    honest_samples = {s.id: s for s in load_samples(REPO / honest.samples_path, rubric)}
    recut = []
    for grade in honest.predictions:
        if grade.status != "scored":
            continue
        question = rubric.question(grade.question_id)
        probs = calibration.probabilities(honest_samples[grade.answer_id].answer, point_inputs(rubric, grade), rubric_texts(question))
        recut.append(grade.model_copy(update={"points": [p.model_copy(update={"p_covered": q}) for p, q in zip(grade.points, probs)]}))
    honest = honest.model_copy(update={"predictions": recut})
    answers, notes = [], []
    for run, role in ((gaming, "test"), (honest, "pool")):
        samples = load_samples(REPO / run.samples_path, rubric)
        scores = {s.id: (s.score if s.score is not None else _score(rubric.question(s.question_id), {k: v.value for k, v in s.labels.items()})) for s in samples}
        got, n = _answers(rubric, samples, run, role, scores, 10)
        answers += got
        notes += n + [f"{Path(run.where).name}: {len(got)} {role} answers"]
    _check_today([a for a in answers if a.role == "test"], gaming, {a.question_id: calibration.thresholds for a in answers})
    _seal([a for a in answers if a.role == "test"])
    return DataSet("gaming", answers, {a.question_id: calibration.thresholds for a in answers}, "pool", False, notes)


def _score(question, verdicts: dict[str, str]) -> float:
    weights = {p.id: p.weight for p in question.points}
    return question.max_score * sum(M.CREDIT[verdicts[pid]] * w for pid, w in weights.items()) / sum(weights.values())


def _seal(test_answers: list[Answer]) -> None:
    by_q = defaultdict(list)
    for a in test_answers:
        by_q[a.question_id].append(a)
    rng = random.Random(SEAL_SEED)
    for q in sorted(by_q):
        members = sorted(by_q[q], key=lambda a: a.id)
        rng.shuffle(members)
        for a in members[: len(members) // 3]:
            a.sealed = True


def ads_scores() -> dict[str, float]:
    rows = [json.loads(line) for line in (SHARED / "sas-zh/normalized/ADS.train.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    return {str(r["student_answer_id"]): float(r["score_raw"]) for r in rows}


def load(name: str, runs_dir: Path, data_dir: Path) -> DataSet:
    if name == "beetle":
        d = data_dir / "beetle"
        return load_pool_set(name, data_dir / "beetle_test/rubric.yaml", d / "test.jsonl", [d / "reviews-a.jsonl", d / "reviews-b.jsonl"], runs_dir, semeval=True)
    if name == "ads":
        d = data_dir / "ads"
        return load_pool_set(name, data_dir / "ads_all/rubric.yaml", d / "test.jsonl", [d / "reviews-1.jsonl", d / "reviews-2.jsonl", d / "reviews-b.jsonl"], runs_dir, ads_scores(), 10)
    if name == "ads-loao":  # the ADS review part was not graded in time: leave-one-answer-out within its test part
        ds = load_pool_set(name, data_dir / "ads_all/rubric.yaml", data_dir / "ads/test.jsonl", [], runs_dir, ads_scores(), 10)
        ds.protocol = "loao"
        return ds
    if name == "handgraded":
        return load_loao_set(name, REPO / "evals/runs/20261203T083007_yesno+combiner-cv2_qwen2.5-coder-1.5b-instruct-q4-k-m.json", 10)
    if name == "gaming":
        return load_gaming_set()
    raise SystemExit(f"unknown set {name}")


# --- methods -----------------------------------------------------------------------------------
# A method: (reviewed answers, answers to grade, base thresholds per question) -> {answer id: {point id: verdict}}

Predictor = Callable[[list[Answer], list[Answer], dict[str, Thresholds]], dict[str, dict[str, str]]]


def _reviewed_points(reviews: list[Answer], probability=None) -> list[M.ReviewedPoint]:
    return [M.ReviewedPoint(a.question_id, pid, probability(a, pid) if probability else p, label) for a in reviews for pid, p, label in a.points]


def _fit_by_base(fit, reviewed: list[M.ReviewedPoint], questions: set[str], base: dict[str, Thresholds]) -> dict:
    """Calls the fit once per distinct base (the hand-graded set's two cross-validation folds
    have two), with every reviewed point; keeps each question's result from its own base."""
    out = {}
    for thresholds in set(base[q] for q in questions):
        fitted = fit(reviewed, thresholds)
        out |= {key: t for key, t in fitted.items() if base[key[0]] == thresholds}
    return out


def threshold_method(fit) -> Predictor:
    def predict(reviews, tests, base):
        fitted = _fit_by_base(fit, _reviewed_points(reviews), {a.question_id for a in tests + reviews}, base) if reviews else {}
        return {a.id: {pid: fitted.get((a.question_id, pid), base[a.question_id]).verdict(p).value for pid, p, _ in a.points} for a in tests}

    return predict


def neighbour_method(fit, weight: float, top: int = 3) -> Predictor:
    """Probabilities blended with the nearest reviewed answers' verdicts, then cut by `fit`'s
    thresholds, fitted on the reviewed answers' leave-one-out blends."""
    grams_cache: dict[str, object] = {}

    def grams(a: Answer):
        if a.id not in grams_cache:
            grams_cache[a.id] = M.char_ngrams(a.text)
        return grams_cache[a.id]

    def predict(reviews, tests, base):
        if not reviews:
            return threshold_method(fit)(reviews, tests, base)
        by_q = defaultdict(list)
        for r in reviews:
            by_q[r.question_id].append(r)

        def blended(a: Answer, others: list[Answer]) -> dict[str, float]:
            sims = [M.cosine(grams(a), grams(o)) for o in others]
            labels = [{pid: label for pid, _, label in o.points} for o in others]
            return {pid: M.blend_with_neighbours(p, sims, [M.CREDIT[lab[pid]] for lab in labels], weight, top) for pid, p, _ in a.points}

        loo = {r.id: blended(r, [o for o in by_q[r.question_id] if o.id != r.id]) for r in reviews}
        reviewed = _reviewed_points(reviews, lambda a, pid: loo[a.id][pid])
        fitted = _fit_by_base(fit, reviewed, {a.question_id for a in tests + reviews}, base)
        out = {}
        for a in tests:
            probs = blended(a, by_q.get(a.question_id, []))
            out[a.id] = {pid: fitted.get((a.question_id, pid), base[a.question_id]).verdict(probs[pid]).value for pid, _, _ in a.points}
        return out

    return predict


def combiner_method(fit, top: int = 3, l2: float = 0.05) -> Predictor:
    """A per-rubric combiner: a logistic regression over (logit of the probability, the nearest
    reviewed answers' credit, their nearness), fitted on the reviewed answers' leave-one-out
    features; its output cut by `fit`'s thresholds, fitted on the same leave-one-out outputs."""
    grams_cache: dict[str, object] = {}

    def grams(a: Answer):
        if a.id not in grams_cache:
            grams_cache[a.id] = M.char_ngrams(a.text)
        return grams_cache[a.id]

    def predict(reviews, tests, base):
        if len({label for r in reviews for _, _, label in r.points}) < 2:
            return threshold_method(fit)(reviews, tests, base)
        by_q = defaultdict(list)
        for r in reviews:
            by_q[r.question_id].append(r)

        def rows(a: Answer, others: list[Answer]) -> dict[str, list[float]]:
            sims = [M.cosine(grams(a), grams(o)) for o in others]
            labels = [{pid: label for pid, _, label in o.points} for o in others]
            return {pid: M.neighbour_features(p, sims, [M.CREDIT[lab[pid]] for lab in labels], top) for pid, p, _ in a.points}

        loo = {r.id: rows(r, [o for o in by_q[r.question_id] if o.id != r.id]) for r in reviews}
        model = M.Logistic.fit([loo[r.id][pid] for r in reviews for pid, _, _ in r.points], [M.CREDIT[label] for r in reviews for _, _, label in r.points], l2=l2)
        reviewed = _reviewed_points(reviews, lambda a, pid: model.probability(loo[a.id][pid]))
        fitted = _fit_by_base(fit, reviewed, {a.question_id for a in tests + reviews}, base)
        out = {}
        for a in tests:
            features = rows(a, by_q.get(a.question_id, []))
            out[a.id] = {pid: fitted.get((a.question_id, pid), base[a.question_id]).verdict(model.probability(features[pid])).value for pid, _, _ in a.points}
        return out

    return predict


METHODS: dict[str, Predictor] = {
    "today": threshold_method(lambda reviewed, base: {}),
    "pooled": threshold_method(M.fit_pooled),
    "halfway": threshold_method(M.fit_halfway),
    # The product's implementation of the same baseline (grader/evaluation/review_fit.py: midpoint
    # candidates, ties toward the base, a question's own fit from 3 reviewed answers): measured on
    # the tuning parts after the sealed read, to show it behaves as the measured `halfway` does.
    "product": threshold_method(lambda r, b: product_fit([ProductPoint(f"{i}", x.question_id, x.point_id, x.probability, x.label) for i, x in enumerate(r)], b)),
    "shrunk": threshold_method(M.fit_shrunk),
    "shrunk-s3": threshold_method(lambda r, b: M.fit_shrunk(r, b, strength=3.0, pool_strength=10.0)),
    "shrunk-s30": threshold_method(lambda r, b: M.fit_shrunk(r, b, strength=30.0, pool_strength=40.0)),
    "offset": threshold_method(M.fit_logit_offset),
    "offset-sd1": threshold_method(lambda r, b: M.fit_logit_offset(r, b, question_sd=1.0)),
    "offset-s2": threshold_method(lambda r, b: M.fit_logit_offset(r, b, slope=2.0, question_sd=1.0)),
    "nn-halfway": neighbour_method(M.fit_halfway, 0.6),
    "nn-shrunk": neighbour_method(M.fit_shrunk, 0.6),
    "nn-shrunk-w1": neighbour_method(M.fit_shrunk, 1.0),
    "nn-shrunk-w03": neighbour_method(M.fit_shrunk, 0.3),
    "comb-pooled": combiner_method(M.fit_pooled),
    "comb-shrunk": combiner_method(M.fit_shrunk),
    "comb-halfway": combiner_method(M.fit_halfway),
    "nn-offset": neighbour_method(lambda r, b: M.fit_logit_offset(r, b, question_sd=1.0), 0.6),
}


# --- protocols ---------------------------------------------------------------------------------


def predictions_pool(ds: DataSet, predict: Predictor, k: int, seed: int, tests: list[Answer]) -> tuple[dict, float]:
    rng = random.Random(seed)
    pool = defaultdict(list)
    for a in ds.answers:
        if a.role == "pool":
            pool[a.question_id].append(a)
    reviews = []
    for q in sorted(pool):
        members = sorted(pool[q], key=lambda a: a.id)
        rng.shuffle(members)
        reviews += members[:k]
    per_q = len(reviews) / max(1, len(pool))
    return predict(reviews, tests, ds.base), per_q


def predictions_loao(ds: DataSet, predict: Predictor, k: int, seed: int, tests: list[Answer]) -> tuple[dict, float]:
    rng = random.Random(seed)
    usable = defaultdict(list)  # what may be drawn as a review: never a sealed answer
    for a in ds.answers:
        if not a.sealed:
            usable[a.question_id].append(a)
    for q in usable:
        usable[q].sort(key=lambda a: a.id)
    fixed = {q: rng.sample(members, min(k, len(members))) for q, members in sorted(usable.items())}
    out, drawn = {}, []
    for a in tests:
        own = [m for m in usable[a.question_id] if m.id != a.id]
        mine = rng.sample(own, min(k, len(own)))
        drawn.append(len(mine))
        reviews = [r for q, rs in fixed.items() if q != a.question_id for r in rs] + mine
        out |= predict(reviews, [a], ds.base)
    return out, float(np.mean(drawn)) if drawn else 0.0


# --- metrics -----------------------------------------------------------------------------------


def _kappa(conf: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Cohen's kappa of confusion matrices (R, L, L), as grader.evaluation.stats.cohen_kappa."""
    L = conf.shape[1]
    w = weights if weights is not None else 1.0 - np.eye(L)
    n = conf.sum(axis=(1, 2))
    rows, cols = conf.sum(axis=2), conf.sum(axis=1)
    observed = (conf * w).sum(axis=(1, 2)) / n
    expected = np.einsum("ri,rj,ij->r", rows, cols, w) / (n * n)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(expected == 0, np.where(observed == 0, 1.0, 0.0), 1 - observed / expected)


def _macro_f1(conf: np.ndarray) -> np.ndarray:
    """Macro-F1 over the classes present in the truth (rows), as grader.evaluation.stats.macro_f1."""
    tp = np.diagonal(conf, axis1=1, axis2=2)
    rows, cols = conf.sum(axis=2), conf.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(rows + cols > 0, 2 * tp / (rows + cols), 0.0)
    present = rows > 0
    return (f1 * present).sum(axis=1) / present.sum(axis=1)


def _confusions(weights: np.ndarray, owner: np.ndarray, truth: np.ndarray, pred: np.ndarray, L: int) -> np.ndarray:
    onehot = np.zeros((len(truth), L * L))
    onehot[np.arange(len(truth)), truth * L + pred] = 1
    return (weights[:, owner] @ onehot).reshape(-1, L, L)


def score_seeds(ds: DataSet, tests: list[Answer], per_seed: list[dict], rng: np.random.Generator) -> dict[str, tuple[float, float, float]]:
    """Mean over seeds of each metric, and its bootstrap 95% interval (answers resampled)."""
    n = len(tests)
    weights = np.vstack([np.ones(n), rng.multinomial(n, np.ones(n) / n, size=RESAMPLES)])  # row 0: the data as they are
    results = defaultdict(list)
    owner = np.array([i for i, a in enumerate(tests) for _ in a.points])
    truth3 = np.array([M.LABELS.index(label) for a in tests for _, _, label in a.points])
    for predictions in per_seed:
        pred3 = np.array([M.LABELS.index(predictions[a.id][pid]) for a in tests for pid, _, _ in a.points])
        results["point_kappa"].append(_kappa(_confusions(weights, owner, truth3, pred3, 3)))
        if ds.semeval:
            idx = np.arange(n)
            said = np.array([1 if all(predictions[a.id][pid] == "covered" for pid, _, _ in a.points) else 0 for a in tests])
            t2 = np.array([1 if a.label_2way == "correct" else 0 for a in tests])
            t3 = np.array([{"correct": 1, "contradictory": 2, "incorrect": 0}[a.label_3way] for a in tests])
            results["f1_2way"].append(_macro_f1(_confusions(weights, idx, t2, said, 2)))
            results["f1_3way"].append(_macro_f1(_confusions(weights, idx, t3, said, 3)))
        else:
            results["f1_2way"].append(_macro_f1(_confusions(weights, owner, (truth3 == 2).astype(int), (pred3 == 2).astype(int), 2)))
            results["f1_3way"].append(_macro_f1(_confusions(weights, owner, truth3, pred3, 3)))
        if all(a.human_score is not None for a in tests):
            scale = tests[0].score_scale
            levels = np.arange(scale + 1)
            quad = (levels[:, None] - levels[None, :]) ** 2.0
            human = np.array([min(scale, max(0, int(np.floor(a.human_score * scale / a.max_score + 0.5)))) for a in tests]) if not ds.name.startswith("ads") else np.array([int(a.human_score) for a in tests])
            model = np.array([int(np.floor(scale * sum(M.CREDIT[predictions[a.id][pid]] * a.weights[pid] for pid, _, _ in a.points) / sum(a.weights.values()) + 0.5)) for a in tests])
            results["qwk"].append(_kappa(_confusions(weights, np.arange(n), human, model, scale + 1), quad))
    out = {}
    for metric, rows in results.items():
        mean_over_seeds = np.nanmean(np.vstack(rows), axis=0)
        out[metric] = (float(mean_over_seeds[0]), float(np.nanpercentile(mean_over_seeds[1:], 2.5)), float(np.nanpercentile(mean_over_seeds[1:], 97.5)))
    return out


def curve(ds: DataSet, methods: list[str], ks: list[int], sealed: bool, seeds=SEEDS) -> list[dict]:
    tests = [a for a in ds.answers if a.role == "test" and a.sealed == sealed]
    protocol = predictions_pool if ds.protocol == "pool" else predictions_loao
    rows = []
    for name in methods:
        for k in ks:
            per_seed, drawn = [], []
            for seed in seeds if k else [0]:
                predictions, per_q = protocol(ds, METHODS[name], k, seed, tests)
                per_seed.append(predictions)
                drawn.append(per_q)
            metrics = score_seeds(ds, tests, per_seed, np.random.default_rng(0))
            rows.append({"set": ds.name, "part": "sealed" if sealed else "tune", "method": name, "k": k, "reviews_per_question": float(np.mean(drawn)), "n_answers": len(tests), **metrics})
    return rows


def fmt(row: dict) -> str:
    cells = []
    for metric in ("point_kappa", "f1_2way", "f1_3way", "qwk"):
        if metric in row:
            mean, lo, hi = row[metric]
            cells.append(f"{mean:.3f} ({lo:.2f}-{hi:.2f})")
        else:
            cells.append("-")
    return f"| {row['set']} | {row['method']} | {row['k']} ({row['reviews_per_question']:.1f}) | " + " | ".join(cells) + " |"


HEADER = "| set | method | k (reviews/question drawn) | point kappa | 2-way macro-F1 | 3-way macro-F1 | QWK |\n|---|---|---|---|---|---|---|"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", required=True, choices=["beetle", "ads", "ads-loao", "handgraded", "gaming"])
    parser.add_argument("--methods", default="today,pooled,halfway,shrunk,offset,nn-shrunk")
    parser.add_argument("--ks", default="0,3,5,10,20")
    parser.add_argument("--sealed", action="store_true", help="score the sealed part (read it once, for the adopted method)")
    parser.add_argument("--runs-dir", type=Path, default=HERE / "runs")
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/rl"), help="where make_review_sets.py wrote the sets")
    parser.add_argument("--seeds", type=int, default=len(SEEDS), help="draws of the reviewed answers per k")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON lines here")
    args = parser.parse_args()
    ds = load(args.set, args.runs_dir, args.data_dir)
    for note in ds.notes:
        print(f"# {note}")
    part = [a for a in ds.answers if a.role == "test" and a.sealed == args.sealed]
    print(f"# {ds.name}: {len(part)} {'sealed' if args.sealed else 'tuning'} answers scored, {len({a.question_id for a in part})} questions, protocol {ds.protocol}, seeds {args.seeds}, bootstrap {RESAMPLES}")
    print(HEADER)
    rows = curve(ds, args.methods.split(","), [int(k) for k in args.ks.split(",")], args.sealed, range(args.seeds))
    for row in rows:
        print(fmt(row), flush=True)
    if args.json:
        with args.json.open("a", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
