"""``offramp run``: every strategy of a scenario on the same worlds, to an outcome table.

The job computes and writes data (the outcome table, a trace); it draws nothing. The
figure of a run is :func:`offramp.report.figures.plot_campaign` and its terminal tables
:func:`offramp.report.tables.campaign_tables`; the command line composes them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from offramp import __version__
from offramp.run.chunks import world_chunks
from offramp.run.options import RunOptions
from offramp.run.progress import progress_bar
from offramp.run.runner import OUTCOME_LABELS, CampaignRun, run_worlds, trace_world
from offramp.scenario.load import ScenarioSource, load_scenario
from offramp.scenario.translate import build_strategies, to_params

__all__ = ["run_campaign", "RunOptions"]


def run_campaign(
    scenario: str | Path | ScenarioSource, *, options: RunOptions | None = None, **values: object
) -> CampaignRun:
    """Run strategies of a scenario on the same worlds (common random numbers).

    The options are :class:`~offramp.run.options.RunOptions`' fields, given as keywords
    (checked here, once) or as a model already checked; their defaults are the model's:

    - ``worlds`` (int): worlds per strategy (>= 1).
    - ``seed`` (int): the run's seed (>= 0); world i's numbers depend only on (seed, i).
    - ``strategy`` (sequence of str): names of the strategies to run; all when empty.
    - ``chunk_size`` (int): worlds simulated at once (memory); results do not depend on it.
    - ``out`` (path): outcome table, ``.parquet`` or ``.csv``, one row per (strategy,
      world); the Parquet metadata carries the scenario's hash and text, the seed and
      offramp's version.
    - ``trace`` (int): a world index whose weekly trajectory (every state variable) is
      written, for every strategy.
    - ``trace_out`` (path): where the trace goes (``.csv`` or ``.parquet``); by default
      ``trace-world-N.csv`` beside ``out`` (or in the current folder).
    - ``threads`` (int): threads that step the worlds' grids at once (the compiled
      unrest kernel), at most the cores this process may use; results do not depend on it.
    - ``progress`` (bool): show a progress bar.

    The figure of the outcome shares is drawn from the result by
    ``offramp.report.figures.plot_campaign(run, "shares.png")``.

    Parameters
    ----------
    scenario : path or ScenarioSource
        The scenario file (TOML) or an already loaded one.
    options : RunOptions, optional
        Options already checked; not together with keywords.
    **values : object
        The options as keywords (see above).

    Returns
    -------
    CampaignRun

    Raises
    ------
    OptionError
        A bad option, or a strategy the scenario does not have.
    InputError
        A bad scenario file (the message names the file and the field).
    """
    import pandas as pd

    from offramp.run.record import write_table

    options = RunOptions.resolve(options, values)
    source = scenario if isinstance(scenario, ScenarioSource) else load_scenario(scenario)
    chosen = build_strategies(source, options.strategies)
    horizon = source.scenario.scenario.horizon_weeks
    frames = []
    total = len(chosen) * options.worlds * horizon
    with progress_bar("worlds x weeks", total=total, enabled=options.progress, unit="world-weeks") as advance:
        for chunk in world_chunks(options.worlds, options.chunk_size):
            worlds = np.arange(chunk.start, chunk.stop)
            params = to_params(source.scenario, len(worlds))  # every strategy runs the same worlds
            for name, strat in chosen.items():
                simulated = 0

                def on_week(n: int) -> None:
                    nonlocal simulated
                    simulated += n
                    advance(n)

                columns = run_worlds(
                    params, strat, name, worlds, options.seed, on_week=on_week, threads=options.threads
                )
                advance(horizon * worlds.size - simulated)  # world-weeks skipped: those worlds had ended
                frames.append(pd.DataFrame(columns))
    outcomes = pd.concat(frames, ignore_index=True)
    # Rows grouped by strategy, then world, whatever the chunking.
    order = {name: i for i, name in enumerate(chosen)}
    outcomes = outcomes.sort_values(["strategy", "world"], key=lambda c: c.map(order) if c.name == "strategy" else c)
    outcomes = outcomes.reset_index(drop=True)
    result = CampaignRun(
        outcomes=outcomes,
        seed=options.seed,
        scenario_hash=source.hash,
        scenario_name=source.scenario.scenario.name,
        regions=source.scenario.region_names,
        strategies=tuple(chosen),
    )
    metadata = {
        "scenario_hash": source.hash,
        "scenario_name": result.scenario_name,
        "scenario_text": source.text,
        "seed": options.seed,
        "worlds": options.worlds,
        "version": __version__,
        "strategies": list(chosen),
        "outcomes": list(OUTCOME_LABELS),
    }
    if options.out is not None:
        write_table(outcomes, options.out, metadata)
    trace, trace_path = options.trace, options.trace_path
    if trace is not None and trace_path is not None:  # both or neither (RunOptions.trace_path)
        traces = [
            pd.DataFrame({"strategy": name, **trace_world(to_params(source.scenario, 1), strat, trace, options.seed)})
            for name, strat in chosen.items()
        ]
        write_table(pd.concat(traces, ignore_index=True), trace_path, metadata, option="trace_out")
    return result
