"""What a benchmark page says besides its figures: the machine, versions, table cells."""

from __future__ import annotations

import os
import platform
import statistics
from pathlib import Path

import numpy as np
import pandas as pd


def device_suffix(device: str) -> str:
    """File-name suffix of a run on ``device``: none on the CPU, ``_cuda``, ``_cuda1``..."""
    return "" if device == "cpu" else "_" + device.replace(":", "")


def versions(device="cpu", peers=True):
    """The machine and library versions of a page's header (the peer's only with ``peers``)."""
    import sklearn
    import torch

    import sksynth

    gpu = f"{torch.cuda.get_device_name()}, " if device.startswith("cuda") else ""
    text = (
        f"Python {platform.python_version()}, torch {torch.__version__}, pandas "
        f"{pd.__version__}, numpy {np.__version__}, scikit-learn {sklearn.__version__}, "
        f"sksynth {sksynth.__version__}"
    )
    if peers:
        import ctgan
        import sdmetrics

        text += f", ctgan {ctgan.__version__}, sdmetrics {sdmetrics.__version__}"
    cores = len(os.sched_getaffinity(0))
    return f"{gpu}{text}; {platform.machine()}{_cpu_model()}, {cores} CPU cores"


def machine_line(saved: dict) -> str:
    """A saved run's ``versions`` (the machine it ran on), with its date when it has one."""
    date = saved.get("date")
    return saved["versions"] + (f"; run on {date}" if date else "")


def _cpu_model() -> str:
    """`` (model name, family F model M)`` of the CPU as Linux names it, or nothing: a
    model's float rounding, and thus a long fit's path, can differ between CPU kinds
    (a virtual machine may name only the vendor's line, hence the family and model)."""
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.exists():
        return ""
    fields: dict[str, str] = {}
    for line in cpuinfo.read_text().splitlines():
        key, _, value = line.partition(":")
        if not key.strip():  # the first processor's block ends here
            break
        fields.setdefault(key.strip(), value.strip())
    parts = [fields["model name"]] if "model name" in fields else []
    if "cpu family" in fields and "model" in fields:
        parts.append(f"family {fields['cpu family']} model {fields['model']}")
    return f" ({', '.join(parts)})" if parts else ""


def fmt_value(value, spec):
    """``value`` formatted by ``spec``; empty for None or NaN."""
    return (
        ""
        if value is None or (isinstance(value, float) and np.isnan(value))
        else format(value, spec)
    )


def median_cell(values, spec):
    """A table cell: the median of ``values`` and, over several, their range below it
    (NaN values, a score undefined for that fit, are left out; empty if all are)."""
    values = [v for v in values if not np.isnan(v)]
    if not values:
        return ""
    median = format(statistics.median(values), spec)
    if len(values) == 1:
        return median
    return f"{median}<br>{format(min(values), spec)}-{format(max(values), spec)}"
