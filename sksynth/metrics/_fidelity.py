"""Fidelity metrics: column shapes, column pair trends and their mean."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from ._tables import align, as_labels, as_numbers, binned


def _ks_complement(real: np.ndarray, synthetic: np.ndarray) -> float:
    """1 - Kolmogorov-Smirnov statistic; missing values sit below every number."""
    r = np.where(np.isnan(real), -np.inf, real)
    s = np.where(np.isnan(synthetic), -np.inf, synthetic)
    r.sort()
    s.sort()
    grid = np.concatenate([r, s])
    cdf_r = np.searchsorted(r, grid, side="right") / r.size
    cdf_s = np.searchsorted(s, grid, side="right") / s.size
    return float(1.0 - np.max(np.abs(cdf_r - cdf_s)))


def _tvd_complement(real_codes: np.ndarray, synth_codes: np.ndarray, k: int) -> float:
    if k > real_codes.size + synth_codes.size:  # sparse codes (pairs of many-valued columns)
        both = np.concatenate([real_codes, synth_codes])
        both = np.unique(both, return_inverse=True)[1].reshape(-1)
        real_codes, synth_codes = both[: real_codes.size], both[real_codes.size :]
        k = int(both.max()) + 1
    p = np.bincount(real_codes, minlength=k) / real_codes.size
    q = np.bincount(synth_codes, minlength=k) / synth_codes.size
    return float(max(1.0 - 0.5 * np.abs(p - q).sum(), 0.0))


def column_shapes(real, synthetic, *, discrete_columns="auto", aggregate=True):
    """How well each column's marginal distribution is reproduced.

    Continuous columns score 1 - the Kolmogorov-Smirnov statistic, discrete
    columns 1 - the total variation distance of category frequencies. Missing
    values count as a value of their own.

    Parameters
    ----------
    real, synthetic : DataFrame or ndarray
        Tables with the same columns.
    discrete_columns : "auto" or list, default="auto"
        Discrete columns (``"auto"``: bool, category, string and object ones).
    aggregate : bool, default=True
        Return the mean score; with ``False`` a Series with one score per column.

    Returns
    -------
    score : float or Series
        In [0, 1], higher is better.

    Examples
    --------
    >>> import pandas as pd
    >>> from sksynth.metrics import column_shapes
    >>> real = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "c": ["a", "a", "b", "b"]})
    >>> synth = pd.DataFrame({"x": [1.0, 2.0, 3.0, 9.0], "c": ["a", "b", "b", "b"]})
    >>> column_shapes(real, synth, aggregate=False).round(2).to_dict()
    {'x': 0.75, 'c': 0.75}
    """
    _check_aggregate(aggregate, "column_shapes")
    real, synthetic, discrete = align(real, synthetic, discrete_columns)
    scores = {}
    for column in real.columns:
        if column in discrete:
            scores[column] = _tvd_complement(*as_labels(real[column], synthetic[column]))
        else:
            scores[column] = _ks_complement(as_numbers(real[column]), as_numbers(synthetic[column]))
    scores = pd.Series(scores, dtype=float)
    return float(scores.mean()) if aggregate else scores


def _codes(real, synthetic, discrete):
    """Each column as integer codes (continuous ones binned on the real quantiles)."""
    codes = {}
    for column in real.columns:
        if column in discrete:
            codes[column] = as_labels(real[column], synthetic[column])
        else:
            codes[column] = binned(as_numbers(real[column]), as_numbers(synthetic[column]))
    return codes


def _check_aggregate(aggregate, metric: str) -> None:
    if not isinstance(aggregate, (bool, np.bool_)):
        raise ValueError(f"{metric}'s aggregate must be True or False; got {aggregate!r}.")


def _correlations(frame: pd.DataFrame, columns) -> np.ndarray:
    """Pearson correlations of ``columns``, in their order (pairwise-complete rows)."""
    # positions, not labels: a dict keyed by tuple labels would build MultiIndex columns
    numbers = pd.DataFrame(np.column_stack([as_numbers(frame[c]) for c in columns]))
    # pandas may give 1.0000000000000007: a pair then scored -4e-16
    return np.clip(numbers.corr().to_numpy(), -1.0, 1.0)


def _complete_rows(frame: pd.DataFrame, columns) -> np.ndarray:
    """``(k, k)`` counts of the rows of ``frame`` where both of two ``columns`` are
    present, in their order (one pass over the table for every pair)."""
    # column by column: a list of tuple labels would select from a MultiIndex
    present = np.column_stack([frame[c].notna().to_numpy() for c in columns]).astype(np.float64)
    return present.T @ present


def column_pair_trends(real, synthetic, *, discrete_columns="auto", aggregate=True):
    """How well the relation of each pair of columns is reproduced.

    Two continuous columns score ``1 - |rho_real - rho_synth| / 2`` (Pearson,
    pairwise-complete rows; a correlation that cannot be computed, of a
    constant column, counts as 0). A pair with fewer than two complete rows in
    one table only scores 0 (an all-missing synthetic column has no relation
    to reproduce, where the real one had); other pairs score 1 - the total
    variation distance of their contingency tables, continuous columns binned
    at the real deciles and missing values a category of their own.

    Parameters
    ----------
    real, synthetic : DataFrame or ndarray
        Tables with the same columns.
    discrete_columns : "auto" or list, default="auto"
        Discrete columns.
    aggregate : bool, default=True
        Return the mean; with ``False`` a Series indexed by column pairs.

    Returns
    -------
    score : float or Series
        In [0, 1], higher is better (1.0 for a table of one column).

    Examples
    --------
    >>> import pandas as pd
    >>> from sksynth.metrics import column_pair_trends
    >>> real = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [1.0, 2.0, 3.0, 4.0]})
    >>> column_pair_trends(real, real.assign(y=[4.0, 3.0, 2.0, 1.0]))
    0.0
    """
    _check_aggregate(aggregate, "column_pair_trends")
    real, synthetic, discrete = align(real, synthetic, discrete_columns)
    pairs = list(combinations(real.columns, 2))
    if not pairs:
        return 1.0 if aggregate else pd.Series(dtype=float)
    continuous = [c for c in real.columns if c not in discrete]
    corr_r = corr_s = complete_r = complete_s = None
    if len(continuous) > 1:
        corr_r, corr_s = _correlations(real, continuous), _correlations(synthetic, continuous)
        complete_r = _complete_rows(real, continuous) >= 2
        complete_s = _complete_rows(synthetic, continuous) >= 2
    codes = _codes(real, synthetic, discrete)
    position = {c: k for k, c in enumerate(continuous)}
    scores = {}
    for a, b in pairs:
        if a in continuous and b in continuous:
            i, j = position[a], position[b]
            rho_r, rho_s = corr_r[i, j], corr_s[i, j]
            if complete_r[i, j] != complete_s[i, j]:
                scores[(a, b)] = 0.0
                continue
            rho_r = 0.0 if np.isnan(rho_r) else rho_r
            rho_s = 0.0 if np.isnan(rho_s) else rho_s
            scores[(a, b)] = 1.0 - abs(rho_r - rho_s) / 2.0
        else:
            ra, sa, ka = codes[a]
            rb, sb, kb = codes[b]
            scores[(a, b)] = _tvd_complement(ra * kb + rb, sa * kb + sb, ka * kb)
    scores = pd.Series(list(scores.values()), index=_pair_index(list(scores)), dtype=float)
    return float(scores.mean()) if aggregate else scores


def _pair_index(pairs: list[tuple]) -> pd.MultiIndex:
    """The two-level index of ``pairs`` of column labels, each level in the columns'
    order: built from codes, since pandas sorts the levels it infers, which fails on
    labels that do not compare (strings beside tuples in a flat index)."""
    levels, codes = [], []
    for side in (0, 1):
        labels = [pair[side] for pair in pairs]
        level = list(dict.fromkeys(labels))
        position = {label: k for k, label in enumerate(level)}
        levels.append(pd.Index(level, tupleize_cols=False))
        codes.append([position[label] for label in labels])
    return pd.MultiIndex(levels=levels, codes=codes)


def quality_score(real, synthetic, *, discrete_columns="auto"):
    """Overall fidelity: the mean of :func:`column_shapes` and :func:`column_pair_trends`.

    Parameters
    ----------
    real, synthetic : DataFrame or ndarray
        Tables with the same columns.
    discrete_columns : "auto" or list, default="auto"
        Discrete columns.

    Returns
    -------
    score : float
        In [0, 1], higher is better; 1.0 when both tables are identical. A
        table of one column has no pair: its score is the column's shape.

    Examples
    --------
    >>> from sksynth.datasets import load_adult
    >>> from sksynth.metrics import quality_score
    >>> adult = load_adult().frame
    >>> round(quality_score(adult.iloc[:5000], adult.iloc[5000:10000]), 2)
    0.98
    """
    shapes = column_shapes(real, synthetic, discrete_columns=discrete_columns)
    pairs = column_pair_trends(real, synthetic, discrete_columns=discrete_columns, aggregate=False)
    return combined_quality(shapes, pairs)


def combined_quality(shapes: float, pairs: pd.Series) -> float:
    """The mean of the shapes' and the pairs' scores; with no pair (a table of one
    column) the shapes' alone, as SDMetrics' quality report averages the properties
    it can score (a pair score of 1 for no pair lifted any one-column table to 0.5)."""
    if not len(pairs):
        return float(shapes)
    return float((shapes + float(pairs.mean())) / 2.0)
