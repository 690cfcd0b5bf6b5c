"""Race offramp's unrest engine against Mesa's Epstein model on the same parameters.

Prints agent-steps per second (agents = citizens + police) for both and their ratio, for
one world at 40 x 40, one world at 160 x 160, and a batch of 1,000 worlds at 40 x 40 for
50 steps (in the process, and as a whole fresh process), plus the engine's state size in
bytes per cell and the compiled kernel's compile and cache-load times. One process, one
core: the script pins itself (and the processes it starts) to one CPU, and BLAS/OpenMP
threads to 1, before NumPy is imported.

Choices
-------
1. Same parameters on both sides: Mesa's defaults (``EpsteinConfig`` with
   ``variant="mesa"``), changing only the grid size.
2. Mesa is timed over ``model.step()`` calls only (construction excluded); its rate for
   the batch case is its single-run rate at 40 x 40 (Mesa runs worlds one after another,
   so a batch of 1,000 worlds costs 1,000 runs).
3. The engine is timed over a whole ``run_epstein`` call (initialisation and counting
   included, so its rate is, if anything, understated), after a one-step warm-up call
   (imports, and the kernel loaded from its on-disk cache).
4. The whole-process row times a fresh interpreter that imports offramp, loads the
   compiled kernel from its cache and runs the batch: what a user waits for.
5. Compilation: a fresh interpreter imports the kernel with an empty Numba cache
   directory (it compiles), then a second one with the same directory (it loads).
6. Mesa's timed portion is kept short (a few seconds): 30 steps at 40 x 40, 5 at
   160 x 160 (``--quick``: 10 and 2, and 10 steps for the batch).

Run: ``python benchmarks/bench_unrest.py [--quick]``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"
if hasattr(os, "sched_setaffinity"):  # one core, inherited by the processes started below
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402

import numpy as np  # noqa: E402


@dataclasses.dataclass(frozen=True)
class Race:
    """One benchmark row: grid side, engine worlds, steps on each side."""

    name: str
    side: int
    worlds: int
    mesa_steps: int
    engine_steps: int


def races(quick: bool) -> list[Race]:
    """The three in-process races, shortened with ``quick``.

    Parameters
    ----------
    quick : bool
        Fewer steps on both sides.

    Returns
    -------
    list[Race]
    """
    if quick:
        return [
            Race("1 world, 40x40", 40, 1, 10, 100),
            Race("1 world, 160x160", 160, 1, 2, 10),
            Race("1,000 worlds, 40x40", 40, 1000, 10, 10),
        ]
    return [
        Race("1 world, 40x40", 40, 1, 30, 1000),
        Race("1 world, 160x160", 160, 1, 5, 100),
        Race("1,000 worlds, 40x40", 40, 1000, 30, 50),
    ]


def mesa_rate(side: int, steps: int, seed: int = 0) -> tuple[float, int]:
    """Mesa's agent-steps per second on a ``side x side`` grid with its defaults.

    Parameters
    ----------
    side : int
        Grid width and height.
    steps : int
        Timed steps.
    seed : int
        Mesa's seed.

    Returns
    -------
    rate : float
        Agent-steps per second.
    agents : int
        Citizens + police.
    """
    from mesa.examples.advanced.epstein_civil_violence.model import EpsteinCivilViolence

    model = EpsteinCivilViolence(width=side, height=side, seed=seed)
    agents = len(model.agents)
    start = time.perf_counter()
    for _ in range(steps):
        model.step()
    return agents * steps / (time.perf_counter() - start), agents


def _engine_config(side: int, variant: str = "mesa"):
    from offramp.scenario.epstein import EpsteinConfig

    return EpsteinConfig(width=side, height=side, variant=variant)


def engine_agents_and_bytes(side: int, worlds: int, seed: int = 0) -> tuple[int, int]:
    """Agents in the engine's initial state and its state bytes per cell.

    Parameters
    ----------
    side : int
        Grid width and height.
    worlds : int
        Worlds B.
    seed : int
        The run's seed (the same initial state as ``run_epstein(..., seed=seed)``).

    Returns
    -------
    agents : int
        Citizens + police over all worlds.
    bytes_per_cell : int
        Sum of the state arrays' item sizes.
    """
    from offramp.model.streams import Stream, WorldStreams
    from offramp.model.unrest import Occupant, init_unrest
    from offramp.scenario.epstein import to_unrest_params

    params = to_unrest_params(_engine_config(side))
    state = init_unrest(params, WorldStreams.for_worlds(seed, range(worlds), Stream.UNREST))
    arrays = [getattr(state, f.name) for f in dataclasses.fields(state)]
    agents = int(np.count_nonzero(state.occupant != Occupant.EMPTY))
    return agents, sum(a.dtype.itemsize for a in arrays)


def engine_rate(side: int, worlds: int, steps: int, seed: int = 0, variant: str = "mesa") -> float:
    """The engine's agent-steps per second (``run_epstein``), in this process.

    Parameters
    ----------
    side : int
        Grid width and height.
    worlds : int
        Worlds B.
    steps : int
        Timed steps.
    seed : int
        The run's seed.
    variant : str
        ``mesa`` (Mesa's random sequential activation) or ``paper`` (Epstein's
        simultaneous update).

    Returns
    -------
    float
        Agent-steps per second over all worlds.
    """
    from offramp.run.epstein import run_epstein

    config = _engine_config(side, variant)
    run_epstein(config, worlds=min(worlds, 4), steps=1, seed=seed)  # warm-up: imports, kernel cache
    agents, _ = engine_agents_and_bytes(side, worlds, seed)
    start = time.perf_counter()
    run_epstein(config, worlds=worlds, steps=steps, seed=seed)
    return agents * steps / (time.perf_counter() - start)


_WHOLE_PROCESS = """
from offramp.run.epstein import run_epstein
from offramp.scenario.epstein import EpsteinConfig
run_epstein(EpsteinConfig(variant="mesa"), worlds={worlds}, steps={steps}, seed=0)
"""


def whole_process_seconds(worlds: int, steps: int) -> float:
    """Wall time of a fresh interpreter that runs the batch (imports and cache load included).

    Parameters
    ----------
    worlds, steps : int
        The batch (40 x 40, the ``mesa`` variant).

    Returns
    -------
    float
        Seconds.
    """
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", _WHOLE_PROCESS.format(worlds=worlds, steps=steps)], check=True)
    return time.perf_counter() - start


_IMPORT_KERNEL = """
import time
began = time.perf_counter()
import numba
numba_s = time.perf_counter() - began
began = time.perf_counter()
import offramp.model.unrest_kernel
print(numba_s, time.perf_counter() - began)
"""


def kernel_load_seconds() -> tuple[float, float, float]:
    """Numba's import time, the kernel's compile time (empty cache) and load time (cached).

    Returns
    -------
    (float, float, float)
        Seconds: importing numba, importing the kernel with an empty cache directory,
        importing it again in a fresh process with that directory.
    """
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        times = []
        for _ in range(2):
            shown = subprocess.run(
                [sys.executable, "-c", _IMPORT_KERNEL], env=env, check=True, capture_output=True, text=True
            ).stdout.split()
            times.append([float(x) for x in shown])
    return times[1][0], times[0][1], times[1][1]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the races and print the table.

    Parameters
    ----------
    argv : Sequence[str] | None
        Command-line arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status.
    """
    parser = argparse.ArgumentParser(description="Race the unrest engine against Mesa.")
    parser.add_argument("--quick", action="store_true", help="fewer steps (a smoke run, noisier rates)")
    args = parser.parse_args(argv)

    import numba

    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    print(f"CPU {cpus}; numpy {np.__version__}; numba {numba.__version__}; Python {sys.version.split()[0]}")
    _, bytes_per_cell = engine_agents_and_bytes(40, 1)
    print(f"engine state: {bytes_per_cell} bytes per cell\n")
    print("engine columns: the mesa variant (Mesa's random sequential activation) and the paper variant")
    print("(Epstein's simultaneous update); ratios are engine / Mesa agent-steps per second.\n")
    header = f"{'race':<28}{'Mesa':>12}{'engine mesa':>14}{'ratio':>9}{'engine paper':>15}{'ratio':>9}"
    print(header)
    print("-" * len(header))
    mesa_cache: dict[tuple[int, int], float] = {}
    batch = None
    for race in races(args.quick):
        key = (race.side, race.mesa_steps)
        if key not in mesa_cache:  # the batch race reuses the single-run rate
            mesa_cache[key], _ = mesa_rate(race.side, race.mesa_steps)
        mesa = mesa_cache[key]
        like = engine_rate(race.side, race.worlds, race.engine_steps, variant="mesa")
        fast = engine_rate(race.side, race.worlds, race.engine_steps, variant="paper")
        name = f"{race.name}, {race.engine_steps} steps"
        print(
            f"{name:<28}{mesa:>12,.0f}{like:>14,.0f}{like / mesa:>8,.0f}x{fast:>15,.0f}{fast / mesa:>8,.0f}x",
            flush=True,
        )
        if race.worlds > 1:
            batch = race, mesa
    race, mesa = batch
    whole_process_seconds(4, 1)  # the kernel's cache is warm (it is, after the races)
    seconds = whole_process_seconds(race.worlds, race.engine_steps)
    agents, _ = engine_agents_and_bytes(race.side, race.worlds)
    rate = agents * race.engine_steps / seconds
    name = f"  same, whole process ({seconds:.1f} s)"
    print(f"{name:<28}{mesa:>12,.0f}{rate:>14,.0f}{rate / mesa:>8,.0f}x", flush=True)
    numba_s, compile_s, load_s = kernel_load_seconds()
    print(
        f"\nkernel: compile {compile_s:.1f} s (first use, empty cache); load from cache {load_s:.2f} s "
        f"in a fresh process (+ {numba_s:.2f} s to import numba)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
