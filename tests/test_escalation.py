"""Tests of escalation: tension, attribution and the direct-conflict hazard."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conformance import check_documented_parameters, check_step
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from offramp.model import escalation as escalation_module
from offramp.model.escalation import (
    EscalationDrivers,
    EscalationParams,
    EscalationState,
    conflict_hazard,
    init_escalation,
    step_escalation,
)
from offramp.model.streams import Stream, WorldStreams

B, K = 64, 3
SEED = 13


def _streams(worlds=range(B), seed=SEED) -> WorldStreams:
    return WorldStreams.for_worlds(seed, worlds, Stream.ESCALATION)


def _inputs() -> tuple[EscalationState, EscalationParams, EscalationDrivers]:
    """A varied batch: swept attribution rate and hazard, varied tension and drivers."""
    draws = WorldStreams.for_worlds(SEED, range(B), Stream.ESCALATION, 99).uniform((2 + K,))
    state = EscalationState(tension=draws[:, 0] * 3, is_direct_conflict=draws[:, 1] < 0.1)
    params = EscalationParams(attribution_rate=np.linspace(0.0, 1.0, B), tension_hazard=np.linspace(0.0, 0.05, B))
    drivers = EscalationDrivers(is_escalation=draws[:, 1] > 0.7, covert_support=draws[:, 2:])
    return state, params, drivers


def test_escalation_conformance():
    """Shapes/dtypes kept, inputs untouched, reproducible, batch invariant."""
    check_step(step_escalation, *_inputs(), Stream.ESCALATION, seed=SEED)


def test_conformance_fails_a_step_that_ignores_its_streams():
    """check_step itself can fail: a step that draws from streams of its own (the same
    whatever the seed) is reproducible, yet another seed must change its output."""

    def step_on_its_own_streams(state, params, drivers, streams):
        return step_escalation(state, params, drivers, _streams(range(len(streams)), seed=0))

    with pytest.raises(AssertionError, match="gives the output of seed"):
        check_step(step_on_its_own_streams, *_inputs(), Stream.ESCALATION, seed=SEED)


@settings(deadline=None, max_examples=150)
@given(
    arrays(np.float64, st.integers(1, 20), elements=st.floats(0, 1e6)),
    st.floats(0, 10),
    st.floats(0, 10),
)
def test_hazard_is_a_probability_and_monotone(tension, baseline, per_tension):
    """1 - exp(-(h0 + hZ Z)) lies in [0, 1] and never falls as tension rises."""
    params = EscalationParams(baseline_hazard=baseline, tension_hazard=per_tension)
    hazard = conflict_hazard(tension, params)
    assert hazard.shape == tension.shape and hazard.dtype == np.float64
    assert np.all((hazard >= 0) & (hazard <= 1))
    assert np.all(conflict_hazard(tension + 1.0, params) >= hazard)


def test_hazard_known_values():
    """h0 = 0.01, hZ = 0.1, Z = 2 gives 1 - exp(-0.21); no rate gives 0; per-world params."""
    params = EscalationParams(baseline_hazard=0.01, tension_hazard=0.1)
    assert conflict_hazard(2.0, params) == pytest.approx(1 - np.exp(-0.21), rel=1e-15)
    assert conflict_hazard(0.0, EscalationParams(baseline_hazard=0.0)) == 0.0
    swept = EscalationParams(baseline_hazard=np.array([0.0, 0.5]), tension_hazard=0.0)
    np.testing.assert_allclose(conflict_hazard(np.zeros(2), swept), [0.0, 1 - np.exp(-0.5)])


def test_default_baseline_hazard_is_rare_in_weekly_terms():
    """h_0 is a weekly rate: the default gives direct conflict at zero tension with
    probability 1 - exp(-104 h_0), about 0.5%, over the two-year horizon (the docstring's
    claim; REFERENCES.md 6.5: no direct great-power war since 1945), and a weekly hazard
    well below what a single escalation's tension adds at the default h_Z (a tenth)."""
    params = EscalationParams()
    over_two_years = 1.0 - (1.0 - conflict_hazard(0.0, params)) ** 104
    assert 0.004 < over_two_years < 0.006
    escalation_hazard = conflict_hazard(params.escalation_tension, params) - conflict_hazard(0.0, params)
    assert conflict_hazard(0.0, params) < escalation_hazard / 5


@pytest.mark.slow
def test_onsets_follow_the_hazard():
    """Statistical, fixed seed: N = 4000 worlds at zero tension with h_0 = 0.05 a week;
    the share that enters direct conflict in the week is 1 - exp(-0.05) = 0.0488 within
    4 binomial standard deviations (0.0034 each)."""
    n_worlds = 4000
    params = EscalationParams(baseline_hazard=0.05, tension_hazard=0.0)
    drivers = EscalationDrivers(is_escalation=np.zeros(n_worlds, bool), covert_support=np.zeros((n_worlds, K)))
    _, record = step_escalation(init_escalation(n_worlds), params, drivers, _streams(range(n_worlds)))
    expected = -np.expm1(-0.05)
    assert record.is_conflict_onset.mean() == pytest.approx(
        expected, abs=4 * np.sqrt(expected * (1 - expected) / n_worlds)
    )


def _run(state, params, drivers_by_week, seed=SEED):
    streams = _streams(range(state.tension.shape[0]), seed)
    out = []
    for drivers in drivers_by_week:
        state, record = step_escalation(state, params, drivers, streams)
        out.append((state, record))
    return out


def _drivers(covert=0.0, is_escalation=False) -> EscalationDrivers:
    return EscalationDrivers(is_escalation=np.full(B, is_escalation), covert_support=np.full((B, K), float(covert)))


def test_no_covert_support_no_attributions():
    """Expectation: without covert support nothing is attributed, however high the rate;
    with it (same streams) attributions happen."""
    params = EscalationParams(attribution_rate=1.0)
    none = _run(init_escalation(B), params, [_drivers(covert=0.0)] * 30)
    assert sum(record.attributions.sum() for _, record in none) == 0
    some = _run(init_escalation(B), params, [_drivers(covert=0.5)] * 30)
    assert sum(record.attributions.sum() for _, record in some) > 0


def test_attribution_probability_scales_with_support():
    """Expectation: attribution frequency is about attribution_rate * u_k (64 worlds x 3
    regions x 50 weeks = 9600 trials at p = 0.3: s.d. 0.0047, tolerance 0.02 > 4 s.d.)."""
    params = EscalationParams(attribution_rate=0.6)
    out = _run(init_escalation(B), params, [_drivers(covert=0.5)] * 50)
    share = np.mean([record.attributions.mean() for _, record in out])
    assert share == pytest.approx(0.3, abs=0.02)


def test_tension_decays_and_rises_with_escalations_and_attributions():
    """Expectation: tension decays by exp(-1/tau) without events; an escalation adds
    escalation_tension; each attributed region adds attribution_tension."""
    params = EscalationParams(
        tension_decay_weeks=4.0, escalation_tension=0.5, attribution_tension=0.25, attribution_rate=1.0
    )
    state = EscalationState(tension=np.full(B, 2.0), is_direct_conflict=np.zeros(B, bool))
    quiet, _ = step_escalation(state, params, _drivers(), _streams())
    np.testing.assert_allclose(quiet.tension, 2.0 * np.exp(-0.25))
    escalated, _ = step_escalation(state, params, _drivers(is_escalation=True), _streams())
    np.testing.assert_allclose(escalated.tension, 2.0 * np.exp(-0.25) + 0.5)
    attributed, record = step_escalation(state, params, _drivers(covert=1.0), _streams())
    np.testing.assert_array_equal(record.attributions, 1)  # probability min(1, 1 * 1) = 1
    np.testing.assert_allclose(attributed.tension, 2.0 * np.exp(-0.25) + 0.25 * K)


def test_direct_conflict_is_absorbing_and_follows_the_hazard():
    """Expectation: with hazard 1 every world enters direct conflict at once and stays;
    onset is reported only once; with hazard 0 none does."""
    certain = EscalationParams(baseline_hazard=np.inf)
    out = _run(init_escalation(B), certain, [_drivers()] * 3)
    assert out[0][0].is_direct_conflict.all() and out[0][1].is_conflict_onset.all()
    assert all(state.is_direct_conflict.all() and not record.is_conflict_onset.any() for state, record in out[1:])
    never = _run(
        init_escalation(B),
        EscalationParams(baseline_hazard=0.0, tension_hazard=0.0),
        [_drivers(covert=1.0, is_escalation=True)] * 20,
    )
    assert not any(state.is_direct_conflict.any() for state, _ in never)


def test_more_tension_more_conflict():
    """Expectation (common random numbers): a world started at higher tension enters
    conflict no later than the same world at lower tension, and more often in total."""
    params = EscalationParams(baseline_hazard=1e-3, tension_hazard=0.05)
    low = _run(init_escalation(B), params, [_drivers()] * 20)
    high_start = dataclasses.replace(init_escalation(B), tension=np.full(B, 5.0))
    high = _run(high_start, params, [_drivers()] * 20)
    low_conflict, high_conflict = low[-1][0].is_direct_conflict, high[-1][0].is_direct_conflict
    assert np.all(high_conflict >= low_conflict) and high_conflict.sum() > low_conflict.sum()


@pytest.mark.parametrize("name", ["conflict_hazard", "init_escalation", "step_escalation"])
def test_docstrings_match_signatures(name):
    """Documented parameter names equal the signature's."""
    check_documented_parameters(getattr(escalation_module, name))
