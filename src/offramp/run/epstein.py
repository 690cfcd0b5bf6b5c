"""Run the standalone civil-violence model: many worlds, one schedule, counts per step.

The job computes and writes data; it draws nothing. The figure of a run is
:func:`offramp.report.figures.plot_epstein` and its terminal table
:func:`offramp.report.tables.epstein_table`; the command line composes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from offramp import __version__
from offramp.model.streams import Stream, WorldStreams
from offramp.model.unrest import Citizen, UnrestDrivers, citizen_counts, init_unrest, step_unrest
from offramp.run.options import EpsteinOptions
from offramp.run.progress import progress_bar
from offramp.scenario.epstein import EpsteinConfig, LegitimacyChange, to_unrest_params

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["EpsteinRun", "EpsteinOptions", "run_epstein", "epstein_job", "legitimacy_path", "outbursts"]


@dataclass(frozen=True, slots=True)
class EpsteinRun:
    """Counts of a run.

    Attributes
    ----------
    config : EpsteinConfig
    seed : int
    counts : int32 (B, steps + 1, 3)
        Citizens quiet, active and jailed after each step; step 0 is the initial state.
    arrests : int32 (B, steps + 1)
        Arrests made during each step (0 at step 0).
    """

    config: EpsteinConfig
    seed: int
    counts: np.ndarray
    arrests: np.ndarray

    @property
    def citizens(self) -> np.ndarray:
        """Citizens per world, int64 (B,)."""
        return self.counts[:, 0].sum(axis=1).astype(np.int64)

    def to_frame(self) -> pd.DataFrame:
        """One row per (world, step): world, step, quiet, active, jailed, arrests."""
        import pandas as pd

        worlds, steps, _ = self.counts.shape
        return pd.DataFrame(
            {
                "world": np.repeat(np.arange(worlds, dtype=np.int64), steps),
                "step": np.tile(np.arange(steps, dtype=np.int64), worlds),
                **{s.name.lower(): self.counts[:, :, s].reshape(-1) for s in Citizen},
                "arrests": self.arrests.reshape(-1),
            }
        )


def legitimacy_path(config: EpsteinConfig, steps: int) -> np.ndarray:
    """Legitimacy in force during each step 1..steps, float64 (steps,).

    A sudden change sets ``legitimacy_to`` from ``change_start`` on; a gradual one moves
    linearly from ``legitimacy`` at ``change_start`` to ``legitimacy_to`` at ``change_end``.

    Parameters
    ----------
    config : EpsteinConfig
    steps : int
        Engine steps.

    Returns
    -------
    float64 array (steps,)
    """
    step = np.arange(1, steps + 1, dtype=np.float64)
    start, end = config.legitimacy, config.legitimacy_to
    if config.legitimacy_change is LegitimacyChange.SUDDEN:
        return np.where(step >= config.change_start, end, start)
    if config.legitimacy_change is LegitimacyChange.GRADUAL:
        share = np.clip((step - config.change_start) / (config.change_end - config.change_start), 0.0, 1.0)
        return start + (end - start) * share
    return np.full(steps, start)


def run_epstein(
    config: EpsteinConfig,
    *,
    worlds: int = 1,
    steps: int = 200,
    seed: int = 0,
    threads: int = 1,
    progress: bool = False,
) -> EpsteinRun:
    """Run ``worlds`` independent worlds of the civil-violence model for ``steps`` steps.

    The numbers are checked as :class:`~offramp.run.options.EpsteinOptions` (the same
    ranges and defaults as ``offramp epstein``; only the progress bar is off by default).

    Parameters
    ----------
    config : EpsteinConfig
        Validated settings.
    worlds : int
        Number of worlds B (>= 1); world i's numbers depend only on (seed, i).
    steps : int
        Engine steps (>= 1).
    seed : int
        The run's seed (>= 0).
    threads : int
        Threads the worlds are split between at each step (>= 1, at most the cores this
        process may use); results do not depend on it.
    progress : bool
        Show a progress bar.

    Returns
    -------
    EpsteinRun

    Raises
    ------
    OptionError
        A bad number of worlds, steps or threads, or a negative seed.
    """
    return _simulate(
        config, EpsteinOptions.check(worlds=worlds, steps=steps, seed=seed, threads=threads, progress=progress)
    )


def _simulate(config: EpsteinConfig, options: EpsteinOptions) -> EpsteinRun:
    """The run itself, on options already checked."""
    worlds, steps = options.worlds, options.steps
    params = to_unrest_params(config)
    streams = WorldStreams.for_worlds(options.seed, range(worlds), Stream.UNREST)
    state = init_unrest(params, streams)
    counts = np.zeros((worlds, steps + 1, 3), np.int32)
    arrests = np.zeros((worlds, steps + 1), np.int32)
    counts[:, 0] = citizen_counts(state)
    legitimacy = legitimacy_path(config, steps)
    with progress_bar("epstein", total=steps, enabled=options.progress) as advance:
        for t in range(steps):
            drivers = UnrestDrivers.constant(worlds, legitimacy[t], config.active_threshold)
            state, record = step_unrest(state, params, drivers, streams, threads=options.threads)
            counts[:, t + 1, Citizen.QUIET] = record.quiet
            counts[:, t + 1, Citizen.ACTIVE] = record.active
            counts[:, t + 1, Citizen.JAILED] = record.jailed
            arrests[:, t + 1] = record.arrests
            advance(1)
    return EpsteinRun(config=config, seed=options.seed, counts=counts, arrests=arrests)


def outbursts(active_share: np.ndarray, level: float = 0.05) -> np.ndarray:
    """Upward crossings of ``level`` by the active share, per world.

    Parameters
    ----------
    active_share : float array (B, T + 1)
    level : float
        Share of citizens active that counts as an outburst (5% by default).

    Returns
    -------
    numpy.ndarray
        int64 (B,).
    """
    above = active_share > level
    return np.count_nonzero(above[:, 1:] & ~above[:, :-1], axis=1).astype(np.int64)


def epstein_job(config: EpsteinConfig, *, options: EpsteinOptions | None = None, **values: object) -> EpsteinRun:
    """Run the standalone model and write its counts if asked: the ``offramp epstein`` job.

    The options are :class:`~offramp.run.options.EpsteinOptions`' fields, given as
    keywords (checked here, once) or as a model already checked; their defaults are the
    model's:

    - ``worlds`` (int): number of worlds (>= 1).
    - ``steps`` (int): engine steps (>= 1).
    - ``seed`` (int): the run's seed (>= 0).
    - ``out`` (path): counts per world and step, ``.csv`` or ``.parquet``: columns world,
      step, quiet, active, jailed (citizen counts; step 0 is the initial state). Parquet
      files carry the settings, seed and offramp's version in their metadata.
    - ``threads`` (int): threads the worlds are split between at each step (the compiled
      unrest kernel), at most the cores this process may use; results do not depend on it.
    - ``progress`` (bool): show a progress bar.

    The job draws nothing: the figure of the shares over time is
    ``offramp.report.figures.plot_epstein(run, "shares.png")``.

    Parameters
    ----------
    config : EpsteinConfig
        Validated settings.
    options : EpsteinOptions, optional
        Options already checked; not together with keywords.
    **values : object
        The options as keywords (see above).

    Returns
    -------
    EpsteinRun

    Raises
    ------
    OptionError
        A bad option.
    """
    from offramp.run.record import write_table

    options = EpsteinOptions.resolve(options, values)
    result = _simulate(config, options)
    if options.out is not None:
        frame = result.to_frame()[["world", "step", "quiet", "active", "jailed"]]
        metadata = {"config": config.model_dump(mode="json"), "seed": options.seed, "version": __version__}
        write_table(frame, options.out, metadata)
    return result
