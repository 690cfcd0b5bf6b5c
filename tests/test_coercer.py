"""Tests of the coercer: levers, the strategy kinds, the shipped strategies, and the pace
regulator's effect on tension."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest
from conformance import check_documented_parameters, check_strategy

from offramp.errors import InputError
from offramp.model import coercer as coercer_module
from offramp.model.coercer import (
    SHIPPED_STRATEGIES,
    STRATEGY_KINDS,
    AdaptiveRule,
    Levers,
    Observation,
    PaceRegulator,
    StaticSchedule,
    Strategy,
    build_strategy,
    check_regions,
    register_strategy_kind,
    shipped_strategies,
)
from offramp.model.escalation import EscalationDrivers, EscalationParams, init_escalation, step_escalation
from offramp.model.streams import Stream, WorldStreams
from offramp.scenario.load import load_scenario
from offramp.scenario.translate import build_strategies

B, K = 64, 3
SEED = 17


def _observation(week=10, n_worlds=B) -> Observation:
    """A varied observation: unrest, tension and paranoia differ across worlds."""
    draws = WorldStreams.for_worlds(SEED, range(n_worlds), Stream.COERCER, 99).uniform((3 + K,))
    return Observation(
        week=week,
        tension=draws[:, 0] * 2,
        paranoia_estimate=draws[:, 1],
        unrest=draws[:, 3:] * 0.1,
        defected_share=draws[:, 2],
    )


def _swept_adaptive() -> AdaptiveRule:
    return AdaptiveRule(
        sanctions_initial=np.linspace(0, 0.5, B),
        sanctions_step_per_week=0.02,
        sanctions_cap=np.linspace(0.3, 1.0, B),
        covert_support=np.linspace(0, 1, B),
        covert_unrest_trigger=np.linspace(0.0, 0.1, B),
        covert_regions=(True, True, False),
        outreach=np.linspace(1, 0, B),
    )


ALL_STRATEGIES = {
    **SHIPPED_STRATEGIES,
    "swept_adaptive": _swept_adaptive(),
    "paced_swept": PaceRegulator(
        inner=_swept_adaptive(),
        tension_ceiling=np.linspace(0, 2, B),
        paranoia_ceiling=np.linspace(0.2, 1, B),
        throttle=np.linspace(0, 1, B),
    ),
    "per_region_static": StaticSchedule(covert_support=(((0, 0.0), (20, 1.0)), ((0, 1.0),), ((5, 0.2), (6, 0.4)))),
}


@pytest.mark.parametrize("name", sorted(ALL_STRATEGIES))
def test_strategy_conformance(name):
    """Every strategy: float64 levers of the right shapes in [0, 1], inputs untouched,
    deterministic, batch invariant (per-world parameters taken with their worlds)."""
    check_strategy(ALL_STRATEGIES[name], _observation())


@pytest.mark.parametrize("name", sorted(ALL_STRATEGIES))
def test_strategies_accept_a_per_world_week(name):
    """A (B,) week array gives the same levers as scalar weeks world by world."""
    strategy = ALL_STRATEGIES[name]
    weeks = np.arange(B) % 30
    batched = strategy.levers(dataclasses.replace(_observation(), week=weeks))
    for i in (0, 7, 29):
        single = strategy.levers(dataclasses.replace(_observation(), week=int(weeks[i])))
        np.testing.assert_array_equal(batched.sanctions[i], single.sanctions[i])
        np.testing.assert_array_equal(batched.covert_support[i], single.covert_support[i])


def test_shipped_strategies_cover_the_model():
    """MODEL.md's list: nothing (the baseline), sanctions only, conciliation, full pressure
    with and without the pace regulator, and the single-lever ablations; all satisfy the
    Strategy protocol."""
    assert set(SHIPPED_STRATEGIES) == {
        "nothing",
        "sanctions_only",
        "conciliation",
        "full_pressure",
        "full_pressure_paced",
        "covert_only",
        "outreach_only",
        "information_only",
    }
    assert all(isinstance(s, Strategy) for s in SHIPPED_STRATEGIES.values())
    assert isinstance(SHIPPED_STRATEGIES["full_pressure_paced"], PaceRegulator)
    assert SHIPPED_STRATEGIES["full_pressure_paced"].inner == SHIPPED_STRATEGIES["full_pressure"]


@pytest.mark.parametrize("week", [0, 10, 1000])
def test_nothing_sets_every_lever_to_zero(week):
    """The baseline every strategy is compared with: every lever 0 in every world and
    region, whatever it observes (high tension, unrest and defections included)."""
    observation = dataclasses.replace(_observation(week), unrest=np.ones((B, K)), defected_share=np.ones(B))
    levers = SHIPPED_STRATEGIES["nothing"].levers(observation)
    for field in dataclasses.fields(Levers):
        value = getattr(levers, field.name)
        assert value.dtype == np.float64 and not value.any(), field.name
    assert levers.covert_support.shape == (B, K)


@pytest.mark.parametrize("scenario", ["quick.toml", "essay.toml"])
def test_the_scenarios_nothing_is_the_shipped_nothing(scenario):
    """The shipped scenario files carry the same baseline, as data (a static schedule
    with no lever set)."""
    source = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / scenario)
    assert build_strategies(source, ["nothing"])["nothing"] == SHIPPED_STRATEGIES["nothing"]


def test_single_lever_ablations_use_one_lever():
    """Each ablation moves only its own lever, at the full campaign's level."""
    obs = _observation()
    full = SHIPPED_STRATEGIES["full_pressure"].levers(obs)
    for name, lever in [
        ("covert_only", "covert_support"),
        ("outreach_only", "outreach"),
        ("information_only", "information"),
    ]:
        levers = SHIPPED_STRATEGIES[name].levers(obs)
        for field in dataclasses.fields(Levers):
            value = getattr(levers, field.name)
            if field.name == lever:
                np.testing.assert_array_equal(value, getattr(full, lever))
                assert value.max() > 0
            else:
                assert not value.any(), f"{name}: {field.name} should be off"


def test_covert_regions_mask():
    """shipped_strategies(covert_regions) keeps covert support out of masked regions."""
    obs = dataclasses.replace(_observation(), unrest=np.full((B, K), 0.5))
    levers = shipped_strategies(covert_regions=(True, False, True))["full_pressure"].levers(obs)
    assert not levers.covert_support[:, 1].any() and levers.covert_support[:, [0, 2]].all()


def test_static_schedule_interpolates_and_holds():
    """Piecewise linear between points, constant before the first and after the last."""
    strategy = StaticSchedule(sanctions=[(4, 0.2), (8, 0.6)], covert_support=[[(0, 1.0)]])
    at = lambda week: strategy.levers(_observation(week))  # noqa: E731
    np.testing.assert_allclose(at(0).sanctions, 0.2)
    np.testing.assert_allclose(at(6).sanctions, 0.4)
    np.testing.assert_allclose(at(100).sanctions, 0.6)
    np.testing.assert_allclose(at(3).covert_support, 1.0)  # one schedule for every region
    assert not at(3).concessions.any()


def test_static_schedule_rejects_bad_data():
    """Unordered weeks or an empty schedule fail at construction, with the field named."""
    with pytest.raises(InputError, match=r"static\.sanctions"):
        StaticSchedule(sanctions=((5, 0.1), (2, 0.3)))
    with pytest.raises(InputError, match=r"static\.outreach"):
        StaticSchedule(outreach=())


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"kind": "static", "covert_support": [[[0, 1.0]], [[0, 1.0]]]}, "strategies.x.covert_support"),
        ({"kind": "adaptive", "covert_regions": [True, False]}, "strategies.x.covert_regions"),
        (
            {"kind": "paced", "inner": {"kind": "adaptive", "covert_regions": [True] * (K + 1)}},
            "strategies.x.inner.covert_regions",
        ),
    ],
)
def test_per_region_parameters_are_checked_when_built_not_each_week(spec, field):
    """Shapes that depend on K (covert schedules, the region mask, through a wrapper too)
    are checked once, by build_strategy given K, naming the field; with another K (the
    right one) the same data builds, and levers then trusts it."""
    with pytest.raises(InputError, match=rf"^{re.escape(field)}: "):
        build_strategy(spec, "strategies.x", n_regions=K)
    wrong = build_strategy(spec, "strategies.x")  # without K, nothing checks the shapes ...
    with pytest.raises(InputError, match=rf"^{re.escape(field)}: "):
        check_regions(wrong, K, "strategies.x")  # ... until check_regions is asked
    fitting = {**spec}
    if spec["kind"] == "static":
        fitting["covert_support"] = [[[0, 1.0]]] * K
    elif spec["kind"] == "adaptive":
        fitting["covert_regions"] = [True] * K
    else:
        fitting["inner"] = {"kind": "adaptive", "covert_regions": [True] * K}
    check_strategy(build_strategy(fitting, "strategies.x", n_regions=K), _observation())


def test_adaptive_rule_ramps_and_supports_regions_above_the_trigger():
    """Sanctions = min(cap, initial + step * week); covert support only where unrest is
    above the trigger (strictly)."""
    rule = AdaptiveRule(
        sanctions_initial=0.2,
        sanctions_step_per_week=0.05,
        sanctions_cap=0.7,
        covert_support=0.4,
        covert_unrest_trigger=0.1,
    )
    unrest = np.tile([0.05, 0.1, 0.3], (B, 1))
    early = rule.levers(dataclasses.replace(_observation(week=2), unrest=unrest))
    late = rule.levers(dataclasses.replace(_observation(week=40), unrest=unrest))
    np.testing.assert_allclose(early.sanctions, 0.3)
    np.testing.assert_allclose(late.sanctions, 0.7)
    np.testing.assert_array_equal(early.covert_support, np.tile([0.0, 0.0, 0.4], (B, 1)))


def test_pace_regulator_throttles_only_covert_and_outreach_above_ceilings():
    """Worlds over either ceiling get throttle x covert and outreach; other levers and
    other worlds pass through unchanged."""
    inner = SHIPPED_STRATEGIES["full_pressure"]
    obs = dataclasses.replace(_observation(), unrest=np.full((B, K), 0.5))
    paced = PaceRegulator(inner=inner, tension_ceiling=1.0, paranoia_ceiling=0.6, throttle=0.25)
    raw, regulated = inner.levers(obs), paced.levers(obs)
    is_over = (obs.tension > 1.0) | (obs.paranoia_estimate > 0.6)
    assert is_over.any() and (~is_over).any()
    scale = np.where(is_over, 0.25, 1.0)
    np.testing.assert_allclose(regulated.outreach, raw.outreach * scale)
    np.testing.assert_allclose(regulated.covert_support, raw.covert_support * scale[:, None])
    np.testing.assert_array_equal(regulated.sanctions, raw.sanctions)
    np.testing.assert_array_equal(regulated.information, raw.information)


def test_pace_regulator_lowers_peak_tension():
    """Expectation: under common random numbers, running the full campaign with the pace
    regulator gives a peak tension no higher than without it in every world, and a lower
    mean peak. Driven loop: coercer -> escalation, observed tension fed back each week,
    no leader escalations; steady unrest above the covert trigger everywhere."""
    params = EscalationParams(attribution_rate=0.5, attribution_tension=0.5)

    def peak_tension(strategy) -> np.ndarray:
        state, streams = init_escalation(B), WorldStreams.for_worlds(SEED, range(B), Stream.ESCALATION)
        peak = np.zeros(B)
        for week in range(52):
            obs = Observation(week, state.tension, np.zeros(B), np.full((B, K), 0.1), np.zeros(B))
            levers = strategy.levers(obs)
            state, _ = step_escalation(
                state, params, EscalationDrivers(np.zeros(B, bool), levers.covert_support), streams
            )
            peak = np.maximum(peak, state.tension)
        return peak

    unpaced = peak_tension(SHIPPED_STRATEGIES["full_pressure"])
    paced = peak_tension(SHIPPED_STRATEGIES["full_pressure_paced"])
    assert np.all(paced <= unpaced)
    assert paced.mean() < unpaced.mean() - 0.1


def test_build_strategy_from_plain_data():
    """Specs as a scenario file gives them (lists, nested paced spec) build the same
    strategies as the Python constructors; unknown kinds and fields name the field."""
    spec = {
        "kind": "paced",
        "tension_ceiling": 1.0,
        "inner": {
            "kind": "adaptive",
            "sanctions_initial": 0.2,
            "sanctions_step_per_week": 0.01,
            "sanctions_cap": 0.8,
            "covert_support": 0.6,
            "covert_unrest_trigger": 0.02,
            "information": 0.6,
            "outreach": 0.5,
        },
    }
    assert build_strategy(spec) == SHIPPED_STRATEGIES["full_pressure_paced"]
    static = build_strategy({"kind": "static", "sanctions": [[0, 0.2], [26, 0.0]], "concessions": [[0, 0.6]]})
    assert static == SHIPPED_STRATEGIES["conciliation"]
    with pytest.raises(InputError, match=r"strategies\.x\.kind"):
        build_strategy({"kind": "nope"}, "strategies.x")
    with pytest.raises(InputError, match=r"strategy\.inner\.sanctionz"):
        build_strategy({"kind": "paced", "inner": {"kind": "adaptive", "sanctionz": 1}})


def test_registry_holds_the_built_in_kinds_and_refuses_duplicates():
    """static, adaptive, paced are registered; a kind name cannot be taken twice."""
    assert {"static", "adaptive", "paced"} <= set(STRATEGY_KINDS)
    assert STRATEGY_KINDS["paced"] is PaceRegulator and PaceRegulator.kind == "paced"
    with pytest.raises(ValueError, match="already registered"):
        register_strategy_kind("static")(type("Other", (), {}))


@pytest.mark.parametrize(
    "function",
    [
        StaticSchedule.levers,
        AdaptiveRule.levers,
        PaceRegulator.levers,
        StaticSchedule.check_regions,
        AdaptiveRule.check_regions,
        PaceRegulator.check_regions,
        build_strategy,
        check_regions,
        shipped_strategies,
        register_strategy_kind,
    ],
)
def test_docstrings_match_signatures(function):
    """Documented parameter names equal the signature's."""
    check_documented_parameters(function)


def test_module_exports_exist():
    """Every name in __all__ exists."""
    assert all(hasattr(coercer_module, name) for name in coercer_module.__all__)
