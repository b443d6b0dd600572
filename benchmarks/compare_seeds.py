"""sksynth against the peer over several seeds: medians, ranges and pairwise wins.

The harness (``compare.py``) runs each model once, with seed 0; a difference
in its fidelity or TSTR columns smaller than the spread over seeds says
nothing. This script runs the harness's own child (``compare.py --child``, the
same split, metrics and defaults, one subprocess per fit) for each model and
each seed, with the quality curve reduced to its last point, and writes
``docs/benchmarks_seeds.md``: per model the median over the seeds and the
range of each column, and per pair of models the share of (seed, seed) pairs
in which the first scores higher. Run alone in the benchmark environment::

    .venv-bench/bin/python benchmarks/compare_seeds.py --dataset credit_default \\
        --models sksynth-vae sksynth-vae-ar tvae --seeds 0 1 2 3 4
    .venv-bench/bin/python benchmarks/compare_seeds.py --render   # the page only

Results are kept per dataset in ``benchmarks/results/seeds/``; a run adds the
(model, seed) fits that file lacks for the same epochs and device, so an
interrupted run goes on where it stopped. ``--replace`` first drops every saved
fit of the models it runs (after a change to sksynth, say), keeping the other
models'; the page then gives each model's run dates. An interrupted
``--replace`` run goes on with the same command without ``--replace``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from compare import MODELS, run_in_child
from report import device_suffix, fmt_value, median_cell, versions
from splits import DATASETS, RESULTS, ROOT
from targets import PEERS

SAVED = RESULTS / "seeds"
OUT = ROOT / "docs" / "benchmarks_seeds.md"
# (header, how to read it from a child's result, format); higher is better for all but fit s
COLUMNS = [
    ("fit s", lambda r: r["fit_s"], ".0f"),
    ("quality", lambda r: r["quality"], ".3f"),
    ("SDM quality", lambda r: r["sdm_quality"], ".3f"),
    ("detection", lambda r: r["detection"], ".3f"),
    ("SDM detection", lambda r: r["sdm_detection"], ".3f"),
    ("TSTR acc", lambda r: r["tstr"]["acc"], ".3f"),
    ("TSTR macro-F1", lambda r: r["tstr"]["f1"], ".3f"),
    ("TSTR AUC", lambda r: r["tstr"]["auc"], ".3f"),
    ("positive share", lambda r: r["target_share"], ".3f"),
]
COMPARED = COLUMNS[1:-1]  # the scores, where higher is better


def saved_path(dataset: str, device: str) -> Path:
    return SAVED / f"{dataset}{device_suffix(device)}.json"


def run(args) -> None:
    path = saved_path(args.dataset, args.device)
    saved = json.loads(path.read_text()) if path.exists() else None
    if saved and (saved["epochs"], saved["device"]) != (args.epochs, args.device):
        raise SystemExit(
            f"{path} holds {saved['epochs']} epochs on {saved['device']}; "
            f"move it away to run {args.epochs} epochs on {args.device}"
        )
    saved = saved or {"dataset": args.dataset, "epochs": args.epochs, "device": args.device}
    results = saved.setdefault("results", [])
    command = " ".join(["python benchmarks/compare_seeds.py", *sys.argv[1:]])
    if args.replace:
        results[:] = [r for r in results if r["model"] not in args.models]
    done = {(r["model"], r["seed"]) for r in results}
    # seed by seed, so an interrupted run has every model's early seeds
    todo = [(m, s) for s in args.seeds for m in args.models if (m, s) not in done]
    if todo:  # every command that added fits is listed, with the latest run's versions
        commands = saved.setdefault("commands", [])
        if command not in commands:
            commands.append(command)
        for r in results:  # fits saved before results carried their date
            r.setdefault("date", saved.get("date") or "?")
        saved.update(versions=versions(args.device), date=time.strftime("%Y-%m-%d"))
    SAVED.mkdir(parents=True, exist_ok=True)
    for model, seed in todo:
        result = run_in_child(
            model, args.dataset, args.epochs, args.epochs, seed, args.data_dir, args.device
        )
        result["seed"] = seed
        result.update(date=time.strftime("%Y-%m-%d"), versions=saved["versions"])
        result.pop("curve", None)
        results.append(result)
        path.write_text(json.dumps(saved, default=float, indent=1))
    render()


def win_share(ours: list[float], theirs: list[float]) -> float:
    """Share of the (ours, theirs) pairs in which ours is higher (ties count half; pairs
    with a NaN score, undefined for that fit, are left out: NaN if all are)."""
    pairs = [(a > b) + 0.5 * (a == b) for a in ours for b in theirs if not np.isnan(a - b)]
    return sum(pairs) / len(pairs) if pairs else float("nan")


def _model_order(name: str) -> int:
    return MODELS.index(name) if name in MODELS else len(MODELS)


def _run_dates(by_model: dict[str, list[dict]]) -> str:
    """Each model's run dates, when the models' fits were not all run on the same days."""
    dates = {
        model: sorted({r.get("date") or "?" for r in runs}) for model, runs in by_model.items()
    }
    if len({tuple(d) for d in dates.values()}) <= 1:
        return ""
    return (
        " ("
        + "; ".join(
            f"{model}: {', '.join(d)}"
            for model, d in sorted(dates.items(), key=lambda item: _model_order(item[0]))
        )
        + ")"
    )


def _machines(saved: dict, by_model: dict[str, list[dict]]) -> str:
    """The machine line: the latest run's, or each one with the models run on it where
    the fits record different machines (fits saved before they recorded one are left out)."""
    machines: dict[str, list[str]] = {}
    for model, runs in sorted(by_model.items(), key=lambda item: _model_order(item[0])):
        for text in dict.fromkeys(r["versions"] for r in runs if r.get("versions")):
            machines.setdefault(text, []).append(model)
    if len(machines) <= 1:
        return f"Machine: {saved['versions']}"
    return "Machines: " + "; ".join(f"{text} ({', '.join(m)})" for text, m in machines.items())


def render(out: Path = OUT) -> None:
    """Write the page from every saved result."""
    lines = [
        "# Benchmarks over seeds: sksynth against CTGAN and TVAE",
        "",
        "Generated by `benchmarks/compare_seeds.py` (never edited by hand). Each fit is the "
        "benchmark harness's own (`compare.py --child`: the same stratified 80/20 split, seed 0, "
        "the same defaults and metrics, see [the harness's page](benchmarks.md)), repeated with "
        "each model seed. Each cell is the median over the seeds with the range below it. "
        "The second table gives, for each of sksynth's models against each peer, the share of "
        "(our seed, peer seed) pairs in which sksynth scores higher (ties count half): 0.5 is "
        "a coin toss, 1.0 means every one of our fits beats every one of the peer's. A score "
        "undefined for a fit (TSTR on a sample holding one class) is left out of both.",
    ]
    for path in sorted(SAVED.glob("*.json")):
        saved = json.loads(path.read_text())
        by_model: dict[str, list[dict]] = {}
        for r in saved["results"]:
            by_model.setdefault(r["model"], []).append(r)
        models = sorted(by_model, key=_model_order)
        seeds = sorted({r["seed"] for r in saved["results"]})
        lines += [
            "",
            f"## {saved['dataset']} ({saved['epochs']} epochs, device {saved['device']}, "
            f"seeds {', '.join(map(str, seeds))})",
            "",
            "Command: " + "; ".join(f"`{c}`" for c in saved["commands"]) + "  ",
            f"{_machines(saved, by_model)}; run on {saved['date']}{_run_dates(by_model)}.",
            "",
            "| model | seeds | " + " | ".join(name for name, _, _ in COLUMNS) + " |",
            "| --- " * (len(COLUMNS) + 2) + "|",
        ]
        for model in models:
            runs = by_model[model]
            cells = [median_cell([read(r) for r in runs], spec) for _, read, spec in COLUMNS]
            lines.append(f"| {model} | {len(runs)} | " + " | ".join(cells) + " |")
        pairs = [(a, b) for a in models if a.startswith("sksynth") for b in models if b in PEERS]
        if pairs:
            lines += [
                "",
                "| ours / peer | " + " | ".join(name for name, _, _ in COMPARED) + " |",
                "| --- " * (len(COMPARED) + 1) + "|",
            ]
            for a, b in pairs:
                shares = [
                    win_share([read(r) for r in by_model[a]], [read(r) for r in by_model[b]])
                    for _, read, _ in COMPARED
                ]
                lines.append(
                    f"| {a} / {b} | " + " | ".join(fmt_value(s, ".2f") for s in shares) + " |"
                )
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=sorted(DATASETS), default="credit_default")
    parser.add_argument(
        "--models", nargs="+", default=["sksynth-vae", "sksynth-vae-ar", "tvae"], choices=MODELS
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "datasets")
    parser.add_argument(
        "--replace", action="store_true", help="drop the saved fits of --models before the run"
    )
    parser.add_argument("--render", action="store_true", help="only rewrite the page")
    args = parser.parse_args()
    if args.render:
        render()
    else:
        run(args)


if __name__ == "__main__":
    main()
