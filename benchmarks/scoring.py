"""How the benchmark scripts score a synthetic table: fidelity, detection, TSTR.

``synthetic_scores`` is what every script that fits a model reports for its
sample; the harness (``compare.py``) adds SDMetrics' scores and train-on-real.
"""

from __future__ import annotations

import pandas as pd


def positive_class(rows: pd.DataFrame, target: str) -> str:
    """The class counted as positive: the last of ``rows[target]``'s values, as strings."""
    return sorted(rows[target].astype(str).unique())[-1]


def positive_share(rows: pd.DataFrame, train: pd.DataFrame, target: str) -> float:
    """Share of ``rows`` whose target is the training split's positive class."""
    return float((rows[target].astype(str) == positive_class(train, target)).mean())


def tstr(synthetic, train, test, target, discrete):
    """Train on synthetic, test on real, and train on real, test on real: two dicts of
    accuracy, macro-F1 and ROC AUC (``acc``, ``f1``, ``auc``) of a HistGradientBoosting
    classifier tested on ``test`` (NaN where the training rows hold a single class)."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

    def fit_score(rows):
        X = rows.drop(columns=target).copy()
        X_test = test.drop(columns=target).copy()
        for column in discrete:
            if column != target:
                categories = pd.concat([X[column], X_test[column]]).astype(str).unique()
                dtype = pd.CategoricalDtype(categories)
                X[column] = X[column].astype(str).astype(dtype)
                X_test[column] = X_test[column].astype(str).astype(dtype)
        y = rows[target].astype(str)
        if y.nunique() < 2:
            return {"acc": float("nan"), "f1": float("nan"), "auc": float("nan")}
        clf = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0)
        clf.fit(X, y)
        y_test = test[target].astype(str)
        positive = positive_class(test, target)
        proba = clf.predict_proba(X_test)[:, list(clf.classes_).index(positive)]
        predicted = clf.predict(X_test)
        return {
            "acc": accuracy_score(y_test, predicted),
            "f1": f1_score(y_test, predicted, average="macro"),
            "auc": roc_auc_score(y_test == positive, proba),
        }

    return fit_score(synthetic), fit_score(train)


def synthetic_scores(synthetic, train, test, target, discrete, reference=None) -> dict:
    """A synthetic table's ``quality`` and ``detection`` against ``reference`` (the
    training rows unless given), its positive ``share`` and its TSTR ``acc``, ``f1``
    and ``auc``."""
    from sksynth.metrics import detection_score, quality_score

    reference = train if reference is None else reference
    return {
        "quality": quality_score(reference, synthetic, discrete_columns=discrete),
        "detection": detection_score(reference, synthetic, discrete_columns=discrete),
        "share": positive_share(synthetic, train, target),
        **tstr(synthetic, train, test, target, discrete)[0],
    }


def sdmetrics_scores(real, synthetic, discrete):
    """SDMetrics' QualityReport (score, shapes, pairs) and LogisticDetection."""
    from sdmetrics.reports.single_table import QualityReport
    from sdmetrics.single_table import LogisticDetection

    metadata = {
        "columns": {
            c: {"sdtype": "categorical" if c in discrete else "numerical"} for c in real.columns
        }
    }
    report = QualityReport()
    report.generate(real, synthetic, metadata, verbose=False)
    properties = report.get_properties().set_index("Property")["Score"]
    return {
        "sdm_quality": report.get_score(),
        "sdm_shapes": properties["Column Shapes"],
        "sdm_pairs": properties["Column Pair Trends"],
        "sdm_detection": LogisticDetection.compute(real, synthetic, metadata),
    }
