"""Real-versus-synthetic marginal plots (matplotlib is imported lazily)."""

from __future__ import annotations

import numpy as np

from ._tables import align, as_numbers


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "Plots need matplotlib: pip install 'sksynth[plot]' (or pip install matplotlib)."
        ) from exc
    return pyplot


def plot_marginals(real, synthetic: dict, path, *, columns=None, discrete_columns="auto"):
    """Save a grid of real vs synthetic marginals to ``path`` (PNG); return the figure.

    ``synthetic`` maps a label (such as a model name) to a synthetic table.
    """
    plt = _pyplot()
    first = next(iter(synthetic.values()))
    real_frame, _, discrete = align(real, first, discrete_columns)
    columns = list(real_frame.columns if columns is None else columns)
    n_cols = 3
    n_rows = int(np.ceil(len(columns) / n_cols))
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(4.2 * n_cols, 2.8 * n_rows), squeeze=False)
    tables = {"real": real_frame}
    for name, table in synthetic.items():
        tables[name] = align(real, table, discrete)[1]
    for ax, column in zip(axes.ravel(), columns):
        if column in discrete:
            labels = list(dict.fromkeys(real_frame[column].astype(object).tolist()))[:12]
            width = 0.8 / len(tables)
            for i, (name, table) in enumerate(tables.items()):
                freq = table[column].astype(object).value_counts(normalize=True, dropna=False)
                values = [freq.get(label, 0.0) for label in labels]
                ax.bar(np.arange(len(labels)) + i * width, values, width, label=name)
            ax.set_xticks(np.arange(len(labels)) + 0.4 - width / 2)
            ax.set_xticklabels([str(x)[:10] for x in labels], rotation=60, fontsize=7)
        else:
            values = {name: as_numbers(table[column]) for name, table in tables.items()}
            observed = values["real"][~np.isnan(values["real"])]
            bins = np.histogram_bin_edges(observed, bins=30)
            for name, v in values.items():
                ax.hist(v[~np.isnan(v)], bins=bins, density=True, histtype="step", label=name)
        ax.set_title(str(column), fontsize=9)
    for ax in axes.ravel()[len(columns) :]:
        ax.axis("off")
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return fig
