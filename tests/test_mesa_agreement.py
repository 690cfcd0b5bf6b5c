"""The ``mesa`` variant of the unrest engine against Mesa's own Epstein model.

The slow test compares, per case of :data:`mesa_reference.CASES`, the distribution over runs
of four per-run statistics after burn-in (mean active share, s.d. of the active share over
time, mean jailed share, number of outbursts = upward crossings of 5 % active).

Sample sizes and tolerances
---------------------------
* Mesa: ``case.seeds`` runs per case (24; 20 x 20 grids, and 40 x 40 with vision 2, so
  that all Mesa runs take about two minutes on two cores). Engine: 200 worlds per case,
  seed :data:`mesa_reference.ENGINE_SEED`. Both sides use fixed seeds, so the test is
  deterministic; the level below is the chance that a correct engine fails on a fresh
  choice of seeds.
* Each statistic gets two two-sided tests: Welch's t-test (means; unequal variances, so
  that a difference in spread cannot pass for one in the mean; where one side's runs are
  all equal, as Mesa's outburst counts often are, a permutation test of the means instead,
  since Welch's t would ignore that side's sampling error) and the two-sample
  Kolmogorov-Smirnov test (whole distribution, including the spread between runs). The
  ``mesa`` variant runs Mesa's own random sequential order, so any disagreement is a bug
  or a difference in the random streams' use, not an approximation. The KS p-value
  assumes continuous data; for counts (ties) it is conservative.
* Bonferroni over the whole family: 8 cases x 4 statistics x 2 tests = 64 comparisons at a
  family-wise level of 0.01, so each p-value must be >= 0.01 / 64 = 1.6e-4.
* Power: with n = 24 against 200 the standard error of the difference in means is about
  sqrt(1/24 + 1/200) = 0.22 between-run s.d.; at z = 3.78 (two-sided 1.6e-4) the test
  detects, with 80 % power, a shift of about (3.78 + 0.84) x 0.22 = 1.0 between-run s.d.
  Smaller systematic differences pass; that is the resolution of this test, not a tolerance
  chosen to make it pass.
* Where both samples are constant (e.g. no outbursts on either side) the tests are
  undefined; the statistic then agrees only if the constants are equal.
"""

from __future__ import annotations

import numpy as np
import pytest
from mesa_reference import (
    CASES,
    ENGINE_SEED,
    ENGINE_WORLDS,
    FAMILY_ALPHA,
    STATISTICS,
    Column,
    compare_runs,
    outburst_count,
    p_values,
    per_comparison_alpha,
    run_engine_case,
    run_mesa,
    run_mesa_cases,
    run_statistics,
)

# --------------------------------------------------------------------------------------
# The reference and its statistics (fast)
# --------------------------------------------------------------------------------------


def test_outburst_count_counts_upward_crossings_only() -> None:
    a = np.array([[0.0, 0.06, 0.07, 0.01, 0.05, 0.05, 0.049, 0.2], [0.1, 0.2, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]])
    # Row 0: up at 1, up at 4 (0.05 counts as reached), up at 7. Row 1 starts above: none.
    np.testing.assert_array_equal(outburst_count(a), [3, 0])


def test_run_statistics_known_values() -> None:
    # One run, 10 citizens, steps 0..4; window from step 1: active 0, 1, 0, 2.
    counts = np.array([[[10, 0, 0], [9, 0, 1], [8, 1, 1], [9, 0, 1], [7, 2, 1]]], dtype=np.int32)
    s = run_statistics(counts, burn_in=1)
    assert set(s) == set(STATISTICS)
    np.testing.assert_allclose(s["mean_active_share"], [0.075])
    np.testing.assert_allclose(s["sd_active_share"], [np.std([0.0, 0.1, 0.0, 0.2])])
    np.testing.assert_allclose(s["mean_jailed_share"], [0.1])
    np.testing.assert_array_equal(s["outbursts"], [2])


def test_run_statistics_rejects_bad_burn_in() -> None:
    with pytest.raises(ValueError, match="burn_in"):
        run_statistics(np.zeros((1, 5, 3), np.int32), burn_in=4)


def test_compare_runs_flags_a_shift_and_passes_a_copy() -> None:
    rng = np.random.default_rng(0)
    x = {name: rng.normal(1.0, 0.1, 30) for name in STATISTICS}
    shifted = {name: v + 0.2 for name, v in x.items()}
    alpha = per_comparison_alpha(len(CASES))
    assert all(row.agrees for row in compare_runs("same", x, x, alpha))
    assert not any(row.agrees for row in compare_runs("shifted", x, shifted, alpha))


def test_mesa_reference_layout_and_reproducibility() -> None:
    params = {"width": 12, "height": 12, "citizen_vision": 2, "cop_vision": 2, "max_jail_term": 5}
    counts = run_mesa(params, steps=6, seed=3)
    assert counts.shape == (7, 3) and counts.dtype == np.int32
    citizens = counts.sum(axis=1)
    assert np.all(citizens == citizens[0]) and citizens[0] > 0
    # Mesa starts everyone quiet; step 0 is the state after construction.
    assert counts[0, Column.QUIET] == citizens[0]
    np.testing.assert_array_equal(run_mesa(params, steps=6, seed=3), counts)


# --------------------------------------------------------------------------------------
# Agreement (slow)
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mesa_runs() -> dict[str, np.ndarray]:
    """All cases' Mesa runs, in one pool of two processes (the CI machine has two cores)."""
    return run_mesa_cases(CASES, workers=2)


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_engine_agrees_with_mesa(case, mesa_runs) -> None:
    alpha = per_comparison_alpha(len(CASES), FAMILY_ALPHA)
    counts, citizens = run_engine_case(case, worlds=ENGINE_WORLDS, seed=ENGINE_SEED)
    assert counts.shape == (ENGINE_WORLDS, case.steps + 1, 3)
    # The engine conserves citizens, like Mesa.
    np.testing.assert_array_equal(counts.sum(axis=2), np.broadcast_to(citizens[:, None], counts.shape[:2]))
    rows = compare_runs(
        case.name,
        run_statistics(mesa_runs[case.name], case.burn_in),
        run_statistics(counts, case.burn_in),
        alpha,
    )
    table = "\n".join(row.line() for row in rows)
    if not all(row.agrees for row in rows):
        # pytrace=False: the table is the message; the Mesa arrays in the locals are noise.
        pytest.fail(
            f"{case.name}: engine disagrees with Mesa (alpha {alpha:.2e} per comparison; "
            f"mesa n={case.seeds}, engine n={ENGINE_WORLDS})\n{table}",
            pytrace=False,
        )


def test_a_constant_side_is_compared_by_permutation_not_welch() -> None:
    """Mesa's 24 runs without an outburst against an engine with outbursts in 1.5% of 200
    worlds are two draws from one rare event, and the means test must say so; Welch's t
    (which takes the variance from the engine alone) rejects them. A real shift is still
    caught."""
    from scipy import stats

    mesa = np.zeros(24)
    engine = np.zeros(200)
    engine[:3] = 1.0
    p_means, _ = p_values(mesa, engine)
    assert p_means > 0.5
    assert stats.ttest_ind(mesa, engine, equal_var=False).pvalue < 0.1  # what Welch said
    shifted = np.zeros(200)
    shifted[:100] = 1.0
    assert p_values(mesa, shifted)[0] < 1e-4
