"""Training-by-sampling: the conditional vector of the conditional GAN (Xu et al., 2019).

A discrete column is picked uniformly at random, then one of its categories
with probability proportional to the log of its frequency; the conditional
vector is the one-hot of that (column, category) over all discrete columns,
each column at its own offset. Real rows holding that category are drawn to
match. Everything is vectorised over the batch and draws from a given
``torch.Generator``.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class ConditionSampler(nn.Module):
    """Conditional vectors and matching real rows for the discrete spans.

    Parameters
    ----------
    widths : list of int
        Width of each conditioning span (one per discrete column).
    codes : torch.Tensor of shape (n_rows, n_spans), dtype long
        Category code of each training row in each conditioning span.
    """

    def __init__(self, widths, codes):
        super().__init__()
        widths = torch.as_tensor(widths, dtype=torch.long)
        n_rows, n_spans = codes.shape
        self.n_spans = n_spans
        self.cond_dim = int(widths.sum())
        self.register_buffer("offsets", torch.cumsum(widths, 0) - widths)
        max_width = int(widths.max()) if n_spans else 1
        counts = torch.zeros(n_spans, max_width)
        for j in range(n_spans):
            counts[j, : int(widths[j])] = torch.bincount(codes[:, j], minlength=int(widths[j]))
        self.register_buffer("counts", counts)
        log_freq = torch.log1p(counts)
        self.register_buffer("train_probs", log_freq / log_freq.sum(1, keepdim=True))
        self.register_buffer("data_probs", counts / counts.sum(1, keepdim=True))
        # rows sorted by category within each span, and where each category starts
        order = torch.argsort(codes, dim=0, stable=True)  # (n_rows, n_spans)
        self.register_buffer("row_order", order.T.contiguous())  # (n_spans, n_rows)
        starts = torch.cumsum(counts, 1) - counts
        self.register_buffer("starts", starts.long())
        self.n_rows = n_rows

    def draw(self, n, generator, *, log_frequency=True):
        """Draw ``(cond, span, category)`` for ``n`` rows."""
        device = self.offsets.device
        span = torch.randint(self.n_spans, (n,), generator=generator, device=generator.device)
        span = span.to(device)
        probs = (self.train_probs if log_frequency else self.data_probs)[span]
        u = torch.rand((n, 1), generator=generator, device=generator.device).to(device)
        category = torch.searchsorted(torch.cumsum(probs, 1), u).squeeze(1)
        category = torch.minimum(category, (probs > 0).sum(1) - 1)
        cond = F.one_hot(self.offsets[span] + category, self.cond_dim).float()
        return cond, span, category

    def real_rows(self, span, category, generator):
        """Indices of training rows holding ``category`` in ``span`` (one per entry)."""
        count = self.counts[span, category]
        u = torch.rand(span.shape, generator=generator, device=generator.device).to(count.device)
        pick = self.starts[span, category] + (u * count).long().clamp_max(count.long() - 1)
        return self.row_order[span, pick]
