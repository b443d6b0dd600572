"""Ablation: one fitted VAE's samples drawn from the prior and from a latent mixture.

A lower ``beta`` raises the VAE's train-on-synthetic macro-F1 on credit default
(``docs/benchmarks_conditionals.md``). This script asks where the gain comes
from: each fit (``VAESynthesizer(epochs=300, beta=..., latent_mixture=10)`` on
the harness's split, ``splits.load``) draws as many rows as the training split
twice with the same ``random_state``, once with the latents from the mixture it
fitted to the training rows' posteriors and once from the prior N(0, I) (the
fitted mixture set aside), and each table is scored by
``scoring.synthetic_scores`` with the positive share among the rows holding each
value of the key column (``bench_conditionals.real_conditional``). Run in the
benchmark environment::

    .venv-bench/bin/python benchmarks/ablate_prior_draws.py --betas 0.5 --seeds 0 1 2

Results are appended to ``benchmarks/results/ablations/prior_draws.json``; the
benchmarks guide quotes them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings

from bench_conditionals import conditional, gaps, real_conditional
from report import versions
from scoring import positive_class, synthetic_scores
from splits import DATASETS, RESULTS, ROOT, load

from sksynth import VAESynthesizer

SAVED = RESULTS / "ablations" / "prior_draws.json"
COMPONENTS = 10


def run(data, dataset: str, column: str, real: dict, beta: float, seed: int, epochs: int):
    """The fit's two scored draws: from its latent mixture, then from the prior
    (``real``: the training split's conditional on the key ``column``)."""
    train, test, target, discrete = data
    positive = positive_class(train, target)
    start = time.perf_counter()
    model = VAESynthesizer(
        epochs=epochs,
        beta=beta,
        latent_mixture=COMPONENTS,
        discrete_columns=discrete,
        random_state=seed,
    ).fit(train)
    fit_s = time.perf_counter() - start
    mixture, draws = model.latent_mixture_, []
    for latents in ("mixture", "prior"):
        model.latent_mixture_ = mixture if latents == "mixture" else None
        synthetic = model.sample(len(train), random_state=seed)
        fit = {"conditional": conditional(synthetic, column, target, positive)}
        distance, wrong = gaps(fit, real)
        draws.append(
            {
                "dataset": dataset,
                "beta": beta,
                "seed": seed,
                "epochs": epochs,
                "latents": latents,
                "fit_s": fit_s,
                **synthetic_scores(synthetic, train, test, target, discrete),
                "key_column": column,
                "distance": distance,
                "wrong_side": wrong,
                **fit,
            }
        )
    return draws


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["credit_default"], choices=DATASETS)
    parser.add_argument("--betas", nargs="+", type=float, default=[0.5])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=300)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    saved = json.loads(SAVED.read_text()) if SAVED.exists() else {"runs": []}
    command = " ".join(["python benchmarks/ablate_prior_draws.py", *sys.argv[1:]])
    date = time.strftime("%Y-%m-%d")
    record = {"command": command, "versions": versions(peers=False), "date": date, "draws": []}
    saved["runs"].append(record)
    SAVED.parent.mkdir(parents=True, exist_ok=True)
    for dataset in args.datasets:
        data = load(dataset, ROOT.parent / "shared" / "datasets")
        column, real = real_conditional(data[0], data[2])
        for beta in args.betas:
            for seed in args.seeds:
                for draw in run(data, dataset, column, real, beta, seed, args.epochs):
                    record["draws"].append(draw)
                    SAVED.write_text(json.dumps(saved, indent=1))
                    print(
                        f"{dataset} beta {beta} seed {seed} {draw['latents']}: quality "
                        f"{draw['quality']:.3f}, detection {draw['detection']:.3f}, share "
                        f"{draw['share']:.3f}, wrong side {draw['wrong_side']:.1%}, TSTR "
                        f"{draw['acc']:.3f} / {draw['f1']:.3f} / {draw['auc']:.3f}",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
