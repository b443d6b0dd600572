"""Span-wise sampling: the compact layout drawn from a raw output in sampling order."""

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import make_mixed
from torch import nn
from torch.nn import functional as F

from sksynth import TableTransformer
from sksynth.nn._data import TensorBatches
from sksynth.nn._layers import SpanLayout, expand_compact, ordered_output, sample_compact
from sksynth.preprocessing import Span

# interleaved scalars and one-hot blocks of repeated and distinct widths
SPANS = [
    Span("a", "scalar", 0, 1),
    Span("a", "mode", 1, 4),
    Span("b", "category", 4, 6),
    Span("c", "scalar", 6, 7),
    Span("c", "mode", 7, 10),
    Span("c", "missing", 10, 12),
    Span("d", "category", 12, 17),
]


def test_ordered_output_is_the_layer_output_in_sampling_order():
    layout = SpanLayout(SPANS)
    layer = nn.Linear(8, layout.n_features)
    hidden = torch.randn(20, 8)
    expected = layer(hidden)[:, layout.sample_order].T
    torch.testing.assert_close(ordered_output(layer, hidden, layout.sample_order), expected)
    assert sorted(layout.sample_order.tolist()) == list(range(layout.n_features))


def test_sample_compact_draws_softmax_categories_and_tanh_scalars():
    layout = SpanLayout(SPANS)
    n = 40_000
    row = torch.linspace(-2.0, 2.0, layout.n_features)
    raw = row.repeat(n, 1)
    generator = torch.Generator().manual_seed(0)
    out = sample_compact(raw[:, layout.sample_order].T.contiguous(), layout, generator)
    assert out.shape == (n, len(SPANS))
    for k, span in enumerate(SPANS):
        column = out[:, k]
        if span.kind == "scalar":
            torch.testing.assert_close(column, torch.tanh(raw[:, span.start]))
            continue
        expected = torch.softmax(row[span.start : span.stop], 0).numpy()
        counts = np.bincount(column.long().numpy(), minlength=span.width)
        assert len(counts) == span.width  # codes stay inside the block
        np.testing.assert_allclose(counts / n, expected, atol=0.012)


@pytest.mark.parametrize("shift", [-150.0, 0.0, 60.0])
def test_sample_compact_draws_at_the_softmax_odds_however_large_the_logits(shift):
    # a trained decoder's logits reach beyond +-60; only their differences count
    layout = SpanLayout(SPANS)
    n = 40_000
    raw = torch.zeros(n, layout.n_features)
    raw[:, 12:17] = torch.tensor([1.0, 0.0, -1.0, -30.0, -90.0]) + shift
    out = sample_compact(
        raw[:, layout.sample_order].T.contiguous(), layout, torch.Generator().manual_seed(2)
    )
    counts = np.bincount(out[:, 6].long().numpy(), minlength=5) / n
    expected = torch.softmax(torch.tensor([1.0, 0.0, -1.0, -30.0, -90.0]), 0).numpy()
    np.testing.assert_allclose(counts, expected, atol=0.01)


def test_sample_compact_adds_scaled_noise_to_scalars_only():
    layout = SpanLayout(SPANS)
    raw = torch.zeros(30_000, layout.n_features)
    scale = torch.tensor([0.5, 2.0])
    generator = torch.Generator().manual_seed(1)
    out = sample_compact(raw[:, layout.sample_order].T.contiguous(), layout, generator, scale)
    # span order: "a" scalar first (scale 0.5), "c" scalar fourth (scale 2.0)
    np.testing.assert_allclose(out[:, [0, 3]].std(0).numpy(), [0.5, 2.0], rtol=0.03)
    codes = out[:, [1, 2, 4, 5, 6]]
    assert torch.equal(codes, codes.round())


@pytest.mark.parametrize("cond_dim", [3, 0])
def test_gan_generator_folded_sampling_path_matches_its_eval_forward(cond_dim):
    from sksynth.nn._gan import Generator

    layout = SpanLayout(SPANS)
    generator = Generator(SPANS, noise_dim=8, cond_dim=cond_dim, sizes=(16, 12), seed=0)
    noise = torch.randn(64, 8)
    index = torch.arange(64) % cond_dim if cond_dim else None
    cond = F.one_hot(index, cond_dim).float() if cond_dim else torch.zeros(64, 0)
    generator.train()
    generator(noise, cond)  # moves the batch-norm running statistics off their defaults
    generator.eval()
    with torch.no_grad():
        expected = generator(noise, cond)[:, layout.sample_order].T
        torch.testing.assert_close(generator.sample_output(noise, index), expected)
    wrong = None if cond_dim else torch.zeros(64, dtype=torch.long)
    with pytest.raises(ValueError, match="cond_index must be given exactly when"):
        generator.sample_output(noise, wrong)


def test_activations_and_cross_entropy_match_a_span_by_span_reference():
    from sksynth.nn._layers import apply_activations, onehot_cross_entropy

    layout = SpanLayout(SPANS)
    raw = torch.randn(30, layout.n_features)
    target = torch.zeros_like(raw)
    expected_out, expected_nll = torch.empty_like(raw), torch.zeros(30)
    for span in SPANS:
        block = raw[:, span.start : span.stop]
        if span.kind == "scalar":
            expected_out[:, span.start] = torch.tanh(block[:, 0])
            continue
        expected_out[:, span.start : span.stop] = torch.softmax(block, dim=1)
        hot = torch.randint(span.width, (30,))
        target[torch.arange(30), span.start + hot] = 1.0
        expected_nll -= torch.log_softmax(block, dim=1)[torch.arange(30), hot]
    torch.testing.assert_close(apply_activations(raw, layout), expected_out)
    torch.testing.assert_close(onehot_cross_entropy(raw, target, layout), expected_nll)
    hard = apply_activations(raw, layout, onehot="argmax")
    for span in SPANS:
        if span.kind != "scalar":
            block = hard[:, span.start : span.stop]
            assert torch.equal(block.argmax(1), raw[:, span.start : span.stop].argmax(1))
            assert torch.all(block.sum(1) == 1)


def _reference_compact(raw, spans, layout, generator):
    """Span by span: tanh, then softmax + cumsum + searchsorted with the same uniforms."""
    n = raw.shape[0]
    uniforms = {}  # one-hot span position -> its uniforms, drawn group by group
    for index, positions in zip(layout.groups, layout.group_positions, strict=True):
        u = torch.rand((index.shape[0], 1, n), generator=generator).to(raw.dtype)
        for j, position in enumerate(positions.tolist()):
            uniforms[position] = u[j, 0]
    out = torch.empty((n, len(spans)), dtype=raw.dtype)
    for k, span in enumerate(spans):
        block = raw[:, span.start : span.stop]
        if span.kind == "scalar":
            out[:, k] = torch.tanh(block[:, 0])
            continue
        cdf = torch.softmax(block, dim=1).cumsum(dim=1)
        codes = torch.searchsorted(cdf, (uniforms[k] * cdf[:, -1]).unsqueeze(1)).squeeze(1)
        out[:, k] = codes.clamp(max=span.width - 1).to(raw.dtype)
    return out


CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=CUDA)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_sample_compact_matches_a_span_by_span_reference_with_the_same_uniforms(dtype, device):
    spans = [*SPANS, Span("e", "category", 17, 18)]  # and a one-category column
    layout = SpanLayout(spans)
    raw = 3.0 * torch.randn(4000, layout.n_features, dtype=dtype)
    raw[:5] = 0.0
    raw[:5, 13] = 100.0  # "d" is always its second category
    raw[5, 12:17] = torch.tensor([-200.0, -30.0, 30.0, 29.0, 200.0], dtype=dtype)
    columns = raw[:, layout.sample_order].T.contiguous().to(device)
    # the uniforms come from a CPU generator, so the reference sees the same ones
    out = sample_compact(columns, layout.to(device), torch.Generator().manual_seed(3)).cpu()
    expected = _reference_compact(raw, spans, layout, torch.Generator().manual_seed(3))
    assert out.shape == expected.shape and out.dtype == dtype
    scalar = torch.tensor([span.kind == "scalar" for span in spans])
    # tanh on CUDA may differ from the CPU reference by a few ulps
    torch.testing.assert_close(out[:, scalar], expected[:, scalar])
    # codes equal but for rows whose uniform falls within rounding of a category boundary
    assert (out[:, ~scalar] == expected[:, ~scalar]).all(dim=1).float().mean() > 0.999
    assert torch.all(out[:5, 6] == 1) and torch.all(out[:, 7] == 0)
    assert out[5, 6] == 4.0  # odds of e^170 and more against the others
    for k, span in enumerate(spans):
        if span.kind != "scalar":  # codes inside their block
            assert 0 <= out[:, k].min() and out[:, k].max() <= span.width - 1


@pytest.mark.parametrize("n", [0, 1])
def test_sample_compact_with_no_or_one_row(n):
    layout = SpanLayout(SPANS)
    layer = nn.Linear(4, layout.n_features)
    with torch.no_grad():
        columns = ordered_output(layer, torch.randn(n, 4), layout.sample_order)
    out = sample_compact(columns, layout, torch.Generator().manual_seed(0))
    assert out.shape == (n, len(SPANS))


REDUCED_PRECISION = {
    "legacy": lambda: torch.set_float32_matmul_precision("medium"),
    "generic": lambda: setattr(torch.backends, "fp32_precision", "bf16"),
    "matmul": lambda: setattr(torch.backends.mkldnn.matmul, "fp32_precision", "bf16"),
    "oneDNN": lambda: torch.backends.mkldnn.flags(
        enabled=True, allow_tf32=False, fp32_precision="bf16"
    ),
    "autocast": lambda: torch.autocast("cpu", dtype=torch.bfloat16),
}


@pytest.fixture
def reduced_matmul_precision(request):
    """float32 CPU matmuls allowed in bfloat16, one way or another; restored after."""
    levels = [torch.backends, torch.backends.mkldnn, torch.backends.mkldnn.matmul]
    levels += [torch.backends.cuda.matmul]
    if not hasattr(torch.backends.mkldnn.matmul, "fp32_precision"):
        if request.param not in ("legacy", "autocast"):
            pytest.skip("torch before the fp32_precision settings")
        levels = []
    legacy = torch.get_float32_matmul_precision()
    before = [level.fp32_precision for level in levels]
    context = REDUCED_PRECISION[request.param]()
    if context is not None:
        context.__enter__()
    yield
    if context is not None:
        context.__exit__(None, None, None)
    torch.set_float32_matmul_precision(legacy)
    for level, value in zip(levels, before, strict=True):
        level.fp32_precision = value


def test_cumulative_sums_take_the_matmul_path_at_full_precision_only():
    from sksynth.nn._layers import _exact_cpu_matmul

    assert _exact_cpu_matmul(torch.float32) and _exact_cpu_matmul(torch.float64)


@pytest.mark.filterwarnings("ignore:TF32 acceleration on top of oneDNN:UserWarning")
@pytest.mark.parametrize("reduced_matmul_precision", list(REDUCED_PRECISION), indirect=True)
def test_cumulative_sums_stay_float32_when_matmuls_may_run_in_bfloat16(reduced_matmul_precision):
    from sksynth.nn._layers import _cumulative_sums, _exact_cpu_matmul

    assert not _exact_cpu_matmul(torch.float32)
    blocks = torch.rand((4, 9, 3000), generator=torch.Generator().manual_seed(0))
    expected = blocks.double().cumsum(dim=1)
    relative = (_cumulative_sums(blocks).double() - expected).abs() / expected
    assert relative.max() < 1e-6  # bfloat16 sums are off by about 4e-3 (on CPUs that have it)


def test_vae_reconstruction_nll_and_label_term_match_a_span_by_span_reference():
    from sksynth.nn._vae import _HALF_LOG_2PI, VAEModule

    # "b" (columns 4-6) is the label; the encoder sees every other column
    columns = [k for k in range(17) if k not in (4, 5)]
    module = VAEModule(SPANS, encoder_columns=columns, latent_dim=4, label_span=(4, 6), seed=0)
    with torch.no_grad():
        module.log_scale.copy_(torch.tensor([-1.0, 0.5]))
    n = 25
    raw = torch.randn(n, 17) * 5.0
    raw[:, 12:17] -= 200.0  # a block far below the others: each block shifted by its own max
    x = torch.zeros(n, 17)
    expected, expected_label = torch.zeros(n), None
    for span in SPANS:
        if span.kind == "scalar":
            x[:, span.start] = torch.rand(n) * 2 - 1
            log_scale = module.log_scale[0 if span.column == "a" else 1]
            z = (x[:, span.start] - torch.tanh(raw[:, span.start])) * torch.exp(-log_scale)
            expected += 0.5 * z * z + log_scale + _HALF_LOG_2PI
            continue
        hot = torch.randint(span.width, (n,))
        present = torch.ones(n, dtype=torch.bool)
        if span.kind == "mode":
            present[::3] = False  # all-zero blocks add nothing
        x[present, span.start + hot[present]] = 1.0
        nll = -torch.log_softmax(raw[:, span.start : span.stop], dim=1)[torch.arange(n), hot]
        expected += torch.where(present, nll, 0.0)
        if span.start == 4:
            expected_label = nll
    nll, label = module.reconstruction_nll(raw, x, label=True)
    torch.testing.assert_close(nll, expected)
    torch.testing.assert_close(label, expected_label)
    torch.testing.assert_close(module.reconstruction_nll(raw, x), expected)
    # gradients too: those of the reference, taken span by span
    raw.requires_grad_(True)
    grad = torch.autograd.grad(module.reconstruction_nll(raw, x).sum(), raw)[0]
    reference = raw.detach().clone().requires_grad_(True)
    total = torch.zeros(n)
    for span in SPANS:
        block = reference[:, span.start : span.stop]
        if span.kind == "scalar":
            log_scale = module.log_scale[0 if span.column == "a" else 1].detach()
            z = (x[:, span.start] - torch.tanh(block[:, 0])) * torch.exp(-log_scale)
            total = total + 0.5 * z * z
        else:
            total = total - (x[:, span.start : span.stop] * torch.log_softmax(block, 1)).sum(1)
    torch.testing.assert_close(grad, torch.autograd.grad(total.sum(), reference)[0])
    # restricted to some spans (as the ELBO of a subset of columns is)
    subset = SpanLayout([SPANS[3], SPANS[6]])
    part = module.reconstruction_nll(raw.detach(), x, subset)
    z = (x[:, 6] - torch.tanh(raw.detach()[:, 6])) * torch.exp(-module.log_scale[1])
    reference_part = 0.5 * z * z + module.log_scale[1] + _HALF_LOG_2PI
    reference_part -= (x[:, 12:17] * torch.log_softmax(raw.detach()[:, 12:17], 1)).sum(1)
    torch.testing.assert_close(part, reference_part.detach())
    # the encoder reads only its columns
    mu, _ = module.encode(x)
    x_label = x.clone()
    x_label[:, 4:6] = 1.0 - x_label[:, 4:6]
    torch.testing.assert_close(module.encode(x_label)[0], mu)


def test_the_compact_training_layout_expands_to_the_transform():
    # the synthesizers train on one column per span, spread out a batch at a time:
    # missing values (an all-zero mode block), residual spans, every dtype
    X = make_mixed(300)
    X["wide"] = pd.array(np.random.default_rng(0).integers(0, 10**15, 300), dtype="Int64")
    X.loc[::3, "wide"] = pd.NA
    tt = TableTransformer(random_state=0).fit(X)
    kinds = {s.kind for s in tt.output_spans_}
    assert {"scalar", "mode", "category", "missing", "residual"} <= kinds
    compact = tt._transform_compact(X)
    assert compact.shape == (300, len(tt.output_spans_)) and compact.dtype == np.float32
    assert (compact == -1).any()  # the modes of missing values
    full = torch.from_numpy(tt.transform(X))
    layout = SpanLayout(tt.output_spans_)
    torch.testing.assert_close(
        expand_compact(torch.from_numpy(compact), layout), full, rtol=0, atol=0
    )

    # in batches, several expanded at once (a GAN's: multiples of pac, a short tail dropped)
    rows = torch.from_numpy(compact)
    for batch_size, multiple_of, min_rows in [(64, 1, 1), (50, 5, 2), (7, 1, 2), (500, 1, 1)]:
        spread = TensorBatches(
            rows,
            batch_size,
            True,
            torch.Generator().manual_seed(0),
            multiple_of,
            min_rows,
            expand=lambda b: expand_compact(b, layout),
        )
        plain = TensorBatches(
            full, batch_size, True, torch.Generator().manual_seed(0), multiple_of, min_rows
        )
        pairs = list(zip(spread, plain, strict=True))
        assert len(pairs) == len(plain)
        for (a, _), (b, _) in pairs:
            assert torch.equal(a, b)
