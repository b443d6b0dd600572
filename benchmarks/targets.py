"""sksynth's targets against the peer (issue #7), checked on one run of the harness.

``targets_section(rows)`` gives the lines of a markdown table: each target,
what this run measured, and whether it is met. It reads only the run's saved
results, so ``compare.py --render`` regenerates it. ``time_to_quality(rows)``
is shared with the page's time-to-quality list.
"""

from __future__ import annotations

PEERS = ("ctgan", "tvae")
OURS = ("sksynth-vae", "sksynth-gan")  # the default fits: a fixed number of epochs

PREP_SPEEDUP = 10.0  # preprocessing, ours against ctgan's
SAMPLING_SPEEDUP = 10.0  # sampling, ours against CTGAN's
SAMPLING_ROWS_ADULT = 1_000_000  # rows per second on Adult
RSS_RATIO = 0.5  # peak RSS, ours over ctgan's
TIME_TO_QUALITY = 5.0  # the better peer's final quality in at most 1/5 of its fit time
PEAK_SHARE = 0.5  # achieved share of the large-matmul peak in training
# (label, how to read it from a result): the scores on which the better model must beat both
SCORES = (
    ("quality", lambda r: r["quality"]),
    ("detection", lambda r: r["detection"]),
    ("TSTR accuracy", lambda r: r["tstr"]["acc"]),
    ("TSTR macro-F1", lambda r: r["tstr"]["f1"]),
    ("TSTR ROC AUC", lambda r: r["tstr"]["auc"]),
)


def time_to_quality(rows: list[dict]) -> tuple[dict, dict] | None:
    """The better peer (highest final quality) and, for each of our models with a
    curve, ``(seconds, epoch)`` when its curve first reaches that quality (``None``
    if never). ``None`` without a peer's or our curve."""
    peers = [r for r in rows if r["model"] in PEERS and r.get("curve")]
    ours = [r for r in rows if r["model"].startswith("sksynth") and r.get("curve")]
    if not peers or not ours:
        return None
    best = max(peers, key=lambda r: r["quality"])
    reached = {}
    for r in ours:
        hits = [(s, e) for s, e, q in r["curve"] if q >= best["quality"]]
        reached[r["model"]] = hits[0] if hits else None
    return best, reached


def time_to_quality_lines(rows: list[dict]) -> list[str]:
    """The page's time-to-quality list."""
    found = time_to_quality(rows)
    if found is None:
        return []
    best, reached = found
    goal, peer_time = best["quality"], best["fit_s"]
    lines = [
        f"Time to quality: the better peer, {best['model']}, ends at quality {goal:.3f} "
        f"(sksynth's metric) after {peer_time:.0f} s of fit.",
        "",
    ]
    for r in rows:
        if r["model"] not in reached:
            continue
        if reached[r["model"]]:
            s, e = reached[r["model"]]
            lines.append(
                f"- {r['model']} reaches it after {s:.0f} s (epoch {e}): "
                f"{peer_time / s:.1f}x sooner."
            )
        else:
            top = max(q for _, _, q in r["curve"])
            lines.append(f"- {r['model']} does not reach it (best {top:.3f}).")
    return [*lines, ""]


def _by_model(ours: dict[str, dict], value, passes, fmt) -> tuple[str, str]:
    """Each of our models' figure and the verdict: met, missed, or met by some."""
    cells, met = [], []
    for name, r in ours.items():
        v = value(r)
        cells.append(f"{name.removeprefix('sksynth-').upper()} {fmt(v)}")
        met.append(passes(v))
    if all(met):
        verdict = "met"
    elif not any(met):
        verdict = "missed"
    else:
        verdict = "met by the " + ", ".join(
            n.removeprefix("sksynth-").upper() for n, ok in zip(ours, met, strict=True) if ok
        )
    return ", ".join(cells), verdict


def targets_section(rows: list[dict], dataset: str) -> list[str]:
    """Lines of the table of the targets against this run (empty without ctgan or
    without our default fits)."""
    by_model = {r["model"]: r for r in rows}
    ours = {m: by_model[m] for m in OURS if m in by_model}
    ctgan = by_model.get("ctgan")
    if not ours or ctgan is None:
        return []
    table = []

    def add(target, measured_verdict):
        table.append(f"| {target} | {measured_verdict[0]} | {measured_verdict[1]} |")

    add(
        f"preprocessing at least {PREP_SPEEDUP:.0f}x faster than ctgan's",
        _by_model(
            ours,
            lambda r: ctgan["prep_s"] / r["prep_s"],
            lambda v: v >= PREP_SPEEDUP,
            "{:.1f}x".format,
        ),
    )
    add(
        f"sampling at least {SAMPLING_SPEEDUP:.0f}x faster than CTGAN's",
        _by_model(
            ours,
            lambda r: r["rows_per_s"] / ctgan["rows_per_s"],
            lambda v: v >= SAMPLING_SPEEDUP,
            "{:.1f}x".format,
        ),
    )
    if dataset == "adult":
        add(
            f"sampling at least {SAMPLING_ROWS_ADULT / 1e6:.0f}M rows/s on Adult",
            _by_model(
                ours,
                lambda r: r["rows_per_s"],
                lambda v: v >= SAMPLING_ROWS_ADULT,
                lambda v: f"{v / 1000:.0f}k rows/s",
            ),
        )
    add(
        f"peak RSS at most {RSS_RATIO}x ctgan's",
        _by_model(
            ours,
            lambda r: r["peak_rss_mb"] / ctgan["peak_rss_mb"],
            lambda v: v <= RSS_RATIO,
            "{:.2f}x".format,
        ),
    )
    found = time_to_quality(rows)
    if found is not None:
        best, reached = found

        def sooner(r):
            hit = reached.get(r["model"])
            return best["fit_s"] / hit[0] if hit else 0.0

        add(
            f"the better peer's ({best['model']}) final quality in at most "
            f"1/{TIME_TO_QUALITY:.0f} of its fit time",
            _by_model(
                ours,
                sooner,
                lambda v: v >= TIME_TO_QUALITY,
                lambda v: f"{v:.1f}x sooner" if v else "not reached",
            ),
        )
    peers = [by_model[p] for p in PEERS if p in by_model]
    better = max(ours.values(), key=lambda r: r["quality"])
    for label, read in SCORES:
        mine, theirs = read(better), max(read(p) for p in peers)
        add(
            f"the better model ({better['model']}) beats {' and '.join(PEERS)} on {label}",
            (f"{mine:.3f} against {theirs:.3f}", "met" if mine > theirs else "missed"),
        )
    flops = {m: r for m, r in ours.items() if "achieved_gflops" in r}
    if flops:
        add(
            f"training at {PEAK_SHARE:.0%} of the large-matmul peak",
            _by_model(
                flops,
                lambda r: r["achieved_gflops"] / r["peak_gflops"],
                lambda v: v >= PEAK_SHARE,
                "{:.0%}".format,
            ),
        )
    return [
        "sksynth's targets against the peer, checked on this run (ratios to ctgan's models "
        "in this run; sksynth's better model is its default fit of higher quality, and the "
        "peers' better score is the one to beat):",
        "",
        "| target | measured | verdict |",
        "| --- | --- | --- |",
        *table,
        "",
    ]
