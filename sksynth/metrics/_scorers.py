"""Scorers for model selection: ``scorer(estimator, X, y=None)`` on a fitted synthesizer.

Each draws ``len(X)`` rows from the synthesizer with a fixed seed and compares
them with the real rows ``X`` (and ``y``, joined as one more column, when the
synthesizer was fitted with a target), so ``GridSearchCV`` can rank
synthesizers by any of these scores. A ``Pipeline`` whose last step is a
synthesizer is scored as its ``score`` does: ``X`` goes through the steps
before it, and the synthesizer's rows are compared with what comes out; a
fitted search (``GridSearchCV``) is scored by its ``best_estimator_``.
"""

from __future__ import annotations

import numpy as np
from sklearn.pipeline import Pipeline

from ..preprocessing._columns import as_frame, free_label
from ..preprocessing._target import target_values
from ._detection import detection_score
from ._fidelity import column_pair_trends, column_shapes, quality_score
from ._utility import tstr_score

#: Seed of the synthetic sample every scorer (and ``score``) draws.
SCORER_SEED = 0
#: The frames' attribute naming the joined target column (``y``, unless X has one)
_TARGET_ATTR = "sksynth_target"


def _tables(estimator, X, y):
    """Real and synthetic DataFrames (target joined when fitted with one) and discrete columns.

    ``X`` is checked as ``score`` checks it (feature names, count and kinds), and its
    columns take the labels seen in ``fit``.
    """
    steps, last = [], estimator
    while isinstance(last, Pipeline) or hasattr(last, "best_estimator_"):
        if isinstance(last, Pipeline):  # pipelines in pipelines too
            if len(last) > 1:  # a one-step pipeline transforms nothing
                steps.append(last[:-1])
            last = last._final_estimator
        else:  # a fitted search: its best model, as its score does
            last = last.best_estimator_
    if hasattr(last, "sample"):
        for head in steps:
            X = head.transform(X)
        estimator = last
    if not hasattr(estimator, "sample"):
        raise TypeError(
            f"sksynth scorers score a fitted synthesizer; got {type(estimator).__name__}, "
            "which has no sample method."
        )
    real = estimator._real_rows(X)
    real.columns = list(estimator._container.columns)
    synthetic = estimator.sample(len(real), random_state=SCORER_SEED)
    discrete = list(estimator.discrete_columns_)
    if isinstance(synthetic, tuple):
        synthetic, y_synth = synthetic
        synthetic, _ = as_frame(synthetic)
        if y is not None:
            # as score takes it: 1-D (a column vector is ravelled), one label per row
            y = target_values(y, len(real))
            target = free_label(real.columns)  # y, as score's errors call it
            real, synthetic = real.copy(), synthetic.copy()
            real[target], synthetic[target] = np.asarray(y), np.asarray(y_synth)
            real.attrs[_TARGET_ATTR] = target
            if hasattr(estimator, "classes_"):
                discrete.append(target)
    else:
        synthetic, _ = as_frame(synthetic)
    synthetic.columns = real.columns
    return real, synthetic, discrete


class SynthesizerScorer:
    """A scikit-learn scorer for synthesizers; call as ``scorer(estimator, X, y=None)``.

    Parameters
    ----------
    name : str
        The score's name (shown in ``repr``).
    score_func : callable
        ``score_func(real, synthetic, discrete_columns)`` returning a float.

    Examples
    --------
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sksynth import VAESynthesizer
    >>> from sksynth.datasets import load_adult
    >>> from sksynth.metrics import detection_scorer, quality_scorer
    >>> X = load_adult().frame.iloc[:400]
    >>> search = GridSearchCV(
    ...     VAESynthesizer(epochs=2, random_state=0), {"latent_dim": [4, 8]}, cv=2,
    ...     scoring={"quality": quality_scorer, "detection": detection_scorer},
    ...     refit="quality",
    ... ).fit(X)
    >>> sorted(search.best_params_)
    ['latent_dim']
    >>> quality_scorer(search.best_estimator_, X) == search.best_estimator_.score(X)
    True
    """

    def __init__(self, name, score_func):
        self.name = name
        self.score_func = score_func

    def __call__(self, estimator, X, y=None):
        real, synthetic, discrete = _tables(estimator, X, y)
        return float(self.score_func(real, synthetic, discrete))

    def __repr__(self):
        return f"<sksynth scorer {self.name}>"


def _tstr(real, synthetic, discrete):
    if _TARGET_ATTR not in real.attrs:
        raise ValueError(
            "tstr_scorer needs a synthesizer fitted with y and y passed to the scorer "
            "(GridSearchCV(...).fit(X, y))."
        )
    return tstr_score(real, synthetic, real.attrs[_TARGET_ATTR], discrete_columns=discrete)


def _quality(real, synthetic, discrete):
    return quality_score(real, synthetic, discrete_columns=discrete)


def _column_shapes(real, synthetic, discrete):
    return column_shapes(real, synthetic, discrete_columns=discrete)


def _column_pair_trends(real, synthetic, discrete):
    return column_pair_trends(real, synthetic, discrete_columns=discrete)


def _detection(real, synthetic, discrete):
    return detection_score(real, synthetic, discrete_columns=discrete)


# module-level functions, not lambdas, so that the scorers (and searches holding them) pickle
quality_scorer = SynthesizerScorer("quality_score", _quality)  # the value of ``score``
column_shapes_scorer = SynthesizerScorer("column_shapes", _column_shapes)
column_pair_trends_scorer = SynthesizerScorer("column_pair_trends", _column_pair_trends)
detection_scorer = SynthesizerScorer("detection_score", _detection)
tstr_scorer = SynthesizerScorer("tstr_score", _tstr)
