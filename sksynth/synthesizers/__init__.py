"""The scikit-learn estimators that generate synthetic tables."""

from ._gan import GANSynthesizer
from ._vae import VAESynthesizer

__all__ = ["GANSynthesizer", "VAESynthesizer"]
