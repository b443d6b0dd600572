"""Building blocks shared by the networks: seeded layers and span-wise activations.

Every random draw takes an explicit ``torch.Generator``; nothing here touches
torch's global random state.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from ..preprocessing import Span


def _init_vector_math() -> None:
    """Run torch's MKL vector-math kernels once, single-threaded, at import.

    They initialise lazily, and when their first call is split over several
    threads, one thread can take a less accurate path: measured with torch
    2.13 here, a first ``exp`` or ``tanh`` over 80,000 floats came out up to
    1e-4 off (relative) in about one process in twenty, so two draws with the
    same seed could differ. Contiguous ``exp``, ``log`` and ``tanh`` (float32
    and float64) are the kernels sampling and training use.
    """
    for dtype in (torch.float32, torch.float64):
        x = torch.ones(8, dtype=dtype)
        for op in (torch.exp, torch.log, torch.tanh):
            op(x)


_init_vector_math()


def seeded_linear(n_in: int, n_out: int, generator: torch.Generator) -> nn.Linear:
    """A ``Linear`` layer initialised like PyTorch's default, from ``generator``."""
    # built on the meta device (nothing drawn, nothing allocated), then given its
    # tensors: torch's ``skip_init`` does the same through code that loads sympy
    layer = nn.Linear(n_in, n_out, device="meta")
    layer.weight = nn.Parameter(torch.empty(n_out, n_in, dtype=torch.float32))
    layer.bias = nn.Parameter(torch.empty(n_out, dtype=torch.float32))
    bound = 1.0 / math.sqrt(n_in) if n_in > 0 else 0.0
    with torch.no_grad():
        layer.weight.uniform_(-bound, bound, generator=generator)
        layer.bias.uniform_(-bound, bound, generator=generator)
    return layer


def seeded_mlp(
    n_in: int, sizes: Sequence[int], generator: torch.Generator, *, leaky: float = 0.0
) -> tuple[nn.Sequential, int]:
    """Linear + (Leaky)ReLU blocks; returns the stack and its output width."""
    layers: list[nn.Module] = []
    for size in sizes:
        layers.append(seeded_linear(n_in, size, generator))
        # in place: a linear layer's backward needs its input, not its output
        layers.append(nn.LeakyReLU(leaky, inplace=True) if leaky else nn.ReLU(inplace=True))
        n_in = size
    return nn.Sequential(*layers), n_in


#: What ``SpanLayout._index_spans`` builds (rebuilt for layouts pickled before it).
_SPAN_INDEX = ("onehot_positions", "onehot_starts", "gated", "gate")


class SpanLayout:
    """Index tensors of a ``TableTransformer`` layout, for vectorised span-wise work.

    One-hot blocks of equal width are grouped so that a category draw runs once
    per width instead of once per block; ``block_of`` and ``block_matrix`` let a
    softmax or a cross-entropy run once for all blocks.
    """

    def __init__(self, spans: Sequence[Span]):
        self.spans = list(spans)
        self.n_features = max((s.stop for s in self.spans), default=0)
        self.scalar_index = torch.tensor(
            [s.start for s in self.spans if not s.is_onehot], dtype=torch.long
        )
        groups: dict[int, list[tuple[int, int]]] = {}
        for position, s in enumerate(self.spans):
            if s.is_onehot:
                groups.setdefault(s.width, []).append((s.start, position))
        # (n_blocks, width) column indices of each group of equal-width blocks
        self.groups = [
            (torch.tensor([start for start, _ in members])[:, None] + torch.arange(width)[None, :])
            for width, members in sorted(groups.items())
        ]
        # compact layout (one column per span: the value of a scalar, the code of a one-hot)
        self.scalar_positions = torch.tensor(
            [k for k, s in enumerate(self.spans) if not s.is_onehot], dtype=torch.long
        )
        self.group_positions = [
            torch.tensor([position for _, position in members], dtype=torch.long)
            for _, members in sorted(groups.items())
        ]
        # sampling order: the scalar columns, then each group's blocks side by side, so
        # that every group is a contiguous slice (a view, no gather)
        self.sample_order = torch.cat(
            [self.scalar_index, *(g.reshape(-1) for g in self.groups)]
        ).long()
        self.inverse_order = torch.argsort(self.sample_order)
        # where each span's compact column sits among the sampled columns
        sampled = torch.cat([self.scalar_positions, *self.group_positions]).long()
        self.compact_order = torch.argsort(sampled)
        # one-hot columns in sampling order, the block (in group order) each belongs
        # to, and the (columns, blocks) 0/1 matrix that sums a row's columns per block
        self.onehot_order = self.sample_order[len(self.scalar_index) :]
        widths = [w for g in self.groups for w in [g.shape[1]] * g.shape[0]]
        self.block_of = torch.repeat_interleave(
            torch.arange(len(widths)), torch.tensor(widths, dtype=torch.long)
        )
        self.block_matrix = torch.zeros(len(self.block_of), len(widths), dtype=torch.float32)
        self.block_matrix[torch.arange(len(self.block_of)), self.block_of] = 1.0
        # the span position of each block
        self.block_positions = sampled[len(self.scalar_positions) :]
        self._index_spans()

    def _index_spans(self) -> None:
        """Each one-hot span's position in the compact training layout, and its start;
        and the columns a continuous column's ``missing`` span gates: its other spans'
        columns (``gated``), each with the column of its ``present`` flag (``gate``)."""
        onehot = [(k, s.start) for k, s in enumerate(self.spans) if s.is_onehot]
        options = {"dtype": torch.long, "device": self.scalar_index.device}
        self.onehot_positions = torch.tensor([k for k, _ in onehot], **options)
        self.onehot_starts = torch.tensor([start for _, start in onehot], **options)
        present = {s.column: s.start for s in self.spans if s.kind == "missing"}
        pairs = [
            (k, present[s.column])
            for s in self.spans
            if s.kind != "missing" and s.column in present
            for k in range(s.start, s.stop)
        ]
        self.gated = torch.tensor([k for k, _ in pairs], **options)
        self.gate = torch.tensor([g for _, g in pairs], **options)

    def __setstate__(self, state):
        self.__dict__.update(state)
        # pickled before the compact layout, or before the gates
        if not all(name in state for name in _SPAN_INDEX):
            self._index_spans()

    def to(self, device) -> SpanLayout:
        self.scalar_index = self.scalar_index.to(device)
        self.groups = [g.to(device) for g in self.groups]
        self.scalar_positions = self.scalar_positions.to(device)
        self.group_positions = [g.to(device) for g in self.group_positions]
        self.sample_order = self.sample_order.to(device)
        self.compact_order = self.compact_order.to(device)
        self.inverse_order = self.inverse_order.to(device)
        self.onehot_order = self.onehot_order.to(device)
        self.block_of = self.block_of.to(device)
        self.block_matrix = self.block_matrix.to(device)
        self.onehot_positions = self.onehot_positions.to(device)
        self.onehot_starts = self.onehot_starts.to(device)
        self.gated = self.gated.to(device)
        self.gate = self.gate.to(device)
        return self


def expand_compact(compact: torch.Tensor, layout: SpanLayout) -> torch.Tensor:
    """Rows of the compact training layout in the layout of ``TableTransformer.transform``.

    ``compact`` holds one column per span: a scalar span's value, a one-hot span's
    code (-1 for an all-zero block, the mode of a missing value). The synthesizers
    keep their training table so, and spread out a few batches of rows at a time.
    """
    out = compact.new_zeros((compact.shape[0], layout.n_features))
    out.index_copy_(1, layout.scalar_index, compact.index_select(1, layout.scalar_positions))
    codes = compact.index_select(1, layout.onehot_positions)
    hot = (codes >= 0).to(out.dtype)  # a -1 code writes 0 at its block's start
    return out.scatter_(1, layout.onehot_starts + codes.long().clamp_(min=0), hot)


#: Rows spread out at once when a whole table in the compact layout is run through
#: a network (``expanded_chunks``).
CHUNK_ROWS = 16_384


def expanded_chunks(compact: torch.Tensor, layout: SpanLayout, device, dtype=None):
    """``compact``'s rows spread out (``expand_compact``) on ``device``, as ``dtype``,
    :data:`CHUNK_ROWS` at a time: memory is the chunk's, whatever the rows."""
    for start in range(0, len(compact), CHUNK_ROWS):
        rows = expand_compact(compact[start : start + CHUNK_ROWS].to(device), layout)
        yield rows if dtype is None else rows.to(dtype)


def gumbel_noise(shape, generator: torch.Generator, device, dtype=torch.float32) -> torch.Tensor:
    """Standard Gumbel noise drawn from ``generator``."""
    u = torch.rand(shape, generator=generator, device=device, dtype=dtype)
    return -torch.log(-torch.log(u.clamp_(1e-10, 1.0 - 1e-7)))


def draw_categories(weights, n: int, generator: torch.Generator) -> torch.Tensor:
    """``n`` category codes drawn with probabilities proportional to ``weights``.

    One float64 uniform per draw from ``generator``, inverted through the
    cumulative weights; the codes are on ``generator``'s device.
    """
    device = generator.device
    cdf = torch.as_tensor(weights, dtype=torch.float64, device=device).cumsum(0)
    u = torch.rand(n, generator=generator, device=device, dtype=torch.float64)
    codes = torch.searchsorted(cdf / cdf[-1], u, right=True)
    return codes.clamp_(max=len(cdf) - 1)


def ordered_output(layer: nn.Linear, hidden: torch.Tensor, order: torch.Tensor) -> torch.Tensor:
    """``layer(hidden).T`` with its rows in ``order``: ``(features, n)``.

    The weight's rows are reordered, and the product is laid out one feature
    per contiguous row, as the samplers read it (:func:`sample_compact` with
    ``order=layout.sample_order``).
    """
    return torch.mm(layer.weight[order], hidden.T).add_(layer.bias[order].unsqueeze(1))


def _exact_cpu_matmul(dtype: torch.dtype) -> bool:
    """Whether a CPU matmul in ``dtype`` runs at full precision.

    A float32 matmul may run in bfloat16 when the user asked for it
    (``torch.set_float32_matmul_precision("medium")``, or from torch 2.9 the
    ``fp32_precision`` settings, which a matmul inherits from oneDNN's and
    then the generic one while set to ``"none"``), or inside a CPU autocast.
    """
    if dtype != torch.float32:
        return True
    try:
        autocast = torch.is_autocast_enabled("cpu")
    except TypeError:  # torch before 2.4
        autocast = torch.is_autocast_cpu_enabled()
    if autocast:
        return False
    matmul = getattr(torch.backends.mkldnn, "matmul", None)
    if matmul is not None and hasattr(matmul, "fp32_precision"):
        for level in (matmul, torch.backends.mkldnn, torch.backends):
            precision = getattr(level, "fp32_precision", "none")
            if precision != "none":
                return precision == "ieee"
        return True
    try:
        return torch.get_float32_matmul_precision() == "highest"
    except RuntimeError:  # legacy and new settings mixed: assume reduced
        return False


def _cumulative_sums(blocks: torch.Tensor) -> torch.Tensor:
    """Cumulative sums down dim 1 of ``(n_blocks, width, n)`` blocks.

    On the CPU a matmul by a lower-triangular matrix of ones is several times
    faster than ``cumsum`` across contiguous rows. ``cumsum`` is used instead
    where matmuls may run at reduced precision (TF32 on a GPU, bfloat16 on a
    CPU when the user allowed it), so the sums stay full float32.
    """
    if blocks.device.type == "cpu" and _exact_cpu_matmul(blocks.dtype):
        ones = _lower_ones(blocks.shape[1], blocks.dtype)
        if blocks.shape[0] == 1:  # one block: a plain product, without broadcasting
            return torch.mm(ones, blocks[0]).unsqueeze(0)
        return torch.matmul(ones, blocks)
    return blocks.cumsum(dim=1)


@functools.lru_cache(maxsize=256)
def _lower_ones(width: int, dtype: torch.dtype) -> torch.Tensor:
    """The ``(width, width)`` lower-triangular matrix of ones on the CPU (read only:
    shared by every call)."""
    return torch.ones((width, width), dtype=dtype).tril_()


#: Floor of a logit less its block's largest before ``exp``: the weight stays a
#: normal float (no subnormal arithmetic), and only a category whose odds against
#: the block's likeliest are below e^-80 is drawn at those odds instead of its own.
_LOGIT_FLOOR = -80.0


def draw_thermometer(
    logits: torch.Tensor, u: torch.Tensor, out: torch.Tensor | None = None
) -> torch.Tensor:
    """Categories drawn from the softmax down dim 1 of ``(n_blocks, width, n)``
    logits, by inverting the cumulative softmax at the uniforms ``u``
    ``(n_blocks, 1, n)`` (of the logits' dtype and device), as thermometer codes:
    ``(n_blocks, width - 1, n)``, entry ``j`` 1.0 where the category drawn is
    above ``j`` and 0.0 elsewhere, in the logits' dtype, written to ``out`` when
    given. ``logits`` and ``u`` are overwritten (used as scratch space). The
    weights are ``exp`` of the logits less their block's largest, floored at
    ``_LOGIT_FLOOR``.
    """
    top = logits.amax(dim=1, keepdim=True)
    cdf = _cumulative_sums(logits.sub_(top).clamp_(min=_LOGIT_FLOOR).exp_())
    threshold = u.mul_(cdf[:, -1:])
    # the category drawn is above j where the cumulative sum up to j is below the
    # threshold (the last one, the total, never is): 0.0/1.0, in place in the sums
    if out is None:
        return cdf[:, :-1].lt_(threshold)
    return torch.lt(cdf[:, :-1], threshold, out=out)


def draw_codes(logits: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """The codes, ``(n_blocks, n)`` floats, of :func:`draw_thermometer`'s draw."""
    return draw_thermometer(logits, u).sum(dim=1)


def sample_compact(
    columns: torch.Tensor,
    layout: SpanLayout,
    generator: torch.Generator,
    scalar_scale: torch.Tensor | None = None,
) -> torch.Tensor:
    """Draw rows in the compact layout (one column per span, in span order).

    ``columns`` is a raw output of shape ``(features, n)`` with its rows in
    ``layout.sample_order``, as :func:`ordered_output` returns it; it is
    overwritten (used as scratch space). Scalar spans hold ``tanh`` of the raw
    value, plus Gaussian noise of scale ``scalar_scale`` when given; one-hot
    spans the code of a category drawn from the block's softmax (inverse CDF,
    one uniform per block, :func:`draw_codes`), so no one-hot matrix is built.
    :meth:`TableTransformer._decode_compact` reads this layout. Every step is
    vectorised over the ``n`` samples; the result, of shape ``(n, spans)``, is
    the transpose of a contiguous ``(spans, n)`` tensor.
    """
    n = columns.shape[1]
    n_scalar = layout.scalar_index.numel()
    parts = []  # compact rows in sampling order, put in span order at the end
    if n_scalar:
        scalars = torch.tanh(columns[:n_scalar])
        if scalar_scale is not None:
            noise = torch.randn(
                (n_scalar, n), generator=generator, device=generator.device, dtype=torch.float32
            )
            scalars += noise.to(columns.device) * scalar_scale.unsqueeze(1)
        parts.append(scalars)
    for logits in _group_views(columns, layout, n_scalar, feature_dim=0):
        u = torch.rand(
            (logits.shape[0], 1, n),
            generator=generator,
            device=generator.device,
            dtype=torch.float32,
        )
        parts.append(draw_codes(logits, u.to(columns.device, columns.dtype)))
    if not parts:
        return columns.new_empty((n, 0))
    return torch.cat(parts).index_select(0, layout.compact_order).T


def _group_views(ordered: torch.Tensor, layout: SpanLayout, offset: int, *, feature_dim=1):
    """Views of each group of one-hot blocks in a tensor in sampling order.

    ``(n, n_blocks, width)`` for an ``(n, features)`` tensor (``feature_dim=1``),
    ``(n_blocks, width, n)`` for a ``(features, n)`` one (``feature_dim=0``).
    """
    n = ordered.shape[1 - feature_dim]
    for index in layout.groups:
        n_blocks, width = index.shape
        block = ordered.narrow(feature_dim, offset, n_blocks * width)
        yield block.view(n, n_blocks, width) if feature_dim else block.view(n_blocks, width, n)
        offset += n_blocks * width


def apply_activations(
    raw: torch.Tensor,
    layout: SpanLayout,
    *,
    onehot: str = "softmax",
    tau: float = 0.2,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """tanh on scalar columns; on one-hot blocks, depending on ``onehot``:

    ``"softmax"``: probabilities; ``"gumbel"``: Gumbel-softmax with temperature
    ``tau`` (differentiable; one draw of noise for all blocks); ``"sample"``: a
    hard one-hot drawn from the block's categorical distribution (Gumbel-max);
    ``"argmax"``: the most likely category as a hard one-hot.
    """
    # one gather into sampling order (groups as views), one back at the end
    ordered = raw.index_select(1, layout.sample_order)
    n_scalar = layout.scalar_index.numel()
    pieces = [torch.tanh(ordered[:, :n_scalar])]
    if onehot in ("softmax", "gumbel"):
        logits = ordered[:, n_scalar:]
        if onehot == "gumbel":
            noise = gumbel_noise(logits.shape, generator, raw.device, raw.dtype)
            logits = (logits + noise) / tau
        pieces.append(block_softmax(logits, layout))
    else:
        for logits in _group_views(ordered, layout, n_scalar):
            if onehot == "sample":
                logits = logits + gumbel_noise(logits.shape, generator, raw.device, raw.dtype)
            values = F.one_hot(logits.argmax(dim=-1), logits.shape[-1]).to(raw.dtype)
            pieces.append(values.flatten(1))
    return torch.cat(pieces, dim=1).index_select(1, layout.inverse_order)


def _block_exp(z: torch.Tensor, layout: SpanLayout) -> tuple[torch.Tensor, torch.Tensor]:
    """``exp`` of each one-hot block of ``z`` (columns in ``layout.onehot_order``)
    shifted by the block's row maximum, and those maxima ``(n, blocks)``.

    The maxima are taken outside autograd: any per-block shift gives a softmax
    or a log-sum-exp the same value and gradient; the maximum keeps ``exp``
    from overflowing or underflowing a whole block.
    """
    with torch.no_grad():
        top = z.new_full((z.shape[0], layout.block_matrix.shape[1]), -math.inf)
        top.scatter_reduce_(1, layout.block_of.expand(z.shape[0], -1), z, "amax")
    return torch.exp(z - top.index_select(1, layout.block_of)), top


def block_softmax(z: torch.Tensor, layout: SpanLayout) -> torch.Tensor:
    """Softmax within each one-hot block of ``z`` (columns in ``layout.onehot_order``)."""
    shifted, _ = _block_exp(z, layout)
    totals = shifted @ layout.block_matrix.to(z.dtype)
    return shifted / totals.index_select(1, layout.block_of)


def onehot_block_nll(raw: torch.Tensor, target: torch.Tensor, layout: SpanLayout):
    """Cross-entropy of each one-hot block of ``raw`` logits: ``(n, blocks)``.

    Blocks in ``layout``'s group order (``layout.block_positions`` gives their
    spans). Targets are (possibly all-zero) one-hot blocks; an all-zero block
    gives 0. All blocks at once: each block's log-sum-exp is the log of a
    product by ``layout.block_matrix``, shifted by the block's maximum, so the
    cost is a few operations on the whole batch whatever the number of blocks.
    """
    n = raw.shape[0]
    if not layout.groups:
        return raw.new_zeros((n, 0))
    z = raw.index_select(1, layout.onehot_order)
    t = target.index_select(1, layout.onehot_order)
    blocks = layout.block_matrix.to(z.dtype)
    shifted, top = _block_exp(z, layout)
    log_sum_exp = torch.log(shifted @ blocks) + top
    return (t @ blocks) * log_sum_exp - (t * z) @ blocks


def onehot_cross_entropy(raw: torch.Tensor, target: torch.Tensor, layout: SpanLayout):
    """Per-row sum over one-hot blocks of the cross-entropy of ``raw`` logits.

    Targets are (possibly all-zero) one-hot blocks; an all-zero block adds 0.
    """
    return onehot_block_nll(raw, target, layout).sum(dim=1)
