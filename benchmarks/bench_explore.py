"""Time ``offramp explore``: scaling over local workers, a Dask cluster, the executor's
overhead against EMA Workbench's evaluators, and the driver's memory as designs grow.

Prints four tables:

1. *Throughput*: experiments per second on the essay scenario (LHS design, two
   strategies), with 1 and 2 local workers (and their ratio; the issue's target is >= 1.8x),
   with 1 worker stepping its grids on 2 threads (``threads=2``; on 2 cores or more),
   and with a local Dask cluster of 2 single-threaded workers, once with offramp's setting
   (``MALLOC_TRIM_THRESHOLD_`` unset in the workers) and once with Dask's default (65536).
2. *Per-experiment overhead against EMA Workbench* (if ``offramp.explore.ema`` and
   ``ema_workbench`` import): the same model (essay, a short horizon, one world per
   experiment) run by calling EMA's model function in a loop (no evaluator), by EMA's
   ``SequentialEvaluator`` and ``MultiprocessingEvaluator`` (2 processes), and by
   ``offramp explore`` with 1 and 2 local workers. Wall time per experiment, pool start
   included for both tools.
3. *Driver memory*: peak resident set size of the driver process (``ru_maxrss`` of a fresh
   Python that runs ``explore``; its workers are other processes) for designs of 1,000
   and 10,000 experiments, on ``quick.toml`` with a 2-week horizon and a 6x6 grid so the
   runs take seconds. The issue's target: the same within 10%.

Choices
-------
1. Each timed run is one ``explore`` call into a fresh directory: design, manifest, worker
   start-up and every chunk's Parquet file are inside the timed region, as a user sees it.
2. Horizons and grids are cut (by editing the scenario's text) only where said; the
   throughput table uses the essay scenario as shipped.
3. BLAS/OpenMP threads are pinned to 1 before NumPy loads, here and in the workers.

Run: ``python benchmarks/bench_explore.py [--quick]`` (about three minutes on 2 cores;
``--quick`` is a smoke run with smaller designs).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import contextlib  # noqa: E402
import io  # noqa: E402
import logging  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ESSAY = ROOT / "scenarios" / "essay.toml"
QUICK = ROOT / "scenarios" / "quick.toml"
PAIR = ["full_pressure", "conciliation"]


def shrink(scenario: Path, target: Path, horizon_weeks: int | None = None, grid: int | None = None) -> Path:
    """A copy of a scenario file with a shorter horizon and/or a smaller square grid.

    Parameters
    ----------
    scenario : Path
    target : Path
        Where the copy goes.
    horizon_weeks : int, optional
    grid : int, optional
        Width and height; visions are cut to fit (2 * vision + 1 <= grid).

    Returns
    -------
    Path
    """
    text = scenario.read_text()
    if horizon_weeks is not None:
        text = re.sub(r"(?m)^horizon_weeks = \d+", f"horizon_weeks = {horizon_weeks}", text)
    if grid is not None:
        vision = (grid - 1) // 2
        text = re.sub(r"(?m)^(width|height) = \d+", lambda m: f"{m.group(1)} = {grid}", text)
        text = re.sub(r"(?m)^(citizen_vision|police_vision) = \d+", lambda m: f"{m.group(1)} = {vision}", text)
    target.write_text(text)
    return target


def timed_explore(scenario: Path, out: Path, **options) -> tuple[float, int]:
    """Wall time and experiments of one ``explore`` call (choice 1).

    Parameters
    ----------
    scenario : Path
    out : Path
        A fresh directory.
    **options
        ``explore``'s keyword arguments.

    Returns
    -------
    tuple of (float, int)
    """
    from offramp.explore.experiments import explore

    began = time.perf_counter()
    result = explore(scenario, out=out, progress=False, **options)
    return time.perf_counter() - began, result.experiments


def _dask_cluster(workers: int, dask_default_trim: bool):
    import dask
    import distributed

    environ = {} if dask_default_trim else {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
    with dask.config.set(environ):
        return distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)


def _burn(count: int) -> int:
    total = 0
    for i in range(count):
        total += i
    return total


def machine_ceiling() -> float:
    """How much faster two processes of pure-Python arithmetic finish two tasks than one
    process: the most any executor can scale on this machine (1.0-2.0 on 2 vCPUs that
    may share a physical core).

    Returns
    -------
    float
    """
    import multiprocessing

    count = 10_000_000
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        began = time.perf_counter()
        pool.map(_burn, [count, count])
        one = time.perf_counter() - began
    with context.Pool(2) as pool:
        began = time.perf_counter()
        pool.map(_burn, [count, count])
        two = time.perf_counter() - began
    return one / two


def throughput(tmp: Path, samples: int) -> None:
    """Table 1: experiments/s on the essay scenario, local 1 and 2 workers, Dask 2 workers."""
    common = dict(design="lhs", samples=samples, replications=1, seed=1, strategy=PAIR, chunk_size=25)
    # Warm-up: the first pool of a process starts the forkserver and imports offramp in it.
    timed_explore(ESSAY, tmp / "warm-up", design="lhs", samples=2, replications=1, seed=1, strategy=PAIR, workers=2)
    rows = []
    for workers in (1, 2):
        seconds, experiments = timed_explore(
            ESSAY, tmp / f"local-{workers}", workers=workers, executor="local", **common
        )
        rows.append((f"local, {workers} worker{'s' if workers > 1 else ''}", experiments, seconds))
    from offramp.run.options import available_cores

    if available_cores() >= 2:  # workers x threads may not exceed the cores
        seconds, experiments = timed_explore(ESSAY, tmp / "local-1x2", workers=1, threads=2, executor="local", **common)
        rows.append(("local, 1 worker x 2 threads", experiments, seconds))
    try:
        import distributed  # noqa: F401
    except ImportError:
        print("(Dask rows skipped: pip install 'dask[distributed]')")
    else:
        for default_trim in (False, True):
            cluster = _dask_cluster(2, default_trim)
            try:
                seconds, experiments = timed_explore(
                    ESSAY, tmp / f"dask-{default_trim}", executor="dask", scheduler=cluster.scheduler_address, **common
                )
            finally:
                cluster.close()
            label = (
                "dask, 2 workers, MALLOC_TRIM_THRESHOLD_=65536 (Dask's default)"
                if default_trim
                else ("dask, 2 workers, MALLOC_TRIM_THRESHOLD_ unset (offramp's)")
            )
            rows.append((label, experiments, seconds))
    print(
        f"\n1. Throughput: essay.toml as shipped, LHS, {samples} samples x 1 replication x {len(PAIR)} strategies, "
        "chunks of 25 worlds"
    )
    print(f"{'executor':<64}{'experiments':>12}{'seconds':>10}{'exp/s':>10}")
    for label, experiments, seconds in rows:
        print(f"{label:<64}{experiments:>12,}{seconds:>10.2f}{experiments / seconds:>10.1f}")
    one, two = rows[0][1] / rows[0][2], rows[1][1] / rows[1][2]
    print(
        f"scaling, 2 local workers / 1: {two / one:.2f}x (target >= 1.8x); this machine's ceiling, "
        f"2 processes of plain arithmetic / 1: {machine_ceiling():.2f}x"
    )


def ema_overhead(tmp: Path, scenarios: int, horizon_weeks: int) -> None:
    """Table 2: wall time per experiment, EMA Workbench's evaluators against offramp's."""
    try:
        from offramp.explore.ema import ema_model
    except ImportError:
        print("\n2. EMA Workbench comparison skipped: offramp.explore.ema does not exist yet")
        return
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from ema_workbench import MultiprocessingEvaluator, SequentialEvaluator, perform_experiments
            from ema_workbench.util import ema_logging
    except ImportError:
        print("\n2. EMA Workbench comparison skipped: pip install ema-workbench")
        return
    import numpy as np

    from offramp.scenario.load import load_scenario

    short = shrink(ESSAY, tmp / "essay-short.toml", horizon_weeks=horizon_weeks)
    scenario = load_scenario(short).scenario
    model = ema_model(scenario, replications=1, seed=0, strategies=PAIR)
    experiments = scenarios * len(PAIR)
    ema_logging.log_to_stderr(logging.WARNING)
    rows = []

    # The model function called directly, one experiment at a time (what an evaluator wraps).
    rng = np.random.default_rng(0)
    model.function(**{p: scenario.uncertainties[p][0] for p in scenario.uncertainties}, strategy=PAIR[0])  # warm-up
    lows = np.array([scenario.uncertainties[p][0] for p in scenario.uncertainties])
    highs = np.array([scenario.uncertainties[p][1] for p in scenario.uncertainties])
    began = time.perf_counter()
    for i in range(experiments):
        values = dict(zip(scenario.uncertainties, lows + (highs - lows) * rng.random(lows.size), strict=True))
        model.function(**values, strategy=PAIR[i % len(PAIR)])
    direct = (time.perf_counter() - began) / experiments
    rows.append(("EMA's model function, called in a loop (no evaluator)", direct))
    for label, make in (
        ("EMA SequentialEvaluator", lambda: SequentialEvaluator(model)),
        ("EMA MultiprocessingEvaluator, 2 processes", lambda: MultiprocessingEvaluator(model, n_processes=2)),
    ):
        began = time.perf_counter()
        with make() as evaluator, contextlib.redirect_stderr(io.StringIO()):  # EMA's progress bars
            perform_experiments(model, scenarios=scenarios, policies=len(PAIR), evaluator=evaluator, log_progress=False)
        rows.append((label, (time.perf_counter() - began) / experiments))
    for workers in (1, 2):
        seconds, done = timed_explore(
            short,
            tmp / f"ema-offramp-{workers}",
            design="lhs",
            samples=scenarios,
            replications=1,
            seed=0,
            strategy=PAIR,
            workers=workers,
        )
        rows.append((f"offramp explore, local, {workers} worker{'s' if workers > 1 else ''}", seconds / done))
    print(
        f"\n2. Per experiment against EMA Workbench: essay.toml, {horizon_weeks}-week horizon, 1 world per "
        f"experiment, {experiments:,} experiments"
    )
    print(f"{'':<58}{'ms/experiment':>14}{'x direct':>10}")
    for label, seconds in rows:
        print(f"{label:<58}{1e3 * seconds:>14.2f}{seconds / direct:>10.2f}")
    table = dict(rows)
    print(
        f"ratio, EMA MultiprocessingEvaluator / offramp (2 workers each): "
        f"{table['EMA MultiprocessingEvaluator, 2 processes'] / table['offramp explore, local, 2 workers']:.1f}x; "
        f"EMA SequentialEvaluator / offramp (1 worker): "
        f"{table['EMA SequentialEvaluator'] / table['offramp explore, local, 1 worker']:.1f}x"
    )


_MEMORY_SCRIPT = """
import resource, sys, time
from offramp.explore.experiments import explore
began = time.perf_counter()
result = explore(sys.argv[1], out=sys.argv[2], design="lhs", samples=int(sys.argv[3]), replications=1, seed=0,
                 strategy=["full_pressure", "conciliation"], workers=2, progress=False)
print(result.experiments, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, time.perf_counter() - began)
"""


def driver_memory(tmp: Path, sizes: tuple[int, ...]) -> None:
    """Table 3: the driver's peak RSS for designs of several sizes, each in a fresh process."""
    tiny = shrink(QUICK, tmp / "quick-tiny.toml", horizon_weeks=2, grid=6)
    print("\n3. Driver memory: quick.toml, 2-week horizon, 6x6 grid, 2 strategies, 2 local workers, chunks of 50")
    print(f"{'experiments':>12}{'driver peak RSS (MiB)':>24}{'seconds':>10}")
    peaks = []
    for size in sizes:
        output = subprocess.run(
            [sys.executable, "-c", _MEMORY_SCRIPT, str(tiny), str(tmp / f"memory-{size}"), str(size // len(PAIR))],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        experiments, kib, seconds = output.split()
        peaks.append(int(kib) / 1024)
        print(f"{int(experiments):>12,}{peaks[-1]:>24.1f}{float(seconds):>10.1f}")
    print(f"largest / smallest design's peak: {peaks[-1] / peaks[0]:.3f} (target: within 10%)")


def main(argv: list[str] | None = None) -> None:
    """Run the three parts; ``--quick`` shrinks every design for a smoke run.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments.
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small designs: a smoke run, noisier")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-explore-") as folder:
        tmp = Path(folder)
        throughput(tmp, samples=20 if args.quick else 150)
        ema_overhead(tmp, scenarios=20 if args.quick else 150, horizon_weeks=8)
        driver_memory(tmp, (200, 2_000) if args.quick else (1_000, 10_000))


if __name__ == "__main__":
    main()
