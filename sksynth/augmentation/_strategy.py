"""imbalanced-learn's ``sampling_strategy`` meanings for over-sampling, without imblearn.

Every form resolves to ``{class: number of rows to add}``, in sorted class order.
"""

from __future__ import annotations

from collections import Counter
from numbers import Real

import numpy as np

STRATEGIES = ("auto", "minority", "not minority", "not majority", "all")


def _to_add(target: dict, counts: Counter) -> dict:
    """Rows to add to reach ``target`` ({class: rows wanted}); shrinking is an error."""
    out = {}
    for label, wanted in target.items():
        if label not in counts:
            raise ValueError(
                f"sampling_strategy names class {label!r}, which is not in y "
                f"(classes: {sorted(counts)})."
            )
        if isinstance(wanted, bool) or not isinstance(wanted, (int, np.integer)):
            raise ValueError(
                f"sampling_strategy[{label!r}] must be a number of rows (an int); got {wanted!r}."
            )
        if wanted < counts[label]:
            raise ValueError(
                f"sampling_strategy asks class {label!r} to shrink from {counts[label]} to "
                f"{wanted} rows; an over-sampler only adds rows."
            )
        out[label] = int(wanted) - counts[label]
    return out


def resolve_strategy(sampling_strategy, y: np.ndarray) -> dict:
    """``{class: rows to add}`` for ``sampling_strategy`` on labels ``y``."""
    # in sorted class order, as np.unique gives imblearn's: ties go to the first class
    counts = Counter(y.tolist())
    counts = Counter({label: counts[label] for label in _sorted(counts)})
    majority = max(counts.values())
    minority = min(counts.values())
    if callable(sampling_strategy):
        wanted = sampling_strategy(y)
        if not isinstance(wanted, dict):
            raise ValueError(
                "A callable sampling_strategy must return a dict {class: rows wanted}; got "
                f"{type(wanted).__name__}."
            )
        result = _to_add(wanted, counts)
    elif isinstance(sampling_strategy, dict):
        result = _to_add(sampling_strategy, counts)
    elif isinstance(sampling_strategy, Real) and not isinstance(sampling_strategy, bool):
        if len(counts) != 2:
            raise ValueError(
                "A float sampling_strategy is for binary targets only; y has "
                f"{len(counts)} classes. Use a dict or a string."
            )
        major = max(counts, key=lambda c: counts[c])
        wanted = {c: int(majority * sampling_strategy) for c in counts if c != major}
        if any(wanted[c] <= counts[c] for c in wanted):  # as imblearn: no rows is an error
            raise ValueError(
                f"sampling_strategy={sampling_strategy} asks for {min(wanted.values())} "
                f"minority rows, which adds none to its {minority}; increase the ratio."
            )
        result = _to_add(wanted, counts)
    else:
        strategy = "not majority" if sampling_strategy == "auto" else sampling_strategy
        smallest = min(counts, key=lambda c: counts[c])  # ties: the first in sorted order
        largest = max(counts, key=lambda c: counts[c])
        skip = {"minority": None, "not minority": smallest, "not majority": largest}.get(strategy)
        result = {c: majority - n for c, n in counts.items() if c != skip}
        if strategy == "minority":
            result = {smallest: majority - minority}
    return {label: result[label] for label in _sorted(result)}


def _sorted(labels) -> list:
    """Labels sorted by value (``str`` and ``np.str_`` together), or by type then
    value where values of different types do not compare."""
    try:
        return sorted(labels)
    except TypeError:
        return sorted(labels, key=lambda label: (str(type(label)), label))
