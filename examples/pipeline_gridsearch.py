"""
Tuning with GridSearchCV
========================

A synthesizer is a scikit-learn estimator: tune its network with
``GridSearchCV``, ranked by its ``score`` (the quality of a fixed-seed sample
against the held-out fold) and by the detection scorer.
``SKSYNTH_EXAMPLE_EPOCHS`` sets the epochs (default 20).
"""

import os

import pandas as pd
from sklearn.model_selection import GridSearchCV

from sksynth import VAESynthesizer
from sksynth.datasets import load_adult
from sksynth.metrics import detection_scorer, quality_scorer

EPOCHS = int(os.environ.get("SKSYNTH_EXAMPLE_EPOCHS", "20"))

adult = load_adult().frame.sample(6000, random_state=0)

search = GridSearchCV(
    VAESynthesizer(epochs=EPOCHS, random_state=0),
    {"latent_dim": [8, 64], "decoder_sizes": [(64,), (128, 128)]},
    scoring={"quality": quality_scorer, "detection": detection_scorer},
    refit="quality",
    cv=2,
)
search.fit(adult)

results = pd.DataFrame(search.cv_results_)
columns = ["param_latent_dim", "param_decoder_sizes", "mean_test_quality", "mean_test_detection"]
print(results[columns].round(3).to_string(index=False))
print("best:", search.best_params_)
synthetic = search.best_estimator_.sample(5, random_state=0)
print(synthetic)
