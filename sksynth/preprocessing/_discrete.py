"""One-hot encoding of one discrete column; a missing value is a category of its own."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


class DiscreteEncoder:
    """Map a discrete column to integer codes and back, keeping its dtype.

    Categories are the observed non-missing values (sorted when they can be);
    when the column had missing values at fit, code ``len(categories_)`` means
    missing.
    """

    def fit(self, series: pd.Series, name: Any) -> DiscreteEncoder:
        self.name = name
        self.dtype = series.dtype
        missing = series.isna().to_numpy()
        self.has_missing = bool(missing.any())
        # object columns keep their own missing marker (None or NaN)
        self.na_value = series[missing].iloc[0] if self.has_missing else np.nan
        if self.dtype != object:
            self.na_value = np.nan
        if isinstance(self.dtype, pd.CategoricalDtype):
            used = np.unique(series.cat.codes.to_numpy()[~missing])
            self.categories_ = self.dtype.categories[used]
        else:
            # as Python objects (Timestamps for datetimes: numpy 1.x made them ints)
            present = series[~missing]
            if present.dtype == np.float16:  # pandas has no float16 Index; float32 holds them
                present = present.astype(np.float32)
            uniques = pd.Index(pd.unique(present)).astype(object).to_numpy()
            try:
                uniques = np.sort(uniques)
            except TypeError:  # values of kinds that do not order: first-seen order
                pass
            self.categories_ = pd.Index(uniques, dtype=object)
        return self

    @property
    def n_outputs(self) -> int:
        return len(self.categories_) + int(self.has_missing)

    def codes(self, series: pd.Series) -> np.ndarray:
        """Integer codes of ``series``; raise on unseen values or unexpected missing ones."""
        missing = series.isna().to_numpy()
        if isinstance(self.dtype, pd.CategoricalDtype) and series.dtype == self.dtype:
            # same categories: map the category codes, no hashing of values
            lookup = self.dtype.categories.get_indexer(self.categories_)
            table = np.full(len(self.dtype.categories) + 1, -1, dtype=np.int64)
            table[lookup] = np.arange(len(lookup))
            codes = table[series.cat.codes.to_numpy()]  # code -1 (missing) hits the last slot
        else:
            codes = self.categories_.get_indexer(pd.Index(series.astype(object), dtype=object))
        unseen = (codes < 0) & ~missing
        if unseen.any():
            examples = pd.unique(series[unseen])[:5].tolist()
            raise ValueError(
                f"Column {self.name!r} holds categories not seen during fit: {examples}."
            )
        if missing.any():
            if not self.has_missing:
                raise ValueError(
                    f"Column {self.name!r} has missing values, but had none during fit."
                )
            codes[missing] = len(self.categories_)
        return codes.astype(np.int64, copy=False)

    def decode(self, codes: np.ndarray) -> pd.Series:
        """Series of the fitted dtype from codes (the missing code gives NaN)."""
        missing = codes >= len(self.categories_)
        safe = np.where(missing, 0, codes)
        if isinstance(self.dtype, pd.CategoricalDtype):
            positions = self.dtype.categories.get_indexer(self.categories_)[safe]
            positions[missing] = -1
            return pd.Series(pd.Categorical.from_codes(positions, dtype=self.dtype))
        if isinstance(self.dtype, pd.StringDtype) and self.dtype.storage == "pyarrow":
            return _arrow_strings(self.categories_, safe, missing, self.dtype)
        values = np.asarray(self.categories_, dtype=object)[safe]
        if missing.any():
            values[missing] = self.na_value
            return pd.Series(values, dtype=object).astype(self.dtype)
        if self.dtype == object:
            return pd.Series(values, dtype=object, copy=False)
        try:
            return pd.Series(values, dtype=object).astype(self.dtype)
        except (TypeError, ValueError):
            return pd.Series(values, dtype=object)


def _arrow_strings(categories, codes: np.ndarray, missing: np.ndarray, dtype) -> pd.Series:
    """A pyarrow-backed string column by an Arrow ``take`` (no Python string per row)."""
    import pyarrow as pa

    table = pa.array([str(c) for c in categories], type=pa.large_string())
    taken = table.take(pa.array(codes, mask=missing if missing.any() else None))
    return pd.Series(pd.array(taken, dtype=dtype))
