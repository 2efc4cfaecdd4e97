import random

from grader.calibration import Calibration, Thresholds, load_calibration, save_calibration
from grader.combiner import Combiner, features, overlap


def test_combiner_learns_which_feature_carries_the_signal():
    rng = random.Random(0)
    rows, targets = [], []
    for _ in range(300):
        signal, noise = rng.uniform(-3, 3), rng.uniform(-3, 3)
        rows.append([signal, noise])
        targets.append(1.0 if signal + rng.gauss(0, 0.5) > 0 else 0.0)
    model = Combiner.fit(rows, targets)
    assert model.weights[0] > 1 and abs(model.weights[1]) < 0.3
    assert model.probability([3, 0]) > 0.9 > 0.1 > model.probability([-3, 0])


def test_combiner_fits_features_on_any_scale():
    # A feature that is small and far from zero (like a length on a log scale) left plain gradient
    # descent unconverged; standardising inside the combiner makes the scale irrelevant.
    rng = random.Random(1)
    signals = [rng.uniform(-3, 3) for _ in range(300)]
    targets = [1.0 if s + rng.gauss(0, 0.5) > 0 else 0.0 for s in signals]
    model = Combiner.fit([[5 + 0.01 * s] for s in signals], targets)
    assert model.probability([5.03]) > 0.9 and model.probability([4.97]) < 0.1


def test_features_overlap_reads_the_answer():
    answer = "我会先核实客户身份。然后解释诈骗手段。"
    assert overlap(answer, "核实客户身份") == 1.0
    assert overlap(answer, "提供补偿措施") == 0.0
    assert len(features(answer, "核实客户身份", 0.8)) == 3


def test_calibration_round_trip(tmp_path):
    path = tmp_path / "calibration.json"
    assert load_calibration("m", "h", path).fitted is False
    saved = Calibration(Thresholds(0.2, 0.6), Combiner(weights=(1.0, 0.5, 0.1), bias=-0.2), fitted=True)
    save_calibration("m", "h", saved, note="test", path=path)
    loaded = load_calibration("m", "h", path)
    assert loaded == saved
    assert loaded.probability("答案", "要点", 0.9) == saved.combiner.probability(features("答案", "要点", 0.9))
    assert load_calibration("m", "other-prompt", path).fitted is False
