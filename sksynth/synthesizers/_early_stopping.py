"""Early stopping on the quality of samples against held-out rows.

A synthesizer fitted with ``early_stopping=True`` holds out a share of its rows;
every ``validation_interval`` epochs the callback below draws as many rows as
were held out (with a fixed seed) and scores them with
:func:`sksynth.metrics.quality_score`. Training stops once the best score has
not improved for ``n_iter_no_change`` checks, and the weights of the best check
are put back, so a GAN whose samples drift late in training keeps its best
epoch. Training that ends between checks (a user's callback, Ctrl-C) has its
last weights scored too.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np
import pandas as pd
from skorch.callbacks import Callback

from ..metrics import quality_score

#: Seed of the rows drawn at every check: checks differ only by the weights.
CHECK_SEED = 20_241


def split_validation(
    n_rows: int, fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted (training, validation) row positions; ``fraction`` of the rows, at least 1."""
    if n_rows < 2:
        raise ValueError(f"early_stopping=True needs at least 2 rows; got {n_rows}.")
    n_valid = min(max(1, round(n_rows * fraction)), n_rows - 1)
    order = rng.permutation(n_rows)
    return np.sort(order[n_valid:]), np.sort(order[:n_valid])


class QualityEarlyStopping(Callback):
    """skorch callback: score samples against ``validation`` and keep the best weights.

    ``draw(n)`` returns ``n`` synthetic rows as an internally named frame like
    ``validation``. Records ``valid_quality`` in the net's history at each check.
    """

    def __init__(
        self,
        draw: Callable[[int], pd.DataFrame],
        validation: pd.DataFrame,
        discrete_columns: list[str],
        *,
        interval: int,
        patience: int,
    ):
        self.draw = draw
        self.validation = validation
        self.discrete_columns = discrete_columns
        self.interval = interval
        self.patience = patience

    def initialize(self):
        self.scores_: list[tuple[int, float]] = []
        self.best_: tuple[int, float] | None = None
        self.best_state_: dict | None = None
        self.stale_ = 0
        self.stopped_ = False
        return self

    def on_epoch_end(self, net, **kwargs):
        epoch = len(net.history)
        if epoch % self.interval and epoch != net.max_epochs:
            return
        self._check(net, epoch)
        if self.stale_ >= self.patience:
            self.stopped_ = True
            raise KeyboardInterrupt  # skorch's way to end training early

    def on_train_end(self, net, **kwargs):
        epoch = len(net.history)
        if not self.scores_ or self.scores_[-1][0] != epoch:
            # training ended between checks (a user's callback, Ctrl-C): its last
            # weights are scored too, so there is always a checked epoch to keep
            self._check(net, epoch)
        for name, state in self.best_state_.items():
            getattr(net, name + "_").load_state_dict(state)
        if net.verbose:  # skorch's log never prints the epoch that raised the stop
            best_epoch, best_score = self.best_
            why = (
                f"valid_quality has not improved in the last {self.patience} checks; "
                if self.stopped_
                else ""
            )
            last = f" (epoch {epoch}: {self.scores_[-1][1]:.4f})" if best_epoch != epoch else ""
            print(
                f"Early stopping: {why}kept the weights of epoch {best_epoch} "
                f"(valid_quality {best_score:.4f}) of the {epoch} epochs run{last}."
            )

    def _check(self, net, epoch: int) -> None:
        """Score the current weights at ``epoch``; keep them if they are the best yet."""
        synthetic = self.draw(len(self.validation))
        score = quality_score(self.validation, synthetic, discrete_columns=self.discrete_columns)
        net.history.record("valid_quality", score)
        self.scores_.append((epoch, score))
        if self.best_ is None or score > self.best_[1]:
            self.best_, self.stale_ = (epoch, score), 0
            self.best_state_ = {
                name: copy.deepcopy(getattr(net, name + "_").state_dict()) for name in net._modules
            }
        else:
            self.stale_ += 1
