"""The conditional tabular GAN: generator, packed discriminator, alternating updates."""

from __future__ import annotations

import torch
from skorch.utils import TeeGenerator
from torch import nn
from torch.nn import functional as F

from ._adam import Adam
from ._conditions import ConditionSampler
from ._layers import (
    SpanLayout,
    apply_activations,
    onehot_block_nll,
    ordered_output,
    sample_compact,
    seeded_linear,
)
from ._net import SeededNet, adam_options


class SeededDropout(nn.Module):
    """Dropout drawing its masks from ``self.generator`` (set by the net while training)."""

    def __init__(self, p):
        super().__init__()
        self.p = p
        self.generator = None

    def forward(self, x):
        if not self.training or self.p == 0 or self.generator is None:
            return x
        keep = torch.rand(
            x.shape, generator=self.generator, device=self.generator.device, dtype=torch.float32
        )
        return x * (keep.to(x.device) >= self.p) / (1.0 - self.p)

    def __getstate__(self):
        state = self.__dict__.copy()
        state["generator"] = None
        return state


class _Residual(nn.Module):
    def __init__(self, n_in, n_out, generator):
        super().__init__()
        self.linear = seeded_linear(n_in, n_out, generator)
        self.norm = nn.BatchNorm1d(n_out, dtype=torch.float32)

    def forward(self, x):
        return torch.cat([F.relu(self.norm(self.linear(x))), x], dim=1)

    def folded(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Weight and bias of the linear layer with the eval-mode batch norm folded in."""
        norm = self.norm
        scale = norm.weight / torch.sqrt(norm.running_var + norm.eps)
        weight = self.linear.weight * scale[:, None]
        bias = (self.linear.bias - norm.running_mean) * scale + norm.bias
        return weight, bias


class Generator(nn.Module):
    """Noise + conditional vector -> raw row (residual blocks with batch norm)."""

    def __init__(self, spans, noise_dim=128, cond_dim=0, sizes=(256, 256), seed=0):
        super().__init__()
        g = torch.Generator().manual_seed(int(seed))
        self.layout = SpanLayout(spans)
        self.noise_dim = noise_dim
        blocks, width = [], noise_dim + cond_dim
        for size in sizes:
            blocks.append(_Residual(width, size, g))
            width += size
        self.blocks = nn.Sequential(*blocks)
        self.out = seeded_linear(width, self.layout.n_features, g)
        self._discriminator_seed = int(torch.randint(2**31 - 1, (1,), generator=g))

    def _apply(self, fn, *args, **kwargs):
        super()._apply(fn, *args, **kwargs)
        self.layout.to(self.out.weight.device)
        return self

    @property
    def cond_dim(self) -> int:
        """Width of the conditional vector (0 without discrete columns)."""
        return self.blocks[0].linear.in_features - self.noise_dim

    def forward(self, noise, cond):
        """Raw rows ``(n, features)`` for noise and conditional vectors."""
        return self.out(self.blocks(torch.cat([noise, cond], dim=1)))

    def sample_output(self, noise, cond_index=None):
        """The eval-mode raw rows as the sampler reads them: ``(features, n)`` in
        ``layout.sample_order``.

        ``cond_index`` (n,) gives each row's conditional vector, one-hot, as the
        position of its one (``None`` without discrete columns). The conditional
        vector's part of each linear layer is then a column of its weight, picked
        per row, instead of a product (on Adult, 104 of the generator's 232
        inputs), and batch norm is folded into each linear layer (see
        :meth:`_folded_hidden`).
        """
        if (cond_index is None) != (self.cond_dim == 0):
            raise ValueError(
                f"cond_index must be given exactly when the generator has a conditional "
                f"vector (cond_dim={self.cond_dim}); got {'none' if cond_index is None else 'one'}."
            )
        hidden = self._folded_hidden(noise, cond_index)
        order = self.layout.sample_order
        if cond_index is None:
            return ordered_output(self.out, hidden, order)
        weight, bias = self.out.weight[order], self.out.bias[order]
        picked = _picked_columns(weight, bias, self.cond_dim, cond_index, rows=False)
        return picked.addmm_(weight[:, : -self.cond_dim], hidden.T)

    def _folded_hidden(self, noise, cond_index):
        """The residual stack in eval mode, for sampling: batch norm folded into each
        linear layer, and every block's output written once into one buffer laid out
        like the concatenations ``[h_k, ..., h_1, noise]`` (the conditional vector
        enters each layer as its picked weight column, see :meth:`sample_output`)."""
        widths = [block.linear.out_features for block in self.blocks]
        n_in = noise.shape[1]
        total = n_in + sum(widths)
        hidden = noise.new_empty((noise.shape[0], total))
        start = total - n_in
        hidden[:, start:] = noise
        for block, width in zip(self.blocks, widths, strict=True):
            weight, bias = block.folded()
            if cond_index is None:
                layer = F.linear(hidden[:, start:], weight, bias)
            else:
                picked = _picked_columns(weight, bias, self.cond_dim, cond_index, rows=True)
                layer = picked.addmm_(hidden[:, start:], weight[:, : -self.cond_dim].T)
            hidden[:, start - width : start] = layer.relu_()
            start -= width
        return hidden


def _picked_columns(weight, bias, cond_dim: int, cond_index, *, rows: bool) -> torch.Tensor:
    """A linear layer's bias plus, for each row, the weight column of its conditional
    vector's one (the last ``cond_dim`` columns of ``weight``): ``(n, out)`` with
    ``rows=True``, else ``(out, n)``."""
    table = weight[:, -cond_dim:] + bias.unsqueeze(1)  # (out, cond_dim)
    if rows:
        return table.T.contiguous().index_select(0, cond_index)
    return table.index_select(1, cond_index)


class Discriminator(nn.Module):
    """Scores packs of ``pac`` rows (with their conditional vectors) as real or fake."""

    def __init__(self, n_in, pac=10, sizes=(256, 256), dropout=0.5, seed=0):
        super().__init__()
        g = torch.Generator().manual_seed(int(seed))
        self.pac = pac
        layers, width = [], n_in * pac
        for size in sizes:
            layers += [seeded_linear(width, size, g), nn.LeakyReLU(0.2), SeededDropout(dropout)]
            width = size
        layers.append(seeded_linear(width, 1, g))
        self.net = nn.Sequential(*layers)

    def set_generator(self, generator):
        for layer in self.net:
            if isinstance(layer, SeededDropout):
                layer.generator = generator

    def forward(self, x):
        return self.net(x.reshape(-1, x.shape[1] * self.pac))


class GANNet(SeededNet):
    """skorch net with the generator as ``module_`` and a second module ``discriminator_``.

    ``train_step`` alternates ``discriminator_steps`` discriminator updates and
    one generator update per batch and records both losses per batch.
    """

    def __init__(
        self,
        *args,
        loss="bce",
        pac=10,
        discriminator_steps=1,
        gradient_penalty=10.0,
        tau=0.2,
        discriminator_sizes=(256, 256),
        discriminator_dropout=0.5,
        discriminator_lr=2e-4,
        discriminator_weight_decay=1e-6,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.loss = loss
        self.pac = pac
        self.discriminator_steps = discriminator_steps
        self.gradient_penalty = gradient_penalty
        self.tau = tau
        self.discriminator_sizes = discriminator_sizes
        self.discriminator_dropout = discriminator_dropout
        self.discriminator_lr = discriminator_lr
        self.discriminator_weight_decay = discriminator_weight_decay

    batch_min_rows = 2  # the generator's batch norm needs two rows in training

    @property
    def batch_multiple(self):
        return self.pac

    def initialize_module(self):
        super().initialize_module()
        spans = getattr(self, "condition_spans_", [])
        self.sampler_ = ConditionSampler([s.width for s in spans])
        n_in = self.module_.layout.n_features + self.sampler_.cond_dim
        self.discriminator_ = Discriminator(
            n_in,
            self.pac,
            self.discriminator_sizes,
            self.discriminator_dropout,
            seed=self.module_._discriminator_seed,
        )
        return self

    def initialize_optimizer(self, *args, **kwargs):
        # the generator's optimizer holds the generator's parameters only: skorch's
        # default (get_all_learnable_params) would add the discriminator's, which a
        # scheduler or the generator's weight decay must never touch
        params = self.module_.named_parameters()
        optimizer_args, optimizer_kwargs = self.get_params_for_optimizer("optimizer", params)
        self.optimizer_ = self.optimizer(*optimizer_args, **optimizer_kwargs)
        self.optimizer_discriminator_ = Adam(
            self.discriminator_.parameters(),
            lr=self.discriminator_lr,
            betas=(0.5, 0.9),
            weight_decay=self.discriminator_weight_decay,
            **adam_options(self.device),
        )
        return self

    # ---- pieces of a step -------------------------------------------------------------
    def _conditions(self, n, *, log_frequency=True):
        if self.sampler_.n_spans == 0:
            return None, None, None
        return self.sampler_.draw(n, self.rng_, log_frequency=log_frequency)

    def _noise(self, n, generator):
        """``n`` noise draws for the generator, on the net's device."""
        noise = torch.randn(
            (n, self.module_.noise_dim),
            generator=generator,
            device=generator.device,
            dtype=torch.float32,
        )
        return noise.to(self.device)

    def _raw(self, n, cond, generator):
        """The generator's raw output for ``n`` noise draws (and the conditional vectors)."""
        noise = self._noise(n, generator)
        if cond is None:
            cond = noise.new_zeros((n, 0))
        return self.module_(noise, cond), cond

    def _fake(self, n, cond, *, onehot="gumbel", generator=None):
        generator = self.rng_ if generator is None else generator
        raw, cond = self._raw(n, cond, generator)
        rows = apply_activations(
            raw, self.module_.layout, onehot=onehot, tau=self.tau, generator=generator
        )
        return raw, self._gate_missing(rows), cond

    def _gate_missing(self, rows):
        """Generated rows as the discriminator sees real ones: the scalar and mode
        columns of a continuous column with missing values times the probability
        that its value is present.

        A real row with a missing number has zeros there (no mode); a generated
        row's mode block always sums to one, so without this the discriminator
        would tell every generated missing value apart and the generator would
        learn to make few of them (on 5,000 Adult rows with 30 % of a column
        missing, a median of 6 % over six seeds; 27 % with this, see
        ``benchmarks/bench_missing.py``).
        """
        layout = self.module_.layout
        if not layout.gated.numel():
            return rows
        present = rows.index_select(1, layout.gate)
        return rows * torch.ones_like(rows).index_copy(1, layout.gated, present)

    def _judge(self, rows, cond):
        return self.discriminator_(torch.cat([rows, cond], dim=1))

    def _penalty(self, real, fake):
        pac = self.pac
        alpha = torch.rand(
            (real.shape[0] // pac, 1, 1),
            generator=self.rng_,
            device=self.rng_.device,
            dtype=torch.float32,
        )
        alpha = alpha.to(real.device)
        shape = real.shape
        mixed = alpha * real.reshape(-1, pac, shape[1]) + (1 - alpha) * fake.reshape(
            -1, pac, shape[1]
        )
        mixed = mixed.reshape(shape).requires_grad_(True)
        score = self.discriminator_(mixed)
        (grad,) = torch.autograd.grad(score.sum(), mixed, create_graph=True)
        norm = grad.reshape(-1, pac * shape[1]).norm(2, dim=1)
        return ((norm - 1.0) ** 2).mean()

    def _condition_loss(self, raw, cond):
        """Cross-entropy making the generator honour its conditional vector ``cond``.

        ``cond`` is one-hot over the condition spans' categories; set in those
        spans' columns, it is the target of the one block each row is
        conditioned on (the other blocks' all-zero targets add nothing).
        """
        if not self.condition_spans_:
            return raw.new_zeros(())
        layout = getattr(self, "condition_layout_", None)
        if layout is None or layout.block_of.device != raw.device:
            layout = SpanLayout(self.condition_spans_).to(raw.device)
            columns = [k for s in self.condition_spans_ for k in range(s.start, s.stop)]
            self.condition_layout_ = layout
            self.condition_columns_ = torch.tensor(columns, device=raw.device)
        target = raw.new_zeros(raw.shape).index_copy_(1, self.condition_columns_, cond)
        return onehot_block_nll(raw, target, layout).sum(dim=1).mean()

    def discriminator_step(self, x):
        """Step 1: update the discriminator on real rows and detached generated rows."""
        n = x.shape[0]
        cond, span, category = self._conditions(n)
        if cond is None:
            real, cond = x, x.new_zeros((n, 0))
        else:
            real = self.expand_rows(self.data_[self.sampler_.real_rows(span, category, self.rng_)])
        with torch.no_grad():
            _, fake, _ = self._fake(n, cond)
        real_in = torch.cat([real, cond], dim=1)
        fake_in = torch.cat([fake, cond], dim=1)
        d_real, d_fake = self.discriminator_(real_in), self.discriminator_(fake_in)
        if self.loss == "bce":
            loss = F.binary_cross_entropy_with_logits(
                d_real, torch.ones_like(d_real)
            ) + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))
        else:
            loss = d_fake.mean() - d_real.mean()
            loss = loss + self.gradient_penalty * self._penalty(real_in, fake_in)
        self.check_finite(loss, "discriminator loss")
        self.optimizer_discriminator_.zero_grad(set_to_none=True)
        loss.backward()
        self._grad_computed(self.discriminator_, (x, None))
        self.optimizer_discriminator_.step()
        return loss.detach()

    def generator_step(self, n, batch=None):
        """Step 2: update the generator through the (frozen) discriminator's judgement
        on ``n`` generated rows (``batch``: the training step's, for the callbacks)."""
        cond, _, _ = self._conditions(n)
        self.discriminator_.requires_grad_(False)
        try:
            raw, fake, cond = self._fake(n, cond)
            d_fake = self._judge(fake, cond)
            if self.loss == "bce":
                adversarial = F.binary_cross_entropy_with_logits(d_fake, torch.ones_like(d_fake))
            else:
                adversarial = -d_fake.mean()
            condition = self._condition_loss(raw, cond)
            loss = adversarial + condition
            self.check_finite(loss, "generator loss")
            self.optimizer_.zero_grad(set_to_none=True)
            loss.backward()
            self._grad_computed(self.module_, batch)
            self.optimizer_.step()
        finally:
            self.discriminator_.requires_grad_(True)
        return loss.detach(), condition.detach()

    def _grad_computed(self, network: nn.Module, batch) -> None:
        """Tell the callbacks that ``network``'s gradients are computed, before its
        optimizer steps (skorch's ``on_grad_computed``: ``GradientNormClipping``
        clips them there). Each network's backward pass is reported on its own."""
        self.notify(
            "on_grad_computed",
            named_parameters=TeeGenerator(network.named_parameters()),
            batch=batch,
            training=True,
        )

    def train_step(self, batch, **fit_params):
        x, _ = batch
        self.module_.train()
        self.discriminator_.train()
        self.discriminator_.set_generator(self.rng_)
        for _ in range(self.discriminator_steps):
            loss_d = self.discriminator_step(x)
        loss_g, condition = self.generator_step(x.shape[0], batch)
        self.history.record_batch("discriminator_loss", loss_d.item())
        self.history.record_batch("condition_loss", condition.item())
        return {"loss": loss_g, "y_pred": None}

    def get_iterator(self, dataset, training=False):
        iterator = super().get_iterator(dataset, training)
        if training and iterator.X is not getattr(self, "data_", None):
            self.attach_rows(iterator.X)
        return iterator

    def batch_expand(self):
        # with conditions, a step draws its real rows from data_ (matching them) and
        # reads only the batch's size: its rows need not be spread out
        return None if self.sampler_.n_spans else super().batch_expand()

    def attach_rows(self, data):
        """Take the training rows ``data`` (compact layout), from which the
        discriminator's real rows are drawn, and index them by category for
        training-by-sampling."""
        self.data_ = data
        if self.sampler_.n_spans:
            positions = [self.module_.layout.spans.index(s) for s in self.condition_spans_]
            self.sampler_.index_rows(data[:, k].long() for k in positions)

    def fit_loop(self, X, y=None, **fit_params):
        try:
            return super().fit_loop(X, y, **fit_params)
        finally:
            # the training rows, and which of them hold which category, serve training
            # alone: a fitted model keeps neither (nor do its pickles and files)
            self.data_ = None
            self.sampler_.forget_rows()

    def generate(self, n, generator, cond_index=None):
        """``n`` rows in the compact layout (one column per span; category codes).

        ``cond_index`` (n,) sets each row's conditional vector; by default the
        conditions are drawn at the data frequencies.
        """
        index = None
        if cond_index is not None:
            index = torch.as_tensor(cond_index, device=self.device)
        elif self.sampler_.n_spans:
            index = self.sampler_.draw_index(n, generator, log_frequency=False)
        raw = self.module_.sample_output(self._noise(n, generator), index)
        return sample_compact(raw, self.module_.layout, generator)

    def __getstate__(self):
        state = super().__getstate__()
        # the training data, and the condition loss's layout (rebuilt on its device)
        for name in ("data_", "condition_layout_", "condition_columns_"):
            state.pop(name, None)
        return state
