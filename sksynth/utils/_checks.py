"""Checks of plain parameters shared by the estimators and the metrics."""

from __future__ import annotations

import inspect
from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import Interval, InvalidParameterError


def check_count(value, name: str) -> int:
    """``value`` as an int of at least 1, or a ``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be an int >= 1; got {value!r}.")
    return int(value)


def check_seed(value, name: str) -> int | None:
    """A metric's ``random_state`` as an int seed (a RandomState draws one) or None,
    or a ``ValueError`` naming ``name`` (a Generator failed deep in scikit-learn)."""
    if value is None:
        return None
    if isinstance(value, np.random.RandomState):
        return int(value.randint(2**31 - 1))
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 0:
        raise ValueError(
            f"{name} must be an int >= 0, a RandomState instance or None; got {value!r}."
        )
    return int(value)


def refuse_bool_numbers(estimator) -> None:
    """Refuse a bool for a numeric parameter, naming it. scikit-learn's ``Interval``
    constraint takes one (``epochs=True`` trained one epoch); call after
    ``_validate_params``."""
    for key, constraints in estimator._parameter_constraints.items():
        value = getattr(estimator, key)
        if isinstance(value, bool) and any(isinstance(c, Interval) for c in constraints):
            raise InvalidParameterError(
                f"The {key!r} parameter of {type(estimator).__name__} must be a number, "
                f"not a bool; got {value!r}."
            )
        if isinstance(value, bool) and "random_state" in constraints:  # True seeded 1
            raise InvalidParameterError(
                f"The {key!r} parameter of {type(estimator).__name__} must be an int, a "
                f"RandomState instance or None, not a bool; got {value!r}."
            )


def _callback_of(entry):
    """The callback of a ``callbacks`` entry: a callback, its class, or the second of a
    ``(name, either)`` pair."""
    named = isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], str)
    return entry[1] if named else entry


def callback_class(entry) -> type:
    """The class of a ``callbacks`` entry: a callback, its class, or a ``(name, either)``
    pair."""
    callback = _callback_of(entry)
    return callback if isinstance(callback, type) else type(callback)


def check_callbacks(estimator) -> None:
    """Refuse a ``callbacks`` entry skorch cannot use, naming the parameter: skorch's
    own errors came after the table was encoded (``AttributeError: 'str' object has no
    attribute 'set_params'``), and a ``None`` was dropped without a word."""
    from skorch.callbacks import Callback

    for entry in estimator.callbacks or []:
        cls = callback_class(entry)
        if not issubclass(cls, Callback):
            raise InvalidParameterError(
                f"The 'callbacks' parameter of {type(estimator).__name__} must be a list of "
                "skorch callbacks (Callback instances or classes, or (name, callback) "
                f"pairs); got {entry!r} in it."
            )
        monitor = _monitor(entry, cls)
        if isinstance(monitor, str) and monitor.startswith("valid_loss"):
            raise InvalidParameterError(
                f"The 'callbacks' parameter of {type(estimator).__name__}: {cls.__name__} "
                f"monitors {monitor!r}, which is never recorded (the nets hold out no "
                "validation rows); monitor 'train_loss' (or 'train_loss_best'), or use "
                "early_stopping=True, which checks the quality of samples on held-out rows."
            )


def set_callback_params(estimator, params: dict) -> None:
    """Set ``callbacks__<name>__<param>`` entries of ``params`` on the named callbacks
    of ``estimator.callbacks`` (skorch's way), or a ``ValueError`` naming the key."""
    entries = [e for e in estimator.callbacks or [] if _callback_of(e) is not e]
    named = {entry[0]: entry[1] for entry in entries}
    for key, value in params.items():
        _, name, *rest = key.split("__", 2)
        if not rest or name not in named:
            raise ValueError(
                f"Invalid parameter {key!r} for {type(estimator).__name__}: it names a "
                f"callback {name!r} and its parameter (callbacks__<name>__<param>); the "
                f"named callbacks are {sorted(named)}."
            )
        if isinstance(named[name], type):
            raise ValueError(
                f"Invalid parameter {key!r} for {type(estimator).__name__}: callback "
                f"{name!r} is a class; give an instance to set its parameters."
            )
        named[name].set_params(**{rest[0]: value})


def _monitor(entry, cls: type):
    """What a callbacks entry monitors (``EarlyStopping``'s and ``Checkpoint``'s
    ``monitor``; a class's default), or None."""
    callback = _callback_of(entry)
    if not isinstance(callback, type):
        return getattr(callback, "monitor", None)
    try:
        parameter = inspect.signature(cls).parameters.get("monitor")
    except (TypeError, ValueError):
        return None
    return None if parameter is None else parameter.default


def check_layer_sizes(estimator, names: tuple[str, ...]) -> None:
    """Refuse a hidden-layer size that is not an int of at least 1, naming the
    parameter: ``_parameter_constraints`` check the container only, and torch's
    errors came mid-fit (a width of 0 even trained an encoder that ignores its input)."""
    for name in names:
        sizes = getattr(estimator, name)
        if any(isinstance(s, bool) or not isinstance(s, Integral) or s < 1 for s in sizes):
            raise InvalidParameterError(
                f"The {name!r} parameter of {type(estimator).__name__} must be a tuple or "
                f"list of ints >= 1 (one width per hidden layer); got {sizes!r}."
            )
