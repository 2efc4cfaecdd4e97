import json

import pytest
import yaml

from grader.rubric.model import RubricError, load_rubric

from .conftest import RUBRIC_PATH


def test_seed_rubric_shape(rubric):
    assert [s.id for s in rubric.sections] == ["behavioral", "situational", "knowledge", "stress"]
    ids = [q.id for q in rubric.questions()]
    assert ids == [f"{s}-{i}" for s in ("behavioral", "situational", "knowledge", "stress") for i in range(1, 6)]
    assert rubric.max_total == 200
    for q in rubric.questions():
        assert 3 <= len(q.points) <= 6, q.id
        assert [p.id for p in q.points] == [f"p{i}" for i in range(1, len(q.points) + 1)]
        assert sum(p.weight for p in q.points) == pytest.approx(10)


def test_seed_rubric_is_repaired_simplified_chinese():
    text = RUBRIC_PATH.read_text(encoding="utf-8")
    body = text.split("\nid:", 1)[1]  # the header comment quotes the damage it repaired
    for damage in ("(lián)", "??", "蛻", "聯", "題", "銀行", "應", "戶"):
        assert damage not in body
    assert "客户问题" in body


def _write(tmp_path, data, suffix=".yaml"):
    path = tmp_path / f"rubric{suffix}"
    data = json.loads(json.dumps(data))  # a fresh copy: a shared dict would be dumped as an alias, which rubrics refuse
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False) if suffix == ".yaml" else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _minimal():
    return {
        "id": "r",
        "title": "T",
        "language": "en",
        "sections": [
            {
                "id": "s",
                "title": "S",
                "questions": [
                    {"id": "q1", "prompt": "Why?", "max_score": 10, "points": [{"id": "p1", "text": "a", "weight": 6}, {"id": "p2", "text": "b", "weight": 4}]}
                ],
            }
        ],
    }


def test_json_rubric_loads(tmp_path):
    rubric = load_rubric(_write(tmp_path, _minimal(), ".json"))
    assert rubric.question("q1").point("p2").weight == 4


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda d: d["sections"][0]["questions"][0]["points"][1].update(weight=5), "weights sum to 11"),
        (lambda d: d["sections"][0]["questions"][0]["points"][1].update(id="p1"), "duplicate point ids ['p1']"),
        (lambda d: d["sections"][0]["questions"][0]["points"][0].update(text="  "), "point text is empty"),
        (lambda d: d["sections"][0]["questions"][0]["points"][0].update(wieght=1), "unknown key 'wieght'"),
        (lambda d: d["sections"][0]["questions"].append(dict(d["sections"][0]["questions"][0])), "duplicate question ids ['q1']"),
        (lambda d: d.update(language="fr"), "field language"),
    ],
)
def test_broken_rubric_names_file_question_and_field(tmp_path, mutate, expected):
    data = _minimal()
    mutate(data)
    path = _write(tmp_path, data)
    with pytest.raises(RubricError) as err:
        load_rubric(path)
    message = str(err.value)
    assert str(path) in message and expected in message
    if "point" in expected or "wieght" in expected:
        assert "question 'q1'" in message and ".points" in message


def test_error_gives_the_line_of_the_bad_field(tmp_path):
    text = RUBRIC_PATH.read_text(encoding="utf-8").replace("weight: 1.5\n", "weight: 0.5\n", 1)
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    line = next(i for i, l in enumerate(text.splitlines(), 1) if "id: behavioral-1" in l) + 4  # its points: line
    with pytest.raises(RubricError, match=rf"bad.yaml:{line}: question 'behavioral-1', field sections.0.questions.0.points: point weights sum to 9"):
        load_rubric(path)


def test_unreadable_and_non_mapping_files(tmp_path):
    bad = tmp_path / "x.yaml"
    bad.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(RubricError, match="x.yaml: cannot read"):
        load_rubric(bad)
    bad.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(RubricError, match="must be a mapping"):
        load_rubric(bad)
    with pytest.raises(RubricError, match="cannot read"):
        load_rubric(tmp_path / "missing.yaml")
