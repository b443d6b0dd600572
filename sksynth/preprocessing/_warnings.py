"""Warnings at fit about columns a user may not want modelled as they are."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pandas as pd

from ._columns import FLOAT64_EXACT, NUMBER_KINDS, NumericInfo
from ._discrete import DiscreteEncoder

#: An object column of numbers with more distinct values than this warns under "auto",
#: and so does a discrete column of more distinct values than half its rows.
_MANY_NUMBERS = 50


def user_stacklevel() -> int:
    """``stacklevel`` for a warning raised by the caller of this function that points at
    the first frame outside sksynth, scikit-learn and torch (whose grad-mode decorators
    wrap ``fit``): the user's call of ``fit``."""
    frame, level = sys._getframe(2), 2  # level 2: the frame that called the warner
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.partition(".")[0] not in ("sksynth", "sklearn", "torch"):
            return level
        frame, level = frame.f_back, level + 1
    return 1


def holds_numbers(series: pd.Series) -> bool:
    """Whether an object column holds numbers (ints, floats or both)."""
    return pd.api.types.infer_dtype(series, skipna=True) in NUMBER_KINDS


def warn_numbers_as_categories(frame: pd.DataFrame, discrete: list) -> None:
    """Warn about object columns of many distinct numbers that "auto" makes discrete
    (``df.to_numpy()`` of a mixed table makes every column object): as categories,
    their values are only ever copies of the real ones."""
    for c in discrete:
        series = frame[c]
        if series.dtype != object or not holds_numbers(series):
            continue  # (unhashable values are refused later, with a clear error)
        distinct = series.nunique()
        if distinct > _MANY_NUMBERS:
            warnings.warn(
                f"Column {c!r} is an object column of {distinct} distinct numbers: "
                "discrete_columns='auto' models it as categories, so its synthetic values "
                "are copies of real ones. Give it a numeric dtype (X.astype({column: float}), "
                "say) to model it as a number; an object array makes every column object, so "
                "pass such a table as a DataFrame with its dtypes.",
                UserWarning,
                stacklevel=user_stacklevel(),
            )


def warn_identifier(
    encoder: DiscreteEncoder, series: pd.Series, name, target: bool = False
) -> None:
    """Warn about a discrete column of mostly distinct values (an identifier): its
    one-hot block is as wide as the table, and every synthetic value copies a real one.
    ``target``: the column is a synthesizer's ``y`` (read as class labels)."""
    distinct, present = len(encoder.categories_), int(series.notna().sum())
    if distinct <= _MANY_NUMBERS or distinct <= present / 2:
        return
    if series.dtype == object and holds_numbers(series):  # warned about already
        return
    if target:  # no column the user can drop: y of whole numbers, read as classes
        warnings.warn(
            f"y has {distinct} distinct values in {present} rows, read as class labels "
            "(scikit-learn's rule: whole numbers and text are classes), so every synthetic "
            "label copies a real one. To model it as a number, fit it as a column of X.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
        return
    warnings.warn(
        f"Column {name!r} is discrete with {distinct} distinct values in {present} rows, "
        "like an identifier: every synthetic value will be a copy of a real one (a "
        "privacy risk) and its one-hot block is as wide. Drop identifier columns "
        "before fitting.",
        UserWarning,
        stacklevel=user_stacklevel(),
    )


def warn_inexact(values: np.ndarray, info: NumericInfo, name) -> None:
    """Warn when an int or datetime column spans more steps than float64 counts exactly."""
    if info.kind == "float":
        return
    span = np.nanmax(values) - np.nanmin(values)
    if span >= FLOAT64_EXACT:
        unit = f"{info.step} {info.unit}" if info.kind in ("datetime", "timedelta") else "1"
        warnings.warn(
            f"Column {name!r} spans {span:.3g} steps of {unit}, more than the 2**53 that "
            "float64 counts exactly: its values will come back approximately (within a "
            "millionth of the span), not exactly.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
