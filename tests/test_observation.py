"""Tests of what the coercer sees and what its coalition lets it do (model version 2):
lagged, noisy observations and coalition fatigue; and what poor observations do to the
pace regulator (claim C7).

The numbered choices referred to below are those of :mod:`offramp.model.observation`'s
module docstring.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from test_directional import ESSAY, QUICK, Z_ONE_SIDED_0001, paired_z, simulate

from offramp.model.coercer import StaticSchedule
from offramp.model.observation import (
    MAX_LAG,
    ObservationParams,
    attainable_sanctions,
    init_history,
    observe,
    record_history,
)
from offramp.model.streams import Stream, WorldStreams
from offramp.model.war import WarDrivers, init_war, step_war
from offramp.scenario.translate import build_strategies, to_params

K = 2
SEED = 3


def _streams(n_worlds: int, seed: int = SEED) -> WorldStreams:
    return WorldStreams.for_worlds(seed, range(n_worlds), Stream.COERCER)


def _history(n_worlds: int, weeks: int):
    """A history after ``weeks`` weeks in which every quantity encodes its week t:
    tension t, paranoia t / 100, defected share t / 200, unrest t / 100 + k / 1000."""

    def values(t):
        return (
            np.full(n_worlds, float(t)),
            np.full(n_worlds, t / 100),
            np.full(n_worlds, t / 200),
            np.tile(t / 100 + np.arange(K) / 1000, (n_worlds, 1)),
        )

    history = init_history(*values(0))
    for t in range(1, weeks + 1):
        history = record_history(history, *values(t))
    return history


# --- Lag (choice 1) --------------------------------------------------------------------


def test_lag_reads_the_values_of_lag_weeks_before():
    """Expectation (noise 0): a lag of L weeks returns exactly the values recorded L
    weeks before the latest, world by world (a per-world lag), for every quantity; before
    L weeks have passed, the week-0 values that fill the history."""
    lags = np.arange(MAX_LAG + 1, dtype=np.float64)
    n = lags.size
    params = ObservationParams(observation_noise=0.0, observation_lag=lags)
    seen = observe(_history(n, 12), 12, params, _streams(n))
    np.testing.assert_array_equal(seen.tension, 12 - lags)
    np.testing.assert_array_equal(seen.paranoia_estimate, (12 - lags) / 100)
    np.testing.assert_array_equal(seen.defected_share, (12 - lags) / 200)
    np.testing.assert_array_equal(seen.unrest, (12 - lags)[:, None] / 100 + np.arange(K) / 1000)
    assert seen.week == 12
    early = observe(_history(n, 3), 3, params, _streams(n))
    np.testing.assert_array_equal(early.tension, np.maximum(3 - lags, 0))


def test_lag_is_rounded_to_whole_weeks_and_capped():
    """A lag is rounded half to even (np.rint: 2.4 -> 2, 2.5 -> 2, 2.6 -> 3) and never
    reads beyond the MAX_LAG weeks kept."""
    lags = np.array([2.4, 2.5, 2.6, 0.49, MAX_LAG + 3.0])
    params = ObservationParams(observation_noise=0.0, observation_lag=lags)
    seen = observe(_history(lags.size, 20), 20, params, _streams(lags.size))
    np.testing.assert_array_equal(seen.tension, 20 - np.array([2, 2, 3, 0, MAX_LAG]))


# --- Noise (choice 2) ------------------------------------------------------------------


def test_noise_has_the_set_scale_in_log_and_log_odds_units():
    """Noise scale 0.1 in 4000 worlds, 0 in another 1000 (module choice 2).

    Expectation: the errors in log units (tension) and log-odds units (shares) have mean 0
    and sd 0.1; the worlds without noise see the truth exactly; the quantities' errors are
    uncorrelated. Tolerances from the sample: the mean within 4 standard errors
    (4 x 0.1 / sqrt(4000)); (n - 1) s^2 / sigma^2 ~ chi^2(n - 1), so s^2 / sigma^2 within
    the chi^2 quantiles at two-sided alpha = 0.001; correlations within 4 / sqrt(n) of 0
    (each is ~ N(0, 1/n) under independence)."""
    n_noisy, n_exact = 4000, 1000
    n = n_noisy + n_exact
    noise = np.r_[np.full(n_noisy, 0.1), np.zeros(n_exact)]
    truth = (np.full(n, 5.0), np.full(n, 0.2), np.full(n, 0.5), np.full((n, K), 0.05))
    history = init_history(*truth)
    params = ObservationParams(observation_noise=noise, observation_lag=0.0)
    seen = observe(history, 0, params, _streams(n))

    def logit(q: np.ndarray) -> np.ndarray:
        return np.log(q) - np.log1p(-q)

    errors = np.column_stack(
        [
            np.log(seen.tension) - np.log(5.0),
            logit(seen.paranoia_estimate) - logit(np.float64(0.2)),
            logit(seen.defected_share) - logit(np.float64(0.5)),
            logit(seen.unrest) - logit(np.float64(0.05)),
        ]
    )
    exact = np.column_stack([seen.tension, seen.paranoia_estimate, seen.defected_share, seen.unrest])[n_noisy:]
    np.testing.assert_array_equal(exact, np.broadcast_to(np.r_[5.0, 0.2, 0.5, np.full(K, 0.05)], exact.shape))
    noisy = errors[:n_noisy]
    low, high = stats.chi2.ppf([0.0005, 0.9995], n_noisy - 1) / (n_noisy - 1)
    for column in noisy.T:
        assert abs(column.mean()) < 4 * 0.1 / np.sqrt(n_noisy), column.mean()
        assert low < column.var(ddof=1) / 0.1**2 < high, column.std(ddof=1)
    correlations = np.corrcoef(noisy.T)[np.triu_indices(noisy.shape[1], 1)]
    assert np.all(np.abs(correlations) < 4 / np.sqrt(n_noisy)), correlations


def test_noise_keeps_readings_in_range_and_reads_zero_as_zero():
    """Expectation: with noise far larger than the ranges (scale 10), shares stay in
    [0, 1] and tension >= 0; a true 0 (calm, nobody active) reads 0 and a true 1 reads 1
    whatever the noise (proportional noise has no bias at a bound, module choice 2);
    readings of mid values spread over the whole range (the noise is not vacuous)."""
    n = 500
    truth = (np.full(n, 0.5), np.full(n, 0.5), np.full(n, 0.5), np.full((n, K), 0.5))
    seen = observe(init_history(*truth), 0, ObservationParams(observation_noise=10.0), _streams(n))
    for share in (seen.paranoia_estimate, seen.defected_share, seen.unrest):
        assert np.all((share >= 0) & (share <= 1))
        assert share.min() < 0.01 and share.max() > 0.99
    assert np.all(seen.tension >= 0) and seen.tension.min() < 0.01 and seen.tension.max() > 10
    bounds = (np.zeros(n), np.zeros(n), np.ones(n), np.c_[np.zeros((n, 1)), np.ones((n, K - 1))])
    seen = observe(init_history(*bounds), 0, ObservationParams(observation_noise=10.0), _streams(n))
    np.testing.assert_array_equal(seen.tension, 0.0)
    np.testing.assert_array_equal(seen.paranoia_estimate, 0.0)
    np.testing.assert_array_equal(seen.defected_share, 1.0)
    np.testing.assert_array_equal(seen.unrest, bounds[3])


def test_the_world_shows_the_strategy_lagged_true_values():
    """In the coupled model, with noise 0 and per-world lags 0..8: what the strategy is
    shown in week t is exactly the true state at the start of week t - L (the start of
    week 0 before that), for tension, paranoia, unrest and the defected share. Compared
    in the weeks a world is running (an ended world's history is frozen with it).
    full_pressure on quick.toml moves every quantity, so the comparison is not vacuous."""
    n = 18
    lags = np.tile(np.arange(MAX_LAG + 1, dtype=np.float64), 2)
    overrides = {"coercer.observation_noise": np.zeros(n), "coercer.observation_lag": lags}
    run = simulate(QUICK, build_strategies(QUICK, ["full_pressure"])["full_pressure"], n, overrides=overrides)
    weeks = run.is_running.shape[0]
    source = np.maximum(np.arange(weeks)[:, None] - lags.astype(int)[None, :], 0)  # (T, B)
    worlds = np.arange(n)[None, :]
    for quantity in ("tension", "paranoia", "unrest", "defected_share"):
        true, seen = getattr(run, f"start_{quantity}"), getattr(run, f"seen_{quantity}")
        lagged = true[source, worlds]
        np.testing.assert_array_equal(seen[run.is_running], lagged[run.is_running], err_msg=quantity)
        assert np.unique(true[run.is_running]).size > 3, quantity  # it moves


# --- Coalition fatigue (choice 3) ------------------------------------------------------


def test_attainable_sanctions_erode_exponentially():
    """attainable = exp(-fatigue_rate t): 1 in the first week, per-world rates."""
    rates = np.array([0.0, 0.003, 0.05])
    params = ObservationParams(fatigue_rate=rates)
    np.testing.assert_array_equal(attainable_sanctions(0, params, 3), 1.0)
    for week in (1, 10, 104):
        np.testing.assert_allclose(attainable_sanctions(week, params, 3), np.exp(-rates * week), rtol=1e-15)


def test_the_world_caps_sanctions_by_fatigue_and_nothing_else():
    """A static strategy asking for sanctions 0.9 and information 0.9, with per-world
    fatigue rates from 0 to 0.05 on quick.toml.

    Expectation: the levers applied (WeekRecord.levers) are sanctions
    min(0.9, exp(-rate t)) in week t, exactly, and information 0.9 untouched; the war's
    economy feels the capped sanctions: the recorded pain is what ``war.step_war`` makes
    of the capped series (pain depends on the sanctions' path only). The cap binds in
    most worlds by the end."""
    n = 16
    rates = np.linspace(0.0, 0.05, n)
    overrides = {"coercer.fatigue_rate": rates}
    strategy = StaticSchedule(sanctions=((0.0, 0.9),), information=((0.0, 0.9),))
    run = simulate(QUICK, strategy, n, overrides=overrides)
    running = run.is_running
    weeks = np.arange(running.shape[0])[:, None]
    expected = np.minimum(0.9, np.exp(-rates[None, :] * weeks))
    np.testing.assert_allclose(run.sanctions[running], expected[running], rtol=1e-15)
    assert np.mean(run.sanctions[-1][running[-1]] < 0.9) > 0.5
    # The economy, replayed on the capped sanctions (worlds run for a prefix of the weeks).
    war_params = to_params(QUICK, n, overrides).war
    war, streams = init_war(war_params, n), WorldStreams.for_worlds(SEED, range(n), Stream.WAR)
    for week, sanctions in enumerate(run.sanctions):
        drivers = WarDrivers(sanctions, np.zeros(n), np.zeros(n, np.int64), np.zeros(n, bool))
        war, record = step_war(war, war_params, drivers, streams)
        np.testing.assert_allclose(
            record.economic_pain[running[week]], run.economic_pain[week][running[week]], rtol=1e-12
        )


# --- Noise and lag against the pace regulator (claim C7) -------------------------------


def _regulated(n: int, noise: float, lag: float):
    """essay.toml's own full_pressure_paced, with the coercer's observation noise and lag
    set in every world; seed fixed (common random numbers across arms)."""
    paced = build_strategies(ESSAY, ["full_pressure_paced"])["full_pressure_paced"]
    overrides = {"coercer.observation_noise": np.full(n, noise), "coercer.observation_lag": np.full(n, lag)}
    run = simulate(ESSAY, paced, n, overrides=overrides)
    # Where the regulator *should* throttle: the true state at the start of the week above
    # a ceiling (the same test it applies to what it sees).
    should = (run.start_tension > paced.tension_ceiling) | (run.start_paranoia > paced.paranoia_ceiling)
    return run, should


def _per_world(run, flags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per world: the share of running weeks with a flag set, and the count of such weeks."""
    count = (flags & run.is_running).sum(axis=0)
    return count / np.maximum(run.is_running.sum(axis=0), 1), count


def test_exact_observation_throttles_exactly_when_the_truth_is_above_a_ceiling():
    """With noise 0 and lag 0 the pace regulator throttles in exactly the weeks when true
    tension or paranoia is above its ceiling (every running world-week, 48 worlds on
    essay.toml); it does bind, and not always, so the equality is not vacuous. (That
    coarser observation breaks the equality is the next test's.)"""
    run, should = _regulated(48, 0.0, 0.0)
    np.testing.assert_array_equal(run.is_throttled[run.is_running], should[run.is_running])
    assert 10 < should[run.is_running].sum() < run.is_running.sum() / 2


@pytest.mark.slow
def test_noise_and_lag_cost_the_regulator_control():
    """essay.toml's full_pressure_paced on 200 worlds, common random numbers, observation
    (noise, lag) exact (0, 0), noise alone (0.5, 0), lag alone (0, 4), moderate (0.3, 2)
    and poor (1.0, 8); noise in log and log-odds units (module choice 2).

    Expectation: poorer observation makes the regulator's throttling less aligned with
    the true state.
    - Lost control: weeks in which the true state is above a ceiling but the regulator
      does not throttle. None with exact observation (previous test); noise alone and lag
      alone each produce them.
    - Misjudged weeks (throttling where it should not, or not where it should) rise from
      exact to moderate to poor.
    Statistical, paired over worlds: per-world differences, z beyond the one-sided
    alpha = 0.001 quantile (3.09). Peak tension is deliberately not the measure: with
    much noise the regulator also throttles by mistake, which lowers tension while costing
    pressure, so peak tension mixes the two failures.
    """
    n = 200
    arms = {key: _regulated(n, *key) for key in [(0.0, 0.0), (0.5, 0.0), (0.0, 4.0), (0.3, 2.0), (1.0, 8.0)]}
    lost = {key: _per_world(run, should & ~run.is_throttled)[1] for key, (run, should) in arms.items()}
    misjudged = {key: _per_world(run, should != run.is_throttled)[0] for key, (run, should) in arms.items()}
    assert lost[(0.0, 0.0)].sum() == 0 and misjudged[(0.0, 0.0)].sum() == 0
    for key in [(0.5, 0.0), (0.0, 4.0)]:
        z = paired_z(lost[key], lost[(0.0, 0.0)])
        assert z > Z_ONE_SIDED_0001, f"{key}: lost-control weeks, paired z = {z:.2f}"
    for worse, better in [((0.3, 2.0), (0.0, 0.0)), ((1.0, 8.0), (0.3, 2.0))]:
        z = paired_z(misjudged[worse], misjudged[better])
        assert z > Z_ONE_SIDED_0001, f"{worse} vs {better}: misjudged weeks, paired z = {z:.2f}"
