"""
Custom network sizes and losses
===============================

Network sizes, learning rates and losses are constructor parameters. Here the
GAN's original cross-entropy loss (``loss="bce"``, the default) is compared
with the Wasserstein loss with gradient penalty, and a wider VAE with a
smaller one, on the bundled Adult data. ``SKSYNTH_EXAMPLE_EPOCHS`` sets the epochs (default 20).
"""

import os
import time

from sklearn.model_selection import train_test_split

from sksynth import GANSynthesizer, VAESynthesizer
from sksynth.datasets import load_adult

EPOCHS = int(os.environ.get("SKSYNTH_EXAMPLE_EPOCHS", "20"))

adult = load_adult().frame
train, test = train_test_split(adult, test_size=0.2, stratify=adult["income"], random_state=0)

models = {
    "GAN, loss='bce'": GANSynthesizer(epochs=EPOCHS, loss="bce", random_state=0),
    "GAN, loss='wgan-gp'": GANSynthesizer(epochs=EPOCHS, loss="wgan-gp", random_state=0),
    "VAE, (64,) layers, 16 latents": VAESynthesizer(
        epochs=EPOCHS, encoder_sizes=(64,), decoder_sizes=(64,), latent_dim=16, random_state=0
    ),
    "VAE, (256, 256) layers, 64 latents": VAESynthesizer(
        epochs=EPOCHS,
        encoder_sizes=(256, 256),
        decoder_sizes=(256, 256),
        latent_dim=64,
        random_state=0,
    ),
}
for name, model in models.items():
    start = time.perf_counter()
    model.fit(train)
    print(f"{name}: quality {model.score(test):.3f} in {time.perf_counter() - start:.0f} s")
