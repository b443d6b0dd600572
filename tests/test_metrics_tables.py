"""The metrics on awkward pairs of tables: other dtypes, time zones, unseen values,
missing classes, reordered or mismatched columns, many-valued columns."""

import tracemalloc

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.svm import LinearSVC

from sksynth.metrics import (
    column_pair_trends,
    column_shapes,
    detection_score,
    distance_to_closest_record,
    evaluate,
    exact_copy_rate,
    privacy_score,
    quality_score,
    tstr_score,
)


def test_exact_copy_rate_compares_values_not_dtypes():
    # the synthetic table was cast to the real dtypes: 1.5 became 1, a NaN crashed,
    # an unknown category became missing and matched a missing real value
    real = pd.DataFrame({"x": [1, 2, 3, 4]})
    assert exact_copy_rate(real, pd.DataFrame({"x": [1.5, 2.0, 3.0, 4.0]})) == 0.75
    assert exact_copy_rate(real.to_numpy(), np.array([[1.9], [2.2], [3.7], [9.0]])) == 0.0
    assert exact_copy_rate(real, pd.DataFrame({"x": [1.0, 2.0, np.nan, 5.0]})) == 0.5
    # exact beyond float64's integers and below its resolution of datetimes
    ids = pd.DataFrame({"id": np.array([2**60, 2**60 + 64], dtype=np.int64)})
    assert exact_copy_rate(ids, ids + 1) == 0.0 and exact_copy_rate(ids, ids.astype("Int64")) == 1
    times = pd.DataFrame({"t": pd.to_datetime(["2024-05-01 12:00", "2024-05-02 12:00"])})
    assert exact_copy_rate(times, times + pd.Timedelta(100, "ns")) == 0.0
    assert exact_copy_rate(times, times.astype("datetime64[s]")) == 1.0
    coded = pd.DataFrame({"c": pd.Categorical(["a", "b", None]), "x": [1, 2, 3]})
    assert exact_copy_rate(coded, coded.assign(c=pd.Categorical(["z"] * 3))) == 0.0
    assert exact_copy_rate(coded, coded.assign(c=[None, "b", np.nan])) == pytest.approx(2 / 3)


def test_discrete_columns_of_another_kind_in_each_table_are_refused():
    # text against numbers or datetimes never matched: the column scored 0, silently
    real = pd.DataFrame({"k": ["1", "2"] * 20, "x": np.arange(40.0)})
    numbers = real.assign(k=[1, 2] * 20)
    with pytest.raises(ValueError, match=r"Column 'k' is discrete, but holds text in real"):
        column_shapes(real, numbers)
    with pytest.raises(ValueError, match=r"holds numbers in real .* and text in synthetic"):
        column_pair_trends(numbers, real, discrete_columns=["k"])
    dates = real.assign(k=pd.to_datetime(["2020-01-01", "2020-01-02"] * 20))
    with pytest.raises(ValueError, match=r"text in real \(dtype .*\) and datetimes"):
        detection_score(real, dates)
    # kinds whose values compare equal score as before: bools and 0/1, a category and
    # its strings, ints and floats
    flags = pd.DataFrame({"f": [True, False] * 20, "c": pd.Categorical(["a", "b"] * 20)})
    same = flags.assign(f=[1, 0] * 20, c=["a", "b"] * 20)
    assert column_shapes(flags, same, discrete_columns=["f", "c"]) == 1.0
    assert column_shapes(numbers, numbers.astype({"k": float}), discrete_columns=["k"]) == 1.0
    # a column with no value in one table has no kind (an empty CSV column reads as
    # float64): missing against missing still scores, as before
    some = pd.DataFrame({"c": pd.Series(["a", None, None, None], dtype=object)})
    assert column_shapes(some, pd.DataFrame({"c": [np.nan] * 4})) == 0.75
    # dates against datetimes, naive against zoned datetimes: never equal either
    day = pd.DataFrame({"d": pd.to_datetime(["2020-01-01", "2020-01-02"] * 3)})
    dates = day.assign(d=[t.date() for t in day["d"]])
    with pytest.raises(ValueError, match=r"holds datetimes in real .* and dates \(no time"):
        column_shapes(day, dates, discrete_columns=["d"])
    zoned = day.assign(d=day["d"].dt.tz_localize("UTC"))
    with pytest.raises(ValueError, match="and datetimes with a time zone in synthetic"):
        column_shapes(day, zoned, discrete_columns=["d"])
    objects = day.assign(d=[t.to_pydatetime() for t in day["d"]])
    assert column_shapes(day, objects.astype({"d": object}), discrete_columns=["d"]) == 1.0


def test_durations_compare_in_seconds_whatever_their_unit():
    rng = np.random.default_rng(0)
    took = pd.DataFrame({"t": pd.to_timedelta(rng.integers(0, 10**4, 300), unit="s")})
    seconds = took.astype("timedelta64[s]")
    assert column_shapes(took.astype("timedelta64[ns]"), seconds) == 1.0
    assert column_shapes(took, took.assign(t=took["t"] * 3)) < 0.7
    pairs = column_pair_trends(took.assign(x=np.arange(300.0)), seconds.assign(x=np.arange(300.0)))
    assert pairs == 1.0
    assert exact_copy_rate(took, seconds) == 1.0


def test_pair_trends_stay_within_0_and_1():
    # pandas' correlation of y = 3x came out as 1.0000000000000007: the pair scored -4e-16
    x = np.array([1.414, 1.298, 1.432, 1.393])
    real, synthetic = pd.DataFrame({"x": x, "y": 3 * x}), pd.DataFrame({"x": x, "y": -x})
    assert column_pair_trends(real, synthetic) == 0.0
    # no correlation to compute (a constant column): counted as 0, as documented
    flat = real.assign(y=1.0)
    assert column_pair_trends(real, flat) == pytest.approx(0.5)


def test_tuple_labels_in_a_flat_index():
    # the continuous pairs' correlations were built with tuple keys: MultiIndex columns,
    # and a KeyError looking a pair up
    X = pd.DataFrame({"a": np.arange(10.0), ("t", 2): np.arange(10.0)[::-1], "c": 1.0})
    scores = column_pair_trends(X, X.assign(a=np.arange(10.0)[::-1]), aggregate=False)
    assert scores[("a", ("t", 2))] == 0.0 and scores[(("t", 2), "c")] == 1.0


def test_datetimes_in_other_time_zones_compare_as_instants():
    # detection, privacy and evaluate crashed on the object column pandas made of two zones
    d = pd.Series(pd.date_range("2021-01-01", periods=30, freq="6h", tz="UTC"))
    real = pd.DataFrame({"d": d, "x": np.arange(30.0)})
    for other in (d.dt.tz_convert("Europe/Paris"), d.dt.tz_localize(None)):
        synth = real.assign(d=other)
        assert column_shapes(real, synth) == 1.0
        assert detection_score(real, synth) == 1.0
        assert exact_copy_rate(real, synth) == 1.0
        assert privacy_score(real, synth, real) == 1.0
    report = evaluate(real, real.assign(d=d.dt.tz_convert("Asia/Tokyo")), real_test=real)
    assert report.summary.loc["exact_copy_rate", "synthetic"] == 1.0


def test_distances_count_a_differing_category_as_one():
    # a value unseen in the real table was encoded as no category, 0.71 from every row;
    # pd.NA and NaN were different values
    real = pd.DataFrame({"c": ["a", "b"]})
    np.testing.assert_allclose(
        distance_to_closest_record(real, pd.DataFrame({"c": ["b", "z"]})), [0.0, 1.0]
    )
    ints = pd.DataFrame({"k": pd.array([1, None, 2], dtype="Int64")})
    distances = distance_to_closest_record(ints, ints.astype("float64"), discrete_columns=["k"])
    np.testing.assert_array_equal(distances, [0.0, 0.0, 0.0])
    # a missing number where the real table has none is not a copy of an average row
    numbers = pd.DataFrame({"x": [0.0, 1.0, 2.0]})
    assert distance_to_closest_record(numbers, pd.DataFrame({"x": [np.nan]}))[0] >= 1.0


def _classes(rng, n):
    x = rng.normal(size=n)
    y = np.where(x > 1.5, "c", np.where(x > 0, "b", "a"))
    return pd.DataFrame({"x": x, "z": rng.normal(size=n), "y": y})


def test_tstr_score_with_classes_missing_from_either_table():
    # the scorer read the classes from the test rows alone and crashed when the model
    # knew other ones (a synthesizer that dropped a rare class)
    rng = np.random.default_rng(0)
    real, test, synth = _classes(rng, 400), _classes(rng, 300), _classes(rng, 400)
    full = tstr_score(test, synth, "y")
    dropped = tstr_score(test, synth[synth["y"] != "c"], "y")
    assert 0.5 < dropped < full <= 1.0  # class c ranks at chance: one third of 0.5
    assert 0.9 < tstr_score(test[test["y"] != "c"], synth, "y") <= 1.0
    report = evaluate(real, synth[synth["y"] != "c"], target="y", real_test=test)
    assert report.summary.loc["tstr_score", "synthetic"] == dropped
    with pytest.raises(ValueError, match=r"single class of the target \('a'\)"):
        tstr_score(test[test["y"] == "a"], synth, "y")
    with pytest.raises(ValueError, match="synthetic has 2 missing values in target 'x'"):
        tstr_score(test, synth.assign(x=synth["x"].mask(synth.index < 2)), "x")


def test_tstr_score_with_a_classifier_without_probabilities():
    # the default ROC AUC called predict_proba, which LinearSVC lacks
    rng = np.random.default_rng(0)
    test, synth = _classes(rng, 300), _classes(rng, 400)
    two = [t[t["y"] != "c"] for t in (test, synth)]
    svc = LinearSVC()
    assert tstr_score(*two, "y", estimator=svc) == tstr_score(
        *two, "y", estimator=svc, scoring="roc_auc"
    )
    assert 0.8 < tstr_score(test, synth, "y", estimator=svc) <= 1.0


def test_tstr_score_refuses_identifier_columns_only(monkeypatch):
    import sksynth.metrics._utility as utility

    monkeypatch.setattr(utility, "_DENSE_CELLS", 10_000)
    rng = np.random.default_rng(0)
    test, synth = _classes(rng, 300), _classes(rng, 1500)
    assert 0.9 < tstr_score(test, synth, "y") <= 1.0  # 1500 x 6 dense cells: numbers only
    with pytest.raises(ValueError, match=r"\{'id': 1500\} .* look like identifiers"):
        tstr_score(test.assign(id="t"), synth.assign(id=[f"s{i}" for i in range(1500)]), "y")


def test_metrics_align_columns_by_name_and_name_the_table_at_fault():
    rng = np.random.default_rng(0)
    real = pd.DataFrame({"x": rng.normal(size=50), "c": rng.choice(["a", "b"], 50)})
    assert column_shapes(real, real[["c", "x"]]) == 1.0
    by_position = column_shapes(real, real.assign(c="a"), discrete_columns=[1], aggregate=False)
    assert by_position.equals(column_shapes(real, real.assign(c="a"), aggregate=False))
    assert detection_score(real, real[["c", "x"]]) == 1.0
    with pytest.raises(ValueError, match=r"real and real_test .* real_test lacks \['c'\]"):
        evaluate(real, real, real_test=real[["x"]])
    with pytest.raises(ValueError, match=r"synthetic repeats the column labels \['x'\]"):
        column_shapes(real, pd.concat([real, real[["x"]]], axis=1))
    with pytest.raises(ValueError, match="Column 'x' is continuous, but holds text in synthetic"):
        column_shapes(real, real.assign(x="?"))


def test_detection_score_seeds_an_unseeded_estimator():
    rng = np.random.default_rng(0)
    real = pd.DataFrame({"x": rng.normal(size=300), "z": rng.normal(size=300)})
    synth = pd.DataFrame({"x": rng.normal(0.5, 1.0, 300), "z": rng.normal(size=300)})
    forest = RandomForestClassifier(n_estimators=10)
    scores = {detection_score(real, synth, estimator=forest) for _ in range(3)}
    assert len(scores) == 1 and 0.0 < scores.pop() < 1.0
    assert forest.random_state is None  # the user's estimator is left as it was


def test_pair_trends_of_many_valued_columns_use_memory_of_the_rows():
    # two identifier-like columns of 3,000 values took 1.15 GB (a table of every pair of
    # values); the pairs seen are at most the rows
    n = 5000
    real = pd.DataFrame({"id": [f"r{i}" for i in range(n)], "name": [f"n{i}" for i in range(n)]})
    tracemalloc.start()
    try:
        assert column_pair_trends(real, real) == 1.0
        assert column_pair_trends(real, real.assign(name=real["name"][::-1].to_numpy())) == 0.0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50e6


def test_marginal_plots_show_what_lies_outside_the_real_values():
    pytest.importorskip("matplotlib")
    rng = np.random.default_rng(0)
    real = pd.DataFrame({"x": rng.normal(size=500), "c": rng.choice(list("abc"), 500)})
    synth = pd.DataFrame(
        {
            "x": np.r_[rng.normal(size=100), rng.normal(50, 1, 400)],
            "c": rng.choice(list("abz"), 500),
        }
    )
    figure = evaluate(real, synth).plot()["marginals"]
    numbers, labels = figure.axes[0], figure.axes[1]
    assert [t.get_text() for t in numbers.get_legend().get_texts()] == [
        "real",
        "synthetic (80% outside)",
    ]
    # each curve's area is its share of values inside the real range (shoelace formula)
    outlines = [patch.get_path().vertices for patch in numbers.patches]
    areas = [
        abs(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y)) / 2 for x, y in (v.T for v in outlines)
    ]
    assert areas == pytest.approx([1.0, 0.2], abs=1e-6)
    assert [t.get_text() for t in labels.get_xticklabels()][-1] == "(other)"


def test_marginal_plots_of_dates_and_of_a_column_without_real_values():
    # dates were labelled in seconds since 1970; a real column without values was drawn
    # over [0, 1] with "75% outside" it
    pytest.importorskip("matplotlib")
    from sksynth.metrics._plots import marginals_figure

    rng = np.random.default_rng(0)
    days = pd.Timestamp("2021-03-01") + pd.to_timedelta(rng.integers(0, 300, 200), unit="D")
    real = pd.DataFrame({"d": days, "x": np.full(200, np.nan), "y": rng.normal(size=200)})
    synth = real.assign(x=rng.normal(size=200))
    dates, empty = marginals_figure(real, {"synthetic": synth}).axes[:2]
    seconds = pd.Timestamp("2021-06-15").timestamp()
    assert dates.xaxis.get_major_formatter()(seconds) == "2021-06-15"
    assert [t.get_text() for t in empty.texts] == ["no real values"] and not empty.patches
    # in the column's time zone (they were UTC dates), and beyond the years of pandas'
    # nanoseconds (OutOfBoundsDatetime on pandas 2)
    local = pd.DataFrame({"d": days.tz_localize("Asia/Tokyo")})
    axis = marginals_figure(local, {"synthetic": local}).axes[0]
    seconds = pd.Timestamp("2021-06-15 01:00", tz="Asia/Tokyo").timestamp()  # 14th in UTC
    assert axis.xaxis.get_major_formatter()(seconds) == "2021-06-15"
    far = pd.DataFrame({"d": np.array(["1500-01-01", "2500-06-01"], dtype="datetime64[s]")})
    formatter = marginals_figure(far, {"synthetic": far}).axes[0].xaxis.get_major_formatter()
    assert formatter(-15_000_000_000.0) == "1494-09-01"  # Python's datetime agrees
    assert formatter(far["d"].astype("int64").iloc[1] * 1.0) == "2500-06-01"


def test_marginal_plots_of_awkward_labels_missing_values_and_durations(tmp_path):
    # "$" started matplotlib's math mode (two raised a ParseSyntaxException, so no
    # report was written); cut labels read alike; missing values did not show; durations
    # were drawn in seconds; a day's times all read as its date; a first column without
    # real values left the figure without a legend (and matplotlib warned)
    pytest.importorskip("matplotlib")
    import warnings

    from sksynth.metrics._plots import correlations_figure, marginals_figure

    rng = np.random.default_rng(0)
    n = 200
    companies = ["International Business Machines", "International Brotherhood of X"]
    real = pd.DataFrame(
        {
            "empty": np.full(n, np.nan),
            "cost_$_per_$": rng.normal(size=n),
            "firm": rng.choice(companies, n),
            "took": pd.to_timedelta(rng.uniform(0, 90, n), unit="D"),
            "at": pd.Timestamp("2024-03-05 08:00") + pd.to_timedelta(rng.uniform(0, 6, n), "h"),
        }
    )
    synth = real.assign(empty=1.0)
    synth.loc[: n // 2 - 1, "cost_$_per_$"] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # matplotlib's (others vary by version)
        figure = marginals_figure(real, {"synthetic": synth})
        figure.savefig(tmp_path / "m.png")
        evaluate(real, synth).to_html(tmp_path / "r.html")
    empty, cost, firm, took, at = figure.axes[:5]
    assert cost.get_title() == r"cost_\$_per_\$"
    assert [t.get_text() for t in cost.get_legend().get_texts()] == [
        "real (0% missing)",
        "synthetic (50% missing)",
    ]
    assert empty.get_legend() is None and cost.get_legend() is not None
    names = [t.get_text() for t in firm.get_xticklabels()]
    assert len(set(names)) == 2 and all(len(name) <= 12 for name in names)
    assert (
        took.get_xlabel() == "days"
        and max(p.get_path().vertices[:, 0].max() for p in took.patches) < 91
    )
    label = at.xaxis.get_major_formatter()(pd.Timestamp("2024-03-05 09:30").timestamp())
    assert label == "2024-03-05 09:30"
    # a correlation that cannot be computed is left blank, not drawn as 0
    numbers = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    blank = correlations_figure(numbers, numbers.assign(b=np.nan)).axes[1].images[0]
    assert np.ma.is_masked(blank.get_array()[0, 1])  # NaN: not drawn


def test_identifier_columns_encode_sparse_for_detection_and_distances(adult):
    # a one-hot block as wide as the table was a dense matrix: 21 GB for detection on
    # 26,000 real and synthetic rows with an id column, 29 s for 5,000
    from scipy import sparse

    from sksynth.metrics._encoding import MetricEncoder

    table = adult.iloc[:3000].reset_index(drop=True)
    table["id"] = [f"c{i}" for i in range(len(table))]
    real, synth = table.iloc[:1500], table.iloc[1500:].assign(id=lambda d: "s" + d["id"])
    discrete = [c for c in table.columns if table[c].dtype.kind not in "if"]
    wide = MetricEncoder(discrete).fit(real)
    encoded = wide.transform(synth)
    assert sparse.issparse(encoded)
    dense = MetricEncoder(discrete, sparse_output=False).fit(real).transform(synth)
    np.testing.assert_array_equal(encoded.toarray(), dense)
    assert not sparse.issparse(MetricEncoder(discrete).fit_transform(real.drop(columns="id")))
    assert 0.5 < detection_score(real, synth) <= 1.0
    distances = distance_to_closest_record(real, synth)
    assert (distances >= 1.0).all()  # every synthetic id differs from every real one
    copies = distance_to_closest_record(real, real.iloc[:200])
    assert (copies == 0.0).all()  # sparse rows too
    dense_copies = distance_to_closest_record(real.drop(columns="id"), real.iloc[:200, :-1])
    assert (dense_copies == 0.0).all()
    assert 0.5 < tstr_score(real, synth, "income") <= 1.0
    # a user's estimator gets the dense matrix it may need
    dense_only = HistGradientBoostingClassifier(max_iter=5)
    assert 0.5 < detection_score(real, synth, estimator=dense_only) <= 1.0


def test_metrics_refuse_what_is_no_table_with_the_parameter_named():
    import scipy.sparse

    from sksynth.metrics import quality_score

    rng = np.random.default_rng(0)
    real = pd.DataFrame({"x": rng.normal(size=60), "c": rng.choice(list("abc"), 60)})
    inf = real.assign(x=real["x"].where(real.index != 3, np.inf))
    for metric in (detection_score, distance_to_closest_record, column_shapes, evaluate):
        # scikit-learn's "Input X contains NaN", or a score, before
        with pytest.raises(ValueError, match="Column 'x' of synthetic holds infinity"):
            metric(real, inf)
    assert column_shapes(real, inf, discrete_columns=["x", "c"]) < 1.0  # a category then
    not_tables = {
        "Series of shape": real["x"],
        r"ndarray of shape \(60,\)": real["x"].to_numpy(),
        "NoneType": None,
        "a sparse matrix": scipy.sparse.eye(3, format="csr"),
    }
    for what, table in not_tables.items():  # an IndexError before
        with pytest.raises(ValueError, match=f"real must be a table .*; got {what}"):
            quality_score(table, real)
    with pytest.raises(ValueError, match="have no columns; there is nothing to score"):
        exact_copy_rate(real[[]], real[[]])  # 1.0 before (and NaN for quality_score)
    for bad in (None, 2, "c"):
        with pytest.raises(ValueError, match="discrete_columns must be 'auto' or a list"):
            quality_score(real, real, discrete_columns=bad)
    assert quality_score(real, real, discrete_columns={"c"}) == 1.0
    # parameters checked with the metric named (the aggregate score for "no" before;
    # scikit-learn's TypeError or AttributeError for a splitter or a regressor)
    for metric in (column_shapes, column_pair_trends):
        with pytest.raises(ValueError, match=f"{metric.__name__}'s aggregate must be True or"):
            metric(real, real, aggregate="no")
    from sklearn.linear_model import LinearRegression
    from sklearn.model_selection import KFold

    for cv in (KFold(3), 1, 2.0, True):
        with pytest.raises(ValueError, match="detection_score's cv must be an int of at least 2"):
            detection_score(real, real, cv=cv)
    with pytest.raises(ValueError, match="estimator must be a classifier .*LinearRegression"):
        detection_score(real, real, estimator=LinearRegression())
    assert 0 <= detection_score(real, real, cv=np.int64(2)) <= 1


def test_evaluate_reports_on_a_target_with_missing_values():
    # the synthesizers draw a missing target at about its real rate: the report stands
    rng = np.random.default_rng(0)
    real, test, synth = _classes(rng, 400), _classes(rng, 300), _classes(rng, 400)
    gaps = synth.assign(y=synth["y"].mask(synth.index < 5))
    report = evaluate(real.assign(y=real["y"].mask(real.index < 2)), gaps, target="y")
    meaning = report.summary.loc["tstr_score", "meaning"]
    assert "rows with a missing 'y' left out (2 real, 5 synthetic)" in meaning
    kept = gaps[gaps["y"].notna()]
    expected = tstr_score(test, kept, "y")
    report = evaluate(real, gaps, target="y", real_test=test)
    assert report.summary.loc["tstr_score", "synthetic"] == expected
    # a score the tables cannot give is reported as not computed, with the reason
    report = evaluate(real, synth, target="y", real_test=test[test["y"] == "a"])
    assert np.isnan(report.summary.loc["tstr_score", "synthetic"])
    assert (
        "not computed: The test table holds a single class"
        in (report.summary.loc["tstr_score", "meaning"])
    )
    assert report.summary.loc["quality_score", "synthetic"] > 0.5
    report = evaluate(real, synth.assign(y=None), target="y")  # sklearn's split error before
    assert (
        "not computed: fewer than 2 rows with a 'y' in synthetic."
        in (report.summary.loc["tstr_score", "meaning"])
    )


def test_evaluate_checks_its_own_parameters():
    rng = np.random.default_rng(0)
    real = pd.DataFrame({"x": rng.normal(size=60), "c": rng.choice(list("abc"), 60)})
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match=f"max_privacy_rows must be an int >= 1; got {bad}"):
            evaluate(real, real, max_privacy_rows=bad)
    with pytest.raises(ValueError, match="evaluate needs at least 3 rows in each table"):
        evaluate(real.iloc[:2], real.iloc[:2])
    with pytest.raises(ValueError, match=r"target must be one column label; got \['c'\]"):
        evaluate(real, real, target=["c"])  # TypeError: unhashable type: 'list'


def test_the_target_shares_read_every_missing_marker_as_one():
    # pd.NA in one table and NaN in the other were two classes: the real missing share
    # was lost (the real column summed to 0.875) and its row read 0.125 against 0
    labels = ["a", "b", None, "a", "b", "a", "b", "a"]
    real = pd.DataFrame({"x": np.arange(8.0), "y": pd.array(labels, dtype="string")})
    synth = pd.DataFrame({"x": np.arange(8.0), "y": pd.Series(labels, dtype=object)})
    synth.loc[2, "y"] = np.nan
    shares = evaluate(real, synth, target="y").target_distribution
    assert len(shares) == 3
    np.testing.assert_allclose(shares["real"].to_numpy(), shares["synthetic"].to_numpy())
    assert shares.sum().tolist() == [1.0, 1.0]


def test_the_same_numbers_at_two_float_precisions_compare_equal():
    # float32 0.1 is 0.10000000149 in float64: the shapes scored 0.617, the quality 0.904
    # one way and 0.5625 the other, and no row was a copy
    rng = np.random.default_rng(0)
    real = pd.DataFrame({"x": rng.choice([0.1, 0.2, 0.3], 300), "c": rng.choice(list("ab"), 300)})
    for other in (real.astype({"x": "float32"}), real.astype({"x": "Float32"})):
        for a, b in ((real, other), (other, real)):
            assert column_shapes(a, b) == 1.0
            assert quality_score(a, b) == 1.0
            assert exact_copy_rate(a, b) == 1.0


def test_continuous_columns_of_other_kinds_are_refused():
    # datetimes against their int64 nanoseconds scored 0.0 without a word
    dates = pd.DataFrame({"t": pd.date_range("2020", periods=5)})
    for other, kinds in (
        (pd.DataFrame({"t": np.arange(5)}), "datetimes in real .* and numbers in synthetic"),
        (pd.DataFrame({"t": pd.to_timedelta(np.arange(5), unit="s")}), "datetimes .* durations in"),
    ):
        with pytest.raises(ValueError, match=f"Column 't' is continuous, but holds {kinds}"):
            column_shapes(dates, other)
    assert column_shapes(dates, dates.assign(t=pd.NaT)) == 0.0  # no value: scored, not refused


def test_one_column_quality_is_its_shape_and_a_missing_relation_scores_zero():
    # a table of one column has no pair: its pair score of 1 lifted any quality to 0.5
    real = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})
    assert quality_score(real, real * 100) == 0.0
    report = evaluate(real, real * 100)
    assert report.summary.loc["quality_score", "synthetic"] == 0.0
    # an all-missing synthetic column has no correlation with its partners (it scored
    # about 1 against uncorrelated real pairs, 0 against discrete ones)
    rng = np.random.default_rng(0)
    real = pd.DataFrame({"x": rng.normal(size=50), "y": rng.normal(size=50)})
    assert column_pair_trends(real, real.assign(x=np.nan)) == 0.0
    assert column_pair_trends(real.assign(x=1.0), real.assign(x=1.0)) == 1.0  # constant: both 0


def test_marginal_bars_read_every_missing_marker_as_one():
    # None in the real table and NaN in the synthetic one were two bars: 0.0 and "(other)"
    pytest.importorskip("matplotlib")
    from sksynth.metrics._plots import marginals_figure

    real = pd.DataFrame({"c": pd.Series(["a", None, "b", None, "a", "a"], dtype=object)})
    synth = real.assign(c=real["c"].astype(pd.StringDtype()))  # missing as pd.NA
    bars = marginals_figure(real, {"synthetic": synth}).axes[0]
    heights = [round(p.get_height(), 3) for p in bars.patches]
    assert heights == [0.5, 0.333, 0.167] * 2
