"""Exceptions and warnings raised by sksynth."""

from sklearn.exceptions import NotFittedError

__all__ = ["NotFittedError", "TrainingDivergedError", "PersistenceError"]


class TrainingDivergedError(FloatingPointError):
    """Raised when a training loss becomes NaN or infinite.

    Training stops at the first non-finite loss instead of producing garbage
    samples. Lowering the learning rate or the batch size usually helps.
    """


class PersistenceError(ValueError):
    """Raised by :func:`sksynth.load` for a corrupt, foreign or newer file."""
