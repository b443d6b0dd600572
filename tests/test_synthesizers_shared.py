"""Behaviour both synthesizers share (the base class), run for each of them."""

import pickle
import threading

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from conftest import make_mixed, mixed_frames
from hypothesis import HealthCheck, given, settings
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from skorch.callbacks import Callback, EpochTimer, ProgressBar
from synth_helpers import FAST, assert_global_states_untouched, global_states

from sksynth import GANSynthesizer, TableTransformer
from sksynth.exceptions import TrainingDivergedError


def test_dataframe_round_trip_keeps_dtypes(make):
    X = make_mixed(200)
    model = make(random_state=0).fit(X)
    out = model.sample(300, random_state=1)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(X.columns)
    assert out.dtypes.equals(X.dtypes)
    assert out.index.equals(pd.RangeIndex(300))
    assert set(out["c"].dropna()) <= set(X["c"].dropna())
    assert set(out["s"].dropna()) <= set(X["s"].dropna())
    assert out["i"].between(X["i"].min(), X["i"].max()).all()
    assert out["d"].isna().any() and out["f"].isna().any()


def test_ndarray_in_ndarray_out(make):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 3))
    out = make(random_state=0).fit(X).sample(20, random_state=0)
    assert isinstance(out, np.ndarray) and out.shape == (20, 3) and out.dtype == X.dtype
    Xo = rng.choice(["a", "b"], size=(100, 2)).astype(object)
    out = make(random_state=0).fit(Xo).sample(10, random_state=0)
    assert out.dtype == object and set(np.unique(out)) <= {"a", "b"}


def test_same_seed_same_model_and_samples_without_global_state(make, adult_small):
    X = adult_small.iloc[:500]
    before = global_states()
    a = make(random_state=7).fit(X)
    b = make(random_state=7).fit(X)
    sa, sb = a.sample(100, random_state=3), b.sample(100, random_state=3)
    pd.testing.assert_frame_equal(sa, sb)
    pd.testing.assert_frame_equal(a.sample(100, random_state=3), sa)
    a.sample(10)
    assert_global_states_untouched(before)
    # None continues the estimator's own stream
    assert not a.sample(50).equals(a.sample(50))


def test_sample_chunks_concatenate_to_sample(make, adult_small):
    model = make(random_state=0).fit(adult_small.iloc[:400])
    whole = model.sample(20_000, random_state=5)
    chunks = list(model.sample_chunks(20_000, chunk_size=6_000, random_state=5))
    assert [len(c) for c in chunks] == [6000, 6000, 6000, 2000]
    pd.testing.assert_frame_equal(pd.concat(chunks), whole)  # rows numbered on


def test_pickle_and_joblib_round_trip(make, adult_small, tmp_path):
    model = make(random_state=0).fit(adult_small.iloc[:300])
    expected = model.sample(50, random_state=2)
    loaded = pickle.loads(pickle.dumps(model))
    pd.testing.assert_frame_equal(loaded.sample(50, random_state=2), expected)
    joblib.dump(model, tmp_path / "m.joblib")
    loaded = joblib.load(tmp_path / "m.joblib")
    pd.testing.assert_frame_equal(loaded.sample(50, random_state=2), expected)


def test_cuda_fitted_model_loads_on_cpu_only_machine(make, adult_small, monkeypatch):
    model = make(random_state=0).fit(adult_small.iloc[:300])
    expected = model.sample(20, random_state=2)
    model.net_.device = "cuda"  # as if fitted on a GPU
    model.device_ = "cuda"
    data = pickle.dumps(model)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(UserWarning, match="CUDA"):
        loaded = pickle.loads(data)
    assert loaded.device_ == "cpu" and str(loaded.net_.device) == "cpu"
    pd.testing.assert_frame_equal(loaded.sample(20, random_state=2), expected)


def test_clone_keeps_parameters(make):
    model = make(random_state=3)
    assert clone(model).get_params() == model.get_params()


def test_device_errors(make, monkeypatch, mixed):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="device='cuda' was requested, but CUDA is not available"):
        make(device="cuda").fit(mixed)
    with pytest.raises(ValueError, match="device must be"):
        make(device="tpu9").fit(mixed)
    model = make(device="auto", random_state=0).fit(mixed)
    assert model.device_ == "cpu" and model.device == "auto"
    assert make(device=torch.device("cpu"), random_state=0).fit(mixed).device_ == "cpu"
    # "cpu:0" is the CPU: a model fitted there pickled, but never unpickled (torch cannot
    # restore storages tagged cpu:0)
    model = make(device="cpu:0", epochs=1, random_state=0).fit(mixed)
    assert model.device_ == "cpu"
    pd.testing.assert_frame_equal(
        pickle.loads(pickle.dumps(model)).sample(3, random_state=0),
        model.sample(3, random_state=0),
    )


def test_device_is_checked_before_the_table_encoder_fits(make, monkeypatch, mixed):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)

    def fail(*args, **kwargs):
        raise AssertionError("the encoder was fitted before the device was checked")

    monkeypatch.setattr(TableTransformer, "fit", fail)
    with pytest.raises(ValueError, match="device='cuda' was requested"):
        make(device="cuda").fit(mixed)


def test_layer_sizes_are_checked_one_by_one(make, mixed):
    # torch's errors came mid-fit, and an encoder width of 0 trained without error
    model = make()
    for name in model._layer_sizes:
        for bad in [(-3,), (0,), (8.5,), ("8",), (True,), (16, 0)]:
            with pytest.raises(ValueError, match=rf"'{name}' parameter .* ints >= 1.*got"):
                make(**{name: bad}).fit(mixed)
        make(**{name: [np.int64(8)]}, random_state=0).fit(mixed)


def test_a_callback_that_cannot_be_copied_is_named(make, mixed):
    class Locked(Callback):
        def __init__(self):
            self.lock = threading.Lock()

    with pytest.raises(TypeError, match="callbacks are copied at each fit, and <.*Locked"):
        make(callbacks=[Locked()]).fit(mixed)


def test_callbacks_monitoring_a_validation_loss_are_named(make, mixed):
    # skorch's KeyError ("valid_loss was not found in history") came after an epoch
    from skorch.callbacks import Checkpoint, EarlyStopping

    def fail(*args, **kwargs):
        raise AssertionError("the encoder was fitted before the callbacks were checked")

    for entry in (EarlyStopping(), Checkpoint, ("stop", EarlyStopping(monitor="valid_loss"))):
        with pytest.raises(ValueError, match="monitors 'valid_loss.*monitor 'train_loss'"):
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(TableTransformer, "fit", fail)
                make(callbacks=[entry]).fit(mixed)
    make(epochs=2, callbacks=[EarlyStopping(monitor="train_loss")]).fit(mixed)


def test_named_callbacks_take_parameters_as_skorch_nets_do(make, mixed):
    # set_params(callbacks__clip__...) raised "'list' object has no attribute 'set_params'"
    from sklearn.model_selection import GridSearchCV
    from skorch.callbacks import GradientNormClipping

    model = make(epochs=1, callbacks=[("clip", GradientNormClipping(1.0)), EpochTimer()])
    copy = clone(model).set_params(callbacks__clip__gradient_clip_value=2.0)
    assert copy.callbacks[0][1].gradient_clip_value == 2.0
    assert model.callbacks[0][1].gradient_clip_value == 1.0  # the clone's own copy
    grid = {"callbacks__clip__gradient_clip_value": [0.5, 2.0]}
    search = GridSearchCV(model, grid, cv=2).fit(mixed)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    for key, message in [
        ("callbacks__nope__x", "no callback|named callbacks are \\['clip'\\]"),
        ("callbacks__clip", "callbacks__<name>__<param>"),
    ]:
        with pytest.raises(ValueError, match=message):
            model.set_params(**{key: 1})
    with pytest.raises(ValueError, match="'clip' is a class; give an instance"):
        make(callbacks=[("clip", GradientNormClipping)]).set_params(
            callbacks__clip__gradient_clip_value=1.0
        )


def test_callbacks_that_are_no_callbacks_are_named(make, mixed):
    # skorch's AttributeError ('str' object has no attribute 'set_params') came after
    # the table was encoded, and a None was dropped without a word
    for entry in ("print_log", None, ("a", 1), ("a",), lambda net: None):
        with pytest.raises(ValueError, match=r"'callbacks' parameter .* skorch callbacks .*got"):
            make(callbacks=[entry]).fit(mixed)
    model = make(epochs=1, callbacks=[EpochTimer, ("timer", EpochTimer())]).fit(mixed)
    assert "timer" in dict(model.net_.callbacks_)
    # verbose adds its progress bar only where the user's callbacks hold none (two before)
    for bar in (ProgressBar(), ("bar", ProgressBar()), ProgressBar):
        model = make(epochs=1, verbose=1, callbacks=[bar]).fit(mixed)
        bars = [cb for _, cb in model.net_.callbacks_ if isinstance(cb, ProgressBar)]
        assert len(bars) == 1
    model = make(epochs=1, verbose=1).fit(mixed)
    assert sum(isinstance(cb, ProgressBar) for _, cb in model.net_.callbacks_) == 1


def test_too_few_rows_after_holding_out_validation_rows(make, mixed):
    # the message gave the count after the split, not the rows the user passed
    if isinstance(make(), GANSynthesizer):  # needs max(pac, 2) = 4 rows to train
        model, n = make(early_stopping=True, batch_size=4, pac=4), 4
    else:  # the mixture needs 2 training rows
        model, n = make(early_stopping=True, latent_mixture=2), 2
    with pytest.raises(ValueError, match=rf"early_stopping=True holds out 1 of the {n} rows"):
        model.fit(mixed.iloc[:n])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_end_to_end(make, adult_small):
    model = make(device="cuda", random_state=0).fit(adult_small)
    assert model.device_.startswith("cuda")
    out = model.sample(1000, random_state=0)
    assert out.dtypes.equals(adult_small.dtypes)
    assert 0 < model.score(adult_small) <= 1


def test_unfitted_and_bad_arguments(make, mixed):
    model = make()
    with pytest.raises(NotFittedError):
        model.sample(3)
    with pytest.raises(NotFittedError):
        model.score(mixed)
    model = make(random_state=0).fit(mixed)
    for bad in [0, -1, 2.5, "3", True]:
        with pytest.raises(ValueError, match="n_samples must be an int >= 1"):
            model.sample(bad)
    with pytest.raises(ValueError, match="chunk_size must be an int >= 1"):
        model.sample_chunks(10, chunk_size=0)
    with pytest.raises(ValueError, match="feature names"):
        model.score(mixed.drop(columns="f"))
    with pytest.raises(ValueError, match="'epochs' parameter"):
        type(model)(epochs=0).fit(mixed)
    with pytest.raises(ValueError, match="'batch_size' parameter"):
        type(model)(batch_size=-3).fit(mixed)
    with pytest.raises(ValueError, match="'epochs' parameter .* not a bool; got True"):
        type(model)(epochs=True).fit(mixed)  # was one epoch
    with pytest.raises(ValueError, match="'random_state' parameter .* not a bool; got True"):
        type(model)(random_state=True).fit(mixed)  # was seed 1
    repeated = type(model)(discrete_columns=["c", "b", "s", 4])  # "c" is column 4
    with pytest.raises(ValueError, match="discrete_columns names column .c. more than once"):
        repeated.fit(mixed)  # merged without a word
    labels = pd.Series(["a", "b", None] * 40)
    for y in (labels, labels.astype("string"), np.where(labels.isna(), np.nan, 1.5)):
        with pytest.raises(ValueError, match=r"y has missing values \(rows \[2, 5"):
            make().fit(mixed, y)


def test_nan_loss_stops_training(make, mixed):
    huge = {k: 1e30 for k in make().get_params() if k.endswith("lr")}
    with pytest.raises(TrainingDivergedError, match="became nan"):
        make(random_state=0, **huge).fit(mixed)


def test_fit_with_labels_returns_pairs(make, adult_small):
    X = adult_small.drop(columns="income").iloc[:500]
    y = adult_small["income"].iloc[:500]
    model = make(random_state=0).fit(X, y)
    assert list(model.classes_) == ["<=50K", ">50K"]
    Xs, ys = model.sample(200, random_state=0)
    assert Xs.dtypes.equals(X.dtypes) and isinstance(ys, pd.Series)
    assert ys.dtype == y.dtype and ys.name == "income"
    assert set(ys) <= set(y)
    assert 0 < model.score(X, y) <= 1 and 0 < model.score(X) <= 1


def test_verbose_shows_progress_and_losses(make, mixed, capsys):
    model = make(random_state=0, verbose=1).fit(mixed)
    captured = capsys.readouterr()
    assert "train_loss" in captured.out
    assert len(model.history_) == model.epochs
    assert all(np.isfinite(h["train_loss"]) for h in model.history_)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=mixed_frames(min_rows=12))
def test_sample_round_trip_property(frame):
    for make in FAST.values():
        model = make(random_state=0).fit(frame)
        out = model.sample(15, random_state=0)
        assert list(out.columns) == list(frame.columns)
        assert out.dtypes.equals(frame.dtypes)
        for column in frame.columns:
            real, synth = frame[column].dropna(), out[column].dropna()
            if column in model.discrete_columns_:
                assert set(synth) <= set(real), column
            else:
                assert synth.between(real.min(), real.max()).all(), column


def test_denormals_flushed_in_fit_and_sampling_only(make, adult_small):
    from skorch.callbacks import Callback

    from sksynth.nn._denormals import _flushing_denormals

    seen = []

    class Probe(Callback):
        def on_epoch_end(self, net, **kwargs):
            seen.append(_flushing_denormals())

    model = make(epochs=2, random_state=0, callbacks=[Probe()]).fit(adult_small.iloc[:300])
    assert seen == [True, True]  # subnormal weights would slow CPU training down
    assert not _flushing_denormals()
    chunks = model.sample_chunks(300, chunk_size=100, random_state=0)
    next(chunks)
    # between chunks the caller's code runs with its own modes
    assert not _flushing_denormals() and torch.is_grad_enabled()
    torch.set_flush_denormal(True)  # a user's own setting is left as it was
    try:
        model.fit(adult_small.iloc[:300])
        model.sample(10)
        assert _flushing_denormals()
    finally:
        torch.set_flush_denormal(False)


def test_score_refuses_a_continuous_column_of_another_kind(make):
    X = make_mixed(100)
    model = make(random_state=0).fit(X)
    with pytest.raises(ValueError, match="Column 'd' held datetimes without a time zone"):
        model.score(X.assign(d=X["d"].astype("int64")))


def test_fit_warnings_name_user_columns(make):
    # the transformer is fitted on internally named columns (x0, x1, ...)
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"f": rng.normal(size=60), "wide": rng.integers(-(2**62), 2**62, 60)})
    with pytest.warns(UserWarning, match="^Column 'wide' spans") as caught:
        make(random_state=0).fit(X)
    assert not any("'x1'" in str(w.message) for w in caught)
    # raised even when fit then fails on a later column
    with pytest.warns(UserWarning, match="^Column 'wide' spans"):
        with pytest.raises(ValueError, match="Column 'empty' holds only missing values"):
            make(random_state=0).fit(X.assign(empty=np.nan))


def test_score_with_a_continuous_target(make):
    # score's dtype check looked for the target among X's columns (KeyError)
    X = make_mixed(100).dropna()
    y = np.random.default_rng(0).normal(size=len(X))
    model = make(random_state=0).fit(X, y)
    assert 0 <= model.score(X, y) <= 1


def test_gradient_callbacks_see_every_backward_pass(make, adult_small):
    # skorch's on_grad_computed: GradientNormClipping clips there (also the GAN's
    # discriminator and generator, each after its own backward pass)
    from skorch.callbacks import Callback, GradientNormClipping

    norms = []

    class Norms(Callback):
        def on_grad_computed(self, net, named_parameters, **kwargs):
            grads = [p.grad.norm() for _, p in named_parameters if p.grad is not None]
            norms.append(float(torch.stack(grads).norm()))

    callbacks = [GradientNormClipping(1e-3), Norms()]
    model = make(epochs=1, batch_size=100, random_state=0, callbacks=callbacks)
    model.fit(adult_small.iloc[:300])
    networks = 1 + getattr(model, "discriminator_steps", 0)  # a GAN's step updates both
    assert len(norms) == 3 * networks  # three batches
    assert max(norms) <= 1e-3 * (1 + 1e-4)


def test_score_takes_y_as_fit_does(make):
    # a column vector y (n, 1) is ravelled by fit; score took it as an error, and
    # cross-validation quietly gave NaN scores
    from sklearn.model_selection import cross_val_score

    from sksynth.metrics import quality_scorer

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=100), "b": rng.choice(["x", "y"], 100)})
    y = rng.integers(0, 2, (100, 1))
    model = make(epochs=2, batch_size=20, random_state=0).fit(X, y)
    assert model.score(X, y) == model.score(X, y.ravel())
    # so do the scorers (the same value as score)
    assert quality_scorer(model, X, y) == model.score(X, y)
    with pytest.raises(ValueError, match="y has 95 labels but X has 100 rows"):
        quality_scorer(model, X, y[:-5])
    scores = cross_val_score(make(epochs=2, batch_size=20, random_state=0), X, y, cv=2)
    assert np.isfinite(scores).all()
    with pytest.raises(ValueError, match=r"y must be 1-D; got an array of shape \(100, 2\)"):
        model.score(X, np.hstack([y, y]))


def test_sampled_labels_keep_a_numpy_string_dtype(make):
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=100)})
    y = rng.choice(["abc", "de"], 100)  # <U3 (object before)
    _, labels = make(epochs=1, batch_size=20, random_state=0).fit(X, y).sample(5)
    assert labels.dtype == y.dtype and set(labels) <= {"abc", "de"}
    # float16 class labels ("float16 indexes are not supported" before)
    y = rng.choice([0.0, 1.5], 100).astype(np.float16)
    _, labels = make(epochs=1, batch_size=20, random_state=0).fit(X, y).sample(5)
    assert labels.dtype == np.float16 and set(labels) <= {0.0, 1.5}


def test_score_names_the_users_column_holding_infinity(make):
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"num": rng.normal(size=100), "c": rng.choice(["a", "b"], 100)})
    model = make(epochs=1, batch_size=20, random_state=0).fit(X)
    with pytest.raises(ValueError, match="Column 'num' of real holds infinity"):  # 'x0'
        model.score(X.assign(num=X["num"].where(X.index != 3, np.inf)))


def test_int_column_labels_are_checked_on_score(make):
    # scikit-learn checks string names only: swapped int-labelled columns were scored
    # each as the other
    rng = np.random.default_rng(0)
    X = pd.DataFrame({0: rng.normal(size=60), 1: rng.normal(100, 10, 60)})
    model = make(epochs=1, batch_size=20, random_state=0).fit(X)
    model.score(X)
    with pytest.raises(ValueError, match="column labels should match those passed during fit"):
        model.score(X[[1, 0]])


def test_a_failed_fit_leaves_the_estimator_unfitted(make, adult_small):
    # a refit that failed half-way kept the old net and encoder under the new columns,
    # and sampled the old model's rows with the new names
    from sklearn.exceptions import NotFittedError

    X, y = adult_small.drop(columns="income").iloc[:300], adult_small["income"].iloc[:300]
    model = make(epochs=1, batch_size=100, random_state=0)
    other = pd.DataFrame({"a": np.arange(300.0), "b": np.arange(300.0) * 2})
    failures = [
        ({"discrete_columns": ["nope"]}, other, None, "names 'nope'"),
        ({}, X, y.mask(y.index < 3), "y has"),
        # a parameter refused before fit began kept the earlier fit, against the docstring
        ({"epochs": 0}, X, y, "'epochs' parameter"),
    ]
    for params, X_bad, y_bad, message in failures:
        model.set_params(discrete_columns="auto", epochs=1).fit(X, y)
        with pytest.raises(ValueError, match=message):
            model.set_params(**params).fit(X_bad, y_bad)
        assert not [name for name in vars(model) if name.endswith("_")]
        with pytest.raises(NotFittedError):
            model.sample(3)
    model.set_params(epochs=1)
    assert model.fit(other).sample(2, random_state=0).columns.tolist() == ["a", "b"]
    assert not hasattr(model, "classes_")


def test_torch_settings_of_the_caller_change_nothing(make, mixed):
    # a float64 default dtype failed fit ("mat1 and mat2 must have the same dtype") and
    # sampling from models already fitted; the GAN could not fit under no_grad, neither
    # model under inference_mode
    model = make(random_state=0).fit(mixed)
    expected = model.sample(30, random_state=1)
    before = torch.get_default_dtype()
    try:
        torch.set_default_dtype(torch.float64)
        pd.testing.assert_frame_equal(model.sample(30, random_state=1), expected)
        refit = make(random_state=0).fit(mixed)
        pd.testing.assert_frame_equal(refit.sample(30, random_state=1), expected)
        assert refit.score(mixed) == pytest.approx(model.score(mixed))
    finally:
        torch.set_default_dtype(before)
    for mode in (torch.no_grad, torch.inference_mode):
        with mode():
            refit = make(random_state=0).fit(mixed)
            pd.testing.assert_frame_equal(refit.sample(30, random_state=1), expected)
        assert torch.is_grad_enabled() and not torch.is_inference_mode_enabled()


def test_an_interrupted_fit_leaves_the_model_unfitted(make, mixed):
    # a KeyboardInterrupt outside skorch's training loop (here: as training begins)
    # left a model that passed check_is_fitted with untrained weights
    class Interrupt(Callback):
        def on_train_begin(self, net, **kwargs):
            raise KeyboardInterrupt

    model = make(random_state=0).fit(mixed)
    model.set_params(callbacks=[Interrupt()])
    with pytest.raises(KeyboardInterrupt):
        model.fit(mixed)
    with pytest.raises(NotFittedError):
        model.sample(3)


def test_odd_targets_are_named(make):
    X = pd.DataFrame({"z": np.arange(20.0)})
    cases = [
        (
            np.array(["a", 1] * 10, dtype=object),
            r"y mixes values of several types \(\['int', 'str'\]\)",
        ),
        (np.array([1, 2] * 10, dtype=object), "y holds integer values in an object array"),
        (np.r_[np.arange(19.0) + 0.5, np.inf], r"y holds infinity \(rows \[19\]\)"),
    ]
    for y, message in cases:  # numpy's TypeError, "unknown", "Input contains infinity"
        message = message if "infinity" in message else f"Unknown label type: {message}"
        with pytest.raises(ValueError, match=message):
            make(epochs=1).fit(X, y)


def test_an_identifier_like_y_is_warned_about_as_y(make):
    # the warning told to "drop identifier columns" about y, which no one can drop
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"sqft": rng.normal(100, 20, 200)})
    price = (X["sqft"] * 1000).round(-2)  # whole hundreds: classes
    with pytest.warns(UserWarning, match="y has .* read as class labels .* column of X") as seen:
        make(epochs=1).fit(X, price)
    assert not any("Drop identifier columns" in str(w.message) for w in seen)
