"""Directional tests of the coupled model (MODEL.md, "Every mechanism has a directional
test"), with common random numbers: the same seed and the same world indices in both
arms, only one thing changed.

Two kinds of comparison, each named in its test's docstring:

- **Exact, paired**: where CRN makes the two arms see the same draws up to the point the
  change acts, the expectation holds world by world (and week by week), with no tolerance.
- **Statistical, paired**: where the arms' paths diverge (a changed lever feeds back
  through the grids, the inner circle and the leader), we compare per-world differences
  d_i = X_i(changed) - X_i(baseline) over n independent worlds (each world has its own
  streams). By the central limit theorem mean(d) / (sd(d) / sqrt(n)) is approximately
  standard normal when there is no effect, so we require it beyond the one-sided
  alpha = 0.001 quantile, z = 3.09, in the expected direction. The tolerance is derived
  from the sample, never tuned.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from offramp.model.coercer import AdaptiveRule, Levers, Observation, PaceRegulator, StaticSchedule, Strategy
from offramp.model.world import Outcome, WorldState, WorldStreamSet, init_world, step_world
from offramp.run.runner import run_worlds
from offramp.scenario.load import load_scenario
from offramp.scenario.translate import build_strategies, to_params

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
QUICK = load_scenario(SCENARIOS / "quick.toml").scenario
ESSAY = load_scenario(SCENARIOS / "essay.toml").scenario
SEED = 7
Z_ONE_SIDED_0001 = 3.090232306167813  # Phi^-1(0.999)


@dataclass(frozen=True)
class Run:
    """Per-week arrays of a run, stacked on a leading week axis (T, B, ...).

    ``is_running`` is True where the world had not ended at the start of the week.
    ``start_*`` are the true values at the start of the week (after the week before),
    ``seen_*`` what the coercer's strategy was shown that week (noisy and lagged), and
    ``is_throttled`` whether a pace regulator's ceilings were exceeded by what it saw.
    """

    final: WorldState
    is_running: np.ndarray
    economic_pain: np.ndarray
    sanctions: np.ndarray
    paranoia: np.ndarray
    legitimacy: np.ndarray
    opposition: np.ndarray
    covert_support: np.ndarray
    outreach: np.ndarray
    attributions: np.ndarray
    contacts: np.ndarray
    exposures: np.ndarray
    tension: np.ndarray
    start_tension: np.ndarray
    start_paranoia: np.ndarray
    start_unrest: np.ndarray
    start_defected_share: np.ndarray
    seen_tension: np.ndarray
    seen_paranoia: np.ndarray
    seen_unrest: np.ndarray
    seen_defected_share: np.ndarray
    is_throttled: np.ndarray


class Watching:
    """A strategy that keeps every observation the world shows it and plays ``inner``:
    the world builds the observation inside ``step_world`` (noise and lag drawn from the
    coercer's stream), so this is how a test sees what the strategy saw."""

    def __init__(self, inner: Strategy) -> None:
        self.inner = inner
        self.seen: list[Observation] = []

    def levers(self, observation: Observation) -> Levers:
        """Record the observation, then the inner strategy's levers.

        Parameters
        ----------
        observation : Observation

        Returns
        -------
        Levers
        """
        self.seen.append(observation)
        return self.inner.levers(observation)


def simulate(scenario, strategy: Strategy, n_worlds: int, *, overrides=None, weeks=None, seed=SEED) -> Run:
    """Run ``n_worlds`` worlds (indices 0..n-1) with ``strategy`` and keep what the tests
    read, week by week."""
    params = to_params(scenario, n_worlds, overrides)
    streams = WorldStreamSet.for_worlds(seed, np.arange(n_worlds))
    state = init_world(params, streams)
    rows: dict[str, list] = {}
    ceilings = (getattr(strategy, "tension_ceiling", np.inf), getattr(strategy, "paranoia_ceiling", np.inf))
    watching = Watching(strategy)
    for _ in range(weeks or params.horizon_weeks):
        is_running = ~state.is_done
        start = {
            "start_tension": state.escalation.tension,
            "start_paranoia": state.leader.paranoia,
            "start_unrest": state.unrest,
            "start_defected_share": state.inner_circle.defected_share,
        }
        state, record = step_world(state, params, watching, streams)
        seen = watching.seen[-1]
        week = {
            "is_running": is_running,
            **start,
            "seen_tension": seen.tension,
            "seen_paranoia": seen.paranoia_estimate,
            "seen_unrest": seen.unrest,
            "seen_defected_share": seen.defected_share,
            "economic_pain": record.economic_pain,
            "sanctions": record.levers.sanctions,
            "paranoia": state.leader.paranoia,
            "legitimacy": record.legitimacy,
            "opposition": record.opposition,
            "covert_support": record.levers.covert_support,
            "outreach": record.levers.outreach,
            "attributions": record.attributions,
            "contacts": record.contacts,
            "exposures": record.exposures,
            "tension": state.escalation.tension,
            "is_throttled": (seen.tension > ceilings[0]) | (seen.paranoia_estimate > ceilings[1]),
        }
        for name, value in week.items():
            rows.setdefault(name, []).append(np.array(value))
    return Run(final=state, **{name: np.stack(values) for name, values in rows.items()})


def paired_means(changed: Run, changed_values: np.ndarray, baseline: Run, baseline_values: np.ndarray):
    """Per-world means of two arms' (T, B) weekly values over the weeks *both* arms were
    running. A common window matters: a world that ends earlier in one arm would
    otherwise be averaged over different weeks, and how soon a world ends depends on the
    very quantity compared (a selection effect that can mask the direction)."""
    both = changed.is_running & baseline.is_running
    weeks = np.maximum(both.sum(axis=0), 1)
    mean = lambda values: np.where(both, values, 0.0).sum(axis=0) / weeks  # noqa: E731
    return mean(changed_values), mean(baseline_values)


def paired_z(changed: np.ndarray, baseline: np.ndarray) -> float:
    """mean(d) / (sd(d) / sqrt(n)) for per-world differences d = changed - baseline."""
    d = np.asarray(changed, np.float64) - np.asarray(baseline, np.float64)
    return float(d.mean() / (d.std(ddof=1) / np.sqrt(d.size)))


def nothing() -> AdaptiveRule:
    """Every lever at zero."""
    return AdaptiveRule()


# --- sanctions -> economic pain ----------------------------------------------------


def test_more_sanctions_more_economic_pain():
    """Static sanctions at 0.6 against 0.3, everything else off, same worlds.

    Expectation: more economic pain in every world, every week both are running.
    Reasoning (war choice 1): pain M = (1 - V) clip(sigma - (1 - residual_bite) A, 0, 1)
    with A the adapted level, A <- A + (sigma - A)(1 - exp(-1/tau)), and evasion V, which
    grows the same way in both arms (it depends only on sanctions being in force); for a
    constant sigma, A and M are both proportional to sigma, so M doubles. Coalition
    fatigue caps sanctions at exp(-fatigue_rate t) >= 0.92 over quick.toml's 26 weeks,
    above both levels. M depends on the lever path only, so this is an exact, paired
    comparison (no tolerance). The pain must also be positive in both arms.
    """
    low = simulate(QUICK, StaticSchedule(sanctions=((0.0, 0.3),)), 64)
    high = simulate(QUICK, StaticSchedule(sanctions=((0.0, 0.6),)), 64)
    both = low.is_running & high.is_running
    assert both.sum() > 64 * 10
    np.testing.assert_array_equal(high.sanctions[both], 0.6)  # fatigue did not bind
    assert np.all(low.economic_pain[both] > 0)
    assert np.all(high.economic_pain[both] > low.economic_pain[both])
    np.testing.assert_allclose(high.economic_pain[both], 2 * low.economic_pain[both], rtol=1e-12)


def test_rising_sanctions_keep_biting():
    """Sanctions ramped from 0.2 by 0.02 a week against held at 0.2, same worlds.

    Expectation: after the first week, pain is higher under the ramp in every world and
    every week both are running (claim C10: rising sanctions keep biting while constant
    ones are adapted to). Exact, paired: pain depends on the lever path only.
    """
    held = simulate(QUICK, StaticSchedule(sanctions=((0.0, 0.2),)), 64)
    ramp = simulate(QUICK, StaticSchedule(sanctions=((0.0, 0.2), (26.0, 0.72))), 64)
    both = (held.is_running & ramp.is_running)[1:]
    assert both.sum() > 64 * 10
    assert np.all(ramp.economic_pain[1:][both] > held.economic_pain[1:][both])
    # The held level is adapted to: its pain falls over the weeks.
    assert np.all(np.diff(held.economic_pain[:, held.is_running[-1]], axis=0) < 0)


# --- exposure -> paranoia ----------------------------------------------------------


def test_more_exposure_more_paranoia():
    """Outreach at 0.5 alone, exposure probability p_x = 0.4 against 0.05 in every world.

    Expectation: more paranoia.
    - Exact, paired, week 1: contacts are the same draws in both arms (same outreach, same
      initial survival threat) and a contact is exposed when its uniform is below p_x,
      so every world has at least as many exposures and at least as much paranoia under
      0.4, and some have strictly more.
    - Statistical, paired, over the horizon: afterwards purges and the leader's choices
      diverge, so we compare each world's mean weekly paranoia over the weeks both arms
      are running,
      z > 3.09 (one-sided alpha = 0.001) over n = 200 worlds.
    """
    n = 200
    low = simulate(
        QUICK, AdaptiveRule(outreach=0.5), n, overrides={"inner_circle.exposure_probability": np.full(n, 0.05)}
    )
    high = simulate(
        QUICK, AdaptiveRule(outreach=0.5), n, overrides={"inner_circle.exposure_probability": np.full(n, 0.4)}
    )
    np.testing.assert_array_equal(high.contacts[0], low.contacts[0])
    assert np.all(high.exposures[0] >= low.exposures[0]) and np.any(high.exposures[0] > low.exposures[0])
    assert np.all(high.paranoia[0] >= low.paranoia[0]) and np.any(high.paranoia[0] > low.paranoia[0])
    z = paired_z(*paired_means(high, high.paranoia, low, low.paranoia))
    assert z > Z_ONE_SIDED_0001, f"paired z = {z:.2f}"


# --- the pace regulator -> lower peak tension --------------------------------------


def _peak_tension(run: Run) -> np.ndarray:
    return run.final.tallies.peak_tension


def test_pace_regulator_lowers_peak_tension_where_it_binds():
    """The full pressure campaign with and without a regulator that binds often.

    With the shipped parameters the regulator binds in only a few percent of world-weeks
    (about 6% on quick.toml, 13% on essay.toml), so this test constructs a setting where
    it does: attribution probability 0.3 per unit of covert support, a tension ceiling of
    0.25 and a paranoia ceiling of 0.3, throttle 0 (support and outreach stop while above
    a ceiling). Expectation: lower peak tension. Reasoning: tension rises with attributions
    (fewer when covert support stops) and with escalations (rarer when less outreach is
    exposed and paranoia is lower). Statistical, paired over n = 128 worlds, z < -3.09
    (one-sided alpha = 0.001); the regulator must bind in at least a fifth of the
    world-weeks, and the two arms must agree exactly in week 1 (before any observation
    is above a ceiling, the levers are identical: CRN).
    """
    n = 128
    overrides = {"escalation.attribution_rate": np.full(n, 0.3)}
    full = build_strategies(QUICK, ["full_pressure"])["full_pressure"]
    paced = PaceRegulator(inner=full, tension_ceiling=0.25, paranoia_ceiling=0.3, throttle=0.0)
    off = simulate(QUICK, full, n, overrides=overrides)
    on = simulate(QUICK, paced, n, overrides=overrides)
    np.testing.assert_array_equal(on.tension[0], off.tension[0])
    binding = on.is_throttled[on.is_running].mean()
    assert binding > 0.2, f"the regulator binds in only {binding:.1%} of world-weeks"
    z = paired_z(_peak_tension(on), _peak_tension(off))
    assert z < -Z_ONE_SIDED_0001, (
        f"paired z = {z:.2f}, mean peak {_peak_tension(on).mean():.3f} vs {_peak_tension(off).mean():.3f}"
    )


@pytest.mark.slow
def test_shipped_pace_regulator_lowers_peak_tension():
    """essay.toml's own full_pressure_paced against full_pressure, shipped parameters
    (noisy, lagged observations included), 104 weeks.

    Expectation: lower peak tension with the regulator on. Statistical, paired over
    worlds (common random numbers), z < -3.09 (one-sided alpha = 0.001). The effect is
    small in model v2 (the regulator binds in about 4% of world-weeks, and most tension
    comes from the leader's own escalations, which it does not steer): 300 worlds gave
    z = -2.5, so n = 600 is sized for z near -3.5. (On quick.toml's 26 weeks the
    regulator binds too seldom for a test of this size.)
    """
    n = 600
    strategies = build_strategies(ESSAY, ["full_pressure", "full_pressure_paced"])
    off = simulate(ESSAY, strategies["full_pressure"], n)
    on = simulate(ESSAY, strategies["full_pressure_paced"], n)
    binding = on.is_throttled[on.is_running].mean()
    assert binding > 0
    z = paired_z(_peak_tension(on), _peak_tension(off))
    assert z < -Z_ONE_SIDED_0001, f"paired z = {z:.2f}, binds in {binding:.1%} of world-weeks"


# --- covert support -> attributions and organised capacity -------------------------


NO_COVERT = ("sanctions_only", "conciliation", "outreach_only", "information_only")
NO_OUTREACH = ("sanctions_only", "conciliation", "covert_only", "information_only")


@pytest.mark.parametrize("name", NO_COVERT)
def test_no_covert_support_no_attributions_no_organisation(name):
    """Shipped strategies without covert support, with a high attribution rate (0.5).

    Expectation: no attribution and no organised capacity, in any world, in any week.
    Exact: attribution is drawn with probability min(1, rate u_k) and O grows by g u_k
    from 0, so u = 0 leaves both at zero whatever the draws. The positive control
    (covert_only, same setting) has both, so the check can fail.
    """
    n = 64
    overrides = {"escalation.attribution_rate": np.full(n, 0.5)}
    run = simulate(QUICK, build_strategies(QUICK, [name])[name], n, overrides=overrides)
    assert np.all(run.covert_support == 0)
    assert np.all(run.attributions == 0) and np.all(run.final.tallies.attributions == 0)
    assert np.all(run.opposition == 0) and np.all(run.final.periphery.opposition == 0)
    control = simulate(QUICK, build_strategies(QUICK, ["covert_only"])["covert_only"], n, overrides=overrides)
    assert control.final.tallies.attributions.sum() > 0 and control.opposition.max() > 0


@pytest.mark.parametrize("name", NO_OUTREACH)
def test_no_outreach_no_contacts(name):
    """Shipped strategies without outreach.

    Expectation: no contacts and no exposures in any world or week. Exact: a contact
    happens with probability contact_rate x omega, which is 0. The positive control
    (outreach_only) has contacts, so the check can fail.
    """
    run = simulate(QUICK, build_strategies(QUICK, [name])[name], 64)
    assert np.all(run.outreach == 0)
    assert np.all(run.contacts == 0) and np.all(run.exposures == 0)
    assert np.all(run.final.tallies.contacts == 0) and np.all(run.final.tallies.exposures == 0)
    control = simulate(QUICK, build_strategies(QUICK, ["outreach_only"])["outreach_only"], 64)
    assert control.final.tallies.contacts.sum() > 0


def test_covert_support_organises_supported_regions_only():
    """essay.toml's covert_only: support where unrest is above 2%, never in the core
    (``covert_support = false`` in the scenario).

    Expectation: organised capacity O_k > 0 exactly in the (world, region) pairs that
    received support in some week, and O = 0 in the core throughout. Exact: O starts at
    0 and grows by g u_k > 0 (g > 0 by default). Not vacuous: most periphery pairs are
    supported within 20 weeks.
    """
    n, weeks = 64, 20
    core = [region.core for region in ESSAY.regions]
    assert core == [False, False, False, True]
    run = simulate(ESSAY, build_strategies(ESSAY, ["covert_only"])["covert_only"], n, weeks=weeks)
    assert np.all(run.covert_support[:, :, 3] == 0)
    assert np.all(run.opposition[:, :, 3] == 0)
    ever_supported = (run.covert_support > 0).any(axis=0)
    ever_organised = run.opposition[-1] > 0
    np.testing.assert_array_equal(ever_organised, ever_supported)
    assert ever_supported[:, :3].mean() > 0.5


def test_static_covert_support_respects_region_flags(tmp_path):
    """A static strategy declared in a scenario, with one covert-support schedule for
    every region, must not support a region the scenario marks ``covert_support = false``
    (the core), as the adaptive kinds do. Expected today: it does (translate.py sets
    ``covert_regions`` only for kinds that have that field, and ``static`` has none)."""
    text = (SCENARIOS / "quick.toml").read_text() + (
        '\n[strategies.static_covert]\nkind = "static"\ncovert_support = [[[0.0, 0.5]]]\n'
    )
    path = tmp_path / "static_covert.toml"
    path.write_text(text)
    scenario = load_scenario(path).scenario
    run = simulate(scenario, build_strategies(scenario, ["static_covert"])["static_covert"], 8, weeks=3)
    assert np.all(run.covert_support[:, :, 1] == 0)


# --- information campaign -> lower legitimacy --------------------------------------


def test_information_campaign_lowers_legitimacy():
    """An information campaign at 0.6 alone against no levers at all.

    Expectation: lower legitimacy.
    - Exact, paired, week 1: legitimacy loses information_effect x mu x war_cost, and the
      war cost and last week's arrests are the same in both arms in week 1, so every
      region of every world is strictly lower.
    - Statistical, paired, over the horizon: lower legitimacy activates more citizens,
      whose arrests lower it further (repression), but the grids' paths diverge; mean
      weekly legitimacy (over regions, in the weeks both arms are running) per world,
      z < -3.09 (one-sided
      alpha = 0.001) over n = 200 worlds.
    """
    n = 200
    off = simulate(QUICK, nothing(), n)
    on = simulate(QUICK, AdaptiveRule(information=0.6), n)
    assert np.all(on.legitimacy[0] < off.legitimacy[0])
    z = paired_z(*paired_means(on, on.legitimacy.mean(axis=2), off, off.legitimacy.mean(axis=2)))
    assert z < -Z_ONE_SIDED_0001, f"paired z = {z:.2f}"


# --- base rates ----------------------------------------------------------------------


@pytest.mark.slow
def test_sanctions_only_base_rates_on_essay():
    """essay.toml, sanctions_only, 300 worlds, 104 weeks.

    MODEL.md's sanity ranges for the shipped defaults: sanctions alone seldom end the war
    within two years (published estimates from under 5% to about a third of cases), so
    the settled share must lie in [5%, 35%]; direct conflict under sanctions alone is
    rare, below 5%. These are the ranges themselves, not a test of a point estimate; a
    failure reports the shares and is a calibration question for the scenario's owner.
    """
    n = 300
    strategy = build_strategies(ESSAY, ["sanctions_only"])["sanctions_only"]
    columns = run_worlds(to_params(ESSAY, n), strategy, "sanctions_only", np.arange(n), SEED)
    shares = {o.label: float(np.mean(columns["outcome"] == o.label)) for o in Outcome}
    message = ", ".join(f"{label} {share:.1%}" for label, share in shares.items())
    assert 0.05 <= shares["settlement"] <= 0.35, message
    assert shares["direct_conflict"] < 0.05, message
