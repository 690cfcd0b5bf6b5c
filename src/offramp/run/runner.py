"""Running a scenario: every strategy on the same worlds, in chunks, to an outcome table.

Choices
-------
1. Worlds run in chunks of ``chunk_size``; every strategy runs on the same chunk with the
   same streams (common random numbers). A world's numbers depend only on the seed and
   its index, so results do not depend on the chunk size.
2. A chunk stops early when all its worlds have ended (ended worlds are frozen anyway).
3. One row per (strategy, world) describes itself: strategy, world, seed, then outcomes.
   Human costs stay in separate columns.
4. Direct conflict never makes a cost look better. A world that ends in direct conflict
   is charged war deaths to the horizon at the full-intensity rate (``war_deaths_per_week``,
   the most any week of the war can kill, ``war`` choice 5): a war widened to the coercer
   kills at least that. Its periphery casualties and its blowback are censored (NaN):
   what the regions suffer, and who is armed there, in a great-power war is outside the
   model, and no number the model could give would be a bound (carrying the organised
   opposition's decay to the horizon would make direct conflict look cleaner). The
   ``direct_conflict`` column marks these worlds.
5. Blowback (``residual_armed_<region>``) is measured at the horizon, not at the week a
   world ended: after the end no support flows, so organised capacity decays at
   ``opposition_decay`` a week until the horizon, and the armed share is read then.
   Strategies that end worlds early do not look cleaner by construction.
6. ``settled_as_best``: for a settlement, whether settling had the highest value that
   week (the tremble did not make it); False for every other end.
7. ``threads`` is how a batch is run (the unrest engine splits its grids between that
   many threads), not a model parameter: a keyword of the runner, never in ``params``,
   and no result depends on it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields

import numpy as np

from offramp.model.coercer import Strategy
from offramp.model.leader import Action
from offramp.model.periphery import armed_share
from offramp.model.world import (
    Outcome,
    WeekRecord,
    WorldParams,
    WorldState,
    WorldStreamSet,
    init_world,
    step_world,
)

__all__ = ["OUTCOME_LABELS", "run_worlds", "outcome_rows", "trace_world", "CampaignRun"]

OUTCOME_LABELS = tuple(outcome.label for outcome in Outcome)


@dataclass(frozen=True, slots=True)
class CampaignRun:
    """The outcome table of a run and what it came from.

    Attributes
    ----------
    outcomes : pandas.DataFrame
        One row per (strategy, world).
    seed : int
    scenario_hash : str
    scenario_name : str
    regions : tuple of str
    strategies : tuple of str
    """

    outcomes: object
    seed: int
    scenario_hash: str
    scenario_name: str
    regions: tuple[str, ...]
    strategies: tuple[str, ...]


def run_worlds(
    params: WorldParams,
    strategy: Strategy,
    strategy_name: str,
    worlds: Sequence[int] | np.ndarray,
    seed: int,
    on_week: Callable[[int], None] | None = None,
    *,
    threads: int = 1,
) -> dict[str, np.ndarray]:
    """Run worlds with one strategy to the horizon and return their outcome columns.

    Worlds that have ended are set aside as the run goes (choice 2): once a fifth of
    the batch has ended, the batch is cut down to the worlds still going, so the cost
    follows the worlds that remain. Each world's numbers depend only on (seed, index),
    so this changes no result.

    Parameters
    ----------
    params : WorldParams
        The parameters of the whole batch, one world per entry of ``worlds`` (per-world
        values in that order), e.g. ``to_params(scenario, len(worlds))``; cutting the
        batch down takes their rows (:meth:`WorldParams.take`).
    strategy : Strategy
    strategy_name : str
    worlds : sequence of int
        World indices (their place in the run).
    seed : int
    on_week : callable, optional
        Called with the number of worlds simulated after each week (progress).
    threads : int
        Threads the unrest engine splits the batch's grids between (choice 7; >= 1).

    Returns
    -------
    dict of str to array
        :func:`outcome_rows`'s columns, in the order of ``worlds``.

    Raises
    ------
    ValueError
        Per-world parameters for another number of worlds than ``worlds``.
    """
    worlds = np.asarray(worlds, np.int64)
    _check_batch(params, worlds.size)
    rows = np.arange(worlds.size)
    streams = WorldStreamSet.for_worlds(seed, worlds)
    state = init_world(params, streams)
    finished: list[tuple[np.ndarray, dict[str, np.ndarray]]] = []
    for _ in range(params.horizon_weeks):
        state, _ = step_world(state, params, strategy, streams, threads=threads)
        if on_week is not None:
            on_week(rows.size)
        is_done = state.is_done
        if is_done.all():
            break
        if is_done.sum() * 5 >= rows.size:
            finished.append(
                (
                    rows[is_done],
                    outcome_rows(state.take(is_done), params.take(is_done), strategy_name, worlds[rows[is_done]], seed),
                )
            )
            going = ~is_done
            rows, state, streams, params = rows[going], state.take(going), streams.take(going), params.take(going)
    finished.append((rows, outcome_rows(state, params, strategy_name, worlds[rows], seed)))
    order = np.argsort(np.concatenate([r for r, _ in finished]), kind="stable")
    return {name: np.concatenate([c[name] for _, c in finished])[order] for name in finished[0][1]}


def _check_batch(params: WorldParams, n_worlds: int) -> None:
    """Per-world parameters must be for ``n_worlds`` worlds (shared ones fit any batch)."""
    found = params.n_worlds
    if found is not None and found != n_worlds:
        raise ValueError(f"params: per-world values for {found} worlds, but {n_worlds} worlds to run")


def outcome_rows(
    state: WorldState, params: WorldParams, strategy_name: str, worlds: np.ndarray, seed: int
) -> dict[str, np.ndarray]:
    """The outcome columns of a finished batch (choice 3).

    Parameters
    ----------
    state : WorldState
        The batch's final state (ended worlds frozen at their end).
    params : WorldParams
        The batch's parameters.
    strategy_name : str
    worlds : int64 (B,)
        World indices of the batch's rows.
    seed : int

    Returns
    -------
    dict of str to array
        Columns of equal length B.
    """
    n_worlds = np.asarray(worlds).size
    tallies = state.tallies
    outcome = state.outcome.astype(np.int64)
    weeks_run = np.where(state.end_week > 0, state.end_week, state.week)
    weeks_left = params.horizon_weeks - weeks_run
    is_conflict = outcome == Outcome.DIRECT_CONFLICT
    # Choice 4: direct conflict is charged the war's full-intensity rate to the horizon.
    full_rate = np.broadcast_to(np.asarray(params.war.war_deaths_per_week, np.float64), (n_worlds,))
    war_deaths = state.war.deaths + np.where(is_conflict, full_rate * weeks_left, 0.0)
    casualties = np.where(is_conflict[:, None], np.nan, tallies.periphery_casualties)
    # Choice 5: no support after the end; organised capacity decays to the horizon.
    decay = np.broadcast_to(np.asarray(params.periphery.opposition_decay, np.float64), (n_worlds,))
    at_horizon = state.periphery.opposition * ((1.0 - decay) ** weeks_left)[:, None]
    armed = np.where(is_conflict[:, None], np.nan, armed_share(at_horizon, params.periphery))
    settled_as_best = (outcome == Outcome.SETTLEMENT) & state.leader.is_best
    columns: dict[str, np.ndarray] = {
        "strategy": np.full(n_worlds, strategy_name, dtype=object),
        "world": np.asarray(worlds, np.int64),
        "seed": np.full(n_worlds, seed, np.int64),
        "outcome": np.array(OUTCOME_LABELS, dtype=object)[outcome],
        "end_week": weeks_run.astype(np.int64),
        "settled_as_best": settled_as_best,
        "war_deaths": war_deaths,
        "periphery_casualties": casualties.sum(axis=1),
        "direct_conflict": state.escalation.is_direct_conflict.copy(),
        "peak_tension": tallies.peak_tension,
        "purges": tallies.purges,
        "defections": tallies.defections,
        "attributions": tallies.attributions,
        "contacts": tallies.contacts,
        "exposures": tallies.exposures,
        "escalations": tallies.escalations,
        "coup_attempts": tallies.coup_attempts,
        "final_war_score": state.war.score,
        "final_war_capacity": state.war.capacity,
        "final_belief": state.leader.belief,
    }
    for k, name in enumerate(params.regions.names):
        columns[f"peak_unrest_{name}"] = tallies.peak_unrest[:, k]
        columns[f"mean_unrest_{name}"] = tallies.unrest_sum[:, k] / np.maximum(weeks_run, 1)
        columns[f"casualties_{name}"] = casualties[:, k]
        columns[f"residual_armed_{name}"] = armed[:, k]
    return columns


def trace_world(params: WorldParams, strategy: Strategy, world: int, seed: int) -> dict[str, list]:
    """The weekly trajectory of one world: every state variable, week by week.

    The world runs alone (B = 1); by batch invariance it is the same world as in any run.

    Parameters
    ----------
    params : WorldParams
        The parameters of that one world, e.g. ``to_params(scenario, 1)``.
    strategy : Strategy
    world : int
        The world's index (its place in the run).
    seed : int

    Returns
    -------
    dict of str to list
        Columns: week, then one column per scalar state variable and per region.

    Raises
    ------
    ValueError
        Per-world parameters for more than one world.
    """
    _check_batch(params, 1)
    streams = WorldStreamSet.for_worlds(seed, [world])
    state = init_world(params, streams)
    names = params.regions.names
    columns: dict[str, list] = {}

    def add(name: str, value: object) -> None:
        columns.setdefault(name, []).append(value)

    for _ in range(params.horizon_weeks):
        was_done = bool(state.is_done[0])
        state, record = step_world(state, params, strategy, streams)
        if was_done:
            break
        add("week", state.week)
        add("outcome", OUTCOME_LABELS[int(state.outcome[0])])
        _trace_record(record, names, add)
        for field in fields(state.leader):
            value = getattr(state.leader, field.name)[0]
            if np.ndim(value) == 0:
                add(f"leader_{field.name}", Action(int(value)).name.lower() if field.name == "action" else float(value))
        add("tension", float(state.escalation.tension[0]))
        add("defected_share_end", float(state.inner_circle.defected_share[0]))
        for k, name in enumerate(names):
            add(f"security_allocation_{name}", float(state.leader.security_allocation[0, k]))
        add("war_deaths_total", float(state.war.deaths[0]))
    return columns


def _trace_record(record: WeekRecord, names: tuple[str, ...], add: Callable[[str, object], None]) -> None:
    levers = record.levers
    for lever in ("sanctions", "concessions", "information", "outreach"):
        add(f"lever_{lever}", float(getattr(levers, lever)[0]))
    for k, name in enumerate(names):
        add(f"lever_covert_support_{name}", float(levers.covert_support[0, k]))
        for field in ("legitimacy", "opposition", "unrest", "casualties"):
            add(f"{field}_{name}", float(getattr(record, field)[0, k]))
        add(f"police_on_duty_{name}", int(record.police_on_duty[0, k]))
        add(f"arrests_{name}", int(record.arrests[0, k]))
        add(f"attributions_{name}", int(record.attributions[0, k]))
    for field in ("contacts", "exposures", "defections", "purges", "coup_attempts"):
        add(field, int(getattr(record, field)[0]))
    for field in (
        "defected_share",
        "rents",
        "economic_pain",
        "war_score",
        "war_capacity",
        "war_deaths",
        "belief",
        "hazard",
    ):
        add(field, float(getattr(record, field)[0]))
    for action in Action:
        add(f"value_{action.name.lower()}", float(record.values[0, action]))
        add(f"p_{action.name.lower()}", float(record.probabilities[0, action]))
