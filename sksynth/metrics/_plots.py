"""Real-versus-synthetic marginal plots (matplotlib is imported lazily)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..preprocessing._columns import is_datetime
from ._fidelity import _correlations
from ._tables import align, as_numbers


def require_matplotlib() -> None:
    """Raise the ``ImportError`` users see when matplotlib is missing (the command line
    calls it before its long work, not after)."""
    try:
        import matplotlib.figure  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            "Plots need matplotlib: pip install 'sksynth[plot]' (or pip install matplotlib)."
        ) from exc


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
    for ax, column in zip(axes.ravel(), columns):
        if column in discrete:
            _bars(ax, {name: table[column] for name, table in tables.items()})
        else:
            _histograms(ax, {name: as_numbers(table[column]) for name, table in tables.items()})
            if is_datetime(real_frame[column].dtype):  # as dates, not seconds since 1970
                # align made them naive UTC; the labels are in the user's time zone
                dtype = getattr(real, "dtypes", {}).get(column)
                _date_ticks(ax, getattr(dtype, "tz", None))
        ax.set_title(str(column), fontsize=9)
    for ax in axes.ravel()[len(columns) :]:
        ax.axis("off")
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def _bars(ax, columns: dict, top: int = 12) -> None:
    """Category shares: the ``top`` most frequent real values, then the rest of each
    table's rows (synthetic values the real table lacks included) as "(other)"."""
    shares = {
        name: values.astype(object).value_counts(normalize=True, dropna=False)
        for name, values in columns.items()
    }
    labels = list(shares["real"].index[:top])
    rows = {name: [float(f.get(label, 0.0)) for label in labels] for name, f in shares.items()}
    names = [str(x)[:10] for x in labels]
    if any(1.0 - sum(values) > 1e-9 for values in rows.values()):
        for values in rows.values():
            values.append(max(1.0 - sum(values), 0.0))
        names.append("(other)")
    width = 0.8 / len(rows)
    for i, (name, values) in enumerate(rows.items()):
        ax.bar(np.arange(len(values)) + i * width, values, width, label=name)
    ax.set_xticks(np.arange(len(names)) + 0.4 - width / 2)
    ax.set_xticklabels(names, rotation=60, fontsize=7)


def _date_ticks(ax, tz) -> None:
    """Label an axis of seconds since 1970 (UTC) with the dates they fall on in ``tz``
    (UTC when ``None``)."""
    from matplotlib.ticker import FuncFormatter

    def label(seconds, _position=None):
        instant = np.datetime64(round(seconds), "s")  # any year, where pandas' ns stop
        if tz is not None:
            try:
                local = pd.Timestamp(instant, tz="UTC").tz_convert(tz).tz_localize(None)
                instant = local.to_datetime64()
            except (OverflowError, pd.errors.OutOfBoundsDatetime):
                pass  # beyond the years pandas converts: the UTC date
        return str(instant.astype("datetime64[D]"))

    ax.xaxis.set_major_formatter(FuncFormatter(label))
    ax.tick_params(axis="x", labelrotation=30, labelsize=7)


def _histograms(ax, columns: dict, bins: int = 30) -> None:
    """Densities over the real values' range; each table's curve has the area of its
    share of values inside that range, and the legend gives the share outside it."""
    observed = columns["real"][~np.isnan(columns["real"])]
    if not observed.size:  # no range to draw over (it was [0, 1], "75% outside" it)
        ax.text(0.5, 0.5, "no real values", ha="center", va="center", transform=ax.transAxes)
        return
    edges = np.histogram_bin_edges(observed, bins=bins)
    flagged = False
    for name, values in columns.items():
        values = values[~np.isnan(values)]
        inside = (values >= edges[0]) & (values <= edges[-1])
        outside = 1.0 - inside.mean() if values.size else 0.0
        flagged |= outside >= 0.005
        label = f"{name} ({outside:.0%} outside)" if outside >= 0.005 else name
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
    corr = {
        name: np.nan_to_num(_correlations(table, continuous))
        for name, table in (("real", real), ("synthetic", synthetic))
    }
    panels = [
        ("real", corr["real"], "RdBu_r", -1),
        ("synthetic", corr["synthetic"], "RdBu_r", -1),
        ("|real - synthetic|", np.abs(corr["real"] - corr["synthetic"]), "Reds", 0),
    ]
    labels = [str(c)[:14] for c in continuous]
    for ax, (title, matrix, cmap, low) in zip(axes, panels, strict=True):
        image = ax.imshow(matrix, cmap=cmap, vmin=low, vmax=1)
        ax.set_xticks(range(len(labels)), labels, rotation=70, fontsize=7)
        ax.set_yticks(range(len(labels)), labels, fontsize=7)
        ax.set_title(title, fontsize=10)
        fig.colorbar(image, ax=ax, fraction=0.046)
    fig.tight_layout()
    return fig
