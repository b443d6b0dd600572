"""Timing and arithmetic measurements shared by the benchmark scripts."""

from __future__ import annotations

import time

import numpy as np

#: rows drawn when a script times sampling
SAMPLE_ROWS = 100_000


def alternating_medians(calls, repeats):
    """Median seconds of each ``calls[name](repeat)``, the calls taking turns ``repeats`` times."""
    seconds = {name: [] for name in calls}
    for repeat in range(repeats):
        for name, call in calls.items():
            start = time.perf_counter()
            call(repeat)
            seconds[name].append(time.perf_counter() - start)
    return {name: float(np.median(s)) for name, s in seconds.items()}


def matmul_peak_gflops(device="cpu", size=2048, repeats=10):
    """float32 large-matmul GFLOP/s on ``device`` (8192 squared on a GPU)."""
    import torch

    size = 8192 if device.startswith("cuda") else size
    a, b = torch.randn(size, size, device=device), torch.randn(size, size, device=device)
    a @ b
    _sync(device)
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    _sync(device)
    return 2 * size**3 * repeats / (time.perf_counter() - start) / 1e9


def _sync(device):
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def training_matrix(model, train):
    """``train`` encoded by a fitted sksynth model in the layout its net's training
    steps take (a tensor on the net's device). A GAN net also gets the rows it draws
    its real rows from: the compact layout it trains on, which ``fit`` lets go of."""
    import torch

    net = model.net_
    compact = model.transformer_._transform_compact(model._internal(train.copy()))
    compact = torch.from_numpy(compact).to(net.device)
    if hasattr(net, "attach_rows"):
        net.attach_rows(compact)
    return net.expand_rows(compact)


def step_flops(model, train):
    """FLOPs of one training step of a fitted sksynth model (one batch of real rows)."""
    from torch.utils.flop_counter import FlopCounterMode

    net = model.net_
    batch = training_matrix(model, train)[: model.batch_size]
    counter = FlopCounterMode(display=False)
    with counter:
        net.train_step((batch, None))
    return counter.get_total_flops()
