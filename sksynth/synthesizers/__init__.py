"""The scikit-learn estimators that generate synthetic tables."""

from ._vae import VAESynthesizer

__all__ = ["VAESynthesizer"]
