"""``VAESynthesizer``: a variational autoencoder for tables, trained through skorch."""

from __future__ import annotations

import copy
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import metadata_routing
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import PassthroughScoring

from ..nn._adam import Adam
from ..nn._layers import CHUNK_ROWS, SpanLayout, expanded_chunks
from ..nn._net import make_generator
from ..nn._vae import ELBOLoss, VAEModule, VAENet
from ..preprocessing._columns import TARGET_COLUMN, as_frame
from ..preprocessing._validation import check_encoded, validate_table
from ..utils._blocks import stacked
from ._base import BaseSynthesizer
from ._latent_mixture import draw_latents, fit_latent_mixture

_ELBO_DRAWS = 8
_ELBO_SEED = 0


class VAESynthesizer(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseSynthesizer):
    """Variational autoencoder for mixed-type tables (a TVAE-style model).

    Each row is encoded by :class:`~sksynth.TableTransformer`; an encoder maps
    it to the mean and log-variance of a Gaussian posterior, a latent vector is
    drawn by reparameterisation and the decoder rebuilds the row. Training
    minimises the negative ELBO: a reconstruction loss per output block
    (Gaussian with a learned scale on scalars, cross-entropy on one-hot blocks)
    plus ``beta`` times the KL divergence to N(0, I). Sampling decodes
    N(0, I) draws and samples each block from the decoder's distribution.

    Parameters
    ----------
    epochs : int, default=100
        Passes over the training data.
    batch_size : int, default=500
        Rows per optimisation step.
    latent_dim : int, default=16
        Size of the latent space (and of ``transform``'s output). The KL term
        leaves most dimensions unused: on Adult and credit default 4-8 carry
        information at 16, 32 and 64 alike, and 16 samples about 20 % faster
        than 64 at the same quality (``docs/benchmarks_latent.md``).
    encoder_sizes : tuple of int, default=(128, 128)
        Hidden layer widths of the encoder.
    decoder_sizes : tuple of int, default=(128, 128)
        Hidden layer widths of the decoder.
    lr : float, default=1e-3
        Adam learning rate.
    weight_decay : float, default=1e-5
        Adam weight decay.
    beta : float, default=1.0
        Weight of the KL term (1.0 is the ELBO). A lower weight lets the
        latents carry more of each row, but leaves parts of the prior
        N(0, I) that no training row's latent reaches, and the rows decoded
        there take the samples further from the real table: measured at 300
        epochs over three seeds with 0.5 on credit default
        (``docs/benchmarks_conditionals.md``), quality fell from 0.967-0.972
        to 0.955-0.958 and detection from 0.943-0.949 to 0.846-0.877, and
        the samples held 28-30 % defaults against the real 22 %, which
        raised the macro-F1 of a classifier trained on them (0.656-0.663
        instead of 0.631-0.653).
    latent_mixture : int or None, default=None
        Where sampling draws its latent vectors. ``None``: the prior
        N(0, I). An int: a Gaussian mixture with that many components (full
        covariances; at most one per row) fitted after training to one
        posterior draw per training row (a seeded subsample of at most 20,000
        rows), which keeps the draws where the training rows' latents are
        (Ghosh et al., 2020). Measured at 300 epochs over three seeds with
        10 components (``docs/benchmarks_latent_mixture.md``): detection
        0.841 to 0.931 on Adult and 0.942 to 0.958 on credit default,
        quality 0.959 to 0.968 and 0.968 to 0.972, for sampling 9-13 %
        slower and a few seconds more in ``fit``; train-on-synthetic scores
        level on Adult and lower on credit default (ROC AUC 0.758 to 0.750).
        20 components scored about as 10, and 5 a little lower on detection.
        At the default 100 epochs (``docs/benchmarks_latent_mixture_100.md``)
        detection rose on Adult (0.869 to 0.910) but not on credit default
        (0.928 to 0.916).
        Early stopping's checks sample from the prior (the mixture is fitted
        once, after training, on the weights kept). With components nearly
        as many as the rows, each one sits on a single row's latent and the
        samples copy training rows: check ``sksynth.metrics.privacy_score``
        when raising it.
    autoregressive : bool, default=False
        Whether each output span also depends on the spans drawn before it
        (columns in the table's order, a target ``y`` last; within a
        continuous column its missing flag, then its mode, then the value):
        a masked linear term over the row, trained on the row itself (the
        likelihood stays exact) and drawn span after span when sampling. The
        plain decoder draws every column independently given the latent
        vector, so columns follow each other only as far as the latents carry
        them; this carries the rest (a column's link to the target, say).
        Measured at 300 epochs over five seeds
        (``docs/benchmarks_seeds.md``, ``sksynth-vae-ar``): quality 0.962 to
        0.983 and detection 0.842 to 1.000 on Adult, 0.968 to 0.978 and
        0.942 to 0.965 on credit default, and train-on-synthetic macro-F1
        0.761 to 0.784 and 0.643 to 0.683. Training costs one more matrix
        product per batch (an epoch 13-15 % longer); sampling runs one step
        per span, about 1.3-1.5x slower (``docs/benchmarks_autoregressive.md``).
    label_weight : float, default=5.0
        When fitted with class labels ``y``: weight of the label's
        reconstruction term (1.0 is the plain ELBO). The encoder never sees
        the label, so a weight above 1 makes the latents of ``transform``
        carry what predicts it (measured on 3,000 Adult rows with
        ``latent_dim=64``: logistic regression ROC AUC on the latents
        0.89-0.90 at 5.0 against 0.84-0.86 at 1.0 and without ``y``; sample
        quality unchanged).
    discrete_columns : "auto" or list of str or int, default="auto"
        Discrete columns; ``"auto"`` takes bool, category, string and object ones.
    device : str or torch.device, default="cpu"
        ``"cpu"``, ``"cuda"``, ``"cuda:N"``, ``"mps"`` or ``"auto"``.
    random_state : int, RandomState instance or None, default=None
        Seeds weights, shuffling and noise; global random states are untouched.
    verbose : int, default=0
        1 shows a progress bar and per-epoch losses.
    callbacks : list of skorch callbacks, default=None
        Extra callbacks for the internal net (copied at each ``fit``).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows from training (not from
        the table encoder, ``transformer_``); every ``validation_interval``
        epochs, score as many sampled rows (fixed seed) against them with
        :func:`~sksynth.metrics.quality_score`, stop once the best score has
        not improved for ``n_iter_no_change`` checks, and keep the weights of
        the best check.
    validation_fraction : float, default=0.1
        Share of the rows held out when ``early_stopping`` is on.
    validation_interval : int, default=5
        Epochs between two checks (the last epoch run is always checked, also
        when a callback or Ctrl-C ends training).
    n_iter_no_change : int, default=6
        Checks without a better score before training stops.

    Attributes
    ----------
    transformer_ : TableTransformer
        The fitted table encoder.
    net_ : skorch.NeuralNet
        The trained internal net (module ``net_.module_``).
    history_ : skorch.History
        Per-epoch ``train_loss``, ``reconstruction`` and ``kl``; with
        ``early_stopping``, ``valid_quality`` at each check. ``train_loss`` is the
        negative ELBO with the KL term weighted by ``beta`` and, when fitted
        with class labels, the label's cross-entropy weighted by
        ``label_weight`` (both 1 give the plain negative ELBO).
    discrete_columns_ : list
        Labels of the discrete columns of ``X``.
    device_ : str
        The device the model lives on.
    classes_ : ndarray
        Class labels, when fitted with class labels ``y``.
    latent_mixture_ : sklearn.mixture.GaussianMixture or None
        The latent density sampling draws from (``None``: N(0, I)).
    validation_scores_ : ndarray or None
        Validation quality at each check (``None`` without ``early_stopping``).
    best_epoch_ : int or None
        Epoch of the best check, whose weights the model keeps.
    best_validation_score_ : float or None
        The best validation quality.
    n_features_in_ : int
        Number of columns of ``X``.
    feature_names_in_ : ndarray
        Column names of ``X``, when it was a DataFrame with string names.

    See Also
    --------
    GANSynthesizer : the adversarial model.
    TableTransformer : the encoding the networks train on.

    Examples
    --------
    >>> from sksynth import VAESynthesizer
    >>> from sksynth.datasets import load_adult
    >>> X = load_adult().frame.iloc[:2000]
    >>> vae = VAESynthesizer(epochs=5, random_state=0).fit(X)
    >>> vae.sample(3, random_state=0).shape
    (3, 15)
    >>> vae.transform(X.iloc[:4]).shape
    (4, 16)
    """

    _layer_sizes = ("encoder_sizes", "decoder_sizes")

    # inverse_transform's Z is the data, not metadata to route (scikit-learn reads
    # every argument but X and y of such a method as a metadata request)
    __metadata_request__inverse_transform = {"Z": metadata_routing.UNUSED}

    _parameter_constraints: dict = {
        **BaseSynthesizer._parameter_constraints,
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "encoder_sizes": [tuple, list],
        "decoder_sizes": [tuple, list],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "beta": [Interval(Real, 0, None, closed="left")],
        "label_weight": [Interval(Real, 0, None, closed="left")],
        "latent_mixture": [Interval(Integral, 1, None, closed="left"), None],
        "autoregressive": ["boolean"],
    }

    def __init__(
        self,
        *,
        epochs=100,
        batch_size=500,
        latent_dim=16,
        encoder_sizes=(128, 128),
        decoder_sizes=(128, 128),
        lr=1e-3,
        weight_decay=1e-5,
        beta=1.0,
        label_weight=5.0,
        latent_mixture=None,
        autoregressive=False,
        discrete_columns="auto",
        device="cpu",
        random_state=None,
        verbose=0,
        callbacks=None,
        early_stopping=False,
        validation_fraction=0.1,
        validation_interval=5,
        n_iter_no_change=6,
    ):
        self.epochs = epochs
        self.batch_size = batch_size
        self.latent_dim = latent_dim
        self.encoder_sizes = encoder_sizes
        self.decoder_sizes = decoder_sizes
        self.lr = lr
        self.weight_decay = weight_decay
        self.beta = beta
        self.label_weight = label_weight
        self.latent_mixture = latent_mixture
        self.autoregressive = autoregressive
        self.discrete_columns = discrete_columns
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.validation_interval = validation_interval
        self.n_iter_no_change = n_iter_no_change

    # ---- hooks -----------------------------------------------------------------------
    def _build_net(self, seed):
        kwargs = self._net_kwargs(seed)
        kwargs["callbacks"] = [
            PassthroughScoring(name="reconstruction", on_train=True),
            PassthroughScoring(name="kl", on_train=True),
            *kwargs["callbacks"],
        ]
        return VAENet(
            module=VAEModule,
            module__spans=self.transformer_.output_spans_,
            module__encoder_columns=self._encoder_columns(),
            module__latent_dim=self.latent_dim,
            module__encoder_sizes=tuple(self.encoder_sizes),
            module__decoder_sizes=tuple(self.decoder_sizes),
            module__label_span=self._label_span(),
            module__autoregressive=self.autoregressive,
            module__seed=seed,
            criterion=ELBOLoss,
            criterion__beta=self.beta,
            criterion__label_weight=self.label_weight,
            optimizer=Adam,
            lr=self.lr,
            optimizer__weight_decay=self.weight_decay,
            **kwargs,
        )

    def _label_span(self):
        if not hasattr(self, "classes_"):
            return None
        span = self._target_span()
        return (span.start, span.stop)

    def _encoder_columns(self):
        """Encoded columns the encoder sees: all but the target's (q(z|x) needs no y)."""
        hidden = {
            k
            for span in self.transformer_.output_spans_
            if span.column == TARGET_COLUMN
            for k in range(span.start, span.stop)
        }
        return [k for k in range(self.transformer_.n_output_features_) if k not in hidden]

    def _check_data(self, n_rows):
        if self.latent_mixture is not None and n_rows < 2:
            raise ValueError(
                "latent_mixture needs at least 2 training rows to fit a mixture; "
                f"got n_samples = {n_rows}."
            )

    def _prepare_net(self, data):
        self.latent_mixture_ = None  # early stopping's checks sample from the prior
        super()._prepare_net(data)

    def _after_training(self, data, rng):
        if self.latent_mixture is not None:
            seed = int(rng.integers(2**31 - 1))
            self.latent_mixture_ = fit_latent_mixture(
                self.net_.module_, data, self.latent_mixture, seed
            )

    def _generate(self, n, generator, wanted=None):
        # the VAE does not steer: conditional requests are met by rejection
        module = self.net_.module_
        mixture = self.latent_mixture_
        if mixture is None:
            z = torch.randn(
                (n, module.latent_dim),
                generator=generator,
                device=generator.device,
                dtype=torch.float32,
            )
        else:
            z = draw_latents(mixture, n, generator)
        return module.sample_rows(z.to(self.net_.device), generator)

    def __setstate__(self, state):
        # pickles from before latent_mixture: its default, and the prior when fitted
        state.setdefault("latent_mixture", None)
        state.setdefault("autoregressive", False)  # pickles from before it
        if "net_" in state:
            state.setdefault("latent_mixture_", None)
        super().__setstate__(state)

    # ---- VAE-only methods ------------------------------------------------------------
    def _encoded_chunks(self, X):
        """The encoder's input for ``X`` (the target's columns, if any, left at zero),
        float64 on the model's device, a chunk of rows at a time: beyond the compact
        encoding, memory is the chunk's, whatever the rows."""
        X = validate_table(self, X, reset=False)
        frame, _ = as_frame(X)
        frame = self._internal(frame)
        if self._target is not None:  # the encoder never sees these columns
            frame = frame.copy()
            frame[TARGET_COLUMN] = self._placeholder_target(len(frame))
        compact = torch.from_numpy(self._encode_frame(frame, compact=True))
        layout, device = self.net_.module_.layout, self.net_.device
        yield from expanded_chunks(compact, layout, device, torch.float64)

    def _module64(self):
        """A float64 copy of the module in eval mode: row results independent of batching."""
        return copy.deepcopy(self.net_.module_).double().eval()

    def _placeholder_target(self, n):
        if hasattr(self, "classes_"):
            return np.repeat(self.classes_[:1], n)
        encoder = self.transformer_._encoders[TARGET_COLUMN]
        return np.full(n, encoder.min_)

    def transform(self, X):
        """Posterior means of the latent vectors of ``X``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Rows with the columns seen in ``fit`` (no target needed).

        Returns
        -------
        Z : ndarray of shape (n_samples, latent_dim), dtype float64
            Latent means.

        Raises
        ------
        ValueError
            For a category, or a missing value in a column, that the rows of
            ``fit`` lacked (the error names the column and the values).
        """
        check_is_fitted(self)
        module = self._module64()
        with torch.no_grad():
            means = [module.encode(x)[0].cpu() for x in self._encoded_chunks(X)]
        return torch.cat(means).numpy()

    def inverse_transform(self, Z):
        """Decode latent vectors into the most likely table rows.

        Parameters
        ----------
        Z : array-like of shape (n_samples, latent_dim)
            Latent vectors.

        Returns
        -------
        X : DataFrame or ndarray
            Rows shaped like the ``X`` of ``fit`` (the target is not returned).
        """
        check_is_fitted(self)
        Z = check_encoded(Z, self._n_features_out, "Z", dtype=np.float32)
        module = self.net_.module_
        module.eval()
        z, tt = torch.from_numpy(Z), self.transformer_

        def chunks():
            for start in range(0, max(len(z), 1), CHUNK_ROWS):  # one pass for no rows
                with torch.no_grad():
                    rows = module.decode_mode(z[start : start + CHUNK_ROWS].to(self.net_.device))
                yield tt._compact_of(rows.cpu().numpy())

        out = self._split_target(tt._decode_compact(stacked(chunks(), len(z), order="F")))
        return out[0] if self._target is not None else out

    def score_samples(self, X):
        """Per-row evidence lower bound (ELBO) in nats of the encoded rows of ``X``.

        A Monte Carlo estimate over 8 fixed draws of the reparameterisation
        noise shared by all rows, so the result is deterministic and does not
        depend on the other rows. The ELBO is a lower bound of the row's
        log-likelihood; its 8-draw estimate is unbiased but noisy, so on a row
        it can exceed the log-likelihood (by about 0.1 nat on a small table).
        The prior is the standard normal the model was trained against, also
        with ``latent_mixture``, which changes only where ``sample`` draws
        its latents.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Rows to score (the target, if the model was fitted with one, is not
            scored).

        Returns
        -------
        elbo : ndarray of shape (n_samples,)
            Higher is more likely.
        """
        check_is_fitted(self)
        layout = self.net_.module_.layout
        if self._target is not None:
            layout = SpanLayout(
                [s for s in self.transformer_.output_spans_ if s.column != TARGET_COLUMN]
            )
            layout.to(self.net_.device)
        generator = make_generator(_ELBO_SEED, "cpu")
        eps = torch.randn(
            (_ELBO_DRAWS, self._n_features_out), generator=generator, dtype=torch.float32
        )
        module, elbo = self._module64(), []
        with torch.no_grad():
            for x in self._encoded_chunks(X):
                elbo.append(self.net_.elbo(x, eps.to(x), layout, module=module).cpu())
        return torch.cat(elbo).numpy()

    @property
    def _n_features_out(self):
        # the fitted network's (latent_dim may have been set since)
        return self.net_.module_.latent_dim
