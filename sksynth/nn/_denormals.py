"""Flushing subnormal floats to zero on every CPU thread torch computes on.

``torch.set_flush_denormal`` sets the flush-to-zero and denormals-are-zero
modes of the calling thread only. Kernels split over torch's OpenMP pool run
on its other threads as well, with whatever modes those threads were started
with. Where torch's OpenMP runtime is loaded under its usual name, a parallel
region entered through that runtime's ``GOMP_parallel`` sets (and later
restores) the modes on each thread of the calling thread's team, the team
torch's own kernels use.
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache

import torch

# Names under which an OpenMP runtime with a GOMP entry point is loaded
# (GNU libgomp; LLVM's and Intel's runtimes export the same entry points).
_RUNTIMES = ("libgomp.so.1", "libomp.so", "libiomp5.so", "libomp.dylib", "libiomp5.dylib")
# ATen splits elementwise work into chunks of at least this many elements
_GRAIN = 32768
_PARALLEL_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


def _flushing_denormals() -> bool:
    """Whether the calling thread flushes subnormal float32 numbers to zero right now."""
    return (torch.tensor([1e-39], dtype=torch.float32) * 1.0).item() == 0.0


@cache
def _openmp_runtime() -> ctypes.CDLL | None:
    """torch's OpenMP runtime if it is already loaded under a known name, else None.

    Opened with ``RTLD_NOLOAD``: a runtime that is not loaded yet (one that torch
    does not use) is never loaded. Copies renamed by wheel bundlers (such as
    scikit-learn's ``libgomp-<hash>.so``) do not match these names.
    """
    if "OpenMP" not in torch.__config__.parallel_info():
        return None
    mode = getattr(os, "RTLD_NOLOAD", None)
    if mode is None:
        return None
    for name in _RUNTIMES:
        try:
            runtime = ctypes.CDLL(name, mode=mode | ctypes.RTLD_LOCAL)
            entry = runtime.GOMP_parallel
        except (OSError, AttributeError):
            continue
        entry.argtypes = [_PARALLEL_FN, ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint]
        entry.restype = None
        return runtime
    return None


def _on_each_thread(function: Callable[[int], None]) -> bool:
    """Call ``function(thread id)`` once on each thread of the calling thread's
    OpenMP team (the caller included); False where torch's runtime is not reachable."""
    runtime = _openmp_runtime()
    if runtime is None:
        return False
    callback = _PARALLEL_FN(lambda _: function(threading.get_native_id()))
    runtime.GOMP_parallel(callback, None, torch.get_num_threads(), 0)
    return True


def _pool_flushes() -> bool:
    """Whether a multiply that torch splits over all its threads flushes subnormals."""
    x = torch.full((2 * _GRAIN * torch.get_num_threads(),), 1e-22, dtype=torch.float32)
    return int(torch.count_nonzero(x * x)) == 0


def pool_flush_supported() -> bool:
    """Whether ``flush_denormals`` reaches every thread torch computes on.

    Checked once per process and thread count: the modes are set on the pool,
    a parallel multiply of tiny numbers must then flush, and the modes are
    restored. False where the CPU has no flush-to-zero mode or torch's OpenMP
    runtime is not reachable.
    """
    return _pool_flush_supported(torch.get_num_threads())


@cache
def _pool_flush_supported(threads: int) -> bool:
    if threads == 1:
        return torch.set_flush_denormal(_flushing_denormals())
    with flush_denormals():
        return _pool_flushes()


def _set_modes(flush: bool) -> dict[int, bool]:
    """Set the modes on the calling thread and its pool; each thread's previous state."""
    previous: dict[int, bool] = {}

    def set_here(thread: int) -> None:
        previous[thread] = _flushing_denormals()
        torch.set_flush_denormal(flush)

    if not _on_each_thread(set_here):
        set_here(threading.get_native_id())
    return previous


def _restore_modes(previous: dict[int, bool]) -> None:
    """Put back the states ``_set_modes`` recorded; a thread started in between
    gets the calling thread's previous state."""
    own = previous[threading.get_native_id()]

    def restore_here(thread: int) -> None:
        torch.set_flush_denormal(previous.get(thread, own))

    if not _on_each_thread(restore_here):
        restore_here(threading.get_native_id())


@contextmanager
def flush_denormals() -> Iterator[None]:
    """Flush subnormal floats to zero on the CPU inside the block, as before after it.

    Training drives some weights and Adam moments into the subnormal range
    (below 1.2e-38), where CPU arithmetic is many times slower: without this,
    a VAE's epochs on Adult slow from 0.37 s to 0.79 s over 150 epochs; with
    it they stay flat. Values that small change no result that matters. The
    modes are set on the calling thread and, where torch's OpenMP runtime is
    reachable, on every thread of its pool, and restored thread by thread on
    the way out. Nothing happens on CPUs without these modes.
    """
    if not torch.set_flush_denormal(_flushing_denormals()):
        yield  # no flush-to-zero mode on this CPU
        return
    previous = _set_modes(True)
    try:
        yield
    finally:
        _restore_modes(previous)
