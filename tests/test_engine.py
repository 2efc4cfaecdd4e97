"""The one loop that grades many answers (grading/engine.py): what it skips, what it takes from the
cache, when it stops asking, and what a failing sink leaves."""

from __future__ import annotations

import pytest

from grader.grading.engine import Job, grade_many
from grader.recruiting.store import GradeCache

from .helpers import LabelEchoGrader

LONG = "我会先安抚客户情绪，认真倾听，核实问题后给出解决办法，并跟进到客户满意为止，最后记录下来。"


def jobs(n: int, prefix: str = "a") -> list[Job]:
    return [Job("stress-1", f"{LONG}（{i}）", f"{prefix}{i}") for i in range(n)]


class Recorded(list):
    def __call__(self, job, grade, cached):
        self.append((job.answer_id, grade.answer_id, cached))


@pytest.mark.parametrize("threads", [1, 4])
def test_what_is_done_is_skipped_and_counted(rubric, threads):
    grader, recorded = LabelEchoGrader(), Recorded()
    summary = grade_many(grader, rubric, jobs(6), recorded, done=lambda job: job.answer_id in {"a1", "a4"}, threads=threads)
    assert sorted(grader.calls) == ["a0", "a2", "a3", "a5"]
    assert sorted(recorded) == [(i, i, False) for i in ("a0", "a2", "a3", "a5")]
    assert (summary.total, summary.already_done, summary.graded, summary.stopped) == (6, 2, 4, "")


def test_a_cached_grade_is_reused_under_the_new_answer_id_and_only_by_the_same_identity(tmp_path, rubric):
    cache = GradeCache(tmp_path / "cache.sqlite")
    grade_many(LabelEchoGrader(), rubric, jobs(3), Recorded(), cache=cache)
    again, recorded = LabelEchoGrader(), Recorded()
    summary = grade_many(again, rubric, jobs(3, prefix="b"), recorded, cache=cache, threads=2)
    assert again.calls == [] and summary.cache_hits == 3 and summary.model_calls == 0
    assert sorted(recorded) == [(f"b{i}", f"b{i}", True) for i in range(3)]  # named for this answer, not the cached one

    class Recalibrated(LabelEchoGrader):
        def identity(self, question):
            return super().identity(question)._replace(calibration="another")

    other = Recalibrated()
    summary = grade_many(other, rubric, jobs(3), Recorded(), cache=cache)
    assert len(other.calls) == 3 and summary.cache_hits == 0  # a grade cut another way is not reused
    cache.close()


def test_the_breaker_stops_asking_after_five_failures_of_one_kind(rubric):
    failing = LabelEchoGrader(fail_ids=[f"a{i}" for i in range(12)])
    recorded = Recorded()
    summary = grade_many(failing, rubric, jobs(12), recorded)
    assert failing.calls == [f"a{i}" for i in range(5)] and len(recorded) == 5
    assert "after 5 answers in a row failed with boom" in summary.stopped and "7 answers were not asked" in summary.stopped
    # a success in between resets the count
    mixed = LabelEchoGrader(fail_ids=[f"a{i}" for i in range(12) if i != 3])
    assert "after 5 answers" in grade_many(mixed, rubric, jobs(12), Recorded()).stopped and len(mixed.calls) == 9
    # without a limit (an eval) every answer is asked
    every = LabelEchoGrader(fail_ids=[f"a{i}" for i in range(12)])
    summary = grade_many(every, rubric, jobs(12), Recorded(), stop_after_failures=None)
    assert len(every.calls) == 12 and summary.unscored == 12 and summary.stopped == ""


def test_the_breaker_in_threads_leaves_the_rest_unasked(rubric):
    failing = LabelEchoGrader(fail_ids=[f"a{i}" for i in range(60)])
    summary = grade_many(failing, rubric, jobs(60), Recorded(), threads=3)
    assert summary.graded == len(failing.calls) < 60
    assert f"{60 - len(failing.calls)} answers were not asked" in summary.stopped


@pytest.mark.parametrize("threads", [1, 4])
def test_a_failing_sink_raises_and_keeps_what_it_recorded(rubric, threads):
    grader, recorded = LabelEchoGrader(), []

    def sink(job, grade, cached):
        if len(recorded) == 2 and not any(failed for _, failed in recorded):
            recorded.append((job.answer_id, True))
            raise OSError(28, "No space left on device")
        recorded.append((job.answer_id, False))

    with pytest.raises(OSError, match="No space left"):
        grade_many(grader, rubric, jobs(40), sink, threads=threads)
    kept = [answer_id for answer_id, failed in recorded if not failed]
    # every grade made but the one whose recording failed reached the sink; no more were asked
    assert len(kept) >= 2 and len(kept) == len(grader.calls) - 1 < 39
    assert sorted(kept + [answer_id for answer_id, failed in recorded if failed]) == sorted(grader.calls)
