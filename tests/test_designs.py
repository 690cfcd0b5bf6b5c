"""Experiment designs: sizes, ranges, determinism, stratification, claims, integers."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest

from offramp.errors import InputError
from offramp.explore.designs import (
    DESIGNS,
    PlausibleSet,
    design_size,
    fractional_sides,
    is_integer_parameter,
    make_design,
)
from offramp.scenario.load import load_scenario, parse_scenario
from offramp.scenario.schema import parameter_bounds
from offramp.scenario.translate import build_strategies, to_params

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
QUICK_TEXT = (SCENARIOS / "quick.toml").read_text()
QUICK = parse_scenario(QUICK_TEXT, "quick.toml")
# quick.toml with two integer parameters among its uncertainties.
INTEGERS = parse_scenario(
    QUICK_TEXT.replace(
        "[uncertainties]\n",
        '[uncertainties]\n"periphery.uprising_weeks" = [2, 7]\n"regions.core.max_jail_steps" = [0.5, 3.5]\n',
    ),
    "integers.toml",
)
SAMPLES = {"lhs": 16, "sobol": 8, "morris": 4, "factorial": 1, "claims": 5, "fractional": 3, "plausible": 16}


def _needs(scenario, name):
    """The settings a design cannot do without: the plausible design's calibration, here
    an in-memory accepted set of 12 Latin-hypercube vectors of the scenario (reading one
    from a calibration directory is tested in test_plausible_design.py)."""
    if name != "plausible":
        return {}
    accepted = make_design(scenario, "lhs", 12, 99).samples
    plausible = PlausibleSet(Path("calib"), tuple(accepted.columns), accepted.to_numpy(), "0" * 64, 30)
    return {"calibration": plausible}


def _design(scenario, name, seed=7, **settings):
    return make_design(scenario, name, SAMPLES[name], seed, **_needs(scenario, name), **settings)


def _ranges(scenario):
    return {path: tuple(bounds) for path, bounds in scenario.uncertainties.items()}


@pytest.mark.parametrize("name", DESIGNS)
def test_shapes_columns_and_dtypes(name):
    design = _design(QUICK, name)
    d = len(QUICK.uncertainties)
    assert design.name == name
    assert list(design.samples.columns) == list(QUICK.uncertainties)  # quick's claims name only uncertainties
    assert (design.samples.dtypes == np.float64).all()
    assert len(design.samples) == design_size(QUICK, name, SAMPLES[name])
    assert list(design.samples.index) == list(range(len(design.samples)))
    assert design.problem["num_vars"] == d and design.problem["names"] == list(design.samples.columns)
    assert np.isfinite(design.samples.to_numpy()).all()
    assert (design.claims is None) == (name not in ("claims", "fractional"))


@pytest.mark.parametrize("name", ["lhs", "sobol", "morris", "factorial", "plausible"])
def test_values_lie_in_the_uncertainty_ranges(name):
    design = _design(QUICK, name)
    for path, (low, high) in _ranges(QUICK).items():
        column = design.samples[path]
        assert column.min() >= low and column.max() <= high, path
        assert design.problem["bounds"][design.problem["names"].index(path)] == [low, high]


@pytest.mark.parametrize("name", DESIGNS)
def test_the_same_inputs_give_bit_identical_designs(name):
    first, second = _design(QUICK, name, seed=11), _design(QUICK, name, seed=11)
    assert first.samples.to_numpy().tobytes() == second.samples.to_numpy().tobytes()
    assert first.fingerprint() == second.fingerprint()


@pytest.mark.parametrize("name", ["lhs", "sobol", "morris", "claims", "plausible"])
def test_another_seed_gives_another_design(name):
    first, second = _design(QUICK, name, seed=0), _design(QUICK, name, seed=1)
    assert not np.array_equal(first.samples.to_numpy(), second.samples.to_numpy())
    assert first.fingerprint() != second.fingerprint()


def test_seed_zero_is_a_seed_and_none_draws_a_recorded_one():
    # `if seed:` would treat 0 as "no seed"; 0 must reproduce itself.
    assert make_design(QUICK, "lhs", 8, 0).fingerprint() == make_design(QUICK, "lhs", 8, 0).fingerprint()
    drawn = make_design(QUICK, "lhs", 8, None)
    again = make_design(QUICK, "lhs", 8, drawn.seed)
    assert drawn.fingerprint() == again.fingerprint()


def test_the_global_numpy_generator_is_neither_used_nor_disturbed():
    state = np.random.get_state()
    first = make_design(QUICK, "morris", 4, 3).samples.to_numpy()
    np.random.seed(12345)  # scrambling the global generator must not change a design
    second = make_design(QUICK, "morris", 4, 3).samples.to_numpy()
    np.random.set_state(state)
    assert np.array_equal(first, second)


def test_fingerprint_depends_on_the_settings():
    assert (
        make_design(QUICK, "sobol", 8, 1).fingerprint()
        != make_design(QUICK, "sobol", 8, 1, second_order=True).fingerprint()
    )


def test_lhs_puts_exactly_one_sample_in_each_of_s_bins_per_dimension():
    samples = 37
    design = make_design(QUICK, "lhs", samples, 5)
    for path, (low, high) in _ranges(QUICK).items():
        bins = np.floor((design.samples[path].to_numpy() - low) / (high - low) * samples).astype(int)
        assert sorted(bins) == list(range(samples)), path


@pytest.mark.parametrize("second_order", [False, True])
@pytest.mark.parametrize("n", [1, 4, 16])
def test_sobol_sizes(n, second_order):
    d = len(QUICK.uncertainties)
    design = make_design(QUICK, "sobol", n, 2, second_order=second_order)
    assert len(design.samples) == n * ((2 * d + 2) if second_order else (d + 2))
    assert design.settings == {"samples": n, "second_order": second_order}


def test_sobol_rows_follow_saltelli_a_ab_b():
    # Row block of one base point: A, then A with column j from B (j = 0 .. D-1), then B.
    d = len(QUICK.uncertainties)
    block = make_design(QUICK, "sobol", 4, 9).samples.to_numpy()[: d + 2]
    a, b = block[0], block[-1]
    for j in range(d):
        expected = a.copy()
        expected[j] = b[j]
        assert np.array_equal(block[1 + j], expected)


@pytest.mark.parametrize("n", [0, 3, 6, 1000])
def test_sobol_refuses_samples_that_are_not_a_power_of_two(n):
    with pytest.raises(InputError, match="--samples") as caught:
        make_design(QUICK, "sobol", n, 0)
    assert "\n" not in str(caught.value)


def test_morris_size_and_grid():
    d = len(QUICK.uncertainties)
    design = make_design(QUICK, "morris", 6, 4, levels=4)
    assert len(design.samples) == 6 * (d + 1)
    for path, (low, high) in _ranges(QUICK).items():
        levels = (design.samples[path].to_numpy() - low) / (high - low) * 3
        assert np.allclose(levels, np.rint(levels)), path  # every value on the 4-level grid


def test_factorial_grid_is_exact():
    design = make_design(QUICK, "factorial", 1, 0, levels=3)
    ranges = _ranges(QUICK)
    expected = list(itertools.product(*[np.linspace(low, high, 3) for low, high in ranges.values()]))
    assert np.array_equal(design.samples.to_numpy(), np.array(expected))
    assert len(design.samples) == 3 ** len(ranges)
    assert design.settings == {"levels": 3}


def test_factorial_refuses_a_huge_grid():
    with pytest.raises(InputError, match="factorial") as caught:
        make_design(QUICK, "factorial", 1, 0, levels=20)  # 20**5 = 3.2 million
    assert caught.value.where == "--design"


def test_claims_design_has_every_combination_within_its_sides_ranges():
    samples = 6
    design = make_design(QUICK, "claims", samples, 3)
    claim_ids = sorted(QUICK.claims, key=lambda c: int(c[1:]))
    assert list(design.claims.columns) == claim_ids
    assert len(design.samples) == len(design.claims) == samples * 2 ** len(claim_ids)
    combinations = design.claims.value_counts()
    assert len(combinations) == 2 ** len(claim_ids) and (combinations == samples).all()
    claimed = set()
    for claim_id in claim_ids:
        for side in ("essay", "sceptic"):
            rows = design.samples[design.claims[claim_id] == side]
            for path, (low, high) in getattr(QUICK.claims[claim_id], side).items():
                claimed.add(path)
                assert rows[path].min() >= low and rows[path].max() <= high, (claim_id, side, path)
    for path, (low, high) in _ranges(QUICK).items():  # parameters in no claim: the uncertainty's range
        if path not in claimed:
            assert design.samples[path].between(low, high).all()


def test_claims_design_stratifies_within_each_combination():
    samples = 10
    design = make_design(QUICK, "claims", samples, 3)
    for _, rows in design.samples.groupby([design.claims[c] for c in design.claims.columns]):
        low, high = QUICK.uncertainties["leader.money_weight"]  # in no claim
        bins = np.floor((rows["leader.money_weight"].to_numpy() - low) / (high - low) * samples).astype(int)
        assert sorted(bins) == list(range(samples))


_OVERLAP = """
[claims.C2]
claim = "a second claim on the same parameter"
essay = {{ "leader.emboldening" = {essay} }}
sceptic = {{ "leader.emboldening" = [0.0, 0.2] }}
"""


def test_claims_on_one_parameter_intersect():
    # C1: essay [0.1, 0.2], sceptic [0, 0.03]; C2: essay [0.02, 0.2], sceptic [0, 0.2].
    scenario = parse_scenario(QUICK_TEXT + _OVERLAP.format(essay="[0.02, 0.2]"), "overlap.toml")
    design = make_design(scenario, "claims", 4, 0)
    column, c1, c2 = design.samples["leader.emboldening"], design.claims["C1"], design.claims["C2"]
    assert column[(c1 == "essay") & (c2 == "essay")].between(0.1, 0.2).all()
    assert column[(c1 == "sceptic") & (c2 == "essay")].between(0.02, 0.03).all()
    assert column[(c1 == "sceptic") & (c2 == "sceptic")].between(0.0, 0.03).all()
    assert column[(c1 == "sceptic") & (c2 == "essay")].min() >= 0.02  # not C1's sceptic range alone


def test_claims_whose_ranges_cannot_meet_are_refused():
    scenario = parse_scenario(QUICK_TEXT + _OVERLAP.format(essay="[0.05, 0.08]"), "disjoint.toml")
    with pytest.raises(
        InputError, match=re.escape("claims.C2.essay.leader.emboldening does not overlap claims.C1.essay")
    ) as caught:
        make_design(scenario, "claims", 4, 0)
    assert caught.value.where == "--design" and "\n" not in str(caught.value)


def test_claims_parameters_outside_the_uncertainties_become_columns():
    text = (
        QUICK_TEXT
        + """
[claims.C3]
claim = "a claim on a parameter the uncertainties leave fixed"
essay = { "leader.face_saving" = [0.5, 1.0] }
sceptic = { "leader.face_saving" = [0.0, 0.2] }
"""
    )
    design = make_design(parse_scenario(text, "extra.toml"), "claims", 3, 0)
    assert list(design.samples.columns)[-1] == "leader.face_saving"
    assert design.problem["bounds"][-1] == [0.0, 1.0]  # the hull of the two sides


@pytest.mark.parametrize("name", DESIGNS)
def test_integer_parameters_take_whole_numbers_in_range(name):
    assert is_integer_parameter(INTEGERS, "periphery.uprising_weeks")
    assert not is_integer_parameter(INTEGERS, "leader.emboldening")
    design = make_design(INTEGERS, name, SAMPLES[name], 2, **_needs(INTEGERS, name))
    for path, (low, high) in (("periphery.uprising_weeks", (2, 7)), ("regions.core.max_jail_steps", (1, 3))):
        column = design.samples[path].to_numpy()
        assert np.array_equal(column, np.rint(column)), path
        assert column.min() >= low and column.max() <= high, path


def test_integer_values_are_equally_likely():
    # Widening by half a step (choice 2) gives each of 2..7 about 1/6; plain rounding
    # would give the ends 1/10 each. 6000 LHS rows: each count is 1000 up to stratification.
    column = make_design(INTEGERS, "lhs", 6000, 1).samples["periphery.uprising_weeks"]
    counts = column.value_counts().sort_index()
    assert list(counts.index) == [2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    assert (counts - 1000).abs().max() <= 1


@pytest.mark.parametrize("scenario", [QUICK, INTEGERS], ids=["quick", "integers"])
@pytest.mark.parametrize("name", DESIGNS)
def test_every_row_is_a_valid_override(scenario, name):
    design = make_design(scenario, name, SAMPLES[name], 4, **_needs(scenario, name))
    overrides = {path: design.samples[path].to_numpy() for path in design.samples.columns}
    params = to_params(scenario, len(design.samples), overrides)
    assert np.array_equal(params.leader.emboldening, overrides["leader.emboldening"])
    for path, values in overrides.items():
        low, high = parameter_bounds(scenario, path)
        assert (low is None or values.min() >= low) and (high is None or values.max() <= high)


def test_a_design_runs_through_the_engine():
    from offramp.run.runner import run_worlds

    design = make_design(QUICK, "lhs", 3, 0)
    overrides = {path: design.samples[path].to_numpy() for path in design.samples.columns}
    strategy = build_strategies(QUICK, ["full_pressure"])["full_pressure"]
    columns = run_worlds(to_params(QUICK, 3, overrides), strategy, "full_pressure", np.arange(3), 0)
    assert len(columns["outcome"]) == 3


def test_a_swept_integer_parameter_runs_through_the_engine():
    from offramp.run.runner import run_worlds

    design = make_design(INTEGERS, "lhs", 3, 0)
    overrides = {path: design.samples[path].to_numpy() for path in design.samples.columns}
    strategy = build_strategies(INTEGERS, ["full_pressure"])["full_pressure"]
    columns = run_worlds(to_params(INTEGERS, 3, overrides), strategy, "full_pressure", np.arange(3), 0)
    assert len(columns["outcome"]) == 3


@pytest.mark.parametrize(
    ("call", "where"),
    [
        (lambda: make_design(QUICK, "grid", 8, 0), "--design"),
        (lambda: make_design(QUICK, "lhs", 0, 0), "--samples"),
        (lambda: make_design(QUICK, "lhs", 2.5, 0), "--samples"),
        (lambda: make_design(QUICK, "lhs", 8, -1), "--seed"),
        (lambda: make_design(QUICK, "lhs", 8, 0, levels=3), "--levels"),
        (lambda: make_design(QUICK, "morris", 8, 0, levels=1), "--levels"),
        (lambda: make_design(QUICK, "sobol", 8, 0, second_order="yes"), "--second-order"),
        (lambda: make_design(QUICK, "plausible", 8, 0), "--from"),
        (lambda: make_design(QUICK, "lhs", 8, 0, **_needs(QUICK, "plausible")), "--calibration"),
        (lambda: make_design(INTEGERS, "plausible", 8, 0, **_needs(QUICK, "plausible")), "--from"),
    ],
)
def test_bad_input_is_one_line_naming_the_option(call, where):
    with pytest.raises(InputError) as caught:
        call()
    assert caught.value.where == where and "\n" not in str(caught.value)


def test_a_scenario_without_uncertainties_or_claims_is_refused():
    bare = parse_scenario(QUICK_TEXT.split("[uncertainties]")[0], "bare.toml")
    for name in DESIGNS:
        with pytest.raises(InputError, match=name):
            make_design(bare, name, 4, 0)


def test_the_essay_scenario_claims_design():
    essay = load_scenario(SCENARIOS / "essay.toml").scenario
    design = make_design(essay, "claims", 2, 0)
    assert len(design.samples) == 2 * 2 ** len(essay.claims)
    to_params(essay, len(design.samples), {p: design.samples[p].to_numpy() for p in design.samples.columns})


# --- the fractional claims design ------------------------------------------------------------


@pytest.mark.parametrize("n_factors", range(1, 12))
def test_fractional_sides_are_a_resolution_v_fraction(n_factors):
    """No product of up to four factors is constant over the rows (in -1/+1 coding): no word
    of the defining relation has fewer than five letters, so main effects and two-factor
    interactions are clear of each other. Balanced: each factor on each side in half the
    rows; every pair of factors in its four combinations equally often."""
    sides = fractional_sides(n_factors)
    rows = len(sides)
    assert sides.shape[1] == n_factors and rows & (rows - 1) == 0  # a power of two
    coded = np.where(sides, 1, -1)
    for size in range(1, 5):
        for columns in itertools.combinations(range(n_factors), size):
            assert abs(np.prod(coded[:, list(columns)], axis=1).sum()) < rows, columns
    assert (sides.sum(axis=0) == rows // 2).all()
    for i, j in itertools.combinations(range(n_factors), 2):
        pairs = sides[:, i] * 2 + sides[:, j]
        assert (np.bincount(pairs, minlength=4) == rows // 4).all()
    assert len({row.tobytes() for row in sides}) == rows  # no combination twice


def test_fractional_sides_are_the_known_smallest_fractions():
    """The search finds the standard minimal resolution-V sizes (Box & Hunter 1961's
    tables): 2^(5-1), 2^(7-1), 2^(8-2), 2^(10-3), and the full factorial below five."""
    sizes = {n: len(fractional_sides(n)) for n in (3, 4, 5, 7, 8, 10, 11)}
    assert sizes == {3: 8, 4: 16, 5: 16, 7: 64, 8: 64, 10: 128, 11: 128}


def test_the_essay_scenario_fractional_design():
    essay = load_scenario(SCENARIOS / "essay.toml").scenario
    design = make_design(essay, "fractional", 3, 0)
    claims = design.claims
    assert len(design.samples) == len(claims) == 3 * 128 == design_size(essay, "fractional", 3)
    assert list(claims.columns) == sorted(essay.claims, key=lambda c: int(c[1:]))
    assert claims.value_counts().eq(3).all() and len(claims.value_counts()) == 128
    for claim_id in claims.columns:  # each claim's sides within their ranges, as in the claims design
        assert (claims[claim_id] == "essay").sum() == len(claims) // 2
        for side in ("essay", "sceptic"):
            rows = design.samples[claims[claim_id] == side]
            for path, (low, high) in getattr(essay.claims[claim_id], side).items():
                assert rows[path].min() >= low and rows[path].max() <= high, (claim_id, side, path)
    again = make_design(essay, "fractional", 3, 0)
    assert again.fingerprint() == design.fingerprint()
