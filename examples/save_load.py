"""
Saving and loading
==================

``sksynth.save`` writes parameters and fitted state as JSON and the weights as
tensors in one zip file; ``sksynth.load`` reads it back without running any
code from the file. The loaded model samples exactly the same rows.
``SKSYNTH_EXAMPLE_EPOCHS`` sets the epochs (default 10).
"""

import os
import tempfile
from pathlib import Path

import sksynth
from sksynth import GANSynthesizer
from sksynth.datasets import load_adult

EPOCHS = int(os.environ.get("SKSYNTH_EXAMPLE_EPOCHS", "10"))

X, y = load_adult(return_X_y=True)
gan = GANSynthesizer(epochs=EPOCHS, random_state=0).fit(X, y)

path = Path(tempfile.mkdtemp()) / "adult_gan.sksynth"
sksynth.save(gan, path)
print(f"saved {path.stat().st_size / 1e6:.1f} MB to {path}")

loaded = sksynth.load(path)
X_before, y_before = gan.sample(1000, y=">50K", random_state=7)
X_after, y_after = loaded.sample(1000, y=">50K", random_state=7)
print("same rows after loading:", X_before.equals(X_after) and y_before.equals(y_after))
print(X_after.head())
