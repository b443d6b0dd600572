"""``TableTransformer``: the reversible encoder between a user's table and the networks."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_is_fitted,
    check_random_state,
)

from ..utils._checks import refuse_bool_numbers
from ..utils._fitting import unfitted_on_error
from ._columns import (
    TARGET_COLUMN,
    as_frame,
    check_same_kind,
    check_supported,
    column_labels,
    from_float,
    is_discrete_by_default,
    is_numeric,
    to_float,
)
from ._continuous import ContinuousEncoder
from ._discrete import DiscreteEncoder
from ._spans import Span
from ._validation import check_encoded, validate_table
from ._warnings import (
    holds_numbers,
    warn_identifier,
    warn_inexact,
    warn_numbers_as_categories,
)


def resolve_discrete_columns(frame: pd.DataFrame, discrete_columns) -> list[Any]:
    """Column labels that are discrete, from ``"auto"`` or a list of names or indices."""
    columns = list(frame.columns)
    if isinstance(discrete_columns, str) and discrete_columns == "auto":
        chosen = [c for c in columns if is_discrete_by_default(frame[c].dtype)]
        warn_numbers_as_categories(frame, chosen)
        return chosen
    chosen, unknown = column_labels(discrete_columns, columns)
    if unknown:
        raise ValueError(
            f"discrete_columns names {unknown[0]!r}, which is not a column of X; the columns "
            f"are {columns[:20]}{'...' if len(columns) > 20 else ''}."
        )
    repeated = next((c for k, c in enumerate(chosen) if c in chosen[:k]), None)
    if repeated is not None:  # by name twice, or by name and position
        raise ValueError(
            f"discrete_columns names column {repeated!r} more than once (by its name or its "
            "position); list each column once."
        )
    for c in columns:
        if c not in chosen and not is_numeric(frame[c].dtype):
            numbers = frame[c].dtype == object and holds_numbers(frame[c])
            raise ValueError(
                f"Column {c!r} of dtype {frame[c].dtype} is not numeric, so it cannot be "
                "continuous: add it to discrete_columns (or use discrete_columns='auto')"
                + (
                    "; it holds numbers: give it a numeric dtype (pass an object array's "
                    "table as a DataFrame with its dtypes) to model it as a number."
                    if numbers
                    else "."
                )
            )
    return [c for c in columns if c in chosen]


def _layout(columns, encoders: dict) -> tuple[list[Span], int]:
    """The output spans of fitted ``encoders`` over ``columns``, and the output width."""
    spans, start = [], 0
    for name in columns:
        spans.extend(_column_spans(name, encoders[name], start))
        start = spans[-1].stop
    return spans, start


def _column_spans(name, encoder, start: int) -> list[Span]:
    """The output spans of one fitted column's encoder, from output column ``start``."""
    if isinstance(encoder, DiscreteEncoder):
        return [Span(name, "category", start, start + encoder.n_outputs)]
    spans = [
        Span(name, "scalar", start, start + 1),
        Span(name, "mode", start + 1, start + 1 + encoder.n_outputs),
    ]
    start += 1 + encoder.n_outputs
    if encoder.has_missing:
        spans.append(Span(name, "missing", start, start + 2))
        start += 2
    for _ in encoder.residual_scales_:
        spans.append(Span(name, "residual", start, start + 1))
        start += 1
    return spans


class TableTransformer(TransformerMixin, BaseEstimator):
    """Reversible mixed-type encoder from a table to a float32 matrix.

    Continuous columns get mode-specific normalisation: a variational Gaussian
    mixture per column, each value encoded as its mode's one-hot plus a scalar
    within the mode. Values that fill a large share of a column (such as zeros)
    are atoms, restored exactly; decoded values stay within the observed range.
    Discrete columns are one-hot encoded, missing values being a category.
    Missing values of continuous columns get a ``[present, missing]`` block.
    An int, datetime or duration column too wide for a float32 scalar to restore exactly
    (values more than ``2**22`` steps from their mode's mean, such as times to
    the second over years) also gets one or two ``residual`` columns, so that it
    still round-trips exactly (up to ``2**53`` steps between its extremes).

    Parameters
    ----------
    discrete_columns : "auto" or list of str or int, default="auto"
        ``"auto"`` makes bool, category, string and object columns discrete and
        numbers, datetimes and durations continuous (an object column of over 50 distinct
        numbers, as ``df.to_numpy()`` of a mixed table makes, warns). A list of
        column names (or positions) replaces the inference; non-numeric columns
        must be in it.
    n_modes : int, default=10
        Maximum number of Gaussian modes per continuous column.
    atom_threshold : float, default=0.05
        A value repeated in at least this share of a continuous column's
        observed rows is modelled as an atom. Use ``1.0`` (and
        ``max_exact_values=0``) to disable atoms.
    max_exact_values : int, default=0
        An int, datetime or duration column with at most this many distinct values
        (a rating, a count, a code) is modelled value by value: each value
        seen more than once is an atom, whatever its share (one seen once is
        left to the Gaussian modes, so it is not copied). When every value is
        an atom (of at least two values), one more mode, fitted on them all,
        encodes values ``fit`` never saw (in ``transform``), and decodes to the
        nearest value seen: samples hold only values seen. A column of one
        value has no such mode: ``transform`` refuses other values. ``0`` leaves such columns to
        ``atom_threshold``. Both synthesizers use 0. With 25 the VAE's
        detection score rose (100 epochs, medians of five seeds, against
        held-out rows: 0.859 to 0.926 on Adult, 0.928 to 0.973 on credit
        default, ``docs/benchmarks_exact_values.md``), but at 300 epochs its
        train-on-synthetic scores fell (macro-F1 0.763 to 0.754 on Adult,
        0.646 to 0.624 on credit default), and the GAN gained nothing (50
        epochs: detection 0.732 to 0.711 on Adult, 0.622 to 0.648 on credit
        default, within the seeds' ranges).
    weight_threshold : float, default=0.005
        Mixture modes lighter than this are dropped.
    max_fit_samples : int, default=5_000
        The mixture of each column is fitted on a random subsample of at most
        this many values, which keeps ``fit`` fast on large tables (the modes
        only normalise; the value within its mode stays exact). Measured on
        Adult: 5,000 gives the same VAE quality as 20,000 (0.955 against 0.956,
        two seeds) with a 2-4x faster ``fit``.
    random_state : int, RandomState instance or None, default=None
        Seeds the subsampling and the mixtures.

    Attributes
    ----------
    output_spans_ : list of Span
        What each block of output columns is (column, kind, slice).
    discrete_columns_ : list
        Labels of the discrete columns.
    continuous_columns_ : list
        Labels of the continuous columns.
    n_features_in_ : int
        Number of input columns.
    feature_names_in_ : ndarray of shape (n_features,)
        Input column names, when ``X`` was a DataFrame with string column names.
    n_output_features_ : int
        Width of the encoded matrix.

    See Also
    --------
    VAESynthesizer, GANSynthesizer : the models that train on this encoding.

    Examples
    --------
    >>> import pandas as pd
    >>> from sksynth import TableTransformer
    >>> X = pd.DataFrame({"age": [23, 35, 47, 23, 61, 35],
    ...                   "city": ["Oslo", "Rome", "Oslo", "Lima", "Rome", "Oslo"]})
    >>> tt = TableTransformer(random_state=0).fit(X)
    >>> Z = tt.transform(X)
    >>> Z.dtype
    dtype('float32')
    >>> [span.kind for span in tt.output_spans_]
    ['scalar', 'mode', 'category']
    >>> tt.inverse_transform(Z).equals(X)
    True
    """

    max_exact_values = 0  # what transformers pickled before it existed did

    _parameter_constraints: dict = {
        "discrete_columns": [StrOptions({"auto"}), list, tuple],
        "n_modes": [Interval(Integral, 1, None, closed="left")],
        "atom_threshold": [Interval(Real, 0, 1, closed="right")],
        "max_exact_values": [Interval(Integral, 0, None, closed="left")],
        "weight_threshold": [Interval(Real, 0, 1, closed="left")],
        "max_fit_samples": [Interval(Integral, 2, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        discrete_columns="auto",
        n_modes=10,
        atom_threshold=0.05,
        max_exact_values=0,
        weight_threshold=0.005,
        max_fit_samples=5_000,
        random_state=None,
    ):
        self.discrete_columns = discrete_columns
        self.n_modes = n_modes
        self.atom_threshold = atom_threshold
        self.max_exact_values = max_exact_values
        self.weight_threshold = weight_threshold
        self.max_fit_samples = max_fit_samples
        self.random_state = random_state

    def _validate_params(self):
        super()._validate_params()
        refuse_bool_numbers(self)  # n_modes=True fitted one mode

    @unfitted_on_error(private=("_container", "_encoders", "_numeric_info"))
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the per-column encoders.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The table. Object arrays are discrete; numeric arrays continuous.
        y : None
            Ignored.

        Returns
        -------
        self : TableTransformer
            The fitted transformer.
        """
        X = validate_table(self, X, reset=True)
        frame, self._container = as_frame(X)
        rng = np.random.default_rng(check_random_state(self.random_state).randint(2**31 - 1))
        self.discrete_columns_ = resolve_discrete_columns(frame, self.discrete_columns)
        self.continuous_columns_ = [c for c in frame.columns if c not in self.discrete_columns_]
        self._encoders = {}
        self._numeric_info = {}
        for name in frame.columns:
            series = frame[name]
            check_supported(series, name)
            if series.isna().all():
                raise ValueError(
                    f"Column {name!r} holds only missing values ({len(series)} rows of dtype "
                    f"{series.dtype}): there is nothing to model in it; drop it before fit."
                )
            if name in self.discrete_columns_:
                encoder = DiscreteEncoder().fit(series, name)
                warn_identifier(encoder, series, self._label(name), name == TARGET_COLUMN)
            else:
                values, self._numeric_info[name] = to_float(series)
                if np.isinf(values).any():
                    raise ValueError(f"Column {name!r} contains inf, which is not supported.")
                warn_inexact(values, self._numeric_info[name], self._label(name))
                encoder = ContinuousEncoder(
                    self.n_modes,
                    self.atom_threshold,
                    self.weight_threshold,
                    self.max_fit_samples,
                    rng,
                ).fit(
                    values,
                    integer=self._numeric_info[name].kind != "float",
                    max_exact_values=self.max_exact_values,
                )
            self._encoders[name] = encoder
        self.output_spans_, self.n_output_features_ = _layout(frame.columns, self._encoders)
        return self

    def _check_encoders(self) -> None:
        """Raise a ``ValueError`` unless the encoders give the recorded output layout
        (a loaded file whose parts disagree: an edited or damaged one)."""
        for name, dtype in zip(self._container.columns, self._container.dtypes, strict=True):
            encoder = self._encoders[name]
            if isinstance(encoder, DiscreteEncoder) and encoder.dtype != dtype:
                raise ValueError(f"the dtype of column {name!r} disagrees with its encoder's.")
            if isinstance(encoder, ContinuousEncoder):
                sizes = {encoder.means_.size, encoder.stds_.size, encoder.log_weights_.size}
                if len(sizes) != 1 or name not in self._numeric_info:
                    raise ValueError(f"the encoder of column {name!r} is inconsistent.")
        spans, width = _layout(self._container.columns, self._encoders)
        if spans != list(self.output_spans_) or width != self.n_output_features_:
            raise ValueError("the encoders do not give the recorded output spans.")

    def transform(self, X):
        """Encode ``X`` into a float32 matrix laid out as ``output_spans_``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            A table with the columns seen in ``fit``.

        Returns
        -------
        Xt : ndarray of shape (n_samples, n_output_features), dtype float32
            The encoded table.
        """
        return self._expand(self._transform_compact(X))

    def _transform_compact(self, X) -> np.ndarray:
        """Encode ``X`` in the compact layout, float32: one column per span of
        ``output_spans_``, a scalar or residual span's value, a one-hot span's code
        (-1 where the block is all zeros: the mode of a missing value).

        What the synthesizers train on, a fraction of :meth:`transform`'s width
        (Adult: 21 columns for 165); :meth:`_expand` spreads it out.
        """
        check_is_fitted(self)
        X = validate_table(self, X, reset=False)
        frame, _ = as_frame(X)
        frame.columns = self._container.columns
        self._check_kinds(frame)
        compact = np.empty((len(frame), len(self.output_spans_)), dtype=np.float32)
        for k, span in enumerate(self.output_spans_):
            name = span.column
            encoder = self._encoders[name]
            if span.kind == "category":
                check_supported(frame[name], name)
                compact[:, k] = encoder.codes(frame[name])
            elif span.kind == "scalar":  # the column's other spans follow it
                values, _ = to_float(frame[name], self._numeric_info[name])
                if np.isinf(values).any():
                    raise ValueError(f"Column {name!r} contains inf, which is not supported.")
                self._check_representable(frame[name], values, name)
                scalar, mode, missing = encoder.transform(values)
                if missing.any() and not encoder.has_missing:
                    raise ValueError(
                        f"Column {name!r} has missing values, but had none during fit."
                    )
                compact[:, k] = scalar
                compact[:, k + 1] = mode  # -1 on missing rows
                at = k + 2
                if encoder.has_missing:
                    compact[:, at] = missing  # [present, missing]
                    at += 1
                if encoder.residual_scales_:
                    compact[:, at : at + len(encoder.residual_scales_)] = encoder.residual(
                        values, scalar, mode
                    )
        return compact

    def _expand(self, compact: np.ndarray) -> np.ndarray:
        """The rows of the compact layout (see :meth:`_transform_compact`) in the
        layout of :meth:`transform`."""
        out = np.zeros((len(compact), self.n_output_features_), dtype=np.float32)
        rows = np.arange(len(compact))
        for k, span in enumerate(self.output_spans_):
            if not span.is_onehot:
                out[:, span.start] = compact[:, k]
                continue
            code = compact[:, k].astype(np.int64)
            hot = code >= 0
            if hot.all():
                out[rows, span.start + code] = 1.0
            else:
                out[rows[hot], span.start + code[hot]] = 1.0
        return out

    def _label(self, name):
        """The label warnings give column ``name``: the user's, when a synthesizer fits this
        transformer on internally named columns and set ``_user_labels``."""
        return getattr(self, "_user_labels", {}).get(name, name)

    def _check_representable(self, series: pd.Series, values: np.ndarray, name) -> None:
        """Refuse values a column fitted on frequent values alone has no mode for, naming
        them as the user wrote them."""
        encoder = self._encoders[name]
        unseen = encoder.unrepresentable(values)
        if unseen.any():
            dtype = self._container.dtypes[self._container.columns.index(name)]
            seen = from_float(encoder.atoms_.copy(), self._numeric_info[name], dtype)
            raise ValueError(
                f"Column {name!r} holds values not seen during fit: "
                f"{pd.unique(series[unseen])[:5].tolist()}. Each of its values in fit "
                f"({seen.tolist()[:10]}) was kept exactly (frequent enough for "
                f"atom_threshold={self.atom_threshold}, or the only other value), so it has "
                "no continuous mode for other values."
            )

    def _check_kinds(self, frame: pd.DataFrame) -> None:
        """Refuse continuous columns of ``frame`` (labelled as in ``fit``) whose dtype is
        not of the kind seen in ``fit``; columns ``frame`` lacks are not checked (a
        synthesizer's score sees ``X`` without its target)."""
        for name in self.continuous_columns_:
            if name in frame.columns:
                check_same_kind(frame[name], name, self._numeric_info[name])

    def inverse_transform(self, X):
        """Decode an encoded matrix (or raw network output) back into a table.

        One-hot blocks are read by their argmax, so soft or noisy outputs are
        fine; numbers are clipped to the observed range and rounded for ints.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_output_features)
            Encoded rows.

        Returns
        -------
        table : DataFrame or ndarray
            Same container, columns, order and dtypes as the table given to ``fit``
            (DataFrames get a fresh RangeIndex).
        """
        check_is_fitted(self)
        X = check_encoded(X, self.n_output_features_)
        return self._decode_compact(self._compact_of(X))

    def _compact_of(self, X: np.ndarray) -> np.ndarray:
        """Rows of :meth:`transform`'s layout (or raw network output) in the compact
        layout, float64: a one-hot block read by its argmax."""
        compact = np.empty((len(X), len(self.output_spans_)), dtype=np.float64)
        for k, span in enumerate(self.output_spans_):
            if not span.is_onehot:
                compact[:, k] = X[:, span.start]
            else:  # ties go to the first column: "present" for a missing span
                compact[:, k] = np.argmax(X[:, span.slice], axis=1)
        return compact

    def _decode_compact(self, compact: np.ndarray):
        """Decode rows in the compact layout: one column per span of ``output_spans_``.

        A scalar or residual span's column is its value, a one-hot span's column
        the index of its hot entry; networks sample straight into this layout.
        """
        columns = {}
        spans = self.output_spans_
        compact = np.asfortranarray(compact)  # each span's column contiguous
        no_missing = np.zeros(len(compact), dtype=bool)
        for k, span in enumerate(spans):
            name = span.column
            encoder = self._encoders[name]
            if span.kind == "category":
                columns[name] = encoder.decode(compact[:, k].astype(np.int64))
            elif span.kind == "scalar":
                mode = compact[:, k + 1].astype(np.int64)
                missing = compact[:, k + 2] == 1 if encoder.has_missing else no_missing
                residual = None
                if encoder.residual_scales_:
                    at = k + 2 + encoder.has_missing
                    residual = compact[:, at : at + len(encoder.residual_scales_)]
                values = encoder.inverse_transform(
                    compact[:, k].astype(np.float64), mode, missing, residual
                )
                dtype = self._container.dtypes[self._container.columns.index(name)]
                columns[name] = from_float(values, self._numeric_info[name], dtype)
        frame = pd.DataFrame(columns, copy=False)
        return self._container.restore(frame)

    def get_feature_names_out(self, input_features=None):
        """Names of the encoded columns: ``<column>__value`` for a scalar,
        ``<column>__residual`` (or ``__residual_high`` and ``__residual_low``) for a
        residual, and ``<column>__<kind><k>`` for each entry of a one-hot block
        (``mode``, ``missing``, ``category``).

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Checked against ``feature_names_in_`` as scikit-learn's
            transformers do (the names come from ``fit``).

        Returns
        -------
        feature_names_out : ndarray of str objects
            One name per output column.
        """
        check_is_fitted(self)
        _check_feature_names_in(self, input_features)
        names = []
        for k, span in enumerate(self.output_spans_):
            if span.kind == "scalar":
                names.append(f"{span.column}__value")
            elif span.kind == "residual":  # split in two: the high part, then the low bits
                split = len(self._encoders[span.column].residual_scales_) == 2
                high = self.output_spans_[k - 1].kind != "residual"
                names.append(
                    f"{span.column}__residual" + ("" if not split else "_high" if high else "_low")
                )
            else:
                names.extend(f"{span.column}__{span.kind}{k}" for k in range(span.width))
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.transformer_tags.preserves_dtype = []  # always float32
        return tags
