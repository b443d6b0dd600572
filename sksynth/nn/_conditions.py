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

#: The training rows' index as earlier versions kept it, in the module's state (which
#: rows hold which category: every row's discrete values).
_TRAINING_ROWS = ("row_order", "starts")


class ConditionSampler(nn.Module):
    """Conditional vectors and matching real rows for the discrete spans.

    The module's state (saved with the model) is the spans' offsets and their
    categories' counts and probabilities; the index of which training rows hold
    which category serves training alone: :meth:`index_rows` builds it from the
    training rows, :meth:`forget_rows` drops it, and it is never saved or
    pickled (it would give every training row's discrete values).

    Parameters
    ----------
    widths : list of int
        Width of each conditioning span (one per discrete column).
    """

    def __init__(self, widths):
        super().__init__()
        widths = torch.as_tensor(widths, dtype=torch.long)
        self.n_spans = n_spans = len(widths)
        self.cond_dim = int(widths.sum())
        self.register_buffer("offsets", torch.cumsum(widths, 0) - widths)
        max_width = int(widths.max()) if n_spans else 1
        # filled by index_rows, or by load_state_dict
        for name in ("counts", "train_probs", "data_probs"):
            self.register_buffer(name, torch.zeros(n_spans, max_width, dtype=torch.float32))
        self._row_order = self._exact_counts = self._starts = None

    def index_rows(self, codes):
        """Count the categories of the training rows and index the rows by category.

        ``codes`` yields, span by span, each row's category code (n_rows,): one at a
        time, so that the index costs little more than itself on a large table. The
        index is built on the CPU (int64 sorts everywhere), then moved to this
        module's device.
        """
        exact = torch.zeros(self.counts.shape, dtype=torch.long)
        offsets = self.offsets.tolist()
        widths = [end - start for start, end in zip(offsets, [*offsets[1:], self.cond_dim])]
        order = None
        for j, (width, code) in enumerate(zip(widths, codes, strict=True)):
            code = code.cpu()
            if order is None:  # rows sorted by category within each span
                order = torch.empty((self.n_spans, code.shape[0]), dtype=torch.long)
            exact[j, :width] = torch.bincount(code, minlength=width)
            order[j] = torch.argsort(code, stable=True)
        counts = exact.to(self.counts)
        log_freq = torch.log1p(counts)
        self.counts.copy_(counts)
        self.train_probs.copy_(log_freq / log_freq.sum(1, keepdim=True))
        self.data_probs.copy_(counts / counts.sum(1, keepdim=True))
        device = self.counts.device
        self._row_order = order.to(device)  # (n_spans, n_rows)
        self._exact_counts = exact.to(device)  # float32 counts are exact to 2**24 only
        self._starts = (torch.cumsum(exact, 1) - exact).to(device)  # each category's first

    def forget_rows(self):
        """Drop the training rows' index (the counts and probabilities stay)."""
        self._row_order = self._exact_counts = self._starts = None

    def __getstate__(self):
        state = super().__getstate__()
        state["_row_order"] = state["_exact_counts"] = state["_starts"] = None
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        # pickled before the index left the module's state: its buffers, not kept
        for name in _TRAINING_ROWS:
            self._buffers.pop(name, None)
        self.__dict__.pop("n_rows", None)
        self.forget_rows()

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        for name in _TRAINING_ROWS:  # saved before the index left the state: not loaded
            state_dict.pop(prefix + name, None)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def draw(self, n, generator, *, log_frequency=True):
        """Draw ``(cond, span, category)`` for ``n`` rows."""
        span, category = self._draw(n, generator, log_frequency)
        cond = F.one_hot(self.offsets[span] + category, self.cond_dim).float()
        return cond, span, category

    def draw_index(self, n, generator, *, log_frequency=True):
        """The draws of :meth:`draw` (the same for the same generator) as the position
        of each row's one in its conditional vector, ``(n,)``."""
        span, category = self._draw(n, generator, log_frequency)
        return self.offsets[span] + category

    def _draw(self, n, generator, log_frequency):
        """``(span, category)``: a span uniformly, then one of its categories."""
        device = self.offsets.device
        span = torch.randint(self.n_spans, (n,), generator=generator, device=generator.device)
        span = span.to(device)
        probs = (self.train_probs if log_frequency else self.data_probs)[span]
        u = torch.rand((n, 1), generator=generator, device=generator.device, dtype=torch.float32)
        u = u.to(device)
        # a category of no probability (one the training rows lack) is never drawn
        category = torch.searchsorted(torch.cumsum(probs, 1), u, right=True).squeeze(1)
        # the last category of any probability (for rounding): float math runs everywhere
        rank = torch.arange(1, probs.shape[1] + 1, device=device, dtype=probs.dtype)
        last = ((probs > 0) * rank).argmax(1)
        return span, torch.minimum(category, last)

    def real_rows(self, span, category, generator):
        """Indices of training rows holding ``category`` in ``span`` (one per entry)."""
        if self._row_order is None:
            raise RuntimeError("the training rows are not indexed: call index_rows first.")
        count = self._exact_counts[span, category]
        u = torch.rand(
            span.shape, generator=generator, device=generator.device, dtype=torch.float32
        )
        u = u.to(count.device)
        pick = self._starts[span, category] + (u * count).long().clamp_max(count - 1)
        return self._row_order[span, pick]
