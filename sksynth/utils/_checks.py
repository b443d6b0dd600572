"""Checks of plain parameters shared by the estimators and the metrics."""

from __future__ import annotations

from numbers import Integral

from sklearn.utils._param_validation import Interval, InvalidParameterError


def check_count(value, name: str) -> int:
    """``value`` as an int of at least 1, or a ``ValueError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be an int >= 1; got {value!r}.")
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
