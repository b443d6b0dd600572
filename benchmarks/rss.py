"""Peak resident memory of the calling process alone."""

from __future__ import annotations

import resource
from pathlib import Path

STATUS = Path("/proc/self/status")


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB.

    Linux's ``VmHWM`` (the high-water mark of this process's own memory). Not
    ``getrusage``'s ``ru_maxrss``: on Linux a child's ``ru_maxrss`` starts at the
    parent's peak when it was started, so a child started by a big parent
    reads the parent's figure. Without ``/proc``, ``ru_maxrss`` read as kB.
    """
    if STATUS.exists():
        for line in STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
