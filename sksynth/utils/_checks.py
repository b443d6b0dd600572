"""Checks of plain parameters shared by the estimators and the metrics."""

from __future__ import annotations

from numbers import Integral


def check_count(value, name: str) -> int:
    """``value`` as an int of at least 1, or a ``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be an int >= 1; got {value!r}.")
    return int(value)
