"""Real-versus-synthetic marginal plots (matplotlib is imported lazily)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from ..preprocessing._columns import is_datetime, is_timedelta
from ._fidelity import _correlations
from ._tables import align, as_numbers, value_shares


def require_matplotlib() -> None:
    """Raise the ``ImportError`` users see when matplotlib is missing (the command line
    calls it before its long work, not after)."""
    try:
        import matplotlib.figure  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            "Plots need matplotlib: pip install 'sksynth[plot]' (or pip install matplotlib)."
        ) from exc


#: Units a duration axis is drawn in: the largest of which the real values span two
_DURATION_UNITS = (("days", 86_400.0), ("hours", 3_600.0), ("minutes", 60.0), ("seconds", 1.0))


def _plain(text) -> str:
    """A label as matplotlib shows it literally: ``$`` starts its math mode (a label
    with two of them lost them, or raised a ParseSyntaxException)."""
    return str(text).replace("$", r"\$")


def _short_labels(labels, width: int) -> list[str]:
    """``labels`` as plain text of at most ``width`` characters, still distinct: cut
    ones that would read alike keep their head and their tail."""
    texts = [str(label) for label in labels]

    def cut(text: str, keep_tail: bool) -> str:
        if len(text) <= width:
            return text
        if not keep_tail:
            return text[: width - 1] + "…"
        head = (width - 1) // 2
        return text[:head] + "…" + text[-(width - 1 - head) :]

    heads = Counter(cut(text, False) for text in texts)
    short = [cut(text, heads[cut(text, False)] > 1) for text in texts]
    alike, seen = Counter(short), Counter()
    for k, text in enumerate(short):  # alike even so: numbered, every one of them
        if alike[text] > 1:
            seen[text] += 1
            short[k] = f"{text} ({seen[text]})"
    return [_plain(text) for text in short]


def _figure(**kwargs):
    """A matplotlib ``Figure`` made outside pyplot: the user's backend is never switched
    (``matplotlib.use("Agg")`` did, so a later ``plt.show()`` showed nothing) and none
    of the user's figures is touched; it needs no closing."""
    require_matplotlib()
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def plot_marginals(real, synthetic: dict, path, *, columns=None, discrete_columns="auto"):
    """Save a grid of real vs synthetic marginals to ``path`` (PNG); return the figure.

    ``synthetic`` maps a label (such as a model name) to a synthetic table.
    """
    fig = marginals_figure(real, synthetic, columns=columns, discrete_columns=discrete_columns)
    fig.savefig(path, dpi=90)
    return fig


def marginals_figure(real, synthetic: dict, *, columns=None, discrete_columns="auto"):
    """A grid of real vs synthetic marginals, one panel per column."""
    first = next(iter(synthetic.values()))
    real_frame, _, discrete = align(real, first, discrete_columns)
    columns = list(real_frame.columns if columns is None else columns)
    n_cols = 3
    n_rows = int(np.ceil(len(columns) / n_cols))
    fig = _figure(figsize=(4.2 * n_cols, 2.8 * n_rows))
    axes = fig.subplots(n_rows, n_cols, squeeze=False)
    tables = {"real": real_frame}
    for name, table in synthetic.items():
        tables[name] = align(real, table, discrete)[1]
    titles = _short_labels(columns, 40)
    for ax, column, title in zip(axes.ravel(), columns, titles):
        if column in discrete:
            _bars(ax, {name: table[column] for name, table in tables.items()})
        else:
            numbers = {name: as_numbers(table[column]) for name, table in tables.items()}
            if is_timedelta(real_frame[column].dtype):  # seconds, in a readable unit
                unit, seconds = _duration_unit(numbers["real"])
                numbers = {name: values / seconds for name, values in numbers.items()}
                ax.set_xlabel(unit, fontsize=7)
            _histograms(ax, numbers)
            if is_datetime(real_frame[column].dtype):  # as dates, not seconds since 1970
                # align made them naive UTC; the labels are in the user's time zone
                dtype = getattr(real, "dtypes", {}).get(column)
                _date_ticks(ax, getattr(dtype, "tz", None), numbers["real"])
        ax.set_title(title, fontsize=9)
    for ax in axes.ravel()[len(columns) :]:
        ax.axis("off")
    # on the first panel that draws every table (a column without real values draws none)
    for ax in axes.ravel()[: len(columns)]:
        if len(ax.get_legend_handles_labels()[0]) == len(tables):
            ax.legend(fontsize=7)
            break
    fig.tight_layout()
    return fig


def _duration_unit(seconds: np.ndarray) -> tuple[str, float]:
    """The largest of ``_DURATION_UNITS`` that the observed ``seconds`` span two of."""
    observed = np.abs(seconds[~np.isnan(seconds)])
    most = observed.max() if observed.size else 0.0
    return next((u for u in _DURATION_UNITS if most >= 2 * u[1]), _DURATION_UNITS[-1])


def _bars(ax, columns: dict, top: int = 12) -> None:
    """Category shares: the ``top`` most frequent real values, then the rest of each
    table's rows (synthetic values the real table lacks included) as "(other)"."""
    # one missing marker: None in one table, NaN in the other are one bar
    shares = {name: value_shares(values) for name, values in columns.items()}
    labels = list(shares["real"].index[:top])
    rows = {name: [float(f.get(label, 0.0)) for label in labels] for name, f in shares.items()}
    names = _short_labels(labels, 12)
    if any(1.0 - sum(values) > 1e-9 for values in rows.values()):
        for values in rows.values():
            values.append(max(1.0 - sum(values), 0.0))
        names.append("(other)")
    width = 0.8 / len(rows)
    for i, (name, values) in enumerate(rows.items()):
        ax.bar(np.arange(len(values)) + i * width, values, width, label=_plain(name))
    ax.set_xticks(np.arange(len(names)) + 0.4 - width / 2)
    ax.set_xticklabels(names, rotation=60, fontsize=7)


def _date_ticks(ax, tz, seconds: np.ndarray) -> None:
    """Label an axis of seconds since 1970 (UTC) with the dates they fall on in ``tz``
    (UTC when ``None``), and the time of day where the real values span under three
    days (``seconds``)."""
    from matplotlib.ticker import FuncFormatter

    observed = seconds[~np.isnan(seconds)]
    short = observed.size > 0 and np.ptp(observed) < 3 * 86_400
    resolution = "datetime64[m]" if short else "datetime64[D]"

    def label(seconds, _position=None):
        instant = np.datetime64(round(seconds), "s")  # any year, where pandas' ns stop
        if tz is not None:
            try:
                local = pd.Timestamp(instant, tz="UTC").tz_convert(tz).tz_localize(None)
                instant = local.to_datetime64()
            except (OverflowError, pd.errors.OutOfBoundsDatetime):
                pass  # beyond the years pandas converts: the UTC date
        return str(instant.astype(resolution)).replace("T", " ")

    ax.xaxis.set_major_formatter(FuncFormatter(label))
    ax.tick_params(axis="x", labelrotation=30, labelsize=7)


def _histograms(ax, columns: dict, bins: int = 30) -> None:
    """Densities over the real values' range; each table's curve has the area of its
    share of values inside that range, and the legend gives the share outside it and,
    where a table has missing values, each table's share of them."""
    observed = columns["real"][~np.isnan(columns["real"])]
    if not observed.size:  # no range to draw over (it was [0, 1], "75% outside" it)
        ax.text(0.5, 0.5, "no real values", ha="center", va="center", transform=ax.transAxes)
        return
    edges = np.histogram_bin_edges(observed, bins=bins)
    flagged = False
    # the shape score counts missing values: their shares, in every table, if any has some
    missing = {name: float(np.isnan(v).mean()) if v.size else 0.0 for name, v in columns.items()}
    any_missing = max(missing.values()) >= 0.005
    for name, values in columns.items():
        values = values[~np.isnan(values)]
        inside = (values >= edges[0]) & (values <= edges[-1])
        outside = 1.0 - inside.mean() if values.size else 0.0
        shares = [f"{outside:.0%} outside"] if outside >= 0.005 else []
        if any_missing:
            shares.append(f"{missing[name]:.0%} missing")
        flagged |= bool(shares)
        label = _plain(f"{name} ({', '.join(shares)})" if shares else name)
        style = {"histtype": "stepfilled", "alpha": 0.35} if name == "real" else {}
        ax.hist(
            values[inside],
            bins=edges,
            weights=np.full(int(inside.sum()), 1.0 / (max(values.size, 1) * np.diff(edges)[0])),
            label=label,
            **{"histtype": "step", "linewidth": 1.4, **style},
        )
    if flagged:  # the first panel's legend has no room for every panel's shares
        ax.legend(fontsize=6)


def correlations_figure(real, synthetic, *, discrete_columns="auto"):
    """Pearson correlations of the continuous columns: real, synthetic, and their difference.

    With fewer than two continuous columns, the figure says so instead.
    """
    real, synthetic, discrete = align(real, synthetic, discrete_columns)
    continuous = [c for c in real.columns if c not in discrete]
    fig = _figure(figsize=(15, 4.8))
    axes = fig.subplots(1, 3)
    if len(continuous) < 2:
        for ax in axes:
            ax.axis("off")
        axes[1].text(0.5, 0.5, "fewer than two continuous columns", ha="center")
        return fig
    # a correlation that cannot be computed (a constant or empty column) is left blank
    corr = {
        name: _correlations(table, continuous)
        for name, table in (("real", real), ("synthetic", synthetic))
    }
    panels = [  # a difference of correlations spans [0, 2]: a flipped sign reads 2
        ("real", corr["real"], "RdBu_r", -1, 1),
        ("synthetic", corr["synthetic"], "RdBu_r", -1, 1),
        ("|real - synthetic|", np.abs(corr["real"] - corr["synthetic"]), "Reds", 0, 2),
    ]
    labels = _short_labels(continuous, 18)
    for ax, (title, matrix, cmap, low, high) in zip(axes, panels, strict=True):
        image = ax.imshow(matrix, cmap=cmap, vmin=low, vmax=high)
        ax.set_xticks(range(len(labels)), labels, rotation=70, fontsize=7)
        ax.set_yticks(range(len(labels)), labels, fontsize=7)
        ax.set_title(title, fontsize=10)
        fig.colorbar(image, ax=ax, fraction=0.046)
    fig.tight_layout()
    return fig
