"""Flushing subnormal floats to zero on every CPU thread torch computes on.

``torch.set_flush_denormal`` sets the flush-to-zero and denormals-are-zero
modes of the calling thread only. Kernels split over torch's OpenMP pool run
on its other threads as well, with whatever modes those threads were started
with. Where torch runs its kernels on OpenMP, a parallel region entered
through the ``GOMP_parallel`` entry point that torch's own library is linked
to sets (and later restores) the modes on each thread of the calling thread's
team, the team torch's kernels use.
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache

import torch

# torch's CPU library; a symbol looked up through it is found in the libraries
# it is linked to (GNU libgomp, or LLVM's or Intel's runtime, which export the
# same GOMP entry points)
_TORCH_LIBRARIES = ("libtorch_cpu.so", "libtorch_cpu.dylib")
# ATen splits elementwise work into chunks of at least this many elements
_GRAIN = 32768
_PARALLEL_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


def _flushing_denormals() -> bool:
    """Whether the calling thread flushes subnormal float32 numbers to zero right now."""
    return (torch.tensor([1e-39], dtype=torch.float32, device="cpu") * 1.0).item() == 0.0


def _cpu_can_flush() -> bool:
    """Whether this CPU has the flush-to-zero modes (the calling thread's state kept)."""
    return torch.set_flush_denormal(_flushing_denormals())


@cache
def _openmp_runtime() -> Callable | None:
    """The ``GOMP_parallel`` entry point of the OpenMP runtime torch's CPU library
    is linked to, or None where torch's kernels do not run on OpenMP or the
    library cannot be reached.

    The library is opened with ``RTLD_NOLOAD`` (only if already loaded), and the
    symbol looked up through it, so that another OpenMP runtime in the process
    (scikit-learn bundles its own libgomp) is never the one found.
    """
    if "ATen parallel backend: OpenMP" not in torch.__config__.parallel_info():
        return None
    mode = getattr(os, "RTLD_NOLOAD", None)
    if mode is None:
        return None
    for name in _TORCH_LIBRARIES:
        try:
            entry = ctypes.CDLL(name, mode=mode | ctypes.RTLD_LOCAL).GOMP_parallel
        except (OSError, AttributeError):
            continue
        entry.argtypes = [_PARALLEL_FN, ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint]
        entry.restype = None
        return entry
    return None


def _on_each_thread(function: Callable[[int], None]) -> bool:
    """Call ``function(thread id)`` on each thread of the calling thread's OpenMP
    team (the caller included, ``torch.get_num_threads()`` threads unless the
    runtime's limits give fewer); False where torch's runtime is not reachable.
    An exception raised on any thread is raised here once all have run."""
    entry = _openmp_runtime()
    if entry is None:
        return False
    errors: list[BaseException] = []

    def run(_) -> None:
        try:
            function(threading.get_native_id())
        except BaseException as error:  # ctypes would print and drop it
            errors.append(error)

    entry(_PARALLEL_FN(run), None, torch.get_num_threads(), 0)
    if errors:
        raise errors[0]
    return True


def _pool_flushes() -> bool:
    """Whether a multiply that torch splits over all its threads flushes subnormals."""
    n = 2 * _GRAIN * torch.get_num_threads()
    x = torch.full((n,), 1e-22, dtype=torch.float32, device="cpu")
    return int(torch.count_nonzero(x * x)) == 0


def pool_flush_supported() -> bool:
    """Whether ``flush_denormals`` reaches every thread torch computes on.

    Checked once per process and thread count: the modes are set on the pool,
    a parallel multiply of tiny numbers must then flush, and the modes are
    restored. With one thread, whether the CPU has a flush-to-zero mode; with
    more, False as well where torch's OpenMP runtime is not reachable.
    """
    return _pool_flush_supported(torch.get_num_threads())


@cache
def _pool_flush_supported(threads: int) -> bool:
    if threads == 1:
        return _cpu_can_flush()
    with flush_denormals():
        return _pool_flushes()


def _set_modes(*, pool: bool) -> dict[int, bool]:
    """Turn the modes on for the calling thread and, with ``pool``, for its pool;
    each thread's previous state."""
    previous: dict[int, bool] = {}

    def set_here(thread: int) -> None:
        previous[thread] = _flushing_denormals()
        torch.set_flush_denormal(True)

    if not (pool and _on_each_thread(set_here)):
        set_here(threading.get_native_id())
    return previous


def _restore_modes(previous: dict[int, bool]) -> None:
    """Put back the states ``_set_modes`` recorded; a pool thread started in
    between gets the calling thread's previous state."""
    own = previous.get(threading.get_native_id(), False)

    def restore_here(thread: int) -> None:
        torch.set_flush_denormal(previous.get(thread, own))

    if not (len(previous) > 1 and _on_each_thread(restore_here)):
        restore_here(threading.get_native_id())


@contextmanager
def flush_denormals(*, pool: bool = True) -> Iterator[None]:
    """Flush subnormal floats to zero on the CPU inside the block, as before after it.

    Training drives some weights and Adam moments into the subnormal range
    (below 1.2e-38), where CPU arithmetic is many times slower: without this,
    a VAE's epochs on Adult slow from 0.37 s to 0.79 s over 150 epochs; with
    it they stay flat. Values that small change no result that matters. The
    modes are set on the calling thread and, with ``pool`` and where torch's
    OpenMP runtime is reachable, on every thread of its pool (about 0.15 ms
    both ways on 2 idle cores, so sampling, which enters this for every block,
    sets the calling thread only), and restored thread by thread on the way
    out. Nothing happens on CPUs without these modes.
    """
    if not _cpu_can_flush():
        yield  # no flush-to-zero mode on this CPU
        return
    previous = _set_modes(pool=pool)
    try:
        yield
    finally:
        _restore_modes(previous)
