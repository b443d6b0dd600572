"""Speed, memory and quality of a synthesizer on Adult (80/20 stratified split, seed 0).

Usage:
    python benchmarks/bench_synthesizer.py --model vae --epochs 50 --repeats 3
    python benchmarks/bench_synthesizer.py --model gan --epochs 30 --set loss=bce

Each run happens in its own process, so peak RSS is that run's own. Reported
(median over runs): preprocessing seconds (TableTransformer fit + transform),
seconds per epoch, total fit seconds, sampling rows/s (100k rows, decoded to a
DataFrame), peak RSS, quality / shapes / pairs against the held-out split, and
the synthetic share of the >50K label (real: 0.241). ``bench_components.py``
runs the configurations shown in docs/benchmarks_components.md.
"""

import argparse
import json
import statistics
import subprocess
import sys
import time

from rss import peak_rss_mb


def run_once(model_name, epochs, seed, params):
    from sklearn.model_selection import train_test_split

    from sksynth import GANSynthesizer, TableTransformer, VAESynthesizer
    from sksynth.datasets import load_adult
    from sksynth.metrics import column_pair_trends, column_shapes

    adult = load_adult().frame
    train, test = train_test_split(adult, test_size=0.2, stratify=adult["income"], random_state=0)
    start = time.perf_counter()
    TableTransformer(random_state=seed).fit(train).transform(train)
    prep = time.perf_counter() - start
    cls = {"vae": VAESynthesizer, "gan": GANSynthesizer}[model_name]
    model = cls(epochs=epochs, random_state=seed, **params)
    start = time.perf_counter()
    model.fit(train)
    fit = time.perf_counter() - start
    per_epoch = statistics.median(h["dur"] for h in model.history_)
    start = time.perf_counter()
    model.sample(100_000, random_state=seed)
    rate = 100_000 / (time.perf_counter() - start)
    synth = model.sample(len(test), random_state=seed)
    shapes, pairs = column_shapes(test, synth), column_pair_trends(test, synth)
    return {
        "prep_s": prep,
        "s_per_epoch": per_epoch,
        "fit_s": fit,
        "rows_per_s": rate,
        "peak_rss_mb": peak_rss_mb(),
        "quality": (shapes + pairs) / 2,
        "shapes": shapes,
        "pairs": pairs,
        "share_gt50k": float((synth["income"] == ">50K").mean()),
    }


def parse_value(text):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


HEADER = [
    "| model | epochs | prep s | s/epoch | fit s | sample rows/s | peak RSS MB | quality "
    "| shapes | pairs | >50K share |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
]


def measure(model: str, epochs: int, repeats: int, settings: list[str]) -> str:
    """Table row of the medians over ``repeats`` runs (seeds 0, 1, ...), each in its process."""
    runs = []
    for seed in range(repeats):
        cmd = [sys.executable, __file__, "--model", model, "--epochs", str(epochs),
               "--child", str(seed), "--set", *settings]  # fmt: skip
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
        print(f"run {seed}: {runs[-1]}", file=sys.stderr)
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    label = f"{model} {' '.join(settings)}".strip()
    return (
        f"| {label} | {epochs} | {med['prep_s']:.2f} | {med['s_per_epoch']:.3f} | "
        f"{med['fit_s']:.1f} | {med['rows_per_s'] / 1000:.0f}k | {med['peak_rss_mb']:.0f} | "
        f"{med['quality']:.3f} | {med['shapes']:.3f} | {med['pairs']:.3f} | "
        f"{med['share_gt50k']:.3f} |"
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", choices=["vae", "gan"], required=True)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--set", nargs="*", default=[], help="extra parameters, key=value")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        params = dict(item.split("=", 1) for item in args.set)
        params = {k: parse_value(v) for k, v in params.items()}
        print(json.dumps(run_once(args.model, args.epochs, args.child, params)))
        return
    print("\n".join([*HEADER, measure(args.model, args.epochs, args.repeats, args.set)]))


if __name__ == "__main__":
    main()
