"""
An evaluation report
====================

Fit a synthesizer on Adult's training split and ask the one question that
matters: is the synthetic table good, useful and safe to share? The report
shows fidelity, detection, the target's balance, train-on-synthetic against
train-on-real, and privacy against a real holdout, and writes one HTML page.
``SKSYNTH_EXAMPLE_EPOCHS`` sets the epochs (default 50).
"""

import os
import tempfile
from pathlib import Path

from sklearn.model_selection import train_test_split

from sksynth import VAESynthesizer
from sksynth.datasets import load_adult
from sksynth.metrics import evaluate

EPOCHS = int(os.environ.get("SKSYNTH_EXAMPLE_EPOCHS", "50"))

adult = load_adult().frame
train, test = train_test_split(adult, test_size=0.2, stratify=adult["income"], random_state=0)
vae = VAESynthesizer(epochs=EPOCHS, random_state=0).fit(train)
synthetic = vae.sample(len(train), random_state=0)

report = evaluate(train, synthetic, target="income", real_test=test)
print(report.summary[["synthetic", "reference"]].round(3).to_string(na_rep=""))
print("\nweakest columns:")
print(report.column_shapes.sort_values().head(3).round(3).to_string())
page = report.to_html(Path(tempfile.mkdtemp()) / "adult_report.html")
print(f"\nopen {page} in a browser")
