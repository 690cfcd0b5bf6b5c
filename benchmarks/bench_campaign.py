"""Time the campaign model: the essay scenario, every strategy, 1,000 worlds x 104 weeks.

Prints world-weeks per second, counted two ways, the total wall time and peak memory.
One process, one core by default: BLAS/OpenMP threads are pinned to 1 before NumPy is
imported, and the unrest kernel runs on ``--threads`` threads (default 1). The issue's
target is the whole run in under 60 seconds on one core.

Choices
-------
1. The loop is ``offramp run``'s (``run.campaign.run_campaign``): chunks of
   ``--chunk-size`` worlds (default 250, the CLI's default), every strategy on each chunk
   with the same streams, through ``run.runner.run_worlds`` (which returns the outcome
   columns). Loading, translation, initialisation and the outcome columns are inside the
   timed region; building the DataFrame and writing files are not.
2. Two rates. *Simulated*: world-weeks actually stepped, as ``run_worlds`` reports them
   (it sets ended worlds aside once a fifth of the batch has ended, and stops when all
   have; worlds that ended but are still in the batch count, since they are stepped).
   *Nominal*: worlds x strategies x horizon, what a user asks for; it is the rate that
   answers the target.
3. Peak memory two ways: ``tracemalloc``'s peak of traced allocations (NumPy reports its
   buffers to it) and the process's maximum resident set size from
   ``resource.getrusage`` (interpreter and libraries included). ``tracemalloc`` costs
   some time per allocation; ``--no-tracemalloc`` times the run without it.
4. ``--threads N`` passes ``threads=N`` to ``run_worlds`` (each step's grids split between
   N threads, ``offramp run --threads``); results do not depend on it. The compiled
   kernel is loaded (from Numba's cache) inside the timed region, as a user's run does.
5. The unrest kernel's share: ``unrest_kernel.step_grids`` is wrapped for the run by a
   function that adds up its wall time (``unrest.advance_with_words`` looks it up on the
   module at each call). From the split come the two ceilings that bound what any
   further work can give: the rate if the rest of the week cost nothing, and the rate if
   the kernel cost nothing. The wrapper adds one timer call per engine step (832 for
   250 worlds), nothing measurable.

Run: ``python benchmarks/bench_campaign.py [--quick | --worlds N] [--threads N] [--no-tracemalloc]``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ESSAY = Path(__file__).resolve().parents[1] / "scenarios" / "essay.toml"


def run(scenario: Path, worlds: int, seed: int, chunk_size: int, threads: int = 1) -> dict[str, float]:
    """Run every strategy of ``scenario`` on ``worlds`` worlds; return counts and times.

    Parameters
    ----------
    scenario : Path
        Scenario file.
    worlds : int
        Worlds per strategy.
    seed : int
        The run's seed.
    chunk_size : int
        Worlds simulated at once.
    threads : int
        Threads the unrest kernel splits each step's grids between (choice 4).

    Returns
    -------
    dict of str to float
        ``seconds``, ``kernel_seconds`` (in the unrest kernel, choice 5), ``simulated``
        and ``nominal`` world-weeks, ``strategies``, ``horizon``, ``ended`` (share of
        worlds ended before the horizon).
    """
    from offramp.run.runner import run_worlds
    from offramp.scenario.load import load_scenario
    from offramp.scenario.translate import build_strategies, to_params

    start = time.perf_counter()
    from offramp.model import unrest_kernel  # loads the kernel: inside the timed region (choice 4)

    kernel = unrest_kernel.step_grids
    in_kernel = 0.0

    def timed_kernel(*args: object) -> None:  # choice 5
        nonlocal in_kernel
        begin = time.perf_counter()
        kernel(*args)
        in_kernel += time.perf_counter() - begin

    source = load_scenario(scenario)
    strategies = build_strategies(source.scenario)
    horizon = source.scenario.scenario.horizon_weeks
    simulated = 0
    ended = 0

    def on_week(n_worlds: int) -> None:
        nonlocal simulated
        simulated += n_worlds

    unrest_kernel.step_grids = timed_kernel
    try:
        for first in range(0, worlds, chunk_size):
            chunk = np.arange(first, min(first + chunk_size, worlds))
            for name, strategy in strategies.items():
                params = to_params(source.scenario, chunk.size)  # as run_campaign
                columns = run_worlds(params, strategy, name, chunk, seed, on_week=on_week, threads=threads)
                ended += int(np.count_nonzero(columns["outcome"] != "ongoing"))
    finally:
        unrest_kernel.step_grids = kernel
    return {
        "seconds": time.perf_counter() - start,
        "kernel_seconds": in_kernel,
        "simulated": simulated,
        "nominal": worlds * len(strategies) * horizon,
        "strategies": len(strategies),
        "horizon": horizon,
        "ended": ended / (worlds * len(strategies)),
    }


def _max_rss_mib() -> float:
    """Maximum resident set size of this process in MiB (Linux reports KiB, macOS bytes)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 2**10


def main(argv: Sequence[str] | None = None) -> int:
    """Parse options, run once, print the figures.

    Parameters
    ----------
    argv : sequence of str, optional
        Command-line arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", type=int, default=1000, help="worlds per strategy (default 1000)")
    parser.add_argument("--quick", action="store_true", help="100 worlds (overrides --worlds)")
    parser.add_argument("--seed", type=int, default=0, help="the run's seed (default 0)")
    parser.add_argument("--chunk-size", type=int, default=250, help="worlds simulated at once (default 250)")
    parser.add_argument("--scenario", type=Path, default=ESSAY, help="scenario file (default essay.toml)")
    parser.add_argument("--threads", type=int, default=1, help="threads of the unrest kernel (default 1)")
    parser.add_argument("--no-tracemalloc", action="store_true", help="time without tracemalloc's overhead")
    args = parser.parse_args(argv)
    worlds = 100 if args.quick else args.worlds
    if worlds < 1 or args.chunk_size < 1 or args.threads < 1:
        parser.error("--worlds, --chunk-size and --threads must be at least 1")

    if not args.no_tracemalloc:
        tracemalloc.start()
    figures = run(args.scenario, worlds, args.seed, args.chunk_size, args.threads)
    traced_peak = tracemalloc.get_traced_memory()[1] if tracemalloc.is_tracing() else None
    tracemalloc.stop()

    seconds = figures["seconds"]
    print(
        f"scenario      {args.scenario.name}: {figures['strategies']} strategies x {worlds} worlds"
        f" x {figures['horizon']} weeks, chunks of {args.chunk_size}, seed {args.seed}, "
        + ("one core" if args.threads == 1 else f"{args.threads} threads")
    )
    print(f"total         {seconds:.1f} s (target for 1,000 worlds: < 60 s)")
    print(f"nominal       {figures['nominal']:,} world-weeks, {figures['nominal'] / seconds:,.0f} world-weeks/s")
    print(
        f"simulated     {figures['simulated']:,} world-weeks, {figures['simulated'] / seconds:,.0f} world-weeks/s"
        f" ({figures['ended']:.0%} of worlds ended before the horizon)"
    )
    kernel, rest = figures["kernel_seconds"], seconds - figures["kernel_seconds"]
    print(f"unrest kernel {kernel:.1f} s ({kernel / seconds:.0%} of the run), the rest of the run {rest:.1f} s")
    print(
        f"ceilings      {figures['nominal'] / kernel:,.0f} nominal world-weeks/s if the rest cost nothing,"
        f" {figures['nominal'] / rest:,.0f} if the kernel did"
    )
    if traced_peak is not None:
        print(f"peak traced   {traced_peak / 2**20:,.1f} MiB (tracemalloc, on during the timed run)")
    print(f"max RSS       {_max_rss_mib():,.1f} MiB (getrusage, whole process)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
