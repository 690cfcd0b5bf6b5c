"""Tests of the leader (model version 2): the logit tremble, the values of continuing,
escalating and settling, the belief about the front, paranoia and security forces.

The numbered choices referred to below are those of :mod:`offramp.model.leader`'s
module docstring.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conformance import check_step
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import offramp
from offramp.model.leader import (
    Action,
    LeaderDrivers,
    LeaderParams,
    LeaderState,
    action_values,
    choice_probabilities,
    init_leader,
    police_factor,
    step_leader,
    survival_threat,
)
from offramp.model.streams import Stream, WorldStreams
from offramp.model.war import WarDrivers, WarParams, front_drift, init_war, step_war

B, K = 64, 3
SEED = 11

# --- The logit tremble -----------------------------------------------------------------

value_arrays = arrays(
    np.float64,
    array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6),
    elements=st.floats(-1e3, 1e3, allow_nan=False),
)


@settings(deadline=None, max_examples=150)
@given(value_arrays, st.one_of(st.floats(0, 1e4), st.just(np.inf)))
def test_probabilities_are_a_distribution(values, precision):
    """Every entry in [0, 1], each row summing to 1, float64, same shape."""
    probabilities = choice_probabilities(values, precision)
    assert probabilities.dtype == np.float64 and probabilities.shape == values.shape
    assert np.all((probabilities >= 0) & (probabilities <= 1))
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, rtol=0, atol=1e-12)


@settings(deadline=None, max_examples=100)
@given(value_arrays)
def test_zero_precision_is_uniform(values):
    """lambda = 0: every action equally likely, whatever the values."""
    probabilities = choice_probabilities(values, 0.0)
    np.testing.assert_allclose(probabilities, 1.0 / values.shape[-1], rtol=1e-12)


@settings(deadline=None, max_examples=100)
@given(value_arrays)
def test_infinite_precision_is_the_best_response(values):
    """lambda = inf: all mass on the maximisers, split evenly among ties."""
    probabilities = choice_probabilities(values, np.inf)
    is_best = values == values.max(axis=-1, keepdims=True)
    expected = is_best / is_best.sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(probabilities, expected, rtol=1e-12)


@settings(deadline=None, max_examples=100)
@given(arrays(np.float64, (4, 3), elements=st.integers(-1000, 1000).map(float), unique=True), st.floats(50, 1e6))
def test_large_precision_approaches_the_argmax(values, precision):
    """A large finite lambda (gaps of at least 1 value unit, lambda >= 50) puts all but
    2 exp(-50) of the mass on the argmax."""
    probabilities = choice_probabilities(values, precision)
    np.testing.assert_array_equal(probabilities.argmax(axis=-1), values.argmax(axis=-1))
    assert np.all(probabilities.max(axis=-1) >= 1 - 1e-12)


def test_known_values_and_precision_broadcasting():
    """exp(lambda V) / sum: (0, ln 2) at lambda 1 gives (1/3, 2/3); a (B,) precision
    applies per row; stability with huge values; the facade exports the function."""
    np.testing.assert_allclose(choice_probabilities([0.0, np.log(2.0)], 1.0), [1 / 3, 2 / 3])
    rows = choice_probabilities(np.array([[0.0, 1.0], [0.0, 1.0]]), np.array([0.0, np.inf]))
    np.testing.assert_allclose(rows, [[0.5, 0.5], [0.0, 1.0]])
    np.testing.assert_allclose(choice_probabilities([1e300, 1e300 - 1e290], 1.0), [1.0, 0.0])
    assert offramp.choice_probabilities is choice_probabilities


def test_probabilities_are_monotone_in_own_value():
    """Raising one action's value raises its probability (lambda > 0)."""
    base = choice_probabilities([0.1, 0.2, 0.3], 5.0)
    raised = choice_probabilities([0.4, 0.2, 0.3], 5.0)
    assert raised[0] > base[0]


# --- Inputs ----------------------------------------------------------------------------


def _draws(n_columns: int, n_worlds: int = B, subkey: int = 99) -> np.ndarray:
    """Uniforms (B, n_columns) from a stream no step uses (a test's own inputs)."""
    return WorldStreams.for_worlds(SEED, range(n_worlds), Stream.LEADER, subkey).uniform((n_columns,))


def _streams(worlds=range(B), seed=SEED) -> WorldStreams:
    return WorldStreams.for_worlds(seed, worlds, Stream.LEADER)


def _drivers(
    n_worlds=B,
    n_regions=K,
    *,
    concessions=0.0,
    economic_pain=0.2,
    war_score=0.0,
    news=0.0,
    escalation_prospect=0.05,
    unrest=0.05,
    defected=0.0,
    exposures=0,
    attributions=0,
    failed_coups=0,
) -> LeaderDrivers:
    def full(value, dtype=np.float64):
        return np.broadcast_to(np.asarray(value, dtype), (n_worlds,)).copy()

    return LeaderDrivers(
        concessions=full(concessions),
        economic_pain=full(economic_pain),
        war_score=full(war_score),
        news=full(news),
        escalation_prospect=full(escalation_prospect),
        unrest=np.broadcast_to(np.asarray(unrest, np.float64), (n_worlds, n_regions)).copy(),
        defected_share=full(defected),
        exposures=full(exposures, np.int64),
        attributions=full(attributions, np.int64),
        failed_coups=full(failed_coups, np.int64),
    )


def _inputs() -> tuple[LeaderState, LeaderParams, LeaderDrivers]:
    """A varied batch: swept precision, weights and learning rate; varied state and drivers."""
    params = LeaderParams(
        precision=np.linspace(1.0, 40.0, B),
        money_weight=np.linspace(0.1, 2.0, B),
        learning_rate=np.linspace(0.02, 0.2, B),
        region_weights=np.array([1.0, 0.5, 0.2]),
        desperation=np.linspace(0.0, 8.0, B),
    )
    draws = _draws(12 + K)
    state = dataclasses.replace(
        init_leader(params, K, initial_drift=0.01 * (draws[:, 0] - 0.5)),
        paranoia=draws[:, 1],
        concessions_seen=draws[:, 2],
    )
    drivers = LeaderDrivers(
        concessions=draws[:, 3],
        economic_pain=draws[:, 4],
        war_score=2.0 * draws[:, 5] - 1.0,
        news=0.02 * (draws[:, 6] - 0.5),
        escalation_prospect=0.1 * draws[:, 7],
        unrest=draws[:, 12:] * 0.3,
        defected_share=draws[:, 8],
        exposures=(draws[:, 9] * 4).astype(np.int64),
        attributions=(draws[:, 10] * 3).astype(np.int64),
        failed_coups=(draws[:, 11] < 0.2).astype(np.int64),
    )
    return state, params, drivers


def _values(n_worlds: int = 1, params: LeaderParams | None = None, **inputs) -> np.ndarray:
    """action_values with defaults for every input not given (scalars broadcast to (B,))."""
    defaults = dict(
        war_score=0.0,
        belief=0.0,
        escalation_prospect=0.0,
        economic_pain=0.0,
        survival_threat=0.0,
        paranoia=0.0,
        concessions=0.0,
        concessions_seen=0.0,
    )
    defaults.update(inputs)
    arrays_ = {name: np.broadcast_to(np.asarray(v, np.float64), (n_worlds,)) for name, v in defaults.items()}
    return action_values(**arrays_, params=LeaderParams() if params is None else params)


# --- Contract and initial state --------------------------------------------------------


def test_leader_conformance():
    """Shapes/dtypes kept, inputs untouched, reproducible, batch invariant."""
    check_step(step_leader, *_inputs(), Stream.LEADER, seed=SEED)


def test_init_leader_shapes_belief_and_police_factor():
    """Documented shapes and dtypes; the belief starts ``optimism`` above the true drift
    (choice 3); the police factor is 1 everywhere at the start."""
    drift = np.linspace(-0.01, 0.01, B)
    params = LeaderParams(optimism=np.linspace(0.0, 0.02, B))
    state = init_leader(params, K, drift)
    assert state.security_allocation.shape == (B, K) and state.action.dtype == np.int8
    assert state.is_best.dtype == bool and state.is_best.shape == (B,)
    np.testing.assert_allclose(state.belief, drift + np.linspace(0.0, 0.02, B), rtol=1e-15)
    np.testing.assert_allclose(police_factor(state, LeaderParams()), 1.0)


# --- Values (choices 1-5) --------------------------------------------------------------


def test_values_match_the_documented_forms():
    """The three values equal the module docstring's formulas on one hand-made case,
    including the clipping of the expected war score to [-1, 1]."""
    params = LeaderParams(
        money_weight=1.5,
        ideology_weight=2.0,
        coercion_weight=3.0,
        ego_weight=4.0,
        valuation_weeks=10.0,
        emboldening=0.7,
        face_saving=0.5,
        face_loss=1.2,
        settlement_risk=0.6,
        desperation=2.0,
        escalation_cost=1.0,
    )
    x, mu, prospect, m, theta, pi, kappa, kappa_bar = 0.3, 0.02, 0.6, 0.4, 0.3, 0.5, 0.25, 0.1
    values = _values(
        params=params,
        war_score=x,
        belief=mu,
        escalation_prospect=prospect,
        economic_pain=m,
        survival_threat=theta,
        paranoia=pi,
        concessions=kappa,
        concessions_seen=kappa_bar,
    )[0]
    expected = x + 10.0 * mu  # 0.5
    expected_escalated = min(1.0, expected + prospect)  # 1.1, clipped to 1
    going_on = -1.5 * m - 3.0 * theta + 0.7 * kappa_bar
    np.testing.assert_allclose(
        values,
        [
            2.0 * expected + going_on,
            2.0 * expected_escalated + going_on - 3.0 * (1.0 - 2.0 * pi * theta),
            2.0 * x + 4.0 * (0.5 * kappa - 1.2) - 3.0 * 0.6 * theta,
        ],
        rtol=1e-14,
    )


def test_settling_gains_on_continuing_as_belief_falls():
    """Expectation: the lower his belief about the front's drift, the more settling is
    worth against continuing (choice 1: continuing is worth the score he expects, settling
    the score on the table). The gap V_settle - V_continue never falls as the belief
    falls and rises strictly while the expected score is inside [-1, 1]; at the shipped
    defaults an optimist continues and a pessimist settles."""
    beliefs = np.linspace(0.02, -0.05, 71)  # H = 26: the expected score hits -1 at -1/26
    values = _values(len(beliefs), belief=beliefs, war_score=0.0, economic_pain=0.2, survival_threat=0.1)
    gap = values[:, Action.OFFRAMP] - values[:, Action.CONTINUE]
    steps = np.diff(gap)
    assert np.all(steps >= 0)
    starts_inside = np.abs(26.0 * beliefs[:-1]) < 1.0  # a step from inside the band moves X^
    assert np.all(steps[starts_inside] > 0) and np.all(steps[~starts_inside] == 0)
    assert starts_inside.sum() > 50 and (~starts_inside).sum() > 5
    assert values[0].argmax() == Action.CONTINUE and values[-1].argmax() == Action.OFFRAMP


def test_motive_weights_are_not_renormalised():
    """Choice 2: raising money_weight changes exactly the money term and nothing else.

    Term by term, on varied inputs: (a) raising money_weight by 1 lowers continuing and
    escalating by exactly M and leaves settling unchanged (settling ends the pain); (b)
    the ideology term (the difference between two ideology weights) and (c) the ego term
    (the difference between two ego weights) are the same at either money weight. A
    renormalised weighting (w / sum w) would fail all three."""
    draws = _draws(8)
    inputs = dict(
        war_score=2.0 * draws[:, 0] - 1.0,
        belief=0.02 * (draws[:, 1] - 0.5),
        escalation_prospect=0.1 * draws[:, 2],
        economic_pain=draws[:, 3],
        survival_threat=draws[:, 4],
        paranoia=draws[:, 5],
        concessions=draws[:, 6],
        concessions_seen=draws[:, 7],
    )

    def values(**weights):
        return _values(B, params=LeaderParams(**weights), **inputs)

    raised = values(money_weight=2.0) - values(money_weight=1.0)
    np.testing.assert_allclose(raised[:, Action.CONTINUE], -inputs["economic_pain"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(raised[:, Action.ESCALATE], -inputs["economic_pain"], rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(raised[:, Action.OFFRAMP], 0.0)

    def ideology_term(money):
        return values(money_weight=money, ideology_weight=6.0) - values(money_weight=money, ideology_weight=4.0)

    def ego_term(money):
        return values(money_weight=money, ego_weight=3.0) - values(money_weight=money, ego_weight=1.0)

    np.testing.assert_allclose(ideology_term(2.0), ideology_term(1.0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ego_term(2.0), ego_term(1.0), rtol=1e-12, atol=1e-12)
    # Not vacuous: the terms are there (the war score is nonzero in every world, and the
    # ego term is settling's alone).
    assert np.all(ideology_term(1.0)[:, Action.OFFRAMP] != 0)
    assert np.all(ego_term(1.0)[:, Action.OFFRAMP] != 0) and np.all(ego_term(1.0)[:, Action.CONTINUE] == 0)


def test_concessions_act_through_two_named_channels_only():
    """Choice 4: concessions reach the values only through face_saving (this week's kappa,
    settling) and emboldening (kappa_bar, continuing and escalating).

    - Both parameters 0: no concession input changes any value (exactly).
    - face_saving alone: settling gains ego face_saving d(kappa); nothing else moves.
    - emboldening alone: continuing and escalating gain emboldening d(kappa_bar); settling
      does not move."""
    draws = _draws(6)
    base = dict(
        war_score=2.0 * draws[:, 0] - 1.0,
        belief=0.02 * (draws[:, 1] - 0.5),
        economic_pain=draws[:, 2],
        survival_threat=draws[:, 3],
        paranoia=draws[:, 4],
        escalation_prospect=0.05,
    )
    kappa, kappa_bar = draws[:, 5], 1.0 - draws[:, 5]

    def delta(params):
        without = _values(B, params=params, concessions=0.0, concessions_seen=0.0, **base)
        return _values(B, params=params, concessions=kappa, concessions_seen=kappa_bar, **base) - without

    np.testing.assert_array_equal(delta(LeaderParams(face_saving=0.0, emboldening=0.0)), 0.0)

    face = delta(LeaderParams(face_saving=0.5, emboldening=0.0, ego_weight=2.0))
    np.testing.assert_allclose(face[:, Action.OFFRAMP], 2.0 * 0.5 * kappa, rtol=1e-12)
    np.testing.assert_array_equal(face[:, [Action.CONTINUE, Action.ESCALATE]], 0.0)

    bold = delta(LeaderParams(face_saving=0.0, emboldening=0.3))
    np.testing.assert_allclose(bold[:, Action.CONTINUE], 0.3 * kappa_bar, rtol=1e-12)
    np.testing.assert_allclose(bold[:, Action.ESCALATE], 0.3 * kappa_bar, rtol=1e-12)
    np.testing.assert_array_equal(bold[:, Action.OFFRAMP], 0.0)


def test_concessions_change_nothing_in_the_step_without_their_channels():
    """With face_saving = emboldening = 0, eight weeks of concessions at 0.9 against none
    give the same values, probabilities and actions every week (common random numbers);
    with the shipped channels they do not, so the comparison can fail."""
    state, params, drivers = _inputs()

    def run(params, concessions):
        streams, current, out = _streams(), state, []
        weekly = dataclasses.replace(drivers, concessions=np.full(B, concessions))
        for _ in range(8):
            current, record = step_leader(current, params, weekly, streams)
            out.append((record.values, record.probabilities, current.action))
        return out

    closed = dataclasses.replace(params, face_saving=0.0, emboldening=0.0)
    for a, b in zip(run(closed, 0.0), run(closed, 0.9), strict=True):
        for x, y in zip(a, b, strict=True):
            np.testing.assert_array_equal(x, y)
    shipped = run(params, 0.0)[-1][0], run(params, 0.9)[-1][0]
    assert not np.array_equal(*shipped)


def test_settlement_risk_above_one_makes_continuing_preferred():
    """Choice 1, the gamble for resurrection: at equal other terms (no expected movement
    of the front, no pain, no face terms, no emboldening), V_continue - V_settle =
    coercion Theta (settlement_risk - 1). Expectation: settling is preferred below 1,
    continuing above 1, a tie at 1, for every threat Theta > 0; and above 1 a larger
    threat makes continuing more attractive."""
    risks = np.array([0.4, 0.8, 0.99, 1.0, 1.01, 1.2, 1.6])
    threats = np.array([0.05, 0.3, 0.9])
    for threat in threats:
        params = LeaderParams(settlement_risk=risks, face_saving=0.0, face_loss=0.0, emboldening=0.0)
        values = _values(risks.size, params=params, war_score=0.2, belief=0.0, survival_threat=threat)
        gap = values[:, Action.CONTINUE] - values[:, Action.OFFRAMP]
        np.testing.assert_allclose(gap, threat * (risks - 1.0), rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(np.sign(np.round(gap, 12)), np.sign(np.round(risks - 1.0, 12)))
    params = LeaderParams(settlement_risk=1.5, face_saving=0.0, face_loss=0.0, emboldening=0.0)
    values = _values(threats.size, params=params, survival_threat=threats)
    assert np.all(np.diff(values[:, Action.CONTINUE] - values[:, Action.OFFRAMP]) > 0)


def test_desperation_and_prospects_favour_escalation():
    """Choice 5: V_escalate - V_continue = ideology (X^_esc - X^) - coercion (cost -
    desperation pi Theta). Expectation: it rises with paranoia x threat and with the
    escalation prospect."""
    params = LeaderParams(desperation=2.0, escalation_cost=1.0, coercion_weight=1.0, ideology_weight=4.0)
    values = _values(
        3,
        params=params,
        survival_threat=np.array([0.1, 0.9, 0.9]),
        paranoia=np.array([0.1, 0.9, 0.9]),
        escalation_prospect=np.array([0.0, 0.0, 0.05]),
    )
    gap = values[:, Action.ESCALATE] - values[:, Action.CONTINUE]
    np.testing.assert_allclose(gap, [2.0 * 0.01 - 1.0, 2.0 * 0.81 - 1.0, 4.0 * 0.05 + 2.0 * 0.81 - 1.0], rtol=1e-12)
    assert gap[0] < gap[1] < gap[2]


# --- Belief (choice 3) -----------------------------------------------------------------


def test_belief_moves_toward_the_news_at_the_learning_rate():
    """Expectation: mu' = mu + learning_rate (news - mu), world by world, whatever else
    happens that week (the rest of the drivers are varied)."""
    state, params, drivers = _inputs()
    new_state, _ = step_leader(state, params, drivers, _streams())
    rate = np.asarray(params.learning_rate)
    expected = state.belief + rate * (drivers.news - state.belief)
    np.testing.assert_allclose(new_state.belief, expected, rtol=1e-14, atol=1e-18)
    assert np.all(np.abs(new_state.belief - state.belief) > 0)  # the news did move it


def test_optimistic_belief_converges_to_the_true_drift():
    """An optimistic leader (belief 0.02/week above the truth) reads 400 weeks of
    battlefield news from ``war.step_war`` at full, constant capacity (no sanctions,
    diversion or purges; capacity 1 stays 1), so the front's true drift d is constant.

    Expectation: his belief converges to d. Reasoning: the belief is an exponentially
    weighted mean of the news (drift + front_noise eps). After 400 weeks at learning
    rate a = 0.03 the initial bias is 0.02 (1 - a)^400 < 1e-7; the stationary standard
    deviation of the belief is s = front_noise sqrt(a / (2 - a)) = 0.00123. So each
    world's error is within 5 s (P(any of 256 beyond) ~ 1.5e-4), and their mean is
    within 4 s / sqrt(256) of 0 (worlds are independent), whereas it started 0.02 off.
    """
    n = 256
    war_params = WarParams(capacity_initial=1.0, opponent_capacity=0.9, front_noise=0.01)
    params = LeaderParams(optimism=0.02, learning_rate=0.03)
    war = init_war(war_params, n)
    true_drift = front_drift(war.capacity, war.surge, war_params)
    np.testing.assert_allclose(true_drift, 0.003, rtol=1e-12)
    leader = init_leader(params, K, true_drift)
    war_streams = WorldStreams.for_worlds(SEED, range(n), Stream.WAR)
    leader_streams = _streams(range(n))
    calm = WarDrivers(
        sanctions=np.zeros(n), diverted_share=np.zeros(n), purges=np.zeros(n, np.int64), escalated=np.zeros(n, bool)
    )
    quiet = _drivers(n, economic_pain=0.0, unrest=0.0)
    for _ in range(400):
        war, news = step_war(war, war_params, calm, war_streams)
        leader, _ = step_leader(leader, params, dataclasses.replace(quiet, news=news.news), leader_streams)
    np.testing.assert_array_equal(war.capacity, 1.0)
    stationary_sd = 0.01 * np.sqrt(0.03 / (2 - 0.03))
    error = leader.belief - true_drift
    assert np.all(np.abs(error) < 5 * stationary_sd), np.abs(error).max()
    assert abs(error.mean()) < 4 * stationary_sd / np.sqrt(n), error.mean()


def test_bad_news_raises_the_offramp_probability():
    """Expectation: week after week of news that the front moves against him (-0.02 a
    week) lowers his belief and raises the off-ramp's probability in every world."""
    params = LeaderParams(learning_rate=0.1, precision=20.0)
    state = init_leader(params, K, np.zeros(B))
    streams, probabilities = _streams(), []
    for _ in range(20):
        state, record = step_leader(state, params, _drivers(news=-0.02), streams)
        probabilities.append(record.probabilities[:, Action.OFFRAMP])
    assert np.all(np.diff(np.array(probabilities), axis=0) > 0)
    assert np.all(state.belief < 0)


# --- Choice and is_best (choice 9) -----------------------------------------------------


def test_is_best_flags_the_highest_value_action():
    """Expectation: is_best is True exactly where the chosen action has the highest value
    that week. With a loose tremble (lambda = 1) both cases occur; with lambda = inf
    every choice is the argmax and is_best."""
    state, params, drivers = _inputs()
    loose = dataclasses.replace(params, precision=1.0)
    new_state, record = step_leader(state, loose, drivers, _streams())
    chosen = record.values[np.arange(B), new_state.action]
    np.testing.assert_array_equal(new_state.is_best, chosen >= record.values.max(axis=1))
    assert new_state.is_best.any() and not new_state.is_best.all()
    sharp = dataclasses.replace(params, precision=np.inf)
    best_state, best_record = step_leader(state, sharp, drivers, _streams())
    np.testing.assert_array_equal(best_state.action, best_record.values.argmax(axis=1))
    assert best_state.is_best.all()


def test_action_follows_the_probabilities():
    """Expectation: with lambda = 0 the three actions are chosen about equally often
    (64 worlds x 30 weeks = 1920 draws; each share within 0.05 of 1/3, > 4 s.d. since
    the share's s.d. is sqrt(2/9 / 1920) = 0.011); the record's flags match the action."""
    params = LeaderParams(precision=0.0)
    state = init_leader(params, K, np.zeros(B))
    streams, counts = _streams(), np.zeros(3)
    for _ in range(30):
        new_state, record = step_leader(state, params, _drivers(), streams)
        counts += np.bincount(new_state.action, minlength=3)
        np.testing.assert_array_equal(record.is_offramp, new_state.action == Action.OFFRAMP)
        np.testing.assert_array_equal(record.is_escalation, new_state.action == Action.ESCALATE)
    np.testing.assert_allclose(counts / counts.sum(), 1 / 3, atol=0.05)


# --- Paranoia (choice 7) ---------------------------------------------------------------


def test_failed_coups_raise_paranoia():
    """Expectation: a failed coup raises paranoia to 1 - (1 - relaxed) exp(-c), with c =
    failed_coup_paranoia, above the week without one in every world."""
    state, params, _ = _inputs()
    none, _ = step_leader(state, params, _drivers(failed_coups=0), _streams())
    failed, _ = step_leader(state, params, _drivers(failed_coups=1), _streams())
    assert np.all(failed.paranoia > none.paranoia)
    np.testing.assert_allclose(failed.paranoia, 1.0 - (1.0 - none.paranoia) * np.exp(-1.0), rtol=1e-12)
    assert np.all((failed.paranoia >= 0) & (failed.paranoia <= 1))


def test_exposures_and_attributions_raise_paranoia():
    """Expectation: exposed contacts and attributions each raise paranoia."""
    state, params, _ = _inputs()
    none, _ = step_leader(state, params, _drivers(exposures=0), _streams())
    some, _ = step_leader(state, params, _drivers(exposures=3), _streams())
    attributed, _ = step_leader(state, params, _drivers(attributions=2), _streams())
    assert np.all(some.paranoia > none.paranoia) and np.all(attributed.paranoia > none.paranoia)


def test_paranoia_relaxes_to_baseline():
    """Expectation: without events, paranoia returns to its baseline."""
    params = LeaderParams(paranoia_initial=0.9, paranoia_baseline=0.2, paranoia_decay_weeks=4.0)
    state, streams = init_leader(params, K, np.zeros(B)), _streams()
    for _ in range(40):
        state, _ = step_leader(state, params, _drivers(), streams)
    np.testing.assert_allclose(state.paranoia, 0.2, atol=1e-3)


def test_concessions_seen_follow_their_memory():
    """Choice 4: kappa_bar relaxes toward this week's kappa with time constant
    concession_memory_weeks, exactly."""
    state, params, drivers = _inputs()
    new_state, _ = step_leader(state, params, drivers, _streams())
    step = 1.0 - np.exp(-1.0 / 8.0)
    expected = state.concessions_seen + (drivers.concessions - state.concessions_seen) * step
    np.testing.assert_allclose(new_state.concessions_seen, expected, rtol=1e-12)


# --- Security forces and the survival threat (choices 6, 8) ----------------------------


def test_security_forces_follow_unrest():
    """Expectation: unrest concentrated in region 0 moves forces there (shares still sum
    to 1) and diverts more of the war effort than calm does; the police factor there
    rises above 1 and above the other regions'."""
    params = LeaderParams()
    calm_state = hot_state = init_leader(params, K, np.zeros(B))
    calm, hot = _drivers(unrest=0.0), _drivers(unrest=[0.3, 0.0, 0.0])
    streams_calm, streams_hot = _streams(), _streams()
    for _ in range(20):
        calm_state, _ = step_leader(calm_state, params, calm, streams_calm)
        hot_state, _ = step_leader(hot_state, params, hot, streams_hot)
    np.testing.assert_allclose(hot_state.security_allocation.sum(axis=1), 1.0)
    assert np.all(hot_state.security_allocation[:, 0] > 0.5)
    assert np.all(hot_state.diverted_share > calm_state.diverted_share)
    assert np.all(hot_state.diverted_share <= 0.3)  # max_diversion
    factor = police_factor(hot_state, params)
    assert np.all(factor[:, 0] > 1.0) and np.all(factor[:, 1] < factor[:, 0])


def test_survival_threat_rises_with_unrest_defections_and_paranoia():
    """Expectation: Theta in [0, 1] rises with weighted unrest, the defected share and
    paranoia, and equals 1 - exp(-hazard) (choice 6)."""
    params = LeaderParams()
    zeros = np.zeros(3)
    base = survival_threat(zeros, zeros, zeros, params)
    np.testing.assert_array_equal(base, 0.0)
    unrest = survival_threat(np.full(3, 0.2), zeros, zeros, params)
    defected = survival_threat(zeros, np.full(3, 0.5), zeros, params)
    paranoid = survival_threat(zeros, zeros, np.full(3, 0.8), params)
    for threat in (unrest, defected, paranoid):
        assert np.all((threat > base) & (threat <= 1))
    np.testing.assert_allclose(unrest, 1.0 - np.exp(-3.0 * 0.2), rtol=1e-12)
    np.testing.assert_allclose(survival_threat(np.full(3, 50.0), np.ones(3), np.ones(3), params), 1.0)


@pytest.mark.parametrize("field", ["economic_pain", "war_score", "news"])
def test_step_reads_the_war_drivers(field):
    """The war's drivers reach the values: changing one changes some value in most worlds
    (a step that ignored pain, the front or the news would pass the structure checks).
    Not in every world: where the expected score X + H mu^ is beyond +-1 before and after
    the change, news cannot move it (choice 1 clips it)."""
    state, params, drivers = _inputs()
    _, record = step_leader(state, params, drivers, _streams())
    moved = dataclasses.replace(drivers, **{field: getattr(drivers, field) * 0.5 + 0.01})
    _, other = step_leader(state, params, moved, _streams())
    assert np.mean(np.any(other.values != record.values, axis=1)) > 0.75
