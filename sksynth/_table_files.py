"""Tables in files for the command line: CSV and Parquet read in, chunks written out."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import math
import os
import tarfile
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from .preprocessing._columns import _NS_PER_UNIT, DAY_NS
from .utils._files import descriptor, is_stream, output_target

PARQUET = (".parquet", ".pq")


#: CSV files written compressed, by their last extension (as pandas reads them)
_COMPRESSED = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
#: Compressions pandas reads that chunks are not written in
_UNWRITTEN = (".zip", ".zst", ".zstd", ".tar")


def is_parquet(path) -> bool:
    return Path(path).suffix.lower() in PARQUET


def check_output_kind(path, option: str) -> None:
    """Refuse an output file name whose extension says a compression not written (a
    ``.tar.gz`` too: pandas reads it as a tar archive)."""
    suffixes = [s.lower() for s in Path(path).suffixes[-2:]]
    suffix = ".tar" if ".tar" in suffixes else Path(path).suffix.lower()
    if suffix in _UNWRITTEN:
        raise ValueError(
            f"{option}: {str(path)!r}: {suffix} files are not written; name a .csv, .csv.gz, "
            ".csv.bz2, .csv.xz, .parquet or .pq file"
        )


def pyarrow_module():
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError as exc:
        raise ValueError(
            "Parquet files need pyarrow: pip install 'sksynth[parquet]' (or pip install pyarrow)"
        ) from exc
    return pyarrow


def read_table(path, dates=None) -> pd.DataFrame:
    """A CSV or, by its extension, Parquet file as a DataFrame; ``dates``: columns to
    parse as datetimes (CSV cells are text until told otherwise)."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{str(path)!r} is a folder; give a CSV or Parquet file")
    if not path.exists():
        raise ValueError(f"no such file: {str(path)!r}")
    kind = "Parquet" if is_parquet(path) else "CSV"
    # a pipe or a device (/dev/stdin) is read once, whole, then read from memory
    source = path.read_bytes() if is_stream(path) else path
    try:
        if kind == "Parquet":
            pyarrow_module()
            frame = pd.read_parquet(_open(source))
        else:
            frame = _read_csv(source)
            _check_header(source)
            frame = _whole_numbers(frame, source)
    # pandas's and pyarrow's parse errors, undecodable text; a compressed file that is
    # not what its extension says: all said with the file's name
    except (ValueError, EOFError, OSError, *_ARCHIVE_ERRORS) as exc:
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
                frame[column] = parse_dates(frame[column])
            except (ValueError, TypeError) as exc:
                raise ValueError(f"--dates: column {column!r} of {path.name}: {exc}") from exc
        for warning in caught:  # parsed: what pandas had to say stands
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
    return frame


def _open(source):
    """What pandas reads: a file's path, or a stream's bytes (read whole) from their start."""
    return io.BytesIO(source) if isinstance(source, bytes) else source


#: What reading a .zip, .tar or .xz file that is not one raises (no OSError)
_ARCHIVE_ERRORS = (zipfile.BadZipFile, tarfile.TarError, lzma.LZMAError)


def _read_csv(path) -> pd.DataFrame:
    """A CSV file's table. Its first column is never taken as the index: rows ending
    in a delimiter (an empty last field) keep their columns, and rows holding more
    fields than the header are refused (pandas shifted every column by one, or
    dropped the extra fields with a warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        try:
            return pd.read_csv(_open(path), index_col=False)
        except pd.errors.ParserWarning:
            raise ValueError("some rows hold more fields than the header names") from None


def _whole_numbers(frame: pd.DataFrame, path) -> pd.DataFrame:
    """``frame`` with its columns of integers with empty cells as nullable integers
    (``Int64``): pandas reads them as floats, which a synthesizer then draws with
    fractions. A column is one when every cell that is not empty is written as an
    integer (``41``, not ``41.0`` or ``4.1e1``)."""
    candidates = [
        name
        for name in frame.columns
        if frame[name].dtype == np.float64
        and frame[name].isna().any()
        and frame[name].notna().any()
        and (frame[name].dropna() % 1 == 0).all()
        and frame[name].abs().max() < 2**53
    ]
    if not candidates:
        return frame
    text = pd.read_csv(_open(path), index_col=False, usecols=candidates, dtype=str)
    for name in candidates:
        if text[name].dropna().str.strip().str.fullmatch(r"[+-]?\d+").all():
            frame[name] = frame[name].astype("Int64")
    return frame


def _check_header(path) -> None:
    """Refuse a CSV header naming a column twice (pandas renames the second ``a.1``,
    which the synthetic table would then be written with)."""
    header = pd.read_csv(_open(path), nrows=1, header=None, dtype=str, keep_default_na=False)
    names = [name for name in header.iloc[0] if name]  # empty ones: pandas's Unnamed: k
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"the header names these columns more than once: {repeated}")


#: A UTC offset ending a time's text (``+01:00``, ``-0500``, ``Z``)
_OFFSET = r"(?:[+-]\d{2}:?\d{2}|Z)$"


def parse_dates(column: pd.Series) -> pd.Series:
    """Datetimes from a CSV column, as pandas reads them. Times whose texts carry
    several UTC offsets (a time zone's summer and winter time, as a CSV written from
    a zoned column holds them) are read as UTC instants; a column mixing times with
    and without an offset is refused (which zone the others are in is unknown)."""
    if ptypes.is_datetime64_any_dtype(column.dtype):  # a Parquet file's: kept
        return column
    if ptypes.is_bool_dtype(column.dtype):
        raise ValueError("it holds True/False, no dates")
    if ptypes.is_numeric_dtype(column.dtype):
        # digits such as 20200102 or 2020 are read as the text they are (as a date,
        # not as nanoseconds since 1970)
        try:
            column = column.astype("Int64")
        except TypeError:
            raise ValueError("it holds numbers with fractions, no dates") from None
        return pd.to_datetime(column.astype("string"))
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
    try:
        return pd.to_datetime(column)
    except ValueError:  # pandas guessed one format from the first date: dates beside
        try:  # times (as files written before sksynth 0.1 chose one per column)
            return pd.to_datetime(column, format="ISO8601")
        except ValueError:
            pass
        raise


def column_label(model, text: str):
    """The model's column label whose text is ``text`` (labels of a model fitted in
    Python may be ints or tuples); ``text`` itself when none is."""
    labels = [label for label in model._container.columns if str(label) == text]
    if len(labels) > 1:
        raise ValueError(f"several columns of the model read as {text!r}: {labels}")
    return labels[0] if labels else text


def _internal_name(model, column) -> str | None:
    """The transformer's name of a fitted model's ``column`` (None: not one of its)."""
    if column not in list(model._container.columns):
        return None
    return model._internal_names([column])[0]


def fitted_categories(model, column) -> list | None:
    """The values a fitted model's discrete ``column`` holds (None: not a discrete column)."""
    internal = _internal_name(model, column)
    if internal is None:
        return None
    categories = getattr(model.transformer_._encoders.get(internal), "categories_", None)
    return None if categories is None else list(categories)


def _datetime_step_ns(model, column) -> int | None:
    """Nanoseconds between the times a fitted model can draw in a datetime ``column``:
    a continuous column's step, or the greatest common divisor of a discrete one's
    times of day and a day (None: not a column of the model's, or not datetimes)."""
    internal = _internal_name(model, column)
    if internal is None:
        return None
    info = model.transformer_._numeric_info.get(internal)
    if info is not None:
        return info.step * _NS_PER_UNIT[info.unit] if info.kind == "datetime" else None
    categories = fitted_categories(model, column) or []
    stamps = pd.DatetimeIndex([c for c in categories if isinstance(c, pd.Timestamp)])
    if not len(stamps):
        return None
    times = np.unique(stamps.as_unit("ns").asi8 % DAY_NS)
    return math.gcd(DAY_NS, *map(int, times))


class TableWriter:
    """Writes chunks of one table to ``path``: Parquet or CSV (UTF-8, compressed by a
    ``.gz``, ``.bz2`` or ``.xz`` extension), by the extension of ``name`` (the output's
    name, when ``path`` is a temporary file beside it). ``in_place``: ``path`` is a
    FIFO or a device, appended to, never truncated; a descriptor's path
    (``/dev/stdout``) is written through that descriptor, at its own offset."""

    def __init__(self, path, model=None, *, name=None, in_place: bool = False):
        name = Path(name if name is not None else path)
        self.path, self.parquet, self._sink = Path(path), is_parquet(name), None
        self._compress = _COMPRESSED.get(name.suffix.lower())
        self._mode, self._file = "a" if in_place else "w", None
        self.model, self._schema, self._formats = model, None, {}
        self.label = None  # the column holding a model's label y, when it has one

    def _arrow_schema(self, chunk: pd.DataFrame):
        """The Arrow schema of the file. Columns of one dtype take the first chunk's
        type; an object column (or one missing in all the first chunk's rows, typed
        ``null``) takes the type of every value the model can draw in it, not only
        those of the first chunk, which later chunks could not all be written under
        (a 2.5 was written as 2 in an int column)."""
        pa = pyarrow_module()
        schema = pa.Schema.from_pandas(chunk, preserve_index=False)
        for i, field in enumerate(schema):
            if self.model is None or not (
                pa.types.is_null(field.type) or chunk[field.name].dtype == object
            ):
                continue
            if field.name == self.label:
                values = list(getattr(self.model, "classes_", []))
            else:
                values = fitted_categories(self.model, column_label(self.model, field.name))
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
            pa = pyarrow_module()
            if self._sink is None:
                self._schema = self._arrow_schema(chunk)
                self._file = self._open_binary()
                self._sink = pa.parquet.ParquetWriter(self._file, self._schema)
            table = pa.Table.from_pandas(chunk, schema=self._schema, preserve_index=False)
            self._sink.write_table(table)
        else:
            first = self._sink is None
            if first:
                self._formats = self._datetime_formats(chunk)
                self._file = self._open_binary()
                if self._compress is None:
                    self._sink = io.TextIOWrapper(self._file, encoding="utf-8", newline="")
                else:
                    self._sink = self._compress(self._file, "wt", encoding="utf-8", newline="")
            if self._formats:  # one text format per column, whatever the chunk holds
                chunk = chunk.copy(deep=False)
                for column, form in self._formats.items():
                    chunk[column] = chunk[column].dt.strftime(form)
            chunk.to_csv(self._sink, header=first, index=False)

    def _datetime_formats(self, chunk: pd.DataFrame) -> dict:
        """``{column: format}`` for the naive datetime columns whose text pandas would
        choose chunk by chunk: a column the model draws at times of day other than
        midnight was written as dates alone in a chunk whose times were all midnight
        (and read back as mixed formats). Their times are written in the format of
        their finest step: whole seconds, or microseconds."""
        formats = {}
        if self.model is None:
            return formats
        for name in chunk.columns:
            dtype = chunk[name].dtype
            if name == self.label or not ptypes.is_datetime64_dtype(dtype):
                continue  # (a zoned column's times are always written whole)
            step = _datetime_step_ns(self.model, column_label(self.model, name))
            if step is None or step % DAY_NS == 0:
                continue  # midnights alone, or the same time every day: one format
            if step % 10**9 == 0:
                formats[name] = "%Y-%m-%d %H:%M:%S"
            elif step % 10**3 == 0:
                formats[name] = "%Y-%m-%d %H:%M:%S.%f"
        return formats

    def _open_binary(self):
        """The file, opened in binary mode (a descriptor's path: a copy of it)."""
        number = descriptor(self.path)
        return open(self.path if number is None else os.dup(number), f"{self._mode}b")

    def close(self) -> None:
        try:
            if self._sink is not None:
                self._sink.close()
        finally:
            if self._file is not None and not self._file.closed:
                self._file.close()


def check_writable(path, option: str) -> None:
    """Refuse an output path in a missing folder, or that is a folder, before the long
    work, not after it."""
    if not str(path):
        raise ValueError(f"{option}: give a file name (got an empty one)")
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
