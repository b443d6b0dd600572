"""Resolving the ``device`` parameter."""

from __future__ import annotations

import torch

_ALLOWED = "'cpu', 'cuda', 'cuda:N', 'mps', 'auto' or a torch.device"


def resolve_device(device) -> str:
    """The torch device string for ``device``; a clear error when it cannot be used."""
    if isinstance(device, torch.device):
        device = str(device)
    if device == "auto":
        if torch.cuda.is_available():
            return "cuda"
        mps = getattr(torch.backends, "mps", None)
        return "mps" if mps is not None and mps.is_available() else "cpu"
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device must be {_ALLOWED}; got {device!r}.") from exc
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} was requested, but CUDA is not available on this "
                "machine; use device='cpu' or device='auto'."
            )
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r} was requested, but only {torch.cuda.device_count()} "
                "CUDA device(s) are available."
            )
    elif resolved.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ValueError(f"device={device!r} was requested, but MPS is not available.")
    elif resolved.type != "cpu":
        raise ValueError(f"device must be {_ALLOWED}; got {device!r}.")
    else:  # "cpu:0" is the CPU; torch cannot restore tensors saved with that location
        return "cpu"
    return str(resolved)
