"""Ablation: the VAE's scalar likelihood with and without atom and missing rows.

A continuous column's scalar is 0 on a row whose value is an atom or missing,
and decoding ignores it there; ``VAEModule.reconstruction_nll`` (the full
likelihood, sksynth's) still counts those rows, so in a column that is mostly
atoms the learned scale collapses. The ``masked`` variant counts each scalar
only on the rows in one of its column's Gaussian modes. The ``calibrated``
variant trains as sksynth does and then, for sampling only, sets each scalar's
scale to the root mean square of its residual on the training rows in a
Gaussian mode (latents drawn from the encoder, seed 0): the learned scale is
shrunk by the atom and missing rows' near-zero residuals, so the samples'
noise within a mode is too small. Its fit is the ``full`` variant's (the same
seed gives the same weights), so it is scored beside it from one fit. Run in
the benchmark environment::

    .venv-bench/bin/python benchmarks/ablate_scalar_likelihood.py \\
        --datasets adult credit_default --seeds 0 1 2 --variants masked

Each fit is ``VAESynthesizer(epochs=300, discrete_columns=..., random_state=seed)``
on the harness's split (``splits.load``), scored as the harness's child scores
it (``scoring.synthetic_scores``: quality and detection against the training
rows, positive share, TSTR), in this
one process. The ``full`` variant is sksynth as it is: its fits are the seeds
page's (``compare_seeds.py``, same seeds). Results are appended to
``benchmarks/results/ablations/scalar_likelihood.json`` with the learned scales;
the models guide quotes them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings

import torch
from report import versions
from scoring import synthetic_scores
from splits import DATASETS, RESULTS, ROOT, load

from sksynth import VAESynthesizer
from sksynth.nn._layers import onehot_block_nll
from sksynth.nn._vae import _HALF_LOG_2PI, VAEModule

SAVED = RESULTS / "ablations" / "scalar_likelihood.json"


def mode_mask(transformer) -> torch.Tensor:
    """``(features, scalars)`` 0/1 matrix: ``x @ mask`` is 1 where a row's value of the
    scalar's column lies in a Gaussian mode (not an atom, not missing)."""
    spans = transformer.output_spans_
    scalars = [s for s in spans if not s.is_onehot]
    mask = torch.zeros(transformer.n_output_features_, len(scalars))
    for k, span in enumerate(scalars):
        n_atoms = transformer._encoders[span.column].atoms_.size
        mode = next(s for s in spans if s.column == span.column and s.kind == "mode")
        mask[mode.start + n_atoms : mode.stop, k] = 1.0
    return mask


class MaskedVAEModule(VAEModule):
    """``VAEModule`` whose scalar likelihood counts only the rows in a Gaussian mode."""

    def __init__(self, *args, scalar_mask=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.register_buffer("scalar_mask", scalar_mask)

    def reconstruction_nll(self, raw, x, layout=None, *, label=False):
        if layout is not None and layout is not self.layout:
            return super().reconstruction_nll(raw, x, layout, label=label)
        blocks = onehot_block_nll(raw, x, self.layout)
        idx = self.layout.scalar_index
        rows = x @ self.scalar_mask
        z = (x.index_select(1, idx) - torch.tanh(raw.index_select(1, idx))) * torch.exp(
            -self.log_scale
        )
        terms = rows * (0.5 * z * z + self.log_scale + _HALF_LOG_2PI)
        nll = blocks.sum(dim=1) + terms.sum(dim=1)
        if not label:
            return nll
        return nll, None if self.label_block is None else blocks[:, self.label_block]


class MaskedVAE(VAESynthesizer):
    def _build_net(self, seed):
        net = super()._build_net(seed)
        net.set_params(module=MaskedVAEModule, module__scalar_mask=mode_mask(self.transformer_))
        return net


def calibrate(model, train) -> None:
    """Set the scalars' scales to their residuals' root mean square on the training
    rows in a Gaussian mode (sampling then draws noise of that size)."""
    module = model.net_.module_
    x = torch.from_numpy(model._encode_frame(model._internal(train.copy())))
    rows = x @ mode_mask(model.transformer_)
    module.eval()
    with torch.no_grad():
        eps = torch.randn(x.shape[0], module.latent_dim, generator=torch.Generator().manual_seed(0))
        raw, _, _ = module(x, eps)
        idx = module.layout.scalar_index
        residual = x.index_select(1, idx) - torch.tanh(raw.index_select(1, idx))
        counts = rows.sum(dim=0)
        rms = ((rows * residual * residual).sum(dim=0) / counts.clamp_min(1.0)).sqrt()
        seen = counts > 0
        module.log_scale[seen] = torch.log(rms[seen].clamp_min(1e-6))


def run(data, dataset, variants, seed, epochs):
    """One result per variant; ``full`` and ``calibrated`` share one fit."""
    train, test, target, discrete = data
    results = []
    for group in (["masked"], ["full", "calibrated"]):
        wanted = [v for v in group if v in variants]
        if not wanted:
            continue
        cls = MaskedVAE if group == ["masked"] else VAESynthesizer
        start = time.perf_counter()
        model = cls(epochs=epochs, discrete_columns=discrete, random_state=seed).fit(train)
        fit_s = time.perf_counter() - start
        for variant in group:
            if variant == "calibrated":
                calibrate(model, train)
            if variant not in wanted:
                continue
            synthetic = model.sample(len(train), random_state=seed)
            scales = torch.exp(model.net_.module_.log_scale).detach().cpu()
            results.append(
                {
                    "dataset": dataset,
                    "variant": variant,
                    "seed": seed,
                    "epochs": epochs,
                    "fit_s": fit_s,
                    **synthetic_scores(synthetic, train, test, target, discrete),
                    "scales": [round(float(v), 5) for v in scales],
                    "date": time.strftime("%Y-%m-%d"),
                }
            )
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument(
        "--variants",
        nargs="+",
        default=["full", "masked"],
        choices=["full", "masked", "calibrated"],
    )
    parser.add_argument("--epochs", type=int, default=300)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    saved = json.loads(SAVED.read_text()) if SAVED.exists() else {"runs": []}
    command = " ".join(["python benchmarks/ablate_scalar_likelihood.py", *sys.argv[1:]])
    saved["runs"].append({"command": command, "versions": versions(peers=False), "fits": []})
    SAVED.parent.mkdir(parents=True, exist_ok=True)
    for dataset in args.datasets:
        data = load(dataset, ROOT.parent / "shared" / "datasets")
        for seed in args.seeds:
            for result in run(data, dataset, args.variants, seed, args.epochs):
                variant = result["variant"]
                saved["runs"][-1]["fits"].append(result)
                SAVED.write_text(json.dumps(saved, indent=1))
                print(
                    f"{dataset} {variant} seed {seed}: quality {result['quality']:.3f}, "
                    f"detection {result['detection']:.3f}, TSTR {result['acc']:.3f} / "
                    f"{result['f1']:.3f} / {result['auc']:.3f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
