"""A fit that fails leaves its estimator unfitted."""

from __future__ import annotations

import functools
from collections.abc import Callable


def forget_fit(estimator, private: tuple[str, ...] = ()) -> None:
    """Drop what ``fit`` sets on ``estimator``: its fitted attributes (names ending in
    ``_``) and the ``private`` state beside them."""
    for name in list(vars(estimator)):
        if (name.endswith("_") and not name.startswith("__")) or name in private:
            delattr(estimator, name)


def unfitted_on_error(private: tuple[str, ...] = ()) -> Callable:
    """Decorate a ``fit`` method: it starts from no fitted state, and when it raises,
    the estimator is left unfitted (``NotFittedError`` on use), never holding parts of
    an earlier fit beside parts of the failed one. ``private``: the state ``fit`` sets
    whose names do not end in ``_``."""

    def decorate(fit: Callable) -> Callable:
        @functools.wraps(fit)
        def fit_or_forget(self, *args, **kwargs):
            forget_fit(self, private)
            try:
                return fit(self, *args, **kwargs)
            except BaseException:  # Ctrl-C too, outside skorch's training loop
                forget_fit(self, private)
                raise

        return fit_or_forget

    return decorate
