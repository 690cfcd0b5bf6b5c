"""Experiment designs: S sampled parameter vectors from a scenario's uncertainties.

A design is plain data (a table of S rows, one column per parameter path) and the
SALib problem it was drawn from, so that the analysis can hand both to SALib later.
Samplers are SciPy's QMC and SALib's, always with an explicit seed; nothing here draws
from NumPy's global generator (EMA Workbench's samplers do, so they are not used).

Designs
-------
``lhs``
    Latin hypercube (SciPy ``qmc.LatinHypercube``), S = samples. General exploration.
``sobol``
    Saltelli's extension of the Sobol' sequence (SALib ``sample.sobol``) for Sobol'
    indices; N = samples must be a power of two; S = N (D + 2), or N (2D + 2) with
    ``second_order=True``.
``morris``
    Morris trajectories (SALib ``sample.morris``) for elementary-effects screening;
    N = samples trajectories on a grid of ``levels`` (default 4); S = N (D + 1).
``factorial``
    A full grid of ``levels`` (default 3) evenly spaced values per parameter, ends
    included; S = levels**D. Refused above 1,000,000 rows.
``claims``
    Every combination of the claims' essay / sceptic sides (2**n_claims), and
    ``samples`` Latin-hypercube vectors within each combination; S = 2**n_claims *
    samples. The ``claims`` table says which side each row took.
``fractional``
    The claims design on a regular two-level fractional factorial of resolution V
    (:func:`fractional_sides`) instead of every combination: each claim is on each side
    in half the rows, every pair of claims takes its four combinations equally often, and
    no claim's effect nor any two-claim interaction is aliased with another claim's effect
    or another two-claim interaction. Ten claims need 2**7 = 128 combinations instead of
    1,024, which leaves room for replications. S = rows * samples.
``plausible``
    New worlds from the plausible set of a calibration (``offramp calibrate``'s
    ``--out``, given as ``--from``): a smoothed bootstrap of its accepted parameter
    vectors (choice 7); S = samples.

Choices
-------
1. All samplers draw unit points in [0, 1]^D; one function scales them to the ranges
   (``x = low + u (high - low)``, clipped to the range so a rounding ulp cannot leave it).
   The SALib problem records the scenario's ranges, not the unit cube.
2. Integer parameters (the schema field is an ``int``, e.g. ``periphery.uprising_weeks``)
   take integer values within [ceil(low), floor(high)], stored as float64. In the random
   designs (lhs, sobol, claims) the unit point is scaled to [low - 1/2, high + 1/2] and
   rounded, so every integer is equally likely (rounding a draw on [low, high] would give
   the two ends half the chance of the others). The grid designs (morris, factorial)
   round their grid points on [low, high], so the ends stay on the grid; a factorial
   grid keeps the distinct values only.
3. The claims design: a claim's range *replaces* the uncertainty's range for its
   parameters (the claim is a statement about them); parameters of the uncertainties in
   no claim keep their uncertainty range. When several claims name one parameter, the
   range is the *intersection* of the sides taken; a combination whose intersection is
   empty is an error naming both claims, since the design needs every combination.
   Claims are ordered by number (C1, C2, ..., C10) and the first claim varies slowest.
   Within a combination, the rows are one Latin hypercube of ``samples`` points; the
   combinations draw in turn from one generator seeded with the design's seed.
4. ``factorial`` is deterministic and does not use ``samples``: the grid fixes S.
5. ``seed=None`` draws a fresh seed from the operating system's entropy and records it
   in :attr:`Design.seed`, so every design can be reproduced.
6. The same (scenario, name, samples, seed, settings) gives bit-identical samples on one
   set of library versions; :meth:`Design.fingerprint` hashes the samples' bytes, so a
   resumed run notices if a library upgrade changed them.
7. ``plausible`` resamples the accepted vectors of ``CALIB_DIR/calibration/statistics.parquet``
   (:func:`read_plausible`, which checks that the calibration is of the scenario being
   explored: its ``offramp.scenario_hash`` and its parameter columns) with the
   perturbation kernel of ABC population Monte Carlo (Beaumont et al. 2009; Toni et al.
   2009): in the unit cube (each uncertainty scaled by its range, integers by their
   widened range as in choice 2), a row is an accepted vector drawn uniformly plus a
   Gaussian step with a per-dimension bandwidth from Scott's rule on the accepted set,
   ``h_j = sd_j * n**(-1 / (D + 4))``; a step past a face of the cube is reflected back
   (a reflection keeps the density's mass inside the range, where clipping would pile it
   on the faces); the point is then scaled back and integers rounded (choice 2). Why
   this and not the accepted vectors themselves: the calibration's accepted set is a
   finite sample of the plausible region; resampling it without smoothing would only
   repeat those few worlds, while the kernel spreads new worlds over the region they
   occupy, in proportion to their density, without fitting a parametric shape to it.
   The uniform draws come from one seeded Latin hypercube in D + 1 dimensions (the
   first column picks the accepted vector, the others become the Gaussian step through
   the normal quantile), so every accepted vector is drawn about equally often and the
   generator is SciPy's seeded one, like the other designs'. With one accepted vector,
   or a dimension where every accepted vector agrees, Scott's rule gives no spread:
   the bandwidth falls back to :data:`PLAUSIBLE_FALLBACK_BANDWIDTH` of the range, with a
   warning when only one vector was accepted. The design's settings record the
   SHA-256 of ``statistics.parquet`` (its identity), so a resume against a changed
   calibration is refused.

References
----------
McKay, M. D., Beckman, R. J., Conover, W. J. (1979). A comparison of three methods for
selecting values of input variables in the analysis of output from a computer code.
Technometrics 21(2), 239-245. https://doi.org/10.1080/00401706.1979.10489755

Saltelli, A. (2002). Making best use of model evaluations to compute sensitivity
indices. Computer Physics Communications 145(2), 280-297.
https://doi.org/10.1016/S0010-4655(02)00280-1

Box, G. E. P., Hunter, J. S. (1961). The 2^(k-p) fractional factorial designs. Part I.
Technometrics 3(3), 311-351. https://doi.org/10.1080/00401706.1961.10489951

Morris, M. D. (1991). Factorial sampling plans for preliminary computational
experiments. Technometrics 33(2), 161-174. https://doi.org/10.1080/00401706.1991.10484804

Beaumont, M. A., Cornuet, J.-M., Marin, J.-M., Robert, C. P. (2009). Adaptive approximate
Bayesian computation. Biometrika 96(4), 983-990. https://doi.org/10.1093/biomet/asp052

Toni, T., Welch, D., Strelkowa, N., Ipsen, A., Stumpf, M. P. H. (2009). Approximate
Bayesian computation scheme for parameter inference and model selection in dynamical
systems. Journal of the Royal Society Interface 6(31), 187-202.
https://doi.org/10.1098/rsif.2008.0172

Scott, D. W. (1992). Multivariate Density Estimation. Wiley.
https://doi.org/10.1002/9780470316849
"""

from __future__ import annotations

import hashlib
import inspect
import itertools
import json
import math
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from offramp.errors import InputError
from offramp.scenario.schema import RegionSection, Scenario, parameter_bounds

if TYPE_CHECKING:
    from scipy.stats import qmc  # imported when a design is made: scipy is slow to load

    from offramp.scenario.load import ScenarioSource

__all__ = [
    "Design",
    "DESIGNS",
    "PLAUSIBLE_FALLBACK_BANDWIDTH",
    "PlausibleSet",
    "make_design",
    "design_size",
    "is_integer_parameter",
    "read_plausible",
]

#: The design names :func:`make_design` knows.
DESIGNS: tuple[str, ...] = ("lhs", "sobol", "morris", "factorial", "claims", "fractional", "plausible")

#: The plausible design's bandwidth, as a share of a range, where Scott's rule gives none
#: (one accepted vector, or all accepted vectors equal in a dimension; choice 7).
PLAUSIBLE_FALLBACK_BANDWIDTH = 0.05
#: Where a calibration keeps its per-sample statistics (CALIB_FORMAT).
_STATISTICS = Path("calibration") / "statistics.parquet"

#: The settings each design takes, with their defaults.
_SETTINGS: dict[str, dict[str, object]] = {
    "lhs": {},
    "sobol": {"second_order": False},
    "morris": {"levels": 4},
    "factorial": {"levels": 3},
    "claims": {},
    "fractional": {},
    "plausible": {"calibration": None},
}
_FACTORIAL_LIMIT = 1_000_000
_SIDES = ("essay", "sceptic")


@dataclass(frozen=True, eq=False)
class Design:
    """A design: S sampled parameter vectors and what reproduces them.

    Attributes
    ----------
    name : str
        One of :data:`DESIGNS`.
    samples : pandas.DataFrame
        S rows (index ``sample``, 0 .. S-1), one float64 column per varied parameter
        path; integer parameters hold whole numbers.
    problem : dict
        The SALib problem over the varied paths: ``num_vars``, ``names`` (the columns)
        and ``bounds`` (the scenario's ranges; for ``claims``, the hull of the sides).
    seed : int
        The seed the samplers were given (drawn and recorded when none was).
    settings : dict
        Everything else that reproduces the design (``samples`` and the design's own
        settings), JSON-serializable.
    claims : pandas.DataFrame or None
        For ``claims``: S rows, one column per claim id, values ``"essay"`` or
        ``"sceptic"``; None for the other designs.
    """

    name: str
    samples: pd.DataFrame
    problem: dict
    seed: int
    settings: dict
    claims: pd.DataFrame | None = None

    def fingerprint(self) -> str:
        """SHA-256 over the name, settings, seed, columns and the samples' bytes.

        Returns
        -------
        str
            Hex digest; equal digests mean the same design, bit for bit.
        """
        digest = hashlib.sha256()
        header = {
            "name": self.name,
            "settings": self.settings,
            "seed": self.seed,
            "columns": [str(c) for c in self.samples.columns],
            "rows": len(self.samples),
        }
        digest.update(json.dumps(header, sort_keys=True).encode("utf-8"))
        digest.update(np.ascontiguousarray(self.samples.to_numpy(np.float64)).tobytes())
        if self.claims is not None:
            sides = {
                "columns": [str(c) for c in self.claims.columns],
                "sides": [[str(v) for v in row] for row in self.claims.to_numpy()],
            }
            digest.update(json.dumps(sides).encode("utf-8"))
        return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class _Dimension:
    """One varied parameter: its path, range and whether it takes whole numbers."""

    path: str
    low: float
    high: float
    is_integer: bool


def is_integer_parameter(scenario: Scenario, path: str) -> bool:
    """Whether the parameter at ``path`` is an integer field of the schema.

    Parameters
    ----------
    scenario : Scenario
    path : str
        A parameter path (``section.field`` or ``regions.NAME.field``).

    Returns
    -------
    bool

    Raises
    ------
    ValueError
        The path names no numeric parameter.
    """
    parameter_bounds(scenario, path)  # checks the path
    parts = path.split(".")
    model = RegionSection if parts[0] == "regions" else type(getattr(scenario, parts[0]))
    return model.model_fields[parts[-1]].annotation is int


def _dimension(scenario: Scenario, where: str, path: str, low: float, high: float) -> _Dimension:
    is_integer = is_integer_parameter(scenario, path)
    if is_integer:
        low, high = float(math.ceil(low)), float(math.floor(high))
        if low > high:
            raise InputError(where, f"{path}: the range holds no whole number, and the parameter is an integer")
    return _Dimension(path, float(low), float(high), is_integer)


def _uncertainty_dimensions(scenario: Scenario) -> list[_Dimension]:
    return [
        _dimension(scenario, f"uncertainties.{path}", path, low, high)
        for path, (low, high) in scenario.uncertainties.items()
    ]


def _scale(
    unit: np.ndarray,
    low: np.ndarray | np.float64,
    high: np.ndarray | np.float64,
    is_integer: np.ndarray | np.bool_,
    grid: bool,
) -> np.ndarray:
    """Unit points (S, D) to parameter values (choices 1 and 2); ``low``/``high`` (D,) or (S, D)."""
    # Random designs widen integer ranges by half a step each side, so rounding gives
    # every integer the same chance; grid designs keep their points on [low, high].
    widen = np.where(is_integer & (not grid), 0.5, 0.0)
    lo, hi = low - widen, high + widen
    values = lo + unit * (hi - lo)
    values = np.where(is_integer, np.rint(values), values)
    # Guard: lo + 1 * (hi - lo) can exceed hi by an ulp, and np.rint sends the widened
    # ends (low - 1/2, high + 1/2) half-to-even, possibly one step outside.
    return np.clip(values, low, high)


def _problem(dimensions: list[_Dimension], bounds: list[list[float]] | None = None) -> dict:
    return {
        "num_vars": len(dimensions),
        "names": [d.path for d in dimensions],
        "bounds": bounds if bounds is not None else [[d.low, d.high] for d in dimensions],
    }


def _unit_problem(d: int) -> dict:
    return {"num_vars": d, "names": [f"x{i}" for i in range(d)], "bounds": [[0.0, 1.0]] * d}


def _latin_hypercube(d: int, seed: int) -> qmc.LatinHypercube:
    """SciPy's Latin hypercube engine with the seed passed as ``rng`` (SciPy >= 1.15)
    or ``seed`` (older), so the generator is SciPy's own, never NumPy's global one."""
    from scipy.stats import qmc

    keyword = "rng" if "rng" in inspect.signature(qmc.LatinHypercube).parameters else "seed"
    return qmc.LatinHypercube(d, **{keyword: seed})


def _frame(values: np.ndarray, dimensions: list[_Dimension]) -> pd.DataFrame:
    frame = pd.DataFrame(np.ascontiguousarray(values, np.float64), columns=[d.path for d in dimensions])
    frame.index.name = "sample"
    return frame


def _arrays(dimensions: list[_Dimension]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        np.array([d.low for d in dimensions]),
        np.array([d.high for d in dimensions]),
        np.array([d.is_integer for d in dimensions], bool),
    )


def _need_uncertainties(scenario: Scenario, name: str) -> list[_Dimension]:
    dimensions = _uncertainty_dimensions(scenario)
    if not dimensions:
        raise InputError("--design", f"{name}: the scenario has no [uncertainties] to sample")
    return dimensions


def _lhs(scenario: Scenario, samples: int, seed: int) -> tuple[pd.DataFrame, dict]:
    dimensions = _need_uncertainties(scenario, "lhs")
    unit = _latin_hypercube(len(dimensions), seed).random(samples)
    return _frame(_scale(unit, *_arrays(dimensions), grid=False), dimensions), _problem(dimensions)


def _sobol(scenario: Scenario, samples: int, seed: int, second_order: bool) -> tuple[pd.DataFrame, dict]:
    from SALib.sample import sobol

    if samples & (samples - 1):
        raise InputError(
            "--samples",
            f"the sobol design needs a power of two (e.g. {1 << samples.bit_length() - 1} "
            f"or {1 << samples.bit_length()}), got {samples}",
        )
    dimensions = _need_uncertainties(scenario, "sobol")
    unit = sobol.sample(_unit_problem(len(dimensions)), samples, calc_second_order=second_order, seed=seed)
    return _frame(_scale(unit, *_arrays(dimensions), grid=False), dimensions), _problem(dimensions)


def _morris(scenario: Scenario, samples: int, seed: int, levels: int) -> tuple[pd.DataFrame, dict]:
    from SALib.sample import morris

    dimensions = _need_uncertainties(scenario, "morris")
    unit = morris.sample(_unit_problem(len(dimensions)), samples, num_levels=levels, seed=seed)
    return _frame(_scale(unit, *_arrays(dimensions), grid=True), dimensions), _problem(dimensions)


def _factorial(scenario: Scenario, levels: int) -> tuple[pd.DataFrame, dict]:
    dimensions = _need_uncertainties(scenario, "factorial")
    rows = levels ** len(dimensions)
    if rows > _FACTORIAL_LIMIT:
        raise InputError(
            "--design",
            f"factorial: {levels}**{len(dimensions)} = {rows:,} grid points is more than "
            f"{_FACTORIAL_LIMIT:,}; use lhs, or fewer levels or uncertainties",
        )
    unit = np.linspace(0.0, 1.0, levels)
    axes = []
    for d in dimensions:
        values = _scale(unit, np.float64(d.low), np.float64(d.high), np.bool_(d.is_integer), grid=True)
        axes.append(np.unique(values) if d.is_integer else values)  # choice 2: distinct whole numbers
    # indexing="ij": the first parameter varies slowest, like nested loops in column order.
    grid = np.stack([axis.reshape(-1) for axis in np.meshgrid(*axes, indexing="ij")], axis=1)
    return _frame(grid, dimensions), _problem(dimensions)


def _claim_order(claim_id: str) -> int:
    return int(claim_id[1:])


def _combination_ranges(
    scenario: Scenario, claim_ids: list[str], sides: tuple[str, ...], base: dict[str, tuple[float, float]]
) -> dict[str, tuple[float, float]]:
    """The ranges of one combination of sides (choice 3)."""
    ranges = dict(base)
    named_by: dict[str, list[str]] = {}
    for claim_id, side in zip(claim_ids, sides, strict=True):
        for path, claimed in getattr(scenario.claims[claim_id], side).items():
            low, high = claimed
            if path in named_by:
                low, high = max(low, ranges[path][0]), min(high, ranges[path][1])
                if low > high:
                    raise InputError(
                        "--design",
                        f"claims: claims.{claim_id}.{side}.{path} does not overlap "
                        f"{' and '.join(named_by[path])}, so that combination of sides is empty "
                        "(the claims design needs every combination)",
                    )
            ranges[path] = (low, high)
            named_by.setdefault(path, []).append(f"claims.{claim_id}.{side}")
    return ranges


#: The fractional design's resolution: no word of its defining relation is shorter, so
#: main effects and two-factor interactions are aliased only with three-factor
#: interactions or higher.
FRACTION_RESOLUTION = 5


def fractional_sides(n_factors: int) -> np.ndarray:
    """The smallest regular two-level fractional factorial of resolution V over n factors.

    The first k factors form a full factorial of 2**k rows (the first varying slowest);
    each of the other n - k is the product (in -1/+1 coding: the parity) of a subset of the
    first k, its *generator*. The generators are found by a deterministic search, smallest
    k first, such that every word of the defining relation (every product of generators)
    has at least :data:`FRACTION_RESOLUTION` letters (Box & Hunter 1961). Where no
    fraction reaches it (few factors), the result is the full factorial.

    Parameters
    ----------
    n_factors : int
        The number of two-level factors (claims), >= 1.

    Returns
    -------
    bool array (2**k, n_factors)
        True where a factor is at its second level (the sceptic's side).
    """
    k, generators = n_factors, []  # the full factorial, which _generators(n, 0) also gives
    for size in range(1, n_factors + 1):
        found = _generators(size, n_factors - size)
        if found is not None:
            k, generators = size, found
            break
    base = np.array(list(itertools.product((0, 1), repeat=k)), np.uint8)  # the first varies slowest
    extra = [np.bitwise_xor.reduce(base[:, list(subset)], axis=1) for subset in generators]
    return np.column_stack([base, *extra]).astype(bool) if extra else base.astype(bool)


def _generators(k: int, extra: int) -> list[tuple[int, ...]] | None:
    """Subsets of the k base factors generating ``extra`` more factors at resolution V, or
    None. Backtracking over the subsets, largest first; a word's letters are the subset
    plus the factor it generates, so a product of generators has the symmetric difference
    of their subsets plus one letter per generator."""
    if extra == 0:
        return []
    candidates = [
        subset for size in range(k, FRACTION_RESOLUTION - 2, -1) for subset in itertools.combinations(range(k), size)
    ]
    masks = [sum(1 << i for i in subset) for subset in candidates]

    def fits(chosen: list[int]) -> bool:
        # Every product of a non-empty set of the chosen generators that includes the last.
        last = chosen[-1]
        for count in range(len(chosen)):
            for others in itertools.combinations(chosen[:-1], count):
                word = masks[last]
                for other in others:
                    word ^= masks[other]
                if word.bit_count() + count + 1 < FRACTION_RESOLUTION:
                    return False
        return True

    def search(chosen: list[int], start: int) -> list[int] | None:
        if len(chosen) == extra:
            return chosen
        for index in range(start, len(candidates)):
            if fits([*chosen, index]):
                found = search([*chosen, index], index + 1)
                if found is not None:
                    return found
        return None

    found = search([], 0)
    return None if found is None else [candidates[i] for i in found]


def _claims(
    scenario: Scenario, samples: int, seed: int, fraction: bool = False
) -> tuple[pd.DataFrame, dict, pd.DataFrame]:
    name = "fractional" if fraction else "claims"
    if not scenario.claims:
        raise InputError("--design", f"{name}: the scenario has no [claims.Cn] to combine")
    claim_ids = sorted(scenario.claims, key=_claim_order)
    base = {path: (low, high) for path, (low, high) in scenario.uncertainties.items()}
    paths = list(base)
    for claim_id in claim_ids:
        paths += [p for p in scenario.claims[claim_id].essay if p not in paths]
    engine = _latin_hypercube(len(paths), seed)
    blocks, lows, highs, taken = [], [], [], []
    if fraction:
        combinations = [tuple(_SIDES[int(s)] for s in row) for row in fractional_sides(len(claim_ids))]
    else:
        combinations = list(itertools.product(_SIDES, repeat=len(claim_ids)))  # the first claim varies slowest
    for sides in combinations:
        ranges = _combination_ranges(scenario, claim_ids, sides, base)
        where = "claims." + ",".join(f"{c}.{s}" for c, s in zip(claim_ids, sides, strict=True))
        dimensions = [_dimension(scenario, where, path, *ranges[path]) for path in paths]
        low, high, is_integer = _arrays(dimensions)
        blocks.append(_scale(engine.random(samples), low, high, is_integer, grid=False))
        lows.append(low)
        highs.append(high)
        taken += [sides] * samples
    dimensions = [_Dimension(path, 0.0, 0.0, False) for path in paths]  # names only, for the frame
    hull = [[float(lo), float(hi)] for lo, hi in zip(np.min(lows, axis=0), np.max(highs, axis=0), strict=True)]
    claims = pd.DataFrame(taken, columns=claim_ids)
    claims.index.name = "sample"
    return _frame(np.concatenate(blocks), dimensions), _problem(dimensions, hull), claims


@dataclass(frozen=True, eq=False)
class PlausibleSet:
    """The accepted parameter vectors of a calibration, checked against a scenario.

    Attributes
    ----------
    directory : Path
        The calibration directory (``offramp calibrate``'s ``--out``).
    paths : tuple of str
        The uncertain parameter paths, in the scenario's order (D).
    accepted : float64 array (A, D)
        The accepted samples' parameter values, A >= 1.
    identity : str
        SHA-256 of ``calibration/statistics.parquet``'s bytes.
    calibration_samples : int
        Samples in the calibration, accepted or not.
    """

    directory: Path
    paths: tuple[str, ...]
    accepted: np.ndarray
    identity: str
    calibration_samples: int


def read_plausible(directory: str | Path, source: ScenarioSource) -> PlausibleSet:
    """Read a calibration's accepted parameter vectors for the plausible design (choice 7).

    Parameters
    ----------
    directory : str or Path
        A calibration directory holding ``calibration/statistics.parquet``.
    source : ScenarioSource
        The scenario to be explored; the calibration must be of the same scenario text.

    Returns
    -------
    PlausibleSet

    Raises
    ------
    InputError
        Where ``--from``: the folder or its statistics file is missing or unreadable, the
        calibration is of another scenario (its hash or parameter columns differ), or it
        accepted no sample.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    directory = Path(directory)
    path = directory / _STATISTICS
    if not directory.is_dir():
        raise InputError("--from", f"{directory}: no such calibration directory")
    if not path.is_file():
        raise InputError("--from", f"{directory}: holds no {_STATISTICS.as_posix()} (run offramp calibrate first)")
    payload = path.read_bytes()
    try:
        table = pq.read_table(pa.BufferReader(payload))
    except (pa.ArrowException, OSError) as error:
        raise InputError("--from", f"{path}: not a readable Parquet file ({error})") from None
    metadata = {
        key.decode(): value.decode()
        for key, value in (table.schema.metadata or {}).items()
        if key.startswith(b"offramp.")
    }
    try:
        recorded_hash = json.loads(metadata.get("offramp.scenario_hash", "null"))
        patterns = json.loads(metadata.get("offramp.patterns", "[]"))
    except json.JSONDecodeError:
        raise InputError("--from", f"{path}: its offramp metadata is not JSON") from None
    if recorded_hash != source.hash:
        shown = str(recorded_hash)[:12] if recorded_hash is not None else "none recorded"
        raise InputError(
            "--from",
            f"{directory}: calibrates another scenario (sha256 {shown}; {source.name} is {source.hash[:12]})",
        )
    expected = list(source.scenario.uncertainties)
    non_parameters = {"sample", "accepted", *map(str, patterns), *(f"pass.{name}" for name in patterns)}
    columns = [name for name in table.column_names if name not in non_parameters]
    if columns != expected or "accepted" not in table.column_names:
        raise InputError(
            "--from",
            f"{directory}: its parameter columns ({', '.join(columns) or 'none'}) are not "
            f"{source.name}'s uncertainties ({', '.join(expected)})",
        )
    frame = table.select([*expected, "accepted"]).to_pandas()
    is_accepted = frame["accepted"].to_numpy(bool)
    if not is_accepted.any():
        raise InputError(
            "--from", f"{directory}: no sample of {len(frame)} was accepted, so there is no plausible set to sample"
        )
    accepted = frame.loc[is_accepted, expected].to_numpy(np.float64)
    if not np.isfinite(accepted).all():
        raise InputError("--from", f"{path}: an accepted sample has a missing or infinite parameter value")
    return PlausibleSet(
        directory=directory,
        paths=tuple(expected),
        accepted=accepted,
        identity=hashlib.sha256(payload).hexdigest(),
        calibration_samples=len(frame),
    )


def _plausible(scenario: Scenario, samples: int, seed: int, plausible: PlausibleSet) -> tuple[pd.DataFrame, dict]:
    """The smoothed bootstrap of choice 7."""
    from scipy.stats import norm

    dimensions = _need_uncertainties(scenario, "plausible")
    if tuple(d.path for d in dimensions) != plausible.paths:
        raise InputError(
            "--from", f"{plausible.directory}: its parameters are not the scenario's uncertainties (another scenario)"
        )
    low, high, is_integer = _arrays(dimensions)
    # The unit cube of choice 2: integers on their widened range, so that _scale maps a
    # unit point back to the same whole number.
    widen = np.where(is_integer, 0.5, 0.0)
    lo, width = low - widen, (high + widen) - (low - widen)
    safe_width = np.where(width > 0, width, 1.0)  # a range of one value: every unit point maps to it
    unit = np.clip((plausible.accepted - lo) / safe_width, 0.0, 1.0)
    n, d = unit.shape
    spread = unit.std(axis=0, ddof=1) if n > 1 else np.zeros(d)
    bandwidth = spread * n ** (-1.0 / (d + 4))  # Scott's rule, per dimension
    bandwidth = np.where(bandwidth > 0, bandwidth, PLAUSIBLE_FALLBACK_BANDWIDTH)
    if n == 1:
        warnings.warn(
            f"{plausible.directory}: only one sample was accepted, so the plausible design spreads "
            f"around it with a bandwidth of {PLAUSIBLE_FALLBACK_BANDWIDTH} of each range",
            UserWarning,
            stacklevel=3,
        )
    draws = _latin_hypercube(d + 1, seed).random(samples)
    picks = np.minimum((draws[:, 0] * n).astype(np.int64), n - 1)
    # The normal quantile of a uniform in (0, 1): the guard keeps an exact 0 off -inf.
    tiny = np.finfo(np.float64).eps
    steps = norm.ppf(np.clip(draws[:, 1:], tiny, 1.0 - tiny)) * bandwidth
    moved = unit[picks] + steps
    # Reflect at the faces: x -> a triangle wave of period 2, exact however far a step goes.
    folded = np.mod(moved, 2.0)
    reflected = np.where(folded > 1.0, 2.0 - folded, folded)
    return _frame(_scale(reflected, low, high, is_integer, grid=False), dimensions), _problem(dimensions)


def _check_int(where: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InputError(where, f"must be a whole number, got {value!r}")
    if value < low:
        raise InputError(where, f"must be at least {low}, got {value}")
    return int(value)


def design_size(scenario: Scenario, name: str, samples: int, **settings: object) -> int:
    """S, the number of rows :func:`make_design` would give, without sampling.

    Parameters
    ----------
    scenario : Scenario
    name : str
        One of :data:`DESIGNS`.
    samples : int
        As for :func:`make_design`.
    **settings : object
        As for :func:`make_design`.

    Returns
    -------
    int
        S (for a factorial design over integer parameters, at most this: repeated
        whole numbers are dropped).
    """
    chosen = _settings(name, settings)
    d = len(scenario.uncertainties)
    if name in ("lhs", "plausible"):
        return samples
    if name == "sobol":
        return samples * ((2 * d + 2) if chosen["second_order"] else (d + 2))
    if name == "morris":
        return samples * (d + 1)
    if name == "factorial":
        return int(chosen["levels"]) ** d
    if name == "fractional":
        return samples * len(fractional_sides(len(scenario.claims))) if scenario.claims else 0
    return samples * 2 ** len(scenario.claims)


def _settings(name: str, settings: dict) -> dict:
    if name not in DESIGNS:
        raise InputError("--design", f"unknown design {name!r}; one of {', '.join(DESIGNS)}")
    known = _SETTINGS[name]
    for key in settings:
        if key not in known:
            takes = ", ".join(known) or "no settings"
            raise InputError(f"--{key.replace('_', '-')}", f"not a setting of the {name} design (it takes {takes})")
    chosen = {**known, **settings}
    if "levels" in chosen:
        chosen["levels"] = _check_int("--levels", chosen["levels"], 2)
    if "second_order" in chosen:
        if not isinstance(chosen["second_order"], (bool, np.bool_)):
            raise InputError("--second-order", f"must be true or false, got {chosen['second_order']!r}")
        chosen["second_order"] = bool(chosen["second_order"])
    return chosen


def make_design(scenario: Scenario, name: str, samples: int, seed: int | None, **settings: object) -> Design:
    """Sample a design from a scenario's uncertainties (or its claims).

    Parameters
    ----------
    scenario : Scenario
        A validated scenario.
    name : str
        One of :data:`DESIGNS`: ``lhs``, ``sobol``, ``morris``, ``factorial``, ``claims``,
        ``fractional``, ``plausible``.
    samples : int
        lhs and plausible: S; sobol: N, a power of two; morris: N trajectories; claims and fractional:
        vectors per combination of sides; factorial: not used (the grid fixes S, choice 4). >= 1.
    seed : int or None
        The samplers' seed (>= 0); None draws one and records it (choice 5).
    **settings : object
        sobol: ``second_order`` (bool, default False); morris: ``levels`` (default 4);
        factorial: ``levels`` (default 3); plausible: ``calibration``, the
        :class:`PlausibleSet` from :func:`read_plausible` (required). Any other setting
        is refused.

    Returns
    -------
    Design

    Raises
    ------
    InputError
        An unknown design or setting, ``samples`` < 1 or (sobol) not a power of two, a
        factorial grid above 1,000,000 rows, no uncertainties (no claims), claims whose
        ranges cannot be combined, or (plausible, where ``--from``) no calibration or one
        of other parameters.
    """
    chosen = _settings(name, settings)
    samples = _check_int("--samples", samples, 1)
    if seed is None:
        seed = secrets.randbits(128)  # fresh (what SeedSequence() draws), and recorded in the design
    seed = _check_int("--seed", seed, 0)
    claims = None
    if name == "lhs":
        frame, problem = _lhs(scenario, samples, seed)
    elif name == "sobol":
        frame, problem = _sobol(scenario, samples, seed, chosen["second_order"])
    elif name == "morris":
        frame, problem = _morris(scenario, samples, seed, chosen["levels"])
    elif name == "factorial":
        frame, problem = _factorial(scenario, chosen["levels"])
    elif name == "plausible":
        plausible = chosen["calibration"]
        if not isinstance(plausible, PlausibleSet):
            raise InputError("--from", "the plausible design needs a calibration (read_plausible of its directory)")
        frame, problem = _plausible(scenario, samples, seed, plausible)
        # The calibration's identity, not its path: a moved folder is the same calibration.
        chosen = {"calibration": plausible.identity, "accepted": len(plausible.accepted)}
    else:
        frame, problem, claims = _claims(scenario, samples, seed, fraction=name == "fractional")
    recorded = {"samples": samples, **chosen} if name != "factorial" else dict(chosen)
    return Design(name=name, samples=frame, problem=problem, seed=seed, settings=recorded, claims=claims)
