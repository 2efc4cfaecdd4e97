"""Agreement metrics as pure functions over label and score sequences.

Cohen's kappa (unweighted, linear, quadratic) is computed from the confusion matrix, as in
scikit-learn's `cohen_kappa_score` (a test checks they agree).
"""

from __future__ import annotations

import math
import random
from typing import Callable, Hashable, Sequence, TypeVar

L = TypeVar("L", bound=Hashable)


def confusion_matrix(truth: Sequence[L], predicted: Sequence[L], labels: Sequence[L]) -> list[list[int]]:
    """Rows are the truth, columns the prediction, both in `labels` order."""
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for t, p in zip(truth, predicted, strict=True):
        matrix[index[t]][index[p]] += 1
    return matrix


def accuracy(truth: Sequence, predicted: Sequence) -> float:
    if not truth:
        return math.nan
    return sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth)


def cohen_kappa(truth: Sequence[L], predicted: Sequence[L], labels: Sequence[L], weights: str | None = None) -> float:
    """Cohen's kappa; `weights` None, "linear" or "quadratic" (labels must then be in order)."""
    matrix = confusion_matrix(truth, predicted, labels)
    k = len(labels)
    n = sum(map(sum, matrix))
    if n == 0:
        return math.nan
    rows = [sum(r) for r in matrix]
    cols = [sum(matrix[i][j] for i in range(k)) for j in range(k)]

    def disagreement(i: int, j: int) -> float:
        if weights is None:
            return float(i != j)
        if weights == "linear":
            return abs(i - j)
        if weights == "quadratic":
            return (i - j) ** 2
        raise ValueError(f"unknown weights {weights!r}")

    observed = sum(disagreement(i, j) * matrix[i][j] for i in range(k) for j in range(k)) / n
    expected = sum(disagreement(i, j) * rows[i] * cols[j] for i in range(k) for j in range(k)) / (n * n)
    if expected == 0:
        # Both raters used one and the same label throughout: perfect but uninformative agreement.
        return 1.0 if observed == 0 else 0.0
    return 1 - observed / expected


def precision_recall_f1(truth: Sequence[L], predicted: Sequence[L], positive: L) -> tuple[float, float, float]:
    tp = sum(t == positive and p == positive for t, p in zip(truth, predicted))
    fp = sum(t != positive and p == positive for t, p in zip(truth, predicted))
    fn = sum(t == positive and p != positive for t, p in zip(truth, predicted))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def macro_f1(truth: Sequence[L], predicted: Sequence[L], labels: Sequence[L]) -> float:
    present = [label for label in labels if label in set(truth)]
    return sum(precision_recall_f1(truth, predicted, label)[2] for label in present) / len(present) if present else math.nan


def mean_absolute_error(truth: Sequence[float], predicted: Sequence[float]) -> float:
    return sum(abs(t - p) for t, p in zip(truth, predicted, strict=True)) / len(truth) if truth else math.nan


def pearson(x: Sequence[float], y: Sequence[float]) -> float:
    n = len(x)
    if n < 2:
        return math.nan
    mx, my = sum(x) / n, sum(y) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    return sxy / math.sqrt(sxx * syy) if sxx and syy else math.nan


def _ranks(values: Sequence[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1  # ties share their average rank
        i = j + 1
    return ranks


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    return pearson(_ranks(x), _ranks(y))


def round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


def quadratic_weighted_kappa(truth: Sequence[float], predicted: Sequence[float], max_score: int) -> float:
    """QWK on scores rounded half-up to whole marks 0..max_score."""
    labels = list(range(0, max_score + 1))
    t = [min(max_score, max(0, round_half_up(v))) for v in truth]
    p = [min(max_score, max(0, round_half_up(v))) for v in predicted]
    return cohen_kappa(t, p, labels, weights="quadratic")


def bootstrap_interval(
    groups: Sequence, statistic: Callable[[Sequence], float], *, resamples: int = 1000, seed: int = 0, level: float = 0.95
) -> tuple[float, float]:
    """Percentile interval of `statistic` over resamples of `groups` (answers, so that the points
    of one answer stay together)."""
    rng = random.Random(seed)
    values = []
    for _ in range(resamples):
        sample = [groups[rng.randrange(len(groups))] for _ in groups]
        value = statistic(sample)
        if not math.isnan(value):
            values.append(value)
    if not values:
        return (math.nan, math.nan)
    values.sort()
    lo = values[int((1 - level) / 2 * (len(values) - 1))]
    hi = values[int((1 + level) / 2 * (len(values) - 1))]
    return (lo, hi)
