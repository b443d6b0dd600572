"""Metrics that say how good, useful and safe a synthetic table is.

Fidelity (:func:`column_shapes`, :func:`column_pair_trends`,
:func:`quality_score`), detection (:func:`detection_score`), utility
(:func:`tstr_score`), privacy (:func:`distance_to_closest_record`,
:func:`exact_copy_rate`, :func:`nearest_neighbor_distance_ratio`,
:func:`privacy_score`), the report (:func:`evaluate`) and scorers for
``GridSearchCV`` (``<score>_scorer``).
"""

from ._detection import detection_score
from ._fidelity import column_pair_trends, column_shapes, quality_score
from ._privacy import (
    distance_to_closest_record,
    exact_copy_rate,
    nearest_neighbor_distance_ratio,
    privacy_score,
)
from ._report import EvaluationReport, evaluate
from ._scorers import (
    SynthesizerScorer,
    column_pair_trends_scorer,
    column_shapes_scorer,
    detection_scorer,
    quality_scorer,
    tstr_scorer,
)
from ._utility import tstr_score

__all__ = [
    "EvaluationReport",
    "SynthesizerScorer",
    "column_pair_trends",
    "column_pair_trends_scorer",
    "column_shapes",
    "column_shapes_scorer",
    "detection_score",
    "detection_scorer",
    "distance_to_closest_record",
    "evaluate",
    "exact_copy_rate",
    "nearest_neighbor_distance_ratio",
    "privacy_score",
    "quality_score",
    "quality_scorer",
    "tstr_score",
    "tstr_scorer",
]
