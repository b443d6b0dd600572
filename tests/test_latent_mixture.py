"""``VAESynthesizer(latent_mixture=k)``: latents drawn from a mixture fitted to the posteriors."""

import copy
import io
import json
import pickle
import warnings
import zipfile

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.mixture import GaussianMixture
from sklearn.utils._param_validation import InvalidParameterError

import sksynth
from sksynth import VAESynthesizer
from sksynth.exceptions import PersistenceError
from sksynth.synthesizers import _latent_mixture
from sksynth.synthesizers._latent_mixture import (
    draw_latents,
    mixture_from_state,
    mixture_info,
    mixture_state,
)


def small(**kw):
    params = dict(epochs=3, batch_size=64, latent_dim=4, encoder_sizes=(16,), decoder_sizes=(16,))
    params.update(kw)
    return VAESynthesizer(**params)


def hand_mixture(weights, means, covariances):
    """A fitted-looking mixture with the given parameters."""
    covariances = np.asarray(covariances, dtype=float)
    precisions_chol = np.linalg.cholesky(np.linalg.inv(covariances))
    state = {
        "weights": torch.tensor(weights, dtype=torch.float64),
        "means": torch.tensor(means, dtype=torch.float64),
        "covariances": torch.from_numpy(covariances),
        "precisions_cholesky": torch.from_numpy(precisions_chol),
    }
    info = {"random_state": 0, "converged": True, "n_iter": 1, "lower_bound": 0.0}
    return mixture_from_state(state, info)


@pytest.fixture(scope="module")
def fitted(adult):
    X = adult.sample(1500, random_state=1).reset_index(drop=True)
    return small(latent_mixture=3, random_state=0).fit(X), X


def test_draws_follow_the_mixture():
    weights = [0.2, 0.5, 0.3]
    means = [[-4.0, 0.0], [3.0, 3.0], [0.0, -5.0]]
    covariances = [
        [[1.0, 0.8], [0.8, 1.0]],
        [[0.25, 0.0], [0.0, 4.0]],
        [[2.0, -0.5], [-0.5, 0.5]],
    ]
    mixture = hand_mixture(weights, means, covariances)
    z = draw_latents(mixture, 200_000, torch.Generator().manual_seed(0)).numpy()
    assert z.dtype == np.float32 and z.shape == (200_000, 2)
    component = mixture.predict(z)  # the components are far apart: little overlap
    for k in range(3):
        rows = z[component == k]
        assert abs(len(rows) / len(z) - weights[k]) < 0.01
        np.testing.assert_allclose(rows.mean(axis=0), means[k], atol=0.05)
        np.testing.assert_allclose(np.cov(rows.T), covariances[k], atol=0.06)
    again = draw_latents(mixture, 200_000, torch.Generator().manual_seed(0)).numpy()
    np.testing.assert_array_equal(z, again)


def test_fitted_mixture_matches_the_posteriors(fitted):
    model, X = fitted
    mixture = model.latent_mixture_
    assert isinstance(mixture, GaussianMixture)
    assert mixture.n_components == 3 and mixture.means_.shape == (3, 4)
    # the mixture's overall mean is near the mean of the rows' posterior means
    overall = mixture.weights_ @ mixture.means_
    np.testing.assert_allclose(overall, model.transform(X).mean(axis=0), atol=0.1)
    # seeded: the same fit gives the same mixture
    again = clone(model).fit(X).latent_mixture_
    np.testing.assert_array_equal(again.means_, mixture.means_)


def test_sampling_uses_the_mixture(fitted):
    model, X = fitted
    a = model.sample(3000, random_state=1)
    pd.testing.assert_frame_equal(a, model.sample(3000, random_state=1))
    assert a.dtypes.equals(X.dtypes)
    chunks = model.sample_chunks(3000, chunk_size=1100, random_state=1)
    pd.testing.assert_frame_equal(pd.concat(list(chunks), ignore_index=True), a)
    # a single narrow component far from the others decodes into other rows
    far = hand_mixture([1.0], [[8.0] * 4], [np.eye(4) * 1e-4])
    shifted = pickle.loads(pickle.dumps(model))
    shifted.latent_mixture_ = far
    b = shifted.sample(3000, random_state=1)
    numeric = X.select_dtypes("number").columns
    assert not np.allclose(a[numeric].mean(), b[numeric].mean(), rtol=0.05)


def test_default_samples_from_the_prior(adult_small):
    model = small(random_state=0).fit(adult_small)
    assert model.latent_mixture_ is None
    with_mixture = small(latent_mixture=2, random_state=0).fit(adult_small)
    # the same seed trains the same net; only the latent draws differ
    for p, q in zip(model.net_.module_.parameters(), with_mixture.net_.module_.parameters()):
        torch.testing.assert_close(p, q)
    assert not model.sample(200, random_state=0).equals(with_mixture.sample(200, random_state=0))


def test_at_most_one_component_per_row():
    X = np.random.default_rng(0).normal(size=(6, 3))
    model = small(latent_mixture=10, random_state=0).fit(X)
    assert model.latent_mixture_.n_components == 6
    assert model.sample(5, random_state=0).shape == (5, 3)
    with pytest.raises(ValueError, match="at least 2 training rows .*; got n_samples = 1"):
        small(latent_mixture=10).fit(X[:1])
    assert small().fit(X[:1]).latent_mixture_ is None  # the prior needs no second row


def test_large_tables_use_a_subsample(monkeypatch):
    seen = []
    fit = GaussianMixture.fit

    def spy(self, z, y=None):
        seen.append(len(z))
        return fit(self, z, y)

    monkeypatch.setattr(_latent_mixture, "MIXTURE_ROWS", 300)
    monkeypatch.setattr(GaussianMixture, "fit", spy)
    X = np.random.default_rng(0).normal(size=(1000, 3))
    small(epochs=1, latent_mixture=2, random_state=0).fit(X)
    assert seen == [300]


def test_refit_without_mixture_clears_it(fitted):
    model, X = fitted
    refit = copy.deepcopy(model).set_params(latent_mixture=None).fit(X.iloc[:300])
    assert refit.latent_mixture_ is None


def test_with_early_stopping_and_labels(adult_small):
    X, y = adult_small.drop(columns="income"), adult_small["income"]
    model = small(
        epochs=10, latent_mixture=2, early_stopping=True, validation_interval=2, random_state=0
    ).fit(X, y)
    assert model.best_epoch_ is not None and model.latent_mixture_.n_components == 2
    Xs, ys = model.sample(400, y=">50K", random_state=0)
    assert (ys == ">50K").all() and len(Xs) == 400


@pytest.mark.parametrize("value", [0, -1, 2.5, "10", True])
def test_invalid_latent_mixture(value):
    with pytest.raises(InvalidParameterError, match="latent_mixture"):
        small(latent_mixture=value).fit(np.zeros((20, 2)))


def test_saved_and_loaded(fitted, tmp_path):
    model, _ = fitted
    sksynth.save(model, tmp_path / "m")
    loaded = sksynth.load(tmp_path / "m")
    for key, tensor in mixture_state(model.latent_mixture_).items():
        torch.testing.assert_close(mixture_state(loaded.latent_mixture_)[key], tensor)
    assert mixture_info(loaded.latent_mixture_) == mixture_info(model.latent_mixture_)
    pd.testing.assert_frame_equal(
        loaded.sample(500, random_state=2), model.sample(500, random_state=2)
    )
    z = np.random.default_rng(0).normal(size=(50, 4))
    np.testing.assert_allclose(
        loaded.latent_mixture_.score_samples(z), model.latent_mixture_.score_samples(z)
    )
    with zipfile.ZipFile(tmp_path / "m") as archive:
        assert json.loads(archive.read("sksynth.json"))["version"] == 2


def test_files_without_mixture_stay_version_1(adult_small, tmp_path):
    model = small(random_state=0).fit(adult_small.iloc[:300])
    sksynth.save(model, tmp_path / "m")
    with zipfile.ZipFile(tmp_path / "m") as archive:
        state = json.loads(archive.read("sksynth.json"))
    assert state["version"] == 1
    # a version that predates the parameter builds the estimator from these
    assert "latent_mixture" not in state["params"]
    assert sksynth.load(tmp_path / "m").latent_mixture_ is None
    # set after fitting, it is not the fitted model's: not saved, and the file stays
    # readable by versions that predate the parameter
    with pytest.warns(UserWarning, match="not saved: latent_mixture"):
        sksynth.save(model.set_params(latent_mixture=3), tmp_path / "p")
    with zipfile.ZipFile(tmp_path / "p") as archive:
        assert json.loads(archive.read("sksynth.json"))["version"] == 1


def test_broken_mixture_in_a_file(fitted, tmp_path):
    model, _ = fitted
    sksynth.save(model, tmp_path / "m")
    with zipfile.ZipFile(tmp_path / "m") as archive:
        state = archive.read("sksynth.json")
        weights = torch.load(io.BytesIO(archive.read("weights.pt")), weights_only=True)

    def write(name, weights):
        buffer = io.BytesIO()
        torch.save(weights, buffer)
        with zipfile.ZipFile(tmp_path / name, "w") as archive:
            archive.writestr("sksynth.json", state)
            archive.writestr("weights.pt", buffer.getvalue())

    write("missing", {k: v for k, v in weights.items() if k != "latent_mixture.means"})
    with pytest.raises(PersistenceError, match="broken latent mixture"):
        sksynth.load(tmp_path / "missing")
    covariances = weights["latent_mixture.covariances"]
    broken = {
        "means": (torch.zeros((3, 5), dtype=torch.float64), r"means has shape \(3, 5\)"),
        "means ": (torch.zeros(3, dtype=torch.float64), r"means has shape \(3,\)"),
        "covariances": (covariances[:2], r"covariances has shape \(2, 4, 4\)"),
        "covariances ": (-covariances, "not positive definite"),
        "weights": (torch.tensor([0.5, float("nan"), 0.5], dtype=torch.float64), "finite"),
    }
    for k, (name, (value, message)) in enumerate(broken.items()):
        write(f"b{k}", {**weights, f"latent_mixture.{name.strip()}": value})
        with pytest.raises(PersistenceError, match=f"latent_dim=4 .*{message}"):
            sksynth.load(tmp_path / f"b{k}")


def test_pickles_from_before_the_parameter(fitted):
    model, _ = fitted
    state = copy.deepcopy(model.__getstate__())
    del state["latent_mixture"], state["latent_mixture_"]
    old = VAESynthesizer.__new__(VAESynthesizer)
    old.__setstate__(state)
    assert old.latent_mixture is None and old.latent_mixture_ is None
    assert "VAESynthesizer" in repr(old) and clone(old).latent_mixture is None
    assert old.sample(10, random_state=0).shape == (10, model.n_features_in_)


def test_convergence_warning_names_the_parameter(monkeypatch):
    from functools import partial

    from sklearn.exceptions import ConvergenceWarning

    monkeypatch.setattr(_latent_mixture, "GaussianMixture", partial(GaussianMixture, max_iter=1))
    X = np.random.default_rng(0).normal(size=(300, 3))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        small(epochs=1, latent_mixture=4, random_state=0).fit(X)
    converge = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert len(converge) == 1
    assert "latent_mixture: the Gaussian mixture" in str(converge[0].message)
    assert "did not converge in 1 EM" in str(converge[0].message)
    assert converge[0].filename == __file__  # points at the caller of fit
