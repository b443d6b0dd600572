"""Files written whole or not at all."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replaced_on_success(path) -> Iterator[Path]:
    """Yield a path beside ``path`` to write to, moved over ``path`` when the block ends
    without an error and removed when it raises (a full disk, Ctrl-C): whatever was at
    ``path`` stays as it was, and no file cut short looks complete."""
    path = Path(path)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        yield partial
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
