"""sksynth's Adam: torch's updates, without loading torch.compile's machinery."""

import inspect
import subprocess
import sys

import pytest
import torch
from torch import nn

from sksynth.nn import _net
from sksynth.nn._adam import Adam

needs_fused = pytest.mark.skipif(
    not _net._fused_adam_on_cpu(), reason="this torch has no fused CPU Adam"
)


def _model(seed=0):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3))
    model.frozen = nn.Parameter(torch.ones(2))  # no gradient: skipped by both
    return model


def _train(optimizer_cls, steps=25, **options):
    """Parameters, optimizer state and losses after ``steps`` steps from the same start."""
    model = _model()
    optimizer = optimizer_cls(model.parameters(), **options)
    g = torch.Generator().manual_seed(1)
    losses = []
    for _ in range(steps):
        x, y = torch.randn(32, 6, generator=g), torch.randn(32, 3, generator=g)

        def closure(x=x, y=y):
            optimizer.zero_grad()
            loss = ((model[:3](x) - y) ** 2).mean()
            loss.backward()
            return loss

        losses.append(optimizer.step(closure).item())
    return model, optimizer, losses


def _assert_same(a, b):
    (model_a, opt_a, losses_a), (model_b, opt_b, losses_b) = a, b
    assert losses_a == losses_b
    for p, q in zip(model_a.parameters(), model_b.parameters(), strict=True):
        assert torch.equal(p, q)
    state_a, state_b = opt_a.state_dict(), opt_b.state_dict()
    assert state_a["param_groups"] == state_b["param_groups"]
    assert state_a["state"].keys() == state_b["state"].keys() and state_a["state"]
    for key, state in state_a["state"].items():
        for name, value in state.items():
            assert torch.equal(value, state_b["state"][key][name]), name


OPTIONS = [
    {"lr": 1e-2, "betas": (0.5, 0.9), "weight_decay": 1e-3},
    {"lr": 3e-3, "eps": 1e-6, "maximize": True},
]
if "decoupled_weight_decay" in inspect.signature(torch.optim.Adam).parameters:
    OPTIONS.append({"lr": 1e-2, "weight_decay": 0.1, "decoupled_weight_decay": True})


@needs_fused
@pytest.mark.parametrize("options", OPTIONS)
def test_fused_step_is_torchs(options):
    mine = _train(Adam, fused=True, **options)
    _assert_same(mine, _train(torch.optim.Adam, fused=True, **options))
    # the state moves between the two: a later step from it is torch's too
    model, optimizer, _ = mine
    theirs = torch.optim.Adam(model.parameters(), fused=True, **options)
    theirs.load_state_dict(optimizer.state_dict())
    assert theirs.state_dict()["state"].keys() == optimizer.state_dict()["state"].keys()


@pytest.mark.parametrize("options", [{"amsgrad": True, "fused": True}, {}, {"foreach": True}])
def test_other_steps_are_torchs(options):
    if options.get("fused") and not _net._fused_adam_on_cpu():
        pytest.skip("this torch has no fused CPU Adam")
    _assert_same(_train(Adam, lr=1e-2, **options), _train(torch.optim.Adam, lr=1e-2, **options))


@needs_fused
def test_fit_loads_no_compiler():
    """Fitting and sampling both models imports neither torch._dynamo nor sympy
    (torch's optimizers and skip_init load them: a second and 65 MB)."""
    code = """
import sys
import numpy as np, pandas as pd
from sksynth import GANSynthesizer, VAESynthesizer
rng = np.random.default_rng(0)
X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.choice(["x", "y"], 300)})
for model in (VAESynthesizer(epochs=2), GANSynthesizer(epochs=1, batch_size=100)):
    model.set_params(random_state=0).fit(X).sample(50)
loaded = [name for name in ("torch._dynamo", "sympy") if name in sys.modules]
assert not loaded, loaded
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
