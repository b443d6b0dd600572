"""Conditional sampling: rows that carry requested labels and discrete values.

Candidate rows are drawn from the model (a model may steer its candidates
towards the requested values, as the GAN does through its conditional vector)
and kept only when they carry every requested value, so each returned row
honours the request exactly. Rejection keeps the model's own conditional
distribution; a bounded budget of candidates per requested row turns a request
the model cannot meet into an error, never a short or wrong table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from ..nn._layers import draw_categories

#: Candidate rows drawn per requested row before conditional sampling gives up.
CONDITION_BUDGET = 200
#: A block smaller than this has the budget of this many rows: a request of a few rows
#: under a 1-in-112 value failed 7-14 % of the time with 200 candidates per row.
MIN_BUDGET_ROWS = 256
#: Largest number of candidates decoded at once (bounds memory for rare requests).
ROUND_ROWS = 65_536
#: How many times rarer than in the training rows a requested label may come out
#: before its rows run out of candidates: a row asking for a label of training share
#: ``p`` may draw ``LABEL_SHORTFALL / p`` candidates when that is above
#: ``CONDITION_BUDGET`` (a model that does not steer, as the VAE, meets the label
#: about once in ``1 / p`` candidates: 200 per row failed a well-fitted VAE on a
#: class of 0.1 %), and ``MAX_ROW_BUDGET`` at most.
LABEL_SHORTFALL = 10
MAX_ROW_BUDGET = 100 * CONDITION_BUDGET


@dataclass(frozen=True)
class Request:
    """What every sampled row must carry, in terms of the transformer's spans.

    Rows are in the compact layout (one column per span: a one-hot block's
    category code). ``fixed`` are ``(span position, code)`` pairs every row
    must carry (the ``conditions``); ``label_position`` is the target's span,
    ``labels`` the wanted target codes per row (``None``: drawn at
    ``class_probs`` per block); ``starts`` are the spans' first encoded
    columns (steering hints name encoded columns); ``text`` describes the
    request for error messages.
    """

    fixed: tuple[tuple[int, int], ...] = ()
    label_position: int | None = None
    labels: np.ndarray | None = None
    class_probs: np.ndarray | None = None
    starts: tuple[int, ...] = ()
    text: str = ""
    steers: bool = False

    @property
    def has_labels(self) -> bool:
        return self.label_position is not None


def _code_of(encoder, value, describe: str) -> int:
    """The category code of ``value`` in a fitted discrete encoder, or a ``ValueError``."""
    if isinstance(value, np.ndarray) and value.ndim == 0:  # a 0-d array holds one value
        value = value.item()
    if not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value):
        if encoder.has_missing:
            return len(encoder.categories_)
        raise ValueError(f"{describe}: missing value requested, but none was seen during fit.")
    if not pd.api.types.is_scalar(value):
        raise ValueError(f"{describe}: expected a single value; got {value!r}.")
    position = pd.Index(encoder.categories_, dtype=object).get_indexer(
        pd.Index([value], dtype=object)
    )[0]
    if position < 0:
        seen = list(encoder.categories_[:10])
        more = ", ..." if len(encoder.categories_) > 10 else ""
        raise ValueError(
            f"{describe}: value {value!r} was not seen during fit (seen: "
            f"{', '.join(map(repr, seen))}{more})."
        )
    return int(position)


def resolve_conditions(
    transformer, conditions, internal: Mapping, target: tuple | None = None
) -> tuple[list[tuple[int, int]], list[str]]:
    """``(span position, code)`` pairs fixed by ``conditions`` ({label: value}), described.

    ``internal`` maps the user's column labels to the transformer's names; ``target``,
    ``(label, what to do instead)``, names the ``y`` given to fit, no column of X.
    """
    if conditions is None:
        return [], []
    if not isinstance(conditions, Mapping):
        raise ValueError(
            f"conditions must be a dict {{column: value}}; got {type(conditions).__name__}."
        )
    positions = {
        s.column: k for k, s in enumerate(transformer.output_spans_) if s.kind == "category"
    }
    fixed, text = [], []
    for label, value in conditions.items():
        if label not in internal:
            if target is not None and label == target[0]:
                raise ValueError(
                    f"conditions: {label!r} is the target y given to fit, not a column of X; "
                    f"{target[1]}."
                )
            raise ValueError(f"conditions: unknown column {label!r}; columns are {list(internal)}.")
        name = internal[label]
        if name not in positions:
            raise ValueError(
                f"conditions: column {label!r} is continuous; only discrete columns "
                "can be fixed (see discrete_columns)."
            )
        code = _code_of(transformer._encoders[name], value, f"conditions[{label!r}]")
        fixed.append((positions[name], code))
        text.append(f"{label!r}={value!r}")
    return fixed, text


def label_codes(encoder, y, n: int, classes) -> np.ndarray:
    """Target codes of the requested labels ``y`` (one label, or one per row)."""
    values = np.asarray(y, dtype=object) if not isinstance(y, pd.Series) else y.to_numpy(object)
    if values.ndim == 0:
        if not pd.api.types.is_hashable(values.item()):  # a set or a dict is no label
            raise ValueError(f"y must be one label or one label per row; got a {type(y).__name__}.")
        values = np.full(n, values.item(), dtype=object)
    if values.ndim == 2 and values.shape[1] == 1:  # a column vector, as fit takes one
        values = values[:, 0]
    if values.ndim != 1 or len(values) != n:
        raise ValueError(
            f"y must be one label or one label per row (n_samples={n}); got shape {np.shape(y)}."
        )
    positions = pd.Index(encoder.categories_, dtype=object).get_indexer(
        pd.Index(values, dtype=object)
    )
    unknown = positions < 0
    if unknown.any():
        examples = pd.unique(pd.Series(values[unknown], dtype=object))[:5].tolist()
        raise ValueError(f"y holds labels not seen during fit: {examples}; classes_ are {classes}.")
    return positions.astype(np.int64)


def draw_block(
    generate: Callable[[int, torch.Generator, np.ndarray | None], torch.Tensor],
    m: int,
    generator: torch.Generator,
    request: Request,
    labels: np.ndarray | None,
    *,
    produced: int,
    total: int,
    budget_rows: int,
) -> np.ndarray:
    """``m`` compact rows honouring ``request`` (``labels``: wanted target code per row,
    or ``None``: drawn here at ``request.class_probs`` when the request has labels).

    ``generate(k, generator, wanted)`` returns ``k`` candidate rows; ``wanted``
    (``k`` x c encoded columns) says which one-hot columns the caller wants hot,
    a hint the model may use to steer. The block may draw ``CONDITION_BUDGET``
    candidates per row of ``budget_rows`` (a full block's rows, also for a last,
    shorter block, which would otherwise fail far more often than the others), and
    of ``MIN_BUDGET_ROWS`` at least; more per row for rows asking for rare labels
    (see ``LABEL_SHORTFALL``: the block's rows' mean).
    ``produced``/``total`` only feed the error raised when the budget runs out.

    Labels drawn here are drawn again for a row whose candidate carried its
    label but not the conditions: a row then takes label ``y`` with
    probability proportional to ``class_probs[y]`` times the model's chance of
    the conditions given ``y``, as filtering an unconditional sample would give.
    Their candidates are then aimed at the label only (as an unconditional
    sample's are), not at the conditions.
    """
    fixed = np.asarray(request.fixed, dtype=np.int64).reshape(-1, 2)
    fixed_pos, fixed_code = fixed[:, 0], fixed[:, 1]
    starts = np.asarray(request.starts, dtype=np.int64)
    drawn_here = labels is None and request.has_labels
    if drawn_here:
        labels = _draw_labels(request, m, generator)
    want = np.zeros(m, dtype=np.int64) if labels is None else labels.copy()
    redraw = drawn_here and fixed.size > 0
    out: np.ndarray | None = None
    pending = np.arange(m)
    # success[c]: share of the candidates aimed at code c that came out matching
    success = np.ones(len(request.class_probs) if drawn_here else int(want.max()) + 1)
    budget_rows = max(m, budget_rows, MIN_BUDGET_ROWS)
    per_row = _row_budget(request, labels)
    drawn, budget, margin = 0, int(np.ceil(per_row * budget_rows)), 1.0
    while pending.size:
        codes, counts = np.unique(want[pending], return_counts=True)
        k = int(np.ceil(pending.size / success[codes].min() * margin))
        k = min(max(k, 256), ROUND_ROWS, budget - drawn)
        margin = 1.1
        hint = np.resize(pending, k)  # candidate i is aimed at pending row i mod |pending|
        wanted = np.repeat((starts[fixed_pos] + fixed_code)[None, :], k, axis=0)
        if labels is not None:
            label_hot = starts[request.label_position] + want[hint]
            # labels drawn here: candidates aimed at their label alone, so the conditions'
            # odds under each label are the model's (aimed at the conditions, a GAN's
            # candidates carry those rows' usual label, and the rows that drew another
            # label would wait for a candidate that never comes)
            wanted = label_hot[:, None] if redraw else np.column_stack([wanted, label_hot])
        rows = generate(k, generator, wanted if wanted.shape[1] else None).cpu().numpy()
        drawn += k
        ok = (rows[:, fixed_pos] == fixed_code).all(axis=1)
        if labels is None:
            got = np.zeros(k, dtype=np.int64)
        else:
            got = rows[:, request.label_position].astype(np.int64)
        if out is None:
            out = np.empty((m, rows.shape[1]), dtype=rows.dtype)
        done = np.zeros(m, dtype=bool)
        for code, count in zip(codes, counts, strict=True):
            hits = np.flatnonzero(ok & (got == code))
            success[code] = min(max(hits.size, 0.5) / (k * count / pending.size), 1.0)
            if not redraw:
                slots = pending[want[pending] == code][: hits.size]
                out[slots] = rows[hits[: slots.size]]
                done[slots] = True
        if redraw:
            _take_with_redraws(rows, ok, got, pending, want, out, done, request, generator)
        pending = pending[~done[pending]]
        if pending.size and drawn >= budget:
            made = produced + m - pending.size
            labels_hint = (
                ", or choose the labels with y= (the model then aims its candidates at the "
                "rarest requested value, not at the labels drawn for the rows)"
                if redraw and request.steers
                else ""
            )
            raise ValueError(
                f"sample could produce only {made} of {total} rows with {request.text}: the "
                f"model generated too few matching rows in {drawn} candidates (the budget of "
                f"a block of {budget_rows} rows: {per_row:.0f} per row). Fit "
                f"longer, or relax the request{labels_hint}."
            )
    return out


def _row_budget(request: Request, labels: np.ndarray | None) -> float:
    """Candidates a block may draw per row: ``CONDITION_BUDGET``, or the mean over its
    rows of ``LABEL_SHORTFALL / p`` for the training share ``p`` of each row's label
    (``labels``; drawn at those shares when the caller chose none), between
    ``CONDITION_BUDGET`` and ``MAX_ROW_BUDGET``."""
    if labels is None or request.class_probs is None:
        return float(CONDITION_BUDGET)
    with np.errstate(divide="ignore"):  # a label no training row kept: the most
        rare = LABEL_SHORTFALL / np.asarray(request.class_probs, dtype=np.float64)[labels]
    return float(np.clip(rare, CONDITION_BUDGET, MAX_ROW_BUDGET).mean())


def _take_with_redraws(rows, ok, got, pending, want, out, done, request, generator) -> None:
    """Give ``pending`` rows candidates when labels are drawn here: each row takes the
    next unused candidate carrying its label (``want``), kept if it matches the
    conditions (``ok``); a refused row draws its label again (in row order) and takes
    the next candidate of that label, until no candidate is left for any wanted label.
    Fills ``out`` and ``done`` and updates ``want`` in place."""
    carrying = {int(code): np.flatnonzero(got == code) for code in np.unique(got)}
    used = dict.fromkeys(carrying, 0)
    while pending.size:
        refused, took = [], False
        for code in np.unique(want[pending]):
            slots = pending[want[pending] == code]
            start = used.get(int(code), 0)
            candidates = carrying.get(int(code), np.empty(0, dtype=np.int64))
            candidates = candidates[start : start + slots.size]
            if not candidates.size:
                continue
            took, used[int(code)] = True, start + candidates.size
            slots, kept = slots[: candidates.size], ok[candidates]
            out[slots[kept]] = rows[candidates[kept]]
            done[slots[kept]] = True
            refused.append(slots[~kept])
        if not took:
            return
        refused = np.sort(np.concatenate(refused))
        if refused.size:
            want[refused] = _draw_labels(request, refused.size, generator)
        pending = pending[~done[pending]]


def _draw_labels(request: Request, n: int, generator) -> np.ndarray:
    """``n`` target codes drawn at the fitted class frequencies."""
    return draw_categories(request.class_probs, n, generator).cpu().numpy()
