import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sksynth.cli import main


@pytest.fixture
def adult_csv(adult_small, tmp_path):
    path = tmp_path / "adult.csv"
    adult_small.iloc[:400].to_csv(path, index=False)
    return path


def test_fit_sample_evaluate(adult_csv, tmp_path, capsys):
    model = tmp_path / "m.sksynth"
    out = tmp_path / "synth.csv"
    assert (
        main(
            [
                "fit",
                str(adult_csv),
                "--model",
                "vae",
                "--target",
                "income",
                "--epochs",
                "2",
                "-o",
                str(model),
            ]
        )
        == 0
    )
    assert main(["sample", str(model), "-n", "250", "-o", str(out), "--chunk-size", "100"]) == 0
    synth = pd.read_csv(out)
    assert synth.shape == (250, 15)
    assert list(synth.columns) == list(pd.read_csv(adult_csv).columns)
    report = tmp_path / "report.html"
    args = ["evaluate", str(adult_csv), str(out), "--target", "income", "--report", str(report)]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "quality_score" in printed and "tstr_score" in printed and "detection_score" in printed
    assert "data:image/png;base64," in report.read_text()
    # without a holdout the terminal says what the HTML report says (it said nothing)
    assert "tstr_score: no --real-test: 25 % of real rows held out, seen by" in printed
    assert "privacy_score: not computed: needs --real-test" in printed
    holdout = tmp_path / "holdout.csv"
    pd.read_csv(adult_csv).iloc[:100].to_csv(holdout, index=False)
    assert main([*args, "--real-test", str(holdout)]) == 0
    printed = capsys.readouterr().out
    assert "privacy_score" in printed and "not computed" not in printed
    assert "no --real-test" not in printed


def test_fit_with_early_stopping(adult_csv, tmp_path, capsys):
    model = tmp_path / "m.sksynth"
    args = ["fit", str(adult_csv), "--epochs", "10", "--early-stopping", "-o", str(model)]
    assert main(args) == 0
    assert "early stopping: ran 10 epochs, kept epoch" in capsys.readouterr().out
    from sksynth import load

    fitted = load(model)
    assert fitted.early_stopping and len(fitted.validation_scores_) == 2


def test_fit_autoregressive(adult_csv, tmp_path, capsys):
    model = tmp_path / "m.sksynth"
    args = ["fit", str(adult_csv), "--epochs", "1", "--autoregressive", "-o", str(model)]
    assert main(args) == 0
    from sksynth import load

    assert load(model).autoregressive
    assert main([*args[:-2], "--model", "gan", "-o", str(model)]) == 2
    assert "--autoregressive is a VAE's option; got --model gan." in capsys.readouterr().err


def test_parquet_conditions_and_streaming(adult_csv, tmp_path):
    parquet = tmp_path / "adult.parquet"
    pd.read_csv(adult_csv).to_parquet(parquet)
    model, out = tmp_path / "m.sksynth", tmp_path / "out.parquet"
    assert main(["fit", str(parquet), "--model", "gan", "--epochs", "1", "-o", str(model)]) == 0
    args = ["sample", str(model), "-n", "1000", "-o", str(out), "--chunk-size", "300"]
    assert main([*args, "--condition", "sex=Female", "--seed", "1"]) == 0
    synth = pd.read_parquet(out)
    assert synth.shape == (1000, 15) and (synth["sex"] == "Female").all()


def test_the_seed_is_said_only_for_rows_drawn(adult_csv, tmp_path, capsys):
    # the seed line came before the request was refused, naming rows never drawn
    model, out = tmp_path / "m.sksynth", tmp_path / "out.csv"
    assert main(["fit", str(adult_csv), "--model", "gan", "--epochs", "1", "-o", str(model)]) == 0
    capsys.readouterr()
    args = ["sample", str(model), "-n", "20", "-o", str(out)]
    assert main([*args, "--condition", "sex=Nope"]) == 2
    err = capsys.readouterr().err
    assert "Nope" in err and "seed" not in err and not out.exists()
    assert main(args) == 0
    assert "seed" in capsys.readouterr().err and len(pd.read_csv(out)) == 20


def test_conditions_read_as_csv_cells(adult_csv, tmp_path):
    # a bool column (read from CSV) takes True/False, an int column numbers
    data = pd.read_csv(adult_csv).assign(rich=lambda t: t["income"] == ">50K")
    data.to_csv(adult_csv, index=False)
    model, out = tmp_path / "m.sksynth", tmp_path / "out.csv"
    assert main(["fit", str(adult_csv), "--model", "gan", "--epochs", "1", "-o", str(model)]) == 0
    args = ["sample", str(model), "-n", "200", "-o", str(out), "--seed", "0"]
    assert main([*args, "--condition", "rich=true", "--condition", "race=White"]) == 0
    synth = pd.read_csv(out)
    assert synth["rich"].dtype == bool and synth["rich"].all() and (synth["race"] == "White").all()


def test_text_codes_and_a_mostly_missing_text_column(adult_csv, tmp_path):
    # --condition code=1 finds the text "1" (it looked for the number 1); a chunk where a
    # text column is all missing is typed null by Arrow, which the Parquet writer refused
    # under pandas 2 (object columns)
    data = pd.read_csv(adult_csv)
    data["code"] = pd.Series(["01", "1", "A", "B"] * 100, dtype=object)
    data["note"] = pd.Series([None] * 400, dtype=object)
    data.loc[[0, 1], "note"] = ["x", "y"]
    parquet, model, out = tmp_path / "in.parquet", tmp_path / "m.sksynth", tmp_path / "out.pq"
    data.to_parquet(parquet)
    assert main(["fit", str(parquet), "--model", "gan", "--epochs", "1", "-o", str(model)]) == 0
    args = ["sample", str(model), "-n", "600", "-o", str(out), "--chunk-size", "20"]
    assert main([*args, "--condition", "code=1", "--seed", "0"]) == 0
    synth = pd.read_parquet(out)
    assert len(synth) == 600 and (synth["code"] == "1").all()
    # chunks whose text column is all missing, first or later, go to one file
    from sksynth import load
    from sksynth._table_files import TableWriter

    rows = load(model).sample(4, random_state=0).astype({"note": object})
    empty, full = rows.assign(note=None), rows.assign(note="x")
    for order in ([empty, full], [full, empty]):
        writer = TableWriter(tmp_path / "chunks.parquet", load(model))
        for chunk in order:
            writer.write(chunk)
        writer.close()
        back = pd.read_parquet(tmp_path / "chunks.parquet")
        assert back["note"].isna().sum() == 4 and (back["note"] == "x").sum() == 4


def test_dates_parsed_when_named(adult_csv, tmp_path, capsys):
    days = pd.to_datetime("2020-01-01") + pd.to_timedelta(range(0, 1200, 3), unit="D")
    pd.read_csv(adult_csv).assign(day=days).to_csv(adult_csv, index=False)
    model, out = tmp_path / "m.sksynth", tmp_path / "out.csv"
    fit = ["fit", str(adult_csv), "--epochs", "1", "-o", str(model)]
    assert main([*fit, "--dates", "day"]) == 0
    assert main(["sample", str(model), "-n", "300", "-o", str(out), "--seed", "0"]) == 0
    day = pd.to_datetime(pd.read_csv(out)["day"])
    assert day.between(days.min(), days.max()).all()
    assert not day.isin(days).all()  # drawn as times, not as categories seen in fit
    assert main(["evaluate", str(adult_csv), str(out), "--dates", "day"]) == 0
    # a zoned column as a CSV keeps it: summer and winter offsets (pandas 3 refused it)
    zoned = pd.date_range("2024-03-20", periods=400, freq="12h", tz="Europe/Paris")
    pd.read_csv(adult_csv).assign(day=zoned).to_csv(adult_csv, index=False)
    assert main([*fit, "--dates", "day"]) == 0
    assert main(["sample", str(model), "-n", "300", "-o", str(out), "--seed", "0"]) == 0
    day = pd.to_datetime(pd.read_csv(out)["day"])
    assert str(day.dt.tz) == "UTC" and day.between(zoned.min(), zoned.max()).all()
    assert main(["evaluate", str(adult_csv), str(out), "--dates", "day"]) == 0
    # times with and without an offset: which zone the others are in is unknown
    mixed = [str(t) for t in zoned]
    mixed[0] = "2024-03-20 00:00:00"
    pd.read_csv(adult_csv).assign(day=mixed).to_csv(adult_csv, index=False)
    assert main([*fit, "--dates", "day"]) == 2
    assert "some times carry a UTC offset and some" in capsys.readouterr().err
    assert main([*fit, "--dates", "nope"]) == 2
    assert main([*fit, "--dates", "sex"]) == 2
    assert "--dates names 'nope'" in capsys.readouterr().err


def test_dates_keep_one_format_in_every_chunk(adult_csv, tmp_path):
    # dates at midnight, a few at 06:00: a chunk of midnights alone was written as dates
    # ("2020-02-28") beside others' times ("2020-01-14 23:00:00"), which pandas, and so
    # fit and evaluate --dates, could not read back
    times = pd.to_datetime("2020-01-01") + pd.to_timedelta(range(0, 1200, 3), unit="D")
    times = times.where(np.arange(len(times)) % 10 != 0, times + pd.Timedelta(hours=6))
    pd.read_csv(adult_csv).assign(day=times).to_csv(adult_csv, index=False)
    model, out = tmp_path / "m.sksynth", tmp_path / "out.csv"
    assert main(["fit", str(adult_csv), "--epochs", "1", "--dates", "day", "-o", str(model)]) == 0
    sample = ["sample", str(model), "-n", "200", "--chunk-size", "1", "--seed", "0"]
    assert main([*sample, "-o", str(out)]) == 0
    text = pd.read_csv(out, dtype={"day": str})["day"].dropna()
    assert text.str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").all()
    assert (text.str.endswith("00:00:00")).any()  # midnights, written with their time
    assert main(["evaluate", str(adult_csv), str(out), "--dates", "day"]) == 0
    # files written before: dates beside times are read (pandas guessed one format)
    mixed = pd.read_csv(out).assign(day=["2020-02-28", "2020-01-14 23:00:00"] * 100)
    mixed.to_csv(out, index=False)
    assert main(["evaluate", str(adult_csv), str(out), "--dates", "day"]) == 0


def test_dates_warnings(adult_csv, tmp_path, recwarn):
    """A column that is no date fails with sksynth's error alone; a parsed one keeps
    what pandas warned about it."""
    model = tmp_path / "m.sksynth"
    assert main(["fit", str(adult_csv), "--epochs", "1", "-o", str(model), "--dates", "sex"]) == 2
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]
    days = [f"{13 + k % 15}/0{1 + k % 9}/2020" for k in range(400)]  # day first
    pd.read_csv(adult_csv).assign(day=days).to_csv(adult_csv, index=False)
    assert main(["fit", str(adult_csv), "--epochs", "1", "-o", str(model), "--dates", "day"]) == 0
    assert any("dayfirst" in str(w.message) for w in recwarn)


def _sksynth(*args):
    """The installed console script, as a user runs it."""
    script = Path(sys.executable).with_name("sksynth")
    return subprocess.run([str(script), *args], capture_output=True, text=True, timeout=300)


def test_console_script_end_to_end(adult_csv, tmp_path):
    model, out = tmp_path / "m.sksynth", tmp_path / "s.csv"
    done = _sksynth("fit", str(adult_csv), "--epochs", "1", "-o", str(model))
    assert done.returncode == 0, done.stderr
    done = _sksynth("sample", str(model), "-n", "50", "-o", str(out), "--seed", "0")
    assert done.returncode == 0 and len(pd.read_csv(out)) == 50
    done = _sksynth("evaluate", str(adult_csv), str(out))
    assert done.returncode == 0 and "quality_score" in done.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["fit", "missing.csv", "-o", "m"], "no such file: 'missing.csv'"),
        (["fit", "{csv}", "--target", "salary", "-o", "m"], "--target: column 'salary' is not"),
        (["fit", "{csv}", "--discrete", "sal", "-o", "m"], "--discrete: column 'sal' is not in"),
        (["sample", "{csv}", "-n", "3", "-o", "o.csv"], "is not a sksynth model file"),
        (["evaluate", "{csv}", "missing.csv"], "no such file"),
        (["sample", "{csv}", "-n", "3", "-o", "o.csv", "--condition", "x"], "COLUMN=VALUE"),
    ],
)
def test_console_script_errors_are_one_line(adult_csv, tmp_path, args, message):
    done = _sksynth(*[a.format(csv=adult_csv) for a in args])
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_one_line_errors(adult_csv, tmp_path, capsys):
    assert main(["fit", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "m")]) == 2
    assert "sksynth: error: no such file" in capsys.readouterr().err
    assert main(["fit", str(adult_csv), "--target", "salary", "-o", str(tmp_path / "m")]) == 2
    assert "column 'salary' is not in the table" in capsys.readouterr().err
    assert main(["sample", str(adult_csv), "-n", "3", "-o", str(tmp_path / "o.csv")]) == 2
    assert "not a sksynth model file" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["fit"])
    # output folders that do not exist are refused before the fit, not after it
    missing = str(tmp_path / "no" / "m")
    assert main(["fit", str(adult_csv), "--epochs", "50", "-o", missing]) == 2
    assert "-o: no such folder" in capsys.readouterr().err  # (saving said "No such file")
    report = str(tmp_path / "no" / "r.html")
    assert main(["evaluate", str(adult_csv), str(adult_csv), "--report", report]) == 2
    assert "--report: no such folder" in capsys.readouterr().err
    # an output that is a folder, too (the fit ran, then saving failed)
    assert main(["fit", str(adult_csv), "--epochs", "50", "-o", str(tmp_path)]) == 2
    assert f"-o: '{tmp_path}' is a folder" in capsys.readouterr().err
    assert main(["evaluate", str(adult_csv), str(adult_csv), "--report", str(tmp_path)]) == 2
    assert "--report: " in capsys.readouterr().err
    # a folder that takes no file is refused before the fit (root writes anywhere
    # else; /proc takes no file for anyone): the error named the internal temp file
    if Path("/proc").is_dir():
        assert main(["fit", str(adult_csv), "--epochs", "50", "-o", "/proc/m.sksynth"]) == 2
        assert "-o: cannot write '/proc/m.sksynth'" in capsys.readouterr().err
    # files pandas cannot read are named
    (tmp_path / "empty.csv").write_text("")
    assert main(["fit", str(tmp_path / "empty.csv"), "-o", str(tmp_path / "m")]) == 2
    assert "empty.csv' cannot be read as CSV: No columns" in capsys.readouterr().err
    # options are named (numpy's "expected non-negative integer", sample's chunk_size)
    for args, message in [
        (["fit", str(adult_csv), "--seed", "-1", "-o", "m"], "argument --seed: must be >= 0"),
        (["sample", "m", "-n", "5", "--chunk-size", "0", "-o", "o"], "--chunk-size: must be >= 1"),
        (["sample", "m", "-n", "0", "-o", "o"], "argument -n: must be >= 1; got 0"),
        (["fit", str(adult_csv), "--epochs", "0", "-o", "m"], "--epochs: must be >= 1"),
        (["demo", "--gan-epochs", "0"], "argument --gan-epochs: must be >= 1; got 0"),
        (["demo", "--verbose", "-1"], "argument --verbose: must be >= 0; got -1"),
    ]:
        with pytest.raises(SystemExit):
            main(args)
        assert message in capsys.readouterr().err


def test_demo_runs(tmp_path, capsys):
    assert (
        main(["demo", "--output-dir", str(tmp_path), "--vae-epochs", "1", "--gan-epochs", "1"]) == 0
    )
    printed = capsys.readouterr().out
    assert "quality" in printed and "real (held out)" in printed
    assert (tmp_path / "adult_marginals.png").stat().st_size > 10_000
    assert len(pd.read_csv(tmp_path / "adult_synthetic_vae.csv")) == 6513
    train, test = (pd.read_csv(tmp_path / f"adult_{part}.csv") for part in ("train", "test"))
    assert (len(train), len(test)) == (26048, 6513) and list(train.columns) == list(test.columns)


def test_ambiguous_condition_value_is_an_error():
    # categories 1 and "1" both read as "1" on the command line
    import numpy as np

    from sksynth import VAESynthesizer
    from sksynth.cli import _condition_value

    X = pd.DataFrame({"k": pd.Categorical([1, "1", "a"] * 20), "f": np.arange(60.0)})
    model = VAESynthesizer(epochs=1, random_state=0).fit(X)
    with pytest.raises(ValueError, match=r"several values of 'k' read as '1'"):
        _condition_value("k", "1", model)
    assert _condition_value("k", "a", model) == "a"


def test_sample_draws_new_rows_unless_seeded(adult_csv, tmp_path, capsys):
    # without --seed, every run wrote the same rows (the file holds the saved stream)
    model = tmp_path / "m.sksynth"
    assert main(["fit", str(adult_csv), "--epochs", "1", "-o", str(model)]) == 0
    tables = []
    for k, seed in enumerate([[], [], ["--seed", "5"], ["--seed", "5"]]):
        out = tmp_path / f"s{k}.csv"
        assert main(["sample", str(model), "-n", "30", "-o", str(out), *seed]) == 0
        tables.append(pd.read_csv(out))
    assert not tables[0].equals(tables[1]) and tables[2].equals(tables[3])
    drawn = int(capsys.readouterr().err.split("pass --seed ")[1].split()[0])
    again = tmp_path / "again.csv"
    assert main(["sample", str(model), "-n", "30", "-o", str(again), "--seed", str(drawn)]) == 0
    assert pd.read_csv(again).equals(tables[0])


def test_sample_models_fitted_in_python(tmp_path):
    # models fitted on ndarrays, on int column labels, or with a y named like a column
    # of X crashed (no to_csv, a Parquet schema KeyError) or lost the column to y
    import numpy as np

    import sksynth
    from sksynth import VAESynthesizer

    pytest.importorskip("pyarrow")
    rng = np.random.default_rng(0)
    numbers = np.column_stack([rng.normal(size=120), rng.integers(0, 3, 120)])
    ints = pd.DataFrame({0: rng.normal(size=120), 1: rng.choice(["a", "b"], 120)})
    X = pd.DataFrame({"a": rng.normal(size=120), "b": rng.choice(["p", "q"], 120)})
    y = pd.Series(rng.choice(["A", "B"], 120), name="a")
    models = {
        "array": VAESynthesizer(epochs=1, discrete_columns=[1], random_state=0).fit(numbers),
        "ints": VAESynthesizer(epochs=1, random_state=0).fit(ints),
        "clash": VAESynthesizer(epochs=1, random_state=0).fit(X, y),
    }
    for name, model in models.items():
        sksynth.save(model, tmp_path / name)
        for suffix in ("csv", "parquet"):
            out = tmp_path / f"{name}.{suffix}"
            assert main(["sample", str(tmp_path / name), "-n", "9", "-o", str(out)]) == 0
    assert list(pd.read_parquet(tmp_path / "array.parquet").columns) == ["0", "1"]
    clash = pd.read_csv(tmp_path / "clash.csv")
    assert list(clash.columns) == ["a", "b", "a_y"] and clash["a"].dtype == float
    assert set(clash["a_y"]) <= {"A", "B"}
    out = tmp_path / "b.csv"
    args = ["sample", str(tmp_path / "ints"), "-n", "9", "-o", str(out), "--condition", "1=b"]
    assert main(args) == 0
    assert set(pd.read_csv(out)["1"]) == {"b"}


def test_condition_on_missing_and_on_dates(tmp_path):
    import numpy as np

    import sksynth
    from sksynth import VAESynthesizer

    rng = np.random.default_rng(0)
    W = pd.DataFrame(
        {
            "w": ["u", None, "v", "u"] * 30,
            "d": pd.to_datetime(["2020-01-02", "2020-01-03"] * 60),
            "z": pd.to_datetime(["2020-01-02", "2020-01-03"] * 60).tz_localize("Europe/Paris"),
            "x": rng.normal(size=120),
        }
    )
    model = VAESynthesizer(epochs=1, random_state=0, discrete_columns=["w", "d", "z"]).fit(W)
    sksynth.save(model, tmp_path / "w")
    out = tmp_path / "w.csv"
    conditions = ["--condition", "w=", "--condition", "d=2020-01-02", "--condition", "z=2020-01-03"]
    assert main(["sample", str(tmp_path / "w"), "-n", "9", "-o", str(out), *conditions]) == 0
    table = pd.read_csv(out)
    assert table["w"].isna().all() and (table["d"] == "2020-01-02").all()
    assert (table["z"] == "2020-01-03 00:00:00+01:00").all()  # the date in the column's zone


def test_diverged_training_and_missing_matplotlib_are_one_line_errors(
    adult_csv, tmp_path, capsys, monkeypatch
):
    import sksynth.cli
    import sksynth.metrics._plots
    from sksynth.exceptions import TrainingDivergedError

    class Diverging:
        def fit(self, X):
            raise TrainingDivergedError("The loss became nan in epoch 3; training stopped.")

    monkeypatch.setattr(sksynth.cli, "_model", lambda *args, **kwargs: Diverging())
    assert main(["fit", str(adult_csv), "-o", str(tmp_path / "m")]) == 2  # a traceback before
    assert "sksynth: error: The loss became nan" in capsys.readouterr().err

    def no_matplotlib():
        raise ImportError("Plots need matplotlib: pip install 'sksynth[plot]'")

    monkeypatch.setattr(sksynth.metrics._plots, "require_matplotlib", no_matplotlib)
    report = str(tmp_path / "r.html")
    assert main(["evaluate", str(adult_csv), str(adult_csv), "--report", report]) == 2
    out = capsys.readouterr()
    assert "sksynth: error: Plots need matplotlib" in out.err
    assert out.out == ""  # said before the scores were computed and printed, not after
    assert main(["demo", "--output-dir", str(tmp_path / "demo")]) == 2  # before the fits
    assert "Plots need matplotlib" in capsys.readouterr().err
    assert not (tmp_path / "demo").exists()


def test_dates_of_a_parquet_file_stay_as_they_are(tmp_path):
    pytest.importorskip("pyarrow")
    from sksynth._table_files import read_table

    zoned = pd.date_range("2024-03-20", periods=40, freq="12h", tz="Europe/Paris")
    pd.DataFrame({"day": zoned, "x": range(40)}).to_parquet(tmp_path / "t.parquet")
    day = read_table(tmp_path / "t.parquet", ["day"])["day"]  # read as UTC before
    assert str(day.dt.tz) == "Europe/Paris" and (day == zoned).all()


def test_parquet_types_come_from_every_value_the_model_can_draw(tmp_path):
    # the schema was the first chunk's: an object column of ints whose 2.5 came later
    # was written as 2, and Decimals of a wider scale stopped the run
    from decimal import Decimal

    import numpy as np

    import sksynth
    from sksynth import VAESynthesizer

    pytest.importorskip("pyarrow")
    rng = np.random.default_rng(0)
    k = rng.choice([1, 2, 3], 300).astype(object)
    k[:40] = 2.5
    price = np.array([Decimal("1.5"), Decimal("3.5"), Decimal("12.25")], dtype=object)
    X = pd.DataFrame({"k": k, "price": price[rng.integers(0, 3, 300)], "x": rng.normal(size=300)})
    model = VAESynthesizer(epochs=2, random_state=0, discrete_columns=["k", "price"]).fit(X)
    sksynth.save(model, tmp_path / "m")
    out = tmp_path / "o.parquet"
    assert main(["sample", str(tmp_path / "m"), "-n", "400", "-o", str(out), "--seed", "0",
                 "--chunk-size", "1"]) == 0  # fmt: skip
    written, sampled = pd.read_parquet(out), model.sample(400, random_state=0)
    assert written["k"].dtype == float and list(written["k"]) == list(sampled["k"])
    assert list(written["price"]) == list(sampled["price"])


def test_parquet_keeps_the_labels_dtype(tmp_path):
    import numpy as np

    import sksynth
    from sksynth import VAESynthesizer

    pytest.importorskip("pyarrow")
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=120), "b": rng.choice(["p", "q"], 120)})
    labels = {
        "cat": pd.Series(pd.Categorical(rng.choice(["u", "v"], 120)), name="t"),
        "int": pd.Series(pd.array(rng.integers(0, 3, 120), dtype="Int64"), name="t"),
    }
    for name, y in labels.items():
        sksynth.save(VAESynthesizer(epochs=1, random_state=0).fit(X, y), tmp_path / name)
        out = tmp_path / f"{name}.parquet"
        assert main(["sample", str(tmp_path / name), "-n", "50", "-o", str(out)]) == 0
        assert pd.read_parquet(out)["t"].dtype == y.dtype  # was str, int64


def test_a_failed_sample_leaves_the_earlier_file_and_no_part(adult_csv, tmp_path, monkeypatch):
    # the output was written in place: a run failing part-way left a shorter file that
    # read as complete (Parquet's footer written on the way out) over the earlier one
    import sksynth._table_files

    model = tmp_path / "m"
    assert main(["fit", str(adult_csv), "--epochs", "1", "-o", str(model)]) == 0
    for suffix in ("csv", "parquet"):
        out = tmp_path / f"o.{suffix}"
        assert main(["sample", str(model), "-n", "30", "-o", str(out), "--seed", "0"]) == 0
        before = out.read_bytes()
        write, calls = sksynth._table_files.TableWriter.write, []

        def failing(self, chunk, write=write, calls=calls):
            calls.append(len(chunk))
            if len(calls) == 3:
                raise OSError("No space left on device")
            write(self, chunk)

        monkeypatch.setattr(sksynth._table_files.TableWriter, "write", failing)
        args = ["sample", str(model), "-n", "500", "--chunk-size", "100", "-o", str(out)]
        assert main(args) == 2
        monkeypatch.undo()
        assert out.read_bytes() == before
        assert sorted(p.name for p in tmp_path.iterdir() if "partial" in p.name) == []


def test_outputs_through_links_and_fifos(adult_csv, tmp_path):
    # the output was written beside the path and moved over it: a link was replaced
    # by a file, a FIFO (or, for root, a device such as /dev/null) too
    import os

    import sksynth

    model = tmp_path / "m"
    assert main(["fit", str(adult_csv), "--epochs", "1", "-o", str(model)]) == 0
    real, link = tmp_path / "real.csv", tmp_path / "link.csv"
    real.write_text("old")
    link.symlink_to(real)
    assert main(["sample", str(model), "-n", "30", "-o", str(link), "--seed", "0"]) == 0
    assert link.is_symlink() and len(pd.read_csv(real)) == 30
    saved = tmp_path / "saved"
    (tmp_path / "model-link").symlink_to(saved)  # a link to a file yet to be
    sksynth.save(sksynth.load(model), tmp_path / "model-link")
    assert (tmp_path / "model-link").is_symlink() and saved.is_file()
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # 30 rows fit in its buffer
    try:
        assert main(["sample", str(model), "-n", "30", "-o", str(fifo), "--seed", "0"]) == 0
        text = os.read(reader, 1 << 16).decode()
    finally:
        os.close(reader)
    assert fifo.is_fifo() and text == real.read_text()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_evaluate_refuses_columns_of_another_kind_in_its_own_terms(tmp_path, capsys):
    # a Parquet sample's datetimes against a CSV's text scored 0 silently (exit 0);
    # the error names the options, not the Python parameters
    days = pd.Series(pd.to_datetime("2020-01-01") + pd.to_timedelta(range(40), unit="D"))
    real = pd.DataFrame({"when": days, "x": range(40)})
    real.to_csv(tmp_path / "real.csv", index=False)
    real.to_parquet(tmp_path / "synth.parquet")
    args = ["evaluate", str(tmp_path / "real.csv"), str(tmp_path / "synth.parquet")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "Column 'when' is discrete, but holds text in real" in err
    assert "becomes datetimes with --dates" in err
    assert main([*args, "--dates", "when"]) == 0
    capsys.readouterr()
    real.assign(x="text").to_csv(tmp_path / "text.csv", index=False)
    assert main(["evaluate", str(tmp_path / "real.csv"), str(tmp_path / "text.csv")]) == 2
    err = capsys.readouterr().err
    assert "Column 'x' is continuous, but holds text in synthetic" in err
    assert "or list it in --discrete" in err and "discrete_columns" not in err


@pytest.fixture(scope="module")
def fitted_model(tmp_path_factory, adult_small):
    folder = tmp_path_factory.mktemp("cli_model")
    data = folder / "adult.csv"
    adult_small.iloc[:300].to_csv(data, index=False)
    assert main(["fit", str(data), "--epochs", "1", "-o", str(folder / "m.sksynth")]) == 0
    return folder / "m.sksynth"


def test_inputs_through_a_pipe(fitted_model, adult_csv, tmp_path):
    # /dev/stdin is no regular file: "is not a sksynth model file" for a model, "no such
    # file" for a table
    script = str(Path(sys.executable).with_name("sksynth"))
    out = tmp_path / "o.csv"
    done = subprocess.run([script, "sample", "/dev/stdin", "-n", "7", "-o", str(out),
                           "--seed", "0"], input=fitted_model.read_bytes(),
                          capture_output=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    expected = tmp_path / "e.csv"
    assert main(["sample", str(fitted_model), "-n", "7", "-o", str(expected), "--seed", "0"]) == 0
    assert out.read_bytes() == expected.read_bytes()
    done = subprocess.run([script, "evaluate", str(adult_csv), "/dev/stdin"],
                          input=out.read_bytes(), capture_output=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert b"quality_score" in done.stdout


def test_standard_output_through_a_pipe_and_appended(fitted_model, tmp_path):
    # a pipe's /dev/stdout led to no file ("cannot write"), and `>> file` replaced the
    # file; the "wrote" line went into the table (now standard error)
    args = ["sample", str(fitted_model), "-n", "5", "-o", "/dev/stdout", "--seed", "0"]
    done = _sksynth(*args)
    assert done.returncode == 0, done.stderr
    assert len(pd.read_csv(io.StringIO(done.stdout))) == 5 and "wrote 5 rows" in done.stderr
    appended = tmp_path / "appended.csv"
    appended.write_text("PREVIOUS\n")
    with open(appended, "a") as handle:
        subprocess.run([sys.executable, "-m", "sksynth.cli", *args], stdout=handle, check=True)
    lines = appended.read_text().splitlines()
    assert lines[0] == "PREVIOUS" and len(lines) == 7


def test_csv_output_is_utf8_and_compressed_by_its_extension(tmp_path):
    import os

    import sksynth
    from sksynth import VAESynthesizer

    X = pd.DataFrame({"température": ["é", "ü"] * 30, "x": range(60)})
    sksynth.save(VAESynthesizer(epochs=1, random_state=0).fit(X), tmp_path / "m")
    env = {**os.environ, "LC_ALL": "C", "PYTHONCOERCECLOCALE": "0", "PYTHONUTF8": "0"}
    out = tmp_path / "o.csv"
    done = subprocess.run(
        [sys.executable, "-m", "sksynth.cli", "sample", str(tmp_path / "m"), "-n", "9", "-o",
         str(out), "--seed", "0"], capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr  # 'ascii' codec can't encode before
    assert set(pd.read_csv(out, encoding="utf-8")["température"]) <= {"é", "ü"}
    for suffix in ("gz", "bz2", "xz"):  # written as plain CSV before
        packed = tmp_path / f"o.csv.{suffix}"
        args = ["sample", str(tmp_path / "m"), "-n", "9", "-o", str(packed), "--seed", "0"]
        assert main(args) == 0
        pd.testing.assert_frame_equal(pd.read_csv(packed), pd.read_csv(out))
        assert main(["fit", str(packed), "--epochs", "1", "-o", str(tmp_path / "f")]) == 0


def test_more_one_line_errors(fitted_model, adult_csv, tmp_path, capsys):
    import torch

    model = str(fitted_model)
    (tmp_path / "bad.csv.gz").write_text("a,b\n1,2\n")
    (tmp_path / "dup.csv").write_text("a,a,b\n1,2,3\n4,5,6\n")
    (tmp_path / "file").write_text("x")
    # not what their extensions say: tracebacks (zipfile's, tarfile's, lzma's errors)
    for name in ("bad.zip", "bad.tar", "bad.csv.xz"):
        (tmp_path / name).write_text("a,b\n1,2\n")
    # a row with more fields than the header: every column shifted by one, silently
    (tmp_path / "long.csv").write_text("a,b,c\n1,x,2.5,9\n2,y,3.5,9\n")
    syn = tmp_path / "syn.csv"
    assert main(["sample", model, "-n", "5", "-o", str(syn), "--seed", "0"]) == 0
    capsys.readouterr()  # its progress bar
    cases = [
        (["sample", model, "-n", "5", "-o", str(tmp_path / "o.zip")], ".zip files are not written"),
        # written as a gzip CSV, then read by pandas as a tar archive
        (["sample", model, "-n", "5", "-o", str(tmp_path / "o.tar.gz")], ".tar files are not"),
        *[
            (["fit", str(tmp_path / name), "-o", "m"], f"{name}' cannot be read as CSV")
            for name in ("bad.zip", "bad.tar", "bad.csv.xz")
        ],
        (["fit", str(tmp_path / "long.csv"), "-o", "m"], "more fields than the header names"),
        # the fit's own lines were written into the model, which then could not be read
        (["fit", str(adult_csv), "-o", "/dev/stdout"], "a model is written to a file"),
        # the report replaced the synthetic table it scored
        (["evaluate", str(adult_csv), str(syn), "--report", str(syn)], "--report: "),
        (["sample", model, "-n", "5", "-o", model], "is the input file"),
        (["fit", str(adult_csv), "-o", str(adult_csv)], "is the input file"),
        (["fit", str(tmp_path), "-o", "m"], "is a folder; give a CSV or Parquet file"),
        (["sample", model, "-n", "5", "-o", ""], "-o: give a file name"),
        (["demo", "--output-dir", str(tmp_path / "file")], "--output-dir: "),
        (["fit", str(tmp_path / "bad.csv.gz"), "-o", "m"], "bad.csv.gz' cannot be read as CSV"),
        (["fit", str(tmp_path / "dup.csv"), "-o", "m"], "names these columns more than once"),
        (
            [
                "sample",
                model,
                "-n",
                "5",
                "-o",
                "o.csv",
                "--condition",
                "sex=Male",
                "--condition",
                "sex=Female",
            ],
            "--condition names 'sex' twice",
        ),  # fmt: skip
        (
            ["sample", model, "-n", "5", "-o", "o.csv", "--condition", "age=30"],
            "--condition: column 'age' is continuous; only discrete columns can be fixed "
            "(see --discrete)",
        ),
    ]
    if not torch.cuda.is_available():
        cases.append((["fit", str(adult_csv), "--device", "cuda", "-o", "m"], "use --device cpu"))
    for args, message in cases:
        assert main(args) == 2, args
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, err
    assert (tmp_path / "file").read_text() == "x"
    with pytest.raises(SystemExit):
        main(["fit", str(adult_csv), "--seed", str(2**32), "-o", "m"])
    assert "--seed: must be <= 4294967295" in capsys.readouterr().err


def test_integers_with_empty_cells_stay_integers(tmp_path):
    # pandas reads them as floats: sampled ages came back as 75.4981817244675
    from sksynth._table_files import read_table

    rng = np.random.default_rng(0)
    age = pd.array(rng.integers(18, 90, 300), dtype="Int64")
    age[rng.random(300) < 0.2] = pd.NA
    table = pd.DataFrame({"age": age, "rate": rng.integers(0, 5, 300) * 1.0, "k": "a"})
    table.loc[::7, "rate"] = np.nan  # written 3.0: a float column, kept so
    path, model, out = tmp_path / "t.csv", tmp_path / "m", tmp_path / "o.csv"
    table.to_csv(path, index=False)
    read = read_table(path)
    assert str(read["age"].dtype) == "Int64" and read["rate"].dtype == np.float64
    pd.testing.assert_series_equal(read["age"], table["age"])
    assert main(["fit", str(path), "--epochs", "1", "-o", str(model)]) == 0
    assert main(["sample", str(model), "-n", "200", "-o", str(out), "--seed", "0"]) == 0
    ages = pd.read_csv(out, dtype={"age": str})["age"]
    assert ages.isna().any() and ages.dropna().str.fullmatch(r"\d+").all()


def test_integer_dates_are_read_as_their_text(tmp_path):
    # 20200102 became 1970-01-01 00:00:00.020200102 (nanoseconds since 1970)
    from sksynth._table_files import read_table

    path = tmp_path / "d.csv"
    pd.DataFrame({"day": [20200102, None, 20201231], "year": [2019, 2020, 2021]}).to_csv(
        path, index=False
    )
    frame = read_table(path, ["day", "year"])
    assert frame["day"].tolist()[::2] == [pd.Timestamp("2020-01-02"), pd.Timestamp("2020-12-31")]
    assert frame["day"].isna().tolist() == [False, True, False]
    assert frame["year"].dt.year.tolist() == [2019, 2020, 2021]
    pd.DataFrame({"b": [True, False], "f": [1.5, 2.0]}).to_csv(path, index=False)
    for column, message in [("b", "True/False, no dates"), ("f", "fractions, no dates")]:
        with pytest.raises(ValueError, match=message):
            read_table(path, [column])


def test_the_label_of_a_model_fitted_with_y_is_a_condition(tmp_path):
    import sksynth
    from sksynth import VAESynthesizer

    X = pd.DataFrame({"a": range(80), "income": ["p", "q"] * 40})
    y = pd.Series(["low", "high"] * 40, name="income")  # written as income_y
    sksynth.save(VAESynthesizer(epochs=1, random_state=0).fit(X, y), tmp_path / "m")
    out = tmp_path / "o.csv"
    args = ["sample", str(tmp_path / "m"), "-n", "40", "-o", str(out), "--seed", "0"]
    assert main([*args, "--condition", "income_y=high", "--condition", "income=q"]) == 0
    written = pd.read_csv(out)
    assert (written["income_y"] == "high").all() and (written["income"] == "q").all()
    assert main([*args, "--condition", "income_y=rich"]) == 2


def test_help_says_defaults_and_the_version(capsys):
    from sksynth import __version__

    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"sksynth {__version__}"
    with pytest.raises(SystemExit):
        main(["sample", "--help"])
    text = capsys.readouterr().out
    assert (
        "(default: 100000)" in text and "number of rows" in text and "(default: None)" not in text
    )


def test_descriptors_are_written_through_and_other_device_folder_files_replaced(
    fitted_model, tmp_path
):
    # any existing file under /dev/ or /proc/ was appended to (/dev/shm included), and
    # /dev/stdout was reopened at offset 0: `{ sksynth ...; echo; } > f` lost the header
    args = ["sample", str(fitted_model), "-n", "3", "--seed", "0"]
    out = tmp_path / "g.csv"
    script = Path(sys.executable).with_name("sksynth")
    command = f"{{ {script} {' '.join(args)} -o /dev/stdout 2>/dev/null; echo '#END'; }} > {out}"
    subprocess.run(command, shell=True, check=True)
    lines = out.read_text().splitlines()
    assert lines[0].startswith("age,") and lines[-1] == "#END" and len(lines) == 5
    if Path("/dev/shm").is_dir():
        shm = Path("/dev/shm") / f"sksynth-test-{tmp_path.name}.csv"
        try:
            for _ in range(2):
                assert main([*args, "-o", str(shm)]) == 0
            assert len(pd.read_csv(shm)) == 3  # replaced, not appended to
        finally:
            shm.unlink(missing_ok=True)


def test_header_cells_read_as_text_are_not_taken_for_duplicates(tmp_path):
    # ",,x", "NA,n/a", "1.0,1.00" were refused as repeated columns
    from sksynth._table_files import read_table

    for header in (",,x", "NA,n/a,x", "1.0,1.00,x", "True,true,x"):
        path = tmp_path / "h.csv"
        path.write_text(f"{header}\n1,2,3.5\n2,3,4.5\n")
        assert read_table(path).shape == (2, 3)
