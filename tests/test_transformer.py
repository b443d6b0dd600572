import inspect
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import mixed_frames
from hypothesis import HealthCheck, example, given, settings
from sklearn.utils.estimator_checks import parametrize_with_checks

from sksynth import TableTransformer
from sksynth.utils.estimator_checks import expected_failed_checks


@parametrize_with_checks(
    [TableTransformer(max_fit_samples=200)], expected_failed_checks=expected_failed_checks
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_adult_round_trip_is_exact(adult):
    tt = TableTransformer(random_state=0).fit(adult)
    Z = tt.transform(adult)
    assert Z.dtype == np.float32
    assert Z.shape == (len(adult), tt.n_output_features_)
    pd.testing.assert_frame_equal(tt.inverse_transform(Z), adult)
    assert len(tt.get_feature_names_out()) == Z.shape[1]


def test_spans_tile_the_output(mixed):
    tt = TableTransformer(random_state=0).fit(mixed)
    spans = tt.output_spans_
    assert spans[0].start == 0 and spans[-1].stop == tt.n_output_features_
    assert all(a.stop == b.start for a, b in zip(spans[:-1], spans[1:]))
    kinds = {(s.column, s.kind) for s in spans}
    assert ("f", "missing") in kinds and ("i", "mode") in kinds and ("c", "category") in kinds
    assert ("i", "missing") not in kinds
    assert tt.discrete_columns_ == ["b", "c", "s"]


WIDE = np.random.default_rng(0).integers(0, 6 * 10**8, 2000)  # 19 years in seconds


@pytest.mark.parametrize(
    "values",
    [
        pd.to_datetime("2000-01-01") + pd.to_timedelta(WIDE, unit="s"),
        pd.to_datetime("2020-01-01", utc=True) + pd.to_timedelta(WIDE * 1000 + 7, unit="ns"),
        WIDE + 946_684_800,  # epoch seconds
        pd.array(np.r_[WIDE * 1000 - 10**11, [None]], dtype="Int64"),
        WIDE * 1000 + 2**62,  # beyond float64's exact integers
        WIDE.astype(np.uint64) * 1000 + np.uint64(2**63 + 5),  # beyond int64's range
        pd.array(np.r_[WIDE.astype(np.uint64) + np.uint64(2**64 - 2**30), [None]], dtype="UInt64"),
    ],
    ids=[
        "seconds-over-19-years",
        "tz-nanoseconds",
        "epoch-seconds",
        "Int64-NA",
        "near-2**62",
        "uint64-above-2**63",
        "UInt64-NA-near-2**64",
    ],
)
def test_wide_integers_round_trip_exactly(values):
    # float32 holds 24 bits: these columns get a residual span that keeps them exact
    column = pd.Series(values)
    frame = pd.DataFrame({"w": column, "x": np.random.default_rng(1).normal(size=len(column))})
    tt = TableTransformer(random_state=0).fit(frame)
    kinds = [s.kind for s in tt.output_spans_ if s.column == "w"]
    assert kinds[0] == "scalar" and kinds[-1] == "residual"
    assert "w__residual" in tt.get_feature_names_out()
    Z = tt.transform(frame)
    assert Z.dtype == np.float32
    back = tt.inverse_transform(Z)
    assert back["w"].dtype == frame["w"].dtype
    assert back["w"].equals(frame["w"])


@pytest.mark.parametrize(
    "values",
    [
        np.r_[0, 2**63 - 1, np.random.default_rng(3).integers(0, 2**63 - 1, 300)],
        np.r_[-(2**63), 2**63 - 1, np.random.default_rng(3).integers(-(2**62), 2**62, 300)],
        np.r_[
            np.array([0, 2**64 - 1], dtype=np.uint64),
            np.random.default_rng(3).integers(0, 2**63, 300).astype(np.uint64),
        ],
        pd.to_datetime(np.r_[-(2**63) + 1, 2**63 - 1, np.arange(300) * 2**55], unit="ns"),
    ],
    ids=["int64-from-0", "int64-full-range", "uint64-full-range", "datetime-ns-full-range"],
)
def test_columns_wider_than_float64_come_back_close_without_wrapping(values):
    # beyond 2**53 steps a round trip cannot be exact; values stay within float64's
    # rounding of the span, and none wraps around the dtype's bounds
    frame = pd.DataFrame({"w": pd.Series(values)})
    with pytest.warns(UserWarning, match="Column 'w' spans .* more than the 2\\*\\*53"):
        tt = TableTransformer(random_state=0).fit(frame)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # numpy's "invalid value in cast"
        back = tt.inverse_transform(tt.transform(frame))["w"]
    assert back.dtype == frame["w"].dtype
    if back.dtype.kind == "M":
        back, original = back.astype("int64"), frame["w"].astype("int64")
    else:
        original = frame["w"]
    back, original = ([int(v) for v in s] for s in (back, original))  # Python ints: no overflow
    error = max(abs(a - b) for a, b in zip(back, original))
    assert error <= (max(original) - min(original)) / 2**20


@pytest.mark.parametrize(
    "values, n_residuals",
    [
        (np.random.default_rng(2).integers(0, 2**52, 2000), 2),
        (pd.to_datetime("2020-01-01") + pd.to_timedelta(WIDE * 10**7 + 1, unit="ns"), 2),
        (pd.to_datetime("2000-01-01") + pd.to_timedelta(WIDE * 10**6 + WIDE % 997, "us"), 1),
    ],
    ids=["ints-to-2**52", "nanoseconds-over-69-days", "microseconds-over-19-years"],
)
def test_residual_in_two_parts_when_wider_than_float32(values, n_residuals):
    # a residual above 2**23 is split into a high part and the low 23 bits
    frame = pd.DataFrame({"w": pd.Series(values)})
    tt = TableTransformer(random_state=0).fit(frame)
    assert sum(s.kind == "residual" for s in tt.output_spans_) == n_residuals
    assert tt.inverse_transform(tt.transform(frame))["w"].equals(frame["w"])
    names = list(tt.get_feature_names_out())
    assert len(set(names)) == len(names)
    parts = ["w__residual"] if n_residuals == 1 else ["w__residual_high", "w__residual_low"]
    assert names[-n_residuals:] == parts


def test_atoms_stay_exact_whatever_the_residual():
    # amounts in cents, half of them 0 (an atom): a residual never moves an atom
    rng = np.random.default_rng(0)
    cents = np.where(rng.random(2000) < 0.5, 0, rng.integers(1, 10**10, 2000))
    frame = pd.DataFrame({"cents": cents})
    tt = TableTransformer(random_state=0).fit(frame)
    Z = tt.transform(frame)
    residuals = [s.start for s in tt.output_spans_ if s.kind == "residual"]
    assert residuals
    Z[:, residuals] = 0.3
    back = tt.inverse_transform(Z)["cents"]
    assert (back[cents == 0] == 0).all() and (back[cents != 0] != 0).all()


def test_columns_far_from_zero():
    # a mixture fitted on 1e12 + ids or 1e9 + noise once failed (its variances cancelled)
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {"id": rng.integers(10**12, 10**12 + 1000, 300), "f": 1e9 + rng.normal(size=300)}
    )
    tt = TableTransformer(random_state=0).fit(X)
    Z = tt.transform(X)
    back = tt.inverse_transform(Z)
    assert back["id"].equals(X["id"])
    np.testing.assert_allclose(back["f"], X["f"], rtol=0, atol=1e-5)
    # the modes are as wide as the spread, not the magnitude: scalars are not squashed
    scalars = [s.start for s in tt.output_spans_ if s.kind == "scalar"]
    assert (Z[:, scalars].std(axis=0) > 0.05).all()


def test_wide_ints_given_in_another_dtype_than_in_fit():
    # the origin was cast to the new dtype: OverflowError, or on numpy 1.x a silent wrap
    rng = np.random.default_rng(0)
    big = pd.DataFrame({"u": rng.integers(2**63, 2**63 + 2**40, 100, dtype=np.uint64)})
    tt = TableTransformer(random_state=0).fit(big)
    np.testing.assert_array_equal(tt.transform(big.astype(object)), tt.transform(big))
    with pytest.raises(ValueError, match="Column 'u' holds negative values"):
        tt.transform(pd.DataFrame({"u": np.arange(-50, 50)}))
    low = pd.DataFrame({"i": rng.integers(-(2**62), -(2**62) + 2**40, 100)})
    tt = TableTransformer(random_state=0).fit(low)
    np.testing.assert_array_equal(tt.transform(low.astype("Int64")), tt.transform(low))
    above = tt.inverse_transform(tt.transform(pd.DataFrame({"i": np.arange(5, dtype=np.uint64)})))
    assert (above["i"] == low["i"].max()).all()  # beyond the fitted range: clipped


def test_offsets_from_an_origin_are_exact_at_the_dtype_bounds():
    from sksynth.preprocessing._columns import _offsets

    rng = np.random.default_rng(0)
    for dtype, low, high in ((np.int64, -(2**63), 2**63 - 1), (np.uint64, 0, 2**64 - 1)):
        values = np.r_[np.array([low, high], dtype=dtype), rng.integers(low, high, 50, dtype=dtype)]
        for origin in (low, high, 0, low + 12345, high - 7):
            for step in (1, 7, 86_400 * 10**9):
                expected = [float((int(v) - origin) // step) for v in values]
                np.testing.assert_array_equal(_offsets(values, origin, step), expected)


@pytest.mark.parametrize("scale", [1e-4, 1e-8, 1e-200, 1e120, 1e160, 1e301, 2e307])
def test_encoding_does_not_depend_on_the_unit(scale):
    # rates in [0, 1e-4] were squashed into a sliver of their modes (a variance floor of
    # 1e-6), so samples piled up at the bounds; beyond 1e154 the mixture's squares
    # overflowed and every value decoded as missing; near float64's limit (values to
    # 1.4e308, both signs) differences and widths overflowed: every value came back
    # missing, and drawn rows only at the bounds
    rng = np.random.default_rng(0)
    x = np.r_[rng.normal(size=300), rng.normal(5, 0.5, size=200)]
    unit = TableTransformer(random_state=0).fit(pd.DataFrame({"c": x}))
    X = pd.DataFrame({"c": x * scale})
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow
        tt = TableTransformer(random_state=0).fit(X)
        Z = tt.transform(X)
        back = tt.inverse_transform(Z)["c"]
    np.testing.assert_allclose(Z, unit.transform(pd.DataFrame({"c": x})), rtol=0, atol=1e-4)
    np.testing.assert_allclose(back, X["c"], rtol=1e-6)


def test_atoms_and_bounds_exact_near_the_float64_limit():
    big = np.finfo(np.float64).max
    rng = np.random.default_rng(0)
    # atoms: 0, the largest float and the smallest (subnormal: not exact in units of 2**24)
    tiny = np.nextafter(0.0, 1.0)
    spread = rng.uniform(-1, 1, 60) * 1.5e308
    values = np.r_[np.zeros(40), np.full(20, big), np.full(20, tiny), spread]
    X = pd.DataFrame({"c": values})
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow
        tt = TableTransformer(random_state=0).fit(X)
        Z = tt.transform(X)
        back = tt.inverse_transform(Z)["c"].to_numpy()
    assert tt._encoders["c"].unit_ == 2.0**24
    assert (back[:40] == 0).all() and (back[40:60] == big).all() and (back[60:80] == tiny).all()
    np.testing.assert_allclose(back[80:], values[80:], rtol=1e-6, atol=1e301)
    Z[:, [s.start for s in tt.output_spans_ if s.kind == "scalar"]] = 5.0  # far beyond
    assert np.isfinite(tt.inverse_transform(Z)["c"]).all()


def test_narrow_integers_have_no_residual(adult):
    # Adult's widest int column, fnlwgt, stays within float32's exact range of its modes
    tt = TableTransformer(random_state=0).fit(adult)
    assert not any(s.kind == "residual" for s in tt.output_spans_)


def test_mixed_round_trip(mixed):
    mixed.columns.name = "feature"  # kept, as pandas' own operations keep it
    tt = TableTransformer(random_state=0).fit(mixed)
    back = tt.inverse_transform(tt.transform(mixed.set_index(mixed.index + 100)))
    pd.testing.assert_frame_equal(back, mixed, check_exact=False, rtol=1e-5)


def test_atoms_are_exact_and_values_bounded(adult):
    tt = TableTransformer(random_state=0).fit(adult[["capital-gain", "age"]])
    rng = np.random.default_rng(0)
    noise = rng.normal(scale=3.0, size=(5000, tt.n_output_features_)).astype(np.float32)
    out = tt.inverse_transform(noise)
    for col in ["capital-gain", "age"]:
        assert out[col].between(adult[col].min(), adult[col].max()).all()
        assert out[col].dtype == np.int64
    # zeros are an atom: a zero row decodes to exactly zero
    Z = tt.transform(adult[["capital-gain", "age"]].head(50))
    back = tt.inverse_transform(Z)
    assert (back["capital-gain"] == adult["capital-gain"].head(50)).all()


def test_noisy_output_is_a_valid_table(mixed):
    tt = TableTransformer(random_state=0).fit(mixed)
    noise = np.random.default_rng(1).normal(size=(300, tt.n_output_features_))
    out = tt.inverse_transform(noise)
    assert list(out.dtypes) == list(mixed.dtypes)
    assert set(out["c"].dropna()) <= set(mixed["c"].dropna())
    assert set(out["s"].dropna()) <= set(mixed["s"].dropna())
    assert out["i"].between(mixed["i"].min(), mixed["i"].max()).all()


def test_numpy_arrays():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    tt = TableTransformer(random_state=0).fit(X)
    back = tt.inverse_transform(tt.transform(X))
    assert isinstance(back, np.ndarray) and back.dtype == X.dtype
    np.testing.assert_allclose(back, X, rtol=1e-5, atol=1e-6)
    Xo = rng.choice(["a", "b", "c"], size=(40, 2)).astype(object)
    tt = TableTransformer().fit(Xo)
    assert all(s.kind == "category" for s in tt.output_spans_)
    back = tt.inverse_transform(tt.transform(Xo))
    assert back.dtype == object and (back == Xo).all()


def test_object_array_keeps_its_missing_marker():
    # pandas 3 read an object array of strings as str, so None came back as NaN
    X = np.array([["a", None], ["b", "x"], [None, "y"], ["a", "x"]] * 10, dtype=object)
    tt = TableTransformer(random_state=0).fit(X)
    back = tt.inverse_transform(tt.transform(X))
    assert back.dtype == object
    assert all(a is None if b is None else a == b for a, b in zip(back.ravel(), X.ravel()))


def test_object_numbers_warn_under_auto():
    # df.to_numpy() of a mixed table: every column is object, numbers become categories
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"c": rng.choice(["a", "b"], 300), "f": rng.normal(size=300)})
    with pytest.warns(UserWarning, match="Column 1 is an object column of 300 distinct"):
        TableTransformer().fit(frame.to_numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TableTransformer().fit(frame)  # numbers in a float column
        TableTransformer(discrete_columns=[0, 1]).fit(frame.to_numpy())  # asked for


def test_identifier_columns_warn():
    # every value distinct: each synthetic value copies a real one (100 % in the audit)
    X = pd.DataFrame({"user": [f"u{k}" for k in range(300)], "n": np.arange(300)})
    with pytest.warns(UserWarning, match="Column 'user' is discrete with 300 distinct values"):
        TableTransformer().fit(X)
    with pytest.warns(UserWarning, match="Column 'n' is discrete with 300 distinct values"):
        TableTransformer(discrete_columns=["n"]).fit(X[["n"]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TableTransformer().fit(X.assign(user=[f"u{k % 100}" for k in range(300)]))


def test_discrete_columns_by_name_and_index(mixed):
    tt = TableTransformer(discrete_columns=["i", 3, "c", "s"]).fit(mixed)
    assert tt.discrete_columns_ == ["i", "b", "c", "s"]
    assert tt.discrete_columns == ["i", 3, "c", "s"]  # parameter untouched


def test_high_cardinality_and_constant_columns():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"id": [f"u{k}" for k in rng.integers(0, 500, 2000)], "k": 3, "z": 1.5})
    tt = TableTransformer(random_state=0).fit(X)
    pd.testing.assert_frame_equal(tt.inverse_transform(tt.transform(X)), X)


@pytest.mark.parametrize(
    "frame, match",
    [
        (pd.DataFrame({"a": []}), "empty"),
        (pd.DataFrame({"a": [np.nan, np.nan], "b": [1.0, 2.0]}), "'a' holds only missing"),
        (pd.DataFrame({"a": [1.0, np.inf]}), "'a' contains inf"),
        (pd.DataFrame({"a": np.array([1j, 2j])}), "'a' has complex dtype"),
        (pd.DataFrame({"a": pd.Series([1, "x", 2.5], dtype=object)}), "'a' is an object column"),
        (pd.DataFrame({"a": pd.period_range("2020-01", periods=2, freq="M")}), "'a' has unsup"),
        (
            pd.DataFrame([[1.0, 2.0, 3.0]], columns=["a", "b", "a"]),
            r"duplicate column names \['a'\]",
        ),
        (pd.DataFrame({"a": pd.Series([[1], [2]] * 40, dtype=object)}), "'a' is an object column"),
    ],
)
def test_bad_tables(frame, match):
    with pytest.raises(ValueError, match=match):
        TableTransformer().fit(frame)


def test_bad_discrete_columns(mixed):
    with pytest.raises(ValueError, match="discrete_columns names 'nope'"):
        TableTransformer(discrete_columns=["nope"]).fit(mixed)
    with pytest.raises(ValueError, match="Column 's' of dtype object is not numeric"):
        TableTransformer(discrete_columns=["b", "c"]).fit(mixed)
    with pytest.raises(ValueError, match="discrete_columns"):
        TableTransformer(discrete_columns="all").fit(mixed)


@pytest.mark.parametrize("name", ["n_modes", "atom_threshold", "random_state"])
def test_a_bool_is_no_number(mixed, name):
    with pytest.raises(ValueError, match=f"'{name}' parameter .* not a bool; got True"):
        TableTransformer(**{name: True}).fit(mixed)  # n_modes=True fitted one mode


@pytest.mark.parametrize(
    "dtype", ["timestamp[us, tz=UTC][pyarrow]", "date32[pyarrow]", "timestamp[ns][pyarrow]"]
)
def test_pyarrow_datetimes_round_trip(dtype):
    # tz-aware arrow timestamps raised numpy's isnat TypeError, dates "dt.unit is not
    # supported", neither naming the column
    pytest.importorskip("pyarrow")
    days = pd.date_range("2020-01-01", periods=60, freq="D", tz="UTC" if "tz=" in dtype else None)
    X = pd.DataFrame({"t": pd.Series(days).astype(dtype), "f": np.arange(60.0)})
    X.loc[3, "t"] = None
    tt = TableTransformer(random_state=0).fit(X)
    assert tt.continuous_columns_ == ["t", "f"]
    back = tt.inverse_transform(tt.transform(X))
    assert back["t"].dtype == X["t"].dtype and back["t"].equals(X["t"])


def test_datetimes_of_another_resolution_are_read_in_the_fitted_one():
    # fitted on datetime64[s], a datetime64[ns] column was counted in seconds: every
    # value came back as one date
    hours = pd.Series(pd.date_range("2020-01-01", periods=50, freq="h"))
    X = pd.DataFrame({"d": hours.astype("datetime64[s]"), "f": np.arange(50.0)})
    tt = TableTransformer(random_state=0).fit(X)
    for unit in ("ms", "us", "ns"):
        other = X.assign(d=hours.astype(f"datetime64[{unit}]"))
        np.testing.assert_array_equal(tt.transform(other), tt.transform(X))


def test_times_between_the_fitted_steps_are_read_as_fractions():
    # fitted on whole hours, 00:30 was read as 00:00 (in the same or a finer unit): a
    # model fitted on hours reads it as half an hour, as it reads 0.5 in a float column
    hours = pd.Series(pd.date_range("2020-01-01", periods=50, freq="h")).astype("datetime64[s]")
    counts = (hours.astype("int64") // 3600).astype(float)
    as_times = TableTransformer(random_state=0).fit(pd.DataFrame({"d": hours}))
    as_floats = TableTransformer(random_state=0).fit(pd.DataFrame({"d": counts}))
    expected = as_floats.transform(pd.DataFrame({"d": counts + 0.5}))
    assert not np.array_equal(expected, as_floats.transform(pd.DataFrame({"d": counts})))
    half = hours + pd.Timedelta(minutes=30)
    for unit in ("s", "ms", "ns"):
        got = as_times.transform(pd.DataFrame({"d": half.astype(f"datetime64[{unit}]")}))
        np.testing.assert_array_equal(got, expected)


def test_datetime_steps_against_exact_fractions():
    from fractions import Fraction

    from sksynth.preprocessing._columns import NumericInfo, _datetime_steps

    rng = np.random.default_rng(0)
    cases = [(1, 1, 0), (3600, 1, 0), (7, 1000, -(2**40) + 3), (60, 10**6, 2**32)]
    for step, finer, origin in cases:
        info = NumericInfo("datetime", step=step, unit="s", origin=origin)
        ints = origin * finer + rng.integers(-(2**35), 2**35, 200) * finer
        ints = ints + rng.integers(0, step * finer, 200)
        expected = [float(Fraction(int(d) - origin * finer, step * finer)) for d in ints]
        np.testing.assert_allclose(_datetime_steps(ints, info, finer), expected, rtol=1e-15)


def test_datetimes_beyond_the_fitted_resolution_name_the_column():
    hours = pd.Series(pd.date_range("2020-01-01", periods=50, freq="h"))
    tt = TableTransformer(random_state=0).fit(pd.DataFrame({"d": hours.astype("datetime64[ns]")}))
    far = pd.Series(np.array(["3000-01-01"] * 5, dtype="datetime64[s]"))
    with pytest.raises(ValueError, match=r"Column 'd' holds datetimes .* \(ns\) cannot hold"):
        tt.transform(pd.DataFrame({"d": far}))


@pytest.mark.parametrize(
    "dtype", ["timedelta64[ns]", "timedelta64[s]", "duration[ms][pyarrow]", "duration[us][pyarrow]"]
)
def test_durations_round_trip_exactly(dtype):
    # timedelta columns were refused ("unsupported dtype"): they are counted in their
    # coarsest exact step, as datetimes are, and come back in their own dtype
    if "pyarrow" in dtype:
        pytest.importorskip("pyarrow")
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "minutes": pd.Series(pd.to_timedelta(rng.integers(-500, 500, 300), unit="min")),
            "ms": pd.Series(pd.to_timedelta(rng.integers(0, 10**9, 300), unit="ms")),
        }
    ).astype(dtype)
    X.loc[[3, 7], "minutes"] = None
    tt = TableTransformer(random_state=0).fit(X)
    assert tt.continuous_columns_ == ["minutes", "ms"]
    info = tt._numeric_info["minutes"]
    assert (
        info.kind == "timedelta"
        and info.step * {"ns": 1, "us": 10**3, "ms": 10**6, "s": 10**9}[info.unit] == 60 * 10**9
    )
    back = tt.inverse_transform(tt.transform(X))
    for column in X:
        assert back[column].dtype == X[column].dtype and back[column].equals(X[column])
    # another resolution is read in the fitted one; another kind of column is refused
    finer = X.astype({"minutes": "timedelta64[ns]"}) if "pyarrow" not in dtype else X
    np.testing.assert_array_equal(tt.transform(finer), tt.transform(X))
    with pytest.raises(ValueError, match=r"Column 'ms' held durations \(timedelta\) during"):
        tt.transform(X.assign(ms=np.arange(300.0)))
    numbers = TableTransformer(random_state=0).fit(X.assign(ms=np.arange(300.0)))
    with pytest.raises(ValueError, match="Column 'ms' held numbers during fit; got dtype"):
        numbers.transform(X)


def test_durations_wider_than_float64_integers_warn_and_come_back_close():
    rng = np.random.default_rng(0)
    wide = pd.DataFrame({"w": pd.to_timedelta(rng.integers(-(2**62), 2**62, 200), unit="ns")})
    with pytest.warns(UserWarning, match="Column 'w' spans .* will come back approximately"):
        tt = TableTransformer(random_state=0).fit(wide)
    back = tt.inverse_transform(tt.transform(wide))["w"]
    assert back.dtype == wide["w"].dtype
    values = wide["w"].to_numpy(float)
    span = values.max() - values.min()  # within a millionth of it, as the warning says
    np.testing.assert_allclose(back.to_numpy(float), values, rtol=0, atol=1e-6 * span)


def test_missing_column_label_is_refused():
    # a NaN label (a pivot of data with missing keys) gave "nan is not in list"
    X = pd.DataFrame({1.5: np.arange(20.0), np.nan: ["x", "y"] * 10})
    with pytest.raises(ValueError, match=r"missing \(NaN\) column label at position \[1\]"):
        TableTransformer().fit(X)
    # pd.NA as a label fitted, then failed in transform ("boolean value of NA is ambiguous")
    X = pd.DataFrame(np.arange(8).reshape(4, 2), columns=pd.Index([1, pd.NA], dtype=object))
    with pytest.raises(ValueError, match=r"missing \(NaN\) column label at position \[1\]"):
        TableTransformer().fit(X)


def test_float16_discrete_column_round_trips():
    # pandas has no float16 Index: "float16 indexes are not supported", no column named
    X = pd.DataFrame({"h": np.array([0.5, 1.5, 0.1, np.nan] * 10, dtype=np.float16)})
    tt = TableTransformer(discrete_columns=["h"]).fit(X)
    pd.testing.assert_frame_equal(tt.inverse_transform(tt.transform(X)), X)


def test_tables_that_are_not_read_column_by_column_are_refused():
    records = np.array(
        [(1, 2.5, b"x"), (2, 3.5, b"y")] * 3, dtype=[("a", "i4"), ("b", "f8"), ("c", "S1")]
    )
    # pandas 3 kept a column of records, which came back as its first record in every row
    for X in (records, records.reshape(-1, 1)):
        with pytest.raises(ValueError, match="X is a structured numpy array"):
            TableTransformer().fit(X)
    with pytest.raises(ValueError, match="Column 'r' has unsupported dtype"):
        TableTransformer().fit(pd.DataFrame({"r": records}))
    if hasattr(np.dtypes, "StringDType"):  # numpy 2
        strings = np.array(["a", "b"] * 5, dtype=np.dtypes.StringDType()).reshape(-1, 1)
        with pytest.raises(ValueError, match=r"pass X.astype\(object\)"):
            TableTransformer().fit(strings)


def test_nested_arrow_columns_are_refused():
    pa = pytest.importorskip("pyarrow")
    X = pd.DataFrame({"l": pd.array([[1], [2, 3]] * 5, dtype=pd.ArrowDtype(pa.list_(pa.int64())))})
    with pytest.raises(ValueError, match="Column 'l' has nested dtype"):
        TableTransformer().fit(X)


def test_transform_errors(mixed):
    tt = TableTransformer(random_state=0).fit(mixed)
    bad = mixed.copy()
    bad["s"] = bad["s"].replace("aa", "zz")
    with pytest.raises(
        ValueError, match=r"Column 's' holds categories not seen during fit: \['zz'\]"
    ):
        tt.transform(bad)
    with pytest.raises(ValueError, match="feature names"):
        tt.transform(mixed.drop(columns="f"))
    clean = mixed.dropna()
    tt = TableTransformer(random_state=0).fit(clean)
    with pytest.raises(ValueError, match="Column 'f' has missing values, but had none"):
        tt.transform(mixed)
    with pytest.raises(ValueError, match="expected"):
        tt.inverse_transform(np.zeros((3, 2)))


def test_unseen_value_of_a_column_of_atoms_names_the_column():
    # ratings 1-5, each frequent: an atom each and no continuous mode; a 6 (or 2.5)
    # raised "a value is not among the atoms of a column without modes"
    X = pd.DataFrame({"rating": np.tile([1, 2, 3, 4, 5], 20), "f": np.arange(100.0)})
    tt = TableTransformer(random_state=0).fit(X)
    for value in (6, 2.5):
        with pytest.raises(ValueError, match=rf"Column 'rating' holds values not seen .*{value}"):
            tt.transform(X.assign(rating=value))


def test_values_never_seen_of_a_wide_few_valued_column_decode_to_values_seen():
    # the mode of values never seen has no residual: its float32 scalar is 10**8 off here
    codes = np.array([0, 3, 10**15, 10**15 + 3], dtype=np.int64)
    X = pd.DataFrame({"code": np.repeat(codes, 10)})
    tt = TableTransformer(max_exact_values=25, random_state=0).fit(X)
    unseen = pd.DataFrame({"code": np.array([1, 10**15 + 2, 10**14, 9 * 10**14], dtype=np.int64)})
    back = tt.inverse_transform(tt.transform(unseen))["code"]
    assert back.isin(codes).all() and back.dtype == np.int64
    assert back.iloc[2] <= 3 and back.iloc[3] >= 10**15


def test_few_valued_int_columns_are_modelled_value_by_value():
    rng = np.random.default_rng(0)
    shares = np.r_[np.full(4, 0.2), np.full(16, 0.2 / 16)]  # 4 values of 20 %, 16 of 1.25 %
    X = pd.DataFrame(
        {
            "grade": rng.choice(np.arange(3, 61, 3), 4000, p=shares),
            "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 20, 4000), "D"),
            "ratio": rng.choice(np.linspace(0.05, 1.0, 20), 4000, p=shares),
        }
    )
    tt = TableTransformer(max_exact_values=25, random_state=0).fit(X)
    grade, when, ratio = (tt._encoders[c] for c in X.columns)
    assert grade.atoms_.tolist() == list(range(3, 61, 3)) and when.atoms_.size == 20
    assert ratio.atoms_.size == 4  # floats keep atom_threshold
    back = tt.inverse_transform(tt.transform(X))
    assert back[["grade", "when"]].equals(X[["grade", "when"]])
    np.testing.assert_allclose(back["ratio"], X["ratio"], rtol=1e-5)
    # a value never seen still encodes, in the one mode kept for such values, which
    # decodes to the nearest value seen, whatever the scalar drawn with it
    unseen = X.head(3).assign(grade=[0, 61, 16])
    assert tt.inverse_transform(tt.transform(unseen))["grade"].tolist() == [3, 60, 15]
    assert grade.snap_ and grade.means_.size == 1 and grade.residual_scales_ == ()
    Z = tt.transform(X.head(200))
    span = next(s for s in tt.output_spans_ if s.column == "grade" and s.kind == "mode")
    Z[:, span.slice] = 0.0
    Z[:, span.stop - 1] = 1.0  # the last mode: values never seen
    Z[:, span.start - 1] = np.linspace(-1, 1, 200)  # its scalar
    drawn = tt.inverse_transform(Z)["grade"]
    assert drawn.isin(range(3, 61, 3)).all() and drawn.nunique() > 5
    assert TableTransformer(random_state=0).fit(X)._encoders["grade"].atoms_.tolist() == [
        3,
        6,
        9,
        12,
    ]
    with pytest.raises(ValueError, match="'max_exact_values' parameter"):
        TableTransformer(max_exact_values=-1).fit(X)


@pytest.mark.parametrize(
    "column, changed, message",
    [
        (
            "d",
            lambda s: s.astype("int64"),
            "datetimes without a time zone during fit; got dtype int64",
        ),
        (
            "d",
            lambda s: s.dt.tz_localize("UTC"),
            "without a time zone during fit; got dtype datetime64",
        ),
        ("d", lambda s: s.astype(str), "datetimes without a time zone during fit; got dtype"),
        ("f", lambda s: s.astype(str), "numbers during fit; got dtype"),
        ("i", lambda s: s > 50, "numbers during fit; got dtype bool"),
    ],
    ids=[
        "datetimes-as-ints",
        "time-zone-added",
        "datetimes-as-strings",
        "floats-as-strings",
        "bools",
    ],
)
def test_transform_refuses_a_continuous_column_of_another_kind(mixed, column, changed, message):
    # datetimes given as their integers were read as tiny offsets and decoded as one date
    clean = mixed.dropna()
    tt = TableTransformer(random_state=0).fit(clean)
    with pytest.raises(ValueError, match=f"Column '{column}' held .*{message}"):
        tt.transform(clean.assign(**{column: changed(clean[column])}))
    # numbers of another dtype, or in an object column, are read as numbers
    same = clean.assign(f=clean["f"].astype(object), i=clean["i"].astype("Int64"))
    np.testing.assert_array_equal(tt.transform(same), tt.transform(clean))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=mixed_frames())
@example(  # once failed with a tolerance relative to each value
    frame=pd.DataFrame(
        {"i0": [974, 212, -565, -658], "f4": [13338.997112, -885.175914, 13948.960107, 9.699954]}
    )
)
def test_round_trip_property(frame):
    tt = TableTransformer(random_state=0).fit(frame)
    back = tt.inverse_transform(tt.transform(frame))
    floats = [c for c in frame.columns if pd.api.types.is_float_dtype(frame[c].dtype)]
    for c in floats:
        # the codes are float32 in a mode's normalised units: the round trip keeps
        # about 1e-7 of the column's scale (9.69995 came back as 9.70006 in a
        # column reaching 13,949), not 1e-7 of each value
        values = frame[c].to_numpy(dtype=float)
        scale = np.nanmax(np.abs(values), initial=1.0)
        np.testing.assert_allclose(
            back[c].to_numpy(dtype=float), values, rtol=1e-5, atol=1e-6 * scale, equal_nan=True
        )
    assert back.dtypes.equals(frame.dtypes)
    # ints, datetimes and discrete columns come back exactly
    pd.testing.assert_frame_equal(back.drop(columns=floats), frame.drop(columns=floats))


@pytest.mark.parametrize(
    "dtype",
    [
        object,
        pd.StringDtype("python"),
        pytest.param("string[pyarrow]", id="string-pyarrow"),
        pytest.param(
            lambda: pd.StringDtype("pyarrow", na_value=np.nan),
            id="str-pyarrow-nan",
            marks=pytest.mark.skipif(
                "na_value" not in inspect.signature(pd.StringDtype).parameters,
                reason="pandas < 2.3 has no NaN-backed string dtype",
            ),
        ),
    ],
)
def test_string_columns_round_trip_with_missing(dtype):
    pytest.importorskip("pyarrow")
    dtype = dtype() if callable(dtype) and not isinstance(dtype, type) else dtype
    frame = pd.DataFrame({"s": pd.Series(["b", "a", None, "c", "a", None], dtype=dtype)})
    transformer = TableTransformer(random_state=0).fit(frame)
    back = transformer.inverse_transform(transformer.transform(frame))
    assert back["s"].dtype == frame["s"].dtype
    pd.testing.assert_series_equal(back["s"], frame["s"])


def test_discrete_datetimes_round_trip():
    # on numpy 1.x the categories of a discrete datetime column were stored as ints,
    # so transform refused the very rows fit saw
    days = pd.to_datetime(["2020-01-02", "2020-01-03", None] * 6)
    X = pd.DataFrame({"d": days, "t": days.tz_localize("UTC"), "f": np.arange(18.0)})
    tt = TableTransformer(discrete_columns=["d", "t"]).fit(X)
    pd.testing.assert_frame_equal(tt.inverse_transform(tt.transform(X)), X)


def test_nearest_mode_is_the_most_probable_mode_first_on_ties():
    # one mode at a time (bounded memory) must pick what the (n, modes) formula picks
    from sksynth.preprocessing._continuous import ContinuousEncoder

    rng = np.random.default_rng(0)
    for trial in range(60):
        k = int(rng.integers(1, 11))
        encoder = ContinuousEncoder.__new__(ContinuousEncoder)
        encoder.means_ = rng.normal(0, 10, k) * rng.choice([1e-8, 1.0, 1e8])
        encoder.stds_ = rng.random(k) * rng.choice([1e-8, 1.0, 1e8]) + 1e-12
        weights = rng.random(k)
        if trial % 3 == 0:  # identical modes: the first one wins
            encoder.means_[:], encoder.stds_[:], weights[:] = 1.0, 2.0, 1.0
        encoder.log_weights_ = np.log(weights / weights.sum())
        x = rng.normal(0, 10, 500) * rng.choice([1e-8, 1.0, 1e8])
        z = (x[:, None] - encoder.means_) / encoder.stds_
        scores = encoder.log_weights_ - np.log(encoder.stds_) - 0.5 * z * z
        np.testing.assert_array_equal(encoder._nearest_mode(x), np.argmax(scores, axis=1))


def test_inverse_transform_refuses_what_is_not_finite_numbers():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=150), "k": rng.integers(0, 3, 150)})
    tt = TableTransformer(random_state=0).fit(X)
    T = tt.transform(X)
    T[4, 0] = np.nan  # a raw pandas error on the int column before
    with pytest.raises(ValueError, match=r"X holds nan at row 4, column 0; expected finite"):
        tt.inverse_transform(T)
    with pytest.raises(ValueError, match="X must hold numbers; got dtype <U1"):
        tt.inverse_transform(np.full(T.shape, "a"))


def test_a_failed_fit_leaves_the_transformer_unfitted():
    from sklearn.exceptions import NotFittedError

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=50), "k": rng.choice(["p", "q"], 50)})
    tt = TableTransformer(random_state=0).fit(X)
    message = r"Column 'b' holds only missing values \(50 rows of dtype float64\).*drop it"
    with pytest.raises(ValueError, match=message):
        tt.fit(X.assign(b=np.nan))  # its first encoders were new, the spans the old ones
    with pytest.raises(NotFittedError):
        tt.transform(X)
    # a parameter refused before fitting began kept the earlier fit
    tt.fit(X)
    with pytest.raises(ValueError, match="'n_modes' parameter"):
        tt.set_params(n_modes=0).fit(X)
    with pytest.raises(NotFittedError):
        tt.transform(X)
    assert TableTransformer.fit.__doc__.startswith("Fit the per-column encoders.")


def test_column_labels_that_are_not_strings_are_checked():
    # scikit-learn checks string names only: swapped int-labelled columns were each
    # encoded with the other's encoder and came back as 4.0 and 100.0 throughout
    X = pd.DataFrame({0: [1.0, 2.0, 3.0, 4.0] * 10, 1: [100.0, 200.0, 300.0, 400.0] * 10})
    tt = TableTransformer(random_state=0).fit(X)
    for bad in (X[[1, 0]], X.set_axis([7, 8], axis=1)):
        with pytest.raises(ValueError, match="column labels should match those passed during"):
            tt.transform(bad)
    tuples = X.set_axis([("a", 1), ("b", 2)], axis=1)
    assert TableTransformer().fit(tuples).transform(tuples).shape[0] == 40
    # an array keeps being read by position, as scikit-learn reads it
    assert np.array_equal(tt.transform(X.to_numpy()), tt.transform(X))


def test_messages_of_wide_durations_and_of_atoms_alone():
    rng = np.random.default_rng(0)
    wide = pd.DataFrame({"d": pd.to_timedelta(rng.integers(0, 2**60, 50), unit="ns")})
    with pytest.warns(UserWarning, match=r"steps of 1 ns, more than the 2\*\*53"):  # "of 1"
        TableTransformer(random_state=0).fit(wide)
    # 5 was seen once: kept as the only other value, not for being frequent
    tt = TableTransformer(random_state=0).fit(pd.DataFrame({"x": [0] * 99 + [5]}))
    with pytest.raises(ValueError, match=r"kept exactly \(frequent enough .* or the only other"):
        tt.transform(pd.DataFrame({"x": [3]}))


def test_max_fit_samples_below_n_modes():
    # scikit-learn's "Expected n_samples >= n_components" for max_fit_samples of 2 to 9
    X = pd.DataFrame({"a": np.random.default_rng(0).normal(size=100)})
    tt = TableTransformer(max_fit_samples=5, random_state=0).fit(X)
    assert len(tt._encoders["a"].means_) <= 5
    np.testing.assert_allclose(tt.inverse_transform(tt.transform(X))["a"], X["a"], rtol=1e-5)


def test_get_feature_names_out_checks_its_input_as_scikit_learn_does():
    X = pd.DataFrame({"a": np.arange(20.0), "b": ["x", "y"] * 10})
    tt = TableTransformer(random_state=0).fit(X)
    names = tt.get_feature_names_out()
    assert list(tt.get_feature_names_out(["a", "b"])) == list(names)
    with pytest.raises(ValueError, match="input_features is not equal to feature_names_in_"):
        tt.get_feature_names_out(["nope", "b"])  # ignored before


def test_the_object_numbers_warning_gives_advice_that_works():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"num": rng.normal(size=80), "c": rng.choice(["p", "q"], 80)}).astype(object)
    with pytest.warns(UserWarning, match=r"numeric dtype \(X.astype") as caught:
        TableTransformer(random_state=0).fit(X)
    assert "list the discrete" not in str(caught[0].message)  # refused when followed
    tt = TableTransformer(random_state=0).fit(X.astype({"num": float}))
    assert tt.discrete_columns_ == ["c"]
    # an object array has no X.astype({column: ...}): the advice says how, and listing
    # the discrete columns says the column holds numbers (it said "not numeric" alone)
    with pytest.warns(UserWarning, match="pass such a table as a DataFrame with its dtypes"):
        TableTransformer(random_state=0).fit(X.to_numpy())
    with pytest.raises(ValueError, match="it holds numbers: give it a numeric dtype"):
        TableTransformer(discrete_columns=[1]).fit(X.to_numpy())
