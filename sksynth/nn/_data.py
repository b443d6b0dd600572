"""Whole-batch iteration over one tensor (skorch's default loader indexes row by row)."""

from __future__ import annotations

import torch

#: Rows spread out together from the compact layout (see ``expand``).
_EXPAND_ROWS = 8192


class TensorBatches:
    """Iterate over ``(X[batch], None)`` slices of one tensor.

    Parameters
    ----------
    X : torch.Tensor
        The whole training matrix, already on the training device.
    batch_size : int
        Rows per batch.
    shuffle : bool
        Draw a new permutation from ``generator`` for each pass.
    generator : torch.Generator or None
        Source of the permutations.
    multiple_of : int, default=1
        Batches are cut to a multiple of this (the GAN's ``pac``); a last
        batch smaller than this is dropped.
    min_rows : int, default=1
        A last batch of fewer rows is dropped (the GAN's batch norm needs 2).
    expand : callable, default=None
        Applied to the rows of each batch (the compact training layout spread
        out), to those of several batches at once.
    """

    def __init__(
        self, X, batch_size, shuffle, generator=None, multiple_of=1, min_rows=1, expand=None
    ):
        self.X = X
        self.expand = expand
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.generator = generator
        self.multiple_of = int(multiple_of)
        self.min_rows = max(int(min_rows), 1)

    def __len__(self):
        return sum(1 for _ in self._bounds())

    def _bounds(self):
        n = self.X.shape[0]
        for start in range(0, n, self.batch_size):
            stop = min(start + self.batch_size, n)
            stop -= (stop - start) % self.multiple_of
            if stop - start >= self.min_rows:
                yield start, stop

    def __iter__(self):
        if self.shuffle:
            order = torch.randperm(
                self.X.shape[0], generator=self.generator, device=self.generator.device
            ).to(self.X.device)
        bounds = list(self._bounds())
        # expanded a few batches at a time: one call's overhead serves several steps
        step = max(1, _EXPAND_ROWS // self.batch_size) if self.expand is not None else 1
        for first in range(0, len(bounds), step):
            group = bounds[first : first + step]
            low, high = group[0][0], group[-1][1]
            block = self.X[order[low:high]] if self.shuffle else self.X[low:high]
            if self.expand is not None:
                block = self.expand(block)
            for start, stop in group:
                yield block[start - low : stop - low], None
