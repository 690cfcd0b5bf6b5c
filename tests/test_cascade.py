"""Tests of the inner circle: Granovetter's and Kuran's cascades, and the weekly step of
the selectorate (rents, purges on evidence, coups with attempt and success)."""

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
    coup_probability,
    effective_thresholds,
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


def test_kuran_ten_person_society_stays_at_ten_percent():
    """Kuran (1991): ten people with revolutionary thresholds 0, 20, 20, 30, ..., 80, 100
    (percent of the society in open opposition). The one at 0 opposes regardless; the next
    needs 20% and sees 10%: public opposition stays at 10%."""
    thresholds = np.array([0, 20, 20, 30, 40, 50, 60, 70, 80, 100]) / 100
    assert cascade_fixed_point(thresholds, population=10) == 1


def test_kuran_one_lower_threshold_brings_ninety_percent():
    """Kuran (1991): the second person's threshold falls from 20 to 10, and the
    opposition snowballs to 90%; the last, at 100, never joins (the preference
    falsification that hid the change until it happened)."""
    thresholds = np.array([0, 10, 20, 30, 40, 50, 60, 70, 80, 100]) / 100
    assert cascade_fixed_point(thresholds, population=10) == 9


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

E = CascadeParams().n_elites  # 12: differs from B


def _streams(worlds=range(B), seed=SEED) -> WorldStreams:
    return WorldStreams.for_worlds(seed, worlds, Stream.INNER_CIRCLE)


def _drivers(outreach=0.0, threat=0.0, paranoia=0.0, pain=0.0, war=0.0, n_worlds=B) -> InnerCircleDrivers:
    """Drivers of one week; each value a scalar (every world) or a (B,) array."""
    full = lambda v: np.broadcast_to(np.asarray(v, np.float64), (n_worlds,)).copy()  # noqa: E731
    return InnerCircleDrivers(
        outreach=full(outreach),
        survival_threat=full(threat),
        paranoia=full(paranoia),
        economic_pain=full(pain),
        war_score=full(war),
    )


def _state(
    threshold,
    status=None,
    *,
    loyalty=0.5,
    is_contacted=False,
    is_suspect=False,
    rents=1.0,
    purges=0.0,
    purge_climate=0.0,
):
    """An inner circle from base thresholds (B, E); everything else constant unless given
    (by default no purges so far and no purge climate)."""
    threshold = np.asarray(threshold, np.float64)
    shape = threshold.shape
    status = np.full(shape, Elite.LOYAL) if status is None else status
    return InnerCircleState(
        loyalty=np.broadcast_to(np.asarray(loyalty, np.float64), shape).copy(),
        threshold=threshold.copy(),
        status=np.asarray(status).astype(np.int8),
        is_contacted=np.broadcast_to(np.asarray(is_contacted, bool), shape).copy(),
        is_suspect=np.broadcast_to(np.asarray(is_suspect, bool), shape).copy(),
        rents=np.broadcast_to(np.asarray(rents, np.float64), shape[:1]).copy(),
        purges=np.broadcast_to(np.asarray(purges, np.float64), shape[:1]).copy(),
        purge_climate=np.broadcast_to(np.asarray(purge_climate, np.float64), shape[:1]).copy(),
    )


def _inputs(n_worlds=B) -> tuple[InnerCircleState, CascadeParams, InnerCircleDrivers]:
    """A varied batch: swept parameters, elites already wavering, defected, purged,
    contacted or suspected, rents part cut, and drivers that differ by world."""
    spread = lambda low, high: np.linspace(low, high, n_worlds)  # noqa: E731
    params = CascadeParams(
        contact_rate=spread(0.1, 0.9),
        purge_rate=spread(0.0, 0.5),
        rent_cut=spread(0.2, 1.0),
        war_effect=spread(0.0, 0.3),
        coup_level=0.2,
        coup_attempt_rate=spread(0.0, 1.0),
        purge_threshold_shift=spread(-0.05, 0.05),
    )
    state = init_inner_circle(params, WorldStreams.for_worlds(SEED, range(n_worlds), Stream.INNER_CIRCLE, 99))
    draws = WorldStreams.for_worlds(SEED, range(n_worlds), Stream.INNER_CIRCLE, 98).uniform((2 * E + 6,))
    by_elite, flags, world = draws[:, :E], draws[:, E : 2 * E], draws[:, 2 * E :]
    status = np.select(
        [by_elite < 0.1, by_elite < 0.2, by_elite < 0.4], [Elite.PURGED, Elite.DEFECTED, Elite.WAVERING], Elite.LOYAL
    )
    state = dataclasses.replace(
        state,
        status=status.astype(np.int8),
        is_contacted=flags < 0.2,
        is_suspect=flags < 0.1,
        rents=world[:, 0],
    )
    drivers = _drivers(
        outreach=world[:, 1],
        threat=world[:, 2],
        paranoia=world[:, 3],
        pain=world[:, 4],
        war=2.0 * world[:, 5] - 1.0,
        n_worlds=n_worlds,
    )
    return state, params, drivers


def test_inner_circle_conformance():
    """Shapes/dtypes kept, inputs untouched, reproducible, batch invariant."""
    check_step(step_inner_circle, *_inputs(), Stream.INNER_CIRCLE, seed=SEED)


def test_init_is_batch_invariant_and_typed():
    """World i's elites depend only on (seed, i); dtypes as documented; full rents, no
    contacts, no suspects, no purges and no purge climate at the start."""
    params = CascadeParams()
    full = init_inner_circle(params, _streams())
    alone = init_inner_circle(params, _streams([5]))
    np.testing.assert_array_equal(alone.threshold[0], full.threshold[5])
    np.testing.assert_array_equal(alone.loyalty[0], full.loyalty[5])
    assert full.threshold.shape == (B, E) and full.status.dtype == np.int8
    assert np.all((full.threshold >= 0) & (full.threshold <= 1)) and np.all(full.status == Elite.LOYAL)
    assert np.all(full.rents == 1.0) and not full.is_contacted.any() and not full.is_suspect.any()
    assert np.all(full.purges == 0.0) and np.all(full.purge_climate == 0.0)
    assert full.purges.shape == full.purge_climate.shape == (B,) and full.purges.dtype == np.float64


def _run(state, params, drivers, weeks, seed=SEED):
    streams = _streams(range(state.status.shape[0]), seed)
    records = []
    for _ in range(weeks):
        state, record = step_inner_circle(state, params, drivers, streams)
        records.append(record)
    return state, records


def _trajectory(state, params, drivers, weeks, seed=SEED):
    """(states, records) of every week, same streams for every call with the same seed."""
    streams = _streams(range(state.status.shape[0]), seed)
    states, records = [], []
    for _ in range(weeks):
        state, record = step_inner_circle(state, params, drivers, streams)
        states.append(state)
        records.append(record)
    return states, records


def test_no_outreach_no_contacts():
    """Expectation: with outreach 0 nobody is contacted or exposed and no threshold moves
    (no purges at paranoia 0); with outreach 1 (same streams) contacts happen."""
    state = init_inner_circle(CascadeParams(), _streams())
    off_state, off = _run(state, CascadeParams(), _drivers(outreach=0.0), 20)
    assert sum(r.contacts.sum() for r in off) == 0 and sum(r.exposures.sum() for r in off) == 0
    assert not off_state.is_contacted.any()
    np.testing.assert_array_equal(off_state.threshold, state.threshold)
    on_state, on = _run(state, CascadeParams(), _drivers(outreach=1.0), 20)
    assert sum(r.contacts.sum() for r in on) > 0 and on_state.is_contacted.any()


def test_more_exposure_probability_more_exposures():
    """Expectation (common random numbers): with the same contacts, a higher exposure
    probability exposes at least as many in every world, and more in total."""
    state = init_inner_circle(CascadeParams(), _streams())
    drivers = _drivers(outreach=1.0)
    _, low = step_inner_circle(state, CascadeParams(exposure_probability=0.1), drivers, _streams())
    _, high = step_inner_circle(state, CascadeParams(exposure_probability=0.6), drivers, _streams())
    np.testing.assert_array_equal(low.contacts, high.contacts)
    assert np.all(high.exposures >= low.exposures) and high.exposures.sum() > low.exposures.sum()


def test_more_threat_lowers_thresholds_more():
    """Expectation: a contact under high survival threat lowers thresholds more (same
    streams, so the same elites are contacted)."""
    state = init_inner_circle(CascadeParams(), _streams())
    calm, _ = step_inner_circle(state, CascadeParams(), _drivers(outreach=1.0, threat=0.0), _streams())
    threatened, _ = step_inner_circle(state, CascadeParams(), _drivers(outreach=1.0, threat=1.0), _streams())
    assert np.all(threatened.threshold <= calm.threshold)
    assert threatened.threshold.sum() < calm.threshold.sum()


# --- rents, the war and the regime's prospects (choice 4) ----------------------------


def test_effective_thresholds_follow_rents_war_threat_and_the_purge_climate():
    """base - rent_effect (1 - R) + war_effect clip(X, -1, 1) - survival_effect Theta + C,
    clipped to [0, 1]; exact on dyadic values. The purge climate C (choice 7) adds to every
    elite's threshold: fear (C > 0) raises it, resentment (C < 0) lowers it."""
    params = CascadeParams(rent_effect=0.25, war_effect=0.125, survival_effect=0.125)
    state = _state(
        [[0.5, 0.1, 1.0]] * 6,
        rents=np.array([1.0, 0.5, 0.5, 0.0, 1.0, 0.5]),
        purge_climate=np.array([0.0, 0.0, 0.0, 0.0, 0.25, -0.125]),
    )
    drivers = _drivers(threat=[0.0, 1.0, 1.0, 0.0, 0.0, 0.0], war=[0.0, -1.0, 2.0, 1.0, 0.0, 0.0], n_worlds=6)
    np.testing.assert_array_equal(
        effective_thresholds(state, drivers, params),
        [
            [0.5, 0.1, 1.0],
            [0.125, 0.0, 0.625],  # lost rents, a lost war and full threat; 0.1 clips at 0
            [0.375, 0.0, 0.875],  # a war score of 2 counts as 1
            [0.375, 0.0, 0.875],
            [0.75, 0.35, 1.0],  # fear: 1.25 clips at 1
            [0.25, 0.0, 0.75],  # half the rents lost and resentment: 0.1 clips at 0
        ],
    )


def test_rents_follow_the_pain_of_sanctions_with_a_lag():
    """R <- R + (1 - rent_cut M - R)(1 - exp(-1/rent_weeks)), exactly, week one; after
    many weeks R has settled at 1 - rent_cut M."""
    pain = np.array([0.0, 0.5, 1.0])
    params = CascadeParams(rent_cut=0.8, rent_weeks=13.0)
    state = _state(np.full((3, E), 0.9))
    after, _ = step_inner_circle(state, params, _drivers(pain=pain, n_worlds=3), _streams(range(3)))
    np.testing.assert_allclose(after.rents, 1.0 - 0.8 * pain * -np.expm1(-1.0 / 13.0), rtol=1e-14)
    settled, _ = _run(state, params, _drivers(pain=pain, n_worlds=3), 400)
    np.testing.assert_allclose(settled.rents, 1.0 - 0.8 * pain, atol=1e-9)


def test_economic_pain_cuts_rents_and_brings_defections():
    """Expectation (common random numbers): under full pain the rents fall, every effective
    threshold is lower, and the defected share is at least as high in every world and week
    as without pain, and higher in total. No purges (paranoia 0) and no coups, so nothing
    else tells the two runs apart."""
    params = CascadeParams(coup_attempt_rate=0.0)
    state = init_inner_circle(params, _streams())
    calm_states, calm = _trajectory(state, params, _drivers(war=-0.5), 30)
    pained_states, pained = _trajectory(state, params, _drivers(war=-0.5, pain=1.0), 30)
    for calm_state, pained_state, calm_week, pained_week in zip(calm_states, pained_states, calm, pained, strict=True):
        assert np.all(pained_state.rents < calm_state.rents)
        assert np.all(pained_week.defected_share >= calm_week.defected_share)
    drivers = _drivers(war=-0.5)
    assert np.all(
        effective_thresholds(pained_states[-1], drivers, params)
        <= effective_thresholds(calm_states[-1], drivers, params)
    )
    assert sum(r.defected_share.sum() for r in pained) > sum(r.defected_share.sum() for r in calm)


# --- purges on evidence (choices 5-7) --------------------------------------------------


def test_an_unexposed_contact_is_never_purged():
    """At mistaken_purge_ratio 0, a paranoid leader (paranoia 1, purge rate 1) who never
    sees a contact (exposure 0, detection 0) purges nobody, however many are contacted;
    with every contact exposed (same streams) he purges every contact at once."""
    params = CascadeParams(
        contact_rate=1.0, exposure_probability=0.0, detection_rate=0.0, purge_rate=1.0, mistaken_purge_ratio=0.0
    )
    state = _state(np.ones((B, E)))  # high thresholds: nobody defects publicly
    drivers = _drivers(outreach=1.0, paranoia=1.0)
    hidden, records = _run(state, params, drivers, 5)
    assert sum(r.contacts.sum() for r in records) == 5 * B * E and hidden.is_contacted.all()  # every week
    assert sum(r.purges.sum() for r in records) == 0 and not hidden.is_suspect.any()
    assert np.all(hidden.status == Elite.WAVERING)  # contacted: wavering for good, unseen
    exposed, record = step_inner_circle(
        state, dataclasses.replace(params, exposure_probability=1.0), drivers, _streams()
    )
    assert np.all(exposed.status == Elite.PURGED) and np.all(record.exposures == E)
    assert record.mistaken_purges.sum() == 0


@settings(deadline=None, max_examples=60)
@given(st.integers(0, 2**32 - 1), st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_purges_need_evidence_in_any_state(seed, exposure, detection):
    """For random states and drivers at mistaken_purge_ratio 0: everyone purged was a
    suspect (exposed now or before, or seen wavering) or had defected publicly; new
    suspects are only exposed contacts and detected waverers, never an unexposed contact
    (at detection 0, the contacted are no new suspects)."""
    state, params, drivers = _inputs(n_worlds=8)
    params = dataclasses.replace(
        params,
        mistaken_purge_ratio=0.0,
        exposure_probability=exposure,
        detection_rate=detection,
        coup_attempt_rate=0.0,  # a failed coup's purge wave is evidence of its own (tested below)
    )
    streams = WorldStreams.for_worlds(seed, range(8), Stream.INNER_CIRCLE)
    after, record = step_inner_circle(state, params, drivers, streams)
    is_purged_now = (after.status == Elite.PURGED) & (state.status != Elite.PURGED)
    has_evidence = after.is_suspect | (state.status == Elite.DEFECTED)
    assert np.all(has_evidence[is_purged_now])
    assert record.mistaken_purges.sum() == 0
    if detection == 0.0:
        new_suspects = after.is_suspect & ~state.is_suspect
        assert new_suspects.sum() <= record.exposures.sum()


def test_public_defection_is_evidence():
    """Choice 7: a publicly defected elite is purged at a suspect's rate, suspected or
    not; at purge rate 1 and full paranoia every defected elite goes, no loyal one (at
    mistaken ratio 0), and none counts as a mistake."""
    status = np.where(np.arange(E) % 2 == 0, Elite.DEFECTED, Elite.LOYAL)[None, :].repeat(B, axis=0)
    state = _state(np.ones((B, E)), status)
    params = CascadeParams(purge_rate=1.0, mistaken_purge_ratio=0.0, detection_rate=0.0, coup_attempt_rate=0.0)
    after, record = step_inner_circle(state, params, _drivers(paranoia=1.0), _streams())
    np.testing.assert_array_equal(after.status, np.where(status == Elite.DEFECTED, Elite.PURGED, Elite.LOYAL))
    np.testing.assert_array_equal(record.purges, np.full(B, E // 2))
    assert record.mistaken_purges.sum() == 0 and np.all(record.defected_share == 0.0)


def test_no_paranoia_no_purges_and_paranoia_purges_every_suspect():
    """Expectation: paranoia 0 purges nobody; paranoia 1 with purge rate 1 and mistaken
    ratio 0 purges every suspect and every defected elite, and nobody else."""
    state, _, _ = _inputs()
    _, calm = step_inner_circle(state, CascadeParams(coup_attempt_rate=0.0), _drivers(paranoia=0.0), _streams())
    assert calm.purges.sum() == 0  # (no coup either: a failed one's purge wave is tested below)
    params = CascadeParams(purge_rate=1.0, mistaken_purge_ratio=0.0, detection_rate=0.0, coup_attempt_rate=0.0)
    after, purged = step_inner_circle(state, params, _drivers(paranoia=1.0), _streams())
    is_target = (state.is_suspect | (state.status == Elite.DEFECTED)) & (state.status != Elite.PURGED)
    assert np.all(after.status[is_target] == Elite.PURGED)
    assert not np.any(after.status[~is_target & (state.status != Elite.PURGED)] == Elite.PURGED)
    assert purged.mistaken_purges.sum() == 0
    np.testing.assert_array_equal(purged.purges, is_target.sum(axis=1))
    assert purged.purges.sum() > 0


def test_mistaken_purges_hit_loyal_elites():
    """Expectation: with a purge rate and mistaken ratio of 1 under full paranoia, loyal
    elites nobody suspects are purged too, and counted as mistaken."""
    state = init_inner_circle(CascadeParams(), _streams())
    params = CascadeParams(purge_rate=1.0, mistaken_purge_ratio=1.0, detection_rate=0.0)
    after, record = step_inner_circle(state, params, _drivers(paranoia=1.0), _streams())
    assert np.all(after.status == Elite.PURGED)
    np.testing.assert_array_equal(record.mistaken_purges, np.full(B, E))


def _climate_run(shift, weeks):
    """One week of purges at full paranoia (purge rate 1, no mistakes), then ``weeks - 1``
    weeks without purges, outreach or coups, from :func:`_inputs`' varied state with no
    purges so far. Returns the state after each week and the first week's record."""
    state, _, drivers = _inputs()
    params = CascadeParams(purge_rate=1.0, mistaken_purge_ratio=0.0, coup_attempt_rate=0.0, purge_threshold_shift=shift)
    streams = _streams()
    after, first = step_inner_circle(state, params, dataclasses.replace(drivers, paranoia=np.ones(B)), streams)
    quiet = dataclasses.replace(drivers, paranoia=np.zeros(B), outreach=np.zeros(B))
    states = [after]
    for _ in range(weeks - 1):
        after, _ = step_inner_circle(after, params, quiet, streams)
        states.append(after)
    return states, first, quiet, params


@pytest.mark.parametrize("shift", [0.05, -0.05], ids=["fear", "resentment"])
def test_purge_threshold_shift_sign(shift):
    """Choice 7: fear (shift > 0) or resentment (< 0) of purges builds slowly as the purge
    climate C, C <- C + (shift P - C)(1 - exp(-1/purge_climate_weeks)), with P the purges
    before the week. Expectations, against the same world at shift 0 (same draws):

    - in the purges' own week nothing but the purges happens: every base threshold, every
      status, the record and C (0) are those of the unshifted world; P counts the purges;
    - afterwards (no more purges) C follows the closed form shift P (1 - e^{-(n-1)/26})
      after n weeks, so its sign is the parameter's wherever anyone was purged, and C is
      0 where nobody was; after one time constant it has built up to 63% of shift P;
    - every elite's effective threshold is the unshifted one plus C (before clipping), and
      the defected share is no higher with fear, no lower with resentment, in every world
      and week, and differs in total (the climate acts on the cascade)."""
    weeks = 53
    states, first, drivers, params = _climate_run(shift, weeks)
    plain, plain_first, _, plain_params = _climate_run(0.0, weeks)
    purged = first.purges.astype(np.float64)
    assert np.any(purged > 0) and np.any(purged == 0)

    # The purges' own week: the shift does not act.
    np.testing.assert_array_equal(states[0].threshold, plain[0].threshold)
    np.testing.assert_array_equal(states[0].status, plain[0].status)
    for field in dataclasses.fields(first):
        np.testing.assert_array_equal(getattr(first, field.name), getattr(plain_first, field.name))
    np.testing.assert_array_equal(states[0].purge_climate, np.zeros(B))
    np.testing.assert_array_equal(states[0].purges, purged)

    # The climate builds toward shift P with the time constant, and keeps the sign.
    decay = np.exp(-1.0 / CascadeParams().purge_climate_weeks)
    for n, state in enumerate(states, start=1):
        np.testing.assert_array_equal(state.purges, purged)  # no purges after week one
        np.testing.assert_allclose(state.purge_climate, shift * purged * (1.0 - decay ** (n - 1)), rtol=1e-12)
    climate = states[-1].purge_climate
    np.testing.assert_array_equal(np.sign(climate), np.sign(shift) * (purged > 0))
    np.testing.assert_allclose(states[26].purge_climate, shift * purged * -np.expm1(-1.0), rtol=1e-12)

    # It acts on every effective threshold, and through them on the cascade.
    for state, plain_state in zip(states, plain, strict=True):
        shifted = effective_thresholds(state, drivers, params)
        unshifted = effective_thresholds(plain_state, drivers, plain_params)
        base = effective_thresholds(dataclasses.replace(state, purge_climate=np.zeros(B)), drivers, params)
        np.testing.assert_array_equal(base, unshifted)  # same base thresholds, rents and drivers
        expected = base + state.purge_climate[:, None]
        # Where neither value was clipped to [0, 1], the climate adds exactly.
        is_inside = (base > 0) & (base < 1) & (expected > 0) & (expected < 1)
        assert is_inside.mean() > 0.5
        np.testing.assert_allclose(shifted[is_inside], expected[is_inside], rtol=1e-12, atol=1e-15)
        assert np.all(np.sign(shift) * (shifted - base) >= 0)  # clipped ones move the same way or not at all
    shares = np.array([s.defected_share for s in states])
    plain_shares = np.array([s.defected_share for s in plain])
    direction = np.sign(shift) * (plain_shares - shares)  # >= 0: fear holds back, resentment pushes
    assert np.all(direction >= 0) and direction.sum() > 0


# --- a purge is coup-proofing: it never raises the coup-relevant share (choice 2) ----

statuses = arrays(np.int8, st.tuples(st.integers(1, 6), st.integers(1, 20)), elements=st.sampled_from(list(Elite)))


@settings(deadline=None, max_examples=100)
@given(statuses, st.data())
def test_purging_any_elite_never_raises_the_defected_share(status, data):
    """The share counts toward a coup over the original circle: purging a loyal or
    wavering elite leaves it as it is, purging a defected one lowers it by 1/E (version 1
    divided by the elites left, so purging the loyal raised it)."""
    row = data.draw(st.integers(0, status.shape[0] - 1))
    elite = data.draw(st.integers(0, status.shape[1] - 1))
    state = _state(np.zeros(status.shape), status)
    purged = status.copy()
    purged[row, elite] = Elite.PURGED
    before, after = state.defected_share, dataclasses.replace(state, status=purged).defected_share
    assert np.all(after <= before)
    expected_drop = (status[row, elite] == Elite.DEFECTED) / status.shape[1]
    assert before[row] - after[row] == pytest.approx(expected_drop, abs=1e-15)


@settings(deadline=None, max_examples=60)
@given(st.integers(0, 2**32 - 1), st.integers(0, E - 1), st.floats(0.0, 1.0), st.floats(0.0, 0.3))
def test_a_purge_never_raises_next_weeks_defected_share(seed, elite, paranoia, mistaken):
    """For random states and drivers: a world in which one more elite (defected, wavering
    or loyal) has been purged ends the next week with a defected share no higher and a
    coup probability no higher than the same world without that purge, with the same
    draws. Here purges are the bookkeeping alone: the purge climate (a fear or resentment
    mechanism whose sign is an explored uncertainty, tested above) is off (shift 0), and
    no coup is attempted (a failed coup's purge wave is a mechanism of its own)."""
    state, params, drivers = _inputs(n_worlds=8)
    params = dataclasses.replace(
        params, purge_threshold_shift=0.0, coup_attempt_rate=0.0, mistaken_purge_ratio=mistaken
    )
    drivers = dataclasses.replace(drivers, paranoia=np.full(8, paranoia))
    status = state.status.copy()
    status[:, elite] = Elite.PURGED
    purged = dataclasses.replace(state, status=status, purges=state.purges + (state.status[:, elite] != Elite.PURGED))
    streams = lambda: WorldStreams.for_worlds(seed, range(8), Stream.INNER_CIRCLE)  # noqa: E731
    _, without = step_inner_circle(state, params, drivers, streams())
    _, with_purge = step_inner_circle(purged, params, drivers, streams())
    assert np.all(with_purge.defected_share <= without.defected_share)
    level_params = dataclasses.replace(params, coup_attempt_rate=0.3)
    assert np.all(
        coup_probability(with_purge.defected_share, level_params)
        <= coup_probability(without.defected_share, level_params)
    )


def _circle_at_the_brink(purged_status: int, n_worlds: int = B) -> tuple[InnerCircleState, InnerCircleState]:
    """Two inner circles that differ by one purge only. Four of twelve have defected and
    elite 4 wavers with a threshold of 0.3: he follows the four (4/12 >= 0.3), which
    brings the circle to 5/12, at the coup level 0.4. In the second circle elite 0
    (defected) or elite 4 (wavering) has been purged, and the purge is counted (purges so
    far 1, the climate not yet built: the purge happened last week); the others' base
    thresholds are the same clipped-normal draws in both."""
    threshold = init_inner_circle(CascadeParams(), _streams(range(n_worlds))).threshold
    threshold[:, 4] = 0.3
    status = np.full((n_worlds, E), Elite.LOYAL)
    status[:, :4] = Elite.DEFECTED
    status[:, 4] = Elite.WAVERING
    purged = status.copy()
    purged[:, 0 if purged_status == Elite.DEFECTED else 4] = Elite.PURGED
    return _state(threshold, status), _state(threshold, purged, purges=1.0)


def _coup_probabilities(state, params, drivers, weeks):
    """Each week's coup probability at the defected share the week ends with, and the
    weeks' coups, from the same streams."""
    _, records = _trajectory(state, params, drivers, weeks)
    probability = np.array([coup_probability(r.defected_share, params) for r in records])
    shares = np.array([r.defected_share for r in records])
    coups = np.array([r.is_coup for r in records])
    return probability, shares, coups


SHIFTS = pytest.mark.parametrize(
    "shift", [0.0, 0.05, -0.05], ids=["no-shift", "fear", "resentment"]
)  # the explored range of purge_threshold_shift is [-0.05, 0.05] (claim C8)


@pytest.mark.parametrize("who", [Elite.DEFECTED, Elite.WAVERING], ids=["defected", "wavering"])
@SHIFTS
def test_a_purge_lowers_the_coup_probability_of_the_following_weeks(shift, who):
    """Coup-proofing (Sudduth 2017): the same world with and without one purge, the same
    draws, under pain and a losing war, for 12 weeks. With the purge, every week's
    defected share and coup probability are no higher in every world, lower in total,
    and no world has a coup the unpurged world does not have. No further purges (paranoia
    0) and no purge wave (failed_coup_purge 0) in either run, so that the two stay the
    same world but for the purge. This holds with fear and also with resentment: the
    purge climate builds over months (choice 7), and in 12 weeks resentment of one purge
    lowers thresholds by at most 0.05 (1 - e^{-11/26}) = 0.017, less than the 1/12 that
    the removed elite takes from the defected share (or 0.3 - 4/12 below his threshold)."""
    params = CascadeParams(failed_coup_purge=0.0, purge_threshold_shift=shift)
    drivers = _drivers(pain=0.5, war=-0.3, threat=0.3, paranoia=0.0)
    without, purged = _circle_at_the_brink(who)
    p_without, d_without, coups_without = _coup_probabilities(without, params, drivers, 12)
    p_purged, d_purged, coups_purged = _coup_probabilities(purged, params, drivers, 12)
    assert np.all(d_purged <= d_without) and np.all(p_purged <= p_without)
    assert p_purged.sum() < p_without.sum()
    assert np.all(coups_without[coups_purged])


@pytest.mark.parametrize("who", [Elite.DEFECTED, Elite.WAVERING], ids=["defected", "wavering"])
@SHIFTS
def test_a_purge_lowers_coups_on_average_with_purges_and_waves(shift, who):
    """The same comparison with the leader purging as he goes (paranoia 0.3) and failed
    coups' purge waves (the defaults): world by world the runs may part (the purge changes
    who is there to purge later), so the claim is about a batch of 256 worlds: the summed
    coup probability over 12 weeks and the coups are lower with the purge. The purges
    feed the purge climate in both runs (the purged world has one more), with no shift,
    fear or resentment: over the short run the climate has not built up, and the removal
    of a potential plotter dominates: the summed probability is lower by 20-24% and the
    coups by 15-24% (97 against 114 with no shift), far from a tie."""
    n_worlds = 256
    params = CascadeParams(purge_threshold_shift=shift)
    drivers = _drivers(pain=0.5, war=-0.3, threat=0.3, paranoia=0.3, n_worlds=n_worlds)
    without, purged = _circle_at_the_brink(who, n_worlds)
    p_without, _, coups_without = _coup_probabilities(without, params, drivers, 12)
    p_purged, _, coups_purged = _coup_probabilities(purged, params, drivers, 12)
    assert p_purged.sum() < p_without.sum()
    assert coups_purged.sum() < coups_without.sum()


# --- the public cascade inside the step --------------------------------------------------


def test_cascade_inside_the_step():
    """One defected elite and thresholds 0, 1/12, 2/12, ...: everybody follows in one week
    (the shares reach each threshold in turn); with one gap the cascade stops."""
    n_worlds = 2
    threshold = np.broadcast_to(np.arange(E) / E, (n_worlds, E)).copy()
    threshold[1, 2] = 3 / E  # world 1: the third needs three, but only two have gone
    state = _state(threshold, loyalty=1.0)
    after, record = step_inner_circle(state, CascadeParams(), _drivers(n_worlds=n_worlds), _streams(range(2)))
    np.testing.assert_array_equal(record.defections, [12, 2])
    np.testing.assert_array_equal(record.defected_share, [1.0, 2 / 12])
    assert np.all(after.status[0] == Elite.DEFECTED)


def test_kuran_inside_the_step():
    """Kuran's ten-person society as an inner circle of ten, at full rents, no war score
    and no threat (effective = base thresholds): 10% in one world, 90% in the other."""
    threshold = np.array([[0, 20, 20, 30, 40, 50, 60, 70, 80, 100], [0, 10, 20, 30, 40, 50, 60, 70, 80, 100]]) / 100
    params = CascadeParams(n_elites=10, coup_attempt_rate=0.0)
    _, record = step_inner_circle(_state(threshold), params, _drivers(n_worlds=2), _streams(range(2)))
    np.testing.assert_array_equal(record.defections, [1, 9])
    np.testing.assert_allclose(record.defected_share, [0.1, 0.9], rtol=1e-15)


def test_purged_elites_count_in_the_circle_they_left():
    """Shares are of the original circle (choice 2): with four of twelve purged, one
    defection is 1/12, and a threshold of 2/12 needs two defected elites, not 2/8."""
    threshold = np.full((1, E), 1.0)
    threshold[0, :2] = [0.0, 1.5 / E]  # the second needs 1.5/12: one defected is not enough
    status = np.full((1, E), Elite.LOYAL)
    status[0, -4:] = Elite.PURGED
    _, record = step_inner_circle(_state(threshold, status), CascadeParams(), _drivers(n_worlds=1), _streams([0]))
    np.testing.assert_array_equal(record.defections, [1])
    np.testing.assert_array_equal(record.defected_share, [1 / E])


# --- coups (choice 8) ---------------------------------------------------------------------


def test_coup_probability_is_attempt_times_success_at_the_coup_level():
    """coup_attempt_rate * coup_success at or above coup_level, 0 below; per-world values."""
    params = CascadeParams(coup_level=np.array([0.25, 0.25, 0.5]), coup_attempt_rate=0.5, coup_success=0.5)
    np.testing.assert_array_equal(coup_probability(np.array([0.25, 0.2, 0.75]), params), [0.25, 0.0, 0.25])


def test_coup_needs_the_coup_level():
    """Expectation: no coup below the coup level whatever the rates; at or above it with
    attempt rate and success 1, always a coup."""
    state, _, _ = _inputs()
    drivers = _drivers()
    certain = {"coup_attempt_rate": 1.0, "coup_success": 1.0}
    _, never = step_inner_circle(state, CascadeParams(coup_level=1.01, **certain), drivers, _streams())
    assert not never.is_coup.any() and not never.coup_attempts.any()
    _, always = step_inner_circle(state, CascadeParams(coup_level=0.0, **certain), drivers, _streams())
    assert always.is_coup.all()
    _, sometimes = step_inner_circle(state, CascadeParams(coup_level=0.2, **certain), drivers, _streams())
    np.testing.assert_array_equal(sometimes.is_coup, sometimes.defected_share >= 0.2)
    assert 0 < sometimes.is_coup.sum() < B


def _all_defected(n_worlds: int) -> InnerCircleState:
    return _state(np.zeros((n_worlds, E)), np.full((n_worlds, E), Elite.DEFECTED))


@pytest.mark.slow
def test_coup_attempts_and_successes_follow_their_rates():
    """Statistical, fixed seed. N = 5000 worlds whose whole circle has defected, one week:
    attempts ~ Bin(N, 0.3) and, at attempt rate 1, successes ~ Bin(N, 0.48) (Powell &
    Thyne's share). Standard deviations of the shares: 0.0065 and 0.0071; the tolerance
    is 4 of them (a false alarm has probability below 1e-4), and the seed is fixed, so
    the test is deterministic."""
    n_worlds = 5000
    state, drivers = _all_defected(n_worlds), _drivers(n_worlds=n_worlds)
    streams = lambda: _streams(range(n_worlds))  # noqa: E731
    _, attempts = step_inner_circle(state, CascadeParams(coup_attempt_rate=0.3), drivers, streams())
    assert attempts.coup_attempts.mean() == pytest.approx(0.3, abs=4 * np.sqrt(0.3 * 0.7 / n_worlds))
    np.testing.assert_array_equal(attempts.is_coup | attempts.failed_coups.astype(bool), attempts.coup_attempts == 1)
    _, coups = step_inner_circle(state, CascadeParams(coup_attempt_rate=1.0, coup_success=0.48), drivers, streams())
    assert coups.coup_attempts.all()
    assert coups.is_coup.mean() == pytest.approx(0.48, abs=4 * np.sqrt(0.48 * 0.52 / n_worlds))


def test_a_failed_coup_purges_the_defected():
    """A coup that fails (success 0) is followed by a purge wave: at failed_coup_purge 1
    every defected elite is purged at once (and counted in the purges so far, which feed
    the purge climate), the loyal are left alone; at 0 nobody is; at
    0.5 a subset of those (the same draws) and some of them. Paranoia 0: no other purge."""
    status = np.full((B, E), Elite.LOYAL)
    status[:, :6] = Elite.DEFECTED
    state = _state(np.ones((B, E)), status)
    drivers = _drivers()

    def wave(share):
        params = CascadeParams(coup_attempt_rate=1.0, coup_success=0.0, failed_coup_purge=share)
        return step_inner_circle(state, params, drivers, _streams())

    full_state, full = wave(1.0)
    np.testing.assert_array_equal(full_state.status, np.where(status == Elite.DEFECTED, Elite.PURGED, Elite.LOYAL))
    assert full.failed_coups.all() and not full.is_coup.any()
    np.testing.assert_array_equal(full.purges, np.full(B, 6))
    np.testing.assert_array_equal(full_state.purges, full.purges)  # the wave counts as purges so far
    assert np.all(full.defected_share == 0.0) and full.mistaken_purges.sum() == 0
    none_state, none = wave(0.0)
    np.testing.assert_array_equal(none_state.status, status)
    assert none.failed_coups.all() and none.purges.sum() == 0
    half_state, half = wave(0.5)
    is_half = half_state.status == Elite.PURGED
    assert np.all(full_state.status[is_half] == Elite.PURGED) and 0 < is_half.sum() < full.purges.sum()
    np.testing.assert_array_equal(half.purges, is_half.sum(axis=1))


def test_insider_removal_without_outreach_under_pain_and_a_losing_war():
    """Version 1 removed the leader only through outreach. Here, with no outreach at all
    (no contact is ever made), lost rents, a losing war and a threatened regime bring
    defections and coups in some worlds within a year; the same worlds at peace with full
    rents see none (same streams)."""
    state = init_inner_circle(CascadeParams(), _streams())
    hard = _drivers(outreach=0.0, pain=1.0, war=-1.0, threat=0.5, paranoia=0.2)
    _, records = _run(state, CascadeParams(), hard, 52)
    assert sum(r.contacts.sum() for r in records) == 0
    removed = np.logical_or.reduce([r.is_coup for r in records])
    assert removed.sum() >= 3, removed.sum()
    _, calm = _run(state, CascadeParams(), _drivers(outreach=0.0, paranoia=0.2), 52)
    assert not any(r.is_coup.any() for r in calm)


def test_purged_elites_stay_purged_and_defected_never_return():
    """Absorbing statuses: over many weeks a purged elite stays purged, and a defected
    one stays defected or is purged, never loyal or wavering again."""
    state, params, drivers = _inputs()
    after, _ = _run(state, params, drivers, 15)
    assert np.all(after.status[state.status == Elite.PURGED] == Elite.PURGED)
    assert np.all(np.isin(after.status[state.status == Elite.DEFECTED], [Elite.DEFECTED, Elite.PURGED]))


@pytest.mark.parametrize(
    "name",
    [
        "cascade",
        "cascade_fixed_point",
        "coup_probability",
        "effective_thresholds",
        "init_inner_circle",
        "step_inner_circle",
    ],
)
def test_docstrings_match_signatures(name):
    """Documented parameter names equal the signature's."""
    check_documented_parameters(getattr(cascade_module, name))
