"""The conformance suite over the registry (STYLE.md; sklearn's ``parametrize_with_checks``):
every submodel step of :mod:`offramp.model` and every strategy run through the same checks.

The submodels are found, not listed (:func:`conformance.model_step_functions`): a new
submodel without a case here fails :func:`test_every_submodel_step_has_a_case`. Each case
gives a varied batch of B = 64 worlds (swept parameters, states and drivers that differ
by world) to :func:`conformance.check_step`: shapes and dtypes kept, inputs untouched,
the same seed reproduces and another does not, and world i is the same alone, in the
batch and in a permuted batch. What the coercer observes runs as a step of its own
(:func:`conformance.step_observation`). Every shipped strategy, ``nothing`` included, and
one swept instance of every registered kind go through :func:`conformance.check_strategy`.
The coupled model's own suite is in tests/test_world.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pytest
from conformance import (
    ObservedWeek,
    check_step,
    check_strategy,
    leaves,
    model_step_functions,
    step_observation,
)

from offramp.model.cascade import CascadeParams, Elite, InnerCircleDrivers, init_inner_circle, step_inner_circle
from offramp.model.coercer import (
    SHIPPED_STRATEGIES,
    STRATEGY_KINDS,
    AdaptiveRule,
    Levers,
    Observation,
    PaceRegulator,
    StaticSchedule,
)
from offramp.model.escalation import EscalationDrivers, EscalationParams, EscalationState, step_escalation
from offramp.model.leader import LeaderDrivers, LeaderParams, init_leader, step_leader
from offramp.model.observation import MAX_LAG, ObservationParams, init_history, record_history
from offramp.model.streams import Stream, WorldStreams
from offramp.model.unrest import UnrestDrivers, UnrestParams, init_unrest, step_unrest
from offramp.model.variants import RatioRounding, Variant
from offramp.model.war import WarDrivers, WarParams, WarState, step_war

B, K = 64, 3  # B differs from K, E = 12, MAX_LAG + 1 = 9 and the grids' 10 x 12 cells
SEED = 20220


def _spread(low: float, high: float) -> np.ndarray:
    return np.linspace(low, high, B)


def _draws(stream: Stream, count: int) -> np.ndarray:
    """(B, count) uniforms for building varied inputs (a stream the step never reads)."""
    return WorldStreams.for_worlds(SEED, range(B), stream, 99).uniform((count,))


class Case(NamedTuple):
    """One submodel's inputs for check_step."""

    step: Callable
    state: Any
    params: Any
    drivers: Any
    stream: Stream


def _unrest() -> Case:
    params = UnrestParams(
        height=10,
        width=12,
        citizen_density=_spread(0.5, 0.8),
        police_density=_spread(0.1, 0.03),
        citizen_vision=2,
        police_vision=2,
        max_jail_steps=np.arange(B, dtype=np.int64) % 6 + 1,
        arrest_constant=_spread(1.5, 3.5),
        variant=Variant.PAPER,
        ratio_rounding=RatioRounding.FLOOR,
        movement=True,
        move_attempts=2,
    )
    state = init_unrest(params, WorldStreams.for_worlds(SEED, range(B), Stream.UNREST, 98))
    drivers = UnrestDrivers(
        legitimacy=_spread(0.3, 0.8),
        active_threshold=_spread(0.05, 0.2),
        police_on_duty=np.arange(B, dtype=np.int64) % 8,
        perceived_risk_factor=_spread(1.0, 0.5),
    )
    return Case(step_unrest, state, params, drivers, Stream.UNREST)


def _inner_circle() -> Case:
    params = CascadeParams(
        contact_rate=_spread(0.1, 0.9),
        purge_rate=_spread(0.0, 0.6),
        rent_cut=_spread(0.2, 1.0),
        coup_level=0.2,
        coup_attempt_rate=_spread(0.0, 1.0),
        coup_success=_spread(0.2, 0.8),
        purge_threshold_shift=_spread(-0.05, 0.05),
    )
    state = init_inner_circle(params, WorldStreams.for_worlds(SEED, range(B), Stream.INNER_CIRCLE, 98))
    n_elites = params.n_elites
    d = _draws(Stream.INNER_CIRCLE, 2 * n_elites + 6)
    by_elite, world = d[:, :n_elites], d[:, 2 * n_elites :]
    status = np.select(
        [by_elite < 0.1, by_elite < 0.25, by_elite < 0.4], [Elite.PURGED, Elite.DEFECTED, Elite.WAVERING], Elite.LOYAL
    )
    state = dataclasses.replace(
        state,
        status=status.astype(np.int8),
        is_contacted=d[:, n_elites : 2 * n_elites] < 0.2,
        is_suspect=d[:, n_elites : 2 * n_elites] < 0.1,
        rents=world[:, 0],
    )
    drivers = InnerCircleDrivers(
        outreach=world[:, 1],
        survival_threat=world[:, 2],
        paranoia=world[:, 3],
        economic_pain=world[:, 4],
        war_score=2.0 * world[:, 5] - 1.0,
    )
    return Case(step_inner_circle, state, params, drivers, Stream.INNER_CIRCLE)


def _leader() -> Case:
    params = LeaderParams(
        precision=_spread(1.0, 300.0),
        money_weight=_spread(0.25, 2.0),
        optimism=_spread(-0.01, 0.02),
        settlement_risk=_spread(0.4, 1.6),
        desperation=_spread(0.0, 5.0),
        region_weights=np.array([1.0, 0.5, 0.2]),
    )
    d = _draws(Stream.LEADER, 12 + K)
    state = dataclasses.replace(
        init_leader(params, K, 0.02 * d[:, 0] - 0.01),
        paranoia=d[:, 1],
        concessions_seen=d[:, 2],
        survival_threat=d[:, 3],
        diverted_share=0.3 * d[:, 4],
    )
    drivers = LeaderDrivers(
        concessions=d[:, 5],
        economic_pain=d[:, 6],
        war_score=2.0 * d[:, 7] - 1.0,
        news=0.04 * d[:, 8] - 0.02,
        escalation_prospect=0.1 * d[:, 9],
        unrest=0.3 * d[:, 12:],
        defected_share=d[:, 10],
        exposures=(4 * d[:, 11]).astype(np.int64),
        attributions=(3 * d[:, 10]).astype(np.int64),
        failed_coups=(d[:, 9] > 0.8).astype(np.int64),
    )
    return Case(step_leader, state, params, drivers, Stream.LEADER)


def _war() -> Case:
    params = WarParams(
        opponent_capacity=_spread(0.5, 1.5),
        evasion_max=_spread(0.0, 0.6),
        front_noise=_spread(0.001, 0.05),
        escalation_gain=_spread(0.0, 0.5),
        purge_war_cost=_spread(0.0, 0.05),
    )
    d = _draws(Stream.WAR, 9)
    state = WarState(
        score=2.0 * d[:, 0] - 1.0,
        capacity=d[:, 1],
        sanctions_adapted=d[:, 2],
        evasion=0.3 * d[:, 3],
        surge=d[:, 4],
        deaths=1e5 * d[:, 5],
    )
    drivers = WarDrivers(
        sanctions=d[:, 6],
        diverted_share=0.3 * d[:, 7],
        purges=(3 * d[:, 8]).astype(np.int64),
        escalated=d[:, 8] > 0.7,
    )
    return Case(step_war, state, params, drivers, Stream.WAR)


def _escalation() -> Case:
    d = _draws(Stream.ESCALATION, 2 + K)
    state = EscalationState(tension=3.0 * d[:, 0], is_direct_conflict=d[:, 1] < 0.1)
    params = EscalationParams(attribution_rate=_spread(0.0, 1.0), tension_hazard=_spread(0.0, 0.05))
    drivers = EscalationDrivers(is_escalation=d[:, 1] > 0.7, covert_support=d[:, 2:])
    return Case(step_escalation, state, params, drivers, Stream.ESCALATION)


def _observation() -> Case:
    params = ObservationParams(
        observation_noise=_spread(0.0, 0.2),
        observation_lag=(np.arange(B) % (MAX_LAG + 1)).astype(np.float64),
        fatigue_rate=_spread(0.0, 0.02),
    )
    d = _draws(Stream.COERCER, 3 + K)
    history = init_history(d[:, 0], d[:, 1], d[:, 2], d[:, 3:])
    for week in range(1, MAX_LAG + 2):  # a history whose every row and lag differs
        shift = week / (MAX_LAG + 2)
        history = record_history(
            history, d[:, 0] + shift, (d[:, 1] + shift) % 1, (d[:, 2] + shift) % 1, d[:, 3:] * shift
        )
    drivers = ObservedWeek(week=12, tension=2.0 * d[:, 1], paranoia=d[:, 2], defected_share=d[:, 0], unrest=d[:, 3:])
    return Case(step_observation, history, params, drivers, Stream.COERCER)


CASES: dict[str, Callable[[], Case]] = {
    "unrest.step_unrest": _unrest,
    "cascade.step_inner_circle": _inner_circle,
    "leader.step_leader": _leader,
    "war.step_war": _war,
    "escalation.step_escalation": _escalation,
    "observation.observe": _observation,
}


def test_every_submodel_step_has_a_case():
    """The registry is complete: every step of offramp.model (found by its signature) has
    a conformance case, and so has the coercer's observation."""
    found = set(model_step_functions())
    assert found <= set(CASES), f"submodel steps without a conformance case: {sorted(found - set(CASES))}"
    assert {"war.step_war", "observation.observe"} <= set(CASES)
    assert set(CASES) - found == {"observation.observe"}  # no case for a step that is gone


@pytest.mark.parametrize("name", sorted(CASES))
def test_submodel_conformance(name):
    """Shapes/dtypes kept, inputs untouched, reproducible, another seed differs, batch
    invariant (alone, and permuted); and the batch is not uniform (so a row taken from the
    wrong world would show)."""
    case = CASES[name]()
    check_step(case.step, case.state, case.params, case.drivers, case.stream, seed=SEED)
    _, record = case.step(case.state, case.params, case.drivers, WorldStreams.for_worlds(SEED, range(B), case.stream))
    varies = [
        path
        for path, leaf in leaves(record)
        if isinstance(leaf, np.ndarray)
        and leaf.ndim >= 1
        and leaf.shape[0] == B
        and np.unique(leaf, axis=0).shape[0] > 1
    ]
    assert varies, f"{name}: every world reports the same"


def test_the_observation_case_is_not_vacuous():
    """Worlds with noise see values off the truth; the world without noise and with lag 0
    (world 0) sees the truth it was just given; lags differ between worlds (0 .. MAX_LAG)."""
    case = _observation()
    _, seen = case.step(case.state, case.params, case.drivers, WorldStreams.for_worlds(SEED, range(B), case.stream))
    assert isinstance(seen, Observation)
    assert seen.paranoia_estimate[0] == case.drivers.paranoia[0] and seen.tension[0] == case.drivers.tension[0]
    assert np.mean(seen.paranoia_estimate[1:] != case.drivers.paranoia[1:]) > 0.9
    assert np.unique(np.asarray(case.params.observation_lag)).size == MAX_LAG + 1


# --- strategies -------------------------------------------------------------------------


def _observation_for_strategies(week: int = 10) -> Observation:
    d = _draws(Stream.COERCER, 3 + K)
    return Observation(
        week=week, tension=2.0 * d[:, 0], paranoia_estimate=d[:, 1], unrest=0.1 * d[:, 3:], defected_share=d[:, 2]
    )


def _swept_kinds() -> dict[str, Any]:
    """One instance of every registered kind, with per-world parameters where it has any."""
    adaptive = AdaptiveRule(
        sanctions_initial=_spread(0.0, 0.5),
        sanctions_step_per_week=0.02,
        sanctions_cap=_spread(0.3, 1.0),
        concessions=_spread(0.0, 0.4),
        information=_spread(0.6, 0.0),
        covert_support=_spread(0.0, 1.0),
        covert_unrest_trigger=_spread(0.0, 0.1),
        covert_regions=(True, True, False),
        outreach=_spread(1.0, 0.0),
    )
    return {
        "static": StaticSchedule(
            sanctions=((0, 0.1), (20, 0.9)), covert_support=(((0, 0.0), (20, 1.0)), ((0, 1.0),), ((5, 0.2), (6, 0.4)))
        ),
        "adaptive": adaptive,
        "paced": PaceRegulator(
            inner=adaptive,
            tension_ceiling=_spread(0.0, 2.0),
            paranoia_ceiling=_spread(0.2, 1.0),
            throttle=_spread(0.0, 1.0),
        ),
    }


STRATEGIES = {**{f"shipped.{name}": s for name, s in SHIPPED_STRATEGIES.items()}, **_swept_kinds()}


def test_every_strategy_kind_and_shipped_strategy_has_a_case():
    """Every registered kind has a swept case and every shipped strategy is in the
    registry, the baseline ``nothing`` first among them."""
    assert set(STRATEGY_KINDS) <= set(STRATEGIES)
    assert {f"shipped.{name}" for name in SHIPPED_STRATEGIES} <= set(STRATEGIES)
    assert "shipped.nothing" in STRATEGIES


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_strategy_conformance(name):
    """float64 levers of the right shapes in [0, 1], inputs untouched, deterministic,
    batch invariant (per-world parameters taken with their worlds)."""
    check_strategy(STRATEGIES[name], _observation_for_strategies())


@pytest.mark.parametrize("week", [0, 10, 500])
def test_nothing_sets_every_lever_to_zero(week):
    """The baseline strategy: every lever 0 in every world, whatever it observes."""
    observation = dataclasses.replace(_observation_for_strategies(), week=week)
    levers = SHIPPED_STRATEGIES["nothing"].levers(observation)
    for field in dataclasses.fields(Levers):
        value = getattr(levers, field.name)
        assert value.shape[0] == B and not value.any(), field.name
