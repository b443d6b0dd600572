"""Mode-specific normalisation of one continuous column, with atoms and bounds.

A value is encoded as the one-hot of its mode plus a scalar within that mode:
``(x - mean_k) / (4 * std_k)`` for a Gaussian mode of a variational Gaussian
mixture, ``0`` for an atom (a value repeated in a large share of the rows, such
as Adult's ``capital-gain == 0``), which decodes exactly. Decoded values are
clipped to the observed ``[min, max]``.

An integer column (ints, datetimes counted in steps) whose values lie more than
``2**22`` from their mode's mean cannot be restored from a float32 scalar
(float32 holds 24 bits): it gets a residual, the integer the scalar misses, in
one float32 column (a power of two divides it, which keeps it exact) or, when it
can exceed ``2**23``, two: its high part and its low 23 bits. Atoms need none.

A float column holding magnitudes above ``2**1000`` (about 1e301) is modelled in
units of a power of two that brings them below it (exact, for normal numbers):
its differences and spreads would otherwise overflow float64. Atoms, ``min_``
and ``max_`` stay in the column's own units.

An integer column with few distinct values (``max_exact_values``) has every value
seen more than once as an atom; when that is all of them, one mode fitted on all
values encodes a value never seen, and decodes to the nearest atom.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import BayesianGaussianMixture

from ._columns import FLOAT64_EXACT

_MIN_STD = 1e-6
# a float32 scalar restores an integer this far from its mode's mean to within 0.25
_EXACT_OFFSET = 2**22
# a residual column holds an integer below 2**23 exactly; larger ones get a high part too
_LOW_BITS = 23
# a column whose mean is this many standard deviations from zero (1e12 + ids, 1e9 + noise)
# is centred before the mixture fit, whose variances would otherwise cancel to nothing
_CENTRE_RATIO = 1e3
# a column spread over more than this is scaled down before the mixture fit
_MAX_UNSCALED = 1e100
# magnitudes above this are modelled in a unit that brings them below it (see unit_)
_MAX_MAGNITUDE = 2.0**1000


class ContinuousEncoder:
    """Encoder of one continuous column given as float64 with NaN for missing.

    Parameters
    ----------
    n_modes : int
        Upper bound on the Gaussian components of the mixture.
    atom_threshold : float
        A value that occurs more than once and in at least this share of the
        observed rows becomes an atom.
    weight_threshold : float
        Mixture components below this weight are dropped.
    max_fit_samples : int
        The mixture is fitted on at most this many values (a random subsample).
    rng : numpy.random.Generator
        Source of the subsample and of the mixture's seed.
    """

    residual_scales_: tuple = ()  # encoders saved before residuals existed have none
    snap_: bool = False  # nor did they decode to the nearest atom
    unit_: float = 1.0  # nor model huge magnitudes in a power-of-two unit

    def __init__(self, n_modes, atom_threshold, weight_threshold, max_fit_samples, rng):
        self.n_modes = n_modes
        self.atom_threshold = atom_threshold
        self.weight_threshold = weight_threshold
        self.max_fit_samples = max_fit_samples
        self.rng = rng

    def fit(
        self, values: np.ndarray, integer: bool = False, max_exact_values: int = 0
    ) -> ContinuousEncoder:
        """Fit on float64 ``values`` (NaN = missing); ``integer``: they are integers
        to restore exactly (ints, datetimes counted in steps), and when they take at
        most ``max_exact_values`` distinct values, each repeated one is an atom."""
        missing = np.isnan(values)
        observed = values[~missing]
        self.has_missing = bool(missing.any())
        self.min_ = float(observed.min())
        self.max_ = float(observed.max())
        uniques, counts = np.unique(observed, return_counts=True)
        few = integer and uniques.size <= max_exact_values
        is_atom = (counts > 1) & (few | (counts >= self.atom_threshold * observed.size))
        rest = ~is_atom
        if 0 < rest.sum() < 2:  # a single leftover value: keep it exact too
            is_atom |= rest
        self.atoms_ = uniques[is_atom]
        peak = max(abs(self.min_), abs(self.max_))
        self.unit_ = 1.0 if peak <= _MAX_MAGNITUDE else 2.0 ** float(np.ceil(np.log2(peak)) - 1000)
        # the modes are fitted in units of unit_
        non_atom = self._in_units(observed[~np.isin(observed, self.atoms_)])
        # every value seen is an atom: one mode fitted on them all encodes a value never
        # seen (transform of new rows); a draw of that mode decodes to the nearest atom
        self.snap_ = bool(few and not non_atom.size and uniques.size > 1)
        if self.snap_:
            self.means_, self.stds_, self.log_weights_ = self._fit_mixture(
                self._in_units(observed), uniques[:1]
            )
        else:
            self.means_, self.stds_, self.log_weights_ = self._fit_mixture(
                non_atom, uniques[~is_atom]
            )
        del self.rng
        exact = np.abs(observed).max() < FLOAT64_EXACT  # else float64 itself is not exact
        self.residual_scales_ = self._residual_scales(non_atom) if integer and exact else ()
        return self

    def _residual_scales(self, non_atom: np.ndarray) -> tuple:
        """Scales of the residual columns: none when the float32 scalar is exact."""
        if not non_atom.size:
            return ()
        offset = np.abs(non_atom - self.means_[self._nearest_mode(non_atom)]).max()
        if offset < _EXACT_OFFSET:
            return ()
        # the float32 scalar misses at most offset * 2**-24 + 0.5
        most = offset * 2.0**-24 + 1.0
        if most < 2**_LOW_BITS:
            return (float(2 ** np.ceil(np.log2(most))),)
        high = most / 2**_LOW_BITS + 1.0
        return (float(2 ** np.ceil(np.log2(high))), float(2**_LOW_BITS))

    def _fit_mixture(self, values, distinct):
        if values.size == 0:
            empty = np.empty(0)
            return empty, empty, empty
        n_components = int(min(self.n_modes, distinct.size))
        sample = values
        if values.size > self.max_fit_samples:
            sample = self.rng.choice(values, self.max_fit_samples, replace=False)
            n_components = min(n_components, sample.size)  # max_fit_samples < n_modes
        centre = float(np.median(sample))
        peak = float(np.abs(sample).max()) or 1.0  # the std of sample / peak cannot overflow
        if abs(centre) <= _CENTRE_RATIO * (sample / peak).std() * peak:
            centre = 0.0
        spread = float(np.abs(values - centre).max())  # > 0: two distinct values at least
        # the mixture's variance regularisation (reg_covar, 1e-6) is negligible for values
        # spread over 1 or more; narrower columns are scaled to a spread of 1 first, so a
        # rate in [0, 1e-4] is modelled as the same column in [0, 1] would be, and columns
        # spread over more than 1e100 too, whose squares would overflow
        scale = 1.0 if 1.0 <= spread <= _MAX_UNSCALED else spread
        scaled = ((sample - centre) / scale).reshape(-1, 1)
        mixture = BayesianGaussianMixture(
            n_components=n_components,
            weight_concentration_prior_type="dirichlet_process",
            weight_concentration_prior=1e-3,
            covariance_type="spherical",  # the same model as "full" in 1-D, 2-3x faster
            max_iter=50,  # measured: the same VAE quality as 100 (Adult, credit), half the time
            n_init=1,
            random_state=int(self.rng.integers(2**31 - 1)),
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            mixture.fit(scaled)
        keep = mixture.weights_ > self.weight_threshold
        # a component must also own some data, else it is never chosen
        owners = np.bincount(mixture.predict(scaled), minlength=n_components)
        keep &= owners > 0
        if not keep.any():
            keep[np.argmax(mixture.weights_)] = True
        means = mixture.means_.ravel()[keep] * scale + centre
        stds = np.sqrt(mixture.covariances_.ravel()[keep]) * scale
        stds = np.maximum(stds, _MIN_STD * spread)
        weights = mixture.weights_[keep]
        return means, stds, np.log(weights / weights.sum())

    @property
    def n_outputs(self) -> int:
        """Number of modes: atoms first, then Gaussian components."""
        return self.atoms_.size + self.means_.size

    def _nearest_mode(self, x: np.ndarray) -> np.ndarray:
        """Index among ``means_`` of each value's most probable Gaussian mode (the
        first on ties), one mode at a time: memory stays a few copies of ``x``, where
        an (n, modes) score matrix took 240 MB of temporaries on a million rows."""
        best = np.zeros(x.shape, dtype=np.int64)
        best_score = np.full(x.shape, -np.inf)
        score, half = np.empty_like(x, dtype=np.float64), np.empty_like(x, dtype=np.float64)
        offsets = self.log_weights_ - np.log(self.stds_)
        for k in range(self.means_.size):
            np.subtract(x, self.means_[k], out=score)
            score /= self.stds_[k]  # z
            np.multiply(score, 0.5, out=half)
            half *= score  # 0.5 * z * z, in the order the formula reads
            np.subtract(offsets[k], half, out=score)
            better = score > best_score
            best[better] = k
            np.maximum(best_score, score, out=best_score)
        return best

    def _in_units(self, values: np.ndarray) -> np.ndarray:
        """``values`` in units of ``unit_`` (themselves, uncopied, in the usual unit of 1)."""
        return values if self.unit_ == 1.0 else values / self.unit_

    def _decode(self, scalar: np.ndarray, mode: np.ndarray) -> np.ndarray:
        """Values in units of ``unit_`` (atoms included)."""
        centers = np.concatenate([self._in_units(self.atoms_), self.means_])
        widths = np.concatenate([np.zeros(self.atoms_.size), 4.0 * self.stds_])
        return centers[mode] + scalar * widths[mode]

    def unrepresentable(self, values: np.ndarray) -> np.ndarray:
        """Rows :meth:`transform` cannot encode: values other than the atoms, in a column
        fitted on atoms alone (every value frequent, as ratings 1-5), which has no mode."""
        if self.means_.size:
            return np.zeros(values.shape, dtype=bool)
        return ~np.isnan(values) & ~np.isin(values, self.atoms_)

    def transform(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return ``(scalar, mode, missing)``; ``mode`` is ``-1`` on missing rows."""
        missing = np.isnan(values)
        n_atoms = self.atoms_.size
        mode = np.full(values.shape, -1, dtype=np.int64)
        scalar = np.zeros(values.shape, dtype=np.float64)
        atom_pos = np.searchsorted(self.atoms_, values) if n_atoms else np.zeros_like(mode)
        atom_pos = np.minimum(atom_pos, max(n_atoms - 1, 0))
        is_atom = (
            ~missing & (self.atoms_[atom_pos] == values) if n_atoms else np.zeros_like(missing)
        )
        mode[is_atom] = atom_pos[is_atom]
        rest = ~missing & ~is_atom
        if rest.any():
            if self.means_.size == 0:  # see unrepresentable
                raise ValueError("a value is not among the atoms of a column without modes")
            x = self._in_units(values[rest])
            best = self._nearest_mode(x)
            mode[rest] = n_atoms + best
            scalar[rest] = (x - self.means_[best]) / (4.0 * self.stds_[best])
        return scalar, mode, missing

    def residual(self, values: np.ndarray, scalar: np.ndarray, mode: np.ndarray) -> np.ndarray:
        """What :meth:`inverse_transform` needs besides the float32 ``scalar``: the
        integer it misses, one column per scale of ``residual_scales_`` (the high
        part, then the low bits), each over its scale; 0 on missing and atom rows."""
        out = np.zeros((values.size, len(self.residual_scales_)), dtype=np.float64)
        gaussian = mode >= self.atoms_.size
        stored = scalar[gaussian].astype(np.float32).astype(np.float64)
        missed = values[gaussian] - np.rint(self._decode(stored, mode[gaussian]))
        if len(self.residual_scales_) == 2:
            high = np.rint(missed / 2**_LOW_BITS)
            out[gaussian, 0] = high
            missed = missed - high * 2**_LOW_BITS
        out[gaussian, -1] = missed
        return out / np.asarray(self.residual_scales_)

    def _missed(self, residual: np.ndarray) -> np.ndarray:
        """The integers :meth:`residual` encoded."""
        parts = np.rint(residual * np.asarray(self.residual_scales_))
        return parts[:, 0] * 2**_LOW_BITS + parts[:, 1] if parts.shape[1] == 2 else parts[:, 0]

    def inverse_transform(
        self,
        scalar: np.ndarray,
        mode: np.ndarray,
        missing: np.ndarray,
        residual: np.ndarray | None = None,
    ):
        """Decode to float64 (NaN on missing rows), clipped to the observed range;
        with ``residual`` (see :meth:`residual`), integers restored exactly; with
        ``snap_``, the mode of values never seen decodes to the nearest atom."""
        values = self._decode(scalar, mode)
        gaussian = mode >= self.atoms_.size  # atoms decode exactly on their own
        if self.unit_ != 1.0:  # back to the column's units, atoms as they were seen
            np.clip(values, self.min_ / self.unit_, self.max_ / self.unit_, out=values)
            values *= self.unit_
            atom = ~gaussian & (mode >= 0)  # -1: a missing row's mode in transform's output
            values[atom] = self.atoms_[mode[atom]]
        if self.snap_:
            middles = (self.atoms_[1:] + self.atoms_[:-1]) / 2
            values[gaussian] = self.atoms_[np.searchsorted(middles, values[gaussian])]
        elif residual is not None:
            values[gaussian] = np.rint(values[gaussian]) + self._missed(residual[gaussian])
        np.clip(values, self.min_, self.max_, out=values)
        values[missing] = np.nan
        return values
