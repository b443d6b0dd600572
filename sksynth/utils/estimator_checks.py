"""Expected failures of scikit-learn's common checks, with the reason for each."""

from __future__ import annotations


def expected_failed_checks(estimator) -> dict[str, str]:
    """Checks of :func:`~sklearn.utils.estimator_checks.check_estimator` that are
    expected to fail for ``estimator``, as ``{check_name: reason}``.

    Parameters
    ----------
    estimator : estimator instance
        A sksynth estimator.

    Returns
    -------
    failures : dict
        Empty when every check is expected to pass.

    Examples
    --------
    >>> from sksynth import TableTransformer
    >>> from sksynth.utils.estimator_checks import expected_failed_checks
    >>> expected_failed_checks(TableTransformer())
    {}
    """
    return {}
