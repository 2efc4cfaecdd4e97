"""Grading strategies: turn (question, answer) into an `AnswerGrade`.

`StructuredGrader` is one call per answer that returns, for every point, a verdict, the evidence
quoted from the answer and a one-line reason, as JSON constrained by a per-question schema.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from typing import Any, Callable, Literal, Mapping, NamedTuple, Protocol, Sequence

from pydantic import BaseModel, ConfigDict, Field, create_model

from . import prompts
from .calibration import Calibration, Thresholds, resolve_calibration
from .combiner import PointInput
from .evidence import check_evidence, closest_sentence
from .examples import MAX_EXAMPLE_CHARS, ReviewedExample, examples_id, nearest, verdict_reply
from .injection import injection_suspected, strip_injections
from . import redact as redaction
from ..errors import InputError, ModelCallError, ModelOutputError
from ..model.client import CallInfo, ModelClient, parse_completion
from .results import VERDICTS, AnswerGrade, Flag, PointGrade, Usage, Verdict
from .routing import DEFAULT_POLICY, flag_answer_form, route, rubric_texts
from ..rubric.model import Question, Rubric
from .scoring import question_score
from .anchors import AnchorCache

# Longer answers are cut to this many characters (and flagged) so that one answer cannot push the
# rubric out of a small model's context.
MAX_ANSWER_CHARS = 3000


class GraderIdentity(NamedTuple):
    """Everything besides the answer and the question that a grade depends on: it feeds every
    cache key and is stamped on each grade (model, prompt_hash, calibration_id, routing)."""

    model: str
    prompt: str  # the template's hash, and what else the prompt carries (few-shot examples)
    calibration: str | None  # the calibration that cuts the verdicts (None: none does)
    routing: str  # the needs_review policy


class BatchGrader(Protocol):
    """A grader whose `capabilities.batch_api` is true: each answer is one whole completion, so its
    requests can be uploaded to a provider's Batch API and its grades made from what comes back."""

    client: ModelClient
    capabilities: "Capabilities"

    def prepare(self, answer: str) -> "PreparedAnswer": ...

    def empty_grade(self, question: Question, answer_id: str | None) -> AnswerGrade: ...

    def batch_request(self, question: Question, text: str) -> dict[str, Any]: ...

    def grade_completion(self, question: Question, answer: str, completion: Any, info: CallInfo, answer_id: str | None = None, failure: str | None = None) -> AnswerGrade: ...


class Grader(Protocol):
    strategy: str

    def grade(self, question: Question, answer: str, answer_id: str | None = None) -> AnswerGrade: ...

    def identity(self, question: Question) -> GraderIdentity: ...


class PointJudgement(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Evidence before verdict: the model commits to a quote first, then judges it.
    evidence: str = Field(max_length=400, description="verbatim quote from the answer, or empty")
    reason: str = Field(max_length=200)
    verdict: Literal[VERDICTS]  # the names inline in the schema (an enum would move them to $defs)


def response_schema(question: Question) -> type[BaseModel]:
    """A schema with one required property per point, so a constrained decoder cannot skip one."""
    return _response_schema(tuple(p.id for p in question.points))


@functools.lru_cache(maxsize=1024)
def _response_schema(point_ids: tuple[str, ...]) -> type[BaseModel]:
    # Cached: building a pydantic model per answer was a third of a batch's CPU per request.
    fields = {point_id: (PointJudgement, ...) for point_id in point_ids}
    return create_model("AnswerGrading", __config__=ConfigDict(extra="forbid"), **fields)


class PreparedAnswer(NamedTuple):
    text: str  # what the model sees
    flags: list[Flag]
    removed: list[str]  # what was removed as text addressed to the grader
    as_written: str  # the answer had nothing been removed (NULs dropped, cut to MAX_ANSWER_CHARS)


def prepared(answer: str, redact: bool = False) -> PreparedAnswer:
    """The text the model sees, and flags: NULs dropped, personal data masked (`redact`, first, so
    that no text the model is sent, the answer as written included, carries it), cut to
    MAX_ANSWER_CHARS, and sentences addressed to the grader removed (the answer is flagged; nothing
    of the answer is lost, since an instruction to the grader answers no interview question). The
    detector runs once, here."""
    flags: list[Flag] = []
    written = text = answer.replace("\x00", "").strip()
    if redact:
        written = text = redaction.redact(text)
    removed: list[str] = []
    if injection_suspected(text):
        flags.append(Flag.injection_suspected)
        cleaned, removed = strip_injections(text)
        text = cleaned or text
    if len(text) > MAX_ANSWER_CHARS:
        text = text[:MAX_ANSWER_CHARS]
        flags.append(Flag.truncated)
    return PreparedAnswer(text, flags, removed, written[:MAX_ANSWER_CHARS])


def prepare_answer(answer: str, redact: bool = False) -> tuple[str, list[Flag]]:
    """The text the model sees, and its flags (see `prepared`)."""
    return prepared(answer, redact)[:2]


def finish(question: Question, points: list[PointGrade], text: str = "", thresholds: Thresholds | None = None, **fields) -> AnswerGrade:
    """The scored grade: its score, its confidence, and whether it needs a person (`routing`)."""
    verdicts = {p.id: p.verdict for p in points}
    weights = {p.id: p.weight for p in question.points}
    grade = AnswerGrade(
        question_id=question.id,
        status="scored",
        score=question_score(verdicts, weights),
        max_score=question.max_score,
        points=points,
        **fields,
    )
    confidence = grade.point_confidence()
    if confidence is not None:
        grade.confidence = round(confidence, 4)
    return route(flag_answer_form(grade, text, question), thresholds)


def attempted(info: CallInfo) -> Usage:
    """What a grade records as its usage: the tokens the endpoint reported, and every call
    attempted, where the endpoint's count (replies that carry `usage`) is lower: a retried
    failure, or a reply without a usage count, was a call too."""
    return info.usage.model_copy(update={"calls": max(info.usage.calls, info.attempts)})


@dataclass(frozen=True)
class Capabilities:
    """What a strategy needs of an endpoint and what it can do: callers ask this, never the name."""

    logprobs: bool = False  # reads the first token's log-probabilities (the endpoint must return top_logprobs)
    json_schema: bool = False  # asks for one JSON object by schema (json_schema, else json_object)
    batch_api: bool = False  # each answer is one whole completion, so a provider's Batch API can run it
    few_shot: bool = False  # takes reviewed answers as in-context examples (--examples)
    anchors: bool = False  # reads point anchors, which can be kept across processes (AnchorCache)


# Every strategy the commands know, by name: `register_strategy` adds one (a class decorator), and
# --strategy, grade, batch, eval, check and serve all find it here.
STRATEGIES: dict[str, type["ModelGrader"]] = {}


def register_strategy(cls: type["ModelGrader"]) -> type["ModelGrader"]:
    if not cls.strategy or not cls.task:
        raise TypeError(f"{cls.__name__}: a strategy needs a `strategy` name and a prompt `task`")
    STRATEGIES[cls.strategy] = cls
    return cls


class ModelGrader:
    """What every model-backed strategy shares: answer preparation, the empty-answer shortcut,
    and turning a model's failure after retries into an unscored result (never a zero).
    `redact`: mask personal data in every answer before any of it is sent (`--redact`): here, in
    the one path every command grades through, so that no command can forget it."""

    strategy = ""  # the name --strategy takes
    task = ""  # the prompt template it renders (prompts/TASK.LANG.j2)
    capabilities = Capabilities()

    def __init__(self, client: ModelClient, rubric: Rubric, redact: bool = False):
        self.client = client
        self.rubric = rubric
        self.redact = redact
        self.language = rubric.language
        self.prompt_hash = prompts.template_hash(prompts.template_name(self.task, self.language))

    def grade(self, question: Question, answer: str, answer_id: str | None = None) -> AnswerGrade:
        started = time.monotonic()
        text, flags, removed, written = self.prepare(answer)
        if not text:
            return self.empty_grade(question, answer_id)
        info = CallInfo()  # filled in as calls are made, so a failure still reports what it cost
        grade = self.assemble(question, answer_id, flags, text, info, lambda: self._grade_points(question, text, info), started)
        if removed and written != text and grade.status == "scored":
            # The detector can be wrong about an honest answer's words: grade the answer as written
            # too, so that a person sees what was removed and what it would have scored.
            unstripped = self.assemble(question, answer_id, flags, written, info, lambda: self._grade_points(question, written, info))
            grade = grade.model_copy(
                update={
                    "removed_text": removed,
                    "score_without_removal": unstripped.score if unstripped.status == "scored" else None,
                    "usage": attempted(info),
                    "seconds": round(time.monotonic() - started, 3),
                }
            )
        return grade

    def prepare(self, answer: str) -> PreparedAnswer:
        """What of `answer` the model is sent (see `prepared`), masked where this grader redacts."""
        return prepared(answer, self.redact)

    def assemble(self, question: Question, answer_id: str | None, flags: list[Flag], text: str, info: CallInfo, points: Callable[[], list[PointGrade]], started: float | None = None) -> AnswerGrade:
        """The grade from the points `points()` returns: scored, or unscored where the model failed
        (after retries); a bug propagates. `started`: when grading began (None: not timed)."""
        def seconds() -> float:
            return 0.0 if started is None else time.monotonic() - started

        try:
            graded = points()
        except ModelCallError as exc:
            return self.unscored_grade(question, answer_id, flags, exc, info, seconds())
        return self.scored_grade(question, answer_id, flags, graded, info, seconds(), text)

    def _common(self, question: Question, answer_id: str | None) -> dict:
        return dict(
            answer_id=answer_id,
            strategy=self.strategy,
            model=self.client.model,
            prompt_hash=self.prompt_identity(question),
            rubric_hash=question.content_hash,
            calibration_id=self.calibration_id(question),
        )

    def identity(self, question: Question) -> GraderIdentity:
        return GraderIdentity(self.client.model, self.prompt_identity(question), self.calibration_id(question), DEFAULT_POLICY.id)

    def prompt_identity(self, question: Question) -> str:
        """What names this question's prompt: the template's hash (and whatever else the prompt
        carries, such as few-shot examples)."""
        return self.prompt_hash

    def calibration_id(self, question: Question) -> str | None:
        """The id of the calibration that cuts this question's verdicts (None: none does)."""
        return None

    def empty_grade(self, question: Question, answer_id: str | None) -> AnswerGrade:
        points = [PointGrade(id=p.id, verdict=Verdict.missing, reason="empty answer", p_covered=0.0) for p in question.points]
        return finish(question, points, flags=[Flag.empty_answer], **self._common(question, answer_id))

    def unscored_grade(self, question: Question, answer_id: str | None, flags: list[Flag], exc: ModelCallError, info: CallInfo, seconds: float) -> AnswerGrade:
        return AnswerGrade(
            question_id=question.id,
            status="unscored",
            score=None,
            max_score=question.max_score,
            flags=flags,
            error=self.client.scrub(exc.describe()),
            usage=attempted(info),
            seconds=round(seconds, 3),
            **self._common(question, answer_id),
        )

    # The verdict cut points a grader's probabilities go through, where it has them (routing
    # flags points that sit at one).
    thresholds: Thresholds | None = None

    def scored_grade(self, question: Question, answer_id: str | None, flags: list[Flag], points: list[PointGrade], info: CallInfo, seconds: float, text: str = "") -> AnswerGrade:
        common = self._common(question, answer_id)
        if not self.client.settings.model and info.model:
            common["model"] = info.model  # the server's name for its default model
        return finish(
            question,
            points,
            text,
            self.thresholds,
            flags=flags,
            system_fingerprint=info.system_fingerprint,
            usage=attempted(info),
            seconds=round(seconds, 3),
            **common,
        )

    def _grade_points(self, question: Question, text: str, info: CallInfo) -> list[PointGrade]:
        raise NotImplementedError


@register_strategy
class StructuredGrader(ModelGrader):
    """One structured call grades all points of an answer; the evidence check keeps it honest."""

    strategy = "structured"
    task = "grade_answer"
    capabilities = Capabilities(json_schema=True, batch_api=True, few_shot=True)

    def __init__(self, client: ModelClient, rubric: Rubric, examples: Mapping[str, Sequence[ReviewedExample]] | None = None, redact: bool = False):
        super().__init__(client, rubric, redact)
        self.examples = examples or {}  # reviewed answers by question id: few-shot examples (grading/examples.py)

    def prompt_identity(self, question: Question) -> str:
        pool = self.examples.get(question.id)
        return f"{self.prompt_hash}+{examples_id(pool)}" if pool else self.prompt_hash

    def _render(self, question: Question, text: str) -> list[dict[str, str]]:
        return prompts.render(
            self.task, self.language, question=question, points=question.points, answer=text, fence=prompts.answer_fence(text)
        ).messages

    def messages(self, question: Question, text: str) -> list[dict[str, str]]:
        """The chat messages for one prepared answer (also what `--provider-batch` uploads): with
        examples, the nearest reviewed answers and their verdicts come first, as earlier turns."""
        system, user = self._render(question, text)
        shots = []
        for example in nearest(self.examples.get(question.id, ()), text):
            example_text = prepared(example.answer).text[:MAX_EXAMPLE_CHARS]
            shots += [self._render(question, example_text)[1], {"role": "assistant", "content": verdict_reply(question, example_text, example)}]
        return [system, *shots, user]

    def _grade_points(self, question: Question, text: str, info: CallInfo) -> list[PointGrade]:
        parsed, _ = self.client.complete_json(self.messages(question, text), response_schema(question), info=info)
        return self.points_from(question, text, parsed)

    def batch_request(self, question: Question, text: str) -> dict[str, Any]:
        """The chat-completions body for `text` (prepared), as a provider's Batch API takes it."""
        return self.client.structured_request(self.messages(question, text), response_schema(question))

    def grade_completion(self, question: Question, answer: str, completion: Any, info: CallInfo, answer_id: str | None = None, failure: str | None = None) -> AnswerGrade:
        """The grade from a completion obtained elsewhere (a Batch API's output line: its JSON
        body) for `messages(question, prepared answer)`; `failure`: why there is no completion.
        What was removed is kept; the answer as written is not graded again (one request per answer
        in a batch)."""
        text, flags, removed, _ = self.prepare(answer)

        def points() -> list[PointGrade]:
            if failure is not None:
                raise ModelOutputError(failure)
            return self.points_from(question, text, parse_completion(completion, response_schema(question)))

        grade = self.assemble(question, answer_id, flags, text, info, points)
        return grade.model_copy(update={"removed_text": removed}) if removed else grade

    @staticmethod
    def points_from(question: Question, text: str, parsed: BaseModel) -> list[PointGrade]:
        points = []
        for p in question.points:
            judgement: PointJudgement = getattr(parsed, p.id)
            graded = PointGrade(id=p.id, verdict=Verdict(judgement.verdict), evidence=judgement.evidence, reason=judgement.reason)
            points.append(check_evidence(graded, text))
        return points


@register_strategy
class YesNoGrader(ModelGrader):
    """One yes/no question per point; P(yes) from the first token's log-probabilities, cut into
    covered / partial / missing by thresholds fitted on hand-graded data.

    Small models know more than their argmax says: asked for a verdict they say "covered" to
    nearly everything, but the probability they put on "yes" ranks answers well.
    """

    strategy = "yesno"
    task = "point_check"
    capabilities = Capabilities(logprobs=True, anchors=True)
    YES = ("是", "yes", "对")
    NO = ("否", "no", "不", "不是")

    def __init__(
        self,
        client: ModelClient,
        rubric: Rubric,
        thresholds: Thresholds | None = None,
        anchor_cache: AnchorCache | None = None,
        redact: bool = False,
    ):
        super().__init__(client, rubric, redact)
        if thresholds is None:
            self.calibration = resolve_calibration(client.model, self.prompt_hash, rubric)
        else:
            self.calibration = Calibration(thresholds, fitted=True)
        self.thresholds = self.calibration.thresholds
        self.anchor_answer = prompts.block_text(self.task, self.language, "anchor_answer")
        # Anchors depend only on the rubric point (and model and prompt): asked once per point per
        # process, and, with an anchor cache, once per point on this machine.
        self._anchors: dict[tuple[str, str], float | None] = {}
        self.anchor_cache = anchor_cache

    def calibration_id(self, question: Question) -> str | None:
        return self.calibration.id_for(question.id)

    def _ask(self, question: Question, answer: str, point, info: CallInfo) -> float | None:
        rendered = prompts.render(self.task, self.language, question=question, answer=answer, fence=prompts.answer_fence(answer), point=point)
        p_yes, _ = self.client.yes_probability(rendered.messages, self.YES, self.NO, info=info)
        return p_yes

    def anchors(self, question: Question, info: CallInfo) -> dict[str, float | None]:
        """Each point's P(yes) when the answer is the template's content-free anchor answer (empty
        for a template without one). Measured even where the calibration does not read them, so
        that every run record can be calibrated with them."""
        if self.anchor_answer is None:
            if self.calibration.needs_anchor:
                # A calibration file fitted on another prompt, or edited by hand: the user can fix it.
                raise InputError(f"calibration {self.calibration.label} reads anchors, but prompt {self.prompt_hash} has no anchor_answer block: fit it again for this prompt, or remove its entry")
            return {}
        for point in question.points:
            key = (question.content_hash, point.id)
            if key in self._anchors:
                continue
            p = self.anchor_cache.get(self.prompt_hash, *key) if self.anchor_cache else None
            if p is None:
                p = self._ask(question, self.anchor_answer, point, info)
                if p is not None and self.anchor_cache:
                    self.anchor_cache.put(self.prompt_hash, *key, p)
            self._anchors[key] = p
        return {point.id: self._anchors[(question.content_hash, point.id)] for point in question.points}

    def _grade_points(self, question: Question, text: str, info: CallInfo) -> list[PointGrade]:
        # Before the answer's own calls, so that those share the answer prefix in the prompt cache.
        anchors = self.anchors(question, info)
        asked = [PointInput(point.text, self._ask(question, text, point, info), anchors.get(point.id)) for point in question.points]
        # All points first: a point's combined probability reads what the model said of the others.
        combined = self.calibration.probabilities(text, asked, rubric_texts(question))
        points = []
        for point, (_, p_yes, p_anchor), p_covered in zip(question.points, asked, combined):
            verdict = self.calibration.thresholds_for(question.id, point.id).verdict(p_covered)
            if p_yes is None:
                reason = "no yes/no token among the top log-probabilities"
            else:
                reason = f"P(yes)={p_yes:.2f}" + (f" (content-free answer: {p_anchor:.2f})" if p_anchor is not None else "")
            points.append(
                PointGrade(
                    id=point.id,
                    verdict=verdict,
                    # The verdict comes from a probability, so evidence is the answer's closest sentence.
                    evidence=closest_sentence(text, point.text, [o.text for o in question.points if o is not point]) if verdict is not Verdict.missing else "",
                    reason=reason,
                    p_covered=p_covered,
                    p_model=p_yes,
                    p_anchor=p_anchor,
                )
            )
        return points
