"""SyntheticOverSampler: imbalanced-learn's semantics without needing imbalanced-learn."""

import subprocess
import sys
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from imblearn.pipeline import Pipeline
from imblearn.utils import check_sampling_strategy
from imblearn.utils.estimator_checks import parametrize_with_checks
from sklearn.linear_model import LogisticRegression
from synth_helpers import FAST

from sksynth import GANSynthesizer, SyntheticOverSampler, VAESynthesizer
from sksynth.augmentation._strategy import resolve_strategy

CHECKED = SyntheticOverSampler(FAST["vae"](epochs=2), random_state=0)


def expected_failed(estimator):
    return {"check_samplers_pandas_sparse": "sparse columns are not supported by the synthesizers"}


@parametrize_with_checks([CHECKED], expected_failed_checks=expected_failed)
def test_imblearn_sampler_checks(estimator, check):
    check(estimator)


THREE = np.array([0] * 50 + [1] * 30 + [2] * 12)


@pytest.mark.parametrize(
    "strategy",
    ["auto", "minority", "not minority", "not majority", "all", {1: 40, 2: 12}, lambda y: {2: 30}],
)
def test_strategies_match_imbalanced_learn(strategy):
    theirs = check_sampling_strategy(strategy, THREE, "over-sampling")
    assert resolve_strategy(strategy, THREE) == dict(theirs)


@pytest.mark.parametrize("strategy", ["minority", "not minority", "not majority", "auto"])
@pytest.mark.parametrize(
    "y",
    [
        np.array([2] * 10 + [1] * 10 + [0] * 30),  # tied smallest, not in sorted order
        np.array([1] * 10 + [2] * 30 + [0] * 30),  # tied largest
        np.array(["b"] * 5 + ["a"] * 5 + ["c"] * 9),
        # str and np.str_ labels sort together, by value
        np.array(list(np.array(["b"] * 10)) + ["a"] * 10 + ["c"] * 30, dtype=object),
    ],
)
def test_ties_go_to_the_first_class_in_sorted_order_as_in_imbalanced_learn(strategy, y):
    theirs = check_sampling_strategy(strategy, y, "over-sampling")
    assert resolve_strategy(strategy, y) == dict(theirs)


@pytest.mark.parametrize("ratio", [0.5, 0.8, 1.0])
def test_float_strategy_matches_imbalanced_learn(ratio):
    y = THREE[THREE != 1]
    assert resolve_strategy(ratio, y) == dict(check_sampling_strategy(ratio, y, "over-sampling"))


@pytest.mark.parametrize("ratio", [1 / 3, 0.2])
def test_float_strategy_adding_no_rows_is_an_error_as_in_imbalanced_learn(ratio):
    y = np.array([0] * 10 + [1] * 30)
    with pytest.raises(ValueError, match="increase the ratio"):
        check_sampling_strategy(ratio, y, "over-sampling")
    with pytest.raises(ValueError, match=f"sampling_strategy={ratio} asks for .* adds none"):
        resolve_strategy(ratio, y)


@pytest.fixture(scope="module")
def imbalanced(adult_small):
    data = adult_small.iloc[:900]
    return data.drop(columns="income"), data["income"]


@pytest.mark.parametrize("model", sorted(FAST))
def test_dataframe_in_dataframe_out(model, imbalanced):
    X, y = imbalanced
    synthesizer = FAST[model](random_state=0)
    before = synthesizer.get_params()
    sampler = SyntheticOverSampler(synthesizer, random_state=0)
    X_res, y_res = sampler.fit_resample(X, y)
    counts = y.value_counts()
    assert sampler.sampling_strategy_ == {">50K": counts["<=50K"] - counts[">50K"]}
    assert Counter(y_res) == {"<=50K": counts["<=50K"], ">50K": counts["<=50K"]}
    assert list(X_res.columns) == list(X.columns) and X_res.dtypes.equals(X.dtypes)
    assert isinstance(y_res, pd.Series) and y_res.name == "income" and y_res.dtype == y.dtype
    # the original rows come first, untouched; then only rows of the grown class
    pd.testing.assert_frame_equal(X_res.iloc[: len(X)], X.reset_index(drop=True))
    assert (y_res.iloc[len(y) :] == ">50K").all()
    # the given synthesizer is cloned, never fitted itself
    assert synthesizer.get_params() == before and not hasattr(synthesizer, "net_")
    assert isinstance(sampler.synthesizer_, type(synthesizer))


def test_a_list_of_mixed_rows_comes_back_unchanged():
    # numpy turned every value of such a list into a string: 39 into '39', NaN into 'nan'
    X = [[39, "State-gov", "Male"], [50, "Private", np.nan], [41, "Private", "Female"]] * 20
    y = [0, 0, 1] * 20
    X_res, y_res = SyntheticOverSampler(FAST["vae"](), random_state=0).fit_resample(X, y)
    assert isinstance(X_res, list) and len(X_res) == 80
    assert pd.DataFrame(X_res[:60]).equals(pd.DataFrame(X))  # NaN where it was
    assert {type(row[0]) for row in X_res} == {int}
    # a column that itself mixes text and numbers is read as text, as numpy reads it
    X = [["A4", 1.5], [4, 2.5], ["B", np.nan]] * 20
    X_res, _ = SyntheticOverSampler(FAST["vae"](), random_state=0).fit_resample(X, y)
    assert [row[0] for row in X_res[:3]] == ["A4", "4", "B"] and np.isnan(X_res[2][1])


def test_default_synthesizer_is_a_vae_and_results_are_reproducible(imbalanced, monkeypatch):
    X, y = imbalanced
    fast = FAST["vae"]()
    monkeypatch.setattr(
        "sksynth.augmentation._oversampler.VAESynthesizer",
        lambda: VAESynthesizer(**fast.get_params()),
    )
    a = SyntheticOverSampler(random_state=3).fit_resample(X, y)
    b = SyntheticOverSampler(random_state=3).fit_resample(X, y)
    pd.testing.assert_frame_equal(a[0], b[0])
    assert isinstance(SyntheticOverSampler(random_state=3).fit(X, y), SyntheticOverSampler)


def test_ndarray_in_ndarray_out(imbalanced):
    X, y = imbalanced
    numeric = X.select_dtypes("number").to_numpy(dtype=np.float32)
    X_res, y_res = SyntheticOverSampler(FAST["gan"](), random_state=0).fit_resample(
        numeric, y.to_numpy()
    )
    assert isinstance(X_res, np.ndarray) and X_res.dtype == np.float32
    assert isinstance(y_res, np.ndarray) and len(X_res) == len(y_res)


def test_works_inside_an_imblearn_pipeline(imbalanced):
    X, y = imbalanced
    numeric = X.select_dtypes("number")
    pipe = Pipeline(
        [
            ("over", SyntheticOverSampler(FAST["vae"](), random_state=0)),
            ("clf", LogisticRegression(max_iter=200)),
        ]
    ).fit(numeric, y)
    assert pipe.named_steps["over"].sampling_strategy_[">50K"] > 0
    assert pipe.predict(numeric.iloc[:11]).shape == (11,)  # no resampling at predict


@pytest.mark.parametrize(
    "strategy, y_change, message",
    [
        ({">50K": 10}, None, "asks class '>50K' to shrink"),
        ({"rich": 900}, None, "names class 'rich', which is not in y"),
        (0.1, None, "adds none to its"),
        ("auto", "tiny", "Class 'tiny' has 3 rows"),
        ("auto", "nan", "y has missing labels"),
        ("auto", "single", "y has one class"),
        ("auto", "continuous", "Unknown label type"),
    ],
)
def test_bad_input_is_a_clear_error(imbalanced, strategy, y_change, message):
    X, y = imbalanced
    y = y.astype(object).copy()
    if y_change == "tiny":
        y.iloc[:3] = "tiny"
    elif y_change == "nan":
        y.iloc[5] = np.nan
    elif y_change == "single":
        y[:] = "<=50K"
    elif y_change == "continuous":
        y = pd.Series(np.linspace(0, 1, len(y)))
    sampler = SyntheticOverSampler(FAST["vae"](), sampling_strategy=strategy)
    with pytest.raises(ValueError, match=message):
        sampler.fit_resample(X, y)


def test_gan_can_grow_classes_too(imbalanced):
    X, y = imbalanced
    sampler = SyntheticOverSampler(GANSynthesizer(**FAST["gan"]().get_params()), random_state=0)
    _, y_res = sampler.fit_resample(X, y)
    assert y_res.value_counts().nunique() == 1


def test_using_it_does_not_import_imbalanced_learn():
    code = (
        "import sys, numpy as np\n"
        "from sksynth import SyntheticOverSampler, VAESynthesizer\n"
        "X = np.random.default_rng(0).normal(size=(60, 2)); y = np.r_[[0] * 45, [1] * 15]\n"
        "s = SyntheticOverSampler(VAESynthesizer(epochs=1), random_state=0)\n"
        "Xr, yr = s.fit_resample(X, y)\n"
        "assert (np.bincount(yr) == 45).all()\n"
        "assert not any(m.startswith('imblearn') for m in sys.modules), 'imblearn imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_a_failed_fit_leaves_the_sampler_unfitted():
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    from sksynth import SyntheticOverSampler, VAESynthesizer

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=100)})
    sampler = SyntheticOverSampler(VAESynthesizer(epochs=1), random_state=0)
    sampler.fit(X, np.r_[np.zeros(80), np.ones(20)])
    with pytest.raises(ValueError, match="y has one class"):
        sampler.fit(X.assign(b=1.0), np.zeros(100))  # kept the old sampling_strategy_
    with pytest.raises(NotFittedError):
        check_is_fitted(sampler)


def _two_columns(n=100, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})


def test_it_is_a_sampler_for_imblearn_ensembles():
    from imblearn.ensemble import BalancedBaggingClassifier
    from sklearn.tree import DecisionTreeClassifier

    X, y = _two_columns(150), np.r_[[0] * 110, [1] * 40]
    sampler = SyntheticOverSampler(FAST["vae"](epochs=1), random_state=0)
    bagging = BalancedBaggingClassifier(
        DecisionTreeClassifier(), n_estimators=2, sampler=sampler, random_state=0
    ).fit(X, y)
    assert bagging.predict(X).shape == (150,)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"sampling_strategy": True}, "'sampling_strategy' .* not a bool; got True"),
        ({"random_state": True}, "'random_state' .* not a bool; got True"),
        (
            {"synthesizer": VAESynthesizer},
            "GANSynthesizer or VAESynthesizer instance, or None; got the class VAESynthesizer",
        ),
        ({"synthesizer": LogisticRegression()}, "got LogisticRegression()"),
    ],
)
def test_bad_parameters_are_named_before_any_fit(params, message, monkeypatch):
    def no_fit(*args, **kwargs):
        raise AssertionError("a synthesizer was fitted")

    monkeypatch.setattr(VAESynthesizer, "fit", no_fit)
    sampler = SyntheticOverSampler(**{"synthesizer": FAST["vae"](), **params})
    with pytest.raises(ValueError, match=message):
        sampler.fit_resample(_two_columns(), np.r_[[0] * 50, [1] * 30, [2] * 20])


def test_a_column_vector_y_comes_back_1d_as_from_imblearn():
    from imblearn.over_sampling import RandomOverSampler

    X, y = _two_columns(), np.r_[[0] * 70, [1] * 30].reshape(-1, 1)
    _, theirs = RandomOverSampler(random_state=0).fit_resample(X, y)
    _, ours = SyntheticOverSampler(FAST["vae"](epochs=1), random_state=0).fit_resample(X, y)
    assert ours.shape == theirs.shape == (140,)
    assert (np.bincount(ours) == 70).all()


def test_infinite_labels_name_y():
    y = np.r_[[0.0] * 80, [np.inf] * 20]
    with pytest.raises(ValueError, match="Input y contains infinity"):
        SyntheticOverSampler(FAST["vae"]()).fit_resample(_two_columns(), y)


def test_no_model_is_trained_when_no_class_needs_rows(monkeypatch):
    def no_fit(*args, **kwargs):
        raise AssertionError("a synthesizer was fitted")

    monkeypatch.setattr(VAESynthesizer, "fit", no_fit)
    X, y = _two_columns(), pd.Series(["a", "b"] * 50, name="label")
    sampler = SyntheticOverSampler(FAST["vae"](), random_state=0)
    X_res, y_res = sampler.fit_resample(X, y)
    assert sampler.sampling_strategy_ == {"b": 0} and sampler.synthesizer_ is None
    pd.testing.assert_frame_equal(X_res, X)
    pd.testing.assert_series_equal(y_res, y)
