"""grader: LLM-assisted grading of written interview answers against rubrics.

The public surface, by stage of the pipeline (rubric -> prompt -> model -> verdicts -> score ->
report); everything else is reached through its subpackage (see docs/architecture.md):

    rubric      Rubric, Section, Question, Point, load_rubric
    model       ModelSettings, ModelClient, open_client
    grading     ModelOptions, open_session, make_grader, Grader, ModelGrader, Capabilities,
                register_strategy, StructuredGrader, YesNoGrader, RoutingPolicy
    results     AnswerGrade, PointGrade, Verdict, Flag, BatchFlag, Usage
    score       question_score, sum_scores
    evaluation  Sample, load_samples, compute_metrics, Metrics, RunRecord, load_run
    errors      GraderError, InputError, RubricError, ModelCallError
"""

from .errors import GraderError, InputError, ModelCallError, RubricError
from .evaluation.metrics import Metrics, compute_metrics
from .evaluation.runs import RunRecord, load_run
from .grading.samples import Sample, load_samples
from .grading.results import AnswerGrade, BatchFlag, Flag, PointGrade, Usage, Verdict
from .grading.routing import RoutingPolicy
from .grading.scoring import question_score, sum_scores
from .grading.strategies import Capabilities, Grader, ModelGrader, StructuredGrader, YesNoGrader, register_strategy
from .model.client import ModelClient, ModelSettings
from .grading.session import ModelOptions, make_grader, open_client, open_session
from .rubric.model import Point, Question, Rubric, Section, load_rubric

__version__ = "0.1.0"

__all__ = [
    "AnswerGrade",
    "Capabilities",
    "BatchFlag",
    "Flag",
    "Grader",
    "GraderError",
    "InputError",
    "Metrics",
    "ModelCallError",
    "ModelClient",
    "ModelGrader",
    "ModelOptions",
    "ModelSettings",
    "Point",
    "PointGrade",
    "Question",
    "RoutingPolicy",
    "Rubric",
    "RubricError",
    "RunRecord",
    "Sample",
    "Section",
    "StructuredGrader",
    "Usage",
    "Verdict",
    "YesNoGrader",
    "compute_metrics",
    "load_rubric",
    "load_run",
    "load_samples",
    "make_grader",
    "open_client",
    "open_session",
    "question_score",
    "register_strategy",
    "sum_scores",
]
