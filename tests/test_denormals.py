"""Subnormal flushing on every thread of torch's pool, and the fused Adam it allows."""

import platform
import sys

import numpy as np
import pandas as pd
import pytest
import torch

from sksynth import GANSynthesizer, VAESynthesizer
from sksynth.nn import _denormals, _net
from sksynth.nn._denormals import (
    _flushing_denormals,
    _on_each_thread,
    _pool_flushes,
    flush_denormals,
    pool_flush_supported,
)


def thread_states() -> dict[int, bool]:
    states: dict[int, bool] = {}
    assert _on_each_thread(lambda thread: states.__setitem__(thread, _flushing_denormals()))
    return states


@pytest.fixture
def warm_pool():
    """Two torch threads, the pool started unflushed; all put back after the test."""
    if not _denormals._cpu_can_flush():
        pytest.skip("this CPU has no flush-to-zero mode")
    if _denormals._openmp_runtime() is None:
        pytest.skip("torch's kernels do not run on a reachable OpenMP runtime here")
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    torch.set_flush_denormal(False)  # new pool threads copy the caller's modes
    torch.ones(4 * 32768).exp_()
    yield
    _on_each_thread(lambda _: torch.set_flush_denormal(False))
    torch.set_num_threads(threads)


def test_pool_flush_found_on_linux_x86_64():
    # else the nets would quietly fall back to the slower for-loop Adam
    parallel = torch.__config__.parallel_info()
    if not (
        sys.platform == "linux"
        and platform.machine() == "x86_64"
        and "ATen parallel backend: OpenMP" in parallel
    ):
        pytest.skip("checked where torch's wheels run on GNU OpenMP: Linux x86-64")
    assert _denormals._openmp_runtime() is not None
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        assert pool_flush_supported()
    finally:
        torch.set_num_threads(threads)


def test_flush_reaches_the_pool_and_is_undone(warm_pool):
    assert len(thread_states()) == torch.get_num_threads()
    # set on the calling thread only, torch's own call leaves the pool unflushed
    torch.set_flush_denormal(True)
    assert not _pool_flushes()
    torch.set_flush_denormal(False)
    with flush_denormals():
        assert _pool_flushes()
        assert all(thread_states().values())
    assert not any(thread_states().values())
    assert not _pool_flushes()


def test_each_thread_gets_its_own_state_back(warm_pool):
    # the workers flush, the caller does not: so it is after the block as well
    _on_each_thread(lambda _: torch.set_flush_denormal(True))
    torch.set_flush_denormal(False)
    before = thread_states()
    assert sum(before.values()) == len(before) - 1
    with flush_denormals():
        assert all(thread_states().values())
    assert thread_states() == before


def test_sampling_flushes_the_calling_thread_only(warm_pool):
    with flush_denormals(pool=False):
        assert _flushing_denormals()
        assert not _pool_flushes()
    assert not any(thread_states().values())


def test_adam_options(monkeypatch):
    assert _net.adam_options("meta") == {}
    assert _net.adam_options(None) == _net.adam_options("cpu")
    monkeypatch.setattr(_net, "pool_flush_supported", lambda: False)
    assert _net.adam_options("cpu") == {}  # unflushed pool threads: torch's default Adam
    monkeypatch.setattr(_net, "pool_flush_supported", lambda: True)
    expected = {"fused": True} if _net._fused_adam_on_cpu() else {}
    assert _net.adam_options("cpu") == expected


@pytest.mark.parametrize("make", [VAESynthesizer, GANSynthesizer])
def test_fit_uses_fused_adam_where_the_pool_flushes(make):
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.choice(list("xyz"), 200)})
    model = make(epochs=1, batch_size=100, random_state=0).fit(X)
    optimizers = [model.net_.optimizer_]
    if make is GANSynthesizer:
        optimizers.append(model.net_.optimizer_discriminator_)
    fused = _net._fused_adam_on_cpu() and pool_flush_supported()
    for optimizer in optimizers:
        assert bool(optimizer.defaults.get("fused")) == fused
