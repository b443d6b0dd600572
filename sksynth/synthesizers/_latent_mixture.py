"""The VAE's fitted latent density: a Gaussian mixture over the training rows' posteriors.

A VAE samples by decoding draws of its prior N(0, I), but the latents its
encoder gives the training rows (the aggregate posterior) fill that prior
unevenly: some regions of N(0, I) are decoded into rows unlike any training
row. Fitting a density to posterior draws after training and sampling from it
instead ("ex-post density estimation": Ghosh et al., "From Variational to
Deterministic Autoencoders", ICLR 2020) keeps the draws where the data are.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

from ..nn._denormals import flush_denormals
from ..nn._layers import draw_categories, expanded_chunks
from ..nn._net import make_generator
from ..preprocessing._warnings import user_stacklevel

#: At most this many training rows (a seeded subsample) give the mixture's draws.
MIXTURE_ROWS = 20_000


def fit_latent_mixture(module, data: torch.Tensor, n_components: int, seed: int) -> GaussianMixture:
    """A full-covariance Gaussian mixture fitted to one posterior draw per training row.

    ``data`` is the training matrix in the compact layout (on the CPU); at most
    :data:`MIXTURE_ROWS` of its rows are used, and at most one component per
    row. ``module`` is the trained :class:`~sksynth.nn._vae.VAEModule`.
    """
    rng = np.random.default_rng(seed)
    n = data.shape[0]
    if n > MIXTURE_ROWS:
        data = data[np.sort(rng.choice(n, MIXTURE_ROWS, replace=False))]
    device = module.log_scale.device
    generator = make_generator(int(rng.integers(2**31 - 1)), "cpu")
    module.eval()
    draws = []
    with torch.no_grad(), flush_denormals(pool=False):
        for rows in expanded_chunks(data, module.layout, device):
            mu, logvar = module.encode(rows)
            eps = torch.randn(mu.shape, generator=generator, dtype=torch.float64)
            std = torch.exp(0.5 * logvar.double().cpu())
            draws.append((mu.double().cpu() + eps * std).numpy())
    z = np.concatenate(draws)
    mixture = GaussianMixture(
        n_components=min(n_components, len(z)),
        covariance_type="full",
        random_state=int(rng.integers(2**31 - 1)),
    )
    with warnings.catch_warnings():
        # said below in the estimator's terms instead of sklearn.mixture's
        warnings.filterwarnings("ignore", category=ConvergenceWarning, module="sklearn.mixture")
        mixture.fit(z)
    if not mixture.converged_:
        warnings.warn(
            f"latent_mixture: the Gaussian mixture of the latents did not converge in "
            f"{mixture.max_iter} EM iterations; sampling uses it as it stands.",
            ConvergenceWarning,
            stacklevel=user_stacklevel(),  # the caller of fit
        )
    return mixture


def draw_latents(mixture: GaussianMixture, n: int, generator: torch.Generator) -> torch.Tensor:
    """``n`` float32 draws from ``mixture``, on ``generator``'s device.

    One uniform per row picks its component (:func:`draw_categories`), then
    ``z = mean + L eps`` with ``L`` the Cholesky factor of its covariance and
    ``eps`` standard normal.
    """
    device = generator.device
    means = torch.as_tensor(mixture.means_, dtype=torch.float32, device=device)
    chol = torch.as_tensor(
        np.linalg.cholesky(mixture.covariances_), dtype=torch.float32, device=device
    )
    component = draw_categories(mixture.weights_, n, generator)
    eps = torch.randn((n, means.shape[1]), generator=generator, device=device, dtype=means.dtype)
    # rows grouped by component: one product per component, memory O(n * d) whatever k
    order = torch.argsort(component)
    grouped = eps.index_select(0, order)
    start = 0
    for k, count in enumerate(torch.bincount(component, minlength=len(means)).tolist()):
        if count:
            rows = grouped[start : start + count]
            rows.copy_(torch.addmm(means[k], rows, chol[k].T))
            start += count
    return eps.index_copy_(0, order, grouped)


def mixture_state(mixture: GaussianMixture) -> dict[str, torch.Tensor]:
    """The fitted arrays of ``mixture`` as float64 tensors (for ``sksynth.save``)."""
    return {
        "weights": torch.from_numpy(np.asarray(mixture.weights_, dtype=np.float64)),
        "means": torch.from_numpy(np.asarray(mixture.means_, dtype=np.float64)),
        "covariances": torch.from_numpy(np.asarray(mixture.covariances_, dtype=np.float64)),
    }


def mixture_from_state(state: dict[str, torch.Tensor], info: dict) -> GaussianMixture:
    """A fitted ``GaussianMixture`` rebuilt from :func:`mixture_state` and its ``info``
    (``random_state``, ``converged``, ``n_iter``, ``lower_bound``).

    The precisions are derived from the covariances, as scikit-learn derives
    them (``numpy.linalg.LinAlgError``, a ``ValueError``, where one is not
    positive definite)."""
    weights = state["weights"].numpy()
    mixture = GaussianMixture(
        n_components=len(weights), covariance_type="full", random_state=info["random_state"]
    )
    mixture.weights_ = weights
    mixture.means_ = state["means"].numpy()
    mixture.covariances_ = state["covariances"].numpy()
    # L^-T with L the covariances' lower Cholesky factor, as scikit-learn stores it
    chol = np.linalg.inv(np.linalg.cholesky(mixture.covariances_)).transpose(0, 2, 1)
    mixture.precisions_cholesky_ = chol
    mixture.precisions_ = chol @ chol.transpose(0, 2, 1)
    mixture.converged_ = info["converged"]
    mixture.n_iter_ = info["n_iter"]
    mixture.lower_bound_ = info["lower_bound"]
    mixture.n_features_in_ = mixture.means_.shape[-1]
    return mixture


def check_mixture(mixture: GaussianMixture, latent_dim: int) -> None:
    """Raise a ``ValueError`` unless ``mixture`` (positive-definite covariances,
    as :func:`mixture_from_state` ensures) is one :func:`draw_latents` can use
    for latents of ``latent_dim`` dimensions."""
    weights = np.asarray(mixture.weights_)
    k = len(weights)
    if weights.ndim != 1 or not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError(f"weights must be k finite non-negative numbers; got {weights!r}")
    if weights.sum() <= 0:
        raise ValueError("weights sum to zero")
    expected = {"means": (k, latent_dim), "covariances": (k, latent_dim, latent_dim)}
    for name, shape in expected.items():
        value = np.asarray(getattr(mixture, f"{name}_"))
        if value.shape != shape:
            raise ValueError(f"{name} has shape {value.shape}; expected {shape}")
        if not np.isfinite(value).all():
            raise ValueError(f"{name} holds non-finite values")


def mixture_info(mixture: GaussianMixture) -> dict:
    """The scalars :func:`mixture_from_state` needs besides the arrays."""
    return {
        "random_state": mixture.random_state,
        "converged": bool(mixture.converged_),
        "n_iter": int(mixture.n_iter_),
        "lower_bound": float(mixture.lower_bound_),
    }
