"""sksynth: synthetic tabular data with GANs and VAEs, the scikit-learn way."""

from ._persistence import load, save
from .augmentation import SyntheticOverSampler
from .preprocessing import TableTransformer
from .synthesizers import GANSynthesizer, VAESynthesizer

__version__ = "0.1.0"

__all__ = [
    "GANSynthesizer",
    "SyntheticOverSampler",
    "TableTransformer",
    "VAESynthesizer",
    "__version__",
    "load",
    "save",
]
