"""Files written whole or not at all."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: Folders whose entries stand for open descriptors (``/dev/stdout``, ``/dev/fd/3``):
#: written as they are, whatever they point at (a pipe, or a file opened with ``>>``)
_DESCRIPTORS = ("/dev/", "/proc/")


def output_target(path) -> tuple[Path, bool]:
    """The file ``path`` names once links are followed (a link keeps pointing at the
    file written), and whether it is written in place: a descriptor's path such as
    ``/dev/stdout`` (kept as given: a pipe's link leads to no file), or an existing
    file that is no regular file (a FIFO, a device), which no file can replace."""
    given = os.path.abspath(path)
    if given.startswith(_DESCRIPTORS) and os.path.exists(given):
        return Path(given), True
    target = Path(os.path.realpath(path))
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        return target, False
    return target, not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


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
