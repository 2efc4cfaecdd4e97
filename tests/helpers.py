"""Scripted graders for tests of the harness and the batch runner (no model involved)."""

from __future__ import annotations

from grader.grading.routing import DEFAULT_POLICY
from grader.grading.strategies import GraderIdentity, finish
from grader.grading.results import AnswerGrade, PointGrade, Verdict


class LabelEchoGrader:
    """Grades by a rule over the answer text, so tests control agreement exactly."""

    strategy = "scripted"

    def __init__(self, rule=None, fail_ids=()):
        self.rule = rule or (lambda question, answer, point: Verdict.covered if len(answer) > 60 else Verdict.missing)
        self.fail_ids = set(fail_ids)
        self.calls = []

    def identity(self, question) -> GraderIdentity:
        return GraderIdentity("scripted", "p", None, DEFAULT_POLICY.id)

    def grade(self, question, answer, answer_id=None) -> AnswerGrade:
        self.calls.append(answer_id)
        common = dict(answer_id=answer_id, strategy=self.strategy, model="scripted", prompt_hash="p", rubric_hash=question.content_hash)
        if answer_id in self.fail_ids:
            return AnswerGrade(question_id=question.id, status="unscored", score=None, max_score=question.max_score, error="boom", **common)
        points = []
        for p in question.points:
            verdict = Verdict(self.rule(question, answer, p))
            evidence = answer[:12] if verdict is not Verdict.missing else ""
            points.append(PointGrade(id=p.id, verdict=verdict, evidence=evidence, p_covered=0.9 if len(answer) > 60 else 0.1))
        return finish(question, points, **common)


def use_scripted_session(monkeypatch, grader) -> None:
    """Make the CLI's session (model client and grader) the scripted `grader`: no model runs."""
    from contextlib import contextmanager

    class ScriptedClient:
        model = "scripted"

    @contextmanager
    def scripted_client(settings, quiet=False):
        yield ScriptedClient()

    monkeypatch.setattr("grader.grading.session.open_client", scripted_client)
    monkeypatch.setattr("grader.grading.session.make_grader", lambda strategy, client, rubric, **options: grader)


def exit_2_naming(argv, capsys, *expected) -> str:
    """Run the command line: it must exit 2 (bad input) with no traceback, and its message must
    name each of `expected`. Returns the message."""
    from grader import cli

    code = cli.main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    for text in expected:
        assert str(text) in err, err
    return err
