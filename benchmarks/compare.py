"""sksynth against the peer (ctgan's CTGAN and TVAE), side by side in one run.

Run in the benchmark environment (``make bench`` builds ``.venv-bench`` with
ctgan and sdmetrics, which need pandas < 3)::

    .venv-bench/bin/python benchmarks/compare.py --dataset adult --epochs 300
    .venv-bench/bin/python benchmarks/compare.py --render   # docs/benchmarks.md only

Every model runs in its own subprocess (so its peak RSS is its own) on the same
stratified 80/20 split (seed 0) of a dataset in ``../shared/datasets`` (or
``--data-dir``), with the discrete columns the peer's convention gives (the
non-numeric columns plus the target). Measured for each: preprocessing seconds
(the table encoder's fit + transform), seconds per epoch, total fit seconds,
sampling rows/s (100,000 rows to a DataFrame, median of three), peak RSS of
fit + sampling (the process's own high-water mark, ``rss.peak_rss_mb``, read
before any metric; also the peak after the imports and the data, so the ratio
of what each library adds on top is shown), quality and detection
by sksynth's metrics and by SDMetrics (QualityReport, LogisticDetection) side
by side, TSTR (HistGradientBoosting trained on as many synthetic rows as the
real train split, tested on the real test split: accuracy, macro-F1, ROC AUC),
and the curve of quality against training seconds (every ``--curve-every``
epochs; evaluation time is excluded). For sksynth's models also the FLOPs of one
training step and the achieved GFLOP/s against a large-matmul peak measured in
the same process. ``sksynth-vae-es`` and ``sksynth-gan-es`` are the same models
with ``early_stopping=True`` (10 % of the training rows held out for the
quality checks; the fit stops after 30 epochs without a better check and keeps
the best weights); their ``epochs`` is a maximum. ``sksynth-vae-ar`` is the VAE
with ``autoregressive=True``. Results are saved as JSON in
``benchmarks/results/`` and ``docs/benchmarks.md`` is regenerated from every
saved result.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from report import device_suffix, fmt_value, versions
from rss import peak_rss_mb
from scoring import positive_share, sdmetrics_scores, tstr
from speed import SAMPLE_ROWS, matmul_peak_gflops, step_flops
from splits import DATASETS, RESULTS, ROOT, load
from targets import PEERS, targets_section, time_to_quality_lines

DOCS = ROOT / "docs" / "benchmarks.md"
MODELS = [
    "sksynth-vae",
    "sksynth-gan",
    "sksynth-vae-es",
    "sksynth-gan-es",
    "sksynth-vae-ar",
    "tvae",
    "ctgan",
]


def run_child(model_name, dataset, data_dir, epochs, curve_every, seed, device="cpu"):
    train, test, target, discrete = load(dataset, data_dir)
    from sksynth.metrics import quality_score

    curve, spent = [], {"eval": 0.0}
    start = {"t": None}

    def checkpoint(epoch, sample):
        """Quality after ``epoch`` against the fit seconds so far (this evaluation excluded)."""
        if epoch % curve_every and epoch != epochs:
            return
        now = time.perf_counter()
        trained = now - start["t"] - spent["eval"]
        q = quality_score(train, sample(len(test)), discrete_columns=discrete)
        spent["eval"] += time.perf_counter() - now
        curve.append((trained, epoch, q))

    result = {"model": model_name, "dataset": dataset, "epochs": epochs, "device": device}
    if model_name.startswith("sksynth"):
        from skorch.callbacks import Callback

        from sksynth import GANSynthesizer, TableTransformer, VAESynthesizer

        result["base_rss_mb"] = peak_rss_mb()
        t0 = time.perf_counter()
        TableTransformer(discrete_columns=discrete, random_state=seed).fit(train).transform(train)
        result["prep_s"] = time.perf_counter() - t0
        cls = VAESynthesizer if model_name.startswith("sksynth-vae") else GANSynthesizer
        holder = {}

        class Curve(Callback):
            def on_epoch_end(self, net, **kwargs):
                model = holder["model"]
                checkpoint(len(net.history), lambda n: model.sample(n, random_state=0))

        model = cls(
            epochs=epochs,
            discrete_columns=discrete,
            random_state=seed,
            callbacks=[Curve()],
            device=device,
            early_stopping=model_name.endswith("-es"),
            **({"autoregressive": True} if model_name == "sksynth-vae-ar" else {}),
        )
        holder["model"] = model
        start["t"] = time.perf_counter()
        model.fit(train)
        result["fit_s"] = time.perf_counter() - start["t"] - spent["eval"]
        result["s_per_epoch"] = float(np.median([h["dur"] for h in model.history_]))
        result["epochs_run"] = len(model.history_)
        result["best_epoch"] = model.best_epoch_
        sample = lambda n: model.sample(n, random_state=seed)  # noqa: E731
    else:
        import ctgan.synthesizers.ctgan as ctgan_module
        import ctgan.synthesizers.tvae as tvae_module
        import torch
        from ctgan import CTGAN, TVAE
        from ctgan.data_transformer import DataTransformer

        torch.manual_seed(seed)
        result["base_rss_mb"] = peak_rss_mb()
        t0 = time.perf_counter()
        transformer = DataTransformer()
        transformer.fit(train, discrete)
        transformer.transform(train)
        result["prep_s"] = time.perf_counter() - t0
        peer = CTGAN if model_name == "ctgan" else TVAE
        model = peer(epochs=epochs, enable_gpu=device != "cpu")
        # ctgan's own seeding: numpy's and torch's CPU generators, set for each fit and
        # sample call and put back after, so the quality curve's draws during fit leave
        # the training's stream alone (torch.manual_seed above seeds a GPU's)
        model.set_random_state(seed)
        epoch_times = []

        def timed(iterable, **kwargs):  # wraps the peer's epoch loop (its tqdm call)
            last = time.perf_counter()
            for epoch in iterable:
                yield epoch
                epoch_times.append(time.perf_counter() - last)
                checkpoint(epoch + 1, model.sample)
                last = time.perf_counter()

        for module in (ctgan_module, tvae_module):
            module.tqdm = timed
        start["t"] = time.perf_counter()
        model.fit(train, discrete)
        result["fit_s"] = time.perf_counter() - start["t"] - spent["eval"]
        result["s_per_epoch"] = float(np.median(epoch_times))
        sample = model.sample
    seconds = []
    for _ in range(3):  # median of three
        t0 = time.perf_counter()
        sample(SAMPLE_ROWS)
        seconds.append(time.perf_counter() - t0)
    result["rows_per_s"] = SAMPLE_ROWS / float(np.median(seconds))
    synthetic = sample(len(train))
    # fit and sampling only: read before the FLOP count and the metrics
    result["peak_rss_mb"] = peak_rss_mb()
    if model_name.startswith("sksynth"):
        flops = step_flops(model, train)
        steps = int(np.ceil(len(train) / model.batch_size))
        result["step_gflop"] = flops / 1e9
        result["achieved_gflops"] = flops * steps / result["s_per_epoch"] / 1e9
        result["peak_gflops"] = matmul_peak_gflops(device)
    from sksynth.metrics import column_pair_trends, column_shapes, detection_score

    result["shapes"] = column_shapes(train, synthetic, discrete_columns=discrete)
    result["pairs"] = column_pair_trends(train, synthetic, discrete_columns=discrete)
    result["quality"] = (result["shapes"] + result["pairs"]) / 2
    result["detection"] = detection_score(train, synthetic, discrete_columns=discrete)
    result.update(sdmetrics_scores(train, synthetic, discrete))
    result["tstr"], result["trtr"] = tstr(synthetic, train, test, target, discrete)
    result["target_share"] = positive_share(synthetic, train, target)
    result["curve"] = curve
    return result


def _above_base(a, b):
    """Peak RSS above each process's RSS after its imports and the data: MB and ratio."""
    if "base_rss_mb" not in a or "base_rss_mb" not in b:
        return ""
    mine, theirs = (r["peak_rss_mb"] - r["base_rss_mb"] for r in (a, b))
    return f"{mine:.0f} / {theirs:.0f} MB = {mine / theirs:.2f}x"


def ceiling(dataset, data_dir):
    from sksynth.metrics import column_pair_trends, column_shapes, detection_score

    train, test, target, discrete = load(dataset, data_dir)
    shapes = column_shapes(train, test, discrete_columns=discrete)
    pairs = column_pair_trends(train, test, discrete_columns=discrete)
    result = {"model": "ceiling (real test)", "shapes": shapes, "pairs": pairs}
    result["quality"] = (shapes + pairs) / 2
    result["detection"] = detection_score(train, test, discrete_columns=discrete)
    result.update(sdmetrics_scores(train, test, discrete))
    result["tstr"], _ = tstr(train, train, test, target, discrete)
    result["target_share"] = positive_share(train, train, target)
    return result


def render():
    """Write docs/benchmarks.md (and its figure) from every saved result."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    saved = sorted(RESULTS.glob("*.json"))
    lines = [
        "# Benchmarks: sksynth against CTGAN and TVAE",
        "",
        "Generated by `benchmarks/compare.py` (never edited by hand). Each model ran in its "
        "own process, on the same stratified 80/20 split (seed 0), with the peer's default "
        "hyper-parameters and sksynth's defaults; discrete columns = non-numeric columns plus "
        "the target. Quality and detection are given by sksynth's metrics and by SDMetrics "
        "(QualityReport, LogisticDetection) side by side, both against the real training "
        "rows; TSTR trains a HistGradientBoosting classifier on as many synthetic rows as the "
        "real train split and tests on the real test split. Ratios compare with the peer "
        "in the same run.",
        "",
    ]
    runs = {path: json.loads(path.read_text()) for path in saved}
    newest = max((run["date"] for run in runs.values()), default=None)
    for path, run in runs.items():
        rows = run["results"]
        by_model = {r["model"]: r for r in rows}
        lines += [
            f"## {run['dataset']} ({run['epochs']} epochs, device {run.get('device', 'cpu')})",
            "",
            f"Command: `{run['command']}`  ",
            f"Machine: {run['versions']}; run on {run['date']}.",
            "",
        ]
        if run["date"] < newest:
            lines += [
                f"This run is older than the newest on this page ({newest}): sksynth may have "
                "changed since, so set its figures beside the other sections' with care "
                "(its ratios to the peer, measured in one run, stay comparable).",
                "",
            ]
        lines += [
            "| model | prep s | s/epoch | fit s | sample rows/s | peak RSS MB | quality | "
            "SDM quality | shapes / pairs | SDM shapes / pairs | detection | SDM detection | "
            "TSTR acc / macro-F1 / AUC | positive share |",
            "| --- " * 14 + "|",
        ]
        for r in rows:
            t = r.get("tstr", {})
            name, rate_unit = r["model"], "k" if "rows_per_s" in r else ""
            if r.get("best_epoch"):
                name += f" (ran {r['epochs_run']} epochs, kept {r['best_epoch']})"
            lines.append(
                f"| {name} | {fmt_value(r.get('prep_s'), '.2f')} | "
                f"{fmt_value(r.get('s_per_epoch'), '.3f')} | {fmt_value(r.get('fit_s'), '.1f')} | "
                f"{fmt_value(r.get('rows_per_s', np.nan) / 1000, '.0f')}{rate_unit} | "
                f"{fmt_value(r.get('peak_rss_mb'), '.0f')} | {r['quality']:.3f} | "
                f"{r['sdm_quality']:.3f} | {r['shapes']:.3f} / {r['pairs']:.3f} | "
                f"{r['sdm_shapes']:.3f} / {r['sdm_pairs']:.3f} | "
                f"{r['detection']:.3f} | {r['sdm_detection']:.3f} | "
                f"{fmt_value(t.get('acc'), '.3f')} / {fmt_value(t.get('f1'), '.3f')} / "
                f"{fmt_value(t.get('auc'), '.3f')} | {r['target_share']:.3f} |"
            )
        real = next((r for r in rows if "trtr" in r), None)
        if real:
            t = real["trtr"]
            lines.append(
                f"| train on real | | | | | | | | | | | | {t['acc']:.3f} / {t['f1']:.3f} / "
                f"{t['auc']:.3f} | |"
            )
        lines.append("")
        ratios = []
        for ours in ("sksynth-vae", "sksynth-gan"):
            for peer in PEERS:
                if ours in by_model and peer in by_model:
                    a, b = by_model[ours], by_model[peer]
                    ratios.append(
                        f"| {ours} / {peer} | {b['prep_s'] / a['prep_s']:.1f}x | "
                        f"{b['s_per_epoch'] / a['s_per_epoch']:.2f}x | "
                        f"{a['rows_per_s'] / b['rows_per_s']:.1f}x | "
                        f"{a['peak_rss_mb'] / b['peak_rss_mb']:.2f}x | {_above_base(a, b)} |"
                    )
        if ratios:
            lines += [
                "| ours / peer | preprocessing speed-up | per-epoch speed-up | sampling speed-up "
                "| peak RSS, ours / peer | peak RSS above the imports, ours / peer |",
                "| --- | --- | --- | --- | --- | --- |",
                *ratios,
                "",
            ]
        flops = [r for r in rows if "step_gflop" in r]
        if flops:
            lines += [
                "| model | GFLOP per training step | achieved GFLOP/s | large-matmul peak "
                "GFLOP/s | share of peak |",
                "| --- | --- | --- | --- | --- |",
            ]
            for r in flops:
                lines.append(
                    f"| {r['model']} | {r['step_gflop']:.3f} | {r['achieved_gflops']:.1f} | "
                    f"{r['peak_gflops']:.1f} | {r['achieved_gflops'] / r['peak_gflops']:.1%} |"
                )
            lines.append("")
        figure = DOCS.parent / f"benchmarks_{path.stem}.png"
        fig, ax = plt.subplots(figsize=(7, 4))
        for r in rows:
            if r.get("curve"):
                seconds, _, quality = zip(*r["curve"], strict=True)  # fit seconds, prep included
                ax.plot(seconds, quality, marker=".", label=r["model"])
        ax.set_xscale("log")
        ax.set_xlabel("training seconds (fit, evaluation excluded)")
        ax.set_ylabel("quality (sksynth quality_score)")
        ax.set_title(f"{run['dataset']}: quality against time")
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(figure, dpi=90)
        plt.close(fig)
        lines += [f"![quality against time on {run['dataset']}]({figure.name})", ""]
        lines += time_to_quality_lines(rows)
        lines += targets_section(rows, run["dataset"])
        lines += _epoch_drift(rows, run.get("device", "cpu"))
    DOCS.write_text("\n".join(lines) + "\n")
    print(f"wrote {DOCS}")


#: late / early seconds per epoch from which a peer's fit counts as slowing down
SLOWDOWN = 1.1


def _epoch_drift(rows, device):
    """Seconds per epoch early and late in each fit, from the quality curve's times."""
    drift, ratios = [], {}
    for r in rows:
        curve = r.get("curve") or []
        if len(curve) >= 4:  # the first point's time includes the preprocessing
            (s1, e1, _), (s2, e2, _) = curve[0], curve[1]
            (s3, e3, _), (s4, e4, _) = curve[-2], curve[-1]
            early, late = (s2 - s1) / (e2 - e1), (s4 - s3) / (e4 - e3)
            ratios[r["model"]] = round(late / early, 2)  # judged as shown
            drift.append(
                f"| {r['model']} | {e1 + 1}-{e2}: {early:.3f} | {e3 + 1}-{e4}: {late:.3f} | "
                f"{ratios[r['model']]:.2f}x |"
            )
    if not drift:
        return []
    peer_ratios = [ratio for model, ratio in ratios.items() if model in PEERS]
    ours = max((ratio for model, ratio in ratios.items() if model not in PEERS), default=0.0)
    why = ""
    if device == "cpu" and peer_ratios and max(peer_ratios) >= SLOWDOWN:
        why = (
            " On the CPU the peer's epochs slow down as its fit goes on: subnormal numbers "
            "(below 1.2e-38) build up in its weights and Adam's moments, and arithmetic on "
            "them is slow; sksynth flushes them to zero while it fits. Flushed, TVAE's epochs "
            "stay at their early speed (`docs/benchmarks_peer_subnormals.md`). The speed-ups "
            "above compare median epochs, slow-down included."
        )
    elif device == "cpu" and peer_ratios:
        why = (
            " In this run the peer's epochs kept their early speed (late / early under "
            f"{SLOWDOWN}x): the slow-down that subnormal numbers in its weights can cause "
            "(`docs/benchmarks_peer_subnormals.md`) did not show."
        )
        if ours >= SLOWDOWN:
            why += (
                f" sksynth's own epochs, whose subnormals are flushed, ran up to {ours:.2f}x "
                "slower late than early in this run: ratios of that size say little either way."
            )
    return [
        "Seconds per epoch early and late in each fit (from the curve's fit times)." + why,
        "",
        "| model | s/epoch, early epochs | s/epoch, last epochs | late / early |",
        "| --- | --- | --- | --- |",
        *drift,
        "",
    ]


def run_in_child(model, dataset, epochs, curve_every, seed, data_dir, device="cpu"):
    """``run_child`` in a subprocess of its own (so its peak RSS is its own): the result."""
    command = [sys.executable, __file__, "--child", model, "--dataset", dataset,
               "--epochs", str(epochs), "--curve-every", str(curve_every), "--seed", str(seed),
               "--data-dir", str(data_dir), "--device", device]  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        print(done.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"{model} failed")
    print(f"{model} (seed {seed}): done in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=sorted(DATASETS), default="adult")
    parser.add_argument("--models", nargs="*", default=MODELS, choices=MODELS)
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--curve-every", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--device", default="cpu", help="cpu or cuda: sksynth's device; the peer's enable_gpu"
    )
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "datasets")
    parser.add_argument("--render", action="store_true", help="only regenerate the docs page")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.render:
        render()
        return
    if args.child:
        result = run_child(
            args.child,
            args.dataset,
            args.data_dir,
            args.epochs,
            args.curve_every,
            args.seed,
            args.device,
        )
        print(json.dumps(result, default=float))
        return
    results = []
    name = args.dataset + device_suffix(args.device)
    run = {
        "dataset": args.dataset,
        "epochs": args.epochs,
        "device": args.device,
        "command": " ".join(["python benchmarks/compare.py", *sys.argv[1:]]),
        "versions": versions(args.device),
        "date": time.strftime("%Y-%m-%d"),
        "results": results,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    for model in args.models:
        results.append(
            run_in_child(
                model, args.dataset, args.epochs, args.curve_every, args.seed, args.data_dir,
                args.device,
            )
        )  # fmt: skip
        (RESULTS / f"{name}.json").write_text(json.dumps(run, default=float, indent=1))
    results.append(ceiling(args.dataset, args.data_dir))
    (RESULTS / f"{name}.json").write_text(json.dumps(run, default=float, indent=1))
    render()


if __name__ == "__main__":
    main()
