"""The ``sksynth`` command line: ``fit``, ``sample``, ``evaluate`` and ``demo``."""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import time
import warnings
from pathlib import Path

import pandas as pd
from pandas.api import types as ptypes

from .exceptions import PersistenceError
from .utils._files import output_target, replaced_on_success

_PARQUET = (".parquet", ".pq")


def _is_parquet(path) -> bool:
    return Path(path).suffix.lower() in _PARQUET


def _pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError as exc:
        raise ValueError(
            "Parquet files need pyarrow: pip install 'sksynth[parquet]' (or pip install pyarrow)"
        ) from exc
    return pyarrow


def _read_table(path, dates=None) -> pd.DataFrame:
    """A CSV or, by its extension, Parquet file as a DataFrame; ``dates``: columns to
    parse as datetimes (CSV cells are text until told otherwise)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no such file: {str(path)!r}")
    kind = "Parquet" if _is_parquet(path) else "CSV"
    try:
        if kind == "Parquet":
            _pyarrow()
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path)
    except ValueError as exc:  # pandas's and pyarrow's parse errors, undecodable text
        raise ValueError(f"{str(path)!r} cannot be read as {kind}: {exc}") from exc
    if frame.empty:
        raise ValueError(f"{str(path)!r} holds no rows")
    for column in dates or []:
        if column not in frame.columns:
            raise ValueError(f"--dates names {column!r}, which is not a column of {path.name}")
        # pandas warns before it fails on text that is no date: the error says it
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                frame[column] = _parse_dates(frame[column])
            except (ValueError, TypeError) as exc:
                raise ValueError(f"--dates: column {column!r} of {path.name}: {exc}") from exc
        for warning in caught:  # parsed: what pandas had to say stands
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    return frame


#: A UTC offset ending a time's text (``+01:00``, ``-0500``, ``Z``)
_OFFSET = r"(?:[+-]\d{2}:?\d{2}|Z)$"


def _parse_dates(column: pd.Series) -> pd.Series:
    """Datetimes from a CSV column, as pandas reads them. Times whose texts carry
    several UTC offsets (a time zone's summer and winter time, as a CSV written from
    a zoned column holds them) are read as UTC instants; a column mixing times with
    and without an offset is refused (which zone the others are in is unknown)."""
    if ptypes.is_datetime64_any_dtype(column.dtype):  # a Parquet file's: kept
        return column
    if ptypes.is_numeric_dtype(column.dtype) or ptypes.is_bool_dtype(column.dtype):
        return pd.to_datetime(column)
    text = column.dropna().astype(str).str.strip()
    offsets = text.str.extract(f"({_OFFSET})", expand=False)
    zoned = offsets.notna()
    if zoned.any() and not zoned.all():
        example = text[~zoned].iloc[0]
        raise ValueError(
            f"some times carry a UTC offset and some, such as {example!r}, do not; give "
            "every time an offset, or none"
        )
    if zoned.all() and offsets.nunique() > 1:
        try:
            return pd.to_datetime(column, utc=True, format="ISO8601")
        except ValueError:
            return pd.to_datetime(column, utc=True)
    return pd.to_datetime(column)


def _column_label(model, text: str):
    """The model's column label whose text is ``text`` (labels of a model fitted in
    Python may be ints or tuples); ``text`` itself when none is."""
    labels = [label for label in model._container.columns if str(label) == text]
    if len(labels) > 1:
        raise ValueError(f"several columns of the model read as {text!r}: {labels}")
    return labels[0] if labels else text


def _fitted_categories(model, column) -> list | None:
    """The values a fitted model's discrete ``column`` holds (None: not a discrete column)."""
    labels = list(model._container.columns)
    if column not in labels:
        return None
    internal = model._internal_names([column])[0]
    categories = getattr(model.transformer_._encoders.get(internal), "categories_", None)
    return None if categories is None else list(categories)


class _TableWriter:
    """Writes chunks of one table to CSV or Parquet (``parquet``)."""

    def __init__(self, path, parquet: bool, model=None):
        self.path, self.parquet, self._sink = Path(path), parquet, None
        self.model, self._schema = model, None
        self.label = None  # the column holding a model's label y, when it has one

    def _arrow_schema(self, chunk: pd.DataFrame):
        """The Arrow schema of the file. Columns of one dtype take the first chunk's
        type; an object column (or one missing in all the first chunk's rows, typed
        ``null``) takes the type of every value the model can draw in it, not only
        those of the first chunk, which later chunks could not all be written under
        (a 2.5 was written as 2 in an int column)."""
        pa = _pyarrow()
        schema = pa.Schema.from_pandas(chunk, preserve_index=False)
        for i, field in enumerate(schema):
            if self.model is None or not (
                pa.types.is_null(field.type) or chunk[field.name].dtype == object
            ):
                continue
            if field.name == self.label:
                values = list(getattr(self.model, "classes_", []))
            else:
                values = _fitted_categories(self.model, _column_label(self.model, field.name))
            try:
                kind = pa.array(values, from_pandas=True).type if values else pa.string()
            except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
                kinds = sorted({type(v).__name__ for v in values})
                raise ValueError(
                    f"-o: column {field.name!r} holds values of several types ({kinds}), "
                    f"which one Parquet column cannot hold ({error}); write a CSV file instead"
                ) from None
            schema = schema.set(i, field.with_type(kind))
        return schema

    def write(self, chunk: pd.DataFrame) -> None:
        if self.parquet:
            pa = _pyarrow()
            if self._sink is None:
                self._schema = self._arrow_schema(chunk)
                self._sink = pa.parquet.ParquetWriter(self.path, self._schema)
            table = pa.Table.from_pandas(chunk, schema=self._schema, preserve_index=False)
            self._sink.write_table(table)
        else:
            if self._sink is None:
                self._sink = open(self.path, "w", newline="")
                chunk.to_csv(self._sink, index=False)
            else:
                chunk.to_csv(self._sink, header=False, index=False)

    def close(self) -> None:
        if self._sink is not None:
            self._sink.close()


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
    for name in [*(extra or []), *([target] if target else [])]:
        if name not in frame.columns:
            raise ValueError(f"column {name!r} is not in the table; columns: {list(frame.columns)}")
        if name not in columns:
            columns.append(name)
    return columns


def _check_writable(path, option: str) -> None:
    """Refuse an output path in a missing folder, or that is a folder, before the long
    work, not after it."""
    folder = Path(path).parent
    if not folder.is_dir():
        raise ValueError(f"{option}: no such folder {str(folder)!r} for {str(path)!r}")
    if Path(path).is_dir():
        raise ValueError(f"{option}: {str(path)!r} is a folder; give a file name")
    target, in_place = output_target(path)
    if in_place:  # a FIFO or a device, written as it is
        if not os.access(target, os.W_OK):
            raise ValueError(f"{option}: cannot write {str(path)!r} (Permission denied)")
        return
    if not target.parent.is_dir():  # a link into a missing folder
        raise ValueError(
            f"{option}: {str(path)!r} links to {str(target)!r}, whose folder is missing"
        )
    probe = target.parent / f".{target.name}.{os.getpid()}.check"
    try:  # a file made and removed: the only sure test that the folder takes one
        probe.open("xb").close()
        probe.unlink()
    except OSError as error:
        raise ValueError(f"{option}: cannot write {str(path)!r} ({error.strerror})") from None


def cmd_fit(args) -> None:
    from . import save

    if args.autoregressive and args.model != "vae":
        raise ValueError(f"--autoregressive is a VAE's option; got --model {args.model}.")
    _check_writable(args.output, "-o")
    frame = _read_table(args.data, args.dates)
    discrete = _discrete(frame, args.target, args.discrete)
    model = _model(args, discrete)
    start = time.perf_counter()
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

    _check_writable(args.output, "-o")
    pairs = [_split_condition(text) for text in args.condition or []]
    model = load(args.model)
    conditions = {}
    for text, value in pairs:
        column = _column_label(model, text)
        conditions[column] = _condition_value(column, value, model)
    seed = args.seed
    if seed is None:  # new rows on every run (the file holds the model's stream as saved)
        seed = int(np.random.default_rng().integers(2**31 - 1))
    # the request is checked here: the seed is said only for rows that will be drawn
    chunks = model.sample_chunks(
        args.n, chunk_size=args.chunk_size, conditions=conditions or None, random_state=seed
    )
    if args.seed is None:
        print(f"seed {seed} (pass --seed {seed} to draw these rows again)", file=sys.stderr)
    # written beside the output and moved over it once complete: a run that fails or
    # is stopped part-way leaves no file cut short, and the one there before as it was
    with replaced_on_success(args.output) as partial:
        writer = _TableWriter(partial, _is_parquet(args.output), model)
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
    print(f"wrote {args.n} rows to {args.output}")


def _output_table(chunk) -> pd.DataFrame:
    """A sampled chunk as a DataFrame with text column labels (what CSV and Parquet
    hold); a label ``y`` of a model fitted with one becomes a last column, named after
    it (``y`` when unnamed), or ``<name>_y`` if ``X`` already has a column of that name."""
    X, y = chunk if isinstance(chunk, tuple) else (chunk, None)
    table = pd.DataFrame(X)
    table.columns = [str(label) for label in table.columns]
    if y is not None:
        name = str(getattr(y, "name", None) or "y")
        while name in table.columns:
            name = f"{name}_y"
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


def _condition_value(column: str, value: str, model):
    """The value of the model's ``column`` whose text is ``value`` (so ``code=01`` finds
    the text ``"01"`` and ``n=1`` the number 1; a date finds the datetime at that
    instant), else ``value`` read as a CSV cell would be (empty as missing, an int, a
    float, ``True``/``TRUE``/``true`` and their ``False`` as a bool, else text), which
    sampling refuses with the values it knows when the model never saw it."""
    categories = _fitted_categories(model, column) or []
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
        _check_writable(args.report, "--report")
        require_matplotlib()  # before the scores, not after them
    real, synthetic = _read_table(args.real, args.dates), _read_table(args.synthetic, args.dates)
    real_test = _read_table(args.real_test, args.dates) if args.real_test else None
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
    """A metric's error message with its parameters named as the command's options."""
    message = message.replace("discrete_columns", "--discrete").replace("real_test", "--real-test")
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


def _at_least(minimum: int):
    """An argparse type: an int of at least ``minimum`` (argparse names the option)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer; got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}; got {value}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sksynth", description="Synthetic tabular data.")
    sub = parser.add_subparsers(dest="command", required=True)

    fit = sub.add_parser("fit", help="fit a synthesizer on a CSV or Parquet file and save it")
    fit.add_argument("data")
    fit.add_argument("--model", choices=["gan", "vae"], default="vae")
    fit.add_argument("--target", help="a label column (modelled as a discrete column)")
    fit.add_argument("--discrete", nargs="*", help="extra discrete columns")
    fit.add_argument("--dates", nargs="*", help="columns to parse as datetimes")
    fit.add_argument("--epochs", type=_at_least(1))
    fit.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N, mps or auto")
    fit.add_argument("--seed", type=_at_least(0), default=0)
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
    fit.add_argument("-o", "--output", required=True)
    fit.set_defaults(func=cmd_fit)

    sample = sub.add_parser(
        "sample", help="sample rows from a saved model into a CSV or Parquet file"
    )
    sample.add_argument("model")
    sample.add_argument("-n", type=_at_least(1), required=True)
    sample.add_argument("-o", "--output", required=True)
    sample.add_argument("--seed", type=_at_least(0))
    sample.add_argument("--chunk-size", type=_at_least(1), default=100_000)
    sample.add_argument(
        "--condition", action="append", metavar="COL=VALUE", help="fix a discrete column"
    )
    sample.set_defaults(func=cmd_sample)

    evaluate = sub.add_parser("evaluate", help="score a synthetic table against a real one")
    evaluate.add_argument("real")
    evaluate.add_argument("synthetic")
    evaluate.add_argument("--target")
    evaluate.add_argument("--discrete", nargs="*")
    evaluate.add_argument("--dates", nargs="*", help="columns to parse as datetimes")
    evaluate.add_argument("--real-test", help="real rows the synthesizer never saw")
    evaluate.add_argument("--report", help="write an HTML report to this path")
    evaluate.set_defaults(func=cmd_evaluate)

    demo = sub.add_parser("demo", help="fit both synthesizers on the bundled Adult data")
    demo.add_argument("--output-dir", default="demo_output")
    demo.add_argument("--vae-epochs", type=_at_least(1), default=30)
    demo.add_argument("--gan-epochs", type=_at_least(1), default=10)
    demo.add_argument("--verbose", type=_at_least(0), default=0)
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv=None) -> int:
    """Entry point of the ``sksynth`` command."""
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    # (a diverged training run is a FloatingPointError; matplotlib missing, an ImportError)
    except (ValueError, TypeError, PersistenceError, OSError, ArithmeticError, ImportError) as exc:
        print(f"sksynth: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
