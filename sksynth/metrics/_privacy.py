"""Privacy: are synthetic rows copies of, or suspiciously close to, real rows?

Distances are Euclidean on :class:`MetricEncoder`'s encoding fitted on the
real rows (standardised numbers; a differing category counts 1).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.neighbors import NearestNeighbors

from ..utils._checks import check_seed
from ._encoding import MetricEncoder
from ._tables import align, as_labels


def neighbour_distances(real, queries, discrete_columns, k):
    """Distances from each row of each table in ``queries`` to its ``k`` closest real rows.

    The encoder and the neighbour index of ``real`` are built once for all queries.
    """
    aligned = [align(real, query, discrete_columns) for query in queries]
    real, discrete = aligned[0][0], aligned[0][2]
    encoder = MetricEncoder(discrete).fit(real)
    points = encoder.transform(real)
    index = NearestNeighbors(n_neighbors=min(k, len(real))).fit(points)
    return [_closest(index, points, encoder.transform(query)) for _, query, _ in aligned]


def _closest(index: NearestNeighbors, points, queries) -> np.ndarray:
    """Exact distances from each query row to its closest ``points`` (``index`` fitted
    on them), ascending per row."""
    return _exact_distances(points, queries, index.kneighbors(queries, return_distance=False))


def _exact_distances(points, queries, neighbours: np.ndarray) -> np.ndarray:
    """Distances from each query row to its ``neighbours`` (indices into ``points``),
    from the differences themselves, ascending per row. The index's distances come
    from ``|a|^2 + |b|^2 - 2ab``, which leaves about 1e-8 between equal rows: a copy of a
    real row then read as a near miss, not 0."""
    n, k = neighbours.shape
    difference = queries[np.repeat(np.arange(n), k)] - points[neighbours.ravel()]
    if sparse.issparse(difference):
        squares = np.asarray(difference.multiply(difference).sum(axis=1)).ravel()
    else:
        squares = np.einsum("ij,ij->i", difference, difference)
    return np.sort(np.sqrt(squares).reshape(n, k), axis=1)


def distance_ratio(distances: np.ndarray) -> np.ndarray:
    """Closest over second-closest distance per row (1 where both are 0)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = distances[:, 0] / distances[:, 1]
    return np.where(distances[:, 1] == 0, 1.0, ratio)


def distance_to_closest_record(real, synthetic, *, discrete_columns="auto"):
    """Distance from each synthetic row to its closest real row.

    Parameters
    ----------
    real, synthetic : DataFrame or ndarray
        Tables with the same columns (``real``: the synthesizer's training rows).
    discrete_columns : "auto" or list, default="auto"
        Discrete columns.

    Returns
    -------
    distances : ndarray of shape (len(synthetic),)
        0 for a copy of a real row; compare with the same distances of real
        holdout rows (see :func:`privacy_score`).

    Examples
    --------
    >>> import pandas as pd
    >>> from sksynth.metrics import distance_to_closest_record
    >>> real = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "c": ["a", "b", "a", "b"]})
    >>> synth = pd.DataFrame({"x": [0.0, 1.0], "c": ["a", "a"]})
    >>> distance_to_closest_record(real, synth).round(2)
    array([0.  , 0.89])
    """
    return neighbour_distances(real, [synthetic], discrete_columns, 1)[0][:, 0]


def nearest_neighbor_distance_ratio(real, synthetic, *, discrete_columns="auto"):
    """Closest over second-closest real-row distance, for each synthetic row.

    A ratio near 0 means the row sits next to one particular real record (an
    outlier copied is the classic leak); near 1, among several equally.

    Parameters
    ----------
    real, synthetic : DataFrame or ndarray
        Tables with the same columns; ``real`` needs at least two rows.
    discrete_columns : "auto" or list, default="auto"
        Discrete columns.

    Returns
    -------
    ratios : ndarray of shape (len(synthetic),)
        In [0, 1] (1 where both distances are 0).

    Examples
    --------
    >>> import pandas as pd
    >>> from sksynth.metrics import nearest_neighbor_distance_ratio
    >>> real = pd.DataFrame({"x": [0.0, 1.0, 10.0]})
    >>> nearest_neighbor_distance_ratio(real, pd.DataFrame({"x": [0.5, 8.0]})).round(2)
    array([1.  , 0.29])
    """
    if len(real) < 2:
        raise ValueError("nearest_neighbor_distance_ratio needs at least two real rows.")
    return distance_ratio(neighbour_distances(real, [synthetic], discrete_columns, 2)[0])


def _row_codes(real: pd.DataFrame, synthetic: pd.DataFrame) -> np.ndarray:
    """One integer per row of both tables (real rows first), equal for equal rows.

    Values are compared as Python objects, whatever each table's dtypes: an int 2
    equals a float 2.0 (2.5 equals neither) and ints stay exact beyond float64's
    2**53; datetimes compare as instants (the tables come from ``align``, so in
    one time zone); None, NaN, NaT and pd.NA are one missing value.
    """
    codes = np.empty((len(real) + len(synthetic), real.shape[1]), dtype=np.int64)
    for k, column in enumerate(real.columns):
        r, s, _ = as_labels(real[column], synthetic[column])
        codes[:, k] = np.concatenate([r, s])
    if not codes.shape[1]:
        return np.zeros(len(codes), dtype=np.int64)
    return np.unique(codes, axis=0, return_inverse=True)[1].reshape(-1)


def exact_copy_rate(real, synthetic, *, discrete_columns="auto"):
    """Share of synthetic rows that are exact copies of a real row.

    Parameters
    ----------
    real, synthetic : DataFrame or ndarray
        Tables with the same columns (``real``: the synthesizer's training rows).
    discrete_columns : "auto" or list, default="auto"
        Discrete columns (the tables are checked as the other metrics check
        them: a continuous column holding text is refused).

    Returns
    -------
    rate : float
        In [0, 1], lower is better; compare with the rate of real holdout rows,
        since tables of few discrete columns repeat rows naturally.

    Examples
    --------
    >>> import pandas as pd
    >>> from sksynth.metrics import exact_copy_rate
    >>> real = pd.DataFrame({"x": [1, 2, 3], "c": ["a", "b", "c"]})
    >>> exact_copy_rate(real, pd.DataFrame({"x": [1, 2, 9, 9], "c": ["a", "a", "c", "c"]}))
    0.25
    """
    real, synthetic, _ = align(real, synthetic, discrete_columns)
    rows = _row_codes(real, synthetic)
    return float(np.isin(rows[len(real) :], rows[: len(real)]).mean())


def privacy_score(real_train, synthetic, real_holdout, *, discrete_columns="auto", random_state=0):
    """Whether synthetic rows are closer to the training rows than unseen real rows are.

    For each synthetic row, its closest record among the training and the
    holdout rows is found. A model that does not memorise finds it among the
    training rows about as often as they make up the real rows,
    ``p = n_train / (n_train + n_holdout)`` (a tie between a training and a
    holdout row counts ``p``); the score is
    ``1 - max(share_in_training - p, 0) / (1 - p)`` (with halves of the same
    size, ``1 - 2 * max(share - 0.5, 0)``). Its spread from one sample to
    another is about ``sqrt(p / ((1 - p) * n_synthetic))``: a holdout much
    smaller than the training rows gives a noisy score (0.03 for 5,000
    synthetic rows at ``p = 0.84``, 0.25 for 300 rows at ``p = 0.95``).

    Parameters
    ----------
    real_train : DataFrame or ndarray
        The synthesizer's training rows.
    synthetic : DataFrame or ndarray
        Synthetic rows.
    real_holdout : DataFrame or ndarray
        Real rows the synthesizer never saw (same columns).
    discrete_columns : "auto" or list, default="auto"
        Discrete columns.
    random_state : int, RandomState or None, default=0
        Unused: every row is compared (the training and holdout rows were cut
        to the same number before, which gave copies of the rows cut away a
        good score). Kept so that calls passing it still work.

    Returns
    -------
    score : float
        In [0, 1]: 1 when synthetic rows are no closer to training rows than
        to holdout rows, 0 when every one is closest to a training row.

    Examples
    --------
    >>> from sksynth.datasets import load_adult
    >>> from sksynth.metrics import privacy_score
    >>> adult = load_adult().frame
    >>> train, holdout = adult.iloc[:1000], adult.iloc[1000:2000]
    >>> privacy_score(train, adult.iloc[2000:3000], holdout) > 0.8
    True
    >>> privacy_score(train, train.iloc[:500], holdout)  # copies of training rows
    0.0
    """
    real_train, synthetic, discrete = align(
        real_train, synthetic, discrete_columns, names=("real_train", "synthetic")
    )
    _, real_holdout, _ = align(
        real_train, real_holdout, discrete, names=("real_train", "real_holdout")
    )
    check_seed(random_state, "privacy_score's random_state")
    encoder = MetricEncoder(discrete).fit(pd.concat([real_train, real_holdout], ignore_index=True))
    query = encoder.transform(synthetic)

    def closest(rows):
        points = encoder.transform(rows)
        return _closest(NearestNeighbors(n_neighbors=1).fit(points), points, query)

    to_train, to_holdout = closest(real_train)[:, 0], closest(real_holdout)[:, 0]
    expected = len(real_train) / (len(real_train) + len(real_holdout))
    share = float(np.mean(to_train < to_holdout) + expected * np.mean(to_train == to_holdout))
    return float(1.0 - max(share - expected, 0.0) / (1.0 - expected))
