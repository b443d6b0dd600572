"""The template-method base of both synthesizers: fit, sample, score written once."""

from __future__ import annotations

import copy
import re
from abc import ABC, abstractmethod
from numbers import Integral, Real

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import ProgressBar

from ..metrics import quality_score
from ..metrics._scorers import SCORER_SEED as SCORE_SEED
from ..nn._denormals import flush_denormals
from ..nn._net import make_generator
from ..preprocessing import TableTransformer
from ..preprocessing._columns import TARGET_COLUMN, as_frame
from ..preprocessing._target import check_target, restore_target, target_values
from ..preprocessing._transformer import resolve_discrete_columns
from ..preprocessing._validation import validate_table
from ..utils._blocks import stacked, stacked_chunks
from ..utils._checks import (
    callback_class,
    check_callbacks,
    check_count,
    check_layer_sizes,
    refuse_bool_numbers,
    set_callback_params,
)
from ..utils._fitting import unfitted_on_error
from ._conditional import Request, draw_block, label_codes, resolve_conditions
from ._device import resolve_device
from ._early_stopping import CHECK_SEED, QualityEarlyStopping, split_validation

#: Rows drawn per seeded block: sampling is a function of (seed, block), so
#: ``sample_chunks`` concatenates exactly to ``sample`` for any chunk size.
BLOCK_ROWS = 8192


def _seed_from(random_state) -> int:
    """An int seed; ``None`` takes fresh OS entropy (never numpy's global state)."""
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1)[0])
    if (
        isinstance(random_state, Integral)
        and not isinstance(random_state, bool)
        and random_state >= 0
    ):
        return int(random_state)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(2**31 - 1))
    raise ValueError(
        f"random_state must be None, an int >= 0 or a RandomState; got {random_state!r}."
    )


def _block_seed(seed: int, block: int) -> int:
    # shifted as a Python int: numpy 1.x refuses ``uint64 >> int``
    return int(np.random.SeedSequence([seed, block]).generate_state(1, dtype=np.uint64)[0]) >> 1


class BaseSynthesizer(BaseEstimator, ABC):
    """Shared ``fit``/``sample``/``score`` of the synthesizers; subclasses fill the hooks
    ``_build_net`` (a skorch net for the encoded data) and ``_generate`` (rows in the
    transformer's compact layout: one column per output span).
    """

    #: parameters holding hidden-layer widths, checked element by element
    _layer_sizes: tuple[str, ...] = ()
    #: the encoder's ``max_exact_values`` (see ``TableTransformer``). 0 for both models:
    #: with 25 the VAE's detection rose (Adult 0.85 -> 0.95 at 300 epochs) but its
    #: train-on-synthetic scores fell (macro-F1 pairs won against TVAE 0.88 -> 0.36 on
    #: Adult, 0.40 -> 0.16 on credit default), and the GAN gained nothing
    #: (docs/user_guide/encoding.rst, docs/benchmarks_exact_values.md)
    _max_exact_values: int = 0

    _parameter_constraints: dict = {
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "discrete_columns": [StrOptions({"auto"}), list, tuple],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callbacks": [None, list],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "validation_interval": [Interval(Integral, 1, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
    }

    def set_params(self, **params):
        """Set parameters, and ``callbacks__<name>__<param>`` on a named callback.

        Parameters
        ----------
        **params : dict
            Estimator parameters; ``callbacks__<name>__<param>`` sets ``<param>``
            of the callback named ``<name>`` in ``callbacks`` (a ``(name,
            callback)`` pair), as skorch's nets take it.

        Returns
        -------
        self : object
            The estimator.
        """
        nested = {key: params.pop(key) for key in list(params) if key.startswith("callbacks__")}
        super().set_params(**params)
        if nested:  # (set_params checks nothing else: a bad callbacks waits for fit)
            set_callback_params(self, nested)
        return self

    def _validate_params(self):
        super()._validate_params()
        # latent_mixture=True failed in the mixture after the whole training
        refuse_bool_numbers(self)
        check_layer_sizes(self, self._layer_sizes)
        check_callbacks(self)

    # ---- hooks -----------------------------------------------------------------------
    @abstractmethod
    def _build_net(self, seed: int):
        """Return an unfitted skorch net for ``self.transformer_.output_spans_``."""

    #: Whether ``_generate`` aims its rows at the values ``wanted`` names.
    _steers = False

    @abstractmethod
    def _generate(
        self, n: int, generator: torch.Generator, wanted: np.ndarray | None = None
    ) -> torch.Tensor:
        """Return ``n`` rows drawn with ``generator``, in the compact layout.

        One column per span of ``transformer_.output_spans_``: a scalar's value
        or a one-hot block's category code. ``wanted`` (``n`` x c encoded column
        indices, or ``None``) names the one-hot columns the caller would like hot
        in each row; a model may use it to steer (rows are checked and rejected
        by the caller anyway).
        """

    def _check_data(self, n_rows: int) -> None:
        """Raise a ``ValueError`` when the model cannot train on ``n_rows`` rows."""

    def _prepare_net(self, data: torch.Tensor) -> None:
        """Initialise ``self.net_`` for training on the encoded ``data``."""
        self.net_.initialize()

    def _after_training(self, data: torch.Tensor, rng: np.random.Generator) -> None:
        """Fit what sampling needs besides the trained net (``rng`` seeds it)."""

    # ---- fit -------------------------------------------------------------------------
    @unfitted_on_error(
        private=("_target", "_container", "_class_probs", "_sample_rng", "_fit_params")
    )
    @_fit_context(prefer_skip_nested_validation=True)
    # trains under a caller's no_grad or inference_mode too (the GAN's steps failed there)
    @torch.inference_mode(False)
    @torch.enable_grad()
    def fit(self, X, y=None):
        """Fit the synthesizer on a table.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The table: float, int, nullable int, bool, category, string/object,
            datetime and duration columns, missing values allowed.
        y : array-like of shape (n_samples,), default=None
            Optional target, modelled jointly with ``X``; ``sample`` then
            returns ``(X, y)``. Class labels (binary or multiclass, as
            :func:`~sklearn.utils.multiclass.type_of_target` reads them) also
            set ``classes_`` and allow sampling given labels.

        Returns
        -------
        self : object
            The fitted synthesizer.

        Raises
        ------
        ValueError
            For a table, ``y`` or parameters it cannot fit on. A failed
            ``fit`` leaves the estimator unfitted, never holding parts of an
            earlier fit beside parts of this one.
        ~sksynth.exceptions.TrainingDivergedError
            When a training loss becomes NaN or infinite (a learning rate
            too high, say); training stops at that batch.
        """
        X = validate_table(self, X, reset=True)
        # what the networks are built from: sksynth.save writes these, not later set_params
        self._fit_params = {  # a copy: a list parameter changed in place stays as fitted
            key: value if key == "callbacks" else copy.deepcopy(value)
            for key, value in self.get_params(deep=False).items()
        }
        frame, self._container = as_frame(X)
        self.discrete_columns_ = resolve_discrete_columns(frame, self.discrete_columns)
        frame = self._internal(frame)
        discrete = self._internal_names(self.discrete_columns_)
        self._target = None
        if y is not None:
            frame = frame.copy()
            frame[TARGET_COLUMN], classes, self._target = check_target(y, len(frame))
            if classes is not None:
                self.classes_ = classes
                discrete.append(TARGET_COLUMN)
        seed = _seed_from(self.random_state)
        rng = np.random.default_rng(seed)
        self._check_data(len(frame))
        validation = None
        if self.early_stopping:
            rows, held = split_validation(len(frame), self.validation_fraction, rng)
            try:
                self._check_data(len(rows))
            except ValueError as error:
                raise ValueError(
                    f"{error} early_stopping=True holds out {len(held)} of the {len(frame)} "
                    f"rows (validation_fraction={self.validation_fraction}), leaving "
                    f"{len(rows)} to train on."
                ) from None
        self.device_ = resolve_device(self.device)  # before the encoder's fit, which is slow
        self.transformer_ = TableTransformer(
            discrete_columns=discrete,
            max_exact_values=self._max_exact_values,
            random_state=int(rng.integers(2**31 - 1)),
        )
        # its warnings name the user's columns (its errors are renamed on the way out)
        self.transformer_._user_labels = {name: self._user_label(name) for name in frame.columns}
        # fitted on every row: what only the held-out rows hold (a category, a label,
        # missing values) stays known to transform, score_samples and sample's conditions
        self._renamed_errors(self.transformer_.fit, frame)
        if self.early_stopping:
            validation = frame.iloc[held].reset_index(drop=True)
            frame = frame.iloc[rows].reset_index(drop=True)
        # the compact layout (one column per span): training spreads out a few batches at a time
        data = torch.from_numpy(self._encode_frame(frame, compact=True))
        self._class_probs = None
        if hasattr(self, "classes_"):
            span = self._target_span()
            codes = data[:, self._target_position()].long()
            counts = torch.bincount(codes, minlength=span.width).double().numpy()
            self._class_probs = counts / counts.sum()
        self.net_ = self._build_net(int(rng.integers(2**31 - 1)))
        monitor = None
        if validation is not None:
            monitor = QualityEarlyStopping(
                self._draw_internal,
                validation,
                discrete,
                interval=self.validation_interval,
                patience=self.n_iter_no_change,
            )
            self.net_.callbacks = [*self.net_.callbacks, ("quality_early_stopping", monitor)]
        self._prepare_net(data)
        self.net_.partial_fit(data, None)
        self.history_ = self.net_.history
        self.validation_scores_ = self.best_epoch_ = self.best_validation_score_ = None
        if monitor is not None:  # the callback holds the held-out rows: not kept
            self.net_.callbacks = self.net_.callbacks[:-1]
            self.net_.callbacks_ = [(n, cb) for n, cb in self.net_.callbacks_ if cb is not monitor]
            self.validation_scores_ = np.array([score for _, score in monitor.scores_])
            self.best_epoch_, self.best_validation_score_ = monitor.best_
        self._sample_rng = np.random.default_rng(int(rng.integers(2**63)))
        self._after_training(data, rng)
        return self

    def _draw_internal(self, n: int) -> pd.DataFrame:
        """``n`` rows (fixed seed) as an internally named frame, the target included."""
        return self.transformer_._decode_compact(stacked(self._blocks(n, CHECK_SEED), n, order="F"))

    def _internal(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with the positional string names the transformer works with."""
        frame.columns = [f"x{k}" for k in range(frame.shape[1])]
        return frame

    def _encode_frame(self, frame: pd.DataFrame, *, compact: bool = False) -> np.ndarray:
        """``transformer_``'s encoding of an internally named frame (``compact``: one
        column per span, see ``TableTransformer._transform_compact``); errors name
        user columns."""
        encode = self.transformer_._transform_compact if compact else self.transformer_.transform
        return self._renamed_errors(encode, frame)

    def _renamed_errors(self, call, frame: pd.DataFrame):
        """``call(frame)`` for an internally named frame, its errors naming user columns."""
        try:
            return call(frame)
        except ValueError as exc:
            message = self._user_names(str(exc))
            if message == str(exc):
                raise
            raise ValueError(message) from exc

    def _user_label(self, name: str):
        """The user's label of internal column ``name`` (``"x3"``; the target is ``"y"``)."""
        return "y" if name == TARGET_COLUMN else self._container.columns[int(name[1:])]

    def _user_names(self, message: str) -> str:
        """``message`` with the internal column names (``'x3'``) replaced by the user's."""

        def user(match):
            name = match.group(1)
            return "Column y" if name == TARGET_COLUMN else f"Column {self._user_label(name)!r}"

        return re.sub(rf"Column '(x\d+|{TARGET_COLUMN})'", user, message)

    def _internal_names(self, labels) -> list[str]:
        return [f"x{self._container.columns.index(label)}" for label in labels]

    # ---- sampling --------------------------------------------------------------------
    def sample(self, n_samples=1, *, y=None, conditions=None, random_state=None):
        """Draw synthetic rows.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows, at least 1.
        y : label or array-like of shape (n_samples,), default=None
            Only for a model fitted with class labels: one label for every row,
            or one label per row. ``None`` draws labels at the class
            frequencies seen in ``fit``; with ``conditions``, the labels that
            rows with those values carry in such a sample.
        conditions : dict, default=None
            ``{column: value}``: every row carries these values in these
            discrete columns. Rows are drawn from the model (the GAN steers
            its generator towards them, or, when labels are drawn for them,
            towards each row's label) and kept only when they match.
        random_state : int, RandomState instance or None, default=None
            An int gives the same rows every call; ``None`` continues the
            estimator's own stream. Global random states are never touched.

        Returns
        -------
        X_synth : DataFrame or ndarray of shape (n_samples, n_features)
            Same container, columns, order and dtypes as the ``X`` of ``fit``;
            a DataFrame's index is a fresh ``RangeIndex`` (the rows are new).
        y_synth : ndarray or Series of shape (n_samples,)
            Only when fitted with ``y``.

        Raises
        ------
        ValueError
            For an unknown column, a continuous column in ``conditions``, a
            value or label not seen in ``fit``, or when the model produces too
            few matching rows within its budget (the message says how many).
        """
        check_is_fitted(self)
        n = check_count(n_samples, "n_samples")
        return self._decode(stacked(self._blocks(n, random_state, y, conditions), n, order="F"))

    def sample_chunks(
        self, n_samples, *, chunk_size=100_000, y=None, conditions=None, random_state=None
    ):
        """Draw rows as an iterator of tables of at most ``chunk_size`` rows.

        Their concatenation is what :meth:`sample` returns with the same
        arguments (``pd.concat(chunks)`` included: the rows of a chunk are
        numbered on from the last chunk's); memory stays bounded by the chunk.

        Parameters
        ----------
        n_samples : int
            Total number of rows, at least 1.
        chunk_size : int, default=100_000
            Rows per chunk (the last one may be smaller).
        y : label or array-like of shape (n_samples,), default=None
            As in :meth:`sample`.
        conditions : dict, default=None
            As in :meth:`sample`.
        random_state : int, RandomState instance or None, default=None
            As in :meth:`sample`.

        Returns
        -------
        chunks : iterator
            Tables (or ``(X, y)`` pairs when fitted with ``y``).
        """
        check_is_fitted(self)
        n = check_count(n_samples, "n_samples")
        chunk_size = check_count(chunk_size, "chunk_size")
        blocks = self._blocks(n, random_state, y, conditions)  # checks and seeds now

        def chunks():
            # column-major, as the decoder reads it
            compacts = stacked_chunks(blocks, n, chunk_size, order="F")
            for start, compact in zip(range(0, n, chunk_size), compacts, strict=True):
                yield self._decode(compact, first_row=start)

        return chunks()

    def _next_seed(self, random_state) -> int:
        if random_state is None:
            return int(self._sample_rng.integers(2**63))
        return _seed_from(random_state)

    def _target_position(self) -> int:
        """Position of the target's span among ``transformer_.output_spans_``."""
        spans = self.transformer_.output_spans_
        return next(k for k, s in enumerate(spans) if s.column == TARGET_COLUMN)

    def _target_span(self):
        return self.transformer_.output_spans_[self._target_position()]

    def _request(self, n: int, y, conditions) -> Request | None:
        """What ``sample`` must honour, checked up front; ``None``: plain sampling."""
        internal = {label: f"x{k}" for k, label in enumerate(self._container.columns)}
        target = None
        if self._target is not None:  # named in conditions: said to be y, not unknown
            how = "pass y= to choose its labels" if hasattr(self, "classes_") else None
            target = (self._target["name"], how or "it is continuous, so it cannot be fixed")
        fixed, text = resolve_conditions(self.transformer_, conditions, internal, target)
        starts = tuple(s.start for s in self.transformer_.output_spans_)
        if not hasattr(self, "classes_") or (y is None and self._class_probs is None):
            if y is not None:
                fitted = "without y" if self._target is None else "with a continuous y"
                raise ValueError(
                    f"y= needs a model fitted with class labels; this one was fitted {fitted}."
                )
            if not fixed:
                return None
            return Request(tuple(fixed), starts=starts, text=", ".join(text), steers=self._steers)
        labels = None
        if y is None:  # drawn per block by draw_block
            text.append("labels at the fitted class frequencies")
        else:
            labels = label_codes(self.transformer_._encoders[TARGET_COLUMN], y, n, self.classes_)
            text.append(f"y={y!r}" if np.ndim(y) == 0 else "the requested labels y")
        return Request(
            tuple(fixed),
            label_position=self._target_position(),
            labels=labels,
            class_probs=self._class_probs,
            starts=starts,
            text=", ".join(text),
            steers=self._steers,
        )

    def _blocks(self, n: int, random_state, y=None, conditions=None):
        """Rows in the compact layout, in seeded blocks of ``BLOCK_ROWS`` (numpy float32)."""
        request = self._request(n, y, conditions)
        seed = self._next_seed(random_state)
        net = self.net_

        def blocks():
            net.module_.eval()
            for b, start in enumerate(range(0, n, BLOCK_ROWS)):
                # modes set per block, never across the yield (the caller's code runs there)
                with torch.no_grad(), flush_denormals(pool=False):
                    block = self._block(b, start, min(BLOCK_ROWS, n - start), seed, request, n)
                yield block

        return blocks()

    def _block(self, b: int, start: int, m: int, seed: int, request, total: int) -> np.ndarray:
        """Block ``b``: rows ``start`` to ``start + m`` of a draw of ``total`` rows."""
        generator = make_generator(_block_seed(seed, b), self.net_.device)
        if request is None:
            return self._generate(m, generator).to("cpu").numpy()
        labels = None if request.labels is None else request.labels[start : start + m]
        return draw_block(
            self._generate,
            m,
            generator,
            request,
            labels,
            produced=start,
            total=total,
            budget_rows=min(total, BLOCK_ROWS),
        )

    def _decode(self, compact: np.ndarray, first_row: int = 0):
        """Decoded rows, numbered from ``first_row`` (a chunk's rows continue the last's)."""
        table = self.transformer_._decode_compact(compact)
        if first_row and isinstance(table, pd.DataFrame):
            table.index = pd.RangeIndex(first_row, first_row + len(table))
        return self._split_target(table)

    def _split_target(self, table):
        """The user's table (and ``y`` when fitted with one) from a decoded internal table."""
        if self._target is None:
            return self._container.restore(table)
        y = restore_target(table.pop(TARGET_COLUMN), self._target)
        return self._container.restore(table), y

    # ---- scoring ---------------------------------------------------------------------
    def score(self, X, y=None):
        """Quality of a fixed-seed synthetic sample of ``len(X)`` rows against ``X``.

        ``sksynth.metrics.quality_score(X, self.sample(len(X), random_state=0),
        discrete_columns=self.discrete_columns_)``: the columns are scored as the
        model took them (``"auto"``'s choice, or those the user listed), so a
        grid over either synthesizer can be compared.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Real rows, such as a validation split.
        y : array-like of shape (n_samples,), default=None
            Scored as one more column when the model was fitted with ``y``.

        Returns
        -------
        score : float
            In [0, 1], higher is better.
        """
        real = self._real_rows(X)
        synthetic = self.sample(len(real), random_state=SCORE_SEED)
        discrete = self._internal_names(self.discrete_columns_)
        if self._target is not None:
            synthetic, y_synth = synthetic
        synthetic = as_frame(synthetic)[0]
        synthetic.columns = real.columns
        if self._target is not None and y is not None:
            real[TARGET_COLUMN] = np.asarray(target_values(y, len(real)))
            synthetic[TARGET_COLUMN] = np.asarray(y_synth)
            if hasattr(self, "classes_"):
                discrete.append(TARGET_COLUMN)
        # its errors (infinity in X, say) name the user's columns
        return self._renamed_errors(
            lambda table: quality_score(table, synthetic, discrete_columns=discrete), real
        )

    def _real_rows(self, X) -> pd.DataFrame:
        """Real rows to score the model against, checked as ``transform`` checks them
        (feature names and count, column kinds), with internal column names."""
        check_is_fitted(self)
        X = validate_table(self, X, reset=False)
        real = self._internal(as_frame(X)[0])
        self._renamed_errors(self.transformer_._check_kinds, real)
        return real

    # ---- shared pieces for subclasses --------------------------------------------------
    def _net_kwargs(self, seed: int) -> dict:
        callbacks = []
        for callback in self.callbacks or []:
            try:
                callbacks.append(copy.deepcopy(callback))
            except Exception as error:  # a lock, a file, a client: what deepcopy refuses
                raise TypeError(
                    f"callbacks are copied at each fit, and {callback!r} cannot be "
                    f"(copy.deepcopy raised {type(error).__name__}: {error}). Pass a "
                    "callback that creates what it holds in its initialize() method."
                ) from error
        bars = (issubclass(callback_class(entry), ProgressBar) for entry in callbacks)
        if self.verbose and not any(bars):  # one bar only
            callbacks.append(ProgressBar())
        return {
            "max_epochs": self.epochs,
            "batch_size": self.batch_size,
            "train_split": None,
            "device": self.device_,
            "callbacks": callbacks,
            "verbose": int(self.verbose),
            "seed": seed,
        }

    def __setstate__(self, state):
        super().__setstate__(state)
        net = state.get("net_")
        if net is not None and "device_" in state:
            self.device_ = str(net.device)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.non_deterministic = False
        return tags
