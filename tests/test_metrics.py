import random

import pytest
from scipy.stats import pearsonr, spearmanr
from sklearn.metrics import cohen_kappa_score, confusion_matrix as sk_confusion, f1_score

from grader.evaluation import stats as m

LABELS = ["missing", "partial", "covered"]


def _labels(seed, n=200):
    rng = random.Random(seed)
    truth = [rng.choice(LABELS) for _ in range(n)]
    predicted = [t if rng.random() < 0.6 else rng.choice(LABELS) for t in truth]
    return truth, predicted


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_kappa_matches_scikit_learn(seed, weights):
    truth, predicted = _labels(seed)
    ours = m.cohen_kappa(truth, predicted, LABELS, weights=weights)
    assert ours == pytest.approx(cohen_kappa_score(truth, predicted, labels=LABELS, weights=weights))


def test_qwk_matches_scikit_learn_on_rounded_scores():
    rng = random.Random(5)
    truth = [rng.choice([0, 2.5, 5, 6.25, 7.5, 10]) for _ in range(150)]
    predicted = [min(10, max(0, t + rng.choice([-2.5, 0, 0, 1.25, 2.5]))) for t in truth]
    rounded = lambda xs: [m.round_half_up(x) for x in xs]  # noqa: E731
    expected = cohen_kappa_score(rounded(truth), rounded(predicted), labels=list(range(11)), weights="quadratic")
    assert m.quadratic_weighted_kappa(truth, predicted, 10) == pytest.approx(expected)
    assert m.round_half_up(6.5) == 7 and m.round_half_up(2.5) == 3  # not banker's rounding


def test_confusion_and_f1_match_scikit_learn():
    truth, predicted = _labels(3)
    assert m.confusion_matrix(truth, predicted, LABELS) == sk_confusion(truth, predicted, labels=LABELS).tolist()
    _, _, f1 = m.precision_recall_f1(truth, predicted, "covered")
    assert f1 == pytest.approx(f1_score(truth, predicted, labels=["covered"], average="macro"))
    assert m.macro_f1(truth, predicted, LABELS) == pytest.approx(f1_score(truth, predicted, labels=LABELS, average="macro"))


def test_correlations_match_scipy():
    rng = random.Random(9)
    x = [rng.choice([0, 1, 2, 2, 3, 5]) for _ in range(60)]
    y = [v + rng.random() * 2 for v in x]
    assert m.pearson(x, y) == pytest.approx(pearsonr(x, y)[0])
    assert m.spearman(x, y) == pytest.approx(spearmanr(x, y)[0])  # with ties


def test_kappa_edge_cases():
    assert m.cohen_kappa(["covered"] * 5, ["covered"] * 5, LABELS) == 1.0
    assert m.cohen_kappa(["covered", "missing"], ["missing", "covered"], LABELS) < 0


def test_bootstrap_interval_brackets_the_estimate():
    truth, predicted = _labels(4, n=300)
    groups = list(zip(truth, predicted))
    stat = lambda g: m.cohen_kappa([t for t, _ in g], [p for _, p in g], LABELS)  # noqa: E731
    lo, hi = m.bootstrap_interval(groups, stat, resamples=300)
    assert lo < stat(groups) < hi and hi - lo < 0.3
