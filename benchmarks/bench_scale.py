"""Scale: sampling 10M rows to Parquet in bounded memory, and fitting on 1M rows.

Usage::

    python benchmarks/bench_scale.py sample --rows 10000000
    python benchmarks/bench_scale.py fit --rows 1000000 --epochs 2

``sample`` fits a small VAE on Adult, saves it, then runs the ``sksynth sample``
command (a separate process streaming chunks to Parquet) and reports its wall
time, rows/s and peak RSS. ``fit`` resamples Adult with replacement to
``--rows`` rows and reports preprocessing seconds, seconds per epoch and the
process's peak RSS for each model.
"""

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def bench_sample(rows):
    from sksynth import VAESynthesizer, save
    from sksynth.datasets import load_adult

    folder = Path(tempfile.mkdtemp())
    model = VAESynthesizer(epochs=5, random_state=0).fit(load_adult().frame)
    save(model, folder / "adult.sksynth")
    script = Path(sys.executable).with_name("sksynth")
    out = folder / "synthetic.parquet"
    start = time.perf_counter()
    subprocess.run(
        [str(script), "sample", str(folder / "adult.sksynth"), "-n", str(rows), "-o", str(out)],
        check=True,
        stderr=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    size = out.stat().st_size / 1e6
    print(
        f"sksynth sample -n {rows}: {seconds:.1f} s, {rows / seconds / 1000:.0f}k rows/s "
        f"(model loading and Parquet writing included), peak RSS {rss:.0f} MB, file {size:.0f} MB"
    )


def bench_fit(rows, epochs):
    from sksynth import GANSynthesizer, TableTransformer, VAESynthesizer
    from sksynth.datasets import load_adult

    adult = load_adult().frame
    big = adult.sample(rows, replace=True, random_state=0).reset_index(drop=True)
    start = time.perf_counter()
    TableTransformer(random_state=0).fit(big).transform(big)
    print(f"{rows} rows: TableTransformer fit + transform {time.perf_counter() - start:.1f} s")
    for cls in (VAESynthesizer, GANSynthesizer):
        start = time.perf_counter()
        model = cls(epochs=epochs, random_state=0).fit(big)
        per_epoch = [round(h["dur"], 1) for h in model.history_]
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"{cls.__name__}: fit {time.perf_counter() - start:.1f} s, s/epoch {per_epoch}, "
            f"peak RSS so far {rss:.0f} MB"
        )
        del model


def main():
    parser = argparse.ArgumentParser(description="sksynth at scale")
    parser.add_argument("what", choices=["sample", "fit"])
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    if args.what == "sample":
        bench_sample(args.rows or 10_000_000)
    else:
        bench_fit(args.rows or 1_000_000, args.epochs)


if __name__ == "__main__":
    main()
