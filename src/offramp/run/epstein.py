"""Run the standalone civil-violence model: many worlds, one schedule, counts per step."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pathlib import Path

from offramp import __version__
from offramp.model.unrest import Citizen, UnrestDrivers, citizen_counts, init_unrest, step_unrest
from offramp.run.progress import progress_bar
from offramp.model.streams import Stream, WorldStreams
from offramp.scenario.epstein import EpsteinConfig, LegitimacyChange, to_unrest_params

__all__ = ["EpsteinRun", "run_epstein", "epstein_job", "legitimacy_path", "outbursts"]


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

    def to_frame(self):
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
    config: EpsteinConfig, *, worlds: int = 1, steps: int = 200, seed: int = 0, progress: bool = False
) -> EpsteinRun:
    """Run ``worlds`` independent worlds of the civil-violence model for ``steps`` steps.

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
    progress : bool
        Show a progress bar.

    Returns
    -------
    EpsteinRun
    """
    if worlds < 1:
        raise ValueError("worlds: must be at least 1")
    if steps < 1:
        raise ValueError("steps: must be at least 1")
    if seed < 0:
        raise ValueError("seed: must be >= 0")
    params = to_unrest_params(config)
    streams = WorldStreams.for_worlds(seed, range(worlds), Stream.UNREST)
    state = init_unrest(params, streams)
    counts = np.zeros((worlds, steps + 1, 3), np.int32)
    arrests = np.zeros((worlds, steps + 1), np.int32)
    counts[:, 0] = citizen_counts(state)
    legitimacy = legitimacy_path(config, steps)
    with progress_bar("epstein", total=steps, enabled=progress) as advance:
        for t in range(steps):
            drivers = UnrestDrivers.constant(worlds, legitimacy[t], config.active_threshold)
            state, record = step_unrest(state, params, drivers, streams)
            counts[:, t + 1, Citizen.QUIET] = record.quiet
            counts[:, t + 1, Citizen.ACTIVE] = record.active
            counts[:, t + 1, Citizen.JAILED] = record.jailed
            arrests[:, t + 1] = record.arrests
            advance(1)
    return EpsteinRun(config=config, seed=seed, counts=counts, arrests=arrests)


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


def _title(config: EpsteinConfig) -> str:
    """Figure title naming the rules and the legitimacy schedule."""
    schedule = f"L = {config.legitimacy}"
    if config.legitimacy_change is LegitimacyChange.SUDDEN:
        schedule = f"L {config.legitimacy} -> {config.legitimacy_to} at step {config.change_start}"
    elif config.legitimacy_change is LegitimacyChange.GRADUAL:
        schedule = f"L {config.legitimacy} -> {config.legitimacy_to}, steps {config.change_start}-{config.change_end}"
    return f"Civil violence, {config.variant} rules, {schedule}"


def epstein_job(
    config: EpsteinConfig,
    *,
    worlds: int = 1,
    steps: int = 200,
    seed: int = 0,
    out: str | Path | None = None,
    plot: str | Path | None = None,
    progress: bool = True,
) -> EpsteinRun:
    """Run the standalone model and write what was asked for: the ``offramp epstein`` job.

    Parameters
    ----------
    config : EpsteinConfig
        Validated settings.
    worlds : int
        Number of worlds (>= 1).
    steps : int
        Engine steps (>= 1).
    seed : int
        The run's seed (>= 0).
    out : str or Path, optional
        Counts per world and step, ``.csv`` or ``.parquet``: columns world, step, quiet,
        active, jailed (citizen counts; step 0 is the initial state). Parquet files carry
        the settings, seed and offramp's version in their metadata.
    plot : str or Path, optional
        A figure of the active, jailed and quiet shares over time (e.g. ``.png``).
    progress : bool
        Show a progress bar.

    Returns
    -------
    EpsteinRun
    """
    from offramp.run.record import write_table

    if out is not None and Path(out).suffix.lower() not in (".csv", ".parquet"):
        raise ValueError(f"out: {Path(out).name}: use a .csv or .parquet file name")
    result = run_epstein(config, worlds=worlds, steps=steps, seed=seed, progress=progress)
    if out is not None:
        frame = result.to_frame()[["world", "step", "quiet", "active", "jailed"]]
        metadata = {"config": config.model_dump(mode="json"), "seed": seed, "version": __version__}
        write_table(frame, out, metadata)
    if plot is not None:
        from offramp.report.figures import plot_citizen_shares

        Path(plot).parent.mkdir(parents=True, exist_ok=True)
        plot_citizen_shares(result.counts, plot, title=_title(config))
    return result
