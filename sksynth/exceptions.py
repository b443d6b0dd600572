"""Exceptions and warnings raised by sksynth."""

from sklearn.exceptions import NotFittedError

__all__ = ["NotFittedError", "TrainingDivergedError", "PersistenceError"]


class TrainingDivergedError(FloatingPointError):
    """Raised when a training loss becomes NaN or infinite.

    Training stops at the first non-finite loss instead of producing garbage
    samples. Lowering the learning rate or the batch size usually helps.

    Examples
    --------
    >>> from sksynth import VAESynthesizer
    >>> from sksynth.datasets import load_adult
    >>> from sksynth.exceptions import TrainingDivergedError
    >>> X = load_adult().frame.iloc[:200]
    >>> try:
    ...     VAESynthesizer(epochs=2, lr=1e30, random_state=0).fit(X)
    ... except TrainingDivergedError as exc:
    ...     print("diverged:", "nan" in str(exc))
    diverged: True
    """


class PersistenceError(ValueError):
    """Raised by :func:`sksynth.load` for a corrupt, foreign or newer file.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import sksynth
    >>> from sksynth.exceptions import PersistenceError
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "not_a_model.sksynth"
    >>> _ = path.write_text("hello")
    >>> try:
    ...     sksynth.load(path)
    ... except PersistenceError as exc:
    ...     print("refused")
    refused
    """
