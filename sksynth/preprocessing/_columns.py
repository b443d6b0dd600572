"""Column-level conversions: containers, dtype inference, numbers in and out.

Everything here is numpy/pandas only. The transformer records what came in
(:class:`Container`) and restores it in one place on the way out.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

# Object columns whose values are of these kinds are accepted as discrete.
_ACCEPTED_OBJECT_KINDS = {
    "string",
    "boolean",
    "integer",
    "floating",
    "mixed-integer-float",
    "categorical",
    "empty",
    "datetime",
    "date",
    "decimal",
    "bytes",
}
# Integers of at least this magnitude lose precision as float64: such a column is
# counted from an origin (its minimum) instead of from zero.
FLOAT64_EXACT = 2**53
_SIGN_BIT = np.uint64(2**63)
_BELOW_2_64 = float(np.nextafter(2.0**64, 0))  # the largest float64 that fits a uint64
#: numpy's type of the columns counted in steps of a unit, by ``NumericInfo.kind``
_NUMPY_TYPE = {"datetime": "datetime64", "timedelta": "timedelta64"}
#: A day in nanoseconds
DAY_NS = 86_400 * 10**9
# Datetime (and duration) steps, coarsest first, in nanoseconds.
_DATETIME_STEPS_NS = (DAY_NS, 3_600 * 10**9, 60 * 10**9, 10**9, 10**6, 10**3, 1)
_NS_PER_UNIT = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}


@dataclass
class Container:
    """What the user passed: a DataFrame or an ndarray, with its columns and dtypes."""

    is_frame: bool
    columns: list[Any]
    dtypes: list[Any]
    array_dtype: Any = None
    column_names: tuple | None = None  # the names of the columns' index (its levels')
    # the dtype of a flat columns' index, which rebuilding it from the labels may not
    # infer (pandas 3 reads strings as "str" where the input's index was object, a
    # CategoricalIndex; tuples as a MultiIndex; in files, datetimes in another unit
    # or time zone); None: a MultiIndex (and models from before it was recorded)
    columns_dtype: Any = None

    def restore(self, frame: pd.DataFrame) -> pd.DataFrame | np.ndarray:
        """Give ``frame`` (columns already in the recorded dtypes) the input's container."""
        if self.is_frame:
            if self.columns_dtype is None:
                frame.columns = pd.Index(self.columns)
            else:
                frame.columns = pd.Index(
                    self.columns, dtype=self.columns_dtype, tupleize_cols=False
                )
            if self.column_names is not None:
                frame.columns.names = list(self.column_names)
            return frame
        return frame.to_numpy(dtype=self.array_dtype)


def as_frame(X: pd.DataFrame | np.ndarray) -> tuple[pd.DataFrame, Container]:
    """View ``X`` as a DataFrame with a fresh RangeIndex, and record its container."""
    if isinstance(X, pd.DataFrame):
        frame = X.reset_index(drop=True)
        names = tuple(X.columns.names)
        named = any(name is not None for name in names)
        container = Container(True, list(X.columns), list(X.dtypes), None, names if named else None)
        if not isinstance(X.columns, pd.MultiIndex):
            container.columns_dtype = X.columns.dtype
        return frame, container
    arr = np.asarray(X)
    # an object array stays object (pandas 3 would infer strings, turning None into NaN)
    dtype = object if arr.dtype == object else None
    frame = pd.DataFrame(arr, columns=list(range(arr.shape[1])), dtype=dtype, copy=False)
    container = Container(False, list(frame.columns), list(frame.dtypes), arr.dtype)
    return frame, container


def column_labels(keys, columns: list) -> tuple[list, list]:
    """The labels ``keys`` name among ``columns`` (each a label, or a position as an
    int), and the keys that name none."""
    found, unknown = [], []
    for key in keys:
        if key in columns:
            found.append(key)
        elif isinstance(key, Integral) and not isinstance(key, bool) and 0 <= key < len(columns):
            found.append(columns[int(key)])
        else:
            unknown.append(key)
    return found, unknown


def is_datetime(dtype: Any) -> bool:
    return ptypes.is_datetime64_any_dtype(dtype)


def is_timedelta(dtype: Any) -> bool:
    """Durations: numpy's timedelta64 or pyarrow's duration."""
    if isinstance(dtype, pd.ArrowDtype):
        return str(dtype.pyarrow_dtype).startswith("duration[")
    return ptypes.is_timedelta64_dtype(dtype)


def is_numeric(dtype: Any) -> bool:
    """Numbers a continuous encoder can model (bool excluded), datetimes and durations."""
    if ptypes.is_bool_dtype(dtype) or ptypes.is_complex_dtype(dtype):
        return False
    return ptypes.is_numeric_dtype(dtype) or is_datetime(dtype) or is_timedelta(dtype)


def is_discrete_by_default(dtype: Any) -> bool:
    """``discrete_columns="auto"``: bool, category, string and object columns."""
    return not is_numeric(dtype)


def check_supported(series: pd.Series, name: Any) -> None:
    """Reject dtypes the transformer cannot encode, naming the column."""
    dtype = series.dtype
    if ptypes.is_complex_dtype(dtype):
        raise ValueError(f"Column {name!r} has complex dtype {dtype}, which is not supported.")
    if isinstance(dtype, pd.PeriodDtype | pd.IntervalDtype | pd.SparseDtype) or (
        isinstance(dtype, np.dtype) and dtype.kind == "V"
    ):
        raise ValueError(f"Column {name!r} has unsupported dtype {dtype}.")
    if isinstance(dtype, pd.ArrowDtype) and dtype.pyarrow_dtype.num_fields:
        raise ValueError(
            f"Column {name!r} has nested dtype {dtype} (lists, structs or maps), which is "
            "not supported: give each field a column of its own."
        )
    if ptypes.is_object_dtype(dtype):
        kind = ptypes.infer_dtype(series, skipna=True)
        if kind not in _ACCEPTED_OBJECT_KINDS:
            raise ValueError(
                f"Column {name!r} is an object column holding {kind!r} values; expected "
                "strings, numbers or booleans of one kind. Convert it to one type first."
            )
        if kind == "floating" or kind == "mixed-integer-float":
            values = np.asarray(series.dropna(), dtype=float)
            if np.isinf(values).any():
                raise ValueError(f"Column {name!r} contains inf, which is not supported.")


#: What ``infer_dtype`` calls an object column of numbers.
NUMBER_KINDS = ("integer", "floating", "mixed-integer-float", "decimal")


def time_zone(dtype: Any) -> Any:
    """The time zone of a datetime dtype, numpy's or pyarrow's (None: naive)."""
    return getattr(getattr(dtype, "pyarrow_dtype", dtype), "tz", None)


def check_same_kind(series: pd.Series, name: Any, info: NumericInfo) -> None:
    """Refuse a continuous column whose dtype is not of the kind seen in ``fit`` (numbers,
    or datetimes with or without a time zone), naming the column: it would be read wrongly
    (datetimes as their integers, strings parsed as numbers)."""
    dtype = series.dtype
    if info.kind == "datetime":
        aware = info.tz is not None
        ok = is_datetime(dtype) and (time_zone(dtype) is not None) == aware
        expected = f"datetimes {'with' if aware else 'without'} a time zone"
    elif info.kind == "timedelta":
        ok, expected = is_timedelta(dtype), "durations (timedelta)"
    else:
        ok = (is_numeric(dtype) and not is_datetime(dtype) and not is_timedelta(dtype)) or (
            ptypes.is_object_dtype(dtype) and ptypes.infer_dtype(series) in (*NUMBER_KINDS, "empty")
        )
        expected = "numbers"
    if not ok:
        raise ValueError(f"Column {name!r} held {expected} during fit; got dtype {dtype}.")


@dataclass
class NumericInfo:
    """How a continuous column maps to float64 and back."""

    kind: str  # "float", "int", "datetime" or "timedelta"
    step: int = 1  # datetime, timedelta: step in the column's unit; values are counted in steps
    unit: str = "ns"
    tz: Any = None
    origin: int = 0  # int, datetime, timedelta: values are counted from here (in its unit)


def _origin(low: int, high: int, step: int = 1) -> int:
    """Where a column's values are counted from: 0 (from zero) unless, in steps of ``step``,
    they reach float64's exact integers; then its minimum ``low``, or its maximum ``high``
    when the minimum is 0 (an origin of 0 means none)."""
    if max(abs(low), abs(high)) // step < FLOAT64_EXACT:
        return 0
    return low if low != 0 else high


def _keys(ints: np.ndarray) -> np.ndarray:
    """int64 or uint64 values as uint64 in the same order (int64's sign bit flipped), so
    differences between any two of them are exact in uint64."""
    if ints.dtype == np.uint64:
        return ints
    return ints.view(np.uint64) ^ _SIGN_BIT


def _offsets(ints: np.ndarray, origin: int, step: int = 1) -> np.ndarray:
    """``(ints - origin) // step`` as float64, without overflow however far apart they lie."""
    keys = _keys(ints)
    base = _keys(np.asarray([origin], dtype=ints.dtype))[0]
    above = keys >= base
    step_u = np.uint64(step)
    up = (np.where(above, keys, base) - base) // step_u
    # floor division below the origin: -ceil(distance / step)
    distance = np.where(above, keys, base) - keys
    down = distance // step_u + (distance % step_u != 0)
    return up.astype(np.float64) - down.astype(np.float64)


def _from_offsets(offsets: np.ndarray, origin: int, dtype: np.dtype, step: int = 1) -> np.ndarray:
    """Inverse of :func:`_offsets` for whole ``offsets``: ``origin + offsets * step`` in the
    int64 or uint64 ``dtype``, saturating at the dtype's bounds instead of wrapping."""
    base = _keys(np.asarray([origin], dtype=dtype))[0]
    step_u = np.uint64(step)
    room_up = (np.uint64(2**64 - 1) - base) // step_u
    up = np.minimum(np.clip(offsets, 0, _BELOW_2_64).astype(np.uint64), room_up)
    down = np.minimum(np.clip(-offsets, 0, _BELOW_2_64).astype(np.uint64), base // step_u)
    keys = base + up * step_u - down * step_u
    return keys if dtype == np.uint64 else (keys ^ _SIGN_BIT).view(np.int64)


def _origin_storage(series: pd.Series, origin: int) -> np.ndarray:
    """An int column counted from ``origin`` as int64 or uint64 (missing as ``origin``):
    its own signedness when that holds ``origin`` (a column given in another dtype than
    in ``fit`` takes the other), else a clear error naming it."""
    storage = _int_storage(series.dtype)
    if not np.iinfo(storage).min <= origin <= np.iinfo(storage).max:
        storage = np.dtype(np.int64 if storage == np.uint64 else np.uint64)
    try:
        ints = series.to_numpy(dtype=storage, na_value=origin)
    except (OverflowError, ValueError, TypeError) as exc:
        raise ValueError(
            f"Column {series.name!r} holds values that do not fit {storage} next to the "
            f"values seen during fit ({exc})."
        ) from exc
    if series.dtype.kind == "i" and storage == np.uint64 and (series < 0).any():
        # numpy 1.x casts negative ints to uint64 by wrapping around
        raise ValueError(
            f"Column {series.name!r} holds negative values, but only values of at least "
            f"{origin} were seen during fit."
        )
    return ints


def _int_storage(dtype: Any) -> np.dtype:
    """The 64-bit integer dtype holding an int column's values: uint64 for unsigned ones."""
    return np.dtype(np.uint64 if ptypes.is_unsigned_integer_dtype(dtype) else np.int64)


def numpy_datetimes(series: pd.Series) -> pd.Series:
    """A datetime column in numpy's datetime64 (with its time zone, if any): pyarrow
    timestamps and dates (``date32`` as seconds) are converted, others unchanged."""
    dtype = series.dtype
    if not isinstance(dtype, pd.ArrowDtype):
        return series
    arrow = dtype.pyarrow_dtype
    unit = getattr(arrow, "unit", "s" if str(arrow).startswith("date32") else "ms")
    tz = getattr(arrow, "tz", None)
    return series.astype(pd.DatetimeTZDtype(unit, tz) if tz else f"datetime64[{unit}]")


def numpy_timedeltas(series: pd.Series) -> pd.Series:
    """A duration column in numpy's timedelta64: pyarrow durations are converted."""
    dtype = series.dtype
    if not isinstance(dtype, pd.ArrowDtype):
        return series
    return series.astype(f"timedelta64[{dtype.pyarrow_dtype.unit}]")


def utc_naive(series: pd.Series) -> pd.Series:
    """A datetime column as naive UTC times (unchanged when it has no time zone)."""
    series = numpy_datetimes(series)
    if getattr(series.dtype, "tz", None) is None:
        return series
    return series.dt.tz_convert("UTC").dt.tz_localize(None)


def to_float(series: pd.Series, info: NumericInfo | None = None) -> tuple[np.ndarray, NumericInfo]:
    """Float64 values of a continuous column (NaN where missing) and how to restore them.

    Datetimes and durations are counted in their coarsest exact step (days, hours,
    ... nanoseconds), so their values stay small enough to round-trip exactly; ints,
    datetimes and durations beyond float64's exact integers (2**53) are counted from
    their minimum.
    """
    durations = is_timedelta(series.dtype)
    if is_datetime(series.dtype) or durations:
        kind = "timedelta" if durations else "datetime"
        if durations:
            series = naive = numpy_timedeltas(series)
            tz = None
        else:
            series = numpy_datetimes(series)
            tz = getattr(series.dtype, "tz", None)
            naive = utc_naive(series)
        unit = getattr(naive.dt, "unit", "ns")
        finer = 1  # units of the column's resolution per unit of the one seen in fit
        if info is not None and unit != info.unit:  # counted in the unit seen in fit
            if _NS_PER_UNIT[unit] < _NS_PER_UNIT[info.unit]:
                finer = _NS_PER_UNIT[info.unit] // _NS_PER_UNIT[unit]
            else:
                try:
                    naive, unit = naive.astype(f"{_NUMPY_TYPE[kind]}[{info.unit}]"), info.unit
                except (OverflowError, ValueError) as exc:  # pandas' OutOfBoundsDatetime
                    raise ValueError(
                        f"Column {series.name!r} holds {kind}s the resolution seen "
                        f"during fit ({info.unit}) cannot hold ({exc})."
                    ) from exc
        raw = naive.to_numpy()
        missing = np.isnat(raw)
        ints = raw.view("int64")
        if info is None:
            observed = ints[~missing]
            scale = _NS_PER_UNIT[unit]
            step = 1
            for step_ns in _DATETIME_STEPS_NS:
                if step_ns % scale == 0 and np.all(observed % (step_ns // scale) == 0):
                    step = step_ns // scale
                    break
            info = NumericInfo(kind, step=step, unit=unit, tz=tz)
            if observed.size:
                info.origin = _origin(int(observed.min()), int(observed.max()), step)
        out = _datetime_steps(ints, info, finer)
        out[missing] = np.nan
        return out, info
    dtype = series.dtype
    if info is None:
        info = NumericInfo("int" if ptypes.is_integer_dtype(dtype) else "float")
        if info.kind == "int" and series.notna().any():
            info.origin = _origin(int(series.min()), int(series.max()))
    if info.origin:
        missing = series.isna().to_numpy()
        out = _offsets(_origin_storage(series, info.origin), info.origin)
        out[missing] = np.nan
        return out, info
    return series.to_numpy(dtype=np.float64, na_value=np.nan), info


def _datetime_steps(ints: np.ndarray, info: NumericInfo, finer: int = 1) -> np.ndarray:
    """Datetimes (int64, in a unit ``finer`` times finer than ``info``'s) counted in
    ``info``'s steps from its origin, as float64: whole steps exactly, and the part of a
    step that a time between two steps lies past the earlier one as a fraction (a model
    fitted on days reads 12:00 as half a day, as it reads 2.5 in an int column)."""
    step = info.step
    # in the unit seen in fit, and what is left below it
    fitted, below = (ints, 0) if finer == 1 else np.divmod(ints, finer)
    if info.origin:
        whole = _offsets(fitted, info.origin, step)
    else:
        whole = (fitted // step).astype(np.float64)
    if finer == 1 and step == 1:
        return whole
    past = (fitted % step - info.origin % step) % step  # whole units past that step
    return whole + (past + below / finer) / step


def from_float(values: np.ndarray, info: NumericInfo, dtype: Any) -> pd.Series:
    """Inverse of :func:`to_float`: rebuild a column of ``dtype`` from float64 (NaN = missing)."""
    missing = np.isnan(values)
    if info.kind in _NUMPY_TYPE:
        steps = np.where(missing, 0, np.rint(values))
        if info.origin:
            ints = _from_offsets(steps, info.origin, np.dtype(np.int64), info.step)
        else:
            ints = steps.astype(np.int64) * info.step
        arr = ints.view(f"{_NUMPY_TYPE[info.kind]}[{info.unit}]").copy()
        arr[missing] = np.array("NaT", dtype=arr.dtype)
        series = pd.Series(arr)
        if info.tz is not None:
            series = series.dt.tz_localize("UTC").dt.tz_convert(info.tz)
        return series.astype(dtype)
    if info.kind == "int":
        values = np.rint(values)
        storage = _int_storage(dtype)
        if info.origin:  # added in 64-bit integers: float64 would round them
            values = _from_offsets(np.where(missing, 0, values), info.origin, storage)
        if isinstance(dtype, pd.api.extensions.ExtensionDtype):
            ints = np.where(missing, 0, values).astype(storage)
            return pd.Series(pd.array(ints)).mask(missing).astype(dtype)
        if missing.any():  # an int column cannot hold NaN: happens only for float dtypes
            return pd.Series(np.where(missing, np.nan, values.astype(np.float64))).astype(dtype)
        return pd.Series(values.astype(dtype, copy=False))
    if isinstance(dtype, pd.api.extensions.ExtensionDtype):
        return pd.Series(values).astype(dtype)
    return pd.Series(values.astype(dtype, copy=False))


def free_label(columns, name=None) -> str:
    """A label for a joined target column: its ``name`` as text (``y`` when unnamed),
    ``_y`` added while ``columns`` hold it (the CLI's label column, the scorers' y)."""
    label = str(name or "y")
    while label in columns:
        label = f"{label}_y"
    return label


#: The internal name of the column a synthesizer fits ``y`` in (warnings speak of ``y``)
TARGET_COLUMN = "__sksynth_target__"
