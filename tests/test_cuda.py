"""``device="cuda"`` end to end: skipped where no CUDA GPU is present (CI has none)."""

import pickle

import numpy as np
import pandas as pd
import pytest
import torch

from sksynth import SyntheticOverSampler, load, save

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.fixture
def fitted(make, adult_small):
    X, y = adult_small.drop(columns="income"), adult_small["income"]
    return make(device="cuda", random_state=0).fit(X, y), X, y


def test_network_and_buffers_live_on_the_gpu(fitted):
    model, _, _ = fitted
    assert model.device_.startswith("cuda")
    assert all(p.is_cuda for p in model.net_.module_.parameters())
    if hasattr(model.net_, "sampler_"):  # the GAN's: counts on the GPU, no rows kept
        assert all(b.is_cuda for b in model.net_.sampler_.buffers())
        assert model.net_.data_ is None and model.net_.sampler_._row_order is None


def test_samples_are_reproducible_and_chunks_match(fitted):
    model, X, _ = fitted
    a, ya = model.sample(3000, random_state=1)
    b, yb = model.sample(3000, random_state=1)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_series_equal(ya, yb)
    assert a.dtypes.equals(X.dtypes)
    chunks = list(model.sample_chunks(3000, chunk_size=1000, random_state=1))
    pd.testing.assert_frame_equal(pd.concat([c for c, _ in chunks], ignore_index=True), a)


def test_conditional_sampling_on_the_gpu(fitted):
    model, _, _ = fitted
    X, y = model.sample(500, y=">50K", conditions={"sex": "Female"}, random_state=0)
    assert (y == ">50K").all() and (X["sex"] == "Female").all()


def test_score_and_latents_on_the_gpu(fitted):
    model, X, _ = fitted
    assert 0 < model.score(X) <= 1
    if hasattr(model, "transform"):
        Z = model.transform(X)
        assert Z.shape == (len(X), model.latent_dim) and np.isfinite(Z).all()
        assert np.isfinite(model.score_samples(X)).all()
        assert model.inverse_transform(Z[:50]).dtypes.equals(X.dtypes)


def test_gpu_model_saved_and_loaded_without_cuda(fitted, tmp_path, monkeypatch):
    model, X, _ = fitted
    path = tmp_path / "m.sksynth"
    save(model, path)
    expected = model.sample(200, random_state=0)[0]
    pd.testing.assert_frame_equal(load(path).sample(200, random_state=0)[0], expected)
    data = pickle.dumps(model)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    for loaded in (load(path), pickle.loads(data)):
        assert loaded.device_ == "cpu"
        assert all(not p.is_cuda for p in loaded.net_.module_.parameters())
        out, _ = loaded.sample(200, random_state=0)
        assert out.dtypes.equals(X.dtypes)


def test_oversampler_with_a_gpu_synthesizer(make, adult_small):
    X, y = adult_small.drop(columns="income"), adult_small["income"]
    sampler = SyntheticOverSampler(make(device="cuda"), random_state=0)
    X_res, y_res = sampler.fit_resample(X, y)
    counts = y_res.value_counts()
    assert counts.nunique() == 1 and len(X_res) == len(y_res)


def test_latent_mixture_on_the_gpu(adult_small):
    from sksynth import VAESynthesizer

    X = adult_small.drop(columns="income")
    model = VAESynthesizer(epochs=2, latent_mixture=3, device="cuda", random_state=0).fit(X)
    assert model.latent_mixture_.n_components == 3
    a = model.sample(3000, random_state=1)
    pd.testing.assert_frame_equal(a, model.sample(3000, random_state=1))
    chunks = list(model.sample_chunks(3000, chunk_size=1000, random_state=1))
    pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), a)
