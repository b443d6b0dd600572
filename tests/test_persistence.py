import datetime
import decimal
import inspect
import io
import json
import pickle
import zipfile

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import make_mixed

import sksynth
import sksynth._serialize as ser
from sksynth import GANSynthesizer, TableTransformer, VAESynthesizer
from sksynth.exceptions import PersistenceError


@pytest.mark.parametrize(
    "model",
    [
        VAESynthesizer(epochs=2, latent_dim=4, random_state=0),
        GANSynthesizer(epochs=2, batch_size=40, pac=4, random_state=0),
    ],
    ids=["vae", "gan"],
)
def test_save_load_every_dtype_and_labels(model, tmp_path):
    X = make_mixed(200)
    X["tz"] = pd.date_range("2021-03-01", periods=200, freq="h", tz="Europe/Oslo")
    X["str"] = pd.Series(["p", "q"] * 100).astype("str")
    seconds = np.random.default_rng(0).integers(0, 10**9, 200)  # a residual span
    X["wide"] = pd.to_datetime("1990-01-01") + pd.to_timedelta(seconds, unit="s")
    y = pd.Series(["yes", "no", "no", "maybe"] * 50, name="label")
    model.fit(X, y)
    assert "residual" in {s.kind for s in model.transformer_.output_spans_}
    sksynth.save(model, tmp_path / "m.sksynth")
    with zipfile.ZipFile(tmp_path / "m.sksynth") as archive:  # older readers refuse it
        version = json.loads(archive.read("sksynth.json"))["version"]
    assert version == (4 if isinstance(model, GANSynthesizer) else 3)
    loaded = sksynth.load(tmp_path / "m.sksynth")
    assert loaded.get_params() == model.get_params()
    Xa, ya = loaded.sample(60, random_state=4)
    Xb, yb = model.sample(60, random_state=4)
    pd.testing.assert_frame_equal(Xa, Xb)
    pd.testing.assert_series_equal(ya, yb)
    assert list(loaded.classes_) == list(model.classes_)
    assert loaded.score(X, y) == pytest.approx(model.score(X, y))
    # the own sampling stream continues where the saved model was
    pd.testing.assert_frame_equal(loaded.sample(5)[0], model.sample(5)[0])
    assert len(loaded.history_) == 2


def test_numpy_model_round_trip(tmp_path):
    X = torch.randn(120, 3, generator=torch.Generator().manual_seed(0)).numpy()
    model = VAESynthesizer(epochs=2, random_state=0).fit(X)
    sksynth.save(model, tmp_path / "m")
    out = sksynth.load(tmp_path / "m").sample(7, random_state=1)
    assert (out == model.sample(7, random_state=1)).all()


def test_multiindex_columns_round_trip(tmp_path):
    # tuple labels could be fitted and sampled, but not saved
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {("g", "a"): rng.normal(size=40), ("g", "b"): rng.choice(["x", "y"], 40), ("h", 1): 1}
    )
    X.columns.names = ["group", None]  # the level names come back too
    model = VAESynthesizer(epochs=1, random_state=0, discrete_columns=[("g", "b")]).fit(X)
    sksynth.save(model, tmp_path / "m")
    loaded = sksynth.load(tmp_path / "m")
    out = loaded.sample(5, random_state=0)
    assert out.columns.equals(X.columns) and out.columns.names == ["group", None]
    pd.testing.assert_frame_equal(out, model.sample(5, random_state=0))


@pytest.mark.parametrize(
    "columns",
    [
        pd.Index(["a", "b"], dtype=object),
        pd.CategoricalIndex(["a", "b"]),
        pd.Index([10, 20]),
        pd.Index([("a", 1), ("b", 2)], tupleize_cols=False),
        pd.DatetimeIndex(["2020-01-01", "2020-01-02"]).as_unit("s"),
        pd.DatetimeIndex(["2020-01-01", "2020-01-02"]).tz_localize("Europe/Paris"),
    ],
    ids=["object", "categorical", "ints", "flat-tuples", "seconds", "zoned"],
)
def test_the_columns_index_keeps_its_dtype(columns, tmp_path):
    # rebuilt from the labels, pandas 3 read an object index as "str" (so that
    # assert_frame_equal failed against the input), a CategoricalIndex lost its dtype,
    # flat tuples became a MultiIndex; from files datetimes came in another unit or zone
    X = pd.DataFrame({"a": np.linspace(0.0, 1.0, 40), "b": ["x", "y"] * 20})
    X.columns = columns
    model = VAESynthesizer(epochs=1, random_state=0).fit(X)
    out = model.sample(5, random_state=0)
    pd.testing.assert_index_equal(out.columns, X.columns, exact=True)
    pd.testing.assert_frame_equal(out.iloc[:0], X.iloc[:0].reset_index(drop=True))
    sksynth.save(model, tmp_path / "m")
    pd.testing.assert_frame_equal(sksynth.load(tmp_path / "m").sample(5, random_state=0), out)
    tt = TableTransformer().fit(X)
    pd.testing.assert_index_equal(tt.inverse_transform(tt.transform(X)).columns, X.columns)


def test_object_columns_of_dates_decimals_and_bytes(tmp_path):
    # kinds of object columns that fit accepts must save too
    n = 90
    X = pd.DataFrame(
        {
            "f": np.linspace(0.0, 1.0, n),
            "day": pd.Series([datetime.date(2020, 1, 1 + k % 28) for k in range(n)], dtype=object),
            "at": pd.Series(
                [datetime.datetime(2020, 1, 1, k % 24) for k in range(n)], dtype=object
            ),
            "dec": pd.Series([decimal.Decimal(k % 3) / 4 for k in range(n)], dtype=object),
            "raw": pd.Series([b"ab" if k % 3 else b"\x00z" for k in range(n)], dtype=object),
        }
    )
    model = VAESynthesizer(epochs=2, latent_dim=4, random_state=0).fit(X)
    sksynth.save(model, tmp_path / "m")
    loaded = sksynth.load(tmp_path / "m")
    pd.testing.assert_frame_equal(
        loaded.sample(20, random_state=0), model.sample(20, random_state=0)
    )
    assert set(loaded.sample(50)["day"]) <= set(X["day"])


def test_string_dtypes_with_nan_load_on_any_pandas():
    # a model saved under pandas 3 (str: NaN for missing) loads under pandas 2.2, which
    # has no such dtype and keeps such strings as objects
    item = {"string": "python", "na_nan": True}
    if "na_value" in inspect.signature(pd.StringDtype).parameters:
        assert ser.decode_dtype(item) == pd.StringDtype("python", na_value=np.nan)
        assert ser.encode_dtype(ser.decode_dtype(item)) == item
    else:
        assert ser.decode_dtype(item) == np.dtype(object)
        arrow = ser.decode_dtype({"string": "pyarrow", "na_nan": True})
        assert arrow == pd.StringDtype("pyarrow_numpy")
        assert ser.encode_dtype(arrow) == {"string": "pyarrow", "na_nan": True}


def test_bad_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.sksynth"):
        sksynth.load(tmp_path / "nope.sksynth")
    (tmp_path / "text").write_text("hello")
    with pytest.raises(PersistenceError, match="not a sksynth model file"):
        sksynth.load(tmp_path / "text")
    with zipfile.ZipFile(tmp_path / "foreign.zip", "w") as z:
        z.writestr("sksynth.json", json.dumps({"format": "other"}))
        buffer = io.BytesIO()
        torch.save({}, buffer)
        z.writestr("weights.pt", buffer.getvalue())
    with pytest.raises(PersistenceError, match="not a sksynth model file"):
        sksynth.load(tmp_path / "foreign.zip")

    model = VAESynthesizer(epochs=1, random_state=0).fit(make_mixed(60))
    sksynth.save(model, tmp_path / "good")
    with zipfile.ZipFile(tmp_path / "good") as z:
        state = json.loads(z.read("sksynth.json"))
        weights = z.read("weights.pt")
    state["version"] = 99
    with zipfile.ZipFile(tmp_path / "newer", "w") as z:
        z.writestr("sksynth.json", json.dumps(state))
        z.writestr("weights.pt", weights)
    with pytest.raises(PersistenceError, match="newer sksynth"):
        sksynth.load(tmp_path / "newer")

    # weights that would run code when unpickled are refused
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    state["version"] = 1
    with zipfile.ZipFile(tmp_path / "evil", "w") as z:
        z.writestr("sksynth.json", json.dumps(state))
        z.writestr("weights.pt", pickle.dumps(Evil()))
    with pytest.raises(PersistenceError, match="unreadable weights") as caught:
        sksynth.load(tmp_path / "evil")
    # one line, without torch's advice to load with weights_only=False
    assert "\n" not in str(caught.value) and "weights_only" not in str(caught.value)

    # a field missing, or another model's weights: PersistenceError, not KeyError or
    # torch's RuntimeError
    broken = {**state, "fitted": {k: v for k, v in state["fitted"].items() if k != "history"}}
    other = VAESynthesizer(epochs=1, latent_dim=4, random_state=0).fit(make_mixed(60))
    sksynth.save(other, tmp_path / "other")
    with zipfile.ZipFile(tmp_path / "other") as z:
        other_weights = z.read("weights.pt")
    for name, (content, blob) in {
        "missing": (broken, weights),
        "mismatched": (state, other_weights),
    }.items():
        with zipfile.ZipFile(tmp_path / name, "w") as z:
            z.writestr("sksynth.json", json.dumps(content))
            z.writestr("weights.pt", blob)
        with pytest.raises(PersistenceError, match="damaged sksynth model file"):
            sksynth.load(tmp_path / name)

    # a model fitted on an accelerator this machine lacks loads on the CPU (an MPS one
    # raised "MPS is not available"); an unknown device is damage
    for device in ("mps", "cuda:7"):
        moved = {**state, "fitted": {**state["fitted"], "device": device}}
        with zipfile.ZipFile(tmp_path / "moved", "w") as z:
            z.writestr("sksynth.json", json.dumps(moved))
            z.writestr("weights.pt", weights)
        if device == "mps" and getattr(torch.backends, "mps", None):
            if torch.backends.mps.is_available():
                continue
        if device.startswith("cuda") and torch.cuda.device_count() > 7:
            continue
        assert sksynth.load(tmp_path / "moved").device_ == "cpu"
    strange = {**state, "fitted": {**state["fitted"], "device": "tpu"}}
    with zipfile.ZipFile(tmp_path / "strange", "w") as z:
        z.writestr("sksynth.json", json.dumps(strange))
        z.writestr("weights.pt", weights)
    with pytest.raises(PersistenceError, match="damaged .* device must be"):
        sksynth.load(tmp_path / "strange")


def _edited(tmp_path, source, edit):
    """A copy of the model file ``source`` with ``edit`` applied to its JSON state."""
    with zipfile.ZipFile(source) as z:
        state = json.loads(z.read("sksynth.json"))
        weights = z.read("weights.pt")
    edit(state)
    path = tmp_path / "edited.sksynth"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("sksynth.json", json.dumps(state))
        z.writestr("weights.pt", weights)
    return path


def test_load_refuses_files_whose_parts_disagree(tmp_path):
    # an edited file loaded and then sampled a category as missing, or raised an
    # IndexError or a length mismatch when sampling; a text version raised TypeError
    X = make_mixed(120)
    sksynth.save(VAESynthesizer(epochs=1, random_state=0).fit(X), tmp_path / "good")
    with zipfile.ZipFile(tmp_path / "good") as z:
        kinds = {
            name: encoder["kind"]
            for name, encoder in json.loads(z.read("sksynth.json"))["fitted"]["transformer"][
                "encoders"
            ].items()
        }
    discrete = next(name for name, kind in kinds.items() if kind == "discrete")
    continuous = next(name for name, kind in kinds.items() if kind == "continuous")

    def encoders(state):
        return state["fitted"]["transformer"]["encoders"]

    def categories(state, part):  # a categorical column's categories in a recorded dtype
        dtypes = part(state)["container"]["dtypes"]
        return next(d["category"] for d in dtypes if isinstance(d, dict) and "category" in d)

    edits = {
        # loaded without a word before (the category still in the encoder)
        "a category dropped from the input's dtype": lambda s: categories(
            s, lambda s: s["fitted"]
        ).pop(0),
        "a category dropped from the transformer's": lambda s: categories(
            s, lambda s: s["fitted"]["transformer"]
        ).pop(0),
        "a category dropped": lambda s: encoders(s)[discrete]["categories"].pop(),
        "a mode's mean dropped": lambda s: encoders(s)[continuous]["means_"].pop(),
        "a column dropped": lambda s: s["fitted"]["container"]["columns"].pop(),
        # sampled a column named apart from feature_names_in_
        "a column renamed": lambda s: s["fitted"]["container"]["columns"][0].__setitem__(
            1, "renamed"
        ),
        "more features": lambda s: s["fitted"].__setitem__("n_features_in", 99),
    }
    for edit in edits.values():
        with pytest.raises(PersistenceError, match="damaged sksynth model file"):
            sksynth.load(_edited(tmp_path, tmp_path / "good", edit))
    with pytest.raises(PersistenceError, match="no valid format version"):
        sksynth.load(_edited(tmp_path, tmp_path / "good", lambda s: s.update(version="3")))


def test_load_refuses_classes_that_disagree(tmp_path):
    # a file whose classes or class probabilities were edited loaded, and sampled
    # labels its classes_ lacked, or one class only
    X = make_mixed(120)
    y = np.where(np.arange(120) % 3, "yes", "no")
    sksynth.save(VAESynthesizer(epochs=1, random_state=0).fit(X, y), tmp_path / "good")
    fitted = lambda s: s["fitted"]  # noqa: E731
    edits = {
        "classes \\['yes'\\] disagree": lambda s: fitted(s)["classes"].pop(0),
        "classes \\['no', 'yep'\\] disagree": lambda s: fitted(s).update(
            classes=[["str", "no"], ["str", "yep"]]
        ),
        "unknown value tag 'n'": lambda s: fitted(s).update(classes=["no"]),
        "InvalidOperation": lambda s: fitted(s).update(classes=[["decimal", "zz"]]),
        r"probabilities \[1.0\] do not fit": lambda s: fitted(s).update(class_probs=[1.0]),
        r"probabilities \[0.9, 0.9\] do not fit": lambda s: fitted(s).update(
            class_probs=[0.9, 0.9]
        ),
        "class probabilities but no classes": lambda s: fitted(s).update(classes=None),
    }
    for message, edit in edits.items():
        with pytest.raises(PersistenceError, match=f"damaged .*{message}"):
            sksynth.load(_edited(tmp_path, tmp_path / "good", edit))
    assert sksynth.load(tmp_path / "good").classes_.tolist() == ["no", "yes"]
    # an early-stopped model saved before the encoder saw every row: a class only held-out
    # rows held is among classes_ but not encoded; it loads, and refuses that label
    extra = sksynth.load(
        _edited(tmp_path, tmp_path / "good", lambda s: fitted(s)["classes"].append(["str", "zz"]))
    )
    assert extra.classes_.tolist() == ["no", "yes", "zz"]
    assert set(extra.sample(50, random_state=0)[1]) <= {"no", "yes"}
    with pytest.raises(ValueError, match="labels not seen during fit"):
        extra.sample(5, y="zz")


def test_save_rejects_unfitted_and_foreign(tmp_path):
    from sklearn.exceptions import NotFittedError
    from sklearn.linear_model import LinearRegression

    with pytest.raises(NotFittedError):
        sksynth.save(VAESynthesizer(), tmp_path / "x")
    with pytest.raises(TypeError, match="GANSynthesizer or VAESynthesizer"):
        sksynth.save(LinearRegression(), tmp_path / "x")


def test_numpy_parameters_save_as_plain_values(tmp_path, monkeypatch):
    # as GridSearchCV sets them from np.arange: json refused np.int64 (after emptying the
    # file already there), and a random_state of np.int64(3) would have been saved as None
    X = pd.DataFrame({"a": np.arange(60.0), "b": ["p", "q", "r"] * 20})
    model = VAESynthesizer(
        epochs=np.int64(1),
        latent_dim=np.int64(4),
        encoder_sizes=(np.int64(16), np.int64(8)),
        random_state=np.int64(3),
    ).fit(X)
    sksynth.save(model, tmp_path / "m")
    params = sksynth.load(tmp_path / "m").get_params()
    assert params["random_state"] == 3 and type(params["random_state"]) is int
    assert params["encoder_sizes"] == (16, 8) and params["epochs"] == 1

    def refuse(*args, **kwargs):
        raise TypeError("not serializable")

    monkeypatch.setattr(json, "dumps", refuse)
    with pytest.raises(PersistenceError, match="not serializable"):
        sksynth.save(model, tmp_path / "m")
    monkeypatch.undo()
    assert sksynth.load(tmp_path / "m").get_params()["random_state"] == 3

    def full_disk(*args):
        raise OSError(28, "No space left on device")

    # written beside the file and moved over it: a failed write leaves the old file whole
    monkeypatch.setattr("os.replace", full_disk)
    with pytest.raises(OSError, match="No space left"):
        sksynth.save(model, tmp_path / "m")
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]
    assert sksynth.load(tmp_path / "m").get_params()["random_state"] == 3
    with open(tmp_path / "f", "wb") as file:  # an open binary file
        sksynth.save(model, file)
    assert sksynth.load(tmp_path / "f").get_params()["latent_dim"] == 4


def test_a_file_that_would_not_load_is_never_written(tmp_path):
    # a model pickled before fits kept their parameters has only its current ones: a
    # latent_dim set after fit wrote a file that load called damaged
    X = pd.DataFrame({"a": np.arange(60.0), "b": ["p", "q", "r"] * 20})
    model = VAESynthesizer(epochs=1, latent_dim=4, random_state=0).fit(X)
    del model._fit_params
    sksynth.save(model, tmp_path / "m")
    model.set_params(latent_dim=8)
    refused = "(?s)would not load back .* Set them back, or refit"
    with pytest.raises(PersistenceError, match=refused):
        sksynth.save(model, tmp_path / "m")
    assert sksynth.load(tmp_path / "m").get_params()["latent_dim"] == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


def test_tuple_discrete_columns_and_lists_changed_in_place(tmp_path):
    X = pd.DataFrame({"a": np.arange(60.0), "b": ["p", "q", "r"] * 20, "c": [1, 2] * 30})
    model = VAESynthesizer(epochs=1, discrete_columns=("b", "c"), random_state=0).fit(X)
    sksynth.save(model, tmp_path / "m")
    loaded = sksynth.load(tmp_path / "m")
    assert loaded.get_params()["discrete_columns"] == ("b", "c")  # was (['str', 'b'], ...)
    sksynth.save(loaded, tmp_path / "again")  # refused the encoded values before
    model = VAESynthesizer(epochs=1, encoder_sizes=[16], random_state=0).fit(X)
    model.encoder_sizes.append(8)  # in place: still the fitted model's [16] in the file
    with pytest.warns(UserWarning, match="not saved: encoder_sizes"):
        sksynth.save(model, tmp_path / "m")
    assert sksynth.load(tmp_path / "m").get_params()["encoder_sizes"] == [16]


def test_parameters_set_after_fit_are_not_saved(tmp_path):
    # the networks are rebuilt from the saved parameters: saving the new sizes made a
    # file that load called damaged
    X = pd.DataFrame({"a": np.arange(60.0), "b": ["p", "q", "r"] * 20})
    model = VAESynthesizer(epochs=1, latent_dim=4, random_state=0).fit(X)
    expected = model.sample(5, random_state=0)
    model.set_params(latent_dim=8, encoder_sizes=(16,), lr=0.1)
    pd.testing.assert_frame_equal(model.sample(5, random_state=0), expected)
    assert model.transform(X).shape == (60, 4)
    with pytest.warns(
        UserWarning, match="set after fit are not saved: encoder_sizes, latent_dim, lr"
    ):
        sksynth.save(model, tmp_path / "m")
    loaded = sksynth.load(tmp_path / "m")
    assert loaded.get_params()["latent_dim"] == 4
    pd.testing.assert_frame_equal(loaded.sample(5, random_state=0), expected)


def test_load_keeps_set_output_and_the_dtype_of_classes(tmp_path):
    # set_output(transform="pandas") was lost, and object classes came back as <U1
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=100), "b": rng.choice(["p", "q"], 100)})
    for y in (pd.Series(rng.choice(["A", "B"], 100)), np.array(rng.choice(["A", "B"], 100))):
        model = VAESynthesizer(epochs=1, random_state=0).fit(X, y).set_output(transform="pandas")
        sksynth.save(model, tmp_path / "m")
        loaded = sksynth.load(tmp_path / "m")
        assert loaded.classes_.dtype == model.classes_.dtype
        pd.testing.assert_frame_equal(loaded.transform(X), model.transform(X))


def _weights(path):
    with zipfile.ZipFile(path) as z:
        return torch.load(io.BytesIO(z.read("weights.pt")), weights_only=True)


def test_gan_keeps_nothing_of_its_training_rows(tmp_path):
    # the file held, for each discrete column, which training rows hold each
    # category (training-by-sampling's index): every row's discrete values, exactly;
    # the fitted model also kept the whole encoded table in memory
    X = make_mixed(613)
    gan = GANSynthesizer(epochs=1, batch_size=50, pac=5, random_state=0).fit(X)
    assert gan.net_.data_ is None and gan.net_.sampler_._row_order is None
    sksynth.save(gan, tmp_path / "gan.sksynth")
    weights = _weights(tmp_path / "gan.sksynth")
    assert not any(len(X) in v.shape for v in weights.values())  # nothing row by row
    sampler = sorted(k for k in weights if k.startswith("sampler_."))
    assert sampler == [f"sampler_.{k}" for k in ("counts", "data_probs", "offsets", "train_probs")]
    # rows attached to the net (as during training) are not pickled either
    compact = gan.transformer_._transform_compact(gan._internal(X.copy()))
    gan.net_.attach_rows(torch.from_numpy(compact))
    assert gan.net_.sampler_._row_order is not None
    net = pickle.loads(pickle.dumps(gan.net_))
    assert getattr(net, "data_", None) is None and net.sampler_._row_order is None
    # training again indexes the new rows
    gan.fit(X)
    assert gan.net_.sampler_.counts.sum() == len(X) * len(gan.net_.condition_spans_)


def test_gan_files_from_before_version_4_load(tmp_path):
    # they held the training rows' index (and their number); it is dropped at load
    X = make_mixed(120)
    gan = GANSynthesizer(epochs=1, batch_size=40, pac=4, random_state=0).fit(X)
    sksynth.save(gan, tmp_path / "new")
    weights = _weights(tmp_path / "new")
    spans = len(gan.net_.condition_spans_)
    counts = weights["sampler_.counts"].long()
    weights["sampler_.row_order"] = torch.zeros((spans, len(X)), dtype=torch.long)
    weights["sampler_.starts"] = torch.cumsum(counts, 1) - counts
    with zipfile.ZipFile(tmp_path / "new") as z:
        state = json.loads(z.read("sksynth.json"))
    state["version"], state["fitted"]["sampler_rows"] = 3, len(X)
    buffer = io.BytesIO()
    torch.save(weights, buffer)
    with zipfile.ZipFile(tmp_path / "old", "w") as z:
        z.writestr("sksynth.json", json.dumps(state))
        z.writestr("weights.pt", buffer.getvalue())
    loaded = sksynth.load(tmp_path / "old")
    assert loaded.net_.sampler_._row_order is None
    pd.testing.assert_frame_equal(loaded.sample(50, random_state=1), gan.sample(50, random_state=1))


def test_pickles_from_before_the_compact_layout(tmp_path):
    # the GAN's sampler held the rows' index as buffers (then kept on re-pickling and
    # written by save), and the nets' layouts lacked the compact training layout
    # (then transform and score_samples raised AttributeError)
    X = make_mixed(120)
    gan = GANSynthesizer(epochs=1, batch_size=40, pac=4, random_state=0).fit(X)
    vae = VAESynthesizer(epochs=1, random_state=0).fit(X)
    expected = gan.sample(30, random_state=1), vae.transform(X), vae.score_samples(X)
    sampler = gan.net_.sampler_  # as the old code left it
    sampler.register_buffer("row_order", torch.zeros((sampler.n_spans, 120), dtype=torch.long))
    sampler.register_buffer("starts", torch.zeros(sampler.counts.shape, dtype=torch.long))
    sampler.n_rows = 120
    del sampler._row_order, sampler._exact_counts, sampler._starts
    for model in (gan, vae):
        del model.net_.module_.layout.onehot_positions, model.net_.module_.layout.onehot_starts
    gan, vae = pickle.loads(pickle.dumps(gan)), pickle.loads(pickle.dumps(vae))
    assert set(gan.net_.sampler_.state_dict()) == {
        "offsets", "counts", "train_probs", "data_probs"
    }  # fmt: skip
    pd.testing.assert_frame_equal(gan.sample(30, random_state=1), expected[0])
    np.testing.assert_array_equal(vae.transform(X), expected[1])
    np.testing.assert_array_equal(vae.score_samples(X), expected[2])
    sksynth.save(gan, tmp_path / "gan.sksynth")
    assert not any(k.endswith(("row_order", "starts")) for k in _weights(tmp_path / "gan.sksynth"))
    gan.fit(X)  # and it trains again
    assert gan.net_.sampler_.counts.sum() == 120 * gan.net_.sampler_.n_spans


def test_few_valued_columns_in_files(tmp_path):
    # max_exact_values was written among the encoder's parameters, which older
    # versions pass to a TableTransformer that lacks it (TypeError); and an encoder
    # whose mode of unseen values decodes to the nearest value seen reads wrongly there.
    # Neither model uses it by default (benchmarks/bench_exact_values.py measured it);
    # a model set to it is saved and loaded with it
    X = make_mixed(200)
    vae = VAESynthesizer(epochs=1, random_state=0)
    vae._max_exact_values = 25
    vae.fit(X)
    assert vae.transformer_._encoders["x2"].snap_  # "I" (0-4), named x2 inside
    sksynth.save(vae, tmp_path / "m")
    with zipfile.ZipFile(tmp_path / "m") as archive:
        state = json.loads(archive.read("sksynth.json"))
    assert state["version"] == 5
    assert "max_exact_values" not in state["fitted"]["transformer"]["params"]
    loaded = sksynth.load(tmp_path / "m")
    assert loaded.transformer_.max_exact_values == 25 and loaded.transformer_._encoders["x2"].snap_
    pd.testing.assert_frame_equal(loaded.sample(80, random_state=1), vae.sample(80, random_state=1))

    def older(state):  # as versions before max_exact_values wrote it
        del state["fitted"]["transformer"]["max_exact_values"]
        for encoder in state["fitted"]["transformer"]["encoders"].values():
            encoder.pop("snap", None)
        state["version"] = 1

    old = sksynth.load(_edited(tmp_path, tmp_path / "m", older))
    assert old.transformer_.max_exact_values == 0 and not old.transformer_._encoders["x2"].snap_
    # without a column of few values, the file stays readable by older versions
    vae.fit(X.drop(columns="I"))
    sksynth.save(vae, tmp_path / "p")
    with zipfile.ZipFile(tmp_path / "p") as archive:
        assert json.loads(archive.read("sksynth.json"))["version"] == 1
    # by default the column is left to the Gaussian mixture: nothing snapped
    default = VAESynthesizer(epochs=1, random_state=0).fit(X)
    assert default.transformer_.max_exact_values == 0
    assert not default.transformer_._encoders["x2"].snap_


def test_transformers_pickled_before_max_exact_values(tmp_path):
    # they lack the parameter (AttributeError in get_params, repr and save)
    X = make_mixed(100)
    vae = VAESynthesizer(epochs=1, random_state=0)
    vae._max_exact_values = 25
    vae.fit(X)
    assert vae.transformer_._encoders["x2"].snap_  # what the older pickle lacks
    del vae.transformer_.max_exact_values
    for encoder in vae.transformer_._encoders.values():
        vars(encoder).pop("snap_", None)
    vae = pickle.loads(pickle.dumps(vae))
    tt = vae.transformer_
    assert tt.get_params()["max_exact_values"] == 0 and repr(tt).startswith("TableTransformer(")
    assert not tt._encoders["x2"].snap_
    sksynth.save(vae, tmp_path / "m")
    assert sksynth.load(tmp_path / "m").transformer_.max_exact_values == 0


def test_columns_near_the_float64_limit_in_files(tmp_path):
    # modelled in a power-of-two unit (format version 7): older versions, which would
    # read the modes in the column's own units, refuse the file
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"huge": rng.uniform(-1, 1, 80) * 1.5e308, "small": rng.normal(size=80)})
    model = VAESynthesizer(epochs=1, random_state=0).fit(X)
    sksynth.save(model, tmp_path / "m")
    with zipfile.ZipFile(tmp_path / "m") as archive:
        state = json.loads(archive.read("sksynth.json"))
    assert state["version"] == 7
    loaded = sksynth.load(tmp_path / "m")
    assert loaded.transformer_._encoders["x0"].unit_ == 2.0**24
    drawn = loaded.sample(200, random_state=1)
    pd.testing.assert_frame_equal(drawn, model.sample(200, random_state=1))
    assert drawn["huge"].between(X["huge"].min(), X["huge"].max()).all()
    assert drawn["huge"].nunique() > 150  # before: the two bounds only
    for unit in (0.0, -1.0, float("nan")):  # damaged: a ZeroDivisionError, NaN or a constant

        def damage(state, unit=unit):
            encoders = state["fitted"]["transformer"]["encoders"]
            encoders[next(iter(encoders))]["unit"] = unit

        with pytest.raises(PersistenceError, match="unit must be a positive number"):
            sksynth.load(_edited(tmp_path, tmp_path / "m", damage))
    sksynth.save(model.fit(X.assign(huge=X["huge"] / 1e10)), tmp_path / "p")
    with zipfile.ZipFile(tmp_path / "p") as archive:
        assert json.loads(archive.read("sksynth.json"))["version"] == 1


def test_save_and_load_through_a_file_object(tmp_path):
    # save wrote to a binary file object, but load took paths only (a TypeError)
    model = VAESynthesizer(epochs=1, random_state=0).fit(make_mixed(60))
    buffer = io.BytesIO()
    sksynth.save(model, buffer)
    buffer.seek(0)
    loaded = sksynth.load(buffer)
    pd.testing.assert_frame_equal(loaded.sample(5, random_state=0), model.sample(5, random_state=0))
    with pytest.raises(PersistenceError, match="^the file object is not a sksynth model file"):
        sksynth.load(io.BytesIO(b"not a model"))
    (tmp_path / "junk").write_bytes(b"not a model")
    with open(tmp_path / "junk", "rb") as handle, pytest.raises(PersistenceError, match="junk'"):
        sksynth.load(handle)
    sksynth.save(model, tmp_path / "m")
    with open(tmp_path / "m") as handle, pytest.raises(TypeError, match="binary mode .*text mode"):
        sksynth.load(handle)  # "not a sksynth model file" before


def test_duration_columns_in_files(tmp_path):
    # format version 8: older versions would read a continuous duration as floats and
    # could not save a discrete one's categories (Timedelta values)
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "took": pd.to_timedelta(rng.integers(0, 5000, 120), unit="s"),
            "shift": pd.to_timedelta(rng.integers(0, 3, 120), unit="D"),
            "x": rng.normal(size=120),
        }
    )
    model = GANSynthesizer(epochs=1, batch_size=40, random_state=0, discrete_columns=["shift"])
    model.fit(X)
    sksynth.save(model, tmp_path / "m")
    with zipfile.ZipFile(tmp_path / "m") as archive:
        assert json.loads(archive.read("sksynth.json"))["version"] == 8
    loaded = sksynth.load(tmp_path / "m")
    drawn = loaded.sample(50, random_state=2)
    pd.testing.assert_frame_equal(drawn, model.sample(50, random_state=2))
    assert set(drawn["shift"]) <= set(X["shift"]) and drawn["took"].dtype == X["took"].dtype
    day = pd.Timedelta(days=1)
    assert (loaded.sample(5, conditions={"shift": day}, random_state=0)["shift"] == day).all()


def test_load_from_a_pipe_and_save_refusals(tmp_path):
    # load read a non-seekable stream as "not a sksynth model file"; save named its
    # hidden temporary file for a missing folder, and failed on bytes for a text handle
    import subprocess
    import sys

    model = VAESynthesizer(epochs=1, random_state=0).fit(make_mixed(60))
    sksynth.save(model, tmp_path / "m")
    code = (
        "import sys, sksynth\n"
        "m = sksynth.load(sys.stdin.buffer)\n"
        "print(m.sample(3, random_state=0).shape)\n"
    )
    with open(tmp_path / "m", "rb") as handle:
        out = subprocess.run(
            [sys.executable, "-c", code], stdin=handle, capture_output=True, text=True, check=True
        )
    assert out.stdout.strip() == str((3, make_mixed(60).shape[1]))
    with pytest.raises(FileNotFoundError, match="^no such folder .*nodir.* for .*u.sksynth'$"):
        sksynth.save(model, tmp_path / "nodir" / "u.sksynth")
    with pytest.raises(IsADirectoryError, match="is a folder; give a file name"):
        sksynth.save(model, tmp_path)
    with open(tmp_path / "t", "w") as handle, pytest.raises(TypeError, match="binary mode"):
        sksynth.save(model, handle)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m", "t"]


def test_history_values_and_random_states_in_files(tmp_path):
    from skorch.callbacks import Callback

    class Record(Callback):
        def on_epoch_end(self, net, **kwargs):
            net.history.record("m", np.float32(0.5))
            net.history.record("v", np.arange(2))

    X = make_mixed(60)
    model = VAESynthesizer(epochs=1, random_state=0, callbacks=[Record()]).fit(X)
    with pytest.warns(UserWarning, match="callbacks are not saved"):
        sksynth.save(model, tmp_path / "h")  # a TypeError from json before
    loaded = sksynth.load(tmp_path / "h")
    assert loaded.history_[-1, "m"] == 0.5 and loaded.history_[-1, "v"] == [0, 1]

    class Odd(Callback):
        def on_epoch_end(self, net, **kwargs):
            net.history.record("odd", object())

    model = VAESynthesizer(epochs=1, random_state=0, callbacks=[Odd()]).fit(X)
    with pytest.raises(PersistenceError, match="a value a file cannot hold"):
        with pytest.warns(UserWarning, match="callbacks are not saved"):
            sksynth.save(model, tmp_path / "odd")
    # a RandomState: no false "set after fit" warning, and the loss of it said
    model = VAESynthesizer(epochs=1, random_state=np.random.RandomState(0)).fit(X)
    with pytest.warns(UserWarning, match="random_state is a RandomState") as caught:
        sksynth.save(model, tmp_path / "rs")
    assert not any("set after fit" in str(w.message) for w in caught)
    assert sksynth.load(tmp_path / "rs").random_state is None


def test_tuple_categories_save_and_unsavable_categories_name_their_column(tmp_path):
    # tuple categories came back as a MultiIndex ("isna is not defined for
    # MultiIndex", blamed on parameters changed after fit); pd.cut's intervals failed
    # naming no column
    tuples = pd.Index([(1, 2), (3, 4)], tupleize_cols=False)
    X = pd.DataFrame(
        {"pair": pd.Categorical.from_codes([0, 1] * 10, categories=tuples), "z": np.arange(20.0)}
    )
    model = VAESynthesizer(epochs=1, random_state=0).fit(X)
    sksynth.save(model, tmp_path / "t")
    pd.testing.assert_frame_equal(
        sksynth.load(tmp_path / "t").sample(4, random_state=0), model.sample(4, random_state=0)
    )
    binned = pd.DataFrame({"c": pd.cut(np.arange(20.0), 3), "z": np.arange(20.0)})
    model = VAESynthesizer(epochs=1, random_state=0).fit(binned)
    with pytest.raises(PersistenceError, match="^column 'c': cannot save a value of type Interval"):
        sksynth.save(model, tmp_path / "i")
