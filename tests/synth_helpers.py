"""Helpers shared by the synthesizer tests."""

import numpy as np
import torch

from sksynth import GANSynthesizer, VAESynthesizer

#: Tiny, fast settings of each synthesizer for behaviour tests.
_VAE = dict(epochs=3, batch_size=64, latent_dim=8, encoder_sizes=(32,), decoder_sizes=(32,))
_GAN = dict(
    epochs=3, batch_size=60, noise_dim=16, generator_sizes=(32,), discriminator_sizes=(32,), pac=4
)
FAST = {
    "vae": lambda **kw: VAESynthesizer(**{**_VAE, **kw}),
    "vae-ar": lambda **kw: VAESynthesizer(**{**_VAE, "autoregressive": True, **kw}),
    "gan": lambda **kw: GANSynthesizer(**{**_GAN, **kw}),
}


def global_states():
    return np.random.get_state()[1].copy(), torch.random.get_rng_state().clone()  # noqa: NPY002


def assert_global_states_untouched(before):
    after = global_states()
    assert np.array_equal(before[0], after[0]), "numpy's global random state changed"
    assert torch.equal(before[1], after[1]), "torch's global random state changed"
