"""Utility: does a model trained on synthetic rows work on real ones?"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import check_scoring, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.utils.multiclass import type_of_target

from ..utils._checks import check_seed
from ._encoding import _DENSE_CELLS, MetricEncoder
from ._tables import align


def check_target(target, columns) -> None:
    """Refuse a ``target`` that is no label of one of ``columns``."""
    if not pd.api.types.is_hashable(target):
        raise ValueError(f"target must be one column label; got {target!r}.")
    if target not in columns:
        raise ValueError(f"target {target!r} is not a column of the tables.")


def _split(frame: pd.DataFrame, target):
    check_target(target, frame.columns)
    if frame.shape[1] < 2:
        raise ValueError(
            f"the tables have no column besides the target {target!r}: nothing to predict it from."
        )
    return frame.drop(columns=target), frame[target]


def seeded_clone(estimator, random_state: int):
    """A clone of ``estimator`` whose ``random_state`` parameters left None, its own and
    those of the estimators inside it (a pipeline's steps), are set to
    ``random_state``: the same score on every call."""
    estimator = clone(estimator)
    unset = {
        name: random_state
        for name, value in estimator.get_params(deep=True).items()
        if value is None and (name == "random_state" or name.endswith("__random_state"))
    }
    if unset:
        estimator.set_params(**unset)
    return estimator


def _check_estimator_kind(estimator, target, classification: bool) -> None:
    """Refuse a regressor for a discrete target and a classifier for a numeric one."""
    if classification and is_regressor(estimator):
        raise ValueError(
            f"target {target!r} is discrete (classes), but the estimator {estimator!r} is a "
            "regressor; pass a classifier, or leave the target out of discrete_columns."
        )
    if not classification and is_classifier(estimator):
        raise ValueError(
            f"target {target!r} is numeric, but the estimator {estimator!r} is a "
            "classifier; list the target in discrete_columns to score its classes."
        )


def _roc_auc(model, X_test, y_test: np.ndarray) -> float:
    """ROC AUC of ``model`` on the test rows (from ``predict_proba``, else
    ``decision_function``): of the greater label's score for two
    test classes, else the mean one-vs-rest AUC over the test classes (scikit-learn's
    ``"roc_auc"`` and ``"roc_auc_ovr"`` when the model knows the same classes). A test
    class the model never saw (a synthetic table without it) counts 0.5, chance; classes
    the test rows lack are left out. Of two test classes, the one the model knows is
    scored when it never saw the other (the same AUC as the other's would be)."""
    present = np.unique(y_test)
    if len(present) < 2:
        label = present[0].item() if isinstance(present[0], np.generic) else present[0]
        raise ValueError(
            f"The test table holds a single class of the target ({label!r}), so ROC "
            "AUC is undefined; give test rows of several classes, or another scoring."
        )
    if hasattr(model, "predict_proba"):
        scores = model.predict_proba(X_test)
    else:  # a classifier with decision_function only (LinearSVC, RidgeClassifier)
        scores = model.decision_function(X_test)
        if scores.ndim == 1:  # two classes: the score of the second
            scores = np.column_stack([-scores, scores])
    column = {label: k for k, label in enumerate(model.classes_)}

    def one_vs_rest(label) -> float:
        k = column.get(label)
        return 0.5 if k is None else float(roc_auc_score(y_test == label, scores[:, k]))

    if len(present) == 2:
        known = present[1] if present[1] in column else present[0]
        return one_vs_rest(known)
    return float(np.mean([one_vs_rest(label) for label in present]))


def _check_dense_width(encoder: MetricEncoder, n_rows: int) -> None:
    """Refuse identifier-like discrete features (over 1,000 values) of a fitted
    ``encoder`` whose one-hot blocks would make the dense matrix tstr_score trains on
    pass ``_DENSE_CELLS`` cells."""
    widths = {c: len(s[1]) for c, s in encoder.stats_.items() if s[0] == "discrete"}
    wide = {c: k for c, k in sorted(widths.items(), key=lambda item: -item[1]) if k > 1000}
    if not wide or n_rows * sum(widths.values()) <= _DENSE_CELLS:
        return
    raise ValueError(
        f"The discrete columns {dict(list(wide.items())[:3])} (distinct values) look like "
        f"identifiers: their one-hot blocks make the matrix tstr_score trains on "
        f"{n_rows} rows x {encoder.n_outputs_} columns. Drop identifier columns."
    )


def _check_target_present(y: pd.Series, table: str) -> None:
    missing = int(y.isna().sum())
    if missing:
        raise ValueError(
            f"{table} has {missing} missing values in target {y.name!r}; a model needs a "
            "target on every row."
        )


def _class_labels(y_train: pd.Series, y_test: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Class labels as scikit-learn reads them: in one plain numpy dtype (ints, bools,
    strings) whatever pandas dtype held them, or, for labels it would not read as
    classes (fractional numbers, ints mixed with strings), as codes shared by both, in
    the labels' sorted order (by their text where they do not sort), so that the
    greater label is the positive class whatever the rows' order."""
    train, test = (
        pd.Series(y.to_numpy(dtype=object)).infer_objects().to_numpy() for y in (y_train, y_test)
    )
    try:
        kind = type_of_target(np.concatenate([train, test]))
    except (TypeError, ValueError):  # ints and strings, say
        kind = "unknown"
    if kind in ("binary", "multiclass"):
        return train, test
    both = pd.concat([y_train, y_test], ignore_index=True).astype(object)
    labels = list(pd.unique(both))
    try:
        labels.sort()
    except TypeError:  # ints and strings
        labels.sort(key=str)
    codes = pd.Index(labels, dtype=object).get_indexer(both)
    return codes[: len(train)], codes[len(train) :]


def train_and_score(
    train, test, target, discrete, estimator, scoring, names=("training", "test"), seed=0
) -> float:
    """Fit ``estimator`` (after the metric encoding; seeded with ``seed`` when its
    ``random_state`` is None) on ``train`` and score it on ``test``; errors call the
    tables ``names``."""
    X_train, y_train = _split(train, target)
    X_test, y_test = _split(test, target)
    features = [c for c in discrete if c != target]
    classification = target in discrete  # as the synthesizers see it: ints are numbers
    _check_target_present(y_train, names[0])
    _check_target_present(y_test, names[1])
    if classification:
        y_train, y_test = _class_labels(y_train, y_test)
        if len(pd.unique(y_train)) < 2:
            raise ValueError(
                f"{names[0]} has a single value of target {target!r}; a classifier needs "
                "at least two classes."
            )
    encoder = MetricEncoder(features, sparse_output=False).fit(X_train)
    _check_dense_width(encoder, len(X_train))
    if estimator is None:
        estimator = (
            HistGradientBoostingClassifier(random_state=0)
            if classification
            else HistGradientBoostingRegressor(random_state=0)
        )
    _check_estimator_kind(estimator, target, classification)
    # the encoder is fitted once: the pipeline only applies it to the test rows
    fitted = seeded_clone(estimator, seed).fit(encoder.transform(X_train), y_train)
    model = make_pipeline(encoder, fitted)
    if scoring is None and classification:
        return _roc_auc(model, X_test, y_test)
    if scoring is None:
        return float(max(check_scoring(model, "r2")(model, X_test, y_test), 0.0))
    return float(check_scoring(model, scoring)(model, X_test, y_test))


def tstr_score(
    real_test,
    synthetic,
    target,
    *,
    estimator=None,
    scoring=None,
    real_train=None,
    discrete_columns="auto",
    random_state=0,
):
    """Train on synthetic, test on real: the utility of a synthetic table for a task.

    ``estimator`` is trained on the synthetic rows to predict ``target`` and
    scored on ``real_test``. With ``real_train``, the same estimator trained on
    the real training rows is scored too, the reference to compare with.

    Like every function of :mod:`sksynth.metrics`, it takes the real table
    first: here the real rows to test on, then the synthetic rows to train on.

    Parameters
    ----------
    real_test : DataFrame or ndarray
        Real rows the synthesizer never saw, ``target`` among their columns.
    synthetic : DataFrame or ndarray
        Synthetic rows, with the same columns.
    target : column label
        The column to predict.
    estimator : estimator, default=None
        Trained on the encoded features (standardised numbers, one-hot
        categories). ``None``: ``HistGradientBoostingClassifier`` for a
        discrete target (see ``discrete_columns``),
        ``HistGradientBoostingRegressor`` for a numeric one.
    scoring : str or callable, default=None
        A scikit-learn scoring. ``None``: ROC AUC for two classes, one-vs-rest
        ROC AUC for more, ``max(R^2, 0)`` for a numeric target.
    real_train : DataFrame or ndarray, default=None
        Real training rows; when given, the train-on-real score is returned too.
    discrete_columns : "auto" or list, default="auto"
        Discrete columns; the target is a class label when it is one of them
        (``"auto"``: non-numeric columns), else a number (an int-coded class
        target such as 0/1 is scored as a regression unless listed).
    random_state : int, RandomState or None, default=0
        Seeds ``estimator`` where its ``random_state`` is None, its own and
        those of the estimators inside it (a pipeline's steps): the same
        score on every call.

    Returns
    -------
    score : float or Series
        The train-on-synthetic score; with ``real_train`` a Series with
        ``"synthetic"`` and ``"real"`` (train-on-real) entries.

    Examples
    --------
    >>> from sksynth.datasets import load_adult
    >>> from sksynth.metrics import tstr_score
    >>> adult = load_adult().frame
    >>> train, test = adult.iloc[:3000], adult.iloc[3000:4500]
    >>> scores = tstr_score(test, train, "income", real_train=train)  # train as "synthetic"
    >>> bool(scores["synthetic"] == scores["real"]), bool(scores["real"] > 0.8)
    (True, True)
    """
    seed = check_seed(random_state, "tstr_score's random_state")
    real_test, synthetic, discrete = align(
        real_test, synthetic, discrete_columns, names=("real_test", "synthetic")
    )
    score = train_and_score(
        synthetic, real_test, target, discrete, estimator, scoring, ("synthetic", "real_test"), seed
    )
    if real_train is None:
        return score
    real_train = align(real_test, real_train, discrete, names=("real_test", "real_train"))[1]
    names = ("real_train", "real_test")
    reference = train_and_score(
        real_train, real_test, target, discrete, estimator, scoring, names, seed
    )
    return pd.Series({"synthetic": score, "real": reference}, name="tstr", dtype=np.float64)
