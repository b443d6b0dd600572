"""Whole-batch iteration over one tensor (skorch's default loader indexes row by row)."""

from __future__ import annotations

import torch


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
    """

    def __init__(self, X, batch_size, shuffle, generator=None, multiple_of=1, min_rows=1):
        self.X = X
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
        for start, stop in self._bounds():
            if self.shuffle:
                yield self.X[order[start:stop]], None
            else:
                yield self.X[start:stop], None
