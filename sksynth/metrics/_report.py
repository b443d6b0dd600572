"""``evaluate``: every score of a synthetic table in one report, with plots and HTML."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from ..utils._checks import check_count, check_seed
from ._detection import detection_score
from ._fidelity import column_pair_trends, column_shapes, combined_quality
from ._plots import correlations_figure, marginals_figure
from ._privacy import distance_ratio, exact_copy_rate, neighbour_distances, privacy_score
from ._tables import align, value_shares
from ._utility import check_target, tstr_score

_MEANINGS = {
    "quality_score": "mean of column shapes and column pair trends (1 = identical)",
    "column_shapes": "marginals: 1 - KS (continuous), 1 - TVD (discrete)",
    "column_pair_trends": "pairs: correlation / contingency similarity",
    "detection_score": "1 = a classifier cannot tell synthetic from real rows",
    "exact_copy_rate": "share of rows copied from the real table (reference: real holdout)",
    "median DCR": "median distance to the closest real row (reference: real holdout)",
    "median NNDR": "median closest / second-closest real distance (reference: holdout)",
    "privacy_score": "1 = synthetic rows no closer to training rows than to holdout rows",
}


def _subsample(frame: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    if len(frame) <= n:
        return frame
    rows = np.sort(np.random.default_rng(seed).choice(len(frame), n, replace=False))
    return frame.iloc[rows]


class EvaluationReport:
    """The scores of a synthetic table against a real one (made by :func:`evaluate`).

    Attributes
    ----------
    summary : DataFrame
        One row per score: ``synthetic`` (its value), ``reference`` (what real
        data gets, where that is meaningful) and ``meaning``.
    column_shapes : Series
        Per-column marginal scores.
    column_pair_trends : Series
        Per-pair scores (indexed by column pairs).
    target_distribution : DataFrame or None
        With a target: its class shares (or mean and std) in real and
        synthetic rows.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from sksynth.datasets import load_adult
    >>> from sksynth.metrics import evaluate
    >>> adult = load_adult().frame
    >>> report = evaluate(adult.iloc[:1000], adult.iloc[1000:2000], target="income")
    >>> report.target_distribution.columns.tolist()
    ['real', 'synthetic']
    >>> page = report.to_html(pathlib.Path(tempfile.mkdtemp()) / "report.html")
    >>> page.read_text().count("<img")
    2
    """

    def __init__(self, real, synthetic, discrete, summary, shapes, pairs, target_distribution):
        self._real, self._synthetic, self._discrete = real, synthetic, discrete
        self.summary = summary
        self.column_shapes = shapes
        self.column_pair_trends = pairs
        self.target_distribution = target_distribution

    def __repr__(self):
        return f"EvaluationReport\n{self.summary[['synthetic', 'reference']].round(4)}"

    def plot(self):
        """Draw the report's figures (needs matplotlib).

        Returns
        -------
        figures : dict of str to matplotlib Figure
            ``"marginals"`` (real vs synthetic, one panel per column) and
            ``"correlations"`` (real, synthetic and their absolute difference).
        """
        return {
            "marginals": marginals_figure(
                self._real, {"synthetic": self._synthetic}, discrete_columns=self._discrete
            ),
            "correlations": correlations_figure(
                self._real, self._synthetic, discrete_columns=self._discrete
            ),
        }

    def to_html(self, path):
        """Write the report as one self-contained HTML page (figures embedded).

        Parameters
        ----------
        path : str or path-like
            Where to write the page.

        Returns
        -------
        path : Path
            The written file.
        """
        images = []
        for title, figure in self.plot().items():
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png", dpi=80)
            data = base64.b64encode(buffer.getvalue()).decode("ascii")
            source = f"data:image/png;base64,{data}"
            images.append(f'<h2>{title.capitalize()}</h2><img alt="{title}" src="{source}">')
        sections = [
            "<h2>Summary</h2>"
            + self.summary.to_html(float_format="%.4f", na_rep="", classes="summary"),
        ]
        if self.target_distribution is not None:
            target = self.target_distribution
            name = html.escape(str(target.index.name)) if target.index.name is not None else ""
            sections.append(  # the target named in the heading, not in a second header row
                f"<h2>Target{': ' + name if name else ''}</h2>"
                + target.rename_axis(None).to_html(float_format="%.4f")
            )
        sections.append(
            "<h2>Column shapes</h2>"
            + self.column_shapes.to_frame("score").to_html(float_format="%.4f")
        )
        worst = self.column_pair_trends.sort_values().head(15)
        worst.index = [f"{a} / {b}" for a, b in worst.index]
        sections.append(
            "<h2>Least well kept column pairs</h2>"
            + worst.to_frame("score").to_html(float_format="%.4f")
        )
        page = _PAGE.format(
            title=html.escape("sksynth evaluation report"), body="\n".join(sections + images)
        )
        path = Path(path)
        path.write_text(page, encoding="utf-8")
        return path


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }}
th, td {{ border: 1px solid #ccc; padding: 0.3em 0.7em; text-align: right; }}
th {{ background: #f2f2f2; }}
table.summary td:last-child {{ text-align: left; }}
img {{ max-width: 100%; }}
</style></head>
<body><h1>{title}</h1>
{body}
</body></html>
"""


#: Classes of the target whose shares the summary gives one row each
_SUMMARY_CLASSES = 10


def _target_rows(real, synthetic, target, discrete, real_test, seed):
    """Summary rows and distribution table for ``target``; TSTR with its reference."""
    rows = {}
    tables = {"real": real, "synthetic": synthetic}
    if real_test is not None:
        tables["real_test"] = real_test
    if target in discrete:
        # None, NaN and pd.NA as one missing class (two tables may mark it differently)
        shares = pd.DataFrame(
            {"real": value_shares(real[target]), "synthetic": value_shares(synthetic[target])}
        ).fillna(0.0)
        shares = shares.sort_values("real", ascending=False, kind="stable")
        for label, share in shares.head(_SUMMARY_CLASSES).iterrows():
            rows[f"share of {target}={label!r}"] = (share["synthetic"], share["real"], "")
        rest = shares.iloc[_SUMMARY_CLASSES:]
        if len(rest):  # one row, not one per class (a 60-class target gave 60 rows)
            rows[f"share of {target}=(the {len(rest)} other classes)"] = (
                rest["synthetic"].sum(),
                rest["real"].sum(),
                "",
            )
    else:
        shares = pd.DataFrame(
            {
                name: {"mean": frame[target].mean(), "std": frame[target].std()}
                for name, frame in (("real", real), ("synthetic", synthetic))
            }
        ).rename_axis(target)  # the report's heading names the target
    try:
        tstr, note = _tstr(tables, target, discrete, seed)
    except ValueError as exc:  # the rest of the report stands; the reason is in it
        rows["tstr_score"] = (np.nan, np.nan, f"not computed: {exc}")
    else:
        rows["tstr_score"] = (tstr["synthetic"], tstr["real"], note)
    return rows, shares


def _tstr(tables: dict, target, discrete, seed) -> tuple[pd.Series, str]:
    """TSTR of ``tables`` (real, synthetic and maybe real_test) with its reference, and
    the note saying how it was computed. Rows without a target are left out (a model
    needs one on every row), and said so."""
    note = "train on synthetic, test on real (reference: train on real); " + (
        "ROC AUC of a classifier"
        if target in discrete
        else f"max(R^2, 0) of a regressor ({target!r} is numeric: list it in "
        "discrete_columns to score its classes)"
    )
    dropped = {name: int(frame[target].isna().sum()) for name, frame in tables.items()}
    tables = {name: frame[frame[target].notna()] for name, frame in tables.items()}
    if any(dropped.values()):
        counts = ", ".join(f"{n} {name}" for name, n in dropped.items() if n)
        note += f"; rows with a missing {target!r} left out ({counts})"
    empty = [name for name, frame in tables.items() if len(frame) < 2]
    if empty:
        raise ValueError(f"fewer than 2 rows with a {target!r} in {' and '.join(empty)}.")
    real = tables["real"]
    if "real_test" in tables:
        train, test = real, tables["real_test"]
    else:  # no holdout given: hold out part of the real rows (the synthesizer saw them)
        stratify = real[target] if target in discrete else None
        try:
            train, test = train_test_split(
                real, test_size=0.25, random_state=seed, stratify=stratify
            )
        except ValueError:
            train, test = train_test_split(real, test_size=0.25, random_state=seed)
        note += "; no real_test: 25 % of real rows held out, seen by the synthesizer"
    tstr = tstr_score(
        test, tables["synthetic"], target, real_train=train, discrete_columns=discrete
    )
    return tstr, note


def evaluate(
    real,
    synthetic,
    *,
    target=None,
    real_test=None,
    discrete_columns="auto",
    max_privacy_rows=5000,
    random_state=0,
):
    """Score a synthetic table against the real one: fidelity, detection, utility, privacy.

    Parameters
    ----------
    real : DataFrame or ndarray
        The real rows the synthesizer was fitted on.
    synthetic : DataFrame or ndarray
        Synthetic rows with the same columns.
    target : column label, default=None
        A column to predict: adds its real vs synthetic distribution and the
        train-on-synthetic, test-on-real score next to train-on-real. The
        summary gives the shares of its ten most frequent real classes (the
        others summed in one row); ``target_distribution`` holds every class.
    real_test : DataFrame or ndarray, default=None
        Real rows the synthesizer never saw: the test split of the utility
        score and the holdout of the privacy scores. Without it, utility holds
        out 25 % of ``real`` and privacy has no holdout reference.
    discrete_columns : "auto" or list, default="auto"
        Discrete columns.
    max_privacy_rows : int, default=5000
        Rows (seeded subsample) the distance-based privacy scores look at.
    random_state : int, RandomState or None, default=0
        Seeds the subsamples and splits.

    Returns
    -------
    report : EvaluationReport
        ``summary``, per-column and per-pair detail, ``plot()`` and ``to_html(path)``.

    Examples
    --------
    >>> from sksynth.datasets import load_adult
    >>> from sksynth.metrics import evaluate
    >>> adult = load_adult().frame
    >>> report = evaluate(adult.iloc[:2000], adult.iloc[2000:4000], target="income",
    ...                   real_test=adult.iloc[4000:5000])
    >>> bool(report.summary.loc["quality_score", "synthetic"] > 0.9)
    True
    >>> sorted(report.summary.index)[:3]
    ['column_pair_trends', 'column_shapes', 'detection_score']
    """
    check_count(max_privacy_rows, "max_privacy_rows")
    random_state = check_seed(random_state, "evaluate's random_state")
    real, synthetic, discrete = align(real, synthetic, discrete_columns)
    if real_test is not None:
        real_test = align(real, real_test, discrete, names=("real", "real_test"))[1]
    if min(len(real), len(synthetic)) < 3:
        raise ValueError(
            "evaluate needs at least 3 rows in each table (its detection score "
            f"cross-validates in 3 folds); real has {len(real)}, synthetic {len(synthetic)}."
        )
    if target is not None:
        check_target(target, real.columns)
    shapes = column_shapes(real, synthetic, discrete_columns=discrete, aggregate=False)
    pairs = column_pair_trends(real, synthetic, discrete_columns=discrete, aggregate=False)
    pair_mean = float(pairs.mean()) if len(pairs) else 1.0
    rows = {
        "quality_score": (combined_quality(float(shapes.mean()), pairs), np.nan, ""),
        "column_shapes": (float(shapes.mean()), np.nan, ""),
        "column_pair_trends": (pair_mean, np.nan, ""),
        "detection_score": (
            detection_score(real, synthetic, discrete_columns=discrete, random_state=random_state),
            np.nan,
            "",
        ),
    }
    seed = random_state
    synth_rows = _subsample(synthetic, max_privacy_rows, seed)
    holdout = None if real_test is None else _subsample(real_test, max_privacy_rows, seed)
    copies = [exact_copy_rate(real, t, discrete_columns=discrete) for t in (synthetic, real_test)
              if t is not None]  # fmt: skip
    rows["exact_copy_rate"] = (copies[0], copies[1] if len(copies) > 1 else np.nan, "")
    # one neighbour index of the real rows serves both distance scores and the holdout
    queries = [synth_rows] if holdout is None else [synth_rows, holdout]
    synth_d, *rest = neighbour_distances(real, queries, discrete, 2)
    holdout_d = rest[0] if rest else None
    rows["median DCR"] = (
        float(np.median(synth_d[:, 0])),
        np.nan if holdout_d is None else float(np.median(holdout_d[:, 0])),
        "",
    )
    if len(real) > 1:
        rows["median NNDR"] = (
            float(np.median(distance_ratio(synth_d))),
            np.nan if holdout_d is None else float(np.median(distance_ratio(holdout_d))),
            "",
        )
    if holdout is not None:
        score = privacy_score(
            real, synth_rows, holdout, discrete_columns=discrete, random_state=seed
        )
        rows["privacy_score"] = (score, np.nan, "")
    distribution = None
    if target is not None:
        target_rows, distribution = _target_rows(real, synthetic, target, discrete, real_test, seed)
        rows.update(target_rows)
    summary = pd.DataFrame.from_dict(
        {
            name: (value, ref, "; ".join(filter(None, [_MEANINGS.get(name, ""), note])))
            for name, (value, ref, note) in rows.items()
        },
        orient="index",
        columns=["synthetic", "reference", "meaning"],
    )
    return EvaluationReport(real, synthetic, discrete, summary, shapes, pairs, distribution)
