import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sksynth import GANSynthesizer
from sksynth.nn._layers import SpanLayout, apply_activations


def small(**kw):
    params = dict(
        epochs=2,
        batch_size=60,
        noise_dim=16,
        generator_sizes=(32,),
        discriminator_sizes=(32,),
        pac=4,
    )
    params.update(kw)
    return GANSynthesizer(**params)


def three_discrete(n=600, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "a": rng.choice(["a0", "a1"], n, p=[0.7, 0.3]),
            "num": rng.normal(size=n),
            "b": rng.choice(["b0", "b1", "b2"], n),
            "c": rng.choice(["c0", "c1", "c2", "c3"], n, p=[0.4, 0.3, 0.2, 0.1]),
        }
    ).astype({"a": "category", "b": "category", "c": "category"})


def test_no_transform_attribute():
    gan = small()
    assert not hasattr(gan, "transform") and not hasattr(gan, "inverse_transform")


def test_network_shapes_and_steps():
    X = three_discrete(200)
    gan = small(random_state=0).fit(X)
    net = gan.net_
    layout = net.module_.layout
    cond, span, category = net.sampler_.draw(40, net.rng_)
    assert cond.shape == (40, 2 + 3 + 4)
    raw, rows, _ = net._fake(40, cond)
    assert raw.shape == rows.shape == (40, layout.n_features)
    assert net.discriminator_(torch.cat([rows, cond], 1)).shape == (40 // 4, 1)

    # step 2: gradients reach every generator parameter, the discriminator does not move
    net.module_.train()
    d_before = [p.detach().clone() for p in net.discriminator_.parameters()]
    net.generator_step(40)
    for name, p in net.module_.named_parameters():
        assert p.grad is not None and torch.count_nonzero(p.grad) > 0, name
    for before, p in zip(d_before, net.discriminator_.parameters()):
        assert torch.equal(before, p)
    # step 1 moves the discriminator
    assert net.data_ is None  # the training rows are not kept after fit
    compact = gan.transformer_._transform_compact(gan._internal(X.copy()))
    net.attach_rows(torch.from_numpy(compact))
    net.discriminator_step(net.expand_rows(net.data_[:40]))
    assert any(not torch.equal(b, p) for b, p in zip(d_before, net.discriminator_.parameters()))

    # each optimizer holds its own network's parameters (the generator's held the
    # discriminator's too, skorch's default: a scheduler on it reached them)
    def held(optimizer):
        return {id(p) for group in optimizer.param_groups for p in group["params"]}

    assert held(net.optimizer_) == {id(p) for p in net.module_.parameters()}
    assert held(net.optimizer_discriminator_) == {id(p) for p in net.discriminator_.parameters()}


def test_gradient_penalty_is_finite():
    gan = small(random_state=0).fit(three_discrete(100))
    net = gan.net_
    real = torch.rand((40, 12))
    fake = torch.rand((40, 12))
    net.discriminator_ = type(net.discriminator_)(12, pac=4, sizes=(8,))
    net.discriminator_.train()
    penalty = net._penalty(real, fake)
    assert torch.isfinite(penalty) and penalty >= 0


def test_hard_gumbel_outputs_are_one_hot():
    gan = small(random_state=0).fit(three_discrete(100))
    layout: SpanLayout = gan.net_.module_.layout
    raw = torch.randn(50, layout.n_features)
    out = apply_activations(
        raw, layout, onehot="sample", generator=torch.Generator().manual_seed(0)
    )
    for span in layout.spans:
        block = out[:, span.start : span.stop]
        if span.is_onehot:
            assert torch.all(block.sum(1) == 1) and torch.all((block == 0) | (block == 1))
        else:
            assert torch.all(block.abs() <= 1)


def test_gumbel_softmax_blocks_are_distributions_drawn_at_softmax_frequencies():
    gan = small(random_state=0).fit(three_discrete(100))
    layout: SpanLayout = gan.net_.module_.layout
    n = 40_000
    row = torch.linspace(-1.5, 1.5, layout.n_features)
    raw = row.repeat(n, 1).requires_grad_(True)
    out = apply_activations(
        raw, layout, onehot="gumbel", tau=0.2, generator=torch.Generator().manual_seed(0)
    )
    out.sum().backward()  # differentiable
    assert torch.isfinite(raw.grad).all()
    out = out.detach()
    for span in layout.spans:
        block = out[:, span.start : span.stop]
        if not span.is_onehot:
            torch.testing.assert_close(block, torch.tanh(row[span.start : span.stop]).expand(n, -1))
            continue
        assert torch.all(block >= 0)
        torch.testing.assert_close(block.sum(1), torch.ones(n))
        # Gumbel-max: the largest entry falls on each category at its softmax probability
        freq = torch.bincount(block.argmax(1), minlength=span.width).float() / n
        expected = torch.softmax(row[span.start : span.stop], 0)
        assert torch.allclose(freq, expected, atol=0.015), (span.column, freq, expected)


def test_condition_loss_is_the_cross_entropy_of_each_rows_conditioned_block():
    X = three_discrete(600)
    gan = small(random_state=0).fit(X)
    net = gan.net_
    cond, span, category = net.sampler_.draw(300, torch.Generator().manual_seed(2))
    raw = torch.randn(300, net.module_.layout.n_features) * 3.0
    expected = torch.zeros(300)
    for j, s in enumerate(net.condition_spans_):
        chosen = span == j
        ce = torch.nn.functional.cross_entropy(
            raw[chosen, s.start : s.stop], category[chosen], reduction="none"
        )
        expected[chosen] = ce
    torch.testing.assert_close(net._condition_loss(raw, cond), expected.mean())


def test_pac_must_divide_batch_size():
    with pytest.raises(ValueError, match="batch_size must be a multiple of pac; got batch_size=50"):
        small(batch_size=50, pac=4).fit(three_discrete(100))
    with pytest.raises(ValueError, match="at least max"):
        small(pac=4).fit(three_discrete(3))
    with pytest.raises(ValueError, match="batch_size must be at least 2 .*; got 1"):
        small(batch_size=1, pac=1).fit(three_discrete(30))


def test_a_last_batch_of_one_row_is_dropped():
    # with pac=1, 21 rows in batches of 20 left one row, which the generator's batch
    # norm refused ("Expected more than 1 value per channel when training")
    gan = small(batch_size=20, pac=1, epochs=2, random_state=0).fit(three_discrete(21))
    assert len(gan.history_) == 2 and len(gan.sample(5, random_state=0)) == 5


def test_condition_sampler_offsets_for_every_column():
    X = three_discrete(600)
    gan = small(random_state=0).fit(X)
    net, tt = gan.net_, gan.transformer_
    data = torch.from_numpy(tt.transform(gan._internal(X.copy())))
    counts = net.sampler_.counts.clone()
    # fit let go of its rows (kept in the compact layout); the counts are the same
    net.attach_rows(torch.from_numpy(tt._transform_compact(gan._internal(X.copy()))))
    assert torch.equal(net.sampler_.counts, counts)
    gen = torch.Generator().manual_seed(1)
    cond, span, category = net.sampler_.draw(3000, gen)
    assert set(span.tolist()) == {0, 1, 2}
    rows = net.sampler_.real_rows(span, category, gen)
    for j, s in enumerate(net.condition_spans_):
        chosen = span == j
        offset = int(net.sampler_.offsets[j])
        assert torch.equal(cond[chosen].argmax(1), offset + category[chosen])
        assert torch.equal(data[rows[chosen], s.start : s.stop].argmax(1), category[chosen])


def test_generator_honours_the_condition_of_every_column():
    X = three_discrete(600)
    gan = small(epochs=40, batch_size=100, pac=5, generator_lr=1e-3, random_state=0).fit(X)
    net = gan.net_
    net.module_.eval()
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for j, s in enumerate(net.condition_spans_):
            for k in range(s.width):
                cond = torch.zeros((200, net.sampler_.cond_dim))
                cond[:, int(net.sampler_.offsets[j]) + k] = 1
                _, rows, _ = net._fake(200, cond, onehot="sample", generator=gen)
                hit = (rows[:, s.start : s.stop].argmax(1) == k).float().mean()
                assert hit > 0.6, (s.column, k, float(hit))


def test_grid_search_pipeline_and_clone(adult_small):
    X = adult_small.iloc[:600, :6]
    grid = GridSearchCV(small(random_state=0), {"loss": ["bce", "wgan-gp"]}, cv=3).fit(X)
    assert grid.best_params_["loss"] in ("bce", "wgan-gp")
    rng = np.random.default_rng(0)
    pipe = Pipeline([("scale", StandardScaler()), ("gan", small(random_state=0))])
    pipe.fit(rng.normal(size=(120, 3)))
    assert pipe[-1].sample(5).shape == (5, 3)


def test_adult_few_epochs(adult):
    train = adult.sample(6000, random_state=2)
    untrained = GANSynthesizer(
        epochs=1, generator_lr=1e-12, discriminator_lr=1e-12, random_state=0
    ).fit(train)
    gan = GANSynthesizer(epochs=8, random_state=0).fit(train)
    synth = gan.sample(6000, random_state=0)
    assert synth.dtypes.equals(train.dtypes)
    for col in ["workclass", "education", "native-country"]:
        assert set(synth[col].dropna()) <= set(train[col].dropna())
    # rare categories still appear (training-by-sampling)
    rare = train["education"].value_counts(normalize=True)
    rare = rare[rare < 0.02].index
    assert synth["education"].isin(rare).mean() > 0.005
    assert gan.score(train) > untrained.score(train) + 0.05
    hist = gan.history_
    assert len(hist) == 8 and {"train_loss", "discriminator_loss"} <= set(hist[-1])


def test_condition_sampler_never_draws_a_category_the_rows_lack():
    # with early stopping, a category only the held-out rows hold has no training
    # rows (here the middle one of three, and the first of the second column)
    from sksynth.nn._conditions import ConditionSampler

    sampler = ConditionSampler([3, 2])
    sampler.index_rows([torch.tensor([0, 2, 2, 0]), torch.tensor([1, 1, 1, 1])])
    gen = torch.Generator().manual_seed(0)
    for log_frequency in (True, False):
        _, span, category = sampler.draw(5000, gen, log_frequency=log_frequency)
        assert not ((span == 0) & (category == 1)).any()
        assert not ((span == 1) & (category == 0)).any()
        assert ((span == 0) & (category == 2)).any()
        rows = sampler.real_rows(span, category, gen)
        codes = torch.tensor([[0, 2, 2, 0], [1, 1, 1, 1]])
        assert torch.equal(codes[span, rows], category)


def test_generated_missing_numbers_look_like_real_ones_to_the_discriminator():
    # a real row with a missing number has no mode (zeros); a generated row's mode
    # block summed to one, so the discriminator spotted every generated missing value
    # and the GAN learnt to make few (on Adult with gaps, 6 % where 30 % were missing)
    rng = np.random.default_rng(0)
    n = 1000
    X = pd.DataFrame(
        {
            "f": np.where(rng.random(n) < 0.3, np.nan, rng.normal(size=n)),
            "g": rng.exponential(size=n),
            "c": rng.choice(["u", "v"], n),
        }
    )
    gan = small(random_state=0).fit(X)
    net, spans = gan.net_, gan.net_.module_.layout.spans
    present = next(s.start for s in spans if s.kind == "missing")  # [present, missing]
    gated = [
        k for s in spans if s.column == "x0" and s.kind != "missing" for k in range(s.start, s.stop)
    ]
    others = [k for k in range(net.module_.layout.n_features) if k not in gated]
    # real rows: zeros in f's scalar and mode columns where f is missing
    compact = gan.transformer_._transform_compact(gan._internal(X.copy()))
    real = net.expand_rows(torch.from_numpy(compact))
    missing = real[:, present] == 0
    assert missing.sum() == X["f"].isna().sum() and torch.all(real[missing][:, gated] == 0)
    # generated rows: those columns times the probability that f is present
    rows = torch.rand(50, net.module_.layout.n_features)
    out = net._gate_missing(rows)
    torch.testing.assert_close(out[:, gated], rows[:, gated] * rows[:, [present]])
    assert torch.equal(out[:, others], rows[:, others])
