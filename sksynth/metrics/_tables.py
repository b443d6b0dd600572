"""Turning a pair of tables into aligned columns for the metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..preprocessing._columns import (
    as_frame,
    column_labels,
    is_datetime,
    is_discrete_by_default,
    utc_naive,
)


def align(real, synthetic, discrete_columns="auto", *, names=("real", "synthetic")):
    """DataFrames with the same columns, and the list of discrete ones.

    ``synthetic``'s columns are put in ``real``'s order; datetime columns are
    read as naive UTC times in both, so that tables in different time zones
    compare. Raises a ``ValueError`` naming the tables (``names``) and the
    columns when their columns differ.
    """
    real, _ = as_frame(real)
    synthetic, _ = as_frame(synthetic)
    for name, table in zip(names, (real, synthetic), strict=True):
        if table.columns.has_duplicates:
            repeated = list(table.columns[table.columns.duplicated()].unique())
            raise ValueError(f"{name} repeats the column labels {repeated}; they must be unique.")
    if list(real.columns) != list(synthetic.columns):
        missing = [c for c in real.columns if c not in synthetic.columns]
        extra = [c for c in synthetic.columns if c not in real.columns]
        if missing or extra:
            raise ValueError(
                f"{names[0]} and {names[1]} must have the same columns; {names[1]} lacks "
                f"{missing} and has {extra} besides (columns of {names[0]}: "
                f"{list(real.columns)})."
            )
        synthetic = synthetic[list(real.columns)]
    if len(real) == 0 or len(synthetic) == 0:
        raise ValueError(f"{names[0]} and {names[1]} must each have at least one row.")
    if isinstance(discrete_columns, str) and discrete_columns == "auto":
        discrete = [c for c in real.columns if is_discrete_by_default(real[c].dtype)]
    else:  # labels, or positions as the estimators take them
        columns = list(real.columns)
        discrete, unknown = column_labels(discrete_columns, columns)
        if unknown:
            raise ValueError(
                f"discrete_columns names columns not in the tables: {unknown}; the columns "
                f"are {columns[:20]}{'...' if len(columns) > 20 else ''}."
            )
    zoned = [
        c
        for c in real.columns
        if is_datetime(real[c].dtype) and is_datetime(synthetic[c].dtype) and c not in discrete
    ]
    if zoned:
        real, synthetic = real.copy(deep=False), synthetic.copy(deep=False)
        for c in zoned:
            real[c], synthetic[c] = utc_naive(real[c]), utc_naive(synthetic[c])
    return real, synthetic, discrete


def as_labels(real: pd.Series, synthetic: pd.Series) -> tuple[np.ndarray, np.ndarray, int]:
    """Integer codes over the union of both columns' values; missing is a value of its own."""
    both = pd.concat([real.astype(object), synthetic.astype(object)], ignore_index=True)
    codes, uniques = pd.factorize(both, use_na_sentinel=False)
    return codes[: len(real)], codes[len(real) :], max(len(uniques), 1)


def as_numbers(series: pd.Series) -> np.ndarray:
    """Float64 values of a continuous column, NaN for missing; datetimes in seconds
    since 1970 (UTC), so that tables stored in different units or steps compare."""
    if is_datetime(series.dtype):
        raw = utc_naive(series).to_numpy()
        unit_seconds = np.timedelta64(1, np.datetime_data(raw.dtype)[0]) / np.timedelta64(1, "s")
        values = raw.view("int64").astype(np.float64) * unit_seconds
        values[np.isnat(raw)] = np.nan
        return values
    try:
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"Column {series.name!r} is continuous, but holds values that are not numbers "
            f"(dtype {series.dtype}: {exc}). List it in discrete_columns, or give both "
            "tables the same dtype."
        ) from exc


def binned(real: np.ndarray, synthetic: np.ndarray, bins: int = 10):
    """Quantile bins of the real values applied to both; missing is its own bin."""
    observed = real[~np.isnan(real)]
    edges = (
        np.unique(np.quantile(observed, np.linspace(0, 1, bins + 1)[1:-1])) if observed.size else []
    )

    def code(values):
        out = np.searchsorted(edges, values, side="right")
        out[np.isnan(values)] = len(edges) + 1
        return out

    return code(real), code(synthetic), len(edges) + 2
