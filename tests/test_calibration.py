import random

import pytest

from grader.grading.calibration import Calibration, Thresholds, load_calibration, save_calibration
from grader.grading.combiner import ANCHORED_FEATURES, BASE_FEATURES, CONTEXT_FEATURES, Combiner, answer_features, features, margin, overlap


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


def test_features_are_named_and_ordered():
    answer = "我会先核实客户身份。"
    base = features(answer, "核实客户身份", 0.8)
    anchored = features(answer, "核实客户身份", 0.8, 0.2, ANCHORED_FEATURES)
    assert anchored[:3] == base and anchored[3] < 0  # logit of 0.2
    assert features(answer, "核实客户身份", 0.8, 0.2, ("anchor", "p_yes")) == [anchored[3], anchored[0]]


def test_entry_without_feature_names_reads_the_base_features(tmp_path):
    path = tmp_path / "calibration.json"
    path.write_text('{"m|h": {"partial": 0.4, "covered": 0.6, "combiner": {"weights": [1, 1, 1], "bias": 0}}}', encoding="utf-8")
    loaded = load_calibration("m", "h", path)
    assert loaded.feature_names == BASE_FEATURES and not loaded.needs_anchor


def test_anchored_calibration_round_trip(tmp_path):
    path = tmp_path / "calibration.json"
    saved = Calibration(Thresholds(0.2, 0.6), Combiner(weights=(1.0, 0.5, 0.1, -0.7), bias=-0.2), fitted=True, feature_names=ANCHORED_FEATURES)
    save_calibration("m", "h", saved, note="test", path=path)
    loaded = load_calibration("m", "h", path)
    assert loaded == saved and loaded.needs_anchor
    # a point the model says "yes" to whatever is written earns less for the same P(yes)
    [readily] = loaded.probabilities("答案", [("要点", 0.9, 0.9)])
    [rarely] = loaded.probabilities("答案", [("要点", 0.9, 0.1)])
    assert readily < rarely


def test_calibration_round_trip(tmp_path):
    path = tmp_path / "calibration.json"
    assert load_calibration("m", "h", path).fitted is False
    saved = Calibration(Thresholds(0.2, 0.6), Combiner(weights=(1.0, 0.5, 0.1), bias=-0.2), fitted=True)
    save_calibration("m", "h", saved, note="test", path=path)
    loaded = load_calibration("m", "h", path)
    assert loaded == saved
    assert loaded.probabilities("答案", [("要点", 0.9, None)]) == [saved.combiner.probability(features("答案", "要点", 0.9))]
    assert load_calibration("m", "other-prompt", path).fitted is False


def test_others_feature_reads_the_answers_other_points_only():
    answer = "我会先核实客户身份。"
    points = [("核实客户身份", 0.9, 0.2), ("解释诈骗手段", 0.3, 0.4), ("提供补偿措施", 0.6, 0.5)]
    rows = answer_features(answer, points, CONTEXT_FEATURES)
    margins = [margin(p, a) for _, p, a in points]
    assert [r[:4] for r in rows] == [features(answer, t, p, a, ANCHORED_FEATURES) for t, p, a in points]
    assert rows[0][4] == (margins[1] + margins[2]) / 2 and rows[2][4] == (margins[0] + margins[1]) / 2
    # a one-point question has no other points: the point's own margin stands in
    assert answer_features(answer, points[:1], CONTEXT_FEATURES)[0][4] == margins[0]
    with pytest.raises(ValueError, match="others"):
        features(answer, "核实客户身份", 0.9, 0.2, CONTEXT_FEATURES)


def test_what_the_model_says_of_other_points_moves_a_points_probability():
    calibration = Calibration(Thresholds(0.3, 0.6), Combiner(weights=(1.0, 0.0, 0.0, -1.0, 0.5), bias=0.0), fitted=True, feature_names=CONTEXT_FEATURES)
    assert calibration.needs_anchor
    weak_rest = calibration.probabilities("答案", [("要点一", 0.7, 0.3), ("要点二", 0.1, 0.3), ("要点三", 0.1, 0.3)])
    strong_rest = calibration.probabilities("答案", [("要点一", 0.7, 0.3), ("要点二", 0.9, 0.3), ("要点三", 0.9, 0.3)])
    assert weak_rest[0] < strong_rest[0]
    # no yes/no token: no probability, whatever the other points say
    assert calibration.probabilities("答案", [("要点一", None, 0.3), ("要点二", 0.9, 0.3)])[0] is None


def test_calibrate_saves_where_the_user_says_and_the_user_file_overrides_the_packaged_one(tmp_path, monkeypatch, capsys):
    import json

    from grader.grading.calibration import CALIBRATION_FILE, user_calibration_path
    from grader.cli import main

    from .conftest import ROOT

    baseline = json.loads((ROOT / "evals" / "baseline.json").read_text(encoding="utf-8"))
    run = ROOT / baseline["runs"]["offline_raw_probabilities"]
    packaged = CALIBRATION_FILE.read_bytes()
    monkeypatch.chdir(ROOT)  # the run names its rubric and samples relative to the repository
    named = tmp_path / "mine.json"
    assert main(["calibrate", str(run), "--save", str(named), "--global", "--runs-dir", str(tmp_path / "runs")]) == 0
    assert len(list((tmp_path / "runs").glob("*.json"))) == 1  # the cross-validated record, in --runs-dir
    [(key, entry)] = json.loads(named.read_text(encoding="utf-8")).items()
    assert not user_calibration_path().exists()
    assert main(["calibrate", str(run), "--save", "--global", "--runs-dir", str(tmp_path / "runs")]) == 0
    assert json.loads(user_calibration_path().read_text(encoding="utf-8"))[key]["partial"] == entry["partial"]
    assert CALIBRATION_FILE.read_bytes() == packaged  # the installed package is never written

    model, prompt_hash = key.split("|")
    user = json.loads(user_calibration_path().read_text(encoding="utf-8"))
    user[key] = {"partial": 0.11, "covered": 0.99, "note": "user"}
    user_calibration_path().write_text(json.dumps(user), encoding="utf-8")
    assert load_calibration(model, prompt_hash).thresholds == Thresholds(0.11, 0.99)
    user_calibration_path().unlink()
    assert load_calibration(model, prompt_hash) == load_calibration(model, prompt_hash, CALIBRATION_FILE)
