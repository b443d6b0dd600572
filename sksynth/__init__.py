"""sksynth: synthetic tabular data with GANs and VAEs, the scikit-learn way."""

from .preprocessing import TableTransformer
from .synthesizers import VAESynthesizer

__version__ = "0.1.0"

__all__ = ["TableTransformer", "VAESynthesizer", "__version__"]
