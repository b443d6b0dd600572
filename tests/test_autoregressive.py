"""``VAESynthesizer(autoregressive=True)``: each span drawn given the spans before it."""

import copy
import json
import pickle
import zipfile

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import make_mixed
from sklearn.utils._param_validation import InvalidParameterError

import sksynth
from sksynth import VAESynthesizer
from sksynth.nn import _autoregressive
from sksynth.nn._autoregressive import context_mask, drawing_order
from sksynth.nn._layers import apply_activations, draw_thermometer
from sksynth.preprocessing import Span
from sksynth.preprocessing._columns import TARGET_COLUMN


def small(**kw):
    params = dict(epochs=3, batch_size=64, latent_dim=4, encoder_sizes=(16,), decoder_sizes=(16,))
    return VAESynthesizer(**{**params, "autoregressive": True, **kw})


def test_mask_lets_a_span_see_only_the_spans_drawn_before_it():
    spans = [
        Span("a", "scalar", 0, 1),
        Span("a", "mode", 1, 3),
        Span("a", "missing", 3, 5),
        Span("b", "category", 5, 7),
    ]
    order = drawing_order(spans)
    assert order == [2, 1, 0, 3]  # missing flag, mode, value within the mode; then b
    mask = context_mask(spans, order, 7)
    expected = torch.zeros(7, 7)
    expected[1:3, 3:5] = 1  # the mode sees the flag
    expected[0, 1:5] = 1  # the value sees the flag and the mode
    expected[5:7, 0:5] = 1  # b sees all of a
    torch.testing.assert_close(mask, expected)


def test_columns_in_table_order_and_y_last():
    X = make_mixed(200)
    y = np.array(["p", "q"] * 100)
    model = small(random_state=0).fit(X, y)
    spans, order = model.transformer_.output_spans_, model.net_.module_.context.order
    columns = [spans[k].column for k in order]
    assert list(dict.fromkeys(columns)) == [*(f"x{k}" for k in range(X.shape[1])), TARGET_COLUMN]
    assert [spans[k].kind for k in order if spans[k].column == "x0"] == [
        "missing",
        "mode",
        "scalar",
    ]


def with_strong_context(X):
    """A model fitted on ``X`` with a strong random context term, and latents to decode."""
    model = small(random_state=0).fit(X)
    module = model.net_.module_
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        module.context.weight.copy_(torch.randn(module.context.weight.shape, generator=generator))
    z = torch.randn((80, module.latent_dim), generator=generator)
    return model, module, z


@pytest.fixture(scope="module")
def strong():
    return with_strong_context(make_mixed(300))


#: chunk widths for the sampler: one chunk per table column, several columns, all
#: the model's 33 encoded columns in one chunk (its default)
CHUNKS = [1, 12, 32]


@pytest.mark.parametrize("chunk", CHUNKS)
def test_greedy_rows_are_the_likeliest_under_the_training_product(strong, chunk, monkeypatch):
    # the sequential draw and the masked product that training scores agree: the
    # greedy rows, fed back as context (missing values' spans left at zero, as in
    # the training rows), are again the most likely outputs, span by span
    model, module, z = strong
    monkeypatch.setattr(_autoregressive, "_CHUNK_FEATURES", chunk)
    with torch.no_grad():
        rows = module.decode_mode(z)
        layout = module.layout
        context = rows.clone()
        context[:, layout.gated] *= rows[:, layout.gate]
        again = apply_activations(module.decode(z, context), layout, onehot="argmax")
    assert layout.gated.numel() and (rows[:, layout.gate] == 0).any()  # some drawn missing
    torch.testing.assert_close(again, rows, rtol=1e-5, atol=1e-5)


def reference_rows(module, z, seed):
    """``module.sample_rows(z, generator)`` the slow way: each span drawn from the
    training product given the rows drawn so far, in float64, one span at a time."""
    layout, order = module.layout, module.context.order
    n_onehot = sum(layout.spans[k].is_onehot for k in order)
    generator = torch.Generator().manual_seed(seed)
    uniforms = torch.rand((n_onehot, len(z)), dtype=torch.float64, generator=generator)
    noise = torch.randn((len(order) - n_onehot, len(z)), generator=generator)
    noise *= torch.exp(module.log_scale).unsqueeze(1)
    rows = torch.zeros((len(z), layout.n_features))  # the spans drawn, expanded
    compact = torch.zeros((len(z), len(layout.spans)))
    for k in order:
        span = layout.spans[k]
        context = rows.clone()
        context[:, layout.gated] *= rows[:, layout.gate]  # as in the training rows
        output = module.decode(z, context)[:, span.start : span.stop]
        if span.is_onehot:
            sums = torch.softmax(output.double(), dim=1).cumsum(dim=1)
            codes = (sums[:, :-1] < uniforms[0].unsqueeze(1)).sum(dim=1)
            uniforms = uniforms[1:]
            rows[torch.arange(len(z)), span.start + codes] = 1.0
            compact[:, k] = codes.float()
        else:
            compact[:, k] = rows[:, span.start] = torch.tanh(output[:, 0]) + noise[0]
            noise = noise[1:]
    return compact


@pytest.mark.parametrize("chunk", CHUNKS)
def test_draws_are_those_of_the_training_product(strong, chunk, monkeypatch):
    # the chunked sampler (a chunk's context added to the later columns in one
    # product, one-hot rows from thermometer codes) draws what drawing each span
    # in turn from the training product, with the same uniforms and noise, gives
    model, module, z = strong
    monkeypatch.setattr(_autoregressive, "_CHUNK_FEATURES", chunk)
    assert sum(s.ends for s in module.context._plan(module.layout)) == {1: 7, 12: 2, 32: 1}[chunk]
    with torch.no_grad():
        rows = module.sample_rows(z, torch.Generator().manual_seed(2))
        expected = reference_rows(module, z, 2)
    onehot = [k for k, span in enumerate(module.layout.spans) if span.is_onehot]
    scalar = [k for k, span in enumerate(module.layout.spans) if not span.is_onehot]
    assert (rows[:, onehot] != rows[0, onehot]).any(dim=0).all()  # every block varies
    torch.testing.assert_close(rows[:, onehot], expected[:, onehot], rtol=0, atol=0)
    torch.testing.assert_close(rows[:, scalar], expected[:, scalar], rtol=1e-4, atol=1e-5)


def test_a_column_of_one_category_is_drawn_as_the_training_product():
    # its one-hot block has one row: its thermometer code has none
    model, module, z = with_strong_context(make_mixed(300).assign(only="same"))
    assert [span.width for span in module.layout.spans if span.kind == "category"][-1] == 1
    with torch.no_grad():
        rows = module.sample_rows(z, torch.Generator().manual_seed(2))
        expected = reference_rows(module, z, 2)
    torch.testing.assert_close(rows, expected, rtol=1e-4, atol=1e-5)


def test_draws_follow_the_training_likelihood(strong):
    # many draws for one latent vector: the second span drawn (a column's mode), among
    # the rows with a given first span (its missing flag), has the frequencies of the
    # softmax that training gives it with that flag as context (the flag's one-hot
    # rows made from its thermometer code)
    model, module, z = strong
    n = 20_000
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        compact = module.sample_rows(z[:1].expand(n, -1), generator)
    spans = module.layout.spans
    first, second = (spans[k] for k in module.context.order[:2])
    assert (first.kind, second.kind) == ("missing", "mode") and second.width > 1
    codes = compact[:, [spans.index(first), spans.index(second)]].long()
    for flag in (0, 1):
        drawn = codes[codes[:, 0] == flag, 1]
        assert len(drawn) > 2000  # both flags drawn often
        context = torch.zeros((1, module.layout.n_features))
        context[0, first.start + flag] = 1.0
        with torch.no_grad():
            logits = module.decode(z[:1], context)[0, second.start : second.stop]
        expected = torch.softmax(logits, dim=0)
        observed = torch.bincount(drawn, minlength=second.width) / len(drawn)
        torch.testing.assert_close(observed, expected, atol=0.025, rtol=0)


@pytest.mark.parametrize("shift", [-150.0, 0.0, 60.0])
def test_codes_follow_the_softmax_however_large_the_logits(shift):
    logits = torch.tensor([1.0, 0.0, -1.0, -30.0, -90.0])
    n = 40_000
    u = torch.rand(n, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    # the autoregressive sampler's call: one block (width, n), one uniform per row,
    # the thermometer code written to a slice of a larger buffer
    block = (logits + shift).unsqueeze(1).repeat(1, n).unsqueeze(0)
    steps = torch.full((1, 7, n), 9.0)
    draw_thermometer(block, u.float().view(1, 1, n), out=steps[:, 1:5])
    codes = steps[0, 1:5].sum(dim=0).long()
    counts = np.bincount(codes.numpy(), minlength=5) / n
    np.testing.assert_allclose(counts, torch.softmax(logits, 0).numpy(), atol=0.01)


def test_scalar_noise_has_each_column_s_scale():
    # without context, a scalar's draws for one latent vector spread by its own scale
    model = small(random_state=0).fit(make_mixed(200))
    module = copy.deepcopy(model.net_.module_)
    n_scalar = len(module.log_scale)
    with torch.no_grad():
        module.context.weight.zero_()
        module.log_scale.copy_(torch.linspace(-4.0, -2.0, n_scalar))
        z = torch.zeros((20_000, module.latent_dim))
        compact = module.sample_rows(z, torch.Generator().manual_seed(0))
    spans = module.layout.spans
    stds = compact[:, [k for k, s in enumerate(spans) if not s.is_onehot]].std(dim=0)
    torch.testing.assert_close(stds, torch.exp(module.log_scale), rtol=0.03, atol=0)


def test_context_carries_what_the_latents_do_not():
    # b is a function of a; a KL weight so heavy that the latents carry nothing
    # leaves the plain decoder drawing b independently of a, not this one
    rng = np.random.default_rng(0)
    a = rng.choice(list("pqr"), 3000)
    link = {"p": "u", "q": "v", "r": "w"}
    X = pd.DataFrame({"a": a, "b": pd.Series(a).map(link)})
    kw = dict(epochs=20, batch_size=100, lr=1e-2, beta=50.0, random_state=0)

    def agreement(model):
        Xs = model.fit(X).sample(3000, random_state=0)
        return (Xs["b"] == Xs["a"].map(link)).mean()

    assert agreement(VAESynthesizer(**kw)) < 0.4  # chance: 1/3
    assert agreement(VAESynthesizer(autoregressive=True, **kw)) > 0.95  # 0.978


def test_saved_with_its_own_format_version(tmp_path):
    X = make_mixed(200)
    model = small(random_state=0).fit(X)
    sksynth.save(model, tmp_path / "m")
    with zipfile.ZipFile(tmp_path / "m") as archive:  # older readers refuse it
        state = json.loads(archive.read("sksynth.json"))
    assert state["version"] == 6 and state["params"]["autoregressive"] is True
    loaded = sksynth.load(tmp_path / "m")
    assert loaded.autoregressive
    pd.testing.assert_frame_equal(
        loaded.sample(50, random_state=3), model.sample(50, random_state=3)
    )
    np.testing.assert_allclose(loaded.score_samples(X), model.score_samples(X))
    # the plain decoder's files do not name the parameter: older versions read them
    sksynth.save(small(random_state=0, autoregressive=False).fit(X), tmp_path / "p")
    with zipfile.ZipFile(tmp_path / "p") as archive:
        state = json.loads(archive.read("sksynth.json"))
    assert "autoregressive" not in state["params"] and state["version"] < 6


def test_pickles_from_before_the_parameter_load_plain():
    model = VAESynthesizer(epochs=1, random_state=0).fit(make_mixed(100))
    expected = model.sample(5, random_state=0)
    # as pickled before the parameter: no attribute on the estimator, no submodule
    # on its network
    before = pickle.loads(pickle.dumps(model))
    del before.__dict__["autoregressive"]
    del before.net_.module_._modules["context"]
    old = pickle.loads(pickle.dumps(before))
    assert old.autoregressive is False and old.net_.module_.context is None
    pd.testing.assert_frame_equal(old.sample(5, random_state=0), expected)


def test_parameter_is_checked():
    with pytest.raises(InvalidParameterError, match="'autoregressive' parameter"):
        small(autoregressive="yes").fit(make_mixed(50))


def test_score_samples_with_labels_does_not_depend_on_them():
    # y is drawn last, so the rows' ELBO (y not scored) does not depend on the
    # placeholder label the encoder's input holds
    X = make_mixed(200)
    y = np.array(["p", "q"] * 100)
    model = small(random_state=0).fit(X, y)
    elbo = model.score_samples(X)
    assert np.isfinite(elbo).all()
    assert model.inverse_transform(model.transform(X.iloc[:5])).shape == (5, X.shape[1])
