"""early_stopping=True: held-out quality checks, stopping, best weights kept."""

import pickle
import time

import numpy as np
import pandas as pd
import pytest
import torch
from skorch.callbacks import Callback, EarlyStopping
from skorch.history import History

from sksynth import load, save
from sksynth.metrics import quality_score
from sksynth.synthesizers._early_stopping import QualityEarlyStopping, split_validation


class _Net:
    """The parts of a skorch net the callback uses."""

    _modules = ["module"]

    def __init__(self, max_epochs):
        self.history = History()
        self.max_epochs = max_epochs
        self.verbose = 0
        self.module_ = torch.nn.Linear(1, 1, bias=False)


def _callback(max_epochs, *, interval, patience):
    """A fake net and a callback whose synthetic rows are N(w, 1) for the net's
    weight w: the closer w is to 0, the better the score."""
    net = _Net(max_epochs)
    rng = np.random.default_rng(0)
    validation = pd.DataFrame({"a": rng.normal(0.0, 1.0, 2000)})

    def draw(n):
        return pd.DataFrame({"a": rng.normal(net.module_.weight.item(), 1.0, n)})

    callback = QualityEarlyStopping(draw, validation, [], interval=interval, patience=patience)
    return net, callback.initialize()


def test_callback_stops_after_patience_and_restores_the_best_weights():
    net, callback = _callback(10, interval=1, patience=2)
    weights = [2.0, 1.0, 0.05, 1.5, 2.5]
    for epoch, w in enumerate(weights, start=1):
        net.history.new_epoch()
        with torch.no_grad():
            net.module_.weight.fill_(w)
        if epoch < len(weights):
            callback.on_epoch_end(net)
        else:
            with pytest.raises(KeyboardInterrupt):  # second check without improvement
                callback.on_epoch_end(net)
    callback.on_train_end(net)
    assert net.module_.weight.item() == pytest.approx(0.05)
    assert callback.best_[0] == 3
    assert [e for e, _ in callback.scores_] == [1, 2, 3, 4, 5]
    assert net.history[:, "valid_quality"] == [s for _, s in callback.scores_]


def test_callback_checks_every_interval_and_at_the_last_epoch():
    net, callback = _callback(7, interval=3, patience=5)
    for _ in range(7):
        net.history.new_epoch()
        callback.on_epoch_end(net)
    assert [e for e, _ in callback.scores_] == [3, 6, 7]


def test_a_stop_between_checks_scores_the_last_epoch():
    # a user's callback (a time budget) or Ctrl-C ended training at epoch 2, before
    # the first check at epoch 5: the last weights are checked when training ends
    net, callback = _callback(10, interval=5, patience=3)
    for _ in range(2):
        net.history.new_epoch()
        callback.on_epoch_end(net)
    assert callback.scores_ == []
    callback.on_train_end(net)
    assert [e for e, _ in callback.scores_] == [2] and callback.best_[0] == 2
    assert net.history[:, "valid_quality"] == [callback.best_[1]]


def test_a_stop_after_a_check_keeps_the_better_of_both():
    net, callback = _callback(10, interval=2, patience=3)
    for w in [2.0, 0.05, 1.5]:
        net.history.new_epoch()
        with torch.no_grad():
            net.module_.weight.fill_(w)
        callback.on_epoch_end(net)
    callback.on_train_end(net)  # epoch 3 scored too, epoch 2's weights kept
    assert [e for e, _ in callback.scores_] == [2, 3]
    assert callback.best_[0] == 2 and net.module_.weight.item() == pytest.approx(0.05)


def test_split_validation():
    rng = np.random.default_rng(0)
    rows, held = split_validation(100, 0.1, rng)
    assert len(held) == 10 and len(rows) == 90
    assert sorted(np.concatenate([rows, held])) == list(range(100))
    assert len(split_validation(3, 0.01, rng)[1]) == 1  # at least one row held out
    assert len(split_validation(3, 0.99, rng)[0]) == 1  # at least one row to train on
    with pytest.raises(ValueError, match="early_stopping=True needs at least 2 rows; got 1"):
        split_validation(1, 0.5, rng)


def test_fit_with_early_stopping_stops_and_reports(make, adult_small):
    X = adult_small.iloc[:600]
    epochs = 40
    model = make(
        epochs=epochs,
        early_stopping=True,
        validation_fraction=0.1,
        validation_interval=1,
        n_iter_no_change=1,
        random_state=0,
    ).fit(X)
    scores = model.validation_scores_
    assert len(model.history_) < epochs  # stopped early
    assert len(scores) == len(model.history_)  # one check per epoch
    assert np.all(np.diff(scores[:-1]) > 0) and scores[-1] <= scores[:-1].max()
    assert model.best_validation_score_ == scores.max()
    assert model.best_epoch_ == int(np.argmax(scores)) + 1
    assert model.history_[:, "valid_quality"] == list(scores)
    # the kept weights are the best check's: re-scoring the same held-out rows
    # (the fit's first random draw) with the check's seed gives the best score
    _, held = split_validation(len(X), 0.1, np.random.default_rng(0))
    validation = model._internal(X.iloc[held].reset_index(drop=True))
    discrete = model._internal_names(model.discrete_columns_)
    rescored = quality_score(validation, model._draw_internal(len(held)), discrete_columns=discrete)
    assert rescored == pytest.approx(model.best_validation_score_, abs=1e-12)
    assert rescored > scores[-1]
    # the held-out rows and the callback are not kept
    assert all(name != "quality_early_stopping" for name, _ in model.net_.callbacks_)
    assert len(pickle.dumps(model)) > 0
    out = model.sample(50, random_state=0)
    assert out.dtypes.equals(X.dtypes)


def test_a_callback_ending_training_before_the_first_check(make, mixed, capsys):
    # was a TypeError unpacking best_ = None, and the training was lost
    stop = EarlyStopping(monitor="train_loss", patience=1, threshold=1e9)
    model = make(epochs=10, early_stopping=True, callbacks=[stop], random_state=0).fit(mixed)
    assert len(model.history_) < model.validation_interval
    assert model.best_epoch_ == len(model.history_)
    assert list(model.validation_scores_) == [model.best_validation_score_]
    assert model.sample(20, random_state=0).dtypes.equals(mixed.dtypes)
    assert capsys.readouterr().out == ""  # verbose=0


class TimeBudget(Callback):
    """The time budget of the tuning guide."""

    def __init__(self, seconds):
        self.seconds = seconds

    def on_train_begin(self, net, **kwargs):
        self.start_ = time.monotonic()

    def on_epoch_end(self, net, **kwargs):
        if time.monotonic() - self.start_ > self.seconds:
            raise KeyboardInterrupt


def test_the_guides_time_budget(make, mixed):
    model = make(epochs=50, early_stopping=True, callbacks=[TimeBudget(0)], random_state=0)
    model.fit(mixed)
    assert len(model.history_) == 1 and model.best_epoch_ == 1
    assert model.sample(5, random_state=0).shape == (5, mixed.shape[1])


def test_verbose_says_which_epoch_is_kept(make, mixed, capsys):
    # skorch's log never prints the epoch whose check ends training
    model = make(
        epochs=30,
        early_stopping=True,
        validation_interval=1,
        n_iter_no_change=1,
        verbose=1,
        random_state=0,
    ).fit(mixed)
    out = capsys.readouterr().out
    assert len(model.history_) < 30
    assert (
        "Early stopping: valid_quality has not improved in the last 1 checks; kept the "
        f"weights of epoch {model.best_epoch_} (valid_quality "
        f"{model.best_validation_score_:.4f}) of the {len(model.history_)} epochs run"
    ) in out


def test_with_class_labels_and_persistence(make, adult_small, tmp_path):
    X, y = adult_small.drop(columns="income").iloc[:600], adult_small["income"].iloc[:600]
    model = make(epochs=4, early_stopping=True, validation_interval=2, random_state=0)
    model.fit(X, y)
    assert len(model.validation_scores_) == 2
    save(model, tmp_path / "m.sksynth")
    loaded = load(tmp_path / "m.sksynth")
    np.testing.assert_array_equal(loaded.validation_scores_, model.validation_scores_)
    assert loaded.best_epoch_ == model.best_epoch_
    assert loaded.best_validation_score_ == model.best_validation_score_
    pd.testing.assert_frame_equal(
        loaded.sample(30, random_state=1)[0], model.sample(30, random_state=1)[0]
    )


def test_without_early_stopping_the_attributes_are_none(make, mixed):
    model = make(random_state=0).fit(mixed)
    assert model.validation_scores_ is None and model.best_epoch_ is None
    assert model.best_validation_score_ is None
    assert "valid_quality" not in model.history_[-1]


def test_early_stopping_bad_parameters(make, mixed):
    for bad in (0.0, 1.0, 1.5):
        with pytest.raises(ValueError, match="'validation_fraction' parameter"):
            make(early_stopping=True, validation_fraction=bad).fit(mixed)
    with pytest.raises(ValueError, match="'validation_interval' parameter"):
        make(validation_interval=0).fit(mixed)
    with pytest.raises(ValueError, match="'n_iter_no_change' parameter"):
        make(n_iter_no_change=0).fit(mixed)
    with pytest.raises(ValueError, match="'early_stopping' parameter"):
        make(early_stopping="yes").fit(mixed)


def test_what_only_held_out_rows_hold_stays_known(make):
    # the transformer is fitted on every row; only training leaves the held-out ones out
    from sksynth.synthesizers._base import _seed_from

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"num": rng.normal(size=60), "city": rng.choice(["Oslo", "Rome"], 60)})
    X.loc[7, ["num", "city"]] = [np.nan, "Lima"]  # a missing number, a category and
    y = np.where(np.arange(60) % 2, "a", "b")
    y[7] = "c"  # a label of that row alone
    seed = next(  # one whose split holds row 7 out
        s
        for s in range(100)
        if 7 in split_validation(60, 0.2, np.random.default_rng(_seed_from(s)))[1]
    )
    model = make(
        epochs=2, batch_size=20, early_stopping=True, validation_fraction=0.2, random_state=seed
    ).fit(X, y)
    assert model.classes_.tolist() == ["a", "b", "c"]
    assert np.isfinite(model.score(X, y))
    if hasattr(model, "transform"):
        assert model.transform(X).shape == (60, model.latent_dim)
        assert np.isfinite(model.score_samples(X)).all()
    _, labels = model.sample(5, y="c", random_state=0)
    assert labels.tolist() == ["c"] * 5
    rows, _ = model.sample(5, conditions={"city": "Lima"}, random_state=0)
    assert rows["city"].tolist() == ["Lima"] * 5
