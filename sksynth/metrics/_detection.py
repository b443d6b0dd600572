"""Detection: can a classifier tell real rows from synthetic ones?"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from ..utils._checks import check_seed
from ._encoding import MetricEncoder
from ._tables import align
from ._utility import seeded_clone


def detection_score(
    real, synthetic, *, discrete_columns="auto", estimator=None, cv=3, random_state=0
):
    """How hard it is to tell synthetic rows from real ones: 1 at chance, 0 when separable.

    Real rows are labelled 0 and synthetic rows 1; a classifier predicts the
    label under stratified cross-validation, and the score is
    ``1 - 2 * max(AUC - 0.5, 0)`` of its out-of-fold ROC AUC.

    Parameters
    ----------
    real, synthetic : DataFrame or ndarray
        Tables with the same columns.
    discrete_columns : "auto" or list, default="auto"
        Discrete columns (``"auto"``: bool, category, string and object ones).
    estimator : classifier, default=None
        Fitted on the encoded table (standardised numbers, one-hot
        categories); needs ``predict_proba`` or ``decision_function``.
        ``None`` uses ``LogisticRegression(max_iter=1000)``.
    cv : int, default=3
        Number of stratified folds.
    random_state : int, RandomState or None, default=0
        Seeds the folds, and ``estimator`` where its ``random_state`` is
        ``None``, its own and those of the estimators inside it (a pipeline's
        steps), so that the score is the same on every call.

    Returns
    -------
    score : float
        In [0, 1], higher is better.

    Examples
    --------
    >>> from sksynth.datasets import load_adult
    >>> from sksynth.metrics import detection_score
    >>> adult = load_adult().frame
    >>> detection_score(adult.iloc[:2000], adult.iloc[2000:4000]) > 0.9
    True
    >>> shifted = adult.iloc[2000:4000].assign(age=lambda d: d["age"] + 20)
    >>> detection_score(adult.iloc[:2000], shifted) < 0.2
    True
    """
    if isinstance(cv, bool) or not isinstance(cv, (int, np.integer)) or cv < 2:
        raise ValueError(
            f"detection_score's cv must be an int of at least 2, the number of stratified "
            f"folds; got {cv!r}."
        )
    if estimator is not None and not (
        hasattr(estimator, "fit")
        and (hasattr(estimator, "predict_proba") or hasattr(estimator, "decision_function"))
    ):
        raise ValueError(
            "detection_score's estimator must be a classifier with predict_proba or "
            f"decision_function; got {estimator!r}."
        )
    random_state = check_seed(random_state, "detection_score's random_state")
    real, synthetic, discrete = align(real, synthetic, discrete_columns)
    for name, table in (("real", real), ("synthetic", synthetic)):
        if len(table) < cv:
            raise ValueError(
                f"detection_score cross-validates in cv={cv} folds, so each table needs at "
                f"least {cv} rows; the {name} table has {len(table)}."
            )
    both = pd.concat([real, synthetic], ignore_index=True)
    # sparse for identifier-like columns, unless the estimator is the caller's own
    X = MetricEncoder(discrete, sparse_output="auto" if estimator is None else False)
    X = X.fit_transform(both)
    y = np.r_[np.zeros(len(real)), np.ones(len(synthetic))]
    estimator = LogisticRegression(max_iter=1000) if estimator is None else estimator
    estimator = seeded_clone(estimator, random_state)
    folds = StratifiedKFold(n_splits=cv, shuffle=True, random_state=random_state)
    method = "predict_proba" if hasattr(estimator, "predict_proba") else "decision_function"
    scores = cross_val_predict(estimator, X, y, cv=folds, method=method)
    if scores.ndim == 2:
        scores = scores[:, 1]
    auc = roc_auc_score(y, scores)
    return float(2.0 * (1.0 - max(auc, 0.5)))  # 1 - 2 * max(AUC - 0.5, 0), exact at 0
