"""The conformance suite (STYLE.md, "Contract suite over the registry") for the coupled
model, :func:`offramp.model.world.step_world`, and for the periphery's step functions.

``step_world`` takes a strategy and a :class:`WorldStreamSet` (one stream per submodel)
rather than the ``(state, params, drivers, streams)`` of a submodel, and its grids carry
B * K rows (world-major), so the checks of ``tests/conformance.py`` are composed here
with a row selector that understands both axes. The periphery functions are pure and
draw nothing; they are composed into one week-step and run through ``check_step``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from conformance import (
    array_digest,
    assert_structure_kept,
    assert_trees_equal,
    check_documented_parameters,
    check_step,
    documented_parameters,
    leaves,
    permutation,
    take_rows,
)

from offramp.model import periphery as periphery_module
from offramp.model.coercer import AdaptiveRule, PaceRegulator, StaticSchedule
from offramp.model.periphery import (
    PeripheryDrivers,
    PeripheryParams,
    PeripheryState,
    init_periphery,
    organisation_effects,
    police_on_duty,
    step_legitimacy,
    step_opposition,
    step_uprising,
    war_deaths,
    weekly_casualties,
)
from offramp.model.world import Outcome, WorldState, WorldStreamSet, init_world, step_world
from offramp.run.runner import outcome_rows, run_worlds
from offramp.model.streams import Stream, WorldStreams
from offramp.scenario.load import load_scenario
from offramp.scenario.translate import build_strategies, to_params

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
QUICK = load_scenario(SCENARIOS / "quick.toml").scenario
K = len(QUICK.regions)
B = 64  # differs from K (2), E (12), H = W (12) and B * K (128): no axis is mistaken for B
SEED = 2022
N_WEEKS = 5


def _overrides(n_worlds: int) -> dict[str, np.ndarray]:
    """Per-world values of parameters in every section, regions included, spread across
    their ranges so that worlds differ in parameters as well as in streams."""
    spread = lambda low, high: np.linspace(low, high, n_worlds)  # noqa: E731
    return {
        "leader.emboldening": spread(0.0, 0.2),
        "leader.money_weight": spread(0.5, 0.1),
        "leader.desperation": spread(0.5, 4.0),
        "periphery.information_effect": spread(0.0, 0.03),
        "periphery.opposition_growth": spread(0.0, 0.08),
        "inner_circle.exposure_probability": spread(0.05, 0.6),
        "inner_circle.purge_rate": spread(0.3, 0.02),
        "escalation.tension_hazard": spread(0.0, 0.02),
        "escalation.attribution_rate": spread(0.01, 0.5),
        "unrest.arrest_constant": spread(1.0, 4.0),
        "regions.periphery.base_legitimacy": spread(0.6, 0.85),
        "regions.core.hardship_scale": spread(0.5, 1.0),
    }


def _strategy(n_worlds: int) -> PaceRegulator:
    """Every lever on, with per-world strategy parameters (they must travel too), under
    a pace regulator whose ceilings differ per world."""
    spread = lambda low, high: np.linspace(low, high, n_worlds)  # noqa: E731
    inner = AdaptiveRule(
        sanctions_initial=spread(0.1, 0.5), sanctions_step_per_week=0.02, sanctions_cap=0.9,
        concessions=spread(0.0, 0.3), information=0.6, covert_support=spread(0.3, 1.0),
        covert_unrest_trigger=0.0, covert_regions=(True, False), outreach=spread(0.2, 1.0),
    )
    return PaceRegulator(inner=inner, tension_ceiling=spread(0.2, 1.5), paranoia_ceiling=0.5, throttle=0.25)


def take_worlds(tree, rows, n_worlds: int, n_regions: int = K):
    """``tree`` restricted to the worlds ``rows``: arrays with a leading axis of B are
    indexed by world, the grids' (B * K) rows (world-major) by world and region."""
    rows = np.asarray(rows)
    grid_rows = (rows[:, None] * n_regions + np.arange(n_regions)).ravel()
    return take_rows(take_rows(tree, grid_rows, n_worlds * n_regions), rows, n_worlds)


def _run(state, params, strategy, streams, n_weeks=N_WEEKS):
    """(state, record) after each of ``n_weeks`` weeks."""
    out = []
    for _ in range(n_weeks):
        state, record = step_world(state, params, strategy, streams)
        out.append((state, record))
    return out


def _start(params, worlds, seed=SEED):
    streams = WorldStreamSet.for_worlds(seed, worlds, params.regions.count)
    return init_world(params, streams), streams


@pytest.fixture(scope="module")
def batch():
    """B worlds with swept parameters and a swept strategy, and their first weeks."""
    params = to_params(QUICK, B, overrides=_overrides(B))
    strategy = _strategy(B)
    state, streams = _start(params, np.arange(B))
    return params, strategy, state, _run(state, params, strategy, streams)


def test_state_structure_is_as_documented(batch):
    """The state's arrays have a leading world axis (B, or B * K for the grids)."""
    _, _, state, _ = batch
    for path, leaf in leaves(state):
        if isinstance(leaf, np.ndarray):
            expected = B * K if path.startswith(".grids") else B
            assert leaf.shape[0] == expected, f"{path}: leading axis {leaf.shape[0]} != {expected}"
    assert state.outcome.dtype == np.int8 and state.end_week.dtype == np.int64
    assert state.periphery.legitimacy.shape == (B, K) and state.grids.status.shape == (B * K, 12, 12)


def test_shapes_and_dtypes_kept(batch):
    """Every array of the state keeps its dtype and shape week after week; records too."""
    _, _, state, weeks = batch
    first_record = weeks[0][1]
    for new_state, record in weeks:
        assert_structure_kept(state, new_state, "step_world state")
        assert_structure_kept(first_record, record, "step_world record")
    assert [s.week for s, _ in weeks] == list(range(1, N_WEEKS + 1))


def test_inputs_not_mutated():
    """Digests of every array of state (grids, nested dataclasses, tallies), params and
    strategy are the same after stepping; the generators are the only thing that moves."""
    params = to_params(QUICK, B, overrides=_overrides(B))
    strategy = _strategy(B)
    state, streams = _start(params, np.arange(B))
    before = array_digest((state, params, strategy))
    # Hash the grids alone too, so that a failure names them.
    grids_before = array_digest(state.grids)
    _run(state, params, strategy, streams)
    assert array_digest(state.grids) == grids_before, "step_world mutated the unrest grids"
    assert array_digest((state, params, strategy)) == before, "step_world mutated its inputs"


def test_identical_streams_identical_output(batch):
    """Fresh streams from the same seed reproduce every state and record exactly; another
    seed does not (so the comparison can fail)."""
    params, strategy, _, weeks = batch
    state, streams = _start(params, np.arange(B))
    assert_trees_equal(_run(state, params, strategy, streams), weeks, "step_world rerun")
    other, other_streams = _start(params, np.arange(B), seed=SEED + 1)
    again = _run(other, params, strategy, other_streams)
    assert array_digest(again[-1][0].grids) != array_digest(weeks[-1][0].grids)


@pytest.mark.parametrize("world", [0, B // 2, B - 1])
def test_world_alone_equals_world_in_batch(batch, world):
    """World i run alone (B = 1) with its own parameter values, selected two ways (rows
    of the batch's params, and ``to_params`` with one-world overrides), matches its row
    of the B = 64 run exactly."""
    params, strategy, _, weeks = batch
    expected = take_worlds(weeks, [world], B)
    alone_overrides = {path: values[[world]] for path, values in _overrides(B).items()}
    for alone_params in (take_worlds(params, [world], B), to_params(QUICK, 1, overrides=alone_overrides)):
        state, streams = _start(alone_params, [world])
        got = _run(state, alone_params, take_worlds(strategy, [world], B), streams)
        assert_trees_equal(got, expected, f"world {world} alone")


def test_permuted_batch(batch):
    """The batch in permuted order (parameters and strategy values permuted with their
    worlds) gives the permuted rows of the original run."""
    params, strategy, _, weeks = batch
    order = permutation(B)
    assert not np.array_equal(order, np.arange(B))
    state, streams = _start(take_worlds(params, order, B), order)
    got = _run(state, take_worlds(params, order, B), take_worlds(strategy, order, B), streams)
    assert_trees_equal(got, take_worlds(weeks, order, B), "permuted batch")


def test_sub_batches_equal_the_whole(batch):
    """Two chunks (worlds 0..39 and 40..63) together give the whole run."""
    params, strategy, _, weeks = batch
    for rows in (np.arange(40), np.arange(40, B)):
        sub_params = take_worlds(params, rows, B)
        state, streams = _start(sub_params, rows)
        got = _run(state, sub_params, take_worlds(strategy, rows, B), streams)
        assert_trees_equal(got, take_worlds(weeks, rows, B), f"chunk {rows[0]}..{rows[-1]}")


def test_swept_parameters_matter(batch):
    """The batch-invariance checks are not vacuous: world 0 run with world 63's parameter
    values differs from world 0 run with its own."""
    params, strategy, _, weeks = batch
    swapped = take_worlds(params, [B - 1], B)
    state, streams = _start(swapped, [0])
    got = _run(state, swapped, take_worlds(strategy, [0], B), streams)
    assert array_digest(got) != array_digest(take_worlds(weeks, [0], B))


def _frozen_fields(state: WorldState) -> WorldState:
    """The state without the batch's week counter (the one thing that moves for all)."""
    return dataclasses.replace(state, week=0)


def test_ended_worlds_stay_frozen():
    """Once a world's outcome is not ONGOING, no field of it changes: grids, periphery,
    inner circle, leader, escalation, tallies, outcome and end week. Parameters are set
    so that worlds end by every route early and at different weeks."""
    n_worlds, n_weeks = 96, 26
    overrides = {
        "escalation.baseline_hazard": np.linspace(0.0, 0.08, n_worlds),  # direct conflict
        "leader.face_saving": np.linspace(0.0, 2.0, n_worlds),  # settlement
        "inner_circle.coup_probability": np.linspace(0.0, 1.0, n_worlds),
    }
    params = to_params(QUICK, n_worlds, overrides=overrides)
    strategy = build_strategies(QUICK, ["full_pressure"])["full_pressure"]
    state, streams = _start(params, np.arange(n_worlds))
    ended_at = np.zeros(n_worlds, np.int64)
    snapshot: dict[int, WorldState] = {}
    checked = 0
    for week in range(1, n_weeks + 1):
        was_done = state.is_done.copy()
        state, _ = step_world(state, params, strategy, streams)
        for i in np.flatnonzero(state.is_done & ~was_done):
            ended_at[i] = week
            snapshot[i] = _frozen_fields(take_worlds(state, [i], n_worlds))
            assert state.end_week[i] == week and state.outcome[i] != Outcome.ONGOING
        for i in np.flatnonzero(was_done):
            assert_trees_equal(_frozen_fields(take_worlds(state, [i], n_worlds)), snapshot[i], f"world {i} week {week}")
            checked += 1
    # Not vacuous: many worlds ended, at many different weeks, by more than one route.
    ended = ended_at > 0
    assert ended.sum() >= n_worlds // 4, f"only {ended.sum()} worlds ended"
    assert np.unique(ended_at[ended]).size >= 5
    assert np.unique(state.outcome[ended]).size >= 2
    assert checked >= 100
    assert np.all(state.end_week[~ended] == 0)


def test_runner_setting_ended_worlds_aside_changes_nothing():
    """``run_worlds`` cuts ended worlds out of the batch as it goes; its outcome columns
    equal those of stepping the whole batch to the horizon (ended worlds frozen), and do
    not depend on the chunk the worlds run in."""
    n_worlds = 48
    params_for = lambda rows: to_params(QUICK, len(rows))  # noqa: E731
    strategy = build_strategies(QUICK, ["full_pressure"])["full_pressure"]
    got = run_worlds(params_for, strategy, "full_pressure", np.arange(n_worlds), SEED)
    params = params_for(np.arange(n_worlds))
    state, streams = _start(params, np.arange(n_worlds))
    for _ in range(params.horizon_weeks):
        state, _ = step_world(state, params, strategy, streams)
    expected = outcome_rows(state, params, "full_pressure", np.arange(n_worlds), SEED)
    assert np.count_nonzero(expected["outcome"] != "ongoing") >= n_worlds // 10  # worlds were set aside
    assert list(got) == list(expected)
    for name in expected:
        np.testing.assert_array_equal(got[name], expected[name], err_msg=name)
    tail = run_worlds(params_for, strategy, "full_pressure", np.arange(30, n_worlds), SEED)
    for name in expected:
        np.testing.assert_array_equal(tail[name], expected[name][30:], err_msg=f"chunk 30.., {name}")


def test_step_world_documents_its_parameters():
    """The docstrings of step_world and init_world list exactly their arguments."""
    check_documented_parameters(step_world)
    check_documented_parameters(init_world)


# --- periphery ---------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class _PeripheryInputs:
    """What the periphery's functions read in a week besides their state (B rows)."""

    coupling: PeripheryDrivers
    police: np.ndarray  # int64 (B, K)
    force_factor: np.ndarray  # float64 (B, K)
    active: np.ndarray  # float64 (B, K), a count
    arrests: np.ndarray  # int64 (B, K)
    unrest: np.ndarray  # float64 (B, K)


def _step_periphery(state: PeripheryState, params, drivers: _PeripheryInputs, streams: WorldStreams):
    """The periphery's part of a week (world.py step 2, without the grids), composed from
    the module's pure functions in the order step_world calls them."""
    regions, periphery = params
    legitimacy = step_legitimacy(state.legitimacy, regions, periphery, drivers.coupling)
    opposition = step_opposition(state.opposition, periphery, drivers.coupling.covert_support)
    threshold, risk_factor = organisation_effects(opposition, periphery)
    on_duty = police_on_duty(drivers.police, drivers.force_factor, periphery)
    casualties = weekly_casualties(drivers.active, drivers.arrests, opposition, periphery)
    uprising_weeks, is_uprising = step_uprising(state.uprising_weeks, drivers.unrest, regions, periphery)
    deaths = war_deaths(1.0 - drivers.coupling.war_cost, periphery)
    new_state = PeripheryState(legitimacy=legitimacy, opposition=opposition, uprising_weeks=uprising_weeks)
    return new_state, (threshold, risk_factor, on_duty, casualties, is_uprising, deaths)


def _periphery_inputs():
    draws = WorldStreams.for_worlds(SEED, range(B), Stream.REGION_COUPLING, 99).uniform((8, K))
    params = to_params(QUICK, B, overrides=_overrides(B))
    swept = dataclasses.replace(
        params.periphery,
        opposition_decay=np.linspace(0.0, 0.1, B),
        arming_level=np.linspace(0.05, 0.9, B),
        duty_share=np.linspace(0.3, 1.0, B),
        uprising_level=np.linspace(0.05, 0.5, B),
    )
    state = PeripheryState(
        legitimacy=draws[:, 0], opposition=draws[:, 1], uprising_weeks=(draws[:, 2] * 5).astype(np.int64)
    )
    police = (draws[:, 3] * 20).astype(np.int64)
    inputs = _PeripheryInputs(
        coupling=PeripheryDrivers(
            information=draws[:, 4, 0], covert_support=draws[:, 5], war_cost=draws[:, 6, 0],
            arrested_share=draws[:, 7] * 0.1,
        ),
        police=police,
        force_factor=draws[:, 4] * 2,
        active=np.floor(draws[:, 5] * 50),
        arrests=(draws[:, 6] * 5).astype(np.int64),
        unrest=draws[:, 7],
    )
    return state, (params.regions, swept), inputs


def test_periphery_conformance():
    """Shapes/dtypes kept, inputs untouched, reproducible, batch invariant, with swept
    region tables (B, K) and swept coupling parameters (B,)."""
    check_step(_step_periphery, *_periphery_inputs(), Stream.REGION_COUPLING, seed=SEED)


def test_periphery_from_init_keeps_structure():
    """init_periphery's state has the documented dtypes and survives a step unchanged in
    structure; legitimacy and opposition stay in [0, 1] even with extreme drivers."""
    _, params, inputs = _periphery_inputs()
    state = init_periphery(params[0], B)
    assert state.legitimacy.dtype == np.float64 and state.uprising_weeks.dtype == np.int64
    extreme = dataclasses.replace(
        inputs,
        coupling=PeripheryDrivers(
            information=np.ones(B), covert_support=np.ones((B, K)), war_cost=np.ones(B),
            arrested_share=np.ones((B, K)),
        ),
    )
    for _ in range(30):
        new_state, _ = _step_periphery(state, params, extreme, None)
        assert_structure_kept(state, new_state, "periphery")
        state = new_state
    assert np.all((state.legitimacy >= 0) & (state.legitimacy <= 1))
    assert np.all((state.opposition >= 0) & (state.opposition <= 1))
    assert state.legitimacy.min() == 0.0  # the clip binds: the bound test is not vacuous


def test_periphery_documented_parameters():
    """Where a periphery function documents its parameters, the list equals the signature."""
    documented = [f for f in (periphery_module.init_periphery, step_legitimacy, police_on_duty, weekly_casualties)
                  if documented_parameters(f)]
    assert len(documented) == 4
    for function in documented:
        check_documented_parameters(function)


def test_static_strategy_through_step_world():
    """A static schedule (scalar strategy, no per-world arrays) is batch invariant too."""
    params = to_params(QUICK, B)
    strategy = StaticSchedule(sanctions=((0.0, 0.1), (10.0, 0.9)), outreach=((0.0, 0.5),), covert_support=(((0.0, 0.4),),))
    state, streams = _start(params, np.arange(B))
    full = _run(state, params, strategy, streams, n_weeks=3)
    i = 17
    alone = take_worlds(params, [i], B)
    state, streams = _start(alone, [i])
    assert_trees_equal(_run(state, alone, strategy, streams, n_weeks=3), take_worlds(full, [i], B), "static alone")
