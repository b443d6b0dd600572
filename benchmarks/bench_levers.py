"""The compute-efficiency levers of issue #7, measured rather than assumed.

Run alone (it times training)::

    .venv/bin/python benchmarks/bench_levers.py            # writes docs/benchmarks_levers.md

On Adult's training split (80/20 stratified, seed 0), with sksynth's defaults
otherwise:

* batch size x torch threads: the median seconds per epoch of a fit, the FLOPs
  of one training step (``torch.utils.flop_counter``), the achieved GFLOP/s
  against a large-matmul peak measured in this process, and the quality
  (``quality_score``) after the same number of epochs, since larger batches
  mean fewer steps per epoch;
* Adam fused into one call per step (sksynth's default on the CPU where
  torch has it) against torch's default Adam (on the CPU, its for-loop over
  the parameters), and the fused step with subnormals flushed on the calling
  thread only: the VAE's seconds per epoch early and late in a long fit;
* ``torch.compile`` of the VAE's whole loss (forward, ELBO) against eager,
  both stepping Adam over one epoch of whole-batch slices: steps per second
  after warm-up, and the one-off compile time;
* float32 matmuls run in bfloat16 inside (torch's
  ``set_float32_matmul_precision("medium")``, which oneDNN honours on CPUs
  with bfloat16 instructions) against full precision: the large-matmul peak,
  seconds per epoch and quality of both models, and the VAE's sampling rows/s.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import tempfile
import time

import numpy as np

# a cold compiler cache, so that the compile seconds are a first compilation's
os.environ["TORCHINDUCTOR_CACHE_DIR"] = tempfile.mkdtemp(prefix="sksynth-inductor-")
import torch  # noqa: E402
from speed import (  # noqa: E402
    SAMPLE_ROWS,
    alternating_medians,
    matmul_peak_gflops,
    step_flops,
    training_matrix,
)
from splits import ROOT, load  # noqa: E402
from subnormals import count_subnormals, optimizer_state  # noqa: E402

OUT = ROOT / "docs" / "benchmarks_levers.md"


def fit_config(cls, train, discrete, *, batch_size, threads, epochs):
    from sksynth.metrics import quality_score

    torch.set_num_threads(threads)
    model = cls(epochs=epochs, batch_size=batch_size, discrete_columns=discrete, random_state=0)
    model.fit(train)
    s_epoch = statistics.median(h["dur"] for h in model.history_[1:])
    flops = step_flops(model, train)
    steps = int(np.ceil(len(train) / model.batch_size))
    synthetic = model.sample(len(train), random_state=0)
    quality = quality_score(train, synthetic, discrete_columns=discrete)
    return s_epoch, flops / 1e9, flops * steps / s_epoch / 1e9, quality, model


MATMUL_OPS = ("aten::mm", "aten::addmm", "aten::bmm")


def matmul_seconds(model, train, steps=30) -> float:
    """Seconds per training step spent in matrix products (self time of torch's
    ``mm``/``addmm``/``bmm`` under the profiler), after a few warm-up steps."""
    from torch.profiler import ProfilerActivity, profile

    net, n = model.net_, model.batch_size
    data = training_matrix(model, train)
    starts = [(i * n) % (len(data) - n + 1) for i in range(steps + 5)]
    batches = [data[start : start + n] for start in starts]
    for batch in batches[:5]:
        net.train_step((batch, None))
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for batch in batches[5:]:
            net.train_step((batch, None))
    events = [e for e in prof.key_averages() if e.key in MATMUL_OPS]
    return sum(e.self_cpu_time_total for e in events) / 1e6 / len(batches[5:])


def subnormals(model) -> int:
    """Subnormal entries of the module's parameters and the optimizer's state."""
    tensors = list(model.net_.module_.parameters()) + optimizer_state(model.net_.optimizer_)
    return count_subnormals(tensors)


FUSED_MODES = [
    # (label, Adam fused, subnormals flushed on the pool)
    ("for-loop, pool flushed", False, True),
    ("fused, pool flushed (sksynth's default)", True, True),
    ("fused, calling thread flushed only", True, False),
]


def fused_lever(train, discrete, epochs, threads):
    """The VAE's seconds per epoch early and late in a long fit, for each of
    ``FUSED_MODES``."""
    from sksynth import VAESynthesizer
    from sksynth.nn import _net
    from sksynth.nn._denormals import flush_denormals

    torch.set_num_threads(threads)
    rows = []
    for mode, fused, pool in FUSED_MODES:
        original, flush = VAESynthesizer._net_kwargs, _net.flush_denormals

        def net_kwargs(self, seed, original=original, fused=fused):
            return {**original(self, seed), "optimizer__fused": fused}

        VAESynthesizer._net_kwargs = net_kwargs
        if not pool:
            # sksynth's flushing before it reached the pool: the calling thread only
            _net.flush_denormals = functools.partial(flush_denormals, pool=False)
        try:
            model = VAESynthesizer(epochs=epochs, discrete_columns=discrete, random_state=0)
            model.fit(train)
        finally:
            VAESynthesizer._net_kwargs, _net.flush_denormals = original, flush
        seconds = [h["dur"] for h in model.history_]
        early, late = statistics.median(seconds[1:21]), statistics.median(seconds[-20:])
        rows.append((mode, early, late, sum(seconds), subnormals(model)))
    return rows


def compile_lever(train, discrete, batch_sizes, threads):
    """Adam steps per second over one epoch, eager against ``torch.compile``."""
    from sksynth import VAESynthesizer

    torch.set_num_threads(threads)
    model = VAESynthesizer(epochs=1, discrete_columns=discrete, random_state=0).fit(train)
    data = training_matrix(model, train)
    module, criterion = model.net_.module_, model.net_.criterion_

    def loss_of(x, eps):
        raw, mu, logvar = module(x, eps)
        recon, label = module.reconstruction_nll(raw, x, label=True)
        return criterion(recon, module.kl(mu, logvar), label)

    rows = []
    for batch_size in batch_sizes:
        for name in ("eager", "compile"):
            fn = loss_of if name == "eager" else torch.compile(loss_of, dynamic=False)
            optimizer = torch.optim.Adam(module.parameters(), lr=1e-3)
            generator = torch.Generator().manual_seed(0)
            args = (fn, optimizer, data, batch_size, module.latent_dim, generator)
            start = time.perf_counter()
            n_steps = _epoch(*args)  # warm-up (and compilation)
            warm = time.perf_counter() - start
            times = []
            for _ in range(3):
                start = time.perf_counter()
                _epoch(*args)
                times.append(time.perf_counter() - start)
            per_epoch = statistics.median(times)
            rows.append((batch_size, name, n_steps / per_epoch, warm - per_epoch))
    return rows


def precision_lever(train, discrete, *, epochs, gan_epochs, threads, repeats=5):
    """Both models fitted with float32 matmuls at full precision, then in bfloat16 inside."""
    from sksynth import GANSynthesizer, VAESynthesizer

    rows, samplers = {}, {}
    try:
        for precision in ("highest", "medium"):
            torch.set_float32_matmul_precision(precision)
            peak = matmul_peak_gflops()
            vae = fit_config(
                VAESynthesizer, train, discrete, batch_size=500, threads=threads, epochs=epochs
            )
            gan = fit_config(
                GANSynthesizer, train, discrete, batch_size=500, threads=threads, epochs=gan_epochs
            )
            rows[precision] = [peak, vae[0], vae[3], gan[0], gan[3]]
            samplers[precision] = _sampler(vae[4], precision)
            samplers[precision](0)  # warm-up
        seconds = alternating_medians(samplers, repeats)
    finally:
        torch.set_float32_matmul_precision("highest")
    return [(p, *row, SAMPLE_ROWS / seconds[p]) for p, row in rows.items()]


def _sampler(model, precision):
    def call(repeat):
        torch.set_float32_matmul_precision(precision)
        model.sample(SAMPLE_ROWS, random_state=repeat)

    return call


def _cpu_bf16_flags() -> str:
    """The CPU's bfloat16 instruction flags, from ``/proc/cpuinfo``."""
    try:
        text = open("/proc/cpuinfo").read()
    except OSError:
        return "unknown"
    flags = next(
        (ln.split(":", 1)[1].split() for ln in text.splitlines() if ln.startswith("flags")), []
    )
    found = [f for f in flags if "bf16" in f]
    return ", ".join(found) if found else "none"


def _epoch(fn, optimizer, data, batch_size, latent_dim, generator):
    """One epoch of Adam steps over full batches (one shape, so one compilation)."""
    order = torch.randperm(len(data), generator=generator)
    n_steps = len(data) // batch_size
    for k in range(n_steps):
        x = data[order[k * batch_size : (k + 1) * batch_size]]
        eps = torch.randn((batch_size, latent_dim), generator=generator)
        optimizer.zero_grad()
        fn(x, eps).backward()
        optimizer.step()
    return n_steps


def precision_section(train, discrete, args, cores) -> list[str]:
    """The page's reduced-precision section (its rows printed as they come)."""
    lines = [
        "",
        "## Reduced-precision matmuls",
        "",
        '`torch.set_float32_matmul_precision("medium")` lets oneDNN run float32 matmuls '
        "in bfloat16 inside, on CPUs with bfloat16 instructions (this one's: "
        f'{_cpu_bf16_flags()}), against full precision (`"highest"`, the default). '
        "Each model is fitted under each setting (batch size 500, "
        f"{args.epochs} epochs for the VAE, {args.gan_epochs} for the GAN) and scored with "
        f"`quality_score`; the VAE samples {SAMPLE_ROWS:,} rows under its setting, the two "
        f'settings taking turns (median of {args.repeats}). Under `"medium"` sksynth\'s '
        "sampler takes its cumulative sums with `cumsum` instead of a matmul, so they stay "
        "float32.",
        "",
        "| precision | large-matmul GFLOP/s | VAE s/epoch | VAE quality | VAE rows/s "
        "| GAN s/epoch | GAN quality |",
        "| --- " * 7 + "|",
    ]
    rows = precision_lever(
        train,
        discrete,
        epochs=args.epochs,
        gan_epochs=args.gan_epochs,
        threads=cores,
        repeats=args.repeats,
    )
    for precision, peak, vae_s, vae_q, gan_s, gan_q, rate in rows:
        lines.append(
            f"| {precision} | {peak:.0f} | {vae_s:.3f} | {vae_q:.3f} | {rate:,.0f} | "
            f"{gan_s:.3f} | {gan_q:.3f} |"
        )
        print(lines[-1], flush=True)
    return lines


def fused_section(train, discrete, args, cores):
    lines = [
        "",
        "## Fused Adam",
        "",
        f"`torch.optim.Adam(fused=True)` against torch's default Adam: the VAE fitted for "
        f"{args.fused_epochs} epochs, batch size 500, {cores} threads; median seconds per "
        "epoch over epochs 2-21 and over the last 20, the whole fit, and the subnormal "
        "entries (nonzero, below 1.2e-38) left in the parameters and Adam's state. The fused "
        "step runs on every thread of torch's pool. sksynth flushes subnormals to zero during "
        "fit on the calling thread and, through torch's OpenMP runtime, on each thread of "
        "the pool; the last row flushes on the calling thread only (`torch.set_flush_denormal`"
        ", what sksynth did before), so the pool's other threads (started here by the peak "
        "measurement) write subnormal weights and moments, which slow every later step.",
        "",
        "| Adam | s/epoch, epochs 2-21 | s/epoch, last 20 | fit s | subnormals |",
        "| --- | --- | --- | --- | --- |",
    ]
    for mode, early, late, total, n_sub in fused_lever(train, discrete, args.fused_epochs, cores):
        lines.append(f"| {mode} | {early:.3f} | {late:.3f} | {total:.0f} | {n_sub:,} |")
        print(lines[-1], flush=True)
    return lines


def main():
    from sksynth import GANSynthesizer, VAESynthesizer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--gan-epochs", type=int, default=5)
    parser.add_argument("--fused-epochs", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--only",
        choices=["precision", "fused"],
        help="run one section and print it (no page written)",
    )
    args = parser.parse_args()
    train, _, _, discrete = load("adult", ROOT.parent / "shared" / "datasets")
    cores = torch.get_num_threads()
    if args.only == "precision":
        print("\n".join(precision_section(train, discrete, args, cores)))
        return
    if args.only == "fused":
        matmul_peak_gflops()  # starts the pool, as in the full run
        print("\n".join(fused_section(train, discrete, args, cores)))
        return
    peak = matmul_peak_gflops()
    lines = [
        "# Compute-efficiency levers",
        "",
        "Generated by `benchmarks/bench_levers.py` (never edited by hand): Adult's training "
        f"split ({len(train):,} rows), torch {torch.__version__}, {cores} CPU threads by "
        f"default, float32 throughout; large-matmul peak measured in the same process: "
        f"{peak:.0f} GFLOP/s.",
        "",
        "## Batch size and threads",
        "",
        f"Median seconds per epoch of a fit ({args.epochs} epochs for the VAE, "
        f"{args.gan_epochs} for the GAN), FLOPs of one training step, achieved GFLOP/s "
        "(FLOPs of an epoch's steps over its seconds) and its share of the peak, and the "
        "quality after those epochs (fewer steps per epoch with larger batches). The "
        "matmul columns time the step's matrix products alone (their self time under torch's "
        "profiler, 30 steps after the fit): their GFLOP/s is the ceiling of the whole step's "
        "at these shapes, reached if every other operation took no time, and the last "
        "column is their share of the step's time.",
        "",
        "| model | batch size | threads | s/epoch | GFLOP/step | GFLOP/s | share of peak "
        "| matmul GFLOP/s | matmul share of peak | matmul share of step | quality |",
        "| --- " * 11 + "|",
    ]
    configs = [(VAESynthesizer, args.epochs, b, t) for b in (500, 2000, 8000) for t in (1, cores)]
    configs += [(GANSynthesizer, args.gan_epochs, b, cores) for b in (500, 2000, 8000)]
    for cls, epochs, batch_size, threads in configs:
        s, gflop, gflops, quality, model = fit_config(
            cls, train, discrete, batch_size=batch_size, threads=threads, epochs=epochs
        )
        in_matmuls = matmul_seconds(model, train)
        step = s / np.ceil(len(train) / batch_size)
        ceiling = gflop / in_matmuls
        lines.append(
            f"| {cls.__name__} | {batch_size} | {threads} | {s:.3f} | {gflop:.3f} | "
            f"{gflops:.1f} | {gflops / peak:.1%} | {ceiling:.1f} | {ceiling / peak:.1%} | "
            f"{in_matmuls / step:.0%} | {quality:.3f} |"
        )
        print(lines[-1], flush=True)
    lines += fused_section(train, discrete, args, cores)
    lines += [
        "",
        "## torch.compile",
        "",
        "The VAE's loss (encoder, reparameterisation, decoder, ELBO) compiled with "
        "`torch.compile(dynamic=False)` against eager, Adam steps over one epoch of "
        "whole-batch slices (median of 3 epochs after a warm-up epoch); compile s = the "
        "warm-up epoch's extra seconds (a cold compiler cache for the first batch size; "
        "the second reuses some of its work).",
        "",
        "| batch size | mode | steps/s | rows/s | compile s |",
        "| --- | --- | --- | --- | --- |",
    ]
    for batch_size, name, steps, extra in compile_lever(train, discrete, (500, 4000), cores):
        lines.append(
            f"| {batch_size} | {name} | {steps:.1f} | {steps * batch_size:,.0f} | {extra:.1f} |"
        )
        print(lines[-1], flush=True)
    lines += precision_section(train, discrete, args, cores)
    OUT.write_text("\n".join(lines) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
