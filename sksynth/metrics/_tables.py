"""Turning a pair of tables into aligned columns for the metrics."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from pandas.api import types as ptypes
from scipy import sparse

from ..preprocessing._columns import (
    as_frame,
    column_labels,
    is_datetime,
    is_discrete_by_default,
    is_timedelta,
    numpy_timedeltas,
    time_zone,
    utc_naive,
)


def align(real, synthetic, discrete_columns="auto", *, names=("real", "synthetic")):
    """DataFrames with the same columns, and the list of discrete ones.

    ``synthetic``'s columns are put in ``real``'s order; datetime columns are
    read as naive UTC times in both, so that tables in different time zones
    compare. Raises a ``ValueError`` naming the tables (``names``) and the
    columns when their columns differ.
    """
    real, synthetic = (_table(t, name) for t, name in zip((real, synthetic), names, strict=True))
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
    if real.shape[1] == 0:
        raise ValueError(f"{names[0]} and {names[1]} have no columns; there is nothing to score.")
    if isinstance(discrete_columns, str) and discrete_columns == "auto":
        discrete = [c for c in real.columns if is_discrete_by_default(real[c].dtype)]
    elif isinstance(discrete_columns, (str, bytes)) or not isinstance(discrete_columns, Iterable):
        raise ValueError(
            "discrete_columns must be 'auto' or a list of column labels or positions; got "
            f"{discrete_columns!r}."
        )
    else:  # labels, or positions as the estimators take them
        columns = list(real.columns)
        discrete, unknown = column_labels(discrete_columns, columns)
        if unknown:
            raise ValueError(
                f"discrete_columns names columns not in the tables: {unknown}; the columns "
                f"are {columns[:20]}{'...' if len(columns) > 20 else ''}."
            )
    for name, table in zip(names, (real, synthetic), strict=True):
        _check_finite(table, [c for c in table.columns if c not in discrete], name)
    _check_kinds(real, synthetic, discrete, names)
    zoned = [
        c
        for c in real.columns
        if is_datetime(real[c].dtype) and is_datetime(synthetic[c].dtype) and c not in discrete
    ]
    coarser = _coarser_floats(real, synthetic, discrete)
    if zoned or coarser:
        real, synthetic = real.copy(deep=False), synthetic.copy(deep=False)
        for c in zoned:
            real[c], synthetic[c] = utc_naive(real[c]), utc_naive(synthetic[c])
        for c, (which, dtype) in coarser.items():
            table = real if which == 0 else synthetic
            values = table[c].to_numpy(dtype=np.float64, na_value=np.nan).astype(dtype)
            table[c] = pd.Series(values, index=table.index)
    return real, synthetic, discrete


def _float_bits(dtype) -> int | None:
    """Bits of a float column's dtype (numpy or nullable), None for other dtypes."""
    if not ptypes.is_float_dtype(dtype):
        return None
    return np.dtype(getattr(dtype, "numpy_dtype", dtype)).itemsize * 8


def _coarser_floats(real: pd.DataFrame, synthetic: pd.DataFrame, discrete: list) -> dict:
    """Continuous columns stored at two float precisions: ``{column: (table, dtype)}``,
    the table (0 real, 1 synthetic) whose values are rounded to the other's dtype, so
    that the same numbers compare equal (float32 0.1 is 0.10000000149 in float64)."""
    coarser = {}
    for c in real.columns:
        if c in discrete:
            continue
        bits = _float_bits(real[c].dtype), _float_bits(synthetic[c].dtype)
        if None not in bits and bits[0] != bits[1]:
            coarser[c] = (int(bits[1] > bits[0]), np.dtype(f"float{min(bits)}"))
    return coarser


def _table(X, name: str) -> pd.DataFrame:
    """``X`` as a DataFrame, or a ``ValueError`` naming ``name`` when it is no table."""
    if not isinstance(X, pd.DataFrame) and (
        X is None or sparse.issparse(X) or isinstance(X, pd.Series) or np.ndim(X) != 2
    ):
        what = "a sparse matrix" if sparse.issparse(X) else f"{type(X).__name__}"
        if not sparse.issparse(X) and X is not None:
            what += f" of shape {np.shape(X)}"
        raise ValueError(f"{name} must be a table (a DataFrame or a 2-D array); got {what}.")
    return as_frame(X)[0]


def _check_finite(table: pd.DataFrame, columns: list, name: str) -> None:
    """A ``ValueError`` naming the first of ``columns`` (continuous) holding infinity."""
    for c in columns:
        column = table[c]
        if ptypes.is_float_dtype(column.dtype) or column.dtype == object:
            values = pd.to_numeric(column, errors="coerce").to_numpy(
                dtype=np.float64, na_value=np.nan
            )
            if np.isinf(values).any():
                raise ValueError(
                    f"Column {c!r} of {name} holds infinity; the metrics take finite numbers "
                    "(missing values are fine)."
                )


#: what the values of a discrete column are, from ``pd.api.types.infer_dtype``: the
#: values of two columns of different kinds never compare equal (``"1"`` and ``1``, a
#: date as text and as a datetime); bools and numbers do (``True == 1``)
_KINDS = {
    "string": "text",
    "integer": "numbers",
    "floating": "numbers",
    "mixed-integer-float": "numbers",
    "decimal": "numbers",
    "boolean": "numbers",
    "datetime64": "datetimes",
    "datetime": "datetimes",
    "date": "dates (no time of day)",
    "timedelta64": "durations",
    "timedelta": "durations",
}


def _kind(column: pd.Series) -> str | None:
    """The kind of ``column``'s values (see ``_KINDS``; datetimes with a time zone
    are a kind of their own); None: other kinds, or no value at all."""
    if not column.notna().any():  # all missing: nothing to tell apart
        return None
    dtype = column.dtype
    if is_datetime(dtype) and time_zone(dtype) is not None:
        return "datetimes with a time zone"
    values = dtype.categories if isinstance(dtype, pd.CategoricalDtype) else column
    return _KINDS.get(ptypes.infer_dtype(values, skipna=True))


def _number_kind(column: pd.Series) -> str | None:
    """What a continuous column's values count: datetimes, durations or numbers (None:
    no value at all, which compares with any)."""
    if not column.notna().any():
        return None
    if is_datetime(column.dtype):
        return "datetimes"
    if is_timedelta(column.dtype):
        return "durations"
    if column.dtype != object:  # a numeric dtype: no need to read every value
        return "numbers"
    kind = _kind(column)
    return kind if kind in ("datetimes", "durations") else "numbers"


def _holds_text(column: pd.Series) -> bool:
    """Whether ``column`` holds text: a text dtype, or any str among objects."""
    if _kind(column) == "text":
        return True
    if column.dtype != object:
        return False
    return any(isinstance(value, str) for value in column.to_numpy())


def _check_kinds(real: pd.DataFrame, synthetic: pd.DataFrame, discrete: list, names) -> None:
    """A ``ValueError`` naming the first discrete column whose values are of another
    kind in each table: none of them would match, and the column would score 0; or the
    first continuous column holding text (some metrics read ``"3"`` as 3, others not)."""
    for c in real.columns:
        if c in discrete:
            continue
        for name, table in zip(names, (real, synthetic), strict=True):
            if _holds_text(table[c]):
                raise ValueError(
                    f"Column {c!r} is continuous, but holds text in {name} (dtype "
                    f"{table[c].dtype}). Give it a numeric dtype, or list it in "
                    "discrete_columns."
                )
        _same_kinds(c, _number_kind, (real, synthetic), names, "continuous", "do not compare")
    for c in discrete:
        _same_kinds(c, _kind, (real, synthetic), names, "discrete", "never match")


def _same_kinds(c, kind_of, tables, names, role: str, otherwise: str) -> None:
    """A ``ValueError`` when column ``c`` holds values of two kinds (``kind_of``) in
    the two ``tables``; a table without any value in it compares with any."""
    kinds = [kind_of(table[c]) for table in tables]
    if None not in kinds and kinds[0] != kinds[1]:
        dtypes = [table[c].dtype for table in tables]
        raise ValueError(
            f"Column {c!r} is {role}, but holds {kinds[0]} in {names[0]} (dtype {dtypes[0]}) "
            f"and {kinds[1]} in {names[1]} (dtype {dtypes[1]}), whose values {otherwise}. "
            "Give both tables the same dtype."
        )


def missing_as_nan(series: pd.Series) -> np.ndarray:
    """A discrete column's values as objects, every missing marker (None, NaN, pd.NA,
    NaT) as one NaN."""
    values = series.to_numpy(dtype=object, copy=True)
    values[pd.isna(values)] = np.nan
    return values


def value_shares(series: pd.Series) -> pd.Series:
    """Each value's share of a discrete column, every missing marker one value (NaN),
    most frequent first; the index is named as the column."""
    values = pd.Series(missing_as_nan(series), name=series.name)
    return values.value_counts(normalize=True, dropna=False)


def as_labels(real: pd.Series, synthetic: pd.Series) -> tuple[np.ndarray, np.ndarray, int]:
    """Integer codes over the union of both columns' values; missing is a value of its own."""
    both = pd.concat([real.astype(object), synthetic.astype(object)], ignore_index=True)
    codes, uniques = pd.factorize(both, use_na_sentinel=False)
    return codes[: len(real)], codes[len(real) :], max(len(uniques), 1)


def as_numbers(series: pd.Series) -> np.ndarray:
    """Float64 values of a continuous column, NaN for missing; datetimes in seconds
    since 1970 (UTC) and durations in seconds, so that tables stored in different
    units or steps compare."""
    if is_timedelta(series.dtype):
        raw = numpy_timedeltas(series).to_numpy()
        values = raw / np.timedelta64(1, "s")
        values[np.isnat(raw)] = np.nan
        return values
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
