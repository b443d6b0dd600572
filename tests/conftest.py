import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="session")
def adult():
    from sksynth.datasets import load_adult

    return load_adult().frame


@pytest.fixture(scope="session")
def adult_small(adult):
    return adult.sample(2000, random_state=0).reset_index(drop=True)


def make_mixed(n=120, seed=0):
    """A table with every supported dtype and missing values."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "f": rng.normal(size=n),
            "i": rng.integers(0, 100, n),
            "I": pd.array(rng.integers(0, 5, n), dtype="Int64"),
            "b": rng.random(n) > 0.5,
            "c": pd.Categorical(rng.choice(list("xyz"), n)),
            "s": pd.Series(rng.choice(["aa", "bb", "cc"], n), dtype=object),
            "d": pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D"),
        }
    )
    frame.loc[::7, "f"] = np.nan
    frame.loc[::5, "I"] = pd.NA
    frame.loc[::9, "d"] = pd.NaT
    frame.loc[::4, "c"] = np.nan
    frame.loc[::6, "s"] = None
    return frame


@pytest.fixture
def mixed():
    return make_mixed()
