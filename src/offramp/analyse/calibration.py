"""Pattern-oriented calibration by rejection: which sampled worlds reproduce every
pattern at once (Grimm et al. 2005, *Science* 310(5750): 987–991,
doi:10.1126/science.1116681; the rejection sampler of approximate Bayesian computation,
Beaumont, Zhang & Balding 2002, *Genetics* 162(4): 2025–2035).

:func:`calibrate` samples the scenario's uncertainties (LHS or Sobol), runs the
strategies the patterns need with :func:`offramp.explore.experiments.explore` (chunked,
resumable, deterministic), computes every pattern's statistic per sample and keeps the
samples that pass them all. The directory it writes is described in docs/calibration.md.

Choices
-------
1. Rejection on all patterns, with the patterns' accepted ranges as the tolerance: a
   sample is plausible or not, no weights. ABC-SMC (e.g. pyabc) would spend fewer runs
   near the accepted set, but needs a distance that mixes the patterns' units and a
   schedule of tolerances, and gives up the plain design that ``explore`` resumes and
   that ``explore --design plausible`` resamples; it is a possible refinement, not built.
2. The patterns file is checked against the scenario before anything is run or written:
   a bad file leaves no directory behind.
3. Conflicts: two patterns conflict when each passes alone in at least
   :data:`CONFLICT_MIN_RATE` of the samples, at least :data:`CONFLICT_MIN_EXPECTED`
   samples would pass both if they were independent, and the share that passes both is
   at most :data:`CONFLICT_LIFT` times the product of their rates (the rate
   independence would give). A lift well below 1 means that the parameter sets that
   reproduce one pattern tend not to reproduce the other.
4. How much the patterns constrain an uncertainty: the two-sample Kolmogorov–Smirnov
   statistic between its accepted values and all its sampled values (0: the accepted
   values are spread as the prior; near 1: they sit in a small part of it). Ranges are
   the accepted values' 5% and 95% quantiles and their minimum and maximum, beside the
   prior range of the scenario's ``[uncertainties]``.
5. When no sample passes, the closest samples are those failing the fewest patterns,
   then with the smallest summed distance outside the failed patterns' accepted ranges,
   each distance in units of the range's width (of 1 where the range is a point); a
   statistic that cannot be computed (NaN) is infinitely far. That is a finding about
   the model and the patterns, not an error.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from offramp.analyse.calibration_options import CalibrateOptions
from offramp.analyse.patterns import pattern_acceptance, pattern_statistics
from offramp.explore.dataset import load, read_manifest
from offramp.explore.experiments import ExploreResult, explore
from offramp.run.record import write_bytes_atomic, write_table
from offramp.scenario.load import ScenarioSource, load_scenario
from offramp.scenario.patterns import Patterns, load_patterns

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CALIBRATION",
    "CONFLICT_LIFT",
    "CONFLICT_MIN_EXPECTED",
    "CONFLICT_MIN_RATE",
    "Calibration",
    "calibrate",
    "summarise",
]

#: The calibration's folder inside the exploration directory.
CALIBRATION = "calibration"
#: Choice 3: each pattern of a conflicting pair passes alone in at least this share of samples...
CONFLICT_MIN_RATE = 0.1
#: ...at least this many samples would pass both if the two were independent...
CONFLICT_MIN_EXPECTED = 5.0
#: ...and the joint pass rate is at most this multiple of the product of the two rates.
CONFLICT_LIFT = 0.5
#: How many closest samples are shown when none passes (choice 5).
CLOSEST = 5


def _default(name: str) -> Any:  # Any: each option has its own type
    return CalibrateOptions.model_fields[name].default


@dataclass(frozen=True, slots=True)
class Calibration:
    """What a calibration found.

    Attributes
    ----------
    directory : Path
        The calibration's directory (an ``offramp explore`` directory plus ``calibration/``).
    exploration : ExploreResult
        What the exploration ran.
    patterns : tuple of str
        The patterns' names, in the file's order.
    parameters : tuple of str
        The uncertain parameters' paths, in the design's order.
    table : pandas.DataFrame
        ``statistics.parquet``: sample, the parameters, each pattern's statistic, each
        ``pass.<name>``, ``accepted``; one row per sample.
    acceptance_rate : float
        The share of samples that pass every pattern.
    pass_rates : dict of str to float
        Each pattern's pass rate alone.
    leave_one_out : dict of str to float
        The acceptance rate if that pattern were dropped (the pattern whose removal
        raises it most blocks most).
    pair_rates : pandas.DataFrame
        One row per pair of patterns: ``first``, ``second``, ``rate_first``,
        ``rate_second``, ``joint`` (both pass), ``independent`` (the product), ``lift``
        (joint / independent), ``conflict`` (choice 3).
    ranges : pandas.DataFrame
        One row per parameter, most constrained first: ``prior_low``, ``prior_high``,
        ``accepted_min``, ``q05``, ``q95``, ``accepted_max``, ``width_share``
        ((q95 - q05) / prior width), ``ks`` and ``ks_pvalue`` (choice 4); NaN where
        no sample was accepted.
    closest : pandas.DataFrame
        When no sample passes: the closest samples (choice 5) with ``failed`` (count),
        ``distance`` and ``blocking`` (the failed patterns, comma separated); empty
        otherwise.
    """

    directory: Path
    exploration: ExploreResult
    patterns: tuple[str, ...]
    parameters: tuple[str, ...]
    table: pd.DataFrame
    acceptance_rate: float
    pass_rates: dict[str, float]
    leave_one_out: dict[str, float]
    pair_rates: pd.DataFrame
    ranges: pd.DataFrame
    closest: pd.DataFrame

    @property
    def samples(self) -> int:
        """Samples drawn."""
        return len(self.table)

    @property
    def accepted(self) -> int:
        """Samples that pass every pattern."""
        return int(self.table["accepted"].sum())

    @property
    def conflicts(self) -> pd.DataFrame:
        """The pairs of :attr:`pair_rates` that conflict (choice 3), lowest lift first."""
        return self.pair_rates[self.pair_rates["conflict"]].sort_values("lift", kind="stable")

    @property
    def constrained(self) -> tuple[str, ...]:
        """The parameters, most constrained first (choice 4)."""
        return tuple(self.ranges.index)


def calibrate(
    scenario: str | Path | ScenarioSource,
    patterns: str | Path,
    *,
    out: str | Path | None,
    samples: int = _default("samples"),
    replications: int = _default("replications"),
    design: str = _default("design"),
    seed: int = _default("seed"),
    workers: int | None = _default("workers"),
    threads: int = _default("threads"),
    chunk_size: int | None = _default("chunk_size"),
    executor: str = _default("executor"),
    scheduler: str | None = _default("scheduler"),
    resume: bool = _default("resume"),
    progress: bool = _default("progress"),
) -> Calibration:
    """Sample a scenario's uncertainties and keep the samples that reproduce every pattern.

    The options are those of :class:`~offramp.analyse.calibration_options.CalibrateOptions`,
    checked once here; the patterns file is checked against the scenario before anything
    is written (choice 2).

    Parameters
    ----------
    scenario : path or ScenarioSource
        The scenario file (TOML); its ``[uncertainties]`` are the prior box.
    patterns : str or Path
        The patterns file (TOML).
    out : str or Path
        The calibration's directory: the exploration (``manifest.json``,
        ``design.parquet``, ``chunks/``) and ``calibration/`` (``patterns.toml``,
        ``statistics.parquet``, ``summary.json``). Required.
    samples : int
        Samples drawn (>= 1; Sobol needs a power of two).
    replications : int
        Worlds per sample (>= 1); a statistic pools them.
    design : str
        ``"lhs"`` or ``"sobol"``.
    seed : int
        The run's seed (>= 0).
    workers : int, optional
        Worker processes; results do not depend on it.
    threads : int
        Threads per worker process; results do not depend on it.
    chunk_size : int, optional
        World indices per chunk; results do not depend on it.
    executor : str
        ``"local"`` or ``"dask"``.
    scheduler : str, optional
        A Dask scheduler's address (with ``executor="dask"``).
    resume : bool
        Continue the exploration in ``out`` (only missing or damaged chunks run).
    progress : bool
        Show a progress bar.

    Returns
    -------
    Calibration

    Raises
    ------
    OptionError
        A bad option, or ``out`` holding something this run cannot write into.
    InputError
        A scenario or patterns file that cannot be read or fails validation (one line
        naming the file and the field); nothing is written.
    ExploreInterrupted
        Ctrl-C: finished chunks are kept; continue with ``resume``.
    """
    options = CalibrateOptions.check(
        patterns=patterns,
        out=out,
        samples=samples,
        replications=replications,
        design=design,
        seed=seed,
        workers=workers,
        threads=threads,
        chunk_size=chunk_size,
        executor=executor,
        scheduler=scheduler,
        resume=resume,
        progress=progress,
    )
    source = scenario if isinstance(scenario, ScenarioSource) else load_scenario(scenario)
    chosen = load_patterns(options.patterns, source.scenario)  # choice 2: before anything is written
    exploration = explore(source, strategy=chosen.strategies, **options.explore_values())
    directory = exploration.directory
    table = _statistics_table(directory, chosen)
    folder = directory / CALIBRATION
    folder.mkdir(exist_ok=True)
    write_bytes_atomic(folder / "patterns.toml", options.patterns.read_bytes())
    metadata = {
        "scenario_hash": source.hash,
        "design": options.design,
        "seed": options.seed,
        "samples": options.samples,
        "replications": options.replications,
        "patterns": list(chosen.names),
    }
    write_table(table, folder / "statistics.parquet", metadata)
    priors = {path: (float(low), float(high)) for path, (low, high) in source.scenario.uncertainties.items()}
    found = summarise(table, chosen, priors, directory=directory, exploration=exploration)
    write_bytes_atomic(folder / "summary.json", (json.dumps(_summary(found), indent=2) + "\n").encode())
    return found


def _statistics_table(directory: Path, patterns: Patterns) -> pd.DataFrame:
    """``statistics.parquet``'s table: the design's samples, their statistics and passes."""
    import pandas as pd

    manifest = read_manifest(directory)
    parameters = [str(p) for p in manifest.data["design"]["parameters"]]
    design = pd.read_parquet(directory / "design.parquet", columns=["sample", *parameters])
    statistics = pattern_statistics(load(directory), patterns)
    samples = pd.Index(design["sample"].to_numpy(np.int64), name="sample")
    statistics = statistics.reindex(samples)  # every sample of the design, in order
    passes = pattern_acceptance(statistics, patterns)
    table = pd.DataFrame({"sample": samples.to_numpy(np.int64)})
    for path in parameters:
        table[path] = design[path].to_numpy(np.float64)
    for name in patterns.names:
        table[name] = statistics[name].to_numpy(np.float64)
    for name in patterns.names:
        table[f"pass.{name}"] = passes[name].to_numpy(bool)
    table["accepted"] = passes["accepted"].to_numpy(bool)
    return table


def summarise(
    table: pd.DataFrame,
    patterns: Patterns,
    priors: dict[str, tuple[float, float]],
    *,
    directory: Path,
    exploration: ExploreResult,
) -> Calibration:
    """What a statistics table tells: rates, conflicts, ranges, the closest samples.

    Parameters
    ----------
    table : pandas.DataFrame
        ``statistics.parquet``'s table.
    patterns : Patterns
    priors : dict of str to (float, float)
        Each parameter's prior range (the scenario's ``[uncertainties]``).
    directory : Path
        The calibration's directory.
    exploration : ExploreResult

    Returns
    -------
    Calibration
    """
    names = patterns.names
    parameters = tuple(priors)
    passes = table[[f"pass.{name}" for name in names]].to_numpy(bool)
    n = len(table)

    def rate(mask: np.ndarray) -> float:
        return float(mask.mean()) if n else math.nan

    pass_rates = {name: rate(passes[:, i]) for i, name in enumerate(names)}
    leave_one_out = {
        name: rate(np.delete(passes, i, axis=1).all(axis=1)) if len(names) > 1 else 1.0 for i, name in enumerate(names)
    }
    return Calibration(
        directory=directory,
        exploration=exploration,
        patterns=names,
        parameters=parameters,
        table=table,
        acceptance_rate=rate(table["accepted"].to_numpy(bool)),
        pass_rates=pass_rates,
        leave_one_out=leave_one_out,
        pair_rates=_pair_rates(passes, names),
        ranges=_ranges(table, priors),
        closest=_closest(table, patterns) if not table["accepted"].any() else _closest(table.iloc[:0], patterns),
    )


def _pair_rates(passes: np.ndarray, names: tuple[str, ...]) -> pd.DataFrame:
    """Every pair's joint pass rate against independence (choice 3)."""
    import pandas as pd

    n = passes.shape[0]
    rows = []
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            first, second = passes[:, i].mean() if n else math.nan, passes[:, j].mean() if n else math.nan
            joint = (passes[:, i] & passes[:, j]).mean() if n else math.nan
            independent = first * second
            lift = joint / independent if independent > 0 else math.nan
            conflict = bool(
                min(first, second) >= CONFLICT_MIN_RATE
                and n * independent >= CONFLICT_MIN_EXPECTED
                and joint <= CONFLICT_LIFT * independent
            )
            rows.append((names[i], names[j], first, second, joint, independent, lift, conflict))
    columns = ["first", "second", "rate_first", "rate_second", "joint", "independent", "lift", "conflict"]
    return pd.DataFrame(rows, columns=columns).astype({"conflict": bool})


def _ranges(table: pd.DataFrame, priors: dict[str, tuple[float, float]]) -> pd.DataFrame:
    """Each parameter's plausible range against its prior, most constrained first (choice 4)."""
    import pandas as pd
    from scipy.stats import ks_2samp

    accepted = table["accepted"].to_numpy(bool)
    rows = {}
    for path, (low, high) in priors.items():
        values = table[path].to_numpy(np.float64)
        kept = values[accepted]
        if len(kept):
            q05, q95 = np.quantile(kept, [0.05, 0.95])
            test = ks_2samp(kept, values)
            ks, pvalue = float(test.statistic), float(test.pvalue)
            low_kept, high_kept = float(kept.min()), float(kept.max())
        else:
            q05 = q95 = ks = pvalue = low_kept = high_kept = math.nan
        width = (q95 - q05) / (high - low) if high > low else math.nan
        rows[path] = {
            "prior_low": low,
            "prior_high": high,
            "accepted_min": low_kept,
            "q05": float(q05),
            "q95": float(q95),
            "accepted_max": high_kept,
            "width_share": float(width),
            "ks": ks,
            "ks_pvalue": pvalue,
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "parameter"
    # Most constrained first; ties (and NaN, nothing accepted) keep the design's order.
    return frame.sort_values("ks", ascending=False, kind="stable", na_position="last")


def _distance(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """How far outside [low, high] each value lies, in the range's widths (choice 5)."""
    width = high - low if high > low else 1.0
    outside = np.maximum(low - values, 0.0) + np.maximum(values - high, 0.0)
    return np.where(np.isnan(values), np.inf, outside / width)


def _closest(table: pd.DataFrame, patterns: Patterns) -> pd.DataFrame:
    """The samples nearest to passing, and what blocks them (choice 5)."""
    import pandas as pd

    names = patterns.names
    fails = ~table[[f"pass.{name}" for name in names]].to_numpy(bool)
    distance = np.zeros(len(table))
    for i, pattern in enumerate(patterns.patterns):
        low, high = pattern.accepted
        far = _distance(table[pattern.name].to_numpy(np.float64), low, high)
        distance += np.where(fails[:, i], far, 0.0)
    frame = pd.DataFrame(
        {
            "sample": table["sample"].to_numpy(np.int64),
            "failed": fails.sum(axis=1).astype(np.int64),
            "distance": distance,
            "blocking": [", ".join(n for n, f in zip(names, row, strict=True) if f) for row in fails],
        }
    )
    return frame.sort_values(["failed", "distance", "sample"], kind="stable").head(CLOSEST).reset_index(drop=True)


def _finite(value: object) -> object:
    """A JSON value: NumPy scalars as Python's, NaN and infinities (JSON has none) as null."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _summary(found: Calibration) -> dict[str, object]:
    """``summary.json``: what the calibration tells (informative, not a contract)."""
    return {
        "samples": found.samples,
        "replications": found.exploration.replications,
        "accepted": found.accepted,
        "acceptance_rate": _finite(found.acceptance_rate),
        "pass_rates": {k: _finite(v) for k, v in found.pass_rates.items()},
        "leave_one_out": {k: _finite(v) for k, v in found.leave_one_out.items()},
        "pairs": [{k: _finite(v) for k, v in row.items()} for row in found.pair_rates.to_dict(orient="records")],
        "conflict_rule": {
            "min_rate": CONFLICT_MIN_RATE,
            "min_expected": CONFLICT_MIN_EXPECTED,
            "lift_at_most": CONFLICT_LIFT,
        },
        "ranges": {
            path: {k: _finite(v) for k, v in row.items()} for path, row in found.ranges.to_dict("index").items()
        },
        "closest": [{k: _finite(v) for k, v in row.items()} for row in found.closest.to_dict(orient="records")],
    }
