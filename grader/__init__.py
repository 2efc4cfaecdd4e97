"""grader: LLM-assisted grading of written interview answers against rubrics."""

from .grading.strategies import Grader, StructuredGrader, YesNoGrader
from .model.client import ModelClient, ModelSettings
from .grading.results import AnswerGrade, Flag, PointGrade, Usage, Verdict
from .rubric.model import Point, Question, Rubric, RubricError, Section, load_rubric
from .grading.scoring import question_score, sum_scores

__version__ = "0.1.0"

__all__ = [
    "AnswerGrade",
    "Flag",
    "Grader",
    "ModelClient",
    "ModelSettings",
    "Point",
    "PointGrade",
    "Question",
    "Rubric",
    "RubricError",
    "Section",
    "StructuredGrader",
    "YesNoGrader",
    "Usage",
    "Verdict",
    "load_rubric",
    "question_score",
    "sum_scores",
]
