"""
VAE latents as features
=======================

``VAESynthesizer`` is also a transformer: its latent means are features for a
classifier, inside an ordinary ``Pipeline``. Fitted with the labels, its
encoder still never sees them (``transform`` needs none), but its latents are
pushed to carry what predicts them. Compared here with a VAE fitted without
labels and with the raw features one-hot encoded.
``SKSYNTH_EXAMPLE_EPOCHS`` sets the epochs (default 30).
"""

import os

from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sksynth import VAESynthesizer
from sksynth.datasets import load_adult

EPOCHS = int(os.environ.get("SKSYNTH_EXAMPLE_EPOCHS", "30"))

X, y = load_adult(return_X_y=True)
X, y = X.iloc[:5000].copy(), y.iloc[:5000]
# categories too rare to appear in every training fold join the most frequent
# one: like OneHotEncoder's default, the VAE refuses categories unseen in fit
for column in X.select_dtypes("category"):
    counts = X[column].value_counts()
    rare = X[column].isin(counts[counts < 30].index)
    X[column] = X[column].astype(object).where(~rare, counts.index[0]).astype("category")


class UnsupervisedVAE(VAESynthesizer):
    """The same VAE, fitted without the labels (the pipeline passes them)."""

    def fit(self, X, y=None):
        return super().fit(X)


settings = {"epochs": EPOCHS, "latent_dim": 16, "random_state": 0}
candidates = {
    "VAE fitted with y -> logistic regression": Pipeline(
        [
            ("vae", VAESynthesizer(**settings)),
            ("scale", StandardScaler()),
            ("clf", LogisticRegression(max_iter=1000)),
        ]
    ),  # fmt: skip
    "VAE fitted without y -> logistic regression": Pipeline(
        [
            ("vae", UnsupervisedVAE(**settings)),
            ("scale", StandardScaler()),
            ("clf", LogisticRegression(max_iter=1000)),
        ]
    ),  # fmt: skip
    "one-hot + scaled raw features -> logistic regression": make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), X.select_dtypes("category").columns),
            remainder=StandardScaler(),
        ),
        LogisticRegression(max_iter=1000),
    ),
}
for name, pipe in candidates.items():
    auc = cross_val_score(pipe, X, y, cv=3, scoring="roc_auc")
    print(f"{name}: ROC AUC {auc.mean():.3f} ± {auc.std():.3f}")
