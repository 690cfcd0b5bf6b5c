"""Race offramp's unrest engine against Mesa's Epstein model on the same parameters.

Prints agent-steps per second (agents = citizens + police) for both and their ratio, for
one world at 40 x 40, one world at 160 x 160, and a batch of 1,000 worlds at 40 x 40, plus
the engine's state size in bytes per cell. One process, one core: BLAS/OpenMP threads are
pinned to 1 before NumPy is imported.

Choices
-------
1. Same parameters on both sides: Mesa's defaults (``EpsteinConfig`` with
   ``variant="mesa"``), changing only the grid size.
2. Mesa is timed over ``model.step()`` calls only (construction excluded); its rate for
   the batch case is its single-run rate at 40 x 40 (Mesa runs worlds one after another,
   so a batch of 1,000 worlds costs 1,000 runs).
3. The engine is timed over a whole ``run_epstein`` call (initialisation and counting
   included, so its rate is, if anything, understated), after a one-step warm-up call.
4. Mesa's timed portion is kept short (a few seconds): 30 steps at 40 x 40, 5 at
   160 x 160 (``--quick``: 10 and 2).

Run: ``python benchmarks/bench_unrest.py [--quick]``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import sys  # noqa: E402
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
    """The three races, shortened with ``quick``.

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
            Race("1 world, 40x40", 40, 1, 10, 50),
            Race("1 world, 160x160", 160, 1, 2, 10),
            Race("1,000 worlds, 40x40", 40, 1000, 10, 3),
        ]
    return [
        Race("1 world, 40x40", 40, 1, 30, 300),
        Race("1 world, 160x160", 160, 1, 5, 50),
        Race("1,000 worlds, 40x40", 40, 1000, 30, 10),
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
    """The engine's agent-steps per second (``run_epstein``).

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
        ``mesa`` (Mesa's rules: random sequential activation emulated in 16 turns) or
        ``paper`` (Epstein's simultaneous update, one turn).

    Returns
    -------
    float
        Agent-steps per second over all worlds.
    """
    from offramp.run.epstein import run_epstein

    config = _engine_config(side, variant)
    run_epstein(config, worlds=min(worlds, 4), steps=1, seed=seed)  # warm-up: imports, caches
    agents, _ = engine_agents_and_bytes(side, worlds, seed)
    start = time.perf_counter()
    run_epstein(config, worlds=worlds, steps=steps, seed=seed)
    return agents * steps / (time.perf_counter() - start)


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

    print(f"one core; numpy {np.__version__}; Python {sys.version.split()[0]}")
    _, bytes_per_cell = engine_agents_and_bytes(40, 1)
    print(f"engine state: {bytes_per_cell} bytes per cell\n")
    print("engine columns: the mesa variant (Mesa's rules, 16 turns a step) and the paper variant")
    print("(Epstein's simultaneous update); ratios are engine / Mesa agent-steps per second.\n")
    header = f"{'race':<22}{'Mesa':>12}{'engine mesa':>14}{'ratio':>9}{'engine paper':>15}{'ratio':>9}"
    print(header)
    print("-" * len(header))
    mesa_cache: dict[tuple[int, int], float] = {}
    for race in races(args.quick):
        key = (race.side, race.mesa_steps)
        if key not in mesa_cache:  # the batch race reuses the single-run rate
            mesa_cache[key], _ = mesa_rate(race.side, race.mesa_steps)
        mesa = mesa_cache[key]
        like = engine_rate(race.side, race.worlds, race.engine_steps, variant="mesa")
        fast = engine_rate(race.side, race.worlds, race.engine_steps, variant="paper")
        print(
            f"{race.name:<22}{mesa:>12,.0f}{like:>14,.0f}{like / mesa:>8,.0f}x{fast:>15,.0f}{fast / mesa:>8,.0f}x",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
