"""Loaders for the real datasets that ship inside the package."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

_ADULT_INTS = [
    "age",
    "fnlwgt",
    "education-num",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
]
_ADULT_TARGET = "income"


def load_adult(*, as_frame=True, return_X_y=False):
    """Load the UCI Adult (census income) table, 32,561 rows.

    Integer columns are ``int64``, text columns pandas ``category`` (leading
    spaces stripped, the raw file's ``?`` read as missing), and the label
    ``income`` a category with ``"<=50K"`` and ``">50K"``. Licence: CC BY 4.0
    (UCI Machine Learning Repository; Becker and Kohavi, 1996).

    Parameters
    ----------
    as_frame : bool, default=True
        Return pandas objects. With ``False``, ``data`` is an object ndarray and
        ``target`` an object ndarray of strings.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : Bunch
        ``frame`` (all 15 columns; only with ``as_frame=True``), ``data`` (14
        features), ``target`` (``income``), ``feature_names``, ``target_names``
        (the target's column name, ``["income"]``, as in
        :func:`~sklearn.datasets.fetch_openml`; the labels are
        ``target.cat.categories``) and ``DESCR``.
    (data, target) : tuple
        When ``return_X_y`` is True.

    Examples
    --------
    >>> from sksynth.datasets import load_adult
    >>> adult = load_adult()
    >>> adult.frame.shape
    (32561, 15)
    >>> adult.target.value_counts().to_dict()
    {'<=50K': 24720, '>50K': 7841}
    """
    path = resources.files("sksynth.datasets") / "data" / "adult.csv.gz"
    with resources.as_file(path) as file:
        frame = pd.read_csv(file, compression="gzip", skipinitialspace=True, na_values=["?"])
    for column in frame.columns:
        if column in _ADULT_INTS:
            frame[column] = frame[column].astype(np.int64)
        else:
            frame[column] = frame[column].astype("category")
    descr = (resources.files("sksynth.datasets") / "descr" / "adult.rst").read_text()
    features = [c for c in frame.columns if c != _ADULT_TARGET]
    data, target = frame[features], frame[_ADULT_TARGET]
    if not as_frame:
        data, target = data.astype(object).to_numpy(), target.astype(str).to_numpy()
        frame = None
    if return_X_y:
        return data, target
    return Bunch(
        frame=frame,
        data=data,
        target=target,
        feature_names=features,
        target_names=[_ADULT_TARGET],
        DESCR=descr,
    )
