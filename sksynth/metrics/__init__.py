"""Metrics that say how good a synthetic table is."""

from ._fidelity import column_pair_trends, column_shapes, quality_score

__all__ = ["column_pair_trends", "column_shapes", "quality_score"]
