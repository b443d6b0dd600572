"""Reversible encoding of mixed-type tables for the networks."""

from ._spans import Span
from ._transformer import TableTransformer

__all__ = ["Span", "TableTransformer"]
