"""Span-wise sampling: the compact layout drawn from a raw output in sampling order."""

import numpy as np
import torch
from torch import nn

from sksynth.nn._layers import SpanLayout, ordered_output, sample_compact
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
    expected = layer(hidden)[:, layout.sample_order]
    torch.testing.assert_close(ordered_output(layer, hidden, layout), expected)
    assert sorted(layout.sample_order.tolist()) == list(range(layout.n_features))


def test_sample_compact_draws_softmax_categories_and_tanh_scalars():
    layout = SpanLayout(SPANS)
    n = 40_000
    row = torch.linspace(-2.0, 2.0, layout.n_features)
    raw = row.repeat(n, 1)
    generator = torch.Generator().manual_seed(0)
    out = sample_compact(raw[:, layout.sample_order], layout, generator)
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


def test_sample_compact_adds_scaled_noise_to_scalars_only():
    layout = SpanLayout(SPANS)
    raw = torch.zeros(30_000, layout.n_features)
    scale = torch.tensor([0.5, 2.0])
    generator = torch.Generator().manual_seed(1)
    out = sample_compact(raw[:, layout.sample_order], layout, generator, scale)
    # span order: "a" scalar first (scale 0.5), "c" scalar fourth (scale 2.0)
    np.testing.assert_allclose(out[:, [0, 3]].std(0).numpy(), [0.5, 2.0], rtol=0.03)
    codes = out[:, [1, 2, 4, 5, 6]]
    assert torch.equal(codes, codes.round())


def test_gan_generator_folded_sampling_path_matches_its_eval_forward():
    from sksynth.nn._gan import Generator

    layout = SpanLayout(SPANS)
    generator = Generator(SPANS, noise_dim=8, cond_dim=3, sizes=(16, 12), seed=0)
    noise, cond = torch.randn(64, 8), torch.rand(64, 3)
    generator.train()
    generator(noise, cond)  # moves the batch-norm running statistics off their defaults
    generator.eval()
    with torch.no_grad():
        expected = generator(noise, cond)[:, layout.sample_order]
        torch.testing.assert_close(generator(noise, cond, sample_order=True), expected)


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


def test_sample_compact_reads_row_or_column_major_input_alike_and_width_one_blocks():
    # ordered_output hands sample_compact a column-major tensor it may overwrite;
    # a row-major copy of the same values must give the same rows for the same seed
    spans = [*SPANS, Span("e", "category", 17, 18)]  # a one-category column
    layout = SpanLayout(spans)
    layer = nn.Linear(6, layout.n_features)
    hidden = torch.randn(500, 6)
    with torch.no_grad():
        column_major = ordered_output(layer, hidden, layout)
        row_major = column_major.contiguous()
    assert column_major.T.is_contiguous()
    seeded = [torch.Generator().manual_seed(3) for _ in range(2)]
    from_rows = sample_compact(row_major, layout, seeded[0])
    from_columns = sample_compact(column_major, layout, seeded[1])
    assert torch.equal(from_rows, from_columns)
    assert torch.all(from_rows[:, -1] == 0)  # the only code of a width-1 block
