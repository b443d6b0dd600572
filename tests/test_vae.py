import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sksynth import VAESynthesizer


def small(**kw):
    params = dict(epochs=3, batch_size=64, latent_dim=4, encoder_sizes=(16,), decoder_sizes=(16,))
    params.update(kw)
    return VAESynthesizer(**params)


def test_pipeline_transform_gives_latents():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5)) * [1, 10, 100, 1, 1]
    pipe = Pipeline([("scale", StandardScaler()), ("vae", small(random_state=0))]).fit(X)
    Z = pipe.transform(X)
    assert Z.shape == (200, 4) and np.isfinite(Z).all()


def test_pipeline_with_classifier_on_latents(adult_small):
    X = adult_small.drop(columns="income")
    y = adult_small["income"]
    pipe = Pipeline([("vae", small(latent_dim=8, random_state=0)), ("clf", LogisticRegression())])
    pipe.fit(X, y)
    assert pipe.score(X, y) > 0.7


def test_grid_search_uses_score(adult_small):
    X = adult_small.iloc[:600, :6]
    grid = GridSearchCV(small(random_state=0), {"latent_dim": [2, 8]}, cv=3).fit(X)
    assert grid.best_params_["latent_dim"] in (2, 8)
    assert 0 < grid.best_score_ <= 1
    assert np.isfinite(grid.cv_results_["mean_test_score"]).all()


def test_set_output_and_feature_names(adult_small):
    vae = small(random_state=0).set_output(transform="pandas").fit(adult_small)
    Z = vae.transform(adult_small.iloc[:5])
    assert isinstance(Z, pd.DataFrame)
    assert list(Z.columns) == [f"vaesynthesizer{k}" for k in range(4)]
    assert list(vae.get_feature_names_out()) == list(Z.columns)


def test_inverse_transform_and_score_samples(adult_small):
    vae = small(random_state=0).fit(adult_small)
    Z = vae.transform(adult_small.iloc[:10])
    back = vae.inverse_transform(Z)
    assert back.shape == (10, 15) and back.dtypes.equals(adult_small.dtypes)
    elbo = vae.score_samples(adult_small.iloc[:10])
    assert elbo.shape == (10,) and np.isfinite(elbo).all()
    # deterministic and independent of the other rows
    np.testing.assert_allclose(vae.score_samples(adult_small.iloc[3:5]), elbo[3:5])
    with pytest.raises(ValueError, match="feature names"):
        vae.transform(adult_small.drop(columns="age"))
    with pytest.raises(ValueError, match=r"Z has shape \(3, 2\); expected \(n_samples, 4\)"):
        vae.inverse_transform(np.zeros((3, 2)))
    Z[1, 2] = np.inf  # decoded as a missing value before, in a column that had none
    with pytest.raises(ValueError, match=r"Z holds inf at row 1, column 2; expected finite"):
        vae.inverse_transform(Z)


def test_transform_after_fit_with_labels(adult_small):
    X, y = adult_small.drop(columns="income"), adult_small["income"]
    vae = small(latent_dim=6, random_state=0).fit(X, y)
    assert vae.transform(X.iloc[:7]).shape == (7, 6)
    assert vae.score_samples(X.iloc[:7]).shape == (7,)
    assert vae.inverse_transform(vae.transform(X.iloc[:3])).shape == (3, 14)


def test_statistics_close_to_real_data(adult):
    train = adult.sample(8000, random_state=1)
    untrained = VAESynthesizer(epochs=1, lr=1e-9, random_state=0).fit(train)
    vae = VAESynthesizer(epochs=15, random_state=0).fit(train)
    synth = vae.sample(8000, random_state=0)
    for col in ["sex", "relationship", "income"]:
        real_freq = train[col].value_counts(normalize=True)
        synth_freq = synth[col].value_counts(normalize=True).reindex(real_freq.index, fill_value=0)
        assert (real_freq - synth_freq).abs().max() < 0.1, col
    for col in ["age", "hours-per-week"]:
        q_real = train[col].quantile([0.25, 0.5, 0.75]).to_numpy()
        q_synth = synth[col].quantile([0.25, 0.5, 0.75]).to_numpy()
        assert np.all(np.abs(q_real - q_synth) <= 0.15 * train[col].std() + 2), col
    # capital-gain is 0 in ~92% of rows: the atom keeps that share
    assert abs((synth["capital-gain"] == 0).mean() - (train["capital-gain"] == 0).mean()) < 0.05
    assert vae.score(train) > untrained.score(train) + 0.05
    assert vae.score(train) > 0.85


@pytest.mark.parametrize("labels", [False, True])
def test_transform_score_samples_and_inverse_go_in_chunks(adult_small, monkeypatch, labels):
    # 200k rows took 2.4 GB in score_samples: every row was encoded, and run through
    # the networks, at once; chunks of rows give the same results
    import sksynth.nn._layers as layers_module
    import sksynth.synthesizers._vae as vae_module

    X, y = adult_small.drop(columns="income"), adult_small["income"]
    vae = small(random_state=0).fit(X, y) if labels else small(random_state=0).fit(adult_small)
    rows = (X if labels else adult_small).iloc[:50]
    whole = vae.transform(rows), vae.score_samples(rows)
    back = vae.inverse_transform(whole[0])
    for module in (layers_module, vae_module):  # the last chunk a single row
        monkeypatch.setattr(module, "CHUNK_ROWS", 7)
    # float64 throughout: a row's result does not depend on its chunk, to rounding
    np.testing.assert_allclose(vae.transform(rows), whole[0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(vae.score_samples(rows), whole[1], rtol=1e-12)
    pd.testing.assert_frame_equal(vae.inverse_transform(whole[0]), back)
    assert vae.inverse_transform(np.zeros((0, 4))).shape == (0, rows.shape[1])


def test_inverse_transform_has_no_metadata_request():
    # Z was advertised as metadata to route (set_inverse_transform_request(Z=...))
    assert VAESynthesizer().get_metadata_routing().consumes("inverse_transform", ["Z"]) == set()
    assert not hasattr(VAESynthesizer(), "set_inverse_transform_request")
