"""``GANSynthesizer``: a conditional tabular GAN trained through skorch."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions
from skorch.callbacks import PassthroughScoring

from ..nn._adam import Adam
from ..nn._gan import GANNet, Generator
from ._base import BaseSynthesizer


class GANSynthesizer(BaseSynthesizer):
    """Conditional GAN for mixed-type tables (after Xu et al., 2019).

    A generator turns noise and a conditional vector into rows encoded by
    :class:`~sksynth.TableTransformer` (tanh on scalars, Gumbel-softmax on
    one-hot blocks); a discriminator judges packs of ``pac`` rows. Each batch,
    the discriminator is updated ``discriminator_steps`` times on real and
    generated rows, then the generator once through the discriminator's
    judgement plus a cross-entropy term that makes it honour the conditional
    vector. Conditions are drawn by training-by-sampling: a discrete column at
    random, then a category with log-frequency weights, and real rows with
    that category.

    Parameters
    ----------
    epochs : int, default=300
        Passes over the training data.
    batch_size : int, default=500
        Rows per step; at least 2 and a multiple of ``pac``. An epoch's last
        step takes the rows left rounded down to a multiple of ``pac``; the
        others (fewer than ``pac``) sit that epoch out, and every epoch
        shuffles the rows anew.
    loss : {"bce", "wgan-gp"}, default="bce"
        ``"bce"``: the original GAN objective (binary cross-entropy, with the
        non-saturating generator loss); ``"wgan-gp"``: Wasserstein loss with
        gradient penalty. ``"bce"`` is the default by measurement: on Adult
        (20 epochs, two seeds, ``benchmarks/bench_components.py``) it scored
        a higher quality (0.891 vs 0.880) and ran 20 % faster per epoch (no
        double backward for the penalty). The synthetic >50K share moves from
        run to run at 20 epochs (real 0.241; bce 0.243 vs 0.329 in the run on
        that page, 0.326 vs 0.217 in an earlier one). See
        ``docs/benchmarks_components.md``.
    noise_dim : int, default=128
        Size of the generator's noise vector.
    generator_sizes : tuple of int, default=(256, 256)
        Widths of the generator's residual blocks.
    discriminator_sizes : tuple of int, default=(256, 256)
        Hidden layer widths of the discriminator.
    generator_lr, discriminator_lr : float, default=2e-4
        Adam learning rates.
    generator_weight_decay, discriminator_weight_decay : float, default=1e-6
        Adam weight decay.
    discriminator_steps : int, default=1
        Discriminator updates per generator update.
    pac : int, default=10
        Rows the discriminator judges together (PacGAN), against mode collapse.
    discriminator_dropout : float, default=0.5
        Dropout in the discriminator.
    gradient_penalty : float, default=10.0
        Weight of the gradient penalty (``loss="wgan-gp"`` only).
    tau : float, default=0.2
        Gumbel-softmax temperature during training.
    discrete_columns : "auto" or list of str or int, default="auto"
        Discrete columns; ``"auto"`` takes bool, category, string and object ones.
    device : str or torch.device, default="cpu"
        ``"cpu"``, ``"cuda"``, ``"cuda:N"``, ``"mps"`` or ``"auto"``.
    random_state : int, RandomState instance or None, default=None
        Seeds weights, noise, conditions and shuffling; global random states
        are untouched.
    verbose : int, default=0
        1 shows a progress bar and per-epoch losses.
    callbacks : list of skorch callbacks, default=None
        Extra callbacks for the internal net (copied at each ``fit``).
        ``on_grad_computed`` runs after each network's backward pass, with
        that network's parameters (so ``GradientNormClipping`` clips the
        discriminator's and the generator's gradients); an ``LRScheduler``
        schedules the generator's optimizer (``net_.optimizer_``).
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
        The trained net: ``net_.module_`` is the generator,
        ``net_.discriminator_`` the discriminator.
    history_ : skorch.History
        Per-epoch ``train_loss`` (generator), ``discriminator_loss`` and
        ``condition_loss``; with
        ``early_stopping``, ``valid_quality`` at each check.
    discrete_columns_ : list
        Labels of the discrete columns of ``X``.
    device_ : str
        The device the model lives on.
    classes_ : ndarray
        Class labels, when fitted with class labels ``y``.
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
    VAESynthesizer : the variational autoencoder, faster to train.

    Examples
    --------
    >>> from sksynth import GANSynthesizer
    >>> from sksynth.datasets import load_adult
    >>> X = load_adult().frame.iloc[:1000]
    >>> gan = GANSynthesizer(epochs=2, random_state=0).fit(X)
    >>> gan.sample(3, random_state=0).shape
    (3, 15)
    >>> hasattr(gan, "transform")
    False
    """

    _layer_sizes = ("generator_sizes", "discriminator_sizes")

    _parameter_constraints: dict = {
        **BaseSynthesizer._parameter_constraints,
        "loss": [StrOptions({"bce", "wgan-gp"})],
        "noise_dim": [Interval(Integral, 1, None, closed="left")],
        "generator_sizes": [tuple, list],
        "discriminator_sizes": [tuple, list],
        "generator_lr": [Interval(Real, 0, None, closed="neither")],
        "discriminator_lr": [Interval(Real, 0, None, closed="neither")],
        "generator_weight_decay": [Interval(Real, 0, None, closed="left")],
        "discriminator_weight_decay": [Interval(Real, 0, None, closed="left")],
        "discriminator_steps": [Interval(Integral, 1, None, closed="left")],
        "pac": [Interval(Integral, 1, None, closed="left")],
        "discriminator_dropout": [Interval(Real, 0, 1, closed="left")],
        "gradient_penalty": [Interval(Real, 0, None, closed="left")],
        "tau": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        *,
        epochs=300,
        batch_size=500,
        loss="bce",
        noise_dim=128,
        generator_sizes=(256, 256),
        discriminator_sizes=(256, 256),
        generator_lr=2e-4,
        discriminator_lr=2e-4,
        generator_weight_decay=1e-6,
        discriminator_weight_decay=1e-6,
        discriminator_steps=1,
        pac=10,
        discriminator_dropout=0.5,
        gradient_penalty=10.0,
        tau=0.2,
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
        self.loss = loss
        self.noise_dim = noise_dim
        self.generator_sizes = generator_sizes
        self.discriminator_sizes = discriminator_sizes
        self.generator_lr = generator_lr
        self.discriminator_lr = discriminator_lr
        self.generator_weight_decay = generator_weight_decay
        self.discriminator_weight_decay = discriminator_weight_decay
        self.discriminator_steps = discriminator_steps
        self.pac = pac
        self.discriminator_dropout = discriminator_dropout
        self.gradient_penalty = gradient_penalty
        self.tau = tau
        self.discrete_columns = discrete_columns
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.validation_interval = validation_interval
        self.n_iter_no_change = n_iter_no_change

    def _check_data(self, n_rows):
        if self.batch_size < 2:
            raise ValueError(
                f"batch_size must be at least 2 (the generator's batch normalisation needs "
                f"two rows); got {self.batch_size}."
            )
        if self.batch_size % self.pac:
            raise ValueError(
                f"batch_size must be a multiple of pac; got batch_size={self.batch_size} "
                f"and pac={self.pac}."
            )
        if n_rows < max(self.pac, 2):
            raise ValueError(
                f"GANSynthesizer needs at least max(pac, 2) = {max(self.pac, 2)} rows; got "
                f"{n_rows} sample{'s' if n_rows != 1 else ''} (n_samples = {n_rows})."
            )

    def _build_net(self, seed):
        kwargs = self._net_kwargs(seed)
        kwargs["callbacks"] = [
            PassthroughScoring(name="discriminator_loss", on_train=True),
            PassthroughScoring(name="condition_loss", on_train=True),
            *kwargs["callbacks"],
        ]
        spans = self.transformer_.output_spans_
        condition_spans = [s for s in spans if s.kind == "category"]
        net = GANNet(
            module=Generator,
            module__spans=spans,
            module__noise_dim=self.noise_dim,
            module__cond_dim=sum(s.width for s in condition_spans),
            module__sizes=tuple(self.generator_sizes),
            module__seed=seed,
            criterion=torch.nn.Identity,
            optimizer=Adam,
            lr=self.generator_lr,
            optimizer__betas=(0.5, 0.9),
            optimizer__weight_decay=self.generator_weight_decay,
            loss=self.loss,
            pac=self.pac,
            discriminator_steps=self.discriminator_steps,
            gradient_penalty=self.gradient_penalty,
            tau=self.tau,
            discriminator_sizes=tuple(self.discriminator_sizes),
            discriminator_dropout=self.discriminator_dropout,
            discriminator_lr=self.discriminator_lr,
            discriminator_weight_decay=self.discriminator_weight_decay,
            **kwargs,
        )
        net.condition_spans_ = condition_spans
        return net

    _steers = True

    def _generate(self, n, generator, wanted=None):
        cond_index = None
        if wanted is not None and self.net_.condition_spans_:
            # steer each row by the rarest of its wanted values (its conditional vector)
            lookup, probs = self._condition_lookup()
            index = lookup[wanted]
            pick = np.where(index >= 0, probs[np.maximum(index, 0)], np.inf).argmin(axis=1)
            cond_index = np.take_along_axis(index, pick[:, None], axis=1)[:, 0]
            cond_index = None if (cond_index < 0).any() else cond_index
        return self.net_.generate(n, generator, cond_index)

    def _condition_lookup(self):
        """Conditional-vector position of each encoded column (-1: none) and its data frequency."""
        sampler = self.net_.sampler_
        lookup = np.full(self.transformer_.n_output_features_, -1, dtype=np.int64)
        probs = np.empty(sampler.cond_dim)
        data_probs = sampler.data_probs.cpu().numpy()
        for j, span in enumerate(self.net_.condition_spans_):
            offset = int(sampler.offsets[j])
            lookup[span.start : span.stop] = offset + np.arange(span.width)
            probs[offset : offset + span.width] = data_probs[j, : span.width]
        return lookup, probs
