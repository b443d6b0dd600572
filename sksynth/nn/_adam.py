"""torch's Adam, stepped on the CPU without loading torch.compile's machinery.

torch's optimizers import ``torch._dynamo`` (and with it sympy) the first time
one is built, stepped or has its gradients zeroed, so that ``torch.compile``
leaves their code alone: about a second and 65 MB of resident memory in a
process that never compiles. :class:`Adam` is ``torch.optim.Adam`` whose fused
CPU step calls torch's fused kernel itself and whose other methods are torch's
own without that wrapper; its updates, state and ``state_dict`` are torch's.
"""

from __future__ import annotations

from collections.abc import Callable

import torch


def _undecorated(method: Callable) -> Callable:
    """``method`` without torch's lazily importing ``_disable_dynamo`` wrapper;
    ``method`` itself where it has none (another torch version)."""
    disable = getattr(torch, "_disable_dynamo", None)
    wrapped = getattr(method, "__wrapped__", None)
    if disable is None or wrapped is None:
        return method
    wrapper_code = disable(lambda: None).__code__  # builds a wrapper, imports nothing
    return wrapped if method.__code__ is wrapper_code else method


class Adam(torch.optim.Adam):
    """``torch.optim.Adam``; with ``fused=True`` on the CPU, stepped directly.

    The fused step of groups of CPU tensors (real, of one dtype a group; no
    AMSGrad, gradient scaler or tensor hyperparameters, not capturable or
    differentiable) counts the step and calls torch's fused kernel as
    ``torch.optim.Adam`` does, without its ``torch._dynamo`` wrappers; any
    other step is torch's own.
    """

    add_param_group = _undecorated(torch.optim.Optimizer.add_param_group)
    zero_grad = _undecorated(torch.optim.Optimizer.zero_grad)
    state_dict = _undecorated(torch.optim.Optimizer.state_dict)
    load_state_dict = _undecorated(torch.optim.Optimizer.load_state_dict)

    def _direct(self, group: dict) -> bool:
        """Whether ``group``'s step is the fused CPU one taken here."""
        params = group["params"]
        return (
            group.get("fused") is True
            and not (group["amsgrad"] or group["capturable"] or group["differentiable"])
            and not any(torch.is_tensor(v) for v in (group["lr"], *group["betas"]))
            and getattr(self, "grad_scale", None) is None
            and getattr(self, "found_inf", None) is None
            and all(p.device.type == "cpu" and not p.is_complex() for p in params)
            and len({p.dtype for p in params}) <= 1
        )

    def step(self, closure=None):
        if not all(self._direct(group) for group in self.param_groups):
            return super().step(closure)
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        with torch.no_grad():
            for group in self.param_groups:
                params, grads, avgs, squares, maxima, steps = [], [], [], [], [], []
                self._init_group(group, params, grads, avgs, squares, maxima, steps)
                if not params:
                    continue
                beta1, beta2 = group["betas"]
                fused = (
                    torch._fused_adamw_
                    if group.get("decoupled_weight_decay", False)
                    else torch._fused_adam_
                )
                torch._foreach_add_(steps, 1)
                fused(
                    params,
                    grads,
                    avgs,
                    squares,
                    maxima,
                    steps,
                    amsgrad=False,
                    lr=group["lr"],
                    beta1=beta1,
                    beta2=beta2,
                    weight_decay=group["weight_decay"],
                    eps=group["eps"],
                    maximize=group["maximize"],
                    grad_scale=None,
                    found_inf=None,
                )
        return loss
