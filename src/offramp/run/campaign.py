"""``offramp run``: every strategy of a scenario on the same worlds, to an outcome table."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from offramp import __version__
from offramp.errors import InputError
from offramp.run.progress import progress_bar
from offramp.run.runner import OUTCOME_LABELS, CampaignRun, outcome_rows, run_worlds, trace_world
from offramp.scenario.load import ScenarioSource, load_scenario
from offramp.scenario.translate import build_strategies, to_params

__all__ = ["run_campaign"]


def run_campaign(
    scenario: str | Path | ScenarioSource,
    *,
    worlds: int = 1000,
    seed: int = 0,
    strategy: Sequence[str] | None = None,
    chunk_size: int = 250,
    out: str | Path | None = None,
    trace: int | None = None,
    trace_out: str | Path | None = None,
    plot: str | Path | None = None,
    progress: bool = True,
) -> CampaignRun:
    """Run strategies of a scenario on the same worlds (common random numbers).

    Parameters
    ----------
    scenario : path or ScenarioSource
        The scenario file (TOML) or an already loaded one.
    worlds : int
        Worlds per strategy (>= 1).
    seed : int
        The run's seed (>= 0). World i's numbers depend only on (seed, i).
    strategy : sequence of str, optional
        Names of the strategies to run; all of the scenario's when empty.
    chunk_size : int
        Worlds simulated at once (memory); the results do not depend on it.
    out : str or Path, optional
        Outcome table, ``.parquet`` (or ``.csv``): one row per (strategy, world); the
        Parquet metadata carries the scenario's hash and text, the seed and offramp's
        version.
    trace : int, optional
        A world index whose weekly trajectory (every state variable) is written.
    trace_out : str or Path, optional
        Where the trace goes (``.csv`` or ``.parquet``); default ``trace-world-N.csv``
        beside ``out`` (or in the current folder).
    plot : str or Path, optional
        Figure of the outcome shares per strategy.
    progress : bool
        Show a progress bar.

    Returns
    -------
    CampaignRun
    """
    import pandas as pd

    from offramp.run.record import TABLE_SUFFIXES, write_table

    for name, value, low in (("worlds", worlds, 1), ("seed", seed, 0), ("chunk_size", chunk_size, 1)):
        if value < low:
            raise InputError(f"--{name.replace('_', '-')}", f"must be at least {low}")
    if trace is not None and not 0 <= trace < worlds:
        raise InputError("--trace", f"world index must be in 0 .. {worlds - 1}")
    for option, path in (("--out", out), ("--trace-out", trace_out)):
        if path is not None and Path(path).suffix.lower() not in TABLE_SUFFIXES:
            raise InputError(option, f"{Path(path).name}: use a .parquet or .csv file name")
    source = scenario if isinstance(scenario, ScenarioSource) else load_scenario(scenario)
    try:
        chosen = build_strategies(source.scenario, list(strategy) if strategy else None)
    except InputError as error:
        if error.where == "--strategy":
            raise
        raise InputError(source.name, str(error)) from None  # a problem in the file: name it
    horizon = source.scenario.scenario.horizon_weeks
    chunks = [np.arange(start, min(start + chunk_size, worlds)) for start in range(0, worlds, chunk_size)]
    frames = []
    with progress_bar("worlds x weeks", total=len(chosen) * worlds * horizon, enabled=progress, unit="world-weeks") as advance:
        for chunk in chunks:
            for name, strat in chosen.items():
                simulated = 0

                def on_week(n: int) -> None:
                    nonlocal simulated
                    simulated += n
                    advance(n)

                columns = run_worlds(to_params(source.scenario, len(chunk)), strat, name, chunk, seed, on_week=on_week)
                advance(horizon * chunk.size - simulated)  # world-weeks skipped: those worlds had ended
                frames.append(pd.DataFrame(columns))
    outcomes = pd.concat(frames, ignore_index=True)
    # Rows grouped by strategy, then world, whatever the chunking.
    order = {name: i for i, name in enumerate(chosen)}
    outcomes = outcomes.sort_values(["strategy", "world"], key=lambda c: c.map(order) if c.name == "strategy" else c)
    outcomes = outcomes.reset_index(drop=True)
    result = CampaignRun(
        outcomes=outcomes, seed=seed, scenario_hash=source.hash, scenario_name=source.scenario.scenario.name,
        regions=source.scenario.region_names, strategies=tuple(chosen),
    )
    metadata = {
        "scenario_hash": source.hash, "scenario_name": result.scenario_name, "scenario_text": source.text,
        "seed": seed, "worlds": worlds, "version": __version__, "strategies": list(chosen),
        "outcomes": list(OUTCOME_LABELS),
    }
    if out is not None:
        write_table(outcomes, out, metadata)
    if trace is not None:
        target = Path(trace_out) if trace_out is not None else (
            (Path(out).parent if out is not None else Path(".")) / f"trace-world-{trace}.csv"
        )
        traces = [pd.DataFrame({"strategy": name, **trace_world(to_params(source.scenario, 1), strat, trace, seed)})
                  for name, strat in chosen.items()]
        write_table(pd.concat(traces, ignore_index=True), target, metadata, option="--trace-out")
    if plot is not None:
        from offramp.report.figures import plot_outcome_shares
        from offramp.analyse.outcomes import outcome_summary

        Path(plot).parent.mkdir(parents=True, exist_ok=True)
        plot_outcome_shares(outcome_summary(outcomes, OUTCOME_LABELS), plot,
                            title=f"How the worlds ended: {result.scenario_name}")
    return result
