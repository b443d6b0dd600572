"""Typed description of the blocks of columns that ``TableTransformer`` outputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SpanKind = Literal["scalar", "mode", "category", "missing", "residual"]


@dataclass(frozen=True)
class Span:
    """One block of output columns of :class:`~sksynth.TableTransformer`.

    Parameters
    ----------
    column : str or int
        Name (or position, for arrays) of the input column the block encodes.
    kind : {"scalar", "mode", "category", "missing", "residual"}
        ``"scalar"``: one column, the value within its mode (networks use tanh and
        a Gaussian/MSE loss). ``"mode"``: one-hot of the mixture mode or atom of a
        continuous column. ``"category"``: one-hot of a discrete column, missing
        values being a category of their own. ``"missing"``: two columns
        ``[present, missing]`` of a continuous column that had missing values.
        ``"residual"``: one column (one or two such spans), only for an int or
        datetime column whose values are too far apart for a float32 scalar to
        restore exactly: the integer the scalar misses (or its high part, then
        its low 23 bits), divided by a power of two; within ``[-1, 1]`` for the
        values seen in ``fit``. Networks treat it as a scalar column. One-hot
        blocks use softmax and a cross-entropy loss.
    start, stop : int
        Slice of the output columns, ``stop`` excluded.
    """

    column: str | int
    kind: SpanKind
    start: int
    stop: int

    @property
    def width(self) -> int:
        """Number of output columns of the block."""
        return self.stop - self.start

    @property
    def is_onehot(self) -> bool:
        """Whether the block is a one-hot (softmax) block; otherwise a scalar column."""
        return self.kind not in ("scalar", "residual")

    @property
    def slice(self) -> slice:
        """The block as a ``slice`` of the output columns."""
        return slice(self.start, self.stop)
