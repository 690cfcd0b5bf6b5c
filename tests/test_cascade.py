"""Tests of the inner circle: Granovetter's cascade and the weekly step."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conformance import check_documented_parameters, check_step
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import offramp
from offramp.model import cascade as cascade_module
from offramp.model.cascade import (
    CascadeParams,
    Elite,
    InnerCircleDrivers,
    InnerCircleState,
    cascade,
    cascade_fixed_point,
    init_inner_circle,
    step_inner_circle,
)
from offramp.model.streams import Stream, WorldStreams

B = 64  # worlds in batched tests; differs from E so no axis is mistaken for the world axis
SEED = 7


# --- Granovetter's examples and properties of the pure cascade -------------------------


def test_granovetter_uniform_thresholds_everyone_defects():
    """Thresholds 0, 1, ..., 99: each defection triggers the next, so all 100 defect."""
    assert cascade(np.arange(100)) == 100


def test_granovetter_one_changed_threshold_stops_the_cascade():
    """The person at threshold 1 moved to 2: only the instigator defects (Granovetter 1978)."""
    thresholds = np.arange(100)
    thresholds[1] = 2
    assert cascade(thresholds) == 1


def test_cascade_returns_python_int_for_one_population_and_array_for_batches():
    """One population gives an int; a batch (2, 3, N) gives int64 (2, 3)."""
    assert type(cascade(range(5))) is int
    batch = np.broadcast_to(np.arange(10.0), (2, 3, 10)).copy()
    batch[0, 1, 1] = 2
    result = cascade(batch)
    assert result.shape == (2, 3) and result.dtype == np.int64
    assert result[0, 1] == 1 and result[1, 2] == 10


def test_top_level_exports():
    """``offramp.cascade`` is the pure cascade function the issue promises."""
    assert offramp.cascade is cascade
    assert offramp.cascade(range(100)) == 100


def test_fractional_and_special_thresholds():
    """Fractional counts compare as they are; -inf always counts, +inf and NaN never."""
    assert cascade([0, 1.5, 2]) == 1  # 1.5 needs two others
    assert cascade([0, 1, 1.5]) == 3
    assert cascade([-np.inf, 5, np.inf]) == 1
    assert cascade([0, np.nan, 1]) == 2
    assert cascade([1, 1, 1]) == 0  # no instigator


def test_share_thresholds_with_population():
    """Share thresholds: 4 people, thresholds 0, 0.25, 0.5, 0.9 -> three defect (3/4 < 0.9)."""
    assert cascade_fixed_point([0.0, 0.25, 0.5, 0.9], population=4) == 3
    assert cascade_fixed_point([0.0, 0.25, 0.5, 0.75], population=4) == 4


def _closed_form(thresholds: np.ndarray) -> np.ndarray:
    """Independent oracle: sort thresholds; r* is the first j with sorted[j] > j."""
    ordered = np.sort(thresholds, axis=-1)
    is_stop = ordered > np.arange(ordered.shape[-1])
    return np.where(is_stop.any(axis=-1), is_stop.argmax(axis=-1), ordered.shape[-1])


threshold_arrays = arrays(
    np.float64,
    st.tuples(st.integers(1, 5), st.integers(1, 30)),
    elements=st.one_of(st.integers(0, 30).map(float), st.floats(0, 30, allow_nan=False)),
)


@settings(deadline=None, max_examples=100)
@given(threshold_arrays)
def test_cascade_result_is_a_fixed_point(thresholds):
    """F(r*) = r*: the number at or below the final count is the final count."""
    result = cascade_fixed_point(thresholds)
    reached = np.count_nonzero(thresholds <= result[..., None], axis=-1)
    np.testing.assert_array_equal(reached, result)
    np.testing.assert_array_equal(result, _closed_form(thresholds))


@settings(deadline=None, max_examples=100)
@given(threshold_arrays, st.data())
def test_cascade_is_monotone_in_thresholds(thresholds, data):
    """Raising any one threshold never increases the number who defect."""
    row = data.draw(st.integers(0, thresholds.shape[0] - 1))
    person = data.draw(st.integers(0, thresholds.shape[1] - 1))
    rise = data.draw(st.floats(0, 10))
    raised = thresholds.copy()
    raised[row, person] += rise
    assert np.all(cascade_fixed_point(raised) <= cascade_fixed_point(thresholds))


@settings(deadline=None, max_examples=100)
@given(threshold_arrays)
def test_cascade_does_not_mutate_its_input(thresholds):
    """The pure function leaves its argument alone."""
    before = thresholds.copy()
    cascade_fixed_point(thresholds)
    np.testing.assert_array_equal(thresholds, before)


# --- The inner circle's weekly step ----------------------------------------------------


def _streams(worlds=range(B), seed=SEED) -> WorldStreams:
    return WorldStreams.for_worlds(seed, worlds, Stream.INNER_CIRCLE)


def _inputs(n_worlds=B) -> tuple[InnerCircleState, CascadeParams, InnerCircleDrivers]:
    """A varied batch: swept parameters, some elites already wavering/defected/purged."""
    params = CascadeParams(contact_rate=np.linspace(0.1, 0.9, n_worlds), purge_rate=np.linspace(0.0, 0.5, n_worlds))
    state = init_inner_circle(params, WorldStreams.for_worlds(SEED, range(n_worlds), Stream.INNER_CIRCLE, 99))
    draws = WorldStreams.for_worlds(SEED, range(n_worlds), Stream.INNER_CIRCLE, 98).uniform((params.n_elites + 3,))
    status = np.select(
        [draws[:, :-3] < 0.1, draws[:, :-3] < 0.2, draws[:, :-3] < 0.4],
        [Elite.PURGED, Elite.DEFECTED, Elite.WAVERING],
        Elite.LOYAL,
    )
    state = dataclasses.replace(state, status=status.astype(np.int8))
    drivers = InnerCircleDrivers(outreach=draws[:, -3], survival_threat=draws[:, -2], paranoia=draws[:, -1])
    return state, params, drivers


def test_inner_circle_conformance():
    """Shapes/dtypes kept, inputs untouched, reproducible, batch invariant."""
    check_step(step_inner_circle, *_inputs(), Stream.INNER_CIRCLE, seed=SEED)


def test_init_is_batch_invariant_and_typed():
    """World i's elites depend only on (seed, i); dtypes as documented."""
    params = CascadeParams()
    full = init_inner_circle(params, _streams())
    alone = init_inner_circle(params, _streams([5]))
    np.testing.assert_array_equal(alone.threshold[0], full.threshold[5])
    assert full.threshold.shape == (B, 12) and full.status.dtype == np.int8
    assert np.all((full.threshold >= 0) & (full.threshold <= 1)) and np.all(full.status == Elite.LOYAL)


def _run(state, params, drivers, weeks, seed=SEED):
    streams = _streams(range(state.status.shape[0]), seed)
    records = []
    for _ in range(weeks):
        state, record = step_inner_circle(state, params, drivers, streams)
        records.append(record)
    return state, records


def _constant_drivers(outreach=0.0, threat=0.0, paranoia=0.0, n_worlds=B) -> InnerCircleDrivers:
    full = lambda v: np.full(n_worlds, float(v))  # noqa: E731
    return InnerCircleDrivers(outreach=full(outreach), survival_threat=full(threat), paranoia=full(paranoia))


def test_no_outreach_no_contacts():
    """Expectation: with outreach 0 nobody is contacted, so nobody wavers or is exposed;
    with outreach 1 (same streams) contacts happen."""
    state = init_inner_circle(CascadeParams(), _streams())
    off_state, off = _run(state, CascadeParams(), _constant_drivers(outreach=0.0), 20)
    assert sum(r.contacts.sum() for r in off) == 0 and sum(r.exposures.sum() for r in off) == 0
    assert not np.any(off_state.status == Elite.WAVERING)
    np.testing.assert_array_equal(off_state.threshold, state.threshold)
    _, on = _run(state, CascadeParams(), _constant_drivers(outreach=1.0), 20)
    assert sum(r.contacts.sum() for r in on) > 0


def test_more_exposure_probability_more_exposures():
    """Expectation (common random numbers): with the same contacts, a higher exposure
    probability exposes at least as many in every world, and more in total."""
    state = init_inner_circle(CascadeParams(), _streams())
    drivers = _constant_drivers(outreach=1.0)
    _, low = step_inner_circle(state, CascadeParams(exposure_probability=0.1), drivers, _streams())
    _, high = step_inner_circle(state, CascadeParams(exposure_probability=0.6), drivers, _streams())
    np.testing.assert_array_equal(low.contacts, high.contacts)
    assert np.all(high.exposures >= low.exposures) and high.exposures.sum() > low.exposures.sum()


def test_more_threat_lowers_thresholds_more():
    """Expectation: a contact under high survival threat lowers thresholds more (same
    streams, so the same elites are contacted)."""
    state = init_inner_circle(CascadeParams(), _streams())
    calm, _ = step_inner_circle(state, CascadeParams(), _constant_drivers(outreach=1.0, threat=0.0), _streams())
    threatened, _ = step_inner_circle(state, CascadeParams(), _constant_drivers(outreach=1.0, threat=1.0), _streams())
    assert np.all(threatened.threshold <= calm.threshold)
    assert threatened.threshold.sum() < calm.threshold.sum()


def test_no_paranoia_no_purges_and_paranoia_purges_the_wavering():
    """Expectation: paranoia 0 purges nobody; paranoia 1 with purge_rate 1 purges every
    wavering elite, and with mistaken ratio 0 no loyal one."""
    state, _, _ = _inputs()
    _, calm = step_inner_circle(state, CascadeParams(), _constant_drivers(paranoia=0.0), _streams())
    assert calm.purges.sum() == 0
    params = CascadeParams(purge_rate=1.0, mistaken_purge_ratio=0.0)
    after, purged = step_inner_circle(state, params, _constant_drivers(paranoia=1.0), _streams())
    was_wavering = state.status == Elite.WAVERING
    assert np.all(after.status[was_wavering] == Elite.PURGED)
    assert purged.mistaken_purges.sum() == 0
    np.testing.assert_array_equal(purged.purges, was_wavering.sum(axis=1))


def test_mistaken_purges_hit_loyal_elites():
    """Expectation: with a purge rate and mistaken ratio of 1 under full paranoia, loyal
    elites are purged too and counted as mistaken."""
    state = init_inner_circle(CascadeParams(), _streams())
    params = CascadeParams(purge_rate=1.0, mistaken_purge_ratio=1.0)
    after, record = step_inner_circle(state, params, _constant_drivers(paranoia=1.0), _streams())
    assert np.all(after.status == Elite.PURGED)
    np.testing.assert_array_equal(record.mistaken_purges, np.full(B, 12))


@pytest.mark.parametrize("shift", [0.05, -0.05])
def test_purge_threshold_shift_sign(shift):
    """Expectation: each purge shifts the survivors' thresholds by the signed parameter
    (fear raises them, threat lowers them)."""
    state, _, _ = _inputs()
    params = CascadeParams(purge_rate=1.0, mistaken_purge_ratio=0.0, purge_threshold_shift=shift)
    after, record = step_inner_circle(state, params, _constant_drivers(paranoia=1.0), _streams())
    is_survivor = after.status == Elite.LOYAL
    expected = np.clip(state.threshold + shift * record.purges[:, None], 0, 1)
    np.testing.assert_allclose(after.threshold[is_survivor], expected[is_survivor])
    assert np.any(record.purges > 0)


def test_cascade_inside_the_step():
    """One defected elite and thresholds 0, 1/12, 2/12, ...: everybody follows in one week
    (the shares reach each threshold in turn); with one gap the cascade stops."""
    n_worlds, n_elites = 2, 12
    threshold = np.broadcast_to(np.arange(n_elites) / n_elites, (n_worlds, n_elites)).copy()
    threshold[1, 2] = 3 / n_elites  # world 1: the third needs three, but only two have gone
    status = np.full((n_worlds, n_elites), Elite.LOYAL, np.int8)
    state = InnerCircleState(loyalty=np.ones((n_worlds, n_elites)), threshold=threshold, status=status)
    after, record = step_inner_circle(state, CascadeParams(), _constant_drivers(n_worlds=n_worlds), _streams(range(2)))
    np.testing.assert_array_equal(record.defections, [12, 2])
    np.testing.assert_array_equal(record.defected_share, [1.0, 2 / 12])
    assert np.all(after.status[0] == Elite.DEFECTED)


def test_coup_needs_the_coup_level():
    """Expectation: no coup below chi whatever the probability; at or above chi with
    probability 1, always a coup."""
    state, _, _ = _inputs()
    drivers = _constant_drivers()
    _, never = step_inner_circle(state, CascadeParams(coup_level=1.01, coup_probability=1.0), drivers, _streams())
    assert not never.is_coup.any()
    _, always = step_inner_circle(state, CascadeParams(coup_level=0.0, coup_probability=1.0), drivers, _streams())
    assert always.is_coup.all()
    _, sometimes = step_inner_circle(state, CascadeParams(coup_level=0.2, coup_probability=1.0), drivers, _streams())
    np.testing.assert_array_equal(sometimes.is_coup, sometimes.defected_share >= 0.2)


def test_purged_elites_stay_purged_and_defected_stay_defected():
    """Absorbing statuses: over many weeks, a purged or defected elite never changes."""
    state, params, drivers = _inputs()
    after, _ = _run(state, params, drivers, 15)
    for code in (Elite.PURGED, Elite.DEFECTED):
        assert np.all(after.status[state.status == code] == code)


@pytest.mark.parametrize("name", ["cascade", "cascade_fixed_point", "init_inner_circle", "step_inner_circle"])
def test_docstrings_match_signatures(name):
    """Documented parameter names equal the signature's."""
    check_documented_parameters(getattr(cascade_module, name))
