"""A plain numeric encoding of tables for the model-based and distance-based metrics.

Continuous columns are standardised (missing values set to the mean, plus a
missing indicator); discrete columns are one-hot over the fitted values
(missing a value of its own, whether None, NaN or pd.NA; one more column,
shared by every value not seen at fit) scaled by ``1/sqrt(2)``, so that two rows
differing in one category are at distance 1, like two rows one standard
deviation apart in one number.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin

from ._tables import as_numbers, missing_as_nan

_ONE_HOT_SCALE = 1.0 / np.sqrt(2.0)
#: A dense encoding of this many cells (64 Mi, 512 MB of float64) is too big to build
#: for identifier-like columns (see ``tstr_score``).
_DENSE_CELLS = 2**26


class MetricEncoder(TransformerMixin, BaseEstimator):
    """Encode a DataFrame as a float matrix: standardised numbers, scaled one-hots.

    Parameters
    ----------
    discrete_columns : list
        Columns to one-hot encode; the others are numeric (datetimes included).
    sparse_output : bool or "auto", default="auto"
        Return a SciPy CSR matrix; ``"auto"``: when the fitted encoding is wide
        and mostly zeros (over 1,000 outputs, ten or more per column: one-hot
        blocks of identifier-like columns).
    """

    def __init__(self, discrete_columns=(), sparse_output="auto"):
        self.discrete_columns = discrete_columns
        self.sparse_output = sparse_output

    def fit(self, X: pd.DataFrame, y=None):
        self.columns_ = list(X.columns)
        self.stats_ = {}
        for column in self.columns_:
            if column in self.discrete_columns:
                values = pd.Index(pd.unique(missing_as_nan(X[column])), dtype=object)
                self.stats_[column] = ("discrete", values)
            else:
                numbers = as_numbers(X[column])
                missing = np.isnan(numbers)
                observed = numbers[~missing]
                mean = float(observed.mean()) if observed.size else 0.0
                std = float(observed.std()) if observed.size else 1.0
                self.stats_[column] = ("numeric", mean, std if std > 0 else 1.0)
        self.n_outputs_ = sum(
            len(stats[1]) + 1 if stats[0] == "discrete" else 2 for stats in self.stats_.values()
        )
        return self

    def transform(self, X: pd.DataFrame):
        sparse_output = self.sparse_output
        if sparse_output == "auto":  # decided by the fit alone: every call alike
            # mostly zeros: wide one-hot blocks of identifier-like columns
            sparse_output = self.n_outputs_ > 1000 and self.n_outputs_ >= 10 * len(self.columns_)
        rows = np.arange(len(X))
        blocks = []
        for column in self.columns_:
            kind, *stats = self.stats_[column]
            if kind == "discrete":
                (values,) = stats
                codes = values.get_indexer(pd.Index(missing_as_nan(X[column]), dtype=object))
                # a value unseen at fit: the last column, at distance 1 from every fitted one
                codes = np.where(codes >= 0, codes, len(values))
                shape = (len(X), len(values) + 1)
                if sparse_output:
                    ones = np.full(len(X), _ONE_HOT_SCALE)
                    blocks.append(sparse.csr_matrix((ones, (rows, codes)), shape=shape))
                else:
                    block = np.zeros(shape)
                    block[rows, codes] = _ONE_HOT_SCALE
                    blocks.append(block)
            else:
                mean, std = stats
                numbers = as_numbers(X[column])
                missing = np.isnan(numbers)
                blocks.append(((np.where(missing, mean, numbers) - mean) / std)[:, None])
                blocks.append(missing[:, None].astype(float))
        if sparse_output:
            return sparse.hstack([sparse.csr_matrix(b) for b in blocks], format="csr")
        return np.hstack(blocks) if blocks else np.empty((len(X), 0))
