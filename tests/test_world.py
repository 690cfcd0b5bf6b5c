"""The conformance suite (STYLE.md, "Contract suite over the registry") for the coupled
model, :func:`offramp.model.world.step_world`, and for the periphery's step functions.

``step_world`` takes a strategy and a :class:`WorldStreamSet` (one stream per submodel)
rather than the ``(state, params, drivers, streams)`` of a submodel, and its grids carry
B * K rows (world-major), so the checks of ``tests/conformance.py`` are composed here
with a row selector that understands both axes (``take_worlds``, written apart from the
model's ``WorldParams.take`` / ``WorldState.take`` so that each checks the other). The
regions' week (``world._run_regions``: the periphery and its grids) is a step of its own
and runs through ``check_step``.
"""

from __future__ import annotations

import dataclasses
import itertools
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

from offramp.model.coercer import SHIPPED_STRATEGIES, AdaptiveRule, Levers, Observation, PaceRegulator, StaticSchedule
from offramp.model.leader import Action
from offramp.model.periphery import (
    PeripheryParams,
    PeripheryState,
    armed_share,
    init_periphery,
    legitimacy_band,
    police_on_duty,
    step_legitimacy,
    war_cost,
    weekly_casualties,
)
from offramp.model.streams import Stream, WorldStreams
from offramp.model.world import Outcome, WorldState, WorldStreamSet, _run_regions, init_world, step_world
from offramp.run.runner import outcome_rows, run_worlds, trace_world
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
    their ranges so that worlds differ in parameters as well as in streams (the
    coercer's observation lag too: its history is indexed per world)."""
    spread = lambda low, high: np.linspace(low, high, n_worlds)  # noqa: E731
    return {
        "leader.emboldening": spread(0.0, 0.2),
        "leader.money_weight": spread(0.5, 0.1),
        "leader.desperation": spread(0.5, 4.0),
        "leader.optimism": spread(-0.01, 0.02),
        "periphery.information_effect": spread(0.0, 0.03),
        "periphery.opposition_growth": spread(0.0, 0.08),
        "periphery.repression_effect": spread(-2.0, 3.0),
        "periphery.rally_effect": spread(0.0, 1.5),
        "inner_circle.exposure_probability": spread(0.05, 0.6),
        "inner_circle.purge_rate": spread(0.3, 0.02),
        "inner_circle.rent_cut": spread(0.2, 1.0),
        "inner_circle.coup_success": spread(0.2, 0.8),
        "war.opponent_capacity": spread(0.5, 1.2),
        "war.front_noise": spread(0.0, 0.05),
        "war.evasion_max": spread(0.0, 0.6),
        "escalation.tension_hazard": spread(0.0, 0.02),
        "escalation.attribution_rate": spread(0.01, 0.5),
        "coercer.observation_noise": spread(0.0, 0.2),
        "coercer.observation_lag": np.arange(n_worlds) % 4.0,
        "coercer.fatigue_rate": spread(0.0, 0.02),
        "unrest.arrest_constant": spread(1.0, 4.0),
        "regions.periphery.base_legitimacy": spread(0.6, 0.85),
        "regions.core.hardship_scale": spread(0.5, 1.0),
    }


def _strategy(n_worlds: int) -> PaceRegulator:
    """Every lever on, with per-world strategy parameters (they must travel too), under
    a pace regulator whose ceilings differ per world."""
    spread = lambda low, high: np.linspace(low, high, n_worlds)  # noqa: E731
    inner = AdaptiveRule(
        sanctions_initial=spread(0.1, 0.5),
        sanctions_step_per_week=0.02,
        sanctions_cap=0.9,
        concessions=spread(0.0, 0.3),
        information=0.6,
        covert_support=spread(0.3, 1.0),
        covert_unrest_trigger=0.0,
        covert_regions=(True, False),
        outreach=spread(0.2, 1.0),
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
    streams = WorldStreamSet.for_worlds(seed, worlds)
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
    for alone_params in (params.take([world]), to_params(QUICK, 1, overrides=alone_overrides)):
        state, streams = _start(alone_params, [world])
        got = _run(state, alone_params, take_worlds(strategy, [world], B), streams)
        assert_trees_equal(got, expected, f"world {world} alone")


def test_permuted_batch(batch):
    """The batch in permuted order (parameters and strategy values permuted with their
    worlds) gives the permuted rows of the original run."""
    params, strategy, _, weeks = batch
    order = permutation(B)
    assert not np.array_equal(order, np.arange(B))
    state, streams = _start(params.take(order), order)
    got = _run(state, params.take(order), take_worlds(strategy, order, B), streams)
    assert_trees_equal(got, take_worlds(weeks, order, B), "permuted batch")


def test_sub_batches_equal_the_whole(batch):
    """Two chunks (worlds 0..39 and 40..63) together give the whole run."""
    params, strategy, _, weeks = batch
    for rows in (np.arange(40), np.arange(40, B)):
        sub_params = params.take(rows)
        state, streams = _start(sub_params, rows)
        got = _run(state, sub_params, take_worlds(strategy, rows, B), streams)
        assert_trees_equal(got, take_worlds(weeks, rows, B), f"chunk {rows[0]}..{rows[-1]}")


def test_swept_parameters_matter(batch):
    """The batch-invariance checks are not vacuous: world 0 run with world 63's parameter
    values differs from world 0 run with its own."""
    params, strategy, _, weeks = batch
    swapped = params.take([B - 1])
    state, streams = _start(swapped, [0])
    got = _run(state, swapped, take_worlds(strategy, [0], B), streams)
    assert array_digest(got) != array_digest(take_worlds(weeks, [0], B))


def _frozen_fields(state: WorldState) -> WorldState:
    """The state without the batch's week counter (the one thing that moves for all)."""
    return dataclasses.replace(state, week=0)


def test_ended_worlds_stay_frozen():
    """Once a world's outcome is not ONGOING, no field of it changes: grids, periphery,
    inner circle, leader, war, escalation, observations, tallies, outcome and end week.
    Parameters are set so that worlds end by several routes and at different weeks."""
    n_worlds, n_weeks = 96, 26
    overrides = {
        "escalation.baseline_hazard": np.linspace(0.0, 0.08, n_worlds),  # direct conflict
        "leader.face_loss": np.linspace(2.0, 0.3, n_worlds),  # settlement
        "leader.settlement_risk": np.tile([0.8, 5.0], n_worlds // 2),
        "war.opponent_capacity": np.tile([0.3, 0.75, 1.5, 2.0], n_worlds // 4),  # military results
        "war.front_speed": np.full(n_worlds, 0.08),
        "inner_circle.threshold_mean": np.tile(np.linspace(0.1, 0.6, 8), n_worlds // 8),  # coups
        "inner_circle.purge_rate": np.full(n_worlds, 0.1),
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
            snapshot[i] = _frozen_fields(state.take([i]))
            assert state.end_week[i] == week and state.outcome[i] != Outcome.ONGOING
        for i in np.flatnonzero(was_done):
            assert_trees_equal(_frozen_fields(state.take([i])), snapshot[i], f"world {i} week {week}")
            checked += 1
    # Not vacuous: many worlds ended, at many different weeks, by several routes.
    ended = ended_at > 0
    assert ended.sum() >= n_worlds // 4, f"only {ended.sum()} worlds ended"
    assert np.unique(ended_at[ended]).size >= 5
    assert np.unique(state.outcome[ended]).size >= 4
    assert checked >= 100
    assert np.all(state.end_week[~ended] == 0)


def test_runner_setting_ended_worlds_aside_changes_nothing():
    """``run_worlds`` cuts ended worlds out of the batch as it goes (state, streams and
    per-world parameters alike); its outcome columns equal those of stepping the whole
    batch to the horizon (ended worlds frozen), and do not depend on the chunk the
    worlds run in."""
    n_worlds = 48
    params = to_params(QUICK, n_worlds, overrides=_overrides(n_worlds))
    strategy = build_strategies(QUICK, ["full_pressure"])["full_pressure"]
    got = run_worlds(params, strategy, "full_pressure", np.arange(n_worlds), SEED)
    state, streams = _start(params, np.arange(n_worlds))
    for _ in range(params.horizon_weeks):
        state, _ = step_world(state, params, strategy, streams)
    expected = outcome_rows(state, params, "full_pressure", np.arange(n_worlds), SEED)
    assert np.count_nonzero(expected["outcome"] != "ongoing") >= n_worlds // 10  # worlds were set aside
    assert list(got) == list(expected)
    for name in expected:
        np.testing.assert_array_equal(got[name], expected[name], err_msg=name)
    tail = run_worlds(params.take(np.arange(30, n_worlds)), strategy, "full_pressure", np.arange(30, n_worlds), SEED)
    for name in expected:
        np.testing.assert_array_equal(tail[name], expected[name][30:], err_msg=f"chunk 30.., {name}")


def test_runner_refuses_parameters_of_another_batch():
    """Per-world parameters for B worlds cannot run another number of worlds."""
    params = to_params(QUICK, 4)
    strategy = build_strategies(QUICK, ["full_pressure"])["full_pressure"]
    with pytest.raises(ValueError, match="per-world values for 4 worlds, but 3 worlds to run"):
        run_worlds(params, strategy, "full_pressure", np.arange(3), SEED)
    with pytest.raises(ValueError, match="per-world values for 4 worlds, but 1 worlds to run"):
        trace_world(params, strategy, 0, SEED)


def test_trace_is_the_world_of_the_run():
    """The trace of world i (run alone) ends where world i ends in a batch run."""
    strategy = build_strategies(QUICK, ["full_pressure"])["full_pressure"]
    columns = run_worlds(to_params(QUICK, 8), strategy, "full_pressure", np.arange(8), SEED)
    for world in (0, 5):
        trace = trace_world(to_params(QUICK, 1), strategy, world, SEED)
        assert trace["week"][-1] == columns["end_week"][world]
        assert trace["outcome"][-1] == columns["outcome"][world]
        assert trace["war_deaths_total"][-1] == columns["war_deaths"][world]


# --- taking worlds out of a batch ----------------------------------------------------


def test_taking_every_world_changes_nothing(batch):
    """Taking all rows (as indices or as a mask) gives the same parameters and state."""
    params, _, state, weeks = batch
    everyone = [np.arange(B), np.ones(B, bool)]
    for rows in everyone:
        assert_trees_equal(params.take(rows), params, "params")
        assert_trees_equal(state.take(rows), state, "initial state")
        assert_trees_equal(weeks[-1][0].take(rows), weeks[-1][0], "state after some weeks")


def test_take_agrees_with_an_independent_selector(batch):
    """``WorldParams.take`` and ``WorldState.take`` (the model's axis walker) pick the
    same rows as the test's shape-based ``take_worlds``, in permuted order, and a mask
    picks what its indices pick."""
    params, _, _, weeks = batch
    state = weeks[-1][0]
    order = permutation(B)[:23]
    assert_trees_equal(params.take(order), take_worlds(params, order, B), "params")
    assert_trees_equal(state.take(order), take_worlds(state, order, B), "state")
    assert state.take(order).grids.occupant.shape == (23 * K, 12, 12)
    mask = np.zeros(B, bool)
    mask[order] = True
    assert_trees_equal(state.take(mask), state.take(np.sort(order)), "mask")
    assert_trees_equal(params.take(mask), params.take(np.sort(order)), "mask")


def test_take_then_run_equals_run_then_take(batch):
    """Batch invariance through ``take``: worlds taken from the whole batch's initial
    state (with their streams) and run give the states of the whole run, taken."""
    params, strategy, _, weeks = batch
    rows = permutation(B)[:9]
    state, streams = _start(params, np.arange(B))
    got = _run(state.take(rows), params.take(rows), take_worlds(strategy, rows, B), streams.take(rows))
    for (got_state, got_record), (full_state, full_record) in zip(got, weeks, strict=True):
        assert_trees_equal(got_state, full_state.take(rows), "state")
        assert_trees_equal(got_record, take_worlds(full_record, rows, B), "record")


def test_shared_parameters_stay_shared():
    """A scalar parameter stays a scalar and a (K,) table stays (K,) when worlds are
    taken, even when K equals B (the fields declare their axes; shapes alone cannot
    tell a (K,) table from a (B,) sweep)."""
    params = to_params(QUICK, K)  # B = K = 2
    params = dataclasses.replace(params, leader=dataclasses.replace(params.leader, region_weights=np.array([0.5, 2.0])))
    taken = params.take([1])
    assert taken.periphery.arming_level == params.periphery.arming_level
    assert isinstance(taken.periphery.arming_level, float) and isinstance(taken.unrest.height, int)
    np.testing.assert_array_equal(taken.leader.region_weights, [0.5, 2.0])
    np.testing.assert_array_equal(taken.regions.is_core, params.regions.is_core)
    assert taken.regions.weight.shape == (1, K) and taken.unrest.citizen_density.shape == (K,)
    np.testing.assert_array_equal(taken.unrest.citizen_density, params.unrest.citizen_density[K:])
    assert (params.n_worlds, taken.n_worlds) == (K, 1)


def test_parameters_shared_by_all_worlds_fit_any_batch():
    """Parameters without a per-world value have no B and are their own subset."""
    params = to_params(QUICK, 3)
    regions = params.regions
    shared = dataclasses.replace(
        params,
        regions=dataclasses.replace(
            regions,
            **{
                name: getattr(regions, name)[0]
                for name in (
                    "weight",
                    "base_legitimacy",
                    "hardship_scale",
                    "citizen_density",
                    "police_density",
                    "max_jail_steps",
                )
            },
        ),
        unrest=dataclasses.replace(
            params.unrest, citizen_density=0.6, police_density=0.05, max_jail_steps=20, arrest_constant=2.3
        ),
        leader=dataclasses.replace(params.leader, region_weights=1.0),
    )
    assert shared.n_worlds is None
    assert shared.take([2, 0, 1, 1]) is shared


def test_take_refuses_a_misshapen_batch():
    """A per-world value whose leading axis is not B is an error, named by its field."""
    params = to_params(QUICK, 4, overrides={"leader.emboldening": np.linspace(0.0, 0.1, 4)})
    wrong = dataclasses.replace(params, leader=dataclasses.replace(params.leader, emboldening=np.zeros(5)))
    with pytest.raises(ValueError, match="disagree on the number of worlds"):
        wrong.take([0])
    state, _ = _start(params, np.arange(4))
    with pytest.raises(ValueError, match="outcome: leading axis 5 is not 4 worlds x 1"):
        dataclasses.replace(state, outcome=np.zeros(5, np.int8)).take([0])
    with pytest.raises(IndexError):
        state.take([4])


def test_step_world_documents_its_parameters():
    """The docstrings of step_world and init_world list exactly their arguments."""
    check_documented_parameters(step_world)
    check_documented_parameters(init_world)


# --- periphery ---------------------------------------------------------------------


def _regions_inputs() -> tuple[WorldState, object, Levers]:
    """A started batch whose coupling state (legitimacy, opposition, uprising counters,
    attributions and rally, last week's pain, sanctions, arrests, the war's capacity and
    deaths, and the police allocation) varies by world, with swept periphery parameters
    and per-world levers."""
    draws = WorldStreams.for_worlds(SEED, range(B), Stream.REGION_COUPLING, 99).uniform((10, K))
    overrides = {
        **_overrides(B),
        "periphery.opposition_decay": np.linspace(0.0, 0.1, B),
        "periphery.arming_level": np.linspace(0.05, 0.9, B),
        "periphery.duty_share": np.linspace(0.3, 1.0, B),
        "periphery.uprising_level": np.linspace(0.05, 0.5, B),
        "periphery.foreign_hand": np.linspace(0.0, 0.6, B),
        "periphery.fungible_share": np.linspace(0.0, 1.0, B),
    }
    params = to_params(QUICK, B, overrides=overrides)
    state, _ = _start(params, np.arange(B), seed=SEED + 7)
    allocation = draws[:, 6] + 0.1
    state = dataclasses.replace(
        state,
        periphery=PeripheryState(
            legitimacy=draws[:, 0],
            opposition=draws[:, 1],
            uprising_weeks=(draws[:, 2] * 5).astype(np.int64),
            is_attributed=draws[:, 9] < 0.3,
            rally=draws[:, 9, 0] * 0.2,
        ),
        economic_pain=draws[:, 3, 0],
        sanctions=draws[:, 9, 1],
        arrested_share=draws[:, 4] * 0.1,
        attributions=(draws[:, 2] < 0.2).astype(np.int64),
        war=dataclasses.replace(state.war, capacity=draws[:, 3, 1], deaths=draws[:, 5, 1] * 2e5),
        leader=dataclasses.replace(
            state.leader,
            diverted_share=draws[:, 5, 0] * 0.3,
            security_allocation=allocation / allocation.sum(axis=1, keepdims=True),
        ),
    )
    levers = Levers(
        sanctions=draws[:, 7, 0],
        concessions=draws[:, 7, 1],
        information=draws[:, 8, 0],
        covert_support=draws[:, 5],
        outreach=draws[:, 8, 1],
    )
    return state, params, levers


def test_regions_conformance():
    """The regions' week as step_world runs it (``_run_regions``): shapes/dtypes kept,
    inputs untouched, the same seed reproduces and another does not, batch invariant,
    with swept region tables (B, K), swept coupling parameters (B,) and K grids a world."""
    state, params, levers = _regions_inputs()
    check_step(_run_regions, state, params, levers, Stream.UNREST, seed=SEED, worlds=np.arange(B), take=take_worlds)
    # Not vacuous: the week moves legitimacy, arrests, kills, and completes uprisings.
    new_state, record = _run_regions(state, params, levers, WorldStreams.for_worlds(SEED, range(B), Stream.UNREST))
    assert not np.array_equal(new_state.periphery.legitimacy, state.periphery.legitimacy)
    assert not np.array_equal(new_state.periphery.rally, state.periphery.rally)
    assert record.arrests.sum() > 0 and record.casualties.sum() > 0
    assert 0 < record.is_uprising.sum() < B


@pytest.mark.parametrize("repression_effect", [10.0, -10.0], ids=["backlash", "deterrence"])
def test_regions_stay_in_their_band_under_extreme_drivers(repression_effect):
    """From the start of a campaign, with every lever, the war's cost and last week's
    arrests at their maximum and repression at either end of its signed range,
    legitimacy stays in its band [L0 - band, L0 + band] (within [0, 1]) week after week
    (no runaway: version 1 had none), opposition in [0, 1], the state keeps its structure,
    and legitimacy ends near the edge the drivers push it to (the band binds: the bound
    test is not vacuous)."""
    params = to_params(QUICK, B, overrides=_overrides(B))
    params = dataclasses.replace(
        params, periphery=dataclasses.replace(params.periphery, repression_effect=repression_effect)
    )
    state, streams = _start(params, np.arange(B))
    assert state.periphery.legitimacy.dtype == np.float64 and state.periphery.uprising_weeks.dtype == np.int64
    state = dataclasses.replace(
        state,
        economic_pain=np.ones(B),
        arrested_share=np.ones((B, K)),
        war=dataclasses.replace(state.war, capacity=np.zeros(B), deaths=np.full(B, 1e7)),
    )
    levers = Levers(np.ones(B), np.ones(B), np.ones(B), np.ones((B, K)), np.ones(B))
    low, high = legitimacy_band(params.regions, params.periphery, B)
    for _ in range(30):
        new_state, _ = _run_regions(state, params, levers, streams.unrest)
        assert_structure_kept(state, new_state, "regions")
        state = dataclasses.replace(new_state, sanctions=levers.sanctions)
        legitimacy = state.periphery.legitimacy
        assert np.all((legitimacy >= low) & (legitimacy <= high))
        assert np.all((state.periphery.opposition >= 0) & (state.periphery.opposition <= 1))
    band = params.periphery.legitimacy_band
    edge = low if repression_effect > 0 else high
    assert np.all(np.abs(state.periphery.legitimacy - edge) < 0.15 * band)


def test_war_cost_is_the_mean_of_pain_capacity_lost_and_weariness():
    """(M + (1 - W) + w) / 3 (periphery choice 2), in [0, 1]: 0 in peace, 1 at the worst."""
    pain = np.array([0.0, 1.0, 0.25, 0.5, 1.0])
    capacity = np.array([1.0, 0.0, 0.75, 0.5, 1.0])
    wear = np.array([0.0, 1.0, 0.5, 0.25, 0.5])
    np.testing.assert_allclose(war_cost(pain, capacity, wear), [0.0, 1.0, 1 / 3, 1.25 / 3, 0.5], rtol=1e-15)


def test_armed_share_above_the_arming_level():
    """(O - arming) / (1 - arming) in [0, 1] (periphery choice 4): none at or below the
    level, all at full organisation, and none at all when the level is 1."""
    opposition = np.array([[0.25, 0.5, 0.75, 1.0]] * 3)
    params = PeripheryParams(arming_level=np.array([0.5, 0.0, 1.0]))
    np.testing.assert_array_equal(
        armed_share(opposition, params), [[0.0, 0.0, 0.5, 1.0], [0.25, 0.5, 0.75, 1.0], [0.0, 0.0, 0.0, 0.0]]
    )
    # Casualties use the same share: clashes at half the armed share kill half as many.
    active, arrests = np.full((3, 4), 100.0), np.zeros((3, 4), np.int64)
    clashes = weekly_casualties(active, arrests, opposition, dataclasses.replace(params, armed_clash_deaths=0.5))
    np.testing.assert_array_equal(clashes, 50.0 * armed_share(opposition, params))


def test_outcome_rows_report_blowback_at_the_horizon_and_censor_direct_conflict():
    """Runner choices 4-5. ``residual_armed_<region>`` is blowback at the horizon: a world
    that ended early gets no more support, its organised capacity decays at
    ``opposition_decay`` a week for the weeks left, and the armed share is read then,
    with the worlds' own arming levels (they moved with the worlds when the batch was
    cut down). A world that ended in direct conflict has its periphery casualties and
    its blowback censored (NaN: no decay to the horizon makes it look cleaner) and is
    charged the war's full-intensity deaths for the weeks left; the ``direct_conflict``
    column marks exactly those worlds. A third of the worlds have a baseline conflict
    hazard of 0.08 a week and half of the others no face to lose in settling, so that
    worlds end early both ways; all outcomes are checked against the final state."""
    n_worlds = 24
    arming = np.linspace(0.0, 0.3, n_worlds)
    decay = np.linspace(0.01, 0.1, n_worlds)
    params = to_params(
        QUICK,
        n_worlds,
        overrides={
            "periphery.arming_level": arming,
            "periphery.opposition_growth": np.linspace(0.05, 0.2, n_worlds),
            "periphery.opposition_decay": decay,
            "escalation.baseline_hazard": np.tile([0.0, 0.0, 0.08], n_worlds // 3),
            "leader.face_loss": np.tile([0.5, 0.0], n_worlds // 2),
        },
    )
    strategy = build_strategies(QUICK, ["full_pressure"])["full_pressure"]
    state, streams = _start(params, np.arange(n_worlds))
    for _ in range(params.horizon_weeks):
        state, _ = step_world(state, params, strategy, streams)
    columns = outcome_rows(state, params, "full_pressure", np.arange(n_worlds), SEED)
    is_conflict = state.outcome == Outcome.DIRECT_CONFLICT
    weeks_left = np.where(state.end_week > 0, params.horizon_weeks - state.end_week, 0)
    at_horizon = state.periphery.opposition * (1.0 - decay[:, None]) ** weeks_left[:, None]
    expected = np.clip((at_horizon - arming[:, None]) / (1.0 - arming[:, None]), 0.0, 1.0)
    expected[is_conflict] = np.nan
    casualties = np.where(is_conflict[:, None], np.nan, state.tallies.periphery_casualties)
    for k, name in enumerate(QUICK.region_names):
        np.testing.assert_allclose(columns[f"residual_armed_{name}"], expected[:, k], rtol=1e-14, atol=0)
        np.testing.assert_array_equal(columns[f"casualties_{name}"], casualties[:, k])
    np.testing.assert_array_equal(columns["periphery_casualties"], casualties.sum(axis=1))
    np.testing.assert_array_equal(columns["direct_conflict"], is_conflict)
    full_rate = params.war.war_deaths_per_week
    np.testing.assert_allclose(
        columns["war_deaths"], state.war.deaths + np.where(is_conflict, full_rate * weeks_left, 0.0), rtol=1e-14
    )
    # Not vacuous: someone is armed; a world that ended early without direct conflict,
    # whose armed capacity decayed; a direct conflict that ended early, and one whose
    # casualties and armed share would have been numbers (so censoring changed them).
    assert np.nanmax(columns[f"residual_armed_{QUICK.region_names[0]}"]) > 0
    is_early = (state.end_week > 0) & (state.end_week < params.horizon_weeks)
    assert np.any(at_horizon[is_early & ~is_conflict] < state.periphery.opposition[is_early & ~is_conflict])
    assert np.any(is_early & is_conflict) and np.any(
        state.periphery.opposition[is_conflict] > arming[is_conflict, None]
    )
    assert np.any(state.tallies.periphery_casualties[is_conflict] > 0)


def test_periphery_documented_parameters():
    """Where a periphery function documents its parameters, the list equals the signature."""
    functions = (
        init_periphery,
        war_cost,
        step_legitimacy,
        police_on_duty,
        armed_share,
        weekly_casualties,
        _run_regions,
    )
    documented = [f for f in functions if documented_parameters(f)]
    assert len(documented) == len(functions)
    for function in documented:
        check_documented_parameters(function)


def test_static_strategy_through_step_world():
    """A static schedule (scalar strategy, no per-world arrays) is batch invariant too."""
    params = to_params(QUICK, B)
    strategy = StaticSchedule(
        sanctions=((0.0, 0.1), (10.0, 0.9)), outreach=((0.0, 0.5),), covert_support=(((0.0, 0.4),),)
    )
    state, streams = _start(params, np.arange(B))
    full = _run(state, params, strategy, streams, n_weeks=3)
    i = 17
    alone = params.take([i])
    state, streams = _start(alone, [i])
    assert_trees_equal(_run(state, alone, strategy, streams, n_weeks=3), take_worlds(full, [i], B), "static alone")


# --- how worlds end: precedence, and insider removal without outreach ------------------

# The events of a week in the order step_world runs them; the first one ends the world.
PRECEDENCE = (
    Outcome.UPRISING,
    Outcome.INSIDER_REMOVAL,
    Outcome.MILITARY_VICTORY,
    Outcome.MILITARY_DEFEAT,
    Outcome.SETTLEMENT,
    Outcome.DIRECT_CONFLICT,
)


def _every_combination_of_events() -> np.ndarray:
    """bool (48, 6): every set of events of PRECEDENCE that can happen in one week (a war
    is not won and lost at once), one world each."""
    rows = [flags for flags in itertools.product([False, True], repeat=len(PRECEDENCE)) if not (flags[2] and flags[3])]
    return np.array(rows)


def _forcing_params(happens: np.ndarray):
    """Parameters under which each world's events (``happens``, (B, 6)) happen for sure in
    its first week and no other event can: certain or impossible by construction, not by
    luck. Values outside the scenario's ranges are set on the model's parameters directly."""
    n_worlds = happens.shape[0]
    uprising, coup, victory, defeat, settlement, conflict = happens.T
    params = to_params(QUICK, n_worlds)
    on = lambda flags, yes, no: np.where(flags, yes, no).astype(np.float64)  # noqa: E731
    return dataclasses.replace(
        params,
        # An active share >= 0 every week counts toward an uprising; one week makes one.
        periphery=dataclasses.replace(params.periphery, uprising_level=on(uprising, 0.0, 2.0), uprising_weeks=1),
        # Every elite defects at once (thresholds 0); an attempt then always succeeds.
        inner_circle=dataclasses.replace(
            params.inner_circle,
            threshold_mean=0.0,
            threshold_spread=0.0,
            purge_rate=0.0,
            coup_attempt_rate=on(coup, 1.0, 0.0),
            coup_success=1.0,
        ),
        # A front that moves by the capacity gap and nothing else, past a decisive score
        # of 0.1 in one week for a full-strength side against none.
        war=dataclasses.replace(
            params.war,
            front_speed=1.0,
            front_noise=0.0,
            decisive_score=0.1,
            capacity_initial=on(victory, 1.0, on(defeat, 0.0, 0.75)),
            opponent_capacity=on(victory, 0.0, on(defeat, 2.0, 0.75)),
        ),
        # Best response (precision inf) between values that do not depend on the war:
        # settling is worth 2 - 0.8 Theta or -5 - 0.8 Theta, continuing -Theta, and
        # escalating -Theta - 1.
        leader=dataclasses.replace(
            params.leader,
            precision=np.inf,
            ideology_weight=0.0,
            desperation=0.0,
            face_loss=on(settlement, -2.0, 5.0),
        ),
        escalation=dataclasses.replace(
            params.escalation, baseline_hazard=on(conflict, np.inf, 0.0), tension_hazard=0.0
        ),
    )


def test_the_first_event_of_the_week_ends_the_world():
    """world.step choice 7: when several events happen in the same week, the first in the
    order the submodels ran (uprising, insider removal, a military result, settlement,
    direct conflict) is the outcome. Every combination of events, each forced to happen
    (or not) in week 1; with none, the world goes on. Only a world whose outcome is
    direct conflict is flagged as in direct conflict."""
    happens = _every_combination_of_events()
    n_worlds = happens.shape[0]
    params = _forcing_params(happens)
    state, streams = _start(params, np.arange(n_worlds))
    state, record = step_world(state, params, SHIPPED_STRATEGIES["nothing"], streams)
    first = np.where(happens.any(axis=1), np.argmax(happens, axis=1), -1)
    expected = np.where(first >= 0, np.array([int(o) for o in PRECEDENCE])[first], Outcome.ONGOING)
    np.testing.assert_array_equal(state.outcome, expected)
    np.testing.assert_array_equal(state.end_week, np.where(first >= 0, 1, 0))
    # The forcing works: each event that was to happen did (so the precedence decided);
    # a conflict hazard of 1 is an onset for sure (uniform draws are below 1).
    np.testing.assert_array_equal(record.hazard, happens[:, 5].astype(np.float64))
    np.testing.assert_array_equal(record.action == Action.OFFRAMP, happens[:, 4])
    np.testing.assert_array_equal(state.war.score >= 0.1, happens[:, 2])
    np.testing.assert_array_equal(state.war.score <= -0.1, happens[:, 3])
    np.testing.assert_array_equal(record.coup_attempts, happens[:, 1])
    # The escalation state's direct-conflict flag marks the worlds whose outcome is direct
    # conflict; an onset in a week an earlier event ended is not the world's conflict.
    np.testing.assert_array_equal(state.escalation.is_direct_conflict, expected == Outcome.DIRECT_CONFLICT)
    assert np.any(happens[:, 5] & (expected != Outcome.DIRECT_CONFLICT))


def test_insider_removal_without_outreach_in_the_coupled_model():
    """Version 1 reached insider removal only through outreach. With sanctions alone (the
    outreach lever off throughout, no contact ever made), a losing war and a circle whose
    thresholds are low (threshold mean 0.35) but within the shipped range, insiders
    remove the leader in some worlds."""
    n_worlds = 64
    values = {
        "war.opponent_capacity": 1.2,
        "war.decisive_score": 3.0,
        "leader.settlement_risk": 5.0,
        "leader.face_loss": 2.0,
        "inner_circle.threshold_mean": 0.35,
        "inner_circle.purge_rate": 0.1,
        "inner_circle.detection_rate": 0.01,
    }
    params = to_params(QUICK, n_worlds, overrides={path: np.full(n_worlds, v) for path, v in values.items()})
    params = dataclasses.replace(params, horizon_weeks=104)
    strategy = SHIPPED_STRATEGIES["sanctions_only"]
    columns = run_worlds(params, strategy, "sanctions_only", np.arange(n_worlds), SEED)
    assert np.all(columns["contacts"] == 0) and np.all(columns["exposures"] == 0)
    assert np.count_nonzero(columns["outcome"] == Outcome.INSIDER_REMOVAL.label) >= 5


# --- the coercer: the nothing strategy, and what it can see -----------------------------


@pytest.mark.parametrize("source", ["shipped", "quick.toml"])
def test_the_nothing_strategy_sets_every_lever_to_zero(source):
    """``nothing`` (the baseline of every comparison) sets every lever to 0 in every
    week and world, as applied by the coupling; nothing it could do happens: no
    sanctions in force, no pain, no contacts, no attributions."""
    strategy = SHIPPED_STRATEGIES["nothing"] if source == "shipped" else build_strategies(QUICK, ["nothing"])["nothing"]
    params = to_params(QUICK, B, overrides=_overrides(B))
    state, streams = _start(params, np.arange(B))
    for week in range(N_WEEKS):
        state, record = step_world(state, params, strategy, streams)
        for path, lever in leaves(record.levers):
            assert not lever.any(), f"week {week}: {path} is on"
    assert not state.sanctions.any() and not state.economic_pain.any()
    assert not state.tallies.contacts.any() and not state.tallies.attributions.any()


@dataclasses.dataclass(frozen=True)
class _Witness:
    """A strategy that keeps every observation it is shown, then acts as ``inner``."""

    inner: object
    seen: list = dataclasses.field(default_factory=list)

    def levers(self, observation: Observation) -> Levers:
        self.seen.append(observation)
        return self.inner.levers(observation)


def _observed_run(noise: float, lag: float, n_weeks: int = 8):
    """The full campaign for ``n_weeks`` with the coercer's noise and lag set; returns the
    observations the strategy was shown and the states at the start of each week."""
    params = to_params(QUICK, B, overrides=_overrides(B))
    params = dataclasses.replace(
        params, coercer=dataclasses.replace(params.coercer, observation_noise=noise, observation_lag=lag)
    )
    witness = _Witness(SHIPPED_STRATEGIES["full_pressure"])
    state, streams = _start(params, np.arange(B))
    states = [state]
    for _ in range(n_weeks):
        state, _ = step_world(state, params, witness, streams)
        states.append(state)
    return witness.seen, states


def _truth(state: WorldState) -> dict[str, np.ndarray]:
    """The true values of what the coercer observes, at the end of a week."""
    return {
        "tension": state.escalation.tension,
        "paranoia_estimate": state.leader.paranoia,
        "unrest": state.unrest,
        "defected_share": state.inner_circle.defected_share,
    }


@pytest.mark.parametrize("lag", [0, 2])
def test_without_noise_the_coercer_sees_the_truth_of_lag_weeks_before(lag):
    """Noise 0: in week t the strategy sees exactly what the world was at the end of week
    t - 1 - lag (week 0's values before that), in arrays of its own (it cannot reach into
    the state). Worlds that have ended are left out: they are frozen, and what the
    strategy does for them is never applied. The world moves, so the lag is visible."""
    seen, states = _observed_run(noise=0.0, lag=float(lag))
    for week, observation in enumerate(seen):
        assert observation.week == week
        is_going = ~states[week].is_done
        assert is_going.sum() >= B // 2
        for name, truth in _truth(states[max(week - lag, 0)]).items():
            got = getattr(observation, name)
            np.testing.assert_array_equal(got[is_going], truth[is_going], err_msg=f"week {week}: {name}")
            for state in states:
                for _, leaf in leaves(state):
                    assert not (isinstance(leaf, np.ndarray) and np.shares_memory(got, leaf)), name
    moved = [not np.array_equal(seen[t].paranoia_estimate, seen[t + 1].paranoia_estimate) for t in range(len(seen) - 1)]
    assert sum(moved) >= 4


def _log_scale(name: str, value: np.ndarray) -> np.ndarray:
    """Where the coercer's noise is added (observation choice 2): log for tension,
    log-odds for shares."""
    return np.log(value) if name == "tension" else np.log(value) - np.log1p(-value)


def test_with_noise_the_coercer_never_sees_the_truth():
    """Noise 0.2 (the default, in log units for tension and log-odds units for shares),
    lag 0: the strategy's view differs from the truth (last week's) wherever the truth
    is off the quantity's bounds, and stays within them (tension > 0, shares in (0, 1));
    at a bound it reads the truth exactly (a calm week reads calm, nobody active reads
    nobody: observation choice 2). Over 8 weeks x 64 worlds, the error in log (tension)
    or log-odds (paranoia, unrest) units has mean about 0 and standard deviation about
    0.2, whatever the level (tolerances of 4 standard errors)."""
    noise = 0.2
    seen, states = _observed_run(noise=noise, lag=0.0)
    errors: dict[str, list[np.ndarray]] = {name: [] for name in _truth(states[0])}
    at_bound = dict.fromkeys(errors, 0)
    for week, observation in enumerate(seen):
        truth = _truth(states[week])
        for name, value in truth.items():
            got = getattr(observation, name)
            is_inside = value > 0.0 if name == "tension" else (value > 0.0) & (value < 1.0)
            assert np.all(got[is_inside] != value[is_inside]), (week, name)
            assert np.all(got[is_inside] > 0.0) and np.all(got[is_inside] < (np.inf if name == "tension" else 1.0))
            np.testing.assert_array_equal(got[~is_inside], value[~is_inside], err_msg=f"week {week}: {name}")
            errors[name].append(_log_scale(name, got[is_inside]) - _log_scale(name, value[is_inside]))
            at_bound[name] += np.count_nonzero(~is_inside)
    # Not vacuous: every quantity is read off its bounds, and tension, unrest and the
    # defected share also at a bound (no tension, nobody active, nobody defected).
    assert all(sum(e.size for e in errors[name]) >= 20 for name in errors)
    assert all(at_bound[name] >= 20 for name in ("tension", "unrest", "defected_share"))
    for name in ("tension", "paranoia_estimate", "unrest"):
        error = np.concatenate(errors[name])
        assert error.size >= 100, name
        assert abs(error.mean()) < 4 * noise / np.sqrt(error.size), name
        assert error.std() == pytest.approx(noise, abs=4 * noise / np.sqrt(2 * error.size)), name


@pytest.mark.parametrize("name", sorted(SHIPPED_STRATEGIES))
def test_every_shipped_strategy_is_batch_invariant_in_the_world(name):
    """Every shipped strategy, ``nothing`` included, through the coupled model: world i
    alone equals world i of a batch of 24 with swept parameters (noise and lag of the
    observations included)."""
    n_worlds, world = 24, 17
    params = to_params(QUICK, n_worlds, overrides=_overrides(n_worlds))
    strategy = SHIPPED_STRATEGIES[name]
    state, streams = _start(params, np.arange(n_worlds))
    full = _run(state, params, strategy, streams, n_weeks=4)
    alone = params.take([world])
    state, streams = _start(alone, [world])
    got = _run(state, alone, strategy, streams, n_weeks=4)
    assert_trees_equal(got, take_worlds(full, [world], n_worlds), f"{name}: world {world} alone")
