"""PyTorch modules, span-wise losses and the internal skorch nets (private)."""
