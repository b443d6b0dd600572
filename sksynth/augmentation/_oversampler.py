"""``SyntheticOverSampler``: grow classes with rows from a label-conditional synthesizer."""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, InvalidParameterError, StrOptions
from sklearn.utils._tags import InputTags, Tags
from sklearn.utils.multiclass import type_of_target

from ..preprocessing._validation import validate_table
from ..synthesizers import VAESynthesizer
from ..synthesizers._base import BaseSynthesizer
from ..utils._checks import refuse_bool_numbers
from ..utils._fitting import unfitted_on_error
from ._strategy import STRATEGIES, resolve_strategy

#: Fewest rows a class must have for the synthesizer to learn it and grow it.
MIN_CLASS_ROWS = 5


@dataclass
class SamplerTags:
    """imbalanced-learn's sampler tags, declared without importing imbalanced-learn."""

    sample_indices: bool = False


@dataclass(slots=True)
class _SamplerTags(Tags):
    sampler_tags: SamplerTags = field(default_factory=SamplerTags)


@dataclass(slots=True)
class _SamplerInputTags(InputTags):
    dataframe: bool = True  # imbalanced-learn's tag: DataFrames in, DataFrames out


def _labels_of(y):
    """1-D labels of ``y`` and a function giving new labels ``y``'s own form."""
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise ValueError("Multilabel and multioutput targets are not supported.")
        column = y.columns[0]
        labels, back = _labels_of(y[column])
        return labels, lambda out: back(out).to_frame(column)
    if isinstance(y, pd.Series):
        values = y.reset_index(drop=True)
        return values, lambda out: pd.concat(
            [values, pd.Series(out, name=y.name)], ignore_index=True
        )
    as_list = isinstance(y, list)
    array = np.asarray(y)
    if array.ndim == 2 and array.shape[1] == 1:  # a column vector: 1-D labels, as imblearn
        return _labels_of(array[:, 0])
    if array.ndim == 2:
        if type_of_target(array) != "multilabel-indicator" or (array.sum(axis=1) != 1).any():
            raise ValueError("Multilabel and multioutput targets are not supported.")
        # one-vs-all indicator rows: the label is the hot column
        labels = array.argmax(axis=1)

        def back(out):
            extra = np.zeros((len(out), array.shape[1]), dtype=array.dtype)
            extra[np.arange(len(out)), np.asarray(out, dtype=np.int64)] = 1
            return np.concatenate([array, extra])

        return labels, back
    if array.ndim != 1:
        raise ValueError(f"y must be 1-D; got an array of shape {array.shape}.")

    def back_1d(out):
        joined = np.concatenate([array, np.asarray(out, dtype=array.dtype)])
        return joined.tolist() if as_list else joined

    return array, back_1d


class SyntheticOverSampler(OneToOneFeatureMixin, BaseEstimator):
    """Over-sample classes with rows drawn from a label-conditional synthesizer.

    A clone of ``synthesizer`` is fitted on ``(X, y)``, so it learns each
    class's rows; ``fit_resample`` then returns the original rows followed by
    synthetic rows of the classes to grow, each drawn with its label fixed
    (``synthesizer.sample(n, y=labels)``). ``sampling_strategy`` has
    imbalanced-learn's meanings, and the sampler works as a step of
    ``imblearn.pipeline.Pipeline`` (resampling at fit time only). Neither
    importing it nor calling ``fit_resample`` needs imbalanced-learn.

    Parameters
    ----------
    synthesizer : GANSynthesizer or VAESynthesizer, default=None
        The model to draw rows from; it is cloned and the clone is trained on
        the rows given to ``fit_resample`` (an earlier fit of ``synthesizer``
        is not used, and ``synthesizer`` is never changed). ``None`` uses
        ``VAESynthesizer()``.
    sampling_strategy : float, str, dict or callable, default="auto"
        Which classes to grow and to how many rows:

        - ``"auto"`` or ``"not majority"``: every class but the majority, to
          the majority's count; ``"minority"``: the smallest class only;
          ``"not minority"``: every class but the smallest (ties: the first
          class in sorted order, as in imbalanced-learn); ``"all"``: every
          class (the majority gets no new rows).
        - float in (0, 1] (binary ``y`` only): the minority is grown to that
          fraction of the majority's count; a fraction that adds no rows is
          an error, as in imbalanced-learn.
        - dict ``{class: rows wanted}`` (at least the class's current count).
        - callable ``f(y) -> dict`` of the same form.
    random_state : int, RandomState instance or None, default=None
        Seeds the synthesizer (when its own ``random_state`` is ``None``) and
        the draw of synthetic rows. ``None`` draws those seeds from numpy's
        global random state, as imbalanced-learn's samplers do.

    Attributes
    ----------
    sampling_strategy_ : dict
        ``{class: number of synthetic rows added}``, in sorted class order.
    synthesizer_ : GANSynthesizer, VAESynthesizer or None
        The fitted clone of ``synthesizer``, set by ``fit_resample``; ``None``
        when no class needed rows (no model is trained then).
    n_features_in_ : int
        Number of columns of ``X``.
    feature_names_in_ : ndarray of str
        Column names of ``X``, when it was a DataFrame with string names.

    See Also
    --------
    VAESynthesizer.sample : How rows of one label are drawn.

    Examples
    --------
    >>> from sksynth import SyntheticOverSampler, VAESynthesizer
    >>> from sksynth.datasets import load_adult
    >>> X, y = load_adult(return_X_y=True)
    >>> X, y = X[:600], y[:600]
    >>> sampler = SyntheticOverSampler(VAESynthesizer(epochs=2), random_state=0)
    >>> X_res, y_res = sampler.fit_resample(X, y)
    >>> y.value_counts().to_dict()
    {'<=50K': 466, '>50K': 134}
    >>> y_res.value_counts().to_dict()
    {'<=50K': 466, '>50K': 466}
    >>> X_res.dtypes.equals(X.dtypes)
    True
    """

    _parameter_constraints: dict = {
        "synthesizer": "no_validation",  # checked in _fit, naming what it must be
        "sampling_strategy": [
            Interval(Real, 0, 1, closed="right"),
            StrOptions(set(STRATEGIES)),
            dict,
            callable,
        ],
        "random_state": ["random_state"],
    }

    # imbalanced-learn's samplers declare their kind (its ensembles read it)
    _sampling_type = "over-sampling"

    def __init__(self, synthesizer=None, *, sampling_strategy="auto", random_state=None):
        self.synthesizer = synthesizer
        self.sampling_strategy = sampling_strategy
        self.random_state = random_state

    def _check_labels(self, X, y):
        if y is None:
            raise ValueError(
                "SyntheticOverSampler requires y to be passed, but the target y is None: "
                "it needs the class labels to balance."
            )
        labels, back = _labels_of(y)
        missing = pd.isna(pd.Series(labels)).to_numpy()
        if missing.any():
            rows = np.flatnonzero(missing)[:5].tolist()
            raise ValueError(f"y has missing labels (rows {rows}); every row needs a class.")
        kind = type_of_target(np.asarray(labels), input_name="y")
        if kind not in ("binary", "multiclass"):
            raise ValueError(f"Unknown label type: {kind!r}; y must hold class labels.")
        if len(labels) != len(X):
            raise ValueError(f"X has {len(X)} rows but y has {len(labels)} labels.")
        return labels, back

    @unfitted_on_error()
    def fit(self, X, y):
        """Check the data and set ``sampling_strategy_``; does not resample.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The table.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : object
            The sampler with ``sampling_strategy_`` set.
        """
        self._fit(X, y)
        return self

    def _fit(self, X, y):
        """Validate ``X`` and ``y`` once, set ``sampling_strategy_``; return them checked."""
        self._validate_params()
        refuse_bool_numbers(self)  # sampling_strategy=True meant "all"
        if not (self.synthesizer is None or isinstance(self.synthesizer, BaseSynthesizer)):
            what = self.synthesizer
            got = f"the class {what.__name__}" if isinstance(what, type) else repr(what)
            raise InvalidParameterError(
                "The 'synthesizer' parameter of SyntheticOverSampler must be a "
                f"GANSynthesizer or VAESynthesizer instance, or None; got {got}."
            )
        X = validate_table(self, X, reset=True)
        labels, back = self._check_labels(X, y)
        values = np.asarray(labels)
        if len(np.unique(values)) < 2:
            raise ValueError(
                f"y has one class ({values[:1].tolist()[0]!r}); a sampler needs at least two "
                "classes to balance."
            )
        self.sampling_strategy_ = resolve_strategy(self.sampling_strategy, values)
        counts = pd.Series(values).value_counts()
        for label, n_new in self.sampling_strategy_.items():
            n_rows = int(counts[label])
            if n_new and n_rows < MIN_CLASS_ROWS:
                raise ValueError(
                    f"Class {label!r} has {n_rows} row{'s' * (n_rows != 1)}; "
                    "SyntheticOverSampler needs "
                    f"at least {MIN_CLASS_ROWS} rows of a class to learn it and grow it."
                )
        return X, labels, back

    @unfitted_on_error()
    def fit_resample(self, X, y):
        """Fit the synthesizer on ``(X, y)`` and return the data with synthetic rows added.

        Parameters
        ----------
        X : DataFrame, ndarray or list of shape (n_samples, n_features)
            The table (any column types the synthesizers take).
        y : array-like of shape (n_samples,)
            Class labels (a Series, array, list, or one-vs-all indicator rows).

        Returns
        -------
        X_resampled : same type as X
            The original rows, then the synthetic rows (same columns and dtypes).
        y_resampled : same type as y
            Their labels (a column vector ``y`` comes back 1-D, as from
            imbalanced-learn's samplers).
        """
        as_list = isinstance(X, list)
        X, labels, back = self._fit(X, y)
        rng = check_random_state(self.random_state)
        strategy = self.sampling_strategy_
        classes = np.asarray(list(strategy), dtype=np.asarray(labels).dtype)
        y_wanted = np.repeat(classes, list(strategy.values()))
        if not len(y_wanted):  # nothing to add (a balanced fold): no model to train
            self.synthesizer_ = None
            X_new, y_new = X[:0], labels[:0]
        else:
            synthesizer = VAESynthesizer() if self.synthesizer is None else clone(self.synthesizer)
            if synthesizer.get_params().get("random_state", 0) is None:
                synthesizer.set_params(random_state=int(rng.randint(2**31 - 1)))
            self.synthesizer_ = synthesizer.fit(X, labels)
            X_new, y_new = synthesizer.sample(
                len(y_wanted), y=y_wanted, random_state=int(rng.randint(2**31 - 1))
            )
        if isinstance(X, pd.DataFrame):
            X_res = pd.concat([X, X_new], ignore_index=True)
        else:
            X_res = np.concatenate([X, np.asarray(X_new, dtype=X.dtype)])
            X_res = X_res.tolist() if as_list else X_res
        return X_res, back(y_new)

    def __sklearn_tags__(self):
        base = super().__sklearn_tags__()
        tags = _SamplerTags(**{name: getattr(base, name) for name in base.__dataclass_fields__})
        tags.estimator_type = "sampler"
        tags.target_tags.required = True
        tags.input_tags = _SamplerInputTags(
            **{name: getattr(base.input_tags, name) for name in InputTags.__dataclass_fields__}
        )
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        return tags
