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
        Empty when every check is expected to pass: so for the transformer and
        both synthesizers. :class:`~sksynth.SyntheticOverSampler`, a sampler,
        refuses to grow a class of fewer than 5 rows, which several of
        scikit-learn's checks build. (Of imbalanced-learn's checks, which
        this function does not cover, it fails ``check_samplers_pandas_sparse``
        alone: the synthesizers take no sparse columns.)

    Examples
    --------
    >>> from sksynth import TableTransformer
    >>> from sksynth.utils.estimator_checks import expected_failed_checks
    >>> expected_failed_checks(TableTransformer())
    {}
    """
    from ..augmentation import SyntheticOverSampler

    if isinstance(estimator, SyntheticOverSampler):
        return dict.fromkeys(_SMALL_CLASS_CHECKS, _SMALL_CLASS_REASON)
    return {}


# scikit-learn checks whose tables hold a class of fewer than 5 rows
_SMALL_CLASS_CHECKS = (
    "check_dict_unchanged",
    "check_dont_overwrite_parameters",
    "check_f_contiguous_array_estimator",
    "check_fit2d_1feature",
    "check_fit2d_predict1d",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_n_features_in_after_fitting",  # scikit-learn 1.6's table; 1.9's passes
)
_SMALL_CLASS_REASON = (
    "the check's table has (in some scikit-learn versions) a class of fewer than 5 rows, "
    "which SyntheticOverSampler refuses to grow"
)
