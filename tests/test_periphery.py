"""Tests of the periphery couplings of model version 2: legitimacy in a band, the sign
of repression, rally round the flag, the foreign hand, fungible support and the war's
cost (weariness included).

The numbered choices referred to below are those of :mod:`offramp.model.periphery`'s
module docstring. The regions' week as ``step_world`` runs it (conformance, bounds under
extreme levers, the armed share) is tested in test_world.py.
"""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from test_directional import QUICK, simulate

from offramp.model.periphery import (
    PeripheryDrivers,
    PeripheryParams,
    RegionTable,
    legitimacy_band,
    organisation_effects,
    step_legitimacy,
    step_opposition,
    step_rally,
    war_cost,
)
from offramp.scenario.translate import build_strategies

BASE = (0.7, 0.85)  # a periphery region and the core


def _regions(base=BASE) -> RegionTable:
    """Two regions: a periphery region and the regime's core."""
    return RegionTable(
        names=("periphery", "core"),
        is_core=np.array([False, True]),
        allows_covert=np.array([True, False]),
        weight=np.array([0.8, 1.5]),
        base_legitimacy=np.asarray(base, np.float64),
        hardship_scale=np.ones(2),
        citizen_density=np.full(2, 0.7),
        police_density=np.full(2, 0.07),
        max_jail_steps=np.full(2, 20, np.int64),
    )


def _drivers(
    n_worlds: int,
    *,
    information=0.0,
    war_cost=0.0,
    weariness=0.0,
    arrested=0.0,
    sanctions_rise=0.0,
    attributions=0,
    covert=0.0,
) -> PeripheryDrivers:
    def per_world(value):
        return np.broadcast_to(np.asarray(value, np.float64), (n_worlds,)).copy()

    def per_region(value, dtype=np.float64):
        return np.broadcast_to(np.asarray(value, dtype), (n_worlds, 2)).copy()

    return PeripheryDrivers(
        information=per_world(information),
        covert_support=per_region(covert),
        war_cost=per_world(war_cost),
        weariness=per_world(weariness),
        arrested_share=per_region(arrested),
        sanctions_rise=per_world(sanctions_rise),
        attributions=per_region(attributions, np.int64),
    )


def _at_base(n_worlds: int, base=BASE) -> np.ndarray:
    return np.tile(np.asarray(base, np.float64), (n_worlds, 1))


# --- Legitimacy in its band (choice 1) -------------------------------------------------


def _assert_in_band(legitimacy, low, high):
    assert np.all(legitimacy >= low - 1e-12) and np.all(legitimacy <= high + 1e-12)


def test_legitimacy_stays_in_its_band_at_every_extreme():
    """Every corner of the drivers' extremes, one world each (2^6 = 64 worlds): repression
    effect -10 or +10 with every citizen arrested or none, information 0 or 1, war cost 0
    or 1, weariness 0 or 1, a rally of 0 or 1e6; information effect and casualty
    sensitivity at their maximum 1, a fast relaxation (1 week) and 200 weeks.

    Expectation: legitimacy never leaves [L0 - band, L0 + band] (within [0, 1]); the
    extremes do reach both edges, so the bound is exercised, not vacuous."""
    corners = np.array(list(itertools.product([-10.0, 10.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [0, 1e6])))
    repression, arrested, information, cost, wear, rally = corners.T
    n = corners.shape[0]
    params = PeripheryParams(
        repression_effect=repression,
        information_effect=1.0,
        casualty_sensitivity=1.0,
        legitimacy_weeks=1.0,
        legitimacy_band=0.25,
    )
    regions = _regions()
    drivers = _drivers(n, information=information, war_cost=cost, weariness=wear, arrested=arrested[:, None])
    low, high = legitimacy_band(regions, params, n)
    np.testing.assert_allclose(low, _at_base(n) - 0.25)
    np.testing.assert_allclose(high, np.minimum(_at_base(n) + 0.25, 1.0))
    legitimacy = _at_base(n)
    for _ in range(200):
        legitimacy = step_legitimacy(legitimacy, rally, regions, params, drivers)
        _assert_in_band(legitimacy, low, high)
    assert np.isclose(legitimacy, low, atol=1e-6).any(axis=0).all()  # both regions hit the floor
    assert np.isclose(legitimacy, high, atol=1e-6).any(axis=0).all()  # and the ceiling


@settings(deadline=None, max_examples=200)
@given(
    repression=st.floats(-10.0, 10.0),
    arrested=st.floats(0.0, 1.0),
    information=st.floats(0.0, 1.0),
    cost=st.floats(0.0, 1.0),
    wear=st.floats(0.0, 1.0),
    rally=st.floats(0.0, 1e9),
    effect=st.floats(0.0, 1.0),
    sensitivity=st.floats(0.0, 1.0),
    band=st.floats(0.0, 1.0),
    base=st.tuples(st.floats(0.0, 1.0), st.floats(0.0, 1.0)),
    weeks=st.floats(0.01, 1e4),
)
def test_legitimacy_band_holds_for_any_parameters(
    repression, arrested, information, cost, wear, rally, effect, sensitivity, band, base, weeks
):
    """Property: from its base, legitimacy stays in the band for 30 weeks, whatever the
    parameters and drivers in their schema ranges (band and base anywhere in [0, 1])."""
    params = PeripheryParams(
        repression_effect=repression,
        information_effect=effect,
        casualty_sensitivity=sensitivity,
        legitimacy_band=band,
        legitimacy_weeks=weeks,
    )
    regions = _regions(base)
    drivers = _drivers(1, information=information, war_cost=cost, weariness=wear, arrested=arrested)
    low, high = legitimacy_band(regions, params, 1)
    assert np.all((low >= 0) & (high <= 1))
    legitimacy = _at_base(1, base)
    for _ in range(30):
        legitimacy = step_legitimacy(legitimacy, np.array([rally]), regions, params, drivers)
        _assert_in_band(legitimacy, low, high)


def test_repression_sign():
    """Expectation: arrests lower legitimacy when repression_effect is positive (backlash),
    raise it when negative (deterrence) and leave it when 0; one week from the base, by
    exactly (target - L0)(1 - e^{-1/legitimacy_weeks}), target = L0 - effect x arrested."""
    effects = np.array([1.0, 0.0, -1.0])
    params = PeripheryParams(repression_effect=effects)
    legitimacy = step_legitimacy(_at_base(3), np.zeros(3), _regions(), params, _drivers(3, arrested=0.1))
    base = _at_base(3)
    expected = base + (-effects[:, None] * 0.1) * (1 - np.exp(-1 / 13.0))
    np.testing.assert_allclose(legitimacy, expected, rtol=1e-12)
    assert np.all(legitimacy[0] < base[0]) and np.all(legitimacy[1] == base[1]) and np.all(legitimacy[2] > base[2])


# --- Rally round the flag (choice 6) ---------------------------------------------------


def test_rally_rises_with_sanctions_and_attributions_and_decays():
    """Expectation: a rise of sanctions adds rally_effect x the rise, an attribution adds
    rally_attribution; without either the rally decays by e^{-1/rally_weeks} a week."""
    params = PeripheryParams(rally_effect=0.5, rally_attribution=0.02, rally_weeks=12.0)
    rally = step_rally(np.zeros(1), params, _drivers(1, sanctions_rise=0.4, attributions=[[1, 2]]))
    np.testing.assert_allclose(rally, 0.5 * 0.4 + 0.02 * 3, rtol=1e-12)
    series = [rally]
    for _ in range(10):
        series.append(step_rally(series[-1], params, _drivers(1)))
    np.testing.assert_allclose(np.ravel(series), rally[0] * np.exp(-np.arange(11) / 12.0), rtol=1e-12)


def test_rally_raises_core_legitimacy_for_a_while():
    """One rise of sanctions (0 to 0.6) and then none, for 80 weeks.

    Expectation: the core's legitimacy rises above its base, peaks and falls back toward
    it as the rally decays; the periphery region (not core) is untouched, since the rally
    acts on the core only."""
    params = PeripheryParams(rally_effect=0.5, rally_weeks=12.0)
    regions = _regions()
    rally, legitimacy, core = np.zeros(1), _at_base(1), []
    for week in range(80):
        drivers = _drivers(1, sanctions_rise=0.6 if week == 0 else 0.0)
        rally = step_rally(rally, params, drivers)
        legitimacy = step_legitimacy(legitimacy, rally, regions, params, drivers)
        np.testing.assert_array_equal(legitimacy[:, 0], BASE[0])
        core.append(legitimacy[0, 1])
    core_path = np.array(core)
    peak = core_path.argmax()
    assert core_path[peak] > BASE[1] + 0.05
    assert 0 < peak < 79 and np.all(np.diff(core_path[peak:]) < 0)
    assert core_path[-1] - BASE[1] < 0.1 * (core_path[peak] - BASE[1])


# --- The foreign hand (choice 3) -------------------------------------------------------


def test_foreign_hand_shrinks_organisation_effects_once_attributed():
    """Expectation: once a region's support is attributed, organisation lowers the
    activation threshold and the perceived risk by (1 - foreign_hand) times what it did
    before, exactly: foreign_hand 0 changes nothing, 1 removes the effects."""
    opposition = np.tile([0.2, 0.6, 1.0], (4, 1))
    hands = np.array([0.0, 0.3, 0.7, 1.0])
    params = PeripheryParams(foreign_hand=hands, threshold_effect=0.5, risk_effect=0.5, active_threshold=0.1)
    threshold, risk = organisation_effects(opposition, np.zeros((4, 3), bool), params)
    threshold_attr, risk_attr = organisation_effects(opposition, np.ones((4, 3), bool), params)
    drop, drop_attr = 0.1 - threshold, 0.1 - threshold_attr
    assert np.all(drop > 0)
    np.testing.assert_allclose(drop_attr, (1 - hands)[:, None] * drop, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(1 - risk_attr, (1 - hands)[:, None] * (1 - risk), rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(threshold_attr[-1], 0.1)
    np.testing.assert_array_equal(risk_attr[-1], 1.0)


def test_regions_are_attributed_after_an_attribution_and_stay_so():
    """In the coupled model (quick.toml, covert_only, attribution rate 0.5 per unit of
    support): a region counts as attributed from the week after its first attribution
    and for good. Exact: the final flag equals "some attribution in a week before the
    world's last week", for every world and region; some are attributed, and the core
    (no support) never is."""
    n = 32
    strategy = build_strategies(QUICK, ["covert_only"])["covert_only"]
    run = simulate(QUICK, strategy, n, overrides={"escalation.attribution_rate": np.full(n, 0.5)})
    before_last = run.is_running[1:]  # week w's attributions reach the state if week w + 1 ran
    expected = ((run.attributions[:-1] > 0) & before_last[:, :, None]).any(axis=0)
    np.testing.assert_array_equal(run.final.periphery.is_attributed, expected)
    assert expected[:, 0].any() and not expected[:, 1].any()


# --- Fungible support (choice 3) -------------------------------------------------------


def test_fungible_support_slows_decay_only_while_support_flows():
    """Expectation: while support flows, organised capacity decays at
    opposition_decay x (1 - fungible_share); once it stops, at opposition_decay, whatever
    the fungible share. Exact, over 10 weeks of support at 0.5 and 20 weeks without."""
    decay, growth = 0.05, 0.02
    params = PeripheryParams(opposition_decay=decay, opposition_growth=growth, fungible_share=np.array([0.0, 0.6]))
    opposition = np.full((2, 2), 0.3)
    for _ in range(10):
        new = step_opposition(opposition, params, np.full((2, 2), 0.5))
        expected = (1 - decay * np.array([[1.0], [0.4]])) * opposition + growth * 0.5
        np.testing.assert_allclose(new, expected, rtol=1e-12)
        opposition = new
    assert np.all(opposition[1] > opposition[0])
    for _ in range(20):
        new = step_opposition(opposition, params, np.zeros((2, 2)))
        np.testing.assert_allclose(new, (1 - decay) * opposition, rtol=1e-12)
        opposition = new


# --- The war's cost (choice 2) ---------------------------------------------------------


def test_war_cost_includes_weariness():
    """(M + (1 - W) + w) / 3: weariness alone makes the war a third costly; each unit of
    weariness adds a third; the mean of three quantities in [0, 1] stays in [0, 1]."""
    np.testing.assert_allclose(war_cost(np.zeros(1), np.ones(1), np.ones(1)), 1 / 3)
    pain, capacity = np.array([0.0, 0.4, 1.0]), np.array([1.0, 0.5, 0.0])
    for wear in (0.0, 0.5, 1.0):
        np.testing.assert_allclose(
            war_cost(pain, capacity, np.full(3, wear)), (pain + 1 - capacity + wear) / 3, rtol=1e-12
        )
    np.testing.assert_array_equal(war_cost(np.ones(1), np.zeros(1), np.ones(1)), 1.0)


def test_weariness_lowers_legitimacy():
    """Expectation: under an information campaign, weariness (through the war's cost)
    lowers every region's legitimacy; without the campaign it still lowers the core's
    (casualty sensitivity) and leaves the periphery region's alone."""
    params = PeripheryParams(information_effect=0.2, casualty_sensitivity=0.1)
    regions = _regions()

    def week(information, wear):
        cost = war_cost(np.full(1, 0.2), np.full(1, 0.8), np.full(1, wear))
        drivers = _drivers(1, information=information, war_cost=cost, weariness=wear)
        return step_legitimacy(_at_base(1), np.zeros(1), regions, params, drivers)

    assert np.all(week(1.0, 1.0) < week(1.0, 0.0))
    quiet_weary, quiet = week(0.0, 1.0), week(0.0, 0.0)
    assert quiet_weary[0, 1] < quiet[0, 1]
    assert quiet_weary[0, 0] == quiet[0, 0] == BASE[0]
