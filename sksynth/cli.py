"""The ``sksynth`` command line: ``fit``, ``sample``, ``evaluate`` and ``demo``."""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import re
import sys
import time
from pathlib import Path

import pandas as pd

from ._table_files import (
    TableWriter,
    check_output_kind,
    check_writable,
    column_label,
    fitted_categories,
    read_table,
)
from .exceptions import PersistenceError
from .preprocessing._columns import free_label
from .utils._files import output_target, replaced_on_success


def _model(args: argparse.Namespace, discrete: list):
    """The synthesizer ``fit``'s options ask for, with ``discrete`` columns."""
    from . import GANSynthesizer, VAESynthesizer

    cls = {"gan": GANSynthesizer, "vae": VAESynthesizer}[args.model]
    params = {
        "random_state": args.seed,
        "verbose": 1,
        "discrete_columns": discrete,
        "device": args.device,
        "early_stopping": args.early_stopping,
    }
    if args.epochs is not None:
        params["epochs"] = args.epochs
    if args.autoregressive:  # a VAE's only (cmd_fit refuses it for a GAN)
        params["autoregressive"] = True
    return cls(**params)


def _discrete(frame, target, extra):
    from .preprocessing._columns import is_discrete_by_default

    columns = [c for c in frame.columns if is_discrete_by_default(frame[c].dtype)]
    named = [("--discrete", name) for name in extra or []]
    if target:
        named.append(("--target", target))
    for option, name in named:
        if name not in frame.columns:
            raise ValueError(
                f"{option}: column {name!r} is not in the table; columns: {list(frame.columns)}"
            )
        if name not in columns:
            columns.append(name)
    return columns


def _not_the_input(output, source, option: str) -> None:
    """Refuse an output path that is the command's input file (it would be replaced)."""
    if os.path.exists(output) and os.path.exists(source) and os.path.samefile(output, source):
        raise ValueError(
            f"{option}: {str(output)!r} is the input file {str(source)!r}, which writing "
            "would replace; give another name"
        )


@contextlib.contextmanager
def _in_option_terms():
    """Errors of the Python API raised in the block, said in the command's terms."""
    try:
        yield
    except ValueError as exc:
        raise ValueError(_option_terms(str(exc))) from exc


def cmd_fit(args) -> None:
    from . import save

    if args.autoregressive and args.model != "vae":
        raise ValueError(f"--autoregressive is a VAE's option; got --model {args.model}.")
    check_writable(args.output, "-o")
    _not_the_input(args.output, args.data, "-o")
    if output_target(args.output)[1]:  # the fit's own lines would land in the model
        raise ValueError(
            f"-o: {str(args.output)!r} is a pipe, a device or standard output; a model is "
            "written to a file"
        )
    frame = read_table(args.data, args.dates)
    discrete = _discrete(frame, args.target, args.discrete)
    start = time.perf_counter()
    with _in_option_terms():
        model = _model(args, discrete)
        model.fit(frame)
    save(model, args.output)
    print(
        f"fitted {type(model).__name__} on {len(frame)} rows in {time.perf_counter() - start:.1f} s"
    )
    if model.best_epoch_ is not None:
        print(
            f"early stopping: ran {len(model.history_)} epochs, kept epoch {model.best_epoch_} "
            f"(validation quality {model.best_validation_score_:.3f})"
        )
    print(f"saved to {args.output}")


def cmd_sample(args) -> None:
    import numpy as np
    from tqdm.auto import tqdm

    from . import load

    check_writable(args.output, "-o")
    check_output_kind(args.output, "-o")
    _not_the_input(args.output, args.model, "-o")
    pairs = [_split_condition(text) for text in args.condition or []]
    model = load(args.model)
    conditions, y = _request(model, pairs)
    seed = args.seed
    if seed is None:  # new rows on every run (the file holds the model's stream as saved)
        seed = int(np.random.default_rng().integers(2**31 - 1))
    # the request is checked here: the seed is said only for rows that will be drawn
    with _in_option_terms():
        chunks = model.sample_chunks(
            args.n,
            chunk_size=args.chunk_size,
            y=y,
            conditions=conditions or None,
            random_state=seed,
        )
    if args.seed is None:
        print(f"seed {seed} (pass --seed {seed} to draw these rows again)", file=sys.stderr)
    # written beside the output and moved over it once complete: a run that fails or
    # is stopped part-way leaves no file cut short, and the one there before as it was;
    # /dev/stdout and FIFOs are written as they are (what the command says goes to
    # standard error then, not into the table)
    in_place = output_target(args.output)[1]
    with replaced_on_success(args.output) as partial:
        writer = TableWriter(partial, model, name=args.output, in_place=in_place)
        try:
            with tqdm(total=args.n, unit="rows", file=sys.stderr) as bar:
                for chunk in chunks:
                    table = _output_table(chunk)
                    if isinstance(chunk, tuple):
                        writer.label = table.columns[-1]
                    writer.write(table)
                    bar.update(len(table))
        finally:
            writer.close()
    print(f"wrote {args.n} rows to {args.output}", file=sys.stderr if in_place else sys.stdout)


def _request(model, pairs) -> tuple[dict, object]:
    """``--condition`` pairs as ``sample``'s ``conditions``, and its ``y`` when one of
    them names the label column of a model fitted with ``y`` (as written to files)."""
    label = _label_column(model)
    conditions, y, seen = {}, None, set()
    for text, value in pairs:
        if text in seen:
            raise ValueError(f"--condition names {text!r} twice; give each column once")
        seen.add(text)
        column = column_label(model, text)
        if text == label and column not in model._container.columns:
            if not hasattr(model, "classes_"):
                raise ValueError(f"--condition: {text!r} is the model's continuous label y")
            y = _condition_value(text, value, model, categories=list(model.classes_))
            continue
        conditions[column] = _condition_value(column, value, model)
    return conditions, y


def _label_column(model) -> str | None:
    """The name of the column that holds a model's label ``y`` in written tables."""
    if getattr(model, "_target", None) is None:
        return None
    return free_label([str(c) for c in model._container.columns], model._target["name"])


def _output_table(chunk) -> pd.DataFrame:
    """A sampled chunk as a DataFrame with text column labels (what CSV and Parquet
    hold); a label ``y`` of a model fitted with one becomes a last column, named after
    it (``y`` when unnamed), or ``<name>_y`` if ``X`` already has a column of that name."""
    X, y = chunk if isinstance(chunk, tuple) else (chunk, None)
    table = pd.DataFrame(X)
    table.columns = [str(label) for label in table.columns]
    if y is not None:
        name = free_label(list(table.columns), getattr(y, "name", None))
        table[name] = pd.Series(y).array  # its dtype kept (a category, Int64)
    return table


# the cells pandas's read_csv reads as bools
_BOOLS = {"True": True, "TRUE": True, "true": True, "False": False, "FALSE": False, "false": False}


def _split_condition(text: str) -> tuple[str, str]:
    """``COL=VALUE`` from the command line as ``(COL, VALUE)``."""
    if "=" not in text:
        raise ValueError(f"--condition expects COLUMN=VALUE; got {text!r}")
    column, value = text.split("=", 1)
    return column, value


def _condition_value(column: str, value: str, model, categories: list | None = None):
    """The value of the model's ``column`` whose text is ``value`` (so ``code=01`` finds
    the text ``"01"`` and ``n=1`` the number 1; a date finds the datetime at that
    instant), else ``value`` read as a CSV cell would be (empty as missing, an int, a
    float, ``True``/``TRUE``/``true`` and their ``False`` as a bool, else text), which
    sampling refuses with the values it knows when the model never saw it."""
    if categories is None:  # a column's (a label's are given)
        categories = fitted_categories(model, column) or []
    matches = [c for c in categories if str(c) == value]
    if not matches:  # dates given without their time, as read from a CSV cell
        matches = [c for c in categories if _same_time(c, value)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise ValueError(
            f"--condition {column}={value}: several values of {column!r} read as {value!r} "
            f"({matches}); sample from Python with the value itself."
        )
    if value == "":  # an empty CSV cell: missing
        return float("nan")
    if value in _BOOLS:
        return _BOOLS[value]
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            continue
    return value


def _same_time(category, value: str) -> bool:
    """Whether a datetime ``category`` is the instant the text ``value`` reads as."""
    if not isinstance(category, (pd.Timestamp, datetime.date)):
        return False
    try:
        stamp, category = pd.Timestamp(value), pd.Timestamp(category)
        if stamp.tzinfo is None and category.tzinfo is not None:  # a date in its zone
            stamp = stamp.tz_localize(category.tzinfo)
        return stamp == category
    except (ValueError, TypeError):
        return False


def _quality(real, synthetic) -> dict:
    from .metrics import column_pair_trends, column_shapes

    shapes = column_shapes(real, synthetic)
    pairs = column_pair_trends(real, synthetic)
    return {"quality": (shapes + pairs) / 2, "column shapes": shapes, "column pair trends": pairs}


def cmd_evaluate(args) -> None:
    from .metrics import evaluate
    from .metrics._plots import require_matplotlib

    if args.report:
        check_writable(args.report, "--report")
        for source in (args.real, args.synthetic, args.real_test):
            if source:
                _not_the_input(args.report, source, "--report")
        require_matplotlib()  # before the scores, not after them
    real, synthetic = read_table(args.real, args.dates), read_table(args.synthetic, args.dates)
    real_test = read_table(args.real_test, args.dates) if args.real_test else None
    discrete = _discrete(real, args.target, args.discrete)
    try:
        report = evaluate(real, synthetic, target=args.target, real_test=real_test,
                          discrete_columns=discrete)  # fmt: skip
    except ValueError as exc:  # in the command's terms
        raise ValueError(_option_terms(str(exc))) from exc
    summary = report.summary[["synthetic", "reference"]].astype(float).round(4)
    print(summary.to_string(na_rep=""))
    for name, meaning in report.summary["meaning"].items():
        if "not computed: " in meaning:  # a score the tables cannot give, and why
            print(f"{name}: not computed: {meaning.split('not computed: ', 1)[1]}")
            continue
        # how a score was computed when that changes what it says (as the HTML report)
        for part in meaning.split("; "):
            if part.startswith(("no real_test", "rows with a missing")):
                print(f"{name}: {part.replace('no real_test', 'no --real-test')}")
    if real_test is None:
        print(
            "privacy_score: not computed: needs --real-test (real rows the synthesizer never saw)"
        )
    print("\nper column (column shapes):")
    print(report.column_shapes.round(4).to_string())
    if args.report:
        print(f"\nwrote {report.to_html(args.report)}")


def _option_terms(message: str) -> str:
    """An error message of the Python API with its parameters named as the command's
    options."""
    message = message.replace("discrete_columns", "--discrete").replace("real_test", "--real-test")
    message = re.sub(r"device='([^']*)'", r"--device \1", message)
    message = re.sub(r"^conditions\[('[^']*')\]", r"--condition \1", message)
    message = re.sub(r"^conditions: ", "--condition: ", message)
    if "datetimes" in message and "never match" in message:
        message += " Text read from a CSV file becomes datetimes with --dates."
    return message


def cmd_demo(args) -> None:
    from sklearn.model_selection import train_test_split

    from . import GANSynthesizer, VAESynthesizer
    from .datasets import load_adult
    from .metrics._plots import plot_marginals, require_matplotlib

    require_matplotlib()  # before the fits, not after them
    out = Path(args.output_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--output-dir: {str(out)!r} is a file; give a folder")
    out.mkdir(parents=True, exist_ok=True)
    adult = load_adult().frame
    train, test = train_test_split(adult, test_size=0.2, stratify=adult["income"], random_state=0)
    print(f"UCI Adult: {len(train)} training rows, {len(test)} held-out rows, 15 columns")
    # the real split, for the command-line walkthrough (fit on one, evaluate against the other)
    train.to_csv(out / "adult_train.csv", index=False)
    test.to_csv(out / "adult_test.csv", index=False)
    models = {
        "vae": VAESynthesizer(epochs=args.vae_epochs, random_state=0, verbose=args.verbose),
        "gan": GANSynthesizer(epochs=args.gan_epochs, random_state=0, verbose=args.verbose),
    }
    samples, rows = {}, []
    for name, model in models.items():
        start = time.perf_counter()
        model.fit(train)
        fit_s = time.perf_counter() - start
        start = time.perf_counter()
        synth = model.sample(len(test), random_state=0)
        sample_s = time.perf_counter() - start
        summary = _quality(test, synth)
        samples[name] = synth
        rows.append(
            {
                "model": name,
                "epochs": model.epochs,
                "fit s": round(fit_s, 1),
                "quality": round(summary["quality"], 3),
                "shapes": round(summary["column shapes"], 3),
                "pairs": round(summary["column pair trends"], 3),
                ">50K share": round((synth["income"] == ">50K").mean(), 3),
                "sample rows/s": int(len(test) / sample_s),
            }
        )
        synth.to_csv(out / f"adult_synthetic_{name}.csv", index=False)
    real_row = {
        "model": "real (held out)",
        ">50K share": round((test["income"] == ">50K").mean(), 3),
    }
    print(pd.DataFrame(rows + [real_row], dtype=object).to_string(index=False, na_rep=""))
    plot_marginals(
        test,
        samples,
        out / "adult_marginals.png",
        columns=["age", "capital-gain", "hours-per-week", "education", "marital-status", "income"],
    )
    print(
        f"\nwrote {out}/adult_synthetic_vae.csv, adult_synthetic_gan.csv, adult_marginals.png "
        "and the real split: adult_train.csv (fitted on), adult_test.csv (scored against)"
    )


def _at_least(minimum: int, maximum: int | None = None):
    """An argparse type: an int of at least ``minimum`` (and at most ``maximum``;
    argparse names the option)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer; got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}; got {value}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be <= {maximum}; got {value}")
        return value

    return parse


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Options' defaults in their help, where there is one to say."""

    def _get_help_string(self, action):
        if action.default is None or action.default is False:
            return action.help
        return super()._get_help_string(action)


#: Said under each command's options: how lists of columns end
_COLUMNS_NOTE = (
    "--discrete and --dates take every name that follows them up to the next option: "
    "give the files before them."
)


def _command(sub, name: str, summary: str, description: str, *, columns: bool = False):
    """A subcommand's parser, its options' defaults in its help; ``columns``: with the
    ``--discrete`` and ``--dates`` options (and the note on where their lists end)."""
    parser = sub.add_parser(
        name,
        help=summary,
        description=description,
        epilog=_COLUMNS_NOTE if columns else None,
        formatter_class=_HelpFormatter,
    )
    if columns:
        parser.add_argument("--discrete", nargs="*", metavar="COL", help="extra discrete columns")
        parser.add_argument(
            "--dates", nargs="*", metavar="COL", help="columns to parse as datetimes"
        )
    return parser


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(prog="sksynth", description="Synthetic tabular data.")
    parser.add_argument("--version", action="version", version=f"sksynth {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    fit = _command(
        sub,
        "fit",
        "fit a synthesizer on a CSV or Parquet file and save it",
        "Fit a synthesizer on a table and save it to a model file.",
        columns=True,
    )
    fit.add_argument("data", help="the table: a CSV file, or Parquet (.parquet, .pq)")
    fit.add_argument("--model", choices=["gan", "vae"], default="vae", help="the synthesizer")
    fit.add_argument(
        "--target",
        help="a label column; modelled as a discrete column like the others (in Python, "
        "fit(X, y) also lets sample fix its labels)",
    )
    fit.add_argument(
        "--epochs", type=_at_least(1), help="training epochs (default: the model's own)"
    )
    fit.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N, mps or auto")
    fit.add_argument(
        "--seed", type=_at_least(0, 2**32 - 1), default=0, help="seeds the fit (repeatable)"
    )
    fit.add_argument(
        "--early-stopping",
        action="store_true",
        help="hold out 10%% of the rows and keep the epoch of best quality on them",
    )
    fit.add_argument(
        "--autoregressive",
        action="store_true",
        help="VAE only: draw each column given those before it (closer samples, slower sampling)",
    )
    fit.add_argument("-o", "--output", required=True, help="the model file to write")
    fit.set_defaults(func=cmd_fit)

    sample = _command(
        sub,
        "sample",
        "sample rows from a saved model into a CSV or Parquet file",
        "Draw rows from a saved model into a table file, in chunks.",
    )
    sample.add_argument("model", help="a model file written by sksynth fit (or sksynth.save)")
    sample.add_argument("-n", type=_at_least(1), required=True, help="number of rows")
    sample.add_argument(
        "-o",
        "--output",
        required=True,
        help="the table to write: .parquet or .pq (Parquet), else CSV (compressed when it "
        "ends in .gz, .bz2 or .xz); /dev/stdout writes to standard output",
    )
    sample.add_argument(
        "--seed", type=_at_least(0), help="draws the same rows again (default: a new seed, said)"
    )
    sample.add_argument(
        "--chunk-size", type=_at_least(1), default=100_000, help="rows drawn and written at once"
    )
    sample.add_argument(
        "--condition",
        action="append",
        metavar="COL=VALUE",
        help="fix a discrete column (repeat for several; the label column of a model fitted "
        "with y fixes its labels)",
    )
    sample.set_defaults(func=cmd_sample)

    evaluate = _command(
        sub,
        "evaluate",
        "score a synthetic table against a real one",
        "Score a synthetic table against the real one it imitates.",
        columns=True,
    )
    evaluate.add_argument("real", help="the real table (the rows the synthesizer was fitted on)")
    evaluate.add_argument("synthetic", help="the synthetic table")
    evaluate.add_argument("--target", help="a label column: utility (TSTR) is computed for it")
    evaluate.add_argument("--real-test", help="real rows the synthesizer never saw")
    evaluate.add_argument("--report", help="write an HTML report to this path")
    evaluate.set_defaults(func=cmd_evaluate)

    demo = _command(
        sub,
        "demo",
        "fit both synthesizers on the bundled Adult data",
        "Fit both synthesizers on the bundled Adult table, score and plot them.",
    )
    demo.add_argument("--output-dir", default="demo_output", help="where files are written")
    demo.add_argument("--vae-epochs", type=_at_least(1), default=30, help="the VAE's epochs")
    demo.add_argument("--gan-epochs", type=_at_least(1), default=10, help="the GAN's epochs")
    demo.add_argument(
        "--verbose", type=_at_least(0), default=0, help="1 shows progress bars and losses"
    )
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv=None) -> int:
    """Entry point of the ``sksynth`` command."""
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    # (a diverged training run is a FloatingPointError; matplotlib missing, an ImportError)
    except (ValueError, TypeError, PersistenceError, OSError, ArithmeticError, ImportError) as exc:
        # on one line: what pandas, tarfile and others say may span several
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        print(f"sksynth: error: {'; '.join(lines)}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
