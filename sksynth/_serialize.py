"""JSON encoding of the values, dtypes and encoders a fitted model holds (no pickle)."""

from __future__ import annotations

import datetime
import decimal
import math
from typing import Any

import numpy as np
import pandas as pd

from .exceptions import PersistenceError
from .preprocessing._columns import Container, NumericInfo
from .preprocessing._continuous import ContinuousEncoder
from .preprocessing._discrete import DiscreteEncoder
from .preprocessing._spans import Span


def encode_value(value: Any) -> list:
    """A tagged JSON form of one cell or label."""
    if isinstance(value, np.generic) and not isinstance(value, np.datetime64 | np.timedelta64):
        value = value.item()  # (a timedelta64 in ns would become an int)
    if value is None:
        return ["none", None]
    if value is pd.NA:
        return ["na", None]
    if value is pd.NaT:
        return ["nat", None]
    if isinstance(value, bool):
        return ["bool", value]
    if isinstance(value, int):
        return ["int", value]
    if isinstance(value, float):
        return ["float", repr(value) if not math.isfinite(value) else value]
    if isinstance(value, str):
        return ["str", value]
    if isinstance(value, tuple):  # a label of MultiIndex columns
        return ["tuple", [encode_value(v) for v in value]]
    if isinstance(value, pd.Timestamp | np.datetime64):
        return ["datetime", pd.Timestamp(value).isoformat()]
    if isinstance(value, pd.Timedelta | np.timedelta64):  # a duration column's category
        return ["timedelta", pd.Timedelta(value).isoformat()]
    # Python objects an object column may hold (see TableTransformer's accepted kinds)
    if isinstance(value, datetime.datetime):
        return ["pydatetime", value.isoformat()]
    if isinstance(value, datetime.date):
        return ["date", value.isoformat()]
    if isinstance(value, decimal.Decimal):
        return ["decimal", str(value)]
    if isinstance(value, bytes):
        return ["bytes", value.hex()]
    raise PersistenceError(f"cannot save a value of type {type(value).__name__}: {value!r}")


def decode_value(item: list) -> Any:
    tag, value = item
    if tag == "none":
        return None
    if tag == "na":
        return pd.NA
    if tag == "nat":
        return pd.NaT
    if tag == "float":
        return float(value)
    if tag == "datetime":
        return pd.Timestamp(value)
    if tag == "timedelta":
        return pd.Timedelta(value)
    if tag == "pydatetime":
        return datetime.datetime.fromisoformat(value)
    if tag == "date":
        return datetime.date.fromisoformat(value)
    if tag == "decimal":
        return decimal.Decimal(value)
    if tag == "bytes":
        return bytes.fromhex(value)
    if tag == "tuple":
        return tuple(decode_value(v) for v in value)
    if tag in ("bool", "int", "str"):
        return value
    raise PersistenceError(f"unknown value tag {tag!r}")


def encode_dtype(dtype) -> Any:
    if isinstance(dtype, pd.CategoricalDtype):
        return {
            "category": [encode_value(v) for v in dtype.categories],
            "ordered": bool(dtype.ordered),
            "categories_dtype": encode_dtype(dtype.categories.dtype),
        }
    if isinstance(dtype, pd.StringDtype):
        na_nan = getattr(dtype, "na_value", pd.NA) is np.nan
        # pandas 2.2's "pyarrow_numpy" is what pandas 2.3+ calls pyarrow with NaN
        storage = "pyarrow" if dtype.storage == "pyarrow_numpy" else dtype.storage
        return {"string": storage, "na_nan": na_nan}
    text = str(dtype)
    try:
        same = pd.api.types.pandas_dtype(text) == dtype
    except TypeError:
        same = False
    if not same:
        raise PersistenceError(f"cannot save dtype {dtype!r}")
    return text


def decode_dtype(item) -> Any:
    if isinstance(item, str):
        return pd.api.types.pandas_dtype(item)
    if "category" in item:
        categories = pd.Index(
            [decode_value(v) for v in item["category"]],
            dtype=decode_dtype(item["categories_dtype"]),
            tupleize_cols=False,  # tuple categories stay tuples, not a MultiIndex
        )
        return pd.CategoricalDtype(categories, ordered=item["ordered"])
    if item.get("na_nan"):
        return _nan_string_dtype(item["string"])
    return pd.StringDtype(item["string"])


def _nan_string_dtype(storage: str):
    """pandas's string dtype with NaN for missing in ``storage``, or the nearest one
    this pandas has: Python storage without pyarrow; before pandas 2.3, which has no
    ``na_value``, "pyarrow_numpy", else objects."""
    try:
        return pd.StringDtype(storage, na_value=np.nan)
    except ImportError:
        return pd.StringDtype("python", na_value=np.nan)
    except TypeError:
        pass
    if storage == "pyarrow":
        try:
            return pd.StringDtype("pyarrow_numpy")
        except ImportError:
            pass
    return np.dtype(object)


def _column_dtype(label, dtype) -> Any:
    """``encode_dtype(dtype)``, its error naming the column (categories of intervals,
    periods or complex numbers, which a file does not hold)."""
    try:
        return encode_dtype(dtype)
    except PersistenceError as exc:
        raise PersistenceError(
            f"column {label!r}: {exc}; convert the column to text (astype(str)) or "
            "numbers and refit to save the model (pickle holds it as it is)."
        ) from exc


def encode_container(c: Container) -> dict:
    state = {
        "is_frame": c.is_frame,
        "columns": [encode_value(v) for v in c.columns],
        "dtypes": [_column_dtype(label, d) for label, d in zip(c.columns, c.dtypes, strict=True)],
        "array_dtype": None if c.array_dtype is None else str(np.dtype(c.array_dtype)),
    }
    if c.column_names is not None:  # written only when used (older readers ignore it)
        state["column_names"] = [encode_value(v) for v in c.column_names]
    if getattr(c, "columns_dtype", None) is not None:  # likewise
        state["columns_dtype"] = encode_dtype(c.columns_dtype)
    return state


def decode_container(state: dict) -> Container:
    names = state.get("column_names")
    columns_dtype = state.get("columns_dtype")
    return Container(
        state["is_frame"],
        [decode_value(v) for v in state["columns"]],
        [decode_dtype(d) for d in state["dtypes"]],
        None if state["array_dtype"] is None else np.dtype(state["array_dtype"]),
        None if names is None else tuple(decode_value(v) for v in names),
        None if columns_dtype is None else decode_dtype(columns_dtype),
    )


def encode_discrete(e: DiscreteEncoder) -> dict:
    state = {
        "kind": "discrete",
        "name": encode_value(e.name),
        "dtype": encode_dtype(e.dtype),
        "has_missing": e.has_missing,
        "na_value": encode_value(e.na_value),
    }
    if isinstance(e.dtype, pd.CategoricalDtype):
        state["positions"] = e.dtype.categories.get_indexer(e.categories_).tolist()
    else:
        state["categories"] = [encode_value(v) for v in e.categories_]
    return state


def decode_discrete(state: dict) -> DiscreteEncoder:
    e = DiscreteEncoder()
    e.name = decode_value(state["name"])
    e.dtype = decode_dtype(state["dtype"])
    e.has_missing = state["has_missing"]
    e.na_value = decode_value(state["na_value"])
    if "positions" in state:
        e.categories_ = e.dtype.categories[state["positions"]]
    else:
        e.categories_ = pd.Index([decode_value(v) for v in state["categories"]], dtype=object)
    return e


_CONTINUOUS_ARRAYS = ("atoms_", "means_", "stds_", "log_weights_")
_CONTINUOUS_SCALARS = (
    "n_modes",
    "atom_threshold",
    "weight_threshold",
    "max_fit_samples",
    "has_missing",
    "min_",
    "max_",
)


def encode_continuous(e: ContinuousEncoder, info: NumericInfo) -> dict:
    state = {"kind": "continuous"}
    state.update({k: getattr(e, k).tolist() for k in _CONTINUOUS_ARRAYS})
    state.update({k: getattr(e, k) for k in _CONTINUOUS_SCALARS})
    state["info"] = {
        "kind": info.kind,
        "step": int(info.step),
        "unit": info.unit,
        "tz": None if info.tz is None else str(info.tz),
    }
    # written only when used, so that a file without them reads in older versions
    if e.residual_scales_:
        state["residual_scales"] = list(e.residual_scales_)
    if e.snap_:
        state["snap"] = True
    if e.unit_ != 1.0:
        state["unit"] = e.unit_
    if info.origin:
        state["info"]["origin"] = int(info.origin)
    return state


def decode_continuous(state: dict) -> tuple[ContinuousEncoder, NumericInfo]:
    e = ContinuousEncoder.__new__(ContinuousEncoder)
    for k in _CONTINUOUS_ARRAYS:
        setattr(e, k, np.asarray(state[k], dtype=np.float64))
    for k in _CONTINUOUS_SCALARS:
        setattr(e, k, state[k])
    e.residual_scales_ = tuple(state.get("residual_scales", ()))
    e.snap_ = state.get("snap", False)
    e.unit_ = float(state.get("unit", 1.0))
    if not (math.isfinite(e.unit_) and e.unit_ > 0):
        raise ValueError(f"a column's unit must be a positive number; got {e.unit_}")
    info = NumericInfo(**state["info"])
    return e, info


def encode_spans(spans: list[Span]) -> list:
    return [[encode_value(s.column), s.kind, s.start, s.stop] for s in spans]


def decode_spans(items: list) -> list[Span]:
    return [Span(decode_value(c), kind, start, stop) for c, kind, start, stop in items]
