"""
Quick start
===========

Fit both synthesizers on UCI Adult, sample, score, save and load.

Run with ``python examples/quickstart.py``; ``SKSYNTH_EXAMPLE_EPOCHS`` sets the
VAE's epochs, the GAN gets half as many (the test suite runs it with 1).
"""

import os
import tempfile
from pathlib import Path

from sklearn.model_selection import train_test_split

from sksynth import GANSynthesizer, VAESynthesizer, load, save
from sksynth.datasets import load_adult
from sksynth.metrics import column_pair_trends, column_shapes, quality_score

EPOCHS = int(os.environ.get("SKSYNTH_EXAMPLE_EPOCHS", "20"))

adult = load_adult().frame
train, test = train_test_split(adult, test_size=0.2, stratify=adult["income"], random_state=0)

for model in [
    VAESynthesizer(epochs=EPOCHS, random_state=0),
    GANSynthesizer(epochs=EPOCHS // 2 or 1, random_state=0),
]:
    model.fit(train)
    synthetic = model.sample(len(test), random_state=0)
    shapes, pairs = column_shapes(test, synthetic), column_pair_trends(test, synthetic)
    print(
        f"{type(model).__name__}: quality {quality_score(test, synthetic):.3f} "
        f"(shapes {shapes:.3f}, pairs {pairs:.3f}); "
        f"share of >50K {(synthetic['income'] == '>50K').mean():.3f} vs real "
        f"{(test['income'] == '>50K').mean():.3f}"
    )
    path = Path(tempfile.mkdtemp()) / "model.sksynth"
    save(model, path)
    assert load(path).sample(5, random_state=1).equals(model.sample(5, random_state=1))
