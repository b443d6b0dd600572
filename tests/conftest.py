import numpy as np
import pandas as pd
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from synth_helpers import FAST

# the same examples on every run: a property test fails on a change, not on luck
settings.register_profile("sksynth", derandomize=True)
settings.load_profile("sksynth")


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


@pytest.fixture(params=sorted(FAST))
def make(request):
    """Each synthesizer's fast constructor, one test per model."""
    return FAST[request.param]


@pytest.fixture
def mixed():
    return make_mixed()


def mixed_frames(min_rows=2):
    """Hypothesis strategy: DataFrames mixing every supported dtype, with NaN."""
    n = st.integers(min_rows, 30)

    @st.composite
    def build(draw):
        rows = draw(n)
        seed = draw(st.integers(0, 2**16))
        rng = np.random.default_rng(seed)
        cols = {}
        kinds = draw(st.lists(st.sampled_from(list("fiIbcsdowt")), min_size=1, max_size=6))
        for k, kind in enumerate(kinds):
            nan = rng.random(rows) < draw(st.sampled_from([0.0, 0.3]))
            nan[0] = False  # never an all-missing column
            name = f"{kind}{k}"
            if kind == "f":
                v = pd.Series(rng.normal(scale=draw(st.sampled_from([1e-3, 1.0, 1e4])), size=rows))
            elif kind == "i":
                v = pd.Series(rng.integers(-1000, 1000, rows))
                nan[:] = False
            elif kind == "I":
                v = pd.Series(pd.array(rng.integers(0, 50, rows), dtype="Int64"))
            elif kind == "b":
                v = pd.Series(rng.random(rows) > 0.5)
                nan[:] = False
            elif kind == "c":
                v = pd.Series(pd.Categorical(rng.choice(["p", "q", "r"], rows)))
            elif kind == "s":
                v = pd.Series(rng.choice(["u", "v", "w", "x"], rows), dtype=object)
            elif kind == "o":
                v = pd.Series(rng.choice(["u", "v"], rows)).astype("str")
            elif kind == "w":  # ints too far apart for a float32 scalar (a residual span)
                v = pd.Series(pd.array(rng.integers(-(10**12), 10**12, rows), dtype="Int64"))
            elif kind == "t":  # times to the second over decades (a residual span)
                seconds = pd.to_timedelta(rng.integers(0, 2 * 10**9, rows), unit="s")
                v = pd.Series(pd.to_datetime("1970-01-01") + seconds)
            else:
                v = pd.Series(
                    pd.to_datetime("2001-02-03")
                    + pd.to_timedelta(rng.integers(0, 10**6, rows), unit="min")
                )
            cols[name] = v.mask(nan) if nan.any() else v
        return pd.DataFrame(cols)

    return build()
