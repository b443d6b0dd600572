"""Files written whole or not at all."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: Paths that stand for this process's open descriptors (``/dev/stdout``, ``/dev/fd/3``,
#: ``/proc/self/fd/3``): written through the descriptor, whatever it points at
_DESCRIPTOR = re.compile(r"/dev/(stdout|stderr|fd/(\d+))|/proc/(self|\d+)/fd/(\d+)")
_STANDARD = {"stdout": 1, "stderr": 2}


def descriptor(path) -> int | None:
    """The open descriptor ``path`` stands for (``/dev/stdout``: 1), or None."""
    match = _DESCRIPTOR.fullmatch(os.path.abspath(path))
    if match is None or (match[3] not in (None, "self") and int(match[3]) != os.getpid()):
        return None
    number = match[2] or match[4]
    return int(number) if number else _STANDARD[match[1]]


def is_stream(path) -> bool:
    """Whether ``path`` names an existing file that is no regular file nor folder (a
    FIFO, a device such as ``/dev/stdin``): read once, from start to end, in place."""
    try:
        mode = Path(path).stat().st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def output_target(path) -> tuple[Path, bool]:
    """The file ``path`` names once links are followed (a link keeps pointing at the
    file written), and whether it is written in place: a descriptor's path such as
    ``/dev/stdout`` (kept as given: a pipe's link leads to no file), or an existing
    file that is no regular file (a FIFO, a device), which no file can replace."""
    if descriptor(path) is not None:
        return Path(os.path.abspath(path)), True
    target = Path(os.path.realpath(path))
    return target, is_stream(target)


@contextmanager
def replaced_on_success(path) -> Iterator[Path]:
    """Yield a path beside ``path`` to write to, moved over ``path`` when the block ends
    without an error and removed when it raises (a full disk, Ctrl-C): whatever was at
    ``path`` stays as it was, and no file cut short looks complete. A link is followed;
    a FIFO or a device is written in place."""
    target, in_place = output_target(path)
    if in_place:
        yield target
        return
    if target.is_dir():
        raise IsADirectoryError(f"{str(path)!r} is a folder; give a file name")
    if not target.parent.is_dir():
        raise FileNotFoundError(f"no such folder {str(target.parent)!r} for {str(path)!r}")
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        yield partial
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
