"""Mesa's own Epstein civil-violence model as the external reference for the unrest engine.

The reference is Mesa 3.x's ``EpsteinCivilViolence`` example (Epstein 2002, "Modeling civil
violence: An agent-based computational approach", PNAS 99 suppl. 3, 7243-7250,
doi:10.1073/pnas.092080199), run unmodified. This module runs it for many seeds, in
parallel over processes, and reduces each run to a few statistics that the ``mesa`` variant
of offramp's engine must reproduce in distribution (``test_mesa_agreement.py``).

Choices
-------
1. Counts use the engine's layout: ``int32 (B, steps + 1, 3)``, columns
   ``[quiet, active, jailed]`` (:class:`Column`), citizens only, step 0 = the state right
   after construction. Mesa's ``ARRESTED`` is our ``jailed``; a citizen whose sentence has
   run out stays ``ARRESTED`` until her own next activation, exactly as Mesa counts her.
2. Mesa seed ``s`` is ``EpsteinCivilViolence(seed=s)``; Mesa derives both its generators
   from it. Runs are independent of the number of worker processes.
3. Statistics are per run, over the window ``burn_in..steps`` (inclusive), as shares of
   that run's citizens: mean active share, its standard deviation over time (``ddof=0``),
   mean jailed share, and the number of outbursts = upward crossings of
   :data:`OUTBURST_SHARE` (``a[t-1] < 0.05 <= a[t]``, both steps inside the window).
4. Cases are sized for CI (2 cores, about 3 minutes for the whole agreement test): small
   grids (20 x 20) with Mesa's vision 7 where the dynamics stay informative, vision 3 on a
   Run-2-like base (L = 0.82, J_max = 30, cops 0.04) where the active share must keep
   fluctuating around 5 % for outbursts to be counted, and one full 40 x 40 grid with
   vision 2. Mesa's cost grows with the vision diamond (112 cells at radius 7, 24 at 3).

Script mode: ``python tests/mesa_reference.py --report`` prints, per case, Mesa's and the
engine's statistics side by side (mean +/- standard error) with the test p-values.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from types import MappingProxyType

import numpy as np
from scipy import stats

__all__ = [
    "Column",
    "Comparison",
    "MesaCase",
    "CASES",
    "FAMILY_ALPHA",
    "OUTBURST_SHARE",
    "STATISTICS",
    "ENGINE_SEED",
    "ENGINE_WORLDS",
    "compare_runs",
    "run_engine_case",
    "run_mesa",
    "run_mesa_cases",
    "run_mesa_seeds",
    "run_statistics",
    "outburst_count",
]

OUTBURST_SHARE = 0.05
"""Active share whose upward crossing starts an outburst."""

FAMILY_ALPHA = 0.01
"""Family-wise error rate of the whole agreement suite (Bonferroni over all comparisons)."""

ENGINE_SEED = 20020
"""Fixed seed of the engine's worlds in the agreement test."""

ENGINE_WORLDS = 200
"""Engine worlds per case: cheap, so the Mesa side dominates the standard error."""

STATISTICS = ("mean_active_share", "sd_active_share", "mean_jailed_share", "outbursts")
"""Per-run statistics compared between Mesa and the engine, in report order."""


class Column(IntEnum):
    """Columns of a counts array (citizen counts)."""

    QUIET = 0
    ACTIVE = 1
    JAILED = 2


@dataclass(frozen=True)
class MesaCase:
    """One parameter case of the Mesa comparison.

    Parameters
    ----------
    name : str
        Short identifier (test id, report row).
    params : Mapping[str, float | int]
        Keyword arguments common to Mesa's ``EpsteinCivilViolence`` and offramp's
        ``EpsteinConfig`` (Mesa's parameter names); missing ones take both sides' defaults.
    steps : int
        Steps per run after the initial state.
    burn_in : int
        First step of the statistics window.
    seeds : int
        Number of Mesa runs (seeds ``0 .. seeds-1``).
    """

    name: str
    params: Mapping[str, float | int] = field(default_factory=dict)
    steps: int = 120
    burn_in: int = 40
    seeds: int = 24

    def __post_init__(self) -> None:
        # A read-only view so that a case cannot be changed after the fact.
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))


_SMALL = {"width": 20, "height": 20}
# A lively base for the small-vision cases: Epstein's Run 2 (L = 0.82, J_max = 30, cops 0.04)
# with vision 3 on 20 x 20, where the active share keeps fluctuating around 5 %.
_LIVELY = {**_SMALL, "citizen_vision": 3, "cop_vision": 3, "legitimacy": 0.82, "max_jail_term": 30, "cop_density": 0.04}

CASES: tuple[MesaCase, ...] = (
    # Mesa's defaults (L = 0.8, cops 0.074, J_max = 1000, vision 7) on a 20 x 20 torus:
    # a flare at steps 1-3, then quiet. All the activity is in that flare, so the window
    # starts at step 1 (step 0 is the all-quiet initial state on both sides).
    MesaCase("defaults", {**_SMALL}, steps=80, burn_in=1),
    MesaCase("low_legitimacy", {**_SMALL, "legitimacy": 0.5}, steps=80, burn_in=1),
    # Few police: a mass uprising that the police work down over about 40 steps.
    MesaCase("few_police", {**_SMALL, "cop_density": 0.02}, steps=80, burn_in=10),
    # Short sentences recycle citizens; with cops at 0.03 activity is sustained.
    MesaCase("short_jail", {**_SMALL, "cop_density": 0.03, "max_jail_term": 15}, steps=80, burn_in=10),
    MesaCase("small_vision", {**_LIVELY}, steps=150, burn_in=30),
    MesaCase("high_legitimacy", {**_LIVELY, "legitimacy": 0.86}, steps=150, burn_in=30),
    MesaCase("many_police", {**_LIVELY, "cop_density": 0.10}, steps=150, burn_in=30),
    # Full 40 x 40 grid, vision 2 (12 cells), Run-1-like J_max = 15, L = 0.82.
    MesaCase(
        "full_grid_vision2",
        {"citizen_vision": 2, "cop_vision": 2, "legitimacy": 0.82, "max_jail_term": 15},
        steps=100,
        burn_in=20,
    ),
)


# --------------------------------------------------------------------------------------
# Running Mesa
# --------------------------------------------------------------------------------------


def run_mesa(params: Mapping[str, float | int], steps: int, seed: int) -> np.ndarray:
    """Run Mesa's Epstein model once and record citizen counts.

    Parameters
    ----------
    params : Mapping[str, float | int]
        Keyword arguments of ``EpsteinCivilViolence`` (Mesa's names).
    steps : int
        Number of steps after construction.
    seed : int
        Mesa's seed.

    Returns
    -------
    numpy.ndarray
        ``int32 (steps + 1, 3)``: ``[quiet, active, jailed]`` citizens; row 0 is the state
        after construction, row ``t`` the state after step ``t``.
    """
    from mesa.examples.advanced.epstein_civil_violence.model import EpsteinCivilViolence

    model = EpsteinCivilViolence(seed=seed, **params)
    counts = np.empty((steps + 1, 3), dtype=np.int32)

    def record(t: int) -> None:
        counts[t, Column.QUIET] = model.QUIET
        counts[t, Column.ACTIVE] = model.ACTIVE
        counts[t, Column.JAILED] = model.ARRESTED

    record(0)
    for t in range(1, steps + 1):
        model.step()
        record(t)
    return counts


def _run_mesa_job(job: tuple[dict, int, int]) -> np.ndarray:
    params, steps, seed = job
    return run_mesa(params, steps, seed)


def _executor(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=workers)


def run_mesa_seeds(params: Mapping[str, float | int], steps: int, seeds: Sequence[int], workers: int = 2) -> np.ndarray:
    """Run Mesa for several seeds in parallel.

    Parameters
    ----------
    params : Mapping[str, float | int]
        Keyword arguments of ``EpsteinCivilViolence``.
    steps : int
        Steps per run.
    seeds : Sequence[int]
        One Mesa seed per run.
    workers : int
        Worker processes.

    Returns
    -------
    numpy.ndarray
        ``int32 (len(seeds), steps + 1, 3)``, runs in the order of ``seeds``.
    """
    jobs = [(dict(params), steps, int(s)) for s in seeds]
    with _executor(workers) as pool:
        return np.stack(list(pool.map(_run_mesa_job, jobs)))


def run_mesa_cases(cases: Sequence[MesaCase], workers: int = 2) -> dict[str, np.ndarray]:
    """Run every case's Mesa seeds in one process pool (for load balance across cases).

    Parameters
    ----------
    cases : Sequence[MesaCase]
        The cases; case ``c`` runs seeds ``0 .. c.seeds - 1``.
    workers : int
        Worker processes.

    Returns
    -------
    dict[str, numpy.ndarray]
        Case name -> ``int32 (c.seeds, c.steps + 1, 3)`` counts.
    """
    jobs = [(c.name, (dict(c.params), c.steps, s)) for c in cases for s in range(c.seeds)]
    with _executor(workers) as pool:
        futures = [(name, pool.submit(_run_mesa_job, job)) for name, job in jobs]
        runs: dict[str, list[np.ndarray]] = {c.name: [] for c in cases}
        for name, fut in futures:
            runs[name].append(fut.result())
    return {name: np.stack(r) for name, r in runs.items()}


# --------------------------------------------------------------------------------------
# Running the engine
# --------------------------------------------------------------------------------------


def run_engine_case(
    case: MesaCase, worlds: int = ENGINE_WORLDS, seed: int = ENGINE_SEED
) -> tuple[np.ndarray, np.ndarray]:
    """Run offramp's ``mesa`` variant on a case's parameters.

    Parameters
    ----------
    case : MesaCase
        The case (its ``params``, ``steps``).
    worlds : int
        Number of worlds.
    seed : int
        The engine's seed.

    Returns
    -------
    counts : numpy.ndarray
        ``int32 (worlds, steps + 1, 3)`` citizen counts ``[quiet, active, jailed]``.
    citizens : numpy.ndarray
        ``int (worlds,)`` citizens per world.
    """
    from offramp.run.epstein import run_epstein
    from offramp.scenario.epstein import EpsteinConfig

    config = EpsteinConfig(variant="mesa", **dict(case.params))
    res = run_epstein(config, worlds=worlds, steps=case.steps, seed=seed, progress=False)
    return np.asarray(res.counts), np.asarray(res.citizens)


# --------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------


def outburst_count(active_share: np.ndarray, level: float = OUTBURST_SHARE) -> np.ndarray:
    """Number of upward crossings of ``level`` along the last axis.

    Parameters
    ----------
    active_share : numpy.ndarray
        ``float (..., T)`` active share over time.
    level : float
        Crossing level (share of citizens).

    Returns
    -------
    numpy.ndarray
        ``int (...)``: count of ``t`` with ``a[t-1] < level <= a[t]``.
    """
    a = np.asarray(active_share)
    up = (a[..., :-1] < level) & (a[..., 1:] >= level)
    return up.sum(axis=-1)


def run_statistics(counts: np.ndarray, burn_in: int) -> dict[str, np.ndarray]:
    """Per-run statistics after burn-in.

    Parameters
    ----------
    counts : numpy.ndarray
        ``int (B, steps + 1, 3)`` citizen counts ``[quiet, active, jailed]``.
    burn_in : int
        First step of the window; the window is ``burn_in .. steps`` inclusive.

    Returns
    -------
    dict[str, numpy.ndarray]
        One ``(B,)`` array per name in :data:`STATISTICS`: ``mean_active_share`` and
        ``sd_active_share`` (over time, ddof 0), ``mean_jailed_share`` (shares of the run's
        citizens, float64) and ``outbursts`` (int).
    """
    counts = np.asarray(counts)
    if counts.ndim != 3 or counts.shape[2] != 3:
        raise ValueError(f"counts: expected shape (B, T, 3), got {counts.shape}")
    if not 0 <= burn_in < counts.shape[1] - 1:
        raise ValueError(f"burn_in: must lie in [0, {counts.shape[1] - 2}], got {burn_in}")
    citizens = counts[:, :1, :].sum(axis=2)  # (B, 1); constant over time
    window = counts[:, burn_in:, :]
    active = window[:, :, Column.ACTIVE] / citizens
    jailed = window[:, :, Column.JAILED] / citizens
    return {
        "mean_active_share": active.mean(axis=1),
        "sd_active_share": active.std(axis=1),
        "mean_jailed_share": jailed.mean(axis=1),
        "outbursts": outburst_count(active),
    }


@dataclass(frozen=True)
class Comparison:
    """One statistic of one case, Mesa against the engine.

    Attributes
    ----------
    case, statistic : str
        What is compared.
    mesa_mean, mesa_se, engine_mean, engine_se : float
        Sample mean and its standard error (s.d. / sqrt(n)) on each side.
    mesa_n, engine_n : int
        Runs on each side.
    p_means : float
        Two-sided p-value of the difference of means: Welch's t-test, or a permutation
        test where one side is constant (:func:`p_values`).
    p_ks : float
        Two-sample Kolmogorov-Smirnov p-value (whole distribution).
    alpha : float
        Per-comparison level after the Bonferroni correction.
    """

    case: str
    statistic: str
    mesa_mean: float
    mesa_se: float
    engine_mean: float
    engine_se: float
    mesa_n: int
    engine_n: int
    p_means: float
    p_ks: float
    alpha: float

    @property
    def agrees(self) -> bool:
        """Neither test rejects at the per-comparison level."""
        return self.p_means >= self.alpha and self.p_ks >= self.alpha

    def line(self) -> str:
        """One report line."""
        flag = "ok  " if self.agrees else "FAIL"
        return (
            f"  {flag} {self.statistic:<18} mesa {self.mesa_mean:9.4f} ± {self.mesa_se:7.4f}"
            f"   engine {self.engine_mean:9.4f} ± {self.engine_se:7.4f}"
            f"   p_means {self.p_means:8.2e}  p_ks {self.p_ks:8.2e}"
        )


def _constant(x: np.ndarray) -> bool:
    return bool(np.all(x == x[0]))


#: Resamples of the permutation test of means (its p-value's resolution is 1 / (n + 1)).
PERMUTATIONS = 99_999


def p_values(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Two-sided p-values of one statistic's runs on each side: (means, distribution)."""
    # Both samples constant: the tests are undefined; equal constants agree exactly.
    if _constant(a) and _constant(b):
        same = float(a[0] == b[0])
        return same, same
    if _constant(a) or _constant(b):
        # Welch's t takes its variance from the samples: with one side constant (Mesa's 24
        # runs all without an outburst, say) it ignores that side's sampling error and
        # rejects far too often. Permuting the pooled runs asks the right question: could
        # both sides be draws from one distribution? (Seeded: the same p every run.)
        seeded = "rng" if "rng" in inspect.signature(stats.permutation_test).parameters else "random_state"
        p_means = float(
            stats.permutation_test(
                (a, b),
                lambda x, y, axis: np.mean(x, axis=axis) - np.mean(y, axis=axis),
                n_resamples=PERMUTATIONS,
                vectorized=True,
                **{seeded: np.random.default_rng(0)},
            ).pvalue
        )
    else:
        p_means = float(stats.ttest_ind(a, b, equal_var=False).pvalue)
    # KS p-values assume continuous data; with ties (counts) they are conservative.
    p_ks = float(stats.ks_2samp(a, b).pvalue)
    return p_means, p_ks


def _se(x: np.ndarray) -> float:
    return float(x.std(ddof=1) / np.sqrt(len(x))) if len(x) > 1 else float("nan")


def compare_runs(
    case: str,
    mesa_stats: Mapping[str, np.ndarray],
    engine_stats: Mapping[str, np.ndarray],
    alpha: float,
) -> list[Comparison]:
    """Compare per-run statistics of Mesa and the engine, one :class:`Comparison` each.

    Parameters
    ----------
    case : str
        Case name (carried into the rows).
    mesa_stats, engine_stats : Mapping[str, numpy.ndarray]
        Outputs of :func:`run_statistics`.
    alpha : float
        Per-comparison level (already Bonferroni-corrected).

    Returns
    -------
    list[Comparison]
        In the order of :data:`STATISTICS`.
    """
    rows = []
    for name in STATISTICS:
        a = np.asarray(mesa_stats[name], dtype=np.float64)
        b = np.asarray(engine_stats[name], dtype=np.float64)
        p_means, p_ks = p_values(a, b)
        rows.append(
            Comparison(
                case=case,
                statistic=name,
                mesa_mean=float(a.mean()),
                mesa_se=_se(a),
                engine_mean=float(b.mean()),
                engine_se=_se(b),
                mesa_n=len(a),
                engine_n=len(b),
                p_means=p_means,
                p_ks=p_ks,
                alpha=alpha,
            )
        )
    return rows


def per_comparison_alpha(n_cases: int, family_alpha: float = FAMILY_ALPHA) -> float:
    """Bonferroni level: ``family_alpha / (cases x statistics x 2 tests)``.

    Parameters
    ----------
    n_cases : int
        Number of cases in the family.
    family_alpha : float
        Family-wise error rate.

    Returns
    -------
    float
        The per-comparison level.
    """
    return family_alpha / (n_cases * len(STATISTICS) * 2)


# --------------------------------------------------------------------------------------
# Script mode
# --------------------------------------------------------------------------------------


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", action="store_true", help="compare Mesa with the engine per case")
    parser.add_argument("--mesa-only", action="store_true", help="run and summarise Mesa only")
    parser.add_argument("--cases", nargs="*", default=None, help="case names (default: all)")
    parser.add_argument("--seeds", type=int, default=None, help="override Mesa runs per case")
    parser.add_argument("--worlds", type=int, default=ENGINE_WORLDS, help="engine worlds per case")
    parser.add_argument("--workers", type=int, default=2, help="Mesa worker processes")
    args = parser.parse_args(argv)
    if not (args.report or args.mesa_only):
        parser.error("choose --report or --mesa-only")

    cases = [c for c in CASES if args.cases is None or c.name in args.cases]
    if args.cases is not None and len(cases) != len(args.cases):
        parser.error(f"--cases: known cases are {', '.join(c.name for c in CASES)}")
    if args.seeds is not None:
        cases = [MesaCase(c.name, c.params, c.steps, c.burn_in, args.seeds) for c in cases]
    # The level is the suite's (all CASES), so the report flags what the test would flag.
    alpha = per_comparison_alpha(len(CASES))

    t0 = time.perf_counter()
    mesa_runs = run_mesa_cases(cases, workers=args.workers)
    print(
        f"Mesa: {sum(c.seeds for c in cases)} runs in {time.perf_counter() - t0:.1f} s "
        f"on {args.workers} workers; per-comparison alpha {alpha:.2e} "
        f"(family {FAMILY_ALPHA}, Bonferroni over {len(CASES)} cases x {len(STATISTICS)} x 2 tests)"
    )
    failures = 0
    for case in cases:
        params = ", ".join(f"{k}={v}" for k, v in case.params.items()) or "Mesa defaults"
        print(f"\n{case.name}: {params}; steps {case.steps}, burn-in {case.burn_in}")
        mesa_stats = run_statistics(mesa_runs[case.name], case.burn_in)
        if args.mesa_only:
            for name in STATISTICS:
                x = np.asarray(mesa_stats[name], dtype=float)
                print(f"  {name:<18} mesa {x.mean():9.4f} ± {_se(x):7.4f}  (n={len(x)})")
            continue
        t1 = time.perf_counter()
        counts, _ = run_engine_case(case, worlds=args.worlds)
        engine_s = time.perf_counter() - t1
        engine_stats = run_statistics(counts, case.burn_in)
        print(f"  n: mesa {case.seeds}, engine {args.worlds} worlds ({engine_s:.1f} s)")
        for row in compare_runs(case.name, mesa_stats, engine_stats, alpha):
            failures += not row.agrees
            print(row.line())
    if args.report:
        print(f"\n{failures} comparison(s) flagged")
    return 0


if __name__ == "__main__":
    # Let `python tests/mesa_reference.py` find the package in a src checkout.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    sys.exit(_main())
