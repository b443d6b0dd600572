"""A synthesizer's ``y``: checked on the way in, given back as it came on the way out."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils.multiclass import type_of_target


def target_values(y, n_rows: int):
    """``y``'s values, 1-D (a column vector of shape (n_rows, 1) is ravelled)."""
    values = y.reset_index(drop=True) if isinstance(y, pd.Series) else np.asarray(y)
    if values.ndim == 2 and values.shape[1] == 1:
        values = np.ravel(values)
    if values.ndim != 1:
        raise ValueError(f"y must be 1-D; got an array of shape {np.shape(y)}.")
    if len(values) != n_rows:
        raise ValueError(f"y has {len(values)} labels but X has {n_rows} rows.")
    return values


def target_kind(values) -> str:
    """scikit-learn's ``type_of_target`` of ``y``'s values, with errors naming ``y``:
    infinity, values of several kinds (an int and a str), numbers held as objects."""
    array = np.asarray(values)
    if array.dtype.kind == "f" and np.isinf(array).any():
        rows = np.flatnonzero(np.isinf(array))[:5].tolist()
        raise ValueError(f"y holds infinity (rows {rows}); y takes finite numbers or labels.")
    if array.dtype == object:
        inferred = pd.api.types.infer_dtype(array, skipna=True)
        if inferred in ("mixed-integer", "mixed", "mixed-integer-float") and any(
            isinstance(v, str) for v in array
        ):
            kinds = sorted({type(v).__name__ for v in array})
            raise ValueError(
                f"Unknown label type: y mixes values of several types ({kinds}); convert it "
                "to one type first (y.astype(str), say)."
            )
        if inferred in ("integer", "floating", "mixed-integer-float", "boolean"):
            raise ValueError(
                f"Unknown label type: y holds {inferred} values in an object array; give "
                "it their dtype (np.asarray(y, dtype=float), y.astype(int) or y.astype(bool))."
            )
    return type_of_target(values, input_name="y")


def check_target(y, n_rows: int) -> tuple[pd.Series, np.ndarray | None, dict]:
    """``y`` as a column to model: its values, its classes (``None`` for a
    continuous ``y``) and what :func:`restore_target` needs to give it back."""
    name = y.name if isinstance(y, pd.Series) else None
    values = target_values(y, n_rows)
    missing = np.flatnonzero(pd.isna(values))
    if missing.size:
        raise ValueError(
            f"y has missing values (rows {missing[:5].tolist()}); every row needs a "
            "value of y: drop those rows or fill them."
        )
    kind = target_kind(values)
    if kind not in ("binary", "multiclass", "continuous"):
        raise ValueError(f"Unknown label type: y is {kind!r}; expected class labels or numbers.")
    classes = None if kind == "continuous" else np.unique(np.asarray(values))
    info = {"series": isinstance(y, pd.Series), "name": name, "dtype": values.dtype}
    return pd.Series(values), classes, info


def restore_target(y: pd.Series, info: dict):
    """Decoded ``y`` in the container and dtype ``fit`` was given (``info``)."""
    if y.dtype != info["dtype"]:
        y = y.astype(info["dtype"])
    if info["series"]:
        return y.rename(info["name"])
    # pandas holds fixed-width strings as objects: numpy gives them back
    return y.to_numpy(dtype=info["dtype"] if y.dtype.kind == "O" else None)
