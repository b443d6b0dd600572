"""Data augmentation: grow classes with rows drawn from a label-conditional synthesizer."""

from ._oversampler import SyntheticOverSampler

__all__ = ["SyntheticOverSampler"]
