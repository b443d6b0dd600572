"""Time TableTransformer fit / transform / inverse_transform on Adult and a 1M-row Adult.

Usage: python benchmarks/bench_transformer.py [--repeats 3] [--rows 1000000]
Prints the median seconds of each step (``bench_components.py`` puts the same
table in docs/benchmarks_components.md). Targets (issue #2, 2 cores): for 1M rows
x 15 columns, fit < 5 s, transform < 2 s, inverse_transform < 2 s.
"""

import argparse
import statistics
import time

from sksynth import TableTransformer
from sksynth.datasets import load_adult


def timed(fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - start, out


def bench(frame, repeats):
    results = {"fit": [], "transform": [], "inverse_transform": []}
    for seed in range(repeats):
        tt = TableTransformer(random_state=seed)
        t, _ = timed(tt.fit, frame)
        results["fit"].append(t)
        t, encoded = timed(tt.transform, frame)
        results["transform"].append(t)
        t, _ = timed(tt.inverse_transform, encoded)
        results["inverse_transform"].append(t)
    return {k: statistics.median(v) for k, v in results.items()}, encoded.shape


def table(repeats: int, rows: int) -> list[str]:
    """Markdown table: Adult and Adult resampled to ``rows`` rows, median of ``repeats``."""
    adult = load_adult().frame
    big = adult.sample(rows, replace=True, random_state=0).reset_index(drop=True)
    lines = [
        "| table | rows x cols | encoded width | fit s | transform s | inverse s |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, frame in [("adult", adult), (f"adult x{rows // len(adult)}", big)]:
        times, shape = bench(frame, repeats)
        lines.append(
            f"| {name} | {frame.shape[0]:,} x {frame.shape[1]} | {shape[1]} | "
            f"{times['fit']:.2f} | {times['transform']:.2f} | {times['inverse_transform']:.2f} |"
        )
    return lines


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    print("\n".join(table(args.repeats, args.rows)))


if __name__ == "__main__":
    main()
