"""Ways to learn a rubric's standard from reviewed answers, measured by `curves.py`.

Everything here is pure (no I/O, no model calls): it reads the probability the base calibration
cuts (`p_covered` in a run record: the combiner's output where one is fitted, else the model's
P(yes)) and the reviewer's label per point, and returns per-(question, point) thresholds on that
same probability -- or, for the nearest-reviewed-answers method, a new probability.

`fit_point_thresholds` is the adopted threshold method, a drop-in replacement for the product's
`grader.grading.review_fit.fit_point_thresholds` (same arguments, same result).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping, Sequence

import numpy as np

from grader.grading.calibration import Thresholds

# Ordinal order of the verdicts, and the credit each earns (as grader.grading.scoring.CREDIT).
LABELS = ("missing", "partial", "covered")
CREDIT = {"missing": 0.0, "partial": 0.5, "covered": 1.0}
GRID = 40  # candidate cut points per fit: quantiles of the observed probabilities, as calibration.fit_thresholds


@dataclass(frozen=True)
class ReviewedPoint:
    """One point of one reviewed answer: the probability the base calibration cut, and the
    reviewer's verdict (covered / partial / missing)."""

    question_id: str
    point_id: str
    probability: float
    label: str


PointKey = tuple[str, str]


# --- the kappa-maximising pair of cut points (vectorised calibration.fit_thresholds) -----------


def _candidates(probabilities: np.ndarray, grid: int = GRID) -> np.ndarray:
    known = np.sort(probabilities)
    n = len(known)
    picked = {float(known[min(n - 1, int(i * n / grid))]) for i in range(grid)} | {1.01}
    return np.array(sorted(picked))


def kappa_grid_fit(probabilities: Sequence[float], labels: Sequence[str], grid: int = GRID) -> Thresholds | None:
    """The (partial, covered) pair that maximises Cohen's kappa over `labels`: the same
    candidates and the same tie-breaking (first best pair in order) as
    `grader.grading.calibration.fit_thresholds`, computed with arrays. None without data."""
    p = np.asarray(probabilities, dtype=float)
    if len(p) == 0:
        return None
    y = np.array([LABELS.index(label) for label in labels])
    cand = _candidates(p, grid)
    n = len(p)
    # at_least[c, t]: points of true class c with probability >= candidate t
    at_least = np.stack([(p[y == c][:, None] >= cand[None, :]).sum(axis=0) for c in range(3)])
    totals = np.array([(y == c).sum() for c in range(3)])
    lo, hi = np.meshgrid(np.arange(len(cand)), np.arange(len(cand)), indexing="ij")
    # predicted class counts per true class for every pair (lo, hi), hi >= lo
    covered = at_least[:, hi]  # (3, L, L)
    partial = at_least[:, lo] - at_least[:, hi]
    missing = totals[:, None, None] - at_least[:, lo]
    agree = missing[0] + partial[1] + covered[2]
    cols = np.stack([missing.sum(axis=0), partial.sum(axis=0), covered.sum(axis=0)])
    expected = (totals[:, None, None] * cols).sum(axis=0) / (n * n)
    observed = agree / n
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = np.where(expected >= 1.0, np.where(observed >= 1.0, 1.0, 0.0), (observed - expected) / (1 - expected))
    kappa = np.where(hi >= lo, kappa, -np.inf)
    best = int(np.argmax(kappa))  # first maximum in (lo, hi) order, as fit_thresholds' strict '>'
    i, j = divmod(best, len(cand))
    return Thresholds(partial=float(cand[i]), covered=float(cand[j]))


def _mix(a: Thresholds, b: Thresholds, weight_a: float) -> Thresholds:
    return Thresholds(
        partial=weight_a * a.partial + (1 - weight_a) * b.partial,
        covered=weight_a * a.covered + (1 - weight_a) * b.covered,
    )


def _by_question(reviewed: Sequence[ReviewedPoint]) -> dict[str, list[ReviewedPoint]]:
    groups: dict[str, list[ReviewedPoint]] = defaultdict(list)
    for point in reviewed:
        groups[point.question_id].append(point)
    return groups


def _fit(points: Sequence[ReviewedPoint]) -> Thresholds | None:
    return _cached_fit(tuple(r.probability for r in points), tuple(r.label for r in points))


@lru_cache(maxsize=65536)
def _cached_fit(probabilities: tuple[float, ...], labels: tuple[str, ...]) -> Thresholds | None:
    # The same reviewed points are refitted often (every question's fit, whenever one answer changes).
    return kappa_grid_fit(probabilities, labels)


def _each_point(reviewed: Sequence[ReviewedPoint], per_question: Mapping[str, Thresholds]) -> dict[PointKey, Thresholds]:
    keys = {(r.question_id, r.point_id) for r in reviewed}
    return {key: per_question[key[0]] for key in keys if key[0] in per_question}


# --- threshold methods -----------------------------------------------------------------------


def fit_pooled(reviewed: Sequence[ReviewedPoint], base: Thresholds) -> dict[PointKey, Thresholds]:
    """One pair refitted for the whole bank (the issue's "refitting one pair" comparison)."""
    pooled = _fit(reviewed)
    if pooled is None:
        return {}
    return _each_point(reviewed, {q: pooled for q in _by_question(reviewed)})


def fit_halfway(reviewed: Sequence[ReviewedPoint], base: Thresholds) -> dict[PointKey, Thresholds]:
    """The issue's baseline: a per-question fit shrunk halfway toward the pooled fit."""
    pooled = _fit(reviewed)
    if pooled is None:
        return {}
    return _each_point(reviewed, {q: _mix(_fit(points), pooled, 0.5) for q, points in _by_question(reviewed).items()})


def fit_shrunk(reviewed: Sequence[ReviewedPoint], base: Thresholds, strength: float = 10.0, pool_strength: float = 20.0) -> dict[PointKey, Thresholds]:
    """Empirical-Bayes-style shrinkage whose weight grows with the evidence: a question's own fit
    gets weight n_q / (n_q + strength) against the bank's pooled fit, which itself gets
    N / (N + pool_strength) against the base (n_q, N: reviewed points of the question, of the bank)."""
    pooled = _fit(reviewed)
    if pooled is None:
        return {}
    bank = _mix(pooled, base, len(reviewed) / (len(reviewed) + pool_strength))
    return _each_point(
        reviewed,
        {q: _mix(_fit(points), bank, len(points) / (len(points) + strength)) for q, points in _by_question(reviewed).items()},
    )


def _logit(p: np.ndarray | float) -> np.ndarray | float:
    return np.log(np.clip(p, 1e-4, 1 - 1e-4) / (1 - np.clip(p, 1e-4, 1 - 1e-4)))


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _offset(z: np.ndarray, y: np.ndarray, cuts: tuple[float, float], slope: float, prior_mean: float, prior_sd: float) -> float:
    """MAP shift d of logit(p) under the cumulative-logit model P(y >= c) = sigmoid(slope *
    (z + d - cut_c)), with a normal prior N(prior_mean, prior_sd^2) on d (Newton's method)."""
    d = prior_mean
    for _ in range(25):
        grad = -(d - prior_mean) / prior_sd**2
        hess = -1 / prior_sd**2
        for c, cut in enumerate(cuts, start=1):
            q = _sigmoid(slope * (z + d - cut))
            target = (y >= c).astype(float)
            grad += slope * (target - q).sum()
            hess -= slope**2 * (q * (1 - q)).sum()
        step = grad / hess
        d -= step
        if abs(step) < 1e-6:
            break
    return float(d)


def fit_logit_offset(reviewed: Sequence[ReviewedPoint], base: Thresholds, slope: float = 4.0, question_sd: float = 0.5, bank_sd: float = 1.0) -> dict[PointKey, Thresholds]:
    """A shift of logit(probability) per question, keeping the base cuts: the bank's shift has
    a prior N(0, bank_sd^2) around the base, each question's a prior N(bank shift,
    question_sd^2), both fitted by maximum a posteriori under a cumulative-logit model whose
    50% points are the base thresholds. Equivalent to moving both base thresholds by -shift
    on the logit scale, so the gap between partial and covered is kept."""
    if not reviewed:
        return {}
    cuts = (float(_logit(base.partial)), float(_logit(min(base.covered, 0.9999))))

    def arrays(points):
        return _logit(np.array([r.probability for r in points])), np.array([LABELS.index(r.label) for r in points])

    z, y = arrays(reviewed)
    bank = _offset(z, y, cuts, slope, 0.0, bank_sd)
    out = {}
    for q, points in _by_question(reviewed).items():
        zq, yq = arrays(points)
        d = _offset(zq, yq, cuts, slope, bank, question_sd)
        out[q] = Thresholds(partial=float(_sigmoid(cuts[0] - d)), covered=float(_sigmoid(cuts[1] - d)))
    return _each_point(reviewed, out)


# The adopted threshold method: the baseline. No other threshold fit measured here beat it
# on every set (README.md: the logit offset wins Beetle but loses ADS; `shrunk` loses ADS).
def fit_point_thresholds(reviewed: Sequence[ReviewedPoint], base: Thresholds) -> dict[PointKey, Thresholds]:
    """Per-(question_id, point_id) thresholds learnt from reviewed points; a point with no
    reviewed answers is absent (it keeps `base`)."""
    return fit_halfway(reviewed, base)


# --- nearest reviewed answers ------------------------------------------------------------------

_NOT_TEXT = re.compile(r"[\W_]+", re.UNICODE)


def char_ngrams(text: str, sizes: tuple[int, ...] = (2, 3)) -> Counter:
    """Character n-grams of the text, lower-cased, punctuation and spacing dropped (works the
    same for Chinese and English)."""
    t = _NOT_TEXT.sub(" ", text.lower()).strip()
    grams: Counter = Counter()
    for n in sizes:
        grams.update(t[i : i + n] for i in range(max(0, len(t) - n + 1)))
    return grams


def cosine(a: Counter, b: Counter) -> float:
    if not a or not b:
        return 0.0
    small, large = (a, b) if len(a) < len(b) else (b, a)
    dot = sum(v * large.get(g, 0) for g, v in small.items())
    return dot / math.sqrt(sum(v * v for v in a.values()) * sum(v * v for v in b.values()))


def neighbour_credit(similarities: Sequence[float], credits: Sequence[float], top: int = 3) -> tuple[float, float]:
    """(similarity-weighted credit of the `top` most similar reviewed answers, the highest
    similarity); (0.5, 0.0) with none."""
    if not similarities:
        return 0.5, 0.0
    order = sorted(range(len(similarities)), key=lambda i: -similarities[i])[:top]
    weights = [max(similarities[i], 1e-6) ** 2 for i in order]
    credit = sum(w * credits[i] for w, i in zip(weights, order)) / sum(weights)
    return credit, similarities[order[0]]


def blend_with_neighbours(probability: float, similarities: Sequence[float], credits: Sequence[float], weight: float = 0.6, top: int = 3) -> float:
    """The probability moved toward the credit its nearest reviewed answers (same question, same
    point) received, the more the closer they are: an exact repeat of a reviewed answer takes
    `weight` of its verdict, an unlike one keeps its probability. Cut by thresholds fitted on the
    reviewed answers' own blended probabilities (each blended from the *other* reviewed answers)."""
    credit, nearest = neighbour_credit(similarities, credits, top)
    w = weight * nearest
    return (1 - w) * probability + w * credit


def neighbour_features(probability: float, similarities: Sequence[float], credits: Sequence[float], top: int = 3) -> list[float]:
    """What the per-rubric combiner reads for one point: logit of the probability, the nearest
    reviewed answers' credit (centred, scaled by how near the nearest one is), and that nearness."""
    credit, nearest = neighbour_credit(similarities, credits, top)
    return [float(_logit(probability)), nearest * (credit - 0.5), nearest]


@dataclass(frozen=True)
class Logistic:
    """A fractional logistic regression over standardised features (targets: credits 0 / 0.5 / 1)."""

    weights: tuple[float, ...]
    bias: float
    means: tuple[float, ...]
    scales: tuple[float, ...]

    def probability(self, row: Sequence[float]) -> float:
        z = self.bias + sum(w * (v - m) / s for w, v, m, s in zip(self.weights, row, self.means, self.scales))
        return float(_sigmoid(max(-30.0, min(30.0, z))))

    @classmethod
    def fit(cls, rows: Sequence[Sequence[float]], targets: Sequence[float], l2: float = 0.05, steps: int = 300) -> "Logistic":
        """Newton's method on the ridge-penalised log-likelihood (the same objective as
        grader.grading.combiner.Combiner.fit, solved with arrays)."""
        x = np.asarray(rows, dtype=float)
        y = np.asarray(targets, dtype=float)
        means, scales = x.mean(axis=0), x.std(axis=0)
        scales[scales == 0] = 1.0
        xs = np.hstack([(x - means) / scales, np.ones((len(x), 1))])
        beta = np.zeros(xs.shape[1])
        penalty = np.full(xs.shape[1], l2 * len(x))
        penalty[-1] = 0.0
        for _ in range(steps):
            q = _sigmoid(np.clip(xs @ beta, -30, 30))
            grad = xs.T @ (q - y) + penalty * beta
            hess = (xs * (q * (1 - q))[:, None]).T @ xs + np.diag(penalty) + 1e-9 * np.eye(xs.shape[1])
            step = np.linalg.solve(hess, grad)
            beta -= step
            if np.abs(step).max() < 1e-8:
                break
        return cls(tuple(beta[:-1]), float(beta[-1]), tuple(means), tuple(scales))


FITS = {"pooled": fit_pooled, "halfway (adopted)": fit_halfway, "shrunk": fit_shrunk, "offset": fit_logit_offset}


def main() -> None:
    """Lists the threshold fits this module offers (curves.py measures them)."""
    import argparse

    argparse.ArgumentParser(description=main.__doc__).parse_args()
    for name, fit in FITS.items():
        print(f"{name}: {(fit.__doc__ or '').strip().splitlines()[0] if fit.__doc__ else fit.__name__}")


if __name__ == "__main__":
    main()
