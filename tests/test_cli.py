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
    assert main(["evaluate", str(adult_csv), str(out), "--target", "income"]) == 0
    assert "quality" in capsys.readouterr().out


def test_one_line_errors(adult_csv, tmp_path, capsys):
    assert main(["fit", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "m")]) == 2
    assert "sksynth: error: no such file" in capsys.readouterr().err
    assert main(["fit", str(adult_csv), "--target", "salary", "-o", str(tmp_path / "m")]) == 2
    assert "column 'salary' is not in the table" in capsys.readouterr().err
    assert main(["sample", str(adult_csv), "-n", "3", "-o", str(tmp_path / "o.csv")]) == 2
    assert "not a sksynth model file" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["fit"])


def test_demo_runs(tmp_path, capsys):
    assert (
        main(["demo", "--output-dir", str(tmp_path), "--vae-epochs", "1", "--gan-epochs", "1"]) == 0
    )
    printed = capsys.readouterr().out
    assert "quality" in printed and "real (held out)" in printed
    assert (tmp_path / "adult_marginals.png").stat().st_size > 10_000
    assert len(pd.read_csv(tmp_path / "adult_synthetic_vae.csv")) == 6513
