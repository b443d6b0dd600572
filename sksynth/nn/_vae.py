"""The VAE: encoder, reparameterisation, decoder, and the negative-ELBO loss."""

from __future__ import annotations

import math

import torch
from torch import nn

from ._autoregressive import SpanContext
from ._layers import (
    SpanLayout,
    apply_activations,
    expand_compact,
    onehot_block_nll,
    ordered_output,
    sample_compact,
    seeded_linear,
    seeded_mlp,
)
from ._net import SeededNet

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


class VAEModule(nn.Module):
    """Encoder q(z|x) = N(mu, diag(exp(logvar))) and decoder p(x|z) over the spans.

    The decoder outputs raw values: scalar columns are the means (through tanh)
    of Gaussians with a learned per-column scale; one-hot blocks are logits.
    With ``autoregressive=True``, each span's output also depends on the spans
    drawn before it (:class:`~sksynth.nn._autoregressive.SpanContext`).
    """

    def __init__(
        self,
        spans,
        encoder_columns=None,
        latent_dim=16,
        encoder_sizes=(128, 128),
        decoder_sizes=(128, 128),
        label_span=None,
        autoregressive=False,
        seed=0,
    ):
        super().__init__()
        g = torch.Generator().manual_seed(int(seed))
        self.layout = SpanLayout(spans)
        n = self.layout.n_features
        if encoder_columns is None:
            encoder_columns = range(n)
        # columns the encoder sees (a target modelled jointly is left out of q(z|x))
        self.register_buffer("encoder_columns", torch.tensor(list(encoder_columns)))
        self.latent_dim = latent_dim
        # encoded columns of a class label modelled jointly (weighted in the loss)
        self.label_span = None if label_span is None else tuple(label_span)
        # its column among the one-hot blocks' cross-entropies (onehot_block_nll)
        self.label_block = None
        if label_span is not None:
            position = next(k for k, s in enumerate(self.layout.spans) if s.start == label_span[0])
            self.label_block = self.layout.block_positions.tolist().index(position)
        self.encoder, width = seeded_mlp(len(self.encoder_columns), encoder_sizes, g)
        self.to_stats = seeded_linear(width, 2 * latent_dim, g)
        decoder, width = seeded_mlp(latent_dim, decoder_sizes, g)
        self.decoder = nn.Sequential(decoder, seeded_linear(width, n, g))
        self.log_scale = nn.Parameter(
            torch.full((len(self.layout.scalar_index),), -2.0, dtype=torch.float32)
        )
        self.context = SpanContext(self.layout.spans, n) if autoregressive else None

    def __setstate__(self, state):
        super().__setstate__(state)
        self._modules.setdefault("context", None)  # pickled before the context term

    def _apply(self, fn, *args, **kwargs):
        super()._apply(fn, *args, **kwargs)
        self.layout.to(self.log_scale.device)
        return self

    def encode(self, x):
        # the columns are distinct and sorted: as many as x has means all of them
        if self.encoder_columns.numel() != x.shape[1]:
            x = x.index_select(1, self.encoder_columns)
        mu, logvar = self.to_stats(self.encoder(x)).chunk(2, dim=1)
        return mu, logvar.clamp(-20.0, 10.0)

    def decode(self, z, x=None):
        """Raw outputs for latents ``z``; with the context term, given the rows ``x``
        (their spans before each span: the likelihood of ``x``)."""
        raw = self.decoder(z)
        if self.context is None:
            return raw
        if x is None:
            raise ValueError("an autoregressive decoder needs the rows x it scores")
        return raw + self.context(x)

    def forward(self, x, eps):
        mu, logvar = self.encode(x)
        z = mu + eps * torch.exp(0.5 * logvar)
        return self.decode(z, x), mu, logvar

    def reconstruction_nll(self, raw, x, layout=None, *, label=False):
        """Per-row negative log-likelihood of ``x`` under the decoder output ``raw``.

        ``layout`` restricts it to some spans (default: all). With ``label=True``,
        also the label block's cross-entropy (part of the first; ``None``
        without a label), computed with it.
        """
        layout = self.layout if layout is None else layout
        blocks = onehot_block_nll(raw, x, layout)
        nll = blocks.sum(dim=1)
        idx = layout.scalar_index
        if idx.numel():
            if layout is self.layout:
                log_scale = self.log_scale
            else:  # learned scales are indexed by position among all scalar columns
                log_scale = self.log_scale[torch.searchsorted(self.layout.scalar_index, idx)]
            z = (x.index_select(1, idx) - torch.tanh(raw.index_select(1, idx))) * torch.exp(
                -log_scale
            )
            nll = nll + 0.5 * (z * z).sum(dim=1) + (log_scale.sum() + _HALF_LOG_2PI * idx.numel())
        if not label:
            return nll
        if self.label_block is None or layout is not self.layout:
            return nll, None
        return nll, blocks[:, self.label_block]

    @staticmethod
    def kl(mu, logvar):
        """Per-row KL(q(z|x) || N(0, I))."""
        return -0.5 * (1.0 + logvar - mu * mu - torch.exp(logvar)).sum(dim=1)

    def sample_rows(self, z, generator):
        """Rows drawn from p(x|z) in the compact layout: Gaussian scalars, category codes."""
        raw, scale = self._sampler_output(z), torch.exp(self.log_scale)
        if self.context is not None:
            return self.context.draw(raw, self.layout, generator, scale)
        return sample_compact(raw, self.layout, generator, scale)

    def _sampler_output(self, z):
        """Raw outputs for latents ``z`` as the sampler reads them: ``(features, n)``,
        in the context's drawing order or else in ``layout.sample_order``."""
        hidden, last = self.decoder
        order = self.layout.sample_order if self.context is None else self.context.columns
        return ordered_output(last, hidden(z), order)

    def decode_mode(self, z):
        """The most likely row for each latent vector (span by span, greedily, with
        the context term)."""
        if self.context is not None:
            compact = self.context.draw(self._sampler_output(z), self.layout, None)
            return expand_compact(compact, self.layout)
        raw = self.decode(z)
        return apply_activations(raw, self.layout, onehot="argmax")


class ELBOLoss(nn.Module):
    """Negative ELBO averaged over a batch: reconstruction NLL + beta * KL.

    ``label_nll`` (already part of the reconstruction) is added again
    ``label_weight - 1`` times, so the latents carry the label.
    """

    def __init__(self, beta=1.0, label_weight=1.0):
        super().__init__()
        self.beta = beta
        self.label_weight = label_weight

    def forward(self, recon_nll, kl, label_nll=None):
        loss = recon_nll + self.beta * kl
        if label_nll is not None:
            loss = loss + (self.label_weight - 1.0) * label_nll
        return loss.mean()


class VAENet(SeededNet):
    """skorch net training :class:`VAEModule` on the negative ELBO."""

    def train_step_single(self, batch, **fit_params):
        self._set_training(True)
        x, _ = batch
        module = self.module_
        eps = torch.randn(
            (x.shape[0], module.latent_dim), generator=self.rng_, device=x.device, dtype=x.dtype
        )
        raw, mu, logvar = module(x, eps)
        recon, label = module.reconstruction_nll(raw, x, label=True)
        kl = module.kl(mu, logvar)
        loss = self.criterion_(recon, kl, label)
        self.check_finite(loss)
        loss.backward()
        self.history.record_batch("reconstruction", recon.mean().item())
        self.history.record_batch("kl", kl.mean().item())
        return {"loss": loss, "y_pred": raw}

    def elbo(self, x, eps, layout=None, module=None):
        """Per-row ELBO, averaged over the rows of ``eps`` (k, latent_dim) shared by all rows."""
        module = self.module_ if module is None else module
        mu, logvar = module.encode(x)
        total = x.new_zeros(x.shape[0])
        for e in eps:
            z = mu + e[None, :] * torch.exp(0.5 * logvar)
            total += module.reconstruction_nll(module.decode(z, x), x, layout)
        return -(total / len(eps) + module.kl(mu, logvar))
