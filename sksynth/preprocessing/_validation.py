"""Checks of what users pass in: their tables, before encoding, and encoded arrays."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils.validation import validate_data


def check_encoded(X, n_columns: int, name: str = "X", dtype=None) -> np.ndarray:
    """``X`` as a 2-D array of ``n_columns`` finite numbers, or a ``ValueError``
    naming ``name`` and what it held."""
    X = np.asarray(X, dtype=dtype)
    if X.ndim != 2 or X.shape[1] != n_columns:
        raise ValueError(f"{name} has shape {X.shape}; expected (n_samples, {n_columns}).")
    if X.dtype.kind not in "biuf":
        try:
            X = X.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must hold numbers; got dtype {X.dtype}.") from None
    finite = np.isfinite(X)
    if not finite.all():
        row, column = np.argwhere(~finite)[0]
        raise ValueError(
            f"{name} holds {X[row, column]} at row {row}, column {column}; expected finite numbers."
        )
    return X


def validate_table(estimator, X, *, reset: bool) -> pd.DataFrame | np.ndarray:
    """Validate a user's table without coercing it to float.

    DataFrames keep their dtypes (feature names and count are checked); anything
    else goes through :func:`~sklearn.utils.check_array` with ``dtype=None``.
    """
    if isinstance(X, pd.DataFrame):
        unnamed = [
            k
            for k, c in enumerate(X.columns)
            if (isinstance(c, float) and c != c) or c is pd.NaT or c is pd.NA
        ]
        if unnamed:  # NaN never equals itself, so it could not be looked up
            raise ValueError(
                f"X has a missing (NaN) column label at position {unnamed[:10]}: every column "
                "needs a name of its own."
            )
        duplicated = X.columns[X.columns.duplicated()].unique().tolist()
        if duplicated:
            raise ValueError(
                f"X has duplicate column names {duplicated[:10]}: every column needs a "
                "name of its own."
            )
        validate_data(estimator, X, reset=reset, skip_check_array=True)
        if not reset:
            _check_labels(estimator, X)
        if X.shape[0] == 0 or X.shape[1] == 0:
            raise ValueError(
                f"Found an empty table of shape {X.shape}: at least one row and one column "
                "are required."
            )
        return X
    _refuse_array_kinds(X)
    return validate_data(
        estimator,
        _keep_mixed_values(X),
        reset=reset,
        dtype=None,
        ensure_all_finite="allow-nan",
        ensure_min_samples=1,
    )


def _check_labels(estimator, X: pd.DataFrame) -> None:
    """Refuse a DataFrame whose column labels are not those seen in fit, where
    scikit-learn checks nothing: labels that are not all strings (ints, tuples).
    Columns are taken by position, so two swapped columns were encoded each with the
    other's encoder, silently."""
    container = getattr(estimator, "_container", None)
    if container is None or not container.is_frame or hasattr(estimator, "feature_names_in_"):
        return
    seen, given = list(container.columns), list(X.columns)
    if given != seen:
        raise ValueError(
            "The column labels should match those passed during fit, in the same order; "
            f"got {given[:10]}{' ...' if len(given) > 10 else ''}, fitted on "
            f"{seen[:10]}{' ...' if len(seen) > 10 else ''}."
        )


def _refuse_array_kinds(X) -> None:
    """Refuse the numpy arrays a table cannot be read from column by column: records
    (a structured array, whose fields are the columns) and numpy 2's variable-width
    strings (``StringDType``), which scikit-learn's checks cannot take."""
    dtype = getattr(X, "dtype", None)
    if not isinstance(dtype, np.dtype):
        return
    if dtype.kind == "V":  # structured (records) or raw void
        raise ValueError(
            f"X is a structured numpy array (dtype {dtype}); pass its fields as columns: "
            "pd.DataFrame(X) for a 1-D array of records."
        )
    if dtype.kind == "T":
        raise ValueError(
            f"X holds numpy {dtype!r} strings, which scikit-learn's checks do not take; "
            "pass X.astype(object) or a DataFrame."
        )


def _keep_mixed_values(X):
    """A list (or tuple) of rows mixing text with numbers or missing values as an object
    array: numpy would turn every value into text (39 into '39', NaN into 'nan'). A
    column that itself mixes text with numbers is read as numpy reads it, as text."""
    if isinstance(X, np.ndarray) or not isinstance(X, list | tuple):
        return X
    text = np.asarray(X)
    if text.dtype.kind not in "US" or text.ndim != 2:
        return X
    values = np.asarray(X, dtype=object)
    if all(isinstance(v, str) for v in values.ravel()):
        return X
    for j in range(values.shape[1]):
        present = [v for v in values[:, j] if not (v is None or (isinstance(v, float) and v != v))]
        if any(isinstance(v, str) for v in present) and not all(
            isinstance(v, str) for v in present
        ):
            values[:, j] = text[:, j].astype(object)
    return values
