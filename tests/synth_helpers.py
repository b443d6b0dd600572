"""Helpers shared by the synthesizer tests."""

import numpy as np
import torch


def global_states():
    return np.random.get_state()[1].copy(), torch.random.get_rng_state().clone()  # noqa: NPY002


def assert_global_states_untouched(before):
    after = global_states()
    assert np.array_equal(before[0], after[0]), "numpy's global random state changed"
    assert torch.equal(before[1], after[1]), "torch's global random state changed"
