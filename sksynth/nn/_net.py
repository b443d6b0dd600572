"""What sksynth's skorch nets share: seeded batches, a NaN guard, picklable state."""

from __future__ import annotations

import math
from functools import cache

import torch
from skorch import NeuralNet

from ..exceptions import TrainingDivergedError
from ._adam import Adam
from ._data import TensorBatches
from ._denormals import flush_denormals, pool_flush_supported
from ._layers import expand_compact


def make_generator(seed: int, device) -> torch.Generator:
    """A ``torch.Generator`` on ``device`` seeded with ``seed``."""
    device = torch.device(device)
    return torch.Generator(device=device).manual_seed(int(seed))


@cache
def _fused_adam_on_cpu() -> bool:
    """Whether this torch has Adam's fused CPU kernel (torch 2.4 and later)."""
    try:
        Adam([torch.zeros(1, dtype=torch.float32, requires_grad=True)], fused=True)
    except (RuntimeError, TypeError, ValueError):
        return False
    return True


def adam_options(device) -> dict[str, bool]:
    """Keyword arguments for the nets' :class:`~sksynth.nn._adam.Adam` on ``device``.

    On the CPU, Adam's fused kernel (one call per step instead of a loop of
    small operations in Python) where torch has it and subnormals are flushed
    on every thread of torch's pool: the kernel runs on all of them, and an
    unflushed thread leaves subnormal weights and moments behind, which slow
    every later step (a VAE on Adult went from 0.22 to 0.66 s per epoch over
    300 epochs). Elsewhere torch's default. Decided for the thread count set
    when the optimizer is built.
    """
    on_cpu = torch.device(device or "cpu").type == "cpu"
    fused = on_cpu and _fused_adam_on_cpu() and pool_flush_supported()
    return {"fused": True} if fused else {}


class SeededNet(NeuralNet):
    """A skorch ``NeuralNet`` that draws all its randomness from its own generator.

    ``seed`` seeds the module's weights (passed as ``module__seed``) and
    ``rng_``, the generator used for shuffling and noise during ``fit``.
    Training data is one tensor in the compact layout (one column per span, see
    :func:`~sksynth.nn._layers.expand_compact`), iterated in whole-batch slices,
    each spread out to the module's ``layout``.
    """

    batch_multiple = 1
    batch_min_rows = 1

    def __init__(self, *args, seed=0, **kwargs):
        super().__init__(*args, **kwargs)
        self.seed = seed

    def initialize(self):
        super().initialize()
        self.rng_ = make_generator(self.seed, self.device)
        return self

    def fit_loop(self, X, y=None, **fit_params):
        with flush_denormals():
            return super().fit_loop(X, y, **fit_params)

    def get_params_for_optimizer(self, prefix, named_parameters):
        args, kwargs = super().get_params_for_optimizer(prefix, named_parameters)
        if issubclass(getattr(self, prefix), torch.optim.Adam):
            kwargs = {**adam_options(self.device), **kwargs}
        return args, kwargs

    def get_iterator(self, dataset, training=False):
        X = dataset.X.to(self.device)
        return TensorBatches(
            X,
            self.batch_size,
            shuffle=training,
            generator=self.rng_,
            multiple_of=self.batch_multiple,
            min_rows=self.batch_min_rows,
            expand=self.batch_expand(),
        )

    def batch_expand(self):
        """What spreads out the training batches (``None``: they stay compact)."""
        return self.expand_rows

    def expand_rows(self, compact: torch.Tensor) -> torch.Tensor:
        """Training rows of the compact layout in the module's full ``layout``."""
        return expand_compact(compact, self.module_.layout)

    def check_finite(self, loss: torch.Tensor, name: str = "loss") -> float:
        value = float(loss.item())
        if not math.isfinite(value):
            raise TrainingDivergedError(
                f"The {name} became {value} in epoch {len(self.history)}; training stopped. "
                "Try a lower learning rate (lr) or a larger batch_size."
            )
        return value

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("rng_", None)  # torch generators do not pickle; only used in fit
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        self.rng_ = make_generator(self.seed, self.device)
