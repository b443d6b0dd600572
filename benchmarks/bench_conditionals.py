"""The target's conditional on its most informative column: sksynth's VAE against TVAE.

A classifier trained on synthetic rows predicts the positive class where the
synthetic rows make it more likely than not, so train-on-synthetic macro-F1
rests on whether a model's P(target | x) falls on the right side of one half,
and ROC AUC on whether it ranks rows as the real one does. This script shows
both for the column that tells most about the target. Run alone in the
benchmark environment::

    .venv-bench/bin/python benchmarks/bench_conditionals.py   # docs/benchmarks_conditionals.md
    .venv-bench/bin/python benchmarks/bench_conditionals.py --render   # the page only

On the harness's split of each dataset (``splits.load``) each model is
fitted for ``--epochs`` epochs with each seed, in this one process, and draws
as many rows as the training split: ``VAESynthesizer`` with its defaults
(``sksynth-vae``) and with ``beta=0.5`` (``sksynth-vae-beta0.5``), seeded with
``random_state``, and ctgan's ``TVAE`` with its defaults, seeded
with its ``set_random_state(seed)`` (numpy's and torch's global generators,
set for its ``fit`` and ``sample`` and put back after). CTGAN
(about 1,000 s a fit on credit default) is left out. The key column is the
one, among those with at most 20 distinct values, with the highest mutual
information with the target on the training split. Saved to
``benchmarks/results/conditionals/conditionals.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np
import pandas as pd
from report import machine_line, median_cell, versions
from scoring import positive_class, synthetic_scores
from splits import DATASETS, RESULTS, ROOT, load

OUT = ROOT / "docs" / "benchmarks_conditionals.md"
SAVED = RESULTS / "conditionals" / "conditionals.json"
VAE_BETAS = {"sksynth-vae": 1.0, "sksynth-vae-beta0.5": 0.5}  # sksynth's models: their beta
MODELS = [*VAE_BETAS, "tvae"]
MAX_VALUES = 20  # a key column has at most this many distinct values
MIN_SHARE = 0.01  # values held by fewer real rows are pooled on the page's table


def key_column(train: pd.DataFrame, target: str) -> str:
    """The column of at most ``MAX_VALUES`` values telling most about ``target``."""
    from sklearn.metrics import mutual_info_score

    y = train[target].astype(str)
    candidates = [
        c for c in train.columns if c != target and train[c].nunique(dropna=False) <= MAX_VALUES
    ]
    return max(candidates, key=lambda c: mutual_info_score(y, train[c].astype(str)))


def real_conditional(train: pd.DataFrame, target: str) -> tuple[str, dict]:
    """The key column of the training split and the training split's conditional on it."""
    column = key_column(train, target)
    return column, conditional(train, column, target, positive_class(train, target))


def conditional(rows: pd.DataFrame, column: str, target: str, positive: str) -> dict:
    """``{value: [share of rows, share of positives among them]}`` (values as strings)."""
    hit = rows[target].astype(str) == positive
    groups = hit.groupby(rows[column].astype(str)).agg(["size", "mean"])
    return {v: [n / len(rows), rate] for v, (n, rate) in groups.iterrows()}


def fit_sample(model_name: str, train: pd.DataFrame, discrete: list, seed: int, epochs: int):
    if model_name in VAE_BETAS:
        from sksynth import VAESynthesizer

        model = VAESynthesizer(
            epochs=epochs, beta=VAE_BETAS[model_name], discrete_columns=discrete, random_state=seed
        )
        model.fit(train)
        return model.sample(len(train), random_state=seed)
    from ctgan import TVAE

    model = TVAE(epochs=epochs)
    model.set_random_state(seed)  # numpy's and torch's generators, for fit and sample
    model.fit(train, discrete)
    return model.sample(len(train))


def run(data, dataset: str, model_name: str, seed: int, epochs: int, column: str) -> dict:
    train, test, target, discrete = data
    start = time.perf_counter()
    synthetic = fit_sample(model_name, train, discrete, seed, epochs)
    seconds = time.perf_counter() - start
    return {
        "dataset": dataset,
        "model": model_name,
        "seed": seed,
        "epochs": epochs,
        "seconds": seconds,
        "conditional": conditional(synthetic, column, target, positive_class(train, target)),
        **synthetic_scores(synthetic, train, test, target, discrete),
    }


def synthetic_rate(fit: dict, value: str) -> float:
    """A fit's share of positives among its rows holding ``value`` (NaN: it drew none)."""
    return fit["conditional"].get(value, [0.0, float("nan")])[1]


def gaps(fit: dict, real: dict) -> tuple[float, float]:
    """Over the real rows: the mean distance between the synthetic and the real
    P(positive | key value), and the share whose value the synthetic rows put on
    the other side of one half (a value the synthetic rows lack counts as wrong)."""
    distance = wrong = 0.0
    for value, (share, rate) in real.items():
        synthetic = synthetic_rate(fit, value)
        if np.isnan(synthetic):
            distance, wrong = distance + share, wrong + share
            continue
        distance += share * abs(synthetic - rate)
        wrong += share * ((synthetic >= 0.5) != (rate >= 0.5))
    return distance, wrong


def _order(value: str) -> tuple:
    try:
        return (0, float(value), value)
    except ValueError:
        return (1, 0.0, value)


def render(saved: dict, out=OUT) -> None:
    fits = saved["fits"]
    lines = [
        "# The target's conditional: sksynth's VAE against TVAE",
        "",
        "Generated by `benchmarks/bench_conditionals.py` (never edited by hand): "
        f"`{saved['command']}`, {machine_line(saved)}. On the harness's split, each model "
        "fitted with each seed draws as many rows as the training "
        "split; the key column is the one of at most 20 values with the highest mutual "
        "information with the target. A classifier trained on synthetic rows predicts the "
        "positive class where those rows make it more likely than not, so macro-F1 at its "
        "default threshold rests on which side of one half the synthetic P(target | x) falls, "
        "and ROC AUC on whether it orders the rows as the real one does. Quality and "
        "detection (sksynth's metrics, against the training rows) show what each table "
        "costs in fidelity. Cells: the median over the seeds, with the range below it.",
    ]
    models = [m for m in MODELS if any(f["model"] == m for f in fits)]
    for dataset in dict.fromkeys(f["dataset"] for f in fits):
        rows = [f for f in fits if f["dataset"] == dataset]
        column, real = saved["keys"][dataset]["column"], saved["keys"][dataset]["real"]
        seeds = sorted({f["seed"] for f in rows})
        by_model = {m: [f for f in rows if f["model"] == m] for m in models}
        lines += [
            "",
            f"## {dataset}: positive share by `{column}` (seeds "
            f"{', '.join(map(str, seeds))}; {rows[0]['epochs']} epochs)",
            "",
            "| value | real rows | real | " + " | ".join(models) + " |",
            "| --- " * (3 + len(models)) + "|",
        ]
        kept = sorted((v for v, (share, _) in real.items() if share >= MIN_SHARE), key=_order)
        for value in kept:
            share, rate = real[value]
            cells = [
                median_cell([synthetic_rate(f, value) for f in by_model[m]], ".3f") or "none drawn"
                for m in models
            ]
            lines.append(f"| {value} | {share:.1%} | {rate:.3f} | " + " | ".join(cells) + " |")
        pooled = sum(share for v, (share, _) in real.items() if v not in kept)
        if pooled:
            lines.append(f"| (others) | {pooled:.1%} | | " + " | ".join("" for _ in models) + " |")
        lines += [
            "",
            "| model | mean distance to the real conditional | rows on the wrong side of 1/2 "
            "| positive share | TSTR acc | TSTR macro-F1 | TSTR AUC | quality | detection |",
            "| --- " * 9 + "|",
        ]
        for m in models:
            runs = by_model[m]
            measured = [gaps(f, real) for f in runs]
            cells = [
                median_cell([d for d, _ in measured], ".3f"),
                median_cell([w for _, w in measured], ".1%"),
                median_cell([f["share"] for f in runs], ".3f"),
                *(median_cell([f[k] for f in runs], ".3f") for k in ("acc", "f1", "auc")),
                *(median_cell([f[k] for f in runs], ".3f") for k in ("quality", "detection")),
            ]
            lines.append(f"| {m} | " + " | ".join(cells) + " |")
        real_share = sum(share * rate for share, rate in real.values())
        lines.append(f"| real (train split) | | | {real_share:.3f} | | | | | |")
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--datasets", nargs="+", default=["credit_default", "adult"], choices=DATASETS
    )
    parser.add_argument("--models", nargs="+", default=MODELS, choices=MODELS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--render", action="store_true", help="write the page from saved results")
    args = parser.parse_args()
    if args.render:
        render(json.loads(SAVED.read_text()))
        return
    import warnings

    warnings.filterwarnings("ignore")
    command = " ".join(["python benchmarks/bench_conditionals.py", *sys.argv[1:]])
    saved = {"command": command, "versions": versions(), "date": time.strftime("%Y-%m-%d")}
    saved["keys"], saved["fits"] = {}, []
    SAVED.parent.mkdir(parents=True, exist_ok=True)
    for dataset in args.datasets:
        data = load(dataset, ROOT.parent / "shared" / "datasets")
        column, real = real_conditional(data[0], data[2])
        saved["keys"][dataset] = {"column": column, "real": real}
        for seed in args.seeds:
            for model_name in args.models:
                fit = run(data, dataset, model_name, seed, args.epochs, column)
                saved["fits"].append(fit)
                SAVED.write_text(json.dumps(saved, indent=1))
                print(
                    f"{dataset} {model_name} seed {seed} ({fit['seconds']:.0f} s): key "
                    f"{column}, wrong side {gaps(fit, real)[1]:.1%}, TSTR {fit['acc']:.3f} / "
                    f"{fit['f1']:.3f} / {fit['auc']:.3f}",
                    flush=True,
                )
    render(saved)


if __name__ == "__main__":
    main()
