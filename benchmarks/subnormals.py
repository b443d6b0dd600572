"""Counting subnormal floats in a model's weights and its optimizer's state."""

from __future__ import annotations

import torch


def count_subnormals(tensors) -> int:
    """Entries below float32's smallest normal number (and not zero)."""
    tiny = torch.finfo(torch.float32).tiny
    return sum(int(((t != 0) & (t.abs() < tiny)).sum()) for t in tensors)


def optimizer_state(optimizer) -> list:
    """The floating-point tensors of an optimizer's state (Adam's moments)."""
    return [
        v
        for state in optimizer.state.values()
        for v in state.values()
        if torch.is_tensor(v) and v.is_floating_point()
    ]
