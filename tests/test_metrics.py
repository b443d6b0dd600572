"""Detection, utility and privacy metrics, the evaluation report and the scorers."""

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.tree import DecisionTreeClassifier
from synth_helpers import FAST

from sksynth.metrics import (
    column_shapes,
    column_shapes_scorer,
    detection_score,
    detection_scorer,
    distance_to_closest_record,
    evaluate,
    exact_copy_rate,
    nearest_neighbor_distance_ratio,
    privacy_score,
    quality_score,
    quality_scorer,
    tstr_score,
    tstr_scorer,
)


@pytest.fixture(scope="module")
def halves(adult):
    data = adult.sample(6000, random_state=1).reset_index(drop=True)
    return data.iloc[:3000], data.iloc[3000:].reset_index(drop=True)


def test_detection_score_separates_shifted_from_same_distribution(halves):
    a, b = halves
    assert detection_score(a, b) > 0.85
    assert detection_score(a, b.assign(age=b["age"] * 2)) < 0.1
    with pytest.raises(ValueError, match="the synthetic table has 1"):
        detection_score(a, b.iloc[:1])
    tree = DecisionTreeClassifier(max_depth=3, random_state=0)
    assert detection_score(a, b, estimator=tree) > 0.85
    numbers = a.select_dtypes("number")
    assert detection_score(numbers.to_numpy(), numbers.to_numpy() + 1e6) < 1e-9


def test_datetimes_compare_in_one_unit():
    # each table once counted datetimes in its own step (days here, seconds there)
    rng = np.random.default_rng(0)
    days = pd.DataFrame(
        {"t": pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, 400), "D")}
    )
    assert column_shapes(days, days.astype("datetime64[s]")) == 1.0
    jitter = days.assign(t=days["t"] + pd.to_timedelta(rng.integers(0, 86_400, 400), "s"))
    assert column_shapes(days, jitter) > 0.95
    ns = days.assign(t=days["t"] + pd.to_timedelta(rng.integers(0, 10**9, 400), "ns"))
    assert column_shapes(ns, ns.assign(t=ns["t"] + pd.Timedelta(days=3650))) < 0.05
    ids = pd.DataFrame({"i": rng.integers(2**62, 2**62 + 10**12, 400)})
    assert column_shapes(ids, ids + 2**59) < 0.05


def test_tstr_score_against_its_train_on_real_reference(halves):
    a, b = halves
    scores = tstr_score(b, a, "income", real_train=a)
    assert list(scores.index) == ["synthetic", "real"] and scores["synthetic"] == scores["real"]
    assert 0.85 < scores["real"] < 1.0  # ROC AUC of the income task
    shuffled = a.assign(income=a["income"].sample(frac=1.0, random_state=0).to_numpy())
    assert tstr_score(b, shuffled, "income") < 0.6  # labels unrelated to the features
    assert 0.0 < tstr_score(b, a, "income", scoring="f1_macro") < 1.0
    assert 0.0 <= tstr_score(b, a, "hours-per-week") <= 1.0  # max(R^2, 0)


@pytest.mark.parametrize(
    "labels",
    [
        lambda rich: rich,
        lambda rich: rich.astype(int),
        lambda rich: pd.Categorical(rich.astype(int) + 1),
        lambda rich: pd.array(rich.astype(int), dtype="Int64"),
        lambda rich: pd.array(rich, dtype="boolean"),
        lambda rich: np.where(rich, ">50K", "<=50K").astype(object),
        lambda rich: rich + 0.5,
        lambda rich: pd.Categorical([1 if r else "poor" for r in rich]),
    ],
    ids=["bool", "int", "int-category", "Int64", "boolean", "str", "fractional", "int-and-str"],
)
def test_tstr_score_any_label_dtype(halves, labels):
    # the same classes under any dtype give the same ROC AUC
    a, b = halves
    a, b = (t.assign(income=labels(t["income"].eq(">50K").to_numpy())) for t in (a, b))
    discrete = [c for c in a.columns if not pd.api.types.is_numeric_dtype(a[c])] + ["income"]
    score = tstr_score(b, a, "income", discrete_columns=discrete)
    assert score == pytest.approx(tstr_score(halves[1], halves[0], "income"))


def test_tstr_score_bad_input(halves):
    a, b = halves
    with pytest.raises(ValueError, match="target 'nope' is not a column"):
        tstr_score(b, a, "nope")
    with pytest.raises(ValueError, match="synthetic has a single value of target 'income'"):
        tstr_score(b, a.assign(income="<=50K"), "income")
    with pytest.raises(ValueError, match="synthetic has 3 missing values in target"):
        tstr_score(b, a.assign(income=a["income"].mask(a.index < 3)), "income")
    # the real table comes first, as in every metric
    with pytest.raises(ValueError, match=r"real_test and synthetic .* synthetic lacks \['age'\]"):
        tstr_score(b, a.drop(columns="age"), "income")


def test_privacy_measures_flag_copies(halves):
    a, b = halves
    copies = a.iloc[:500]
    # exactly 0 (the neighbour index's |a|^2 + |b|^2 - 2ab left 4e-8 to 6e-8 on some)
    assert (distance_to_closest_record(a, copies) == 0.0).all()
    assert exact_copy_rate(a, copies) == 1.0
    assert exact_copy_rate(a, b) < 0.01
    assert privacy_score(a, copies, b) == 0.0
    fresh = b.iloc[:1500]
    assert privacy_score(a, fresh, b.iloc[1500:]) > 0.8
    ratios = nearest_neighbor_distance_ratio(a, b.iloc[:300])
    assert ratios.shape == (300,) and ((ratios >= 0) & (ratios <= 1)).all()
    assert (distance_to_closest_record(a, b.iloc[:300]) > 0).mean() > 0.95


def test_privacy_score_counts_ties_half():
    real = pd.DataFrame({"c": list("ab") * 50})  # every row repeats: all distances tie
    assert privacy_score(real, real.iloc[:20], real.iloc[::-1]) == 1.0


def test_exact_copy_rate_ignores_dtype_differences():
    real = pd.DataFrame({"i": pd.array([1, 2, 3], dtype="Int64"), "c": ["a", "b", "c"]})
    synthetic = pd.DataFrame({"i": np.array([1, 5, 3]), "c": ["a", "b", "c"]})
    assert exact_copy_rate(real, synthetic) == pytest.approx(2 / 3)


def test_evaluate_report(halves, tmp_path):
    a, b = halves
    synthetic = b.iloc[:2000].reset_index(drop=True)
    report = evaluate(a, synthetic, target="income", real_test=b.iloc[2000:])
    summary = report.summary
    assert {"quality_score", "detection_score", "exact_copy_rate", "privacy_score", "tstr_score"}
    assert {"quality_score", "detection_score", "privacy_score", "tstr_score"} <= set(summary.index)
    assert summary.loc["quality_score", "synthetic"] == pytest.approx(quality_score(a, synthetic))
    assert "share of income='>50K'" in summary.index
    assert np.isfinite(summary.loc["tstr_score", "reference"])
    assert set(report.target_distribution.columns) == {"real", "synthetic"}
    assert report.column_shapes.index.tolist() == list(a.columns)
    assert len(report.column_pair_trends) == 15 * 14 // 2
    figures = report.plot()
    assert set(figures) == {"marginals", "correlations"}
    page = report.to_html(tmp_path / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 2 and "tstr_score" in page
    # the target named in its heading (it took a second header row), scores right-aligned
    # outside the summary's text column (every table's last column was left-aligned)
    target = page[page.index("<h2>Target: income</h2>") :]
    assert "<th>income</th>" not in target[: target.index("</table>")]
    assert 'class="dataframe summary"' in page and "table.summary td:last-child" in page
    assert "EvaluationReport" in repr(report)


def test_evaluate_summary_of_a_target_of_many_classes():
    # one summary row per class: a 60-class target added 60 rows (and the CLI printed them)
    rng = np.random.default_rng(0)
    real = pd.DataFrame(
        {"x": rng.normal(size=900), "t": rng.choice([f"c{k}" for k in range(60)], 900)}
    )
    synthetic = real.assign(t=rng.choice([f"c{k}" for k in range(55)], 900))
    report = evaluate(real, synthetic, target="t")
    shares = report.summary.loc[[i for i in report.summary.index if i.startswith("share of")]]
    assert len(shares) == 11 and shares.index[-1] == "share of t=(the 50 other classes)"
    assert shares["reference"].sum() == pytest.approx(1.0)
    assert shares["synthetic"].sum() == pytest.approx(1.0)
    top = real["t"].value_counts(normalize=True)
    assert shares["reference"].iloc[0] == pytest.approx(top.iloc[0])
    assert len(report.target_distribution) == 60


def test_plots_leave_the_users_backend_and_figures_alone(halves, tmp_path):
    # matplotlib.use("Agg") switched the backend (a later plt.show() showed nothing),
    # and pyplot kept every report figure open
    import matplotlib
    from matplotlib import pyplot as plt

    a, b = halves
    report = evaluate(a.iloc[:300], b.iloc[:300])
    backend = matplotlib.get_backend()
    try:
        matplotlib.use("pdf")
        mine = plt.figure()
        figures = report.plot()
        report.to_html(tmp_path / "r.html")
        assert matplotlib.get_backend() == "pdf"
        assert plt.get_fignums() == [mine.number]
        assert all(len(f.axes) >= 3 for f in figures.values())
    finally:
        plt.close("all")
        matplotlib.use(backend)


def test_evaluate_without_holdout_says_so(halves):
    a, b = halves
    report = evaluate(a.iloc[:800], b.iloc[:800], target="income")
    assert "privacy_score" not in report.summary.index
    assert "no real_test" in report.summary.loc["tstr_score", "meaning"]
    assert np.isnan(report.summary.loc["exact_copy_rate", "reference"])


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium")
def test_report_renders_in_a_headless_browser(halves, tmp_path):
    a, b = halves
    page = evaluate(a.iloc[:600], b.iloc[:600], target="income").to_html(tmp_path / "r.html")
    shot = tmp_path / "shot.png"
    subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}",
         "--window-size=1200,2400", page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    from matplotlib.image import imread

    pixels = imread(shot)
    assert pixels.shape[:2] == (2400, 1200)
    assert pixels[..., :3].std() > 0.05  # not a blank page


@pytest.fixture(scope="module")
def fitted_vae(halves):
    a, _ = halves
    X, y = a.drop(columns="income").iloc[:1000], a["income"].iloc[:1000]
    return FAST["vae"](random_state=0).fit(X, y), X, y


def test_quality_scorer_equals_score(fitted_vae):
    model, X, y = fitted_vae
    assert quality_scorer(model, X, y) == pytest.approx(model.score(X, y))
    assert quality_scorer(model, X) == pytest.approx(model.score(X))
    assert 0 < column_shapes_scorer(model, X) <= 1 and 0 <= detection_scorer(model, X) <= 1
    assert 0 <= tstr_scorer(model, X, y) <= 1
    with pytest.raises(ValueError, match="tstr_scorer needs"):
        tstr_scorer(model, X)


def test_scorers_check_the_table_as_score_does(fitted_vae):
    # reordered columns were compared by position (a plausible, wrong quality)
    model, X, _ = fitted_vae
    reordered = X[list(reversed(X.columns))]
    for call in (model.score, lambda T: quality_scorer(model, T)):
        with pytest.raises(ValueError, match="Feature names"):
            call(reordered)
        with pytest.raises(ValueError, match="Column 'age' held numbers during fit"):
            call(X.assign(age=X["age"].astype(str)))
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        assert quality_scorer(model, X.to_numpy()) == pytest.approx(model.score(X))
    with pytest.raises(TypeError, match="no sample method"):
        quality_scorer(DecisionTreeClassifier(), X)


def test_scorers_pickle(fitted_vae):
    # they held lambdas, so a fitted search using them could not be saved
    import pickle

    model, X, y = fitted_vae
    for scorer in (quality_scorer, column_shapes_scorer, detection_scorer, tstr_scorer):
        assert pickle.loads(pickle.dumps(scorer))(model, X, y) == scorer(model, X, y)


def test_scorers_drive_a_grid_search(halves):
    a, _ = halves
    X = a.drop(columns="income").iloc[:600]
    search = GridSearchCV(
        FAST["vae"](random_state=0),
        {"latent_dim": [2, 8]},
        scoring={"quality": quality_scorer, "detection": detection_scorer},
        refit="quality",
        cv=2,
    ).fit(X)
    results = pd.DataFrame(search.cv_results_)
    assert results["mean_test_detection"].between(0, 1).all()
    assert search.best_params_["latent_dim"] in (2, 8)


def test_scorers_take_a_pipeline_ending_in_a_synthesizer(halves):
    # scored as Pipeline.score does (X through the steps before the synthesizer); the
    # scorers refused a Pipeline, so GridSearchCV(pipeline, scoring=quality_scorer) failed
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    a, _ = halves
    X = a[["age", "hours-per-week", "sex"]].iloc[:400]
    halve = ColumnTransformer(
        [("half", FunctionTransformer(lambda T: T / 2), ["age"])],
        remainder="passthrough",
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    pipe = make_pipeline(halve, FAST["vae"](random_state=0)).fit(X)
    assert quality_scorer(pipe, X) == pytest.approx(pipe.score(X))
    model = pipe[-1]
    assert quality_scorer(pipe, X) == pytest.approx(quality_scorer(model, halve.transform(X)))
    assert quality_scorer(pipe, X) != pytest.approx(quality_scorer(model, X))
    search = GridSearchCV(
        pipe, {"vaesynthesizer__latent_dim": [2, 4]}, scoring=quality_scorer, cv=2
    ).fit(X)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    nested = make_pipeline(halve, make_pipeline("passthrough", model))
    assert quality_scorer(nested, X) == pytest.approx(nested.score(X))
    with pytest.raises(TypeError, match="got Pipeline, which has no sample method"):
        quality_scorer(make_pipeline(DecisionTreeClassifier()), X)


def test_privacy_score_of_copies_with_a_smaller_holdout(adult):
    # the training rows were cut to the holdout's number: copies of the rows cut away
    # scored well (0.725 for 2,000 training rows against 500 held out)
    train, holdout = adult.iloc[:2000], adult.iloc[2000:2500]
    assert privacy_score(train, train, holdout) == 0.0
    assert privacy_score(train, adult.iloc[2500:3500], holdout) > 0.8
    report = evaluate(train.iloc[:1200], train.iloc[:1200].copy(), real_test=holdout.iloc[:300])
    assert report.summary.loc["privacy_score", "synthetic"] == 0.0  # 0.74 before
    # exact ties: a holdout of the same rows shuffled, every synthetic row shifted
    shuffled = train.sample(frac=1, random_state=3).reset_index(drop=True)
    moved = train.iloc[:500].assign(age=lambda d: d["age"] + 0.37)
    assert privacy_score(train, moved, shuffled) == 1.0  # 0.998 from float noise
    with pytest.raises(ValueError, match="privacy_score's random_state must be an int"):
        privacy_score(train, moved, holdout, random_state="x")


def _labelled(n, seed, labels=("no", "yes")):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame({"x": x, "z": rng.normal(size=n), "y": np.where(x > 0.3, *labels[::-1])})


def test_tstr_does_not_depend_on_row_order_or_on_which_class_is_missing():
    test = _labelled(400, 0, (0.5, 1.5))
    synth = _labelled(400, 1, (0.5, 1.5))
    ordered = synth.sort_values("y", ascending=False)
    # fractional labels were coded in order of appearance: the positive class of "f1"
    # was whichever came second in the synthetic table
    f1 = [tstr_score(test, s, "y", scoring="f1", discrete_columns=["y"]) for s in (synth, ordered)]
    assert f1[0] == f1[1]
    # two synthetic tables that miss one test class each, with the same information
    test, synth = _labelled(400, 0), _labelled(400, 1)
    without_no = synth.assign(y=synth["y"].replace({"no": "maybe"}))
    without_yes = synth.assign(y=synth["y"].replace({"yes": "maybe"}))
    aucs = [tstr_score(test, s, "y") for s in (without_no, without_yes)]
    assert aucs[0] == pytest.approx(aucs[1]) and aucs[0] > 0.9  # 1.0 and 0.5 before


def test_tstr_checks_and_seeds(halves):
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sksynth.metrics._utility import seeded_clone

    test, synth = _labelled(300, 0), _labelled(300, 1)
    forest = RandomForestClassifier(n_estimators=5)  # unseeded: seeded by random_state
    assert len({tstr_score(test, synth, "y", estimator=forest) for _ in range(3)}) == 1
    # inside a pipeline too (three calls gave 0.7776, 0.7763 and 0.7662)
    piped = make_pipeline(StandardScaler(), RandomForestClassifier(n_estimators=5))
    assert len({tstr_score(test, synth, "y", estimator=piped) for _ in range(3)}) == 1
    assert len({detection_score(test, synth, estimator=piped) for _ in range(3)}) == 1
    seeded = make_pipeline(StandardScaler(), RandomForestClassifier(random_state=7))
    assert seeded_clone(seeded, 0).get_params()["randomforestclassifier__random_state"] == 7
    numeric = {"y": lambda d: d["y"].eq("yes").astype(int)}
    cases = [
        ({"target": ["y"]}, "target must be one column label; got \\['y'\\]"),
        ({"target": "y", "estimator": LinearRegression()}, "is a regressor; pass a classifier"),
        ({"target": "y", "random_state": -1}, "tstr_score's random_state must be an int"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValueError, match=message):
            tstr_score(test, synth, **kwargs)
    with pytest.raises(ValueError, match="is numeric, but the estimator .* is a classifier"):
        tstr_score(test.assign(**numeric), synth.assign(**numeric), "y",
                   estimator=LogisticRegression())  # fmt: skip
    with pytest.raises(ValueError, match="no column besides the target 'y'"):
        tstr_score(test[["y"]], synth[["y"]], "y")
    a, b = halves
    with pytest.raises(ValueError, match="evaluate's random_state must be an int"):
        evaluate(a, b, random_state=np.random.default_rng(0))


def test_continuous_columns_holding_text_are_refused():
    # a verbatim copy with "k" as text: copy rate 0 (text against numbers) while the
    # distances read the text as numbers (0); declared continuous, "is discrete" was said
    rng = np.random.default_rng(0)
    real = pd.DataFrame({"x": rng.normal(size=60), "k": rng.integers(0, 9, 60)})
    with pytest.raises(ValueError, match="'k' is continuous, but holds text in synthetic"):
        evaluate(real, real.astype({"k": str}))
    text = real.astype({"k": str})
    with pytest.raises(ValueError, match="'k' is continuous, but holds text in real"):
        evaluate(text, real, discrete_columns=[])
    assert exact_copy_rate(text, text, discrete_columns=["k"]) == 1.0


def test_the_report_says_which_tstr_metric_and_names_a_numeric_target(halves, tmp_path):
    a, b = halves
    a, b = a.iloc[:600], b.iloc[:600]
    numeric = evaluate(a, b, target="age", real_test=b.iloc[:200])
    assert (
        "max(R^2, 0) of a regressor ('age' is numeric"
        in numeric.summary.loc["tstr_score", "meaning"]
    )
    numeric.to_html(tmp_path / "r.html")
    assert "<h2>Target: age</h2>" in (tmp_path / "r.html").read_text()  # "Target" alone before
    labels = evaluate(a, b, target="income", real_test=b.iloc[:200])
    assert "ROC AUC of a classifier" in labels.summary.loc["tstr_score", "meaning"]


def test_scorers_take_one_step_pipelines_and_fitted_searches(halves):
    # a one-step pipeline raised AttributeError ('Pipeline' has no attribute
    # 'transform'): NaN scores in a search; a fitted search was "no sample method"
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import Pipeline

    a, _ = halves
    X = a[["age", "hours-per-week", "sex"]].iloc[:300]
    pipe = Pipeline([("vae", FAST["vae"](random_state=0))]).fit(X)
    assert quality_scorer(pipe, X) == pytest.approx(pipe.score(X))
    inner = GridSearchCV(FAST["vae"](random_state=0), {"latent_dim": [2, 4]}, cv=2).fit(X)
    assert quality_scorer(inner, X) == pytest.approx(inner.best_estimator_.score(X))
    scores = cross_val_score(inner, X, cv=2, scoring=quality_scorer)
    assert np.isfinite(scores).all()


def test_scorers_call_the_target_y_and_keep_a_column_of_its_internal_name(halves):
    # errors named the target '__target__', and a column of that name was replaced by y
    a, _ = halves
    X = a.drop(columns="income").iloc[:300].rename(columns={"sex": "__target__"})
    y = a["income"].iloc[:300]
    model = FAST["vae"](random_state=0).fit(X, y)
    assert quality_scorer(model, X, y) == pytest.approx(model.score(X, y))
    numbers = X.rename(columns={"__target__": "y"})
    hours = a["hours-per-week"].iloc[:300].astype(float) + 0.5
    continuous = FAST["vae"](random_state=0).fit(numbers.drop(columns="hours-per-week"), hours)
    assert quality_scorer(continuous, numbers.drop(columns="hours-per-week"), hours) == (
        pytest.approx(continuous.score(numbers.drop(columns="hours-per-week"), hours))
    )
    with pytest.raises(ValueError, match="Column 'y_y' of real holds infinity"):
        quality_scorer(continuous, numbers.drop(columns="hours-per-week"), hours.replace(
            hours.iloc[0], np.inf))  # fmt: skip


def test_privacy_score_counts_ties_at_the_training_share_and_takes_none_seeds():
    # every row ties in a table of two two-valued columns: ties counted half gave a
    # fresh sample 0.556 with 100 training rows against 900 held out
    rng = np.random.default_rng(0)

    def table(n):
        return pd.DataFrame({"c": rng.choice(["a", "b"], n), "d": rng.choice(["x", "y"], n)})

    for n_train, n_holdout in [(100, 900), (200, 200), (900, 100)]:
        assert privacy_score(table(n_train), table(300), table(n_holdout)) == 1.0
    real, holdout = table(200), table(200)
    for seed in (None, np.random.RandomState(0)):  # refused for a while: int only
        assert privacy_score(real, table(50), holdout, random_state=seed) == 1.0
        assert evaluate(real, table(50), random_state=seed).summary.shape[0] > 5
    with pytest.raises(ValueError, match="must be an int >= 0, a RandomState instance or None"):
        detection_score(real, table(50), random_state=np.random.default_rng(0))


def test_a_continuous_column_mixing_text_with_numbers_is_refused_too():
    real = pd.DataFrame({"x": [1.0, 2.0, 3.0] * 10, "k": np.arange(30)})
    mixed = real.astype({"k": object})
    mixed.loc[0, "k"] = "2"  # infer_dtype: "mixed-integer", no kind
    with pytest.raises(ValueError, match="'k' is continuous, but holds text in synthetic"):
        column_shapes(real, mixed, discrete_columns=[])
