"""Tests of the leader: the logit choice rule and the weekly step."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conformance import check_documented_parameters, check_step
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import offramp
from offramp.model import leader as leader_module
from offramp.model.leader import (
    Action,
    LeaderDrivers,
    LeaderParams,
    LeaderState,
    action_utilities,
    choice_probabilities,
    init_leader,
    police_factor,
    step_leader,
)
from offramp.model.streams import Stream, WorldStreams

B, K = 64, 3
SEED = 11

# --- The logit choice rule -------------------------------------------------------------

utility_arrays = arrays(
    np.float64,
    array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6),
    elements=st.floats(-1e3, 1e3, allow_nan=False),
)


@settings(deadline=None, max_examples=150)
@given(utility_arrays, st.one_of(st.floats(0, 1e4), st.just(np.inf)))
def test_probabilities_are_a_distribution(utilities, precision):
    """Every entry in [0, 1], each row summing to 1, float64, same shape."""
    probabilities = choice_probabilities(utilities, precision)
    assert probabilities.dtype == np.float64 and probabilities.shape == utilities.shape
    assert np.all((probabilities >= 0) & (probabilities <= 1))
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, rtol=0, atol=1e-12)


@settings(deadline=None, max_examples=100)
@given(utility_arrays)
def test_zero_precision_is_uniform(utilities):
    """lambda = 0: every action equally likely, whatever the utilities."""
    probabilities = choice_probabilities(utilities, 0.0)
    np.testing.assert_allclose(probabilities, 1.0 / utilities.shape[-1], rtol=1e-12)


@settings(deadline=None, max_examples=100)
@given(utility_arrays)
def test_infinite_precision_is_the_best_response(utilities):
    """lambda = inf: all mass on the maximisers, split evenly among ties."""
    probabilities = choice_probabilities(utilities, np.inf)
    is_best = utilities == utilities.max(axis=-1, keepdims=True)
    expected = is_best / is_best.sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(probabilities, expected, rtol=1e-12)


@settings(deadline=None, max_examples=100)
@given(arrays(np.float64, (4, 3), elements=st.integers(-1000, 1000).map(float), unique=True), st.floats(50, 1e6))
def test_large_precision_approaches_the_argmax(utilities, precision):
    """A large finite lambda (gaps of at least 1 utility unit, lambda >= 50) puts all but
    2 exp(-50) of the mass on the argmax."""
    probabilities = choice_probabilities(utilities, precision)
    np.testing.assert_array_equal(probabilities.argmax(axis=-1), utilities.argmax(axis=-1))
    assert np.all(probabilities.max(axis=-1) >= 1 - 1e-12)


def test_known_values_and_precision_broadcasting():
    """exp(lambda U) / sum: (0, ln 2) at lambda 1 gives (1/3, 2/3); a (B,) precision
    applies per row; stability with huge utilities."""
    np.testing.assert_allclose(choice_probabilities([0.0, np.log(2.0)], 1.0), [1 / 3, 2 / 3])
    rows = choice_probabilities(np.array([[0.0, 1.0], [0.0, 1.0]]), np.array([0.0, np.inf]))
    np.testing.assert_allclose(rows, [[0.5, 0.5], [0.0, 1.0]])
    np.testing.assert_allclose(choice_probabilities([1e300, 1e300 - 1e290], 1.0), [1.0, 0.0])
    assert offramp.choice_probabilities is choice_probabilities


def test_probabilities_are_monotone_in_own_utility():
    """Raising one action's utility raises its probability (lambda > 0)."""
    base = choice_probabilities([0.1, 0.2, 0.3], 5.0)
    raised = choice_probabilities([0.4, 0.2, 0.3], 5.0)
    assert raised[0] > base[0]


# --- The weekly step -------------------------------------------------------------------


def _streams(worlds=range(B), seed=SEED) -> WorldStreams:
    return WorldStreams.for_worlds(seed, worlds, Stream.LEADER)


def _drivers(
    n_worlds=B,
    n_regions=K,
    *,
    sanctions=0.5,
    concessions=0.0,
    unrest=0.05,
    defected=0.0,
    exposures=0,
    attributions=0,
    purges=0,
):
    full = lambda v, dtype=np.float64: np.full(n_worlds, v, dtype)  # noqa: E731
    return LeaderDrivers(
        sanctions=full(sanctions),
        concessions=full(concessions),
        unrest=np.full((n_worlds, n_regions), float(unrest)),
        defected_share=full(defected),
        exposures=full(exposures, np.int64),
        attributions=full(attributions, np.int64),
        purges=full(purges, np.int64),
    )


def _inputs() -> tuple[LeaderState, LeaderParams, LeaderDrivers]:
    """A varied batch: swept precision and weights, varied state and drivers."""
    params = LeaderParams(
        precision=np.linspace(1.0, 40.0, B),
        money_weight=np.linspace(0.1, 0.6, B),
        region_weights=np.array([1.0, 0.5, 0.2]),
        desperation=np.linspace(0.0, 8.0, B),
    )
    draws = WorldStreams.for_worlds(SEED, range(B), Stream.LEADER, 99).uniform((12 + K,))
    state = dataclasses.replace(
        init_leader(params, B, K), resolve=draws[:, 0], paranoia=draws[:, 1], war_capacity=draws[:, 2]
    )
    drivers = LeaderDrivers(
        sanctions=draws[:, 3],
        concessions=draws[:, 4],
        unrest=draws[:, 12:] * 0.3,
        defected_share=draws[:, 5],
        exposures=(draws[:, 6] * 4).astype(np.int64),
        attributions=(draws[:, 7] * 3).astype(np.int64),
        purges=(draws[:, 8] * 2).astype(np.int64),
    )
    return state, params, drivers


def test_leader_conformance():
    """Shapes/dtypes kept, inputs untouched, reproducible, batch invariant."""
    check_step(step_leader, *_inputs(), Stream.LEADER, seed=SEED)


def test_init_leader_shapes_and_police_factor():
    """Documented shapes and dtypes; the police factor is 1 everywhere at the start."""
    state = init_leader(LeaderParams(resolve_initial=np.linspace(0, 1, B)), B, K)
    assert state.security_allocation.shape == (B, K) and state.action.dtype == np.int8
    np.testing.assert_allclose(state.resolve, np.linspace(0, 1, B))
    np.testing.assert_allclose(police_factor(state, LeaderParams()), 1.0)


def _run(params, drivers_by_week, state=None, seed=SEED):
    state = init_leader(params, B, K) if state is None else state
    streams = _streams(seed=seed)
    out = []
    for drivers in drivers_by_week:
        state, record = step_leader(state, params, drivers, streams)
        out.append((state, record))
    return out


def test_more_sanctions_more_economic_pain():
    """Expectation: under constant sanctions, higher sanctions give more economic pain in
    every world and every week (common random numbers)."""
    low = _run(LeaderParams(), [_drivers(sanctions=0.3)] * 52)
    high = _run(LeaderParams(), [_drivers(sanctions=0.7)] * 52)
    for (_, a), (_, b) in zip(low, high, strict=True):
        assert np.all(b.economic_pain > a.economic_pain)


def test_sanctions_bite_decays_unless_rising():
    """Expectation: constant sanctions bite less as the economy adapts, toward
    residual_bite * sigma; a ramp to the same level keeps more pain at its end: the
    adapted level lags a ramp of slope s by s (1 - a) / a, a = 1 - exp(-1/tau), so the
    ramp's final pain is residual_bite * sigma + (1 - residual_bite) * lag."""
    params = LeaderParams(adaptation_weeks=10.0, residual_bite=0.3)
    constant = _run(params, [_drivers(sanctions=0.6)] * 104)
    pain = np.array([record.economic_pain[0] for _, record in constant])
    assert np.all(np.diff(pain) < 0)
    assert pain[-1] == pytest.approx(0.3 * 0.6, rel=1e-3)
    ramp = _run(params, [_drivers(sanctions=0.6 * (week + 1) / 104) for week in range(104)])
    slope, alpha = 0.6 / 104, 1 - np.exp(-1 / 10.0)
    expected = 0.3 * 0.6 + 0.7 * slope * (1 - alpha) / alpha
    assert ramp[-1][1].economic_pain[0] == pytest.approx(expected, rel=1e-3)
    assert ramp[-1][1].economic_pain[0] > pain[-1] + 0.03


def test_more_exposure_more_paranoia():
    """Expectation: more exposed contacts (and more attributions) give more paranoia."""
    state, params, _ = _inputs()
    none, _ = step_leader(state, params, _drivers(exposures=0), _streams())
    some, _ = step_leader(state, params, _drivers(exposures=3), _streams())
    attributed, _ = step_leader(state, params, _drivers(exposures=0, attributions=2), _streams())
    assert np.all(some.paranoia > none.paranoia) and np.all(attributed.paranoia > none.paranoia)
    assert np.all((some.paranoia >= 0) & (some.paranoia <= 1))


def test_paranoia_relaxes_to_baseline():
    """Expectation: without events, paranoia returns toward its baseline."""
    params = LeaderParams(paranoia_initial=0.9, paranoia_baseline=0.2, paranoia_decay_weeks=4.0)
    out = _run(params, [_drivers(exposures=0)] * 40)
    assert out[-1][0].paranoia[0] == pytest.approx(0.2, abs=1e-3)


def test_concessions_enter_twice():
    """Expectation: concessions raise the off-ramp's utility (face-saving) and raise
    resolve (emboldening), each through its own parameter."""
    state, params, _ = _inputs()
    none, none_record = step_leader(state, params, _drivers(concessions=0.0), _streams())
    some, some_record = step_leader(state, params, _drivers(concessions=0.8), _streams())
    assert np.all(some_record.utilities[:, Action.OFFRAMP] > none_record.utilities[:, Action.OFFRAMP])
    # Escalation adds resolve independently of concessions; compare only where neither escalated.
    is_calm = ~none_record.is_escalation & ~some_record.is_escalation
    assert np.all(some.resolve[is_calm] > none.resolve[is_calm])
    no_face = dataclasses.replace(params, face_saving=0.0)
    _, flat = step_leader(state, no_face, _drivers(concessions=0.8), _streams())
    _, flat_none = step_leader(state, no_face, _drivers(concessions=0.0), _streams())
    np.testing.assert_allclose(flat.utilities[:, Action.OFFRAMP], flat_none.utilities[:, Action.OFFRAMP])


def test_desperation_favours_escalation():
    """Expectation: high paranoia x survival threat raises escalation's utility over
    continuing; with desperation 0 the gap is minus the weighted cost."""
    kwargs = dict(
        resolve=np.full(2, 0.5),
        war_capacity=np.full(2, 0.5),
        economic_pain=np.full(2, 0.2),
        perceived_coercer_resolve=np.full(2, 0.5),
        survival_threat=np.array([0.1, 0.9]),
        paranoia=np.array([0.1, 0.9]),
        concessions=np.zeros(2),
    )
    u = action_utilities(**kwargs, params=LeaderParams(desperation=2.0, escalation_cost=1.0))
    gap = u[:, Action.ESCALATE] - u[:, Action.CONTINUE]
    np.testing.assert_allclose(gap, 0.25 * (2.0 * np.array([0.01, 0.81]) - 1.0))
    assert gap[1] > gap[0]


def test_utilities_match_the_documented_forms():
    """The three utilities equal the module docstring's formulas on one hand-made case."""
    params = LeaderParams(
        money_weight=1.0,
        ideology_weight=2.0,
        coercion_weight=3.0,
        ego_weight=4.0,
        face_saving=0.5,
        face_loss=1.2,
        desperation=2.0,
        escalation_cost=1.0,
        settlement_threat_share=0.5,
    )
    r, w, m, rho, theta, pi, kappa = 0.6, 0.7, 0.4, 0.2, 0.3, 0.5, 0.25
    u = action_utilities(
        resolve=np.array([r]),
        war_capacity=np.array([w]),
        economic_pain=np.array([m]),
        perceived_coercer_resolve=np.array([rho]),
        survival_threat=np.array([theta]),
        paranoia=np.array([pi]),
        concessions=np.array([kappa]),
        params=params,
    )[0]
    wm, wi, wc, we = 0.1, 0.2, 0.3, 0.4
    u_continue = wi * r * w - wm * m * (1 + rho) / 2 - wc * theta
    np.testing.assert_allclose(
        u, [u_continue, u_continue + wc * (2 * pi * theta - 1), we * (0.5 * kappa - 1.2) - wc * 0.5 * theta]
    )


def test_escalation_raises_resolve():
    """Expectation: where the leader escalates, resolve ends higher than the same world
    with escalation impossible (cost so high that its probability is 0)."""
    state, params, drivers = _inputs()
    params = dataclasses.replace(
        params, precision=np.inf, desperation=100.0, escalation_cost=0.0, escalation_resolve_gain=0.2
    )
    escalated, record = step_leader(state, params, drivers, _streams())
    assert record.is_escalation.any()
    blocked, blocked_record = step_leader(state, dataclasses.replace(params, escalation_cost=1e9), drivers, _streams())
    assert not blocked_record.is_escalation.any()
    assert np.all(escalated.resolve[record.is_escalation] > blocked.resolve[record.is_escalation])


def test_action_follows_the_probabilities():
    """Expectation: with lambda = 0 the three actions are chosen about equally often
    (64 worlds x 30 weeks = 1920 draws; each share within 0.05 of 1/3, > 4 s.d.)."""
    params = LeaderParams(precision=0.0)
    state = init_leader(params, B, K)
    streams, counts = _streams(), np.zeros(3)
    for _ in range(30):
        new_state, record = step_leader(state, params, _drivers(), streams)
        counts += np.bincount(new_state.action, minlength=3)
        np.testing.assert_array_equal(record.is_offramp, new_state.action == Action.OFFRAMP)
    np.testing.assert_allclose(counts / counts.sum(), 1 / 3, atol=0.05)


def test_best_response_with_infinite_precision():
    """lambda = inf: the chosen action is the argmax of the utilities in every world."""
    state, params, drivers = _inputs()
    new_state, record = step_leader(state, dataclasses.replace(params, precision=np.inf), drivers, _streams())
    np.testing.assert_array_equal(new_state.action, record.utilities.argmax(axis=1))


def test_security_forces_follow_unrest_and_cost_war_capacity():
    """Expectation: unrest concentrated in region 0 moves forces there (shares still sum
    to 1), diverts forces from the war, and leaves war capacity below the calm case."""
    params = LeaderParams()
    unrest = _drivers(unrest=0.0, sanctions=0.0)
    hot = dataclasses.replace(unrest, unrest=np.tile([0.3, 0.0, 0.0], (B, 1)))
    calm_state = _run(params, [unrest] * 20)[-1][0]
    hot_state = _run(params, [hot] * 20)[-1][0]
    np.testing.assert_allclose(hot_state.security_allocation.sum(axis=1), 1.0)
    assert np.all(hot_state.security_allocation[:, 0] > 0.5)
    assert np.all(hot_state.diverted_share > calm_state.diverted_share)
    assert np.all(hot_state.war_capacity < calm_state.war_capacity)
    factor = police_factor(hot_state, params)
    assert np.all(factor[:, 0] > 1.0) and np.all(factor[:, 1] < factor[:, 0])


def test_purges_and_sanctions_cost_war_capacity():
    """Expectation: purges this week and economic pain each lower war capacity."""
    state, params, _ = _inputs()
    base, _ = step_leader(state, params, _drivers(sanctions=0.0, purges=0), _streams())
    purged, _ = step_leader(state, params, _drivers(sanctions=0.0, purges=2), _streams())
    sanctioned, _ = step_leader(state, params, _drivers(sanctions=0.8, purges=0), _streams())
    is_inside = (base.war_capacity > 0) & (base.war_capacity < 1)
    assert np.all(purged.war_capacity[is_inside] < base.war_capacity[is_inside])
    assert np.all(sanctioned.war_capacity[is_inside] < base.war_capacity[is_inside])


def test_survival_threat_rises_with_unrest_defections_and_paranoia():
    """Expectation: Theta in [0, 1] rises with weighted unrest and the defected share."""
    state, params, _ = _inputs()
    low, _ = step_leader(state, params, _drivers(unrest=0.0, defected=0.0), _streams())
    unrest, _ = step_leader(state, params, _drivers(unrest=0.2, defected=0.0), _streams())
    defected, _ = step_leader(state, params, _drivers(unrest=0.0, defected=0.5), _streams())
    assert np.all(unrest.survival_threat > low.survival_threat)
    assert np.all(defected.survival_threat > low.survival_threat)
    assert np.all((defected.survival_threat >= 0) & (defected.survival_threat <= 1))


@pytest.mark.parametrize(
    "name", ["choice_probabilities", "action_utilities", "police_factor", "init_leader", "step_leader"]
)
def test_docstrings_match_signatures(name):
    """Documented parameter names equal the signature's."""
    check_documented_parameters(getattr(leader_module, name))
