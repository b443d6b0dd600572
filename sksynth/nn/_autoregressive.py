"""A decoder term that lets each span depend on the spans drawn before it.

The plain decoder draws every span independently given the latent vector, so
two columns follow each other only as far as the latent carries them. The
context term adds to each span's raw output a linear function of the spans
before it in a fixed order (a masked linear layer, as in MADE: Germain et al.,
2015). Training feeds it the row itself (the likelihood stays exact, and one
batch costs one more matrix product); sampling draws the spans one after the
other, each from its output plus the context of the spans already drawn.

The order: columns as the table has them (so a target fitted as ``y``, the
last column, comes last, given every other one); within a continuous column,
its missing flag, then its mode, then the value within the mode, then its
residuals.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import nn

from ..preprocessing import Span
from ._layers import SpanLayout, draw_thermometer

#: Least width, in encoded columns, of the groups of whole table columns whose
#: context the sampler adds to every later column in one product (see
#: ``SpanContext._draw_spans``).
_CHUNK_FEATURES = 32

#: Position of each kind of span among a column's spans in the drawing order.
_KIND_RANK = {"missing": 0, "category": 1, "mode": 1, "scalar": 2, "residual": 3}


class _Step(NamedTuple):
    """One span in the sampler's drawing order (see ``SpanContext._plan``)."""

    k: int  # the span's position in the layout
    a: int  # its encoded columns in drawing order: a to b
    b: int
    onehot: bool
    flag: bool  # a missing flag, which gates its column's later spans
    gate: int | None  # the drawing-order row of its column's present flag
    ends: bool  # the last span of a chunk

    @property
    def thermometer(self) -> bool:
        """Held in the sampler's rows as a row of ones and a thermometer code (every
        one-hot span but a missing flag; see ``SpanContext._thermometer_effect``)."""
        return self.onehot and not self.flag


def drawing_order(spans: Sequence[Span]) -> list[int]:
    """Positions of ``spans`` in the order they are drawn (see the module's docstring)."""
    columns: dict = {}
    for s in spans:
        columns.setdefault(s.column, len(columns))
    keys = [(columns[s.column], _KIND_RANK[s.kind], k) for k, s in enumerate(spans)]
    return [k for *_, k in sorted(keys)]


def context_mask(spans: Sequence[Span], order: Sequence[int], n_features: int) -> torch.Tensor:
    """``(n_features, n_features)`` 0/1 mask: output column ``i`` sees input column
    ``j`` when ``j``'s span is drawn before ``i``'s."""
    rank = torch.empty(n_features, dtype=torch.long)
    for position, k in enumerate(order):
        rank[spans[k].start : spans[k].stop] = position
    return (rank[None, :] < rank[:, None]).float()


class SpanContext(nn.Module):
    """The masked linear term ``x @ (weight * mask).T`` over the encoded columns.

    Its weight starts at zero: before training the decoder is the plain one.
    """

    def __init__(self, spans: Sequence[Span], n_features: int):
        super().__init__()
        self.order = drawing_order(spans)
        self.weight = nn.Parameter(torch.zeros(n_features, n_features, dtype=torch.float32))
        # derived from the spans: rebuilt with the module, not saved with its weights
        self.register_buffer("mask", context_mask(spans, self.order, n_features), persistent=False)
        columns = [torch.arange(spans[k].start, spans[k].stop) for k in self.order]
        self.register_buffer("columns", torch.cat(columns).long(), persistent=False)
        # a continuous column's spans after its missing flag enter the context only
        # when the value is present, as in the training rows: for each span, the
        # drawing-order position of its column's ``present`` flag (None: ungated)
        position = {int(c): p for p, c in enumerate(self.columns.tolist())}
        present = {s.column: position[s.start] for s in spans if s.kind == "missing"}
        self.gates = [
            present.get(spans[k].column) if spans[k].kind != "missing" else None for k in self.order
        ]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ (self.weight * self.mask).T

    def draw(
        self,
        raw: torch.Tensor,
        layout: SpanLayout,
        generator: torch.Generator | None,
        scalar_scale: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Rows in the compact layout (one column per span), drawn span after span.

        ``raw`` ``(features, n)`` is the decoder's output for the latents, one
        contiguous row per encoded column in drawing order (``self.columns``),
        as ``ordered_output(layer, hidden, self.columns)`` gives it; it is
        overwritten (used as scratch space). Scalar
        spans take ``tanh`` of their output plus its context, plus Gaussian noise
        of scale ``scalar_scale`` (in the order of ``layout.scalar_index``);
        one-hot spans a category drawn from the softmax of theirs (one uniform
        each). With ``generator=None``, no noise and the most likely category:
        the greedy row. Columns are handled in drawing order, so that each span's
        context is a product by the columns drawn before it. The spans of a
        value drawn missing are drawn as well (decoding ignores them) but, as in
        the training rows, add nothing to the later spans' context.
        """
        n = raw.shape[1]
        plan = self._plan(layout)
        effect = self._thermometer_effect(plan, raw.dtype)
        out = raw.new_empty((len(layout.spans), n))
        uniforms = noise = None
        if generator is not None:  # one uniform per one-hot span, one normal per scalar
            device = generator.device
            n_onehot = sum(step.onehot for step in plan)
            options = {"generator": generator, "device": device}
            uniforms = torch.rand((n_onehot, n), dtype=torch.float64, **options).to(raw.device)
            if scalar_scale is not None:
                noise = torch.randn((len(plan) - n_onehot, n), dtype=torch.float32, **options)
                noise = noise.to(raw.device, raw.dtype)
        if noise is not None:
            # the scalar spans keep their relative order (a column's value, then its
            # residuals, column by column): the order of ``layout.scalar_index``
            noise *= scalar_scale.to(raw.dtype).unsqueeze(1)
        self._draw_spans(raw, out, effect, plan, uniforms, noise)
        return out.T

    def _plan(self, layout: SpanLayout) -> list[_Step]:
        """The spans in drawing order, with where each sits in the encoded columns
        in that order and where the sampler's chunks end (see ``_draw_spans``)."""
        plan, a, start = [], 0, 0
        spans = [layout.spans[k] for k in self.order]
        for k, span, gate, after in zip(
            self.order, spans, self.gates, [*spans[1:], None], strict=True
        ):
            b = a + span.width
            # a chunk is whole table columns (a column's spans share its missing
            # flag's gate), at least _CHUNK_FEATURES wide but the last
            ends = after is None or (after.column != span.column and b - start >= _CHUNK_FEATURES)
            plan.append(_Step(k, a, b, span.is_onehot, span.kind == "missing", gate, ends))
            start = b if ends else start
            a = b
        return plan

    def _thermometer_effect(self, plan: list[_Step], dtype: torch.dtype) -> torch.Tensor:
        """``effect[q, p]``: what drawn column ``p`` adds to the output of column ``q``,
        in drawing order, for the sampler's rows (``_draw_spans``).

        The sampler keeps a one-hot span ``[a, b)`` as a row of ones then its
        thermometer code, ``(category > j)`` for ``j < width - 1``: the one-hot
        entry ``j`` is thermometer entry ``j - 1`` less entry ``j`` (a row of
        ones before, zeros after), so the same context takes the effect of the
        span's first column on its row of ones and the difference of columns
        ``j + 1`` and ``j`` on entry ``j`` (taken in float64). A missing flag
        keeps its one-hot rows ``[present, missing]``: ``present`` gates its
        column's other spans.
        """
        effect = (self.weight * self.mask).double()
        effect = effect.index_select(0, self.columns).index_select(1, self.columns)
        later = [c for s in plan if s.thermometer for c in range(s.a + 1, s.b)]
        if later:
            later = torch.tensor(later, device=effect.device)
            steps = effect.index_select(1, later) - effect.index_select(1, later - 1)
            effect.index_copy_(1, later, steps)
        return effect.to(dtype)

    def _draw_spans(self, raw, out, effect, plan, uniforms, noise) -> None:
        """:meth:`draw`'s loop over the spans, on ``(columns, n)`` tensors, writing
        ``out`` ``(spans, n)``: ``uniforms`` holds one row per one-hot span,
        ``noise`` (scaled) one per scalar span, in drawing order (``None``: the
        most likely category, no noise). ``drawn`` holds the rows drawn, a
        one-hot span as a row of ones and its thermometer code (see
        :meth:`_thermometer_effect`), whose sum is the category's code.

        The spans are drawn in chunks of whole columns: a span adds the context of
        the spans drawn before it in its chunk, and a finished chunk adds its
        context to every later column in one product. Each span's context is
        then the same sum as one product by every column drawn before it, in
        fewer, larger products (the sums may differ in the last bits).
        """
        drawn = torch.empty_like(raw)
        ones = [s.a for s in plan if s.thermometer]
        if ones:
            drawn.index_fill_(0, torch.tensor(ones, device=raw.device), 1.0)
        if uniforms is not None:
            uniforms = uniforms.to(raw.dtype).unsqueeze(1)
        else:  # the greedy rows' thermometer codes: (j < code) for each entry j
            widest = max(s.b - s.a for s in plan)
            entries = torch.arange(widest - 1, device=raw.device).unsqueeze(1)
        start = n_onehot = n_scalar = 0
        for step in plan:
            k, a, b = step.k, step.a, step.b
            values = raw[a:b]
            if a > start:
                values.addmm_(effect[a:b, start:a], drawn[start:a])
            if not step.onehot:
                value = torch.tanh(values[0], out=drawn[a])
                if noise is not None:
                    value += noise[n_scalar]
                n_scalar += 1
                if step.gate is not None:  # kept before its gate zeroes it
                    out[k] = value
            else:
                code = drawn[a + 1 : b]
                if uniforms is None:
                    codes = values.argmax(dim=0, keepdim=True)
                    torch.lt(entries[: b - a - 1], codes, out=code)
                else:
                    u = uniforms[n_onehot : n_onehot + 1]
                    draw_thermometer(values.unsqueeze(0), u, out=code.unsqueeze(0))
                    n_onehot += 1
                torch.sum(code, dim=0, out=out[k])
                if step.flag:  # [present, missing]: present where the code is 0
                    torch.eq(code[0], 0.0, out=drawn[a])
            if step.gate is not None:
                drawn[a:b] *= drawn[step.gate]
            if step.ends and b < raw.shape[0]:
                raw[b:].addmm_(effect[b:, start:b], drawn[start:b])
                start = b
        # the ungated scalar spans' rows, as drawn, in one copy
        scalars = [(s.k, s.a) for s in plan if not s.onehot and s.gate is None]
        if scalars:
            rows, columns = torch.tensor(scalars, device=raw.device).T
            out.index_copy_(0, rows, drawn.index_select(0, columns))
