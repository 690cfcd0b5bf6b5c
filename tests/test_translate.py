"""Scenario -> parameters: per-world overrides reach the parameters they name."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from offramp.errors import InputError, OptionError
from offramp.model.observation import ObservationParams
from offramp.model.war import WarParams
from offramp.scenario.load import load_scenario, parse_scenario
from offramp.scenario.schema import SUBMODEL_SECTIONS
from offramp.scenario.translate import build_strategies, to_params

QUICK = load_scenario(Path(__file__).parents[1] / "scenarios" / "quick.toml").scenario


def test_region_overrides_reach_the_grids_of_that_region_only():
    jail = np.array([3.0, 7.0, 11.0])
    legitimacy = np.array([0.6, 0.7, 0.8])
    params = to_params(
        QUICK, 3, {"regions.periphery.max_jail_steps": jail, "regions.periphery.base_legitimacy": legitimacy}
    )
    k = QUICK.region_names.index("periphery")
    other = QUICK.region_names.index("core")
    grids = params.unrest.max_jail_steps.reshape(3, -1)
    np.testing.assert_array_equal(grids[:, k], jail.astype(np.int64))
    assert (grids[:, other] == QUICK.regions[other].max_jail_steps).all()
    np.testing.assert_array_equal(params.regions.base_legitimacy[:, k], legitimacy)
    assert (params.regions.base_legitimacy[:, other] == QUICK.regions[other].base_legitimacy).all()


def test_section_overrides_become_per_world_arrays():
    values = np.array([0.01, 0.02])
    params = to_params(QUICK, 2, {"leader.emboldening": values, "periphery.uprising_weeks": np.array([2.0, 9.0])})
    np.testing.assert_array_equal(params.leader.emboldening, values)
    np.testing.assert_array_equal(params.periphery.uprising_weeks, [2.0, 9.0])
    assert params.leader.precision == QUICK.leader.precision


def test_war_and_coercer_overrides_become_per_world_arrays():
    """The new sections travel like the others: per-world values where sampled, the
    file's (here the defaults) elsewhere."""
    capacity, lag = np.array([0.5, 1.2]), np.array([0.0, 8.0])
    params = to_params(QUICK, 2, {"war.opponent_capacity": capacity, "coercer.observation_lag": lag})
    np.testing.assert_array_equal(params.war.opponent_capacity, capacity)
    np.testing.assert_array_equal(params.coercer.observation_lag, lag)
    assert params.war.front_speed == WarParams().front_speed
    assert params.coercer.observation_noise == ObservationParams().observation_noise


@pytest.mark.parametrize(
    ("path", "values"),
    [
        ("coercer.observation_lag", [0.0, 9.0]),  # at most MAX_LAG = 8 weeks
        ("coercer.observation_noise", [0.1, np.nan]),
        ("war.opponent_capacity", [-0.1, 0.5]),
        ("war.decisive_score", [-1.0, 1.0]),
        ("inner_circle.coup_success", [0.5, 1.5]),
    ],
)
def test_overrides_outside_a_range_name_the_parameter(path, values):
    """Sampled values are checked once, at the translation point, against the schema's
    range of the parameter (the engine trusts them afterwards)."""
    with pytest.raises(InputError) as caught:
        to_params(QUICK, 2, {path: np.array(values)})
    assert caught.value.where == f"overrides.{path}"


_MINIMAL = """
[[regions]]
name = "core"
core = true

[strategies.nothing]
kind = "static"
"""


def test_a_scenario_that_sets_nothing_runs_the_model_defaults():
    """Defaults live in one place, the parameter dataclasses: a scenario that sets no
    parameter gives every submodel exactly its dataclass's defaults."""
    params = to_params(parse_scenario(_MINIMAL, "minimal.toml"), 3)
    for section, cls in SUBMODEL_SECTIONS.items():
        got = getattr(params, "inner_circle" if section == "inner_circle" else section)
        for field in dataclasses.fields(cls):
            if field.name == "region_weights":  # set by the regions table
                continue
            assert getattr(got, field.name) == field.default, f"{section}.{field.name}"


def test_the_war_and_coercer_tables_reach_the_model():
    """Values set in [war] and [coercer] are the model's parameters."""
    text = _MINIMAL + "\n[war]\nopponent_capacity = 1.1\nfront_noise = 0.02\n\n[coercer]\nobservation_lag = 3\n"
    params = to_params(parse_scenario(text, "minimal.toml"), 2)
    assert (params.war.opponent_capacity, params.war.front_noise) == (1.1, 0.02)
    assert params.coercer.observation_lag == 3.0


# ---------------------------------------------------------------- strategies, built and checked once

QUICK_PATH = Path(__file__).parents[1] / "scenarios" / "quick.toml"


def _quick_with(old: str, new: str, tmp_path: Path) -> Path:
    text = QUICK_PATH.read_text(encoding="utf-8")
    assert old in text, f"quick.toml no longer contains {old!r}"
    path = tmp_path / "edited-scenario.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_an_unknown_strategy_name_is_an_option_error():
    """The names come from the ``strategy`` option: the error names that option, as data."""
    with pytest.raises(OptionError) as caught:
        build_strategies(QUICK, ["full_pressure", "no_such_thing"])
    assert caught.value.option == "strategy" and caught.value.flag == "--strategy"
    assert "'no_such_thing'" in caught.value.problem and "full_pressure" in caught.value.problem


def test_strategy_problems_name_the_file_when_given_the_loaded_file(tmp_path):
    """A strategy's data that cannot be built (here an inner strategy that does not exist,
    which only building finds) names the file and the field for a loaded file, and the
    field alone for a bare scenario: callers re-map nothing."""
    source = load_scenario(_quick_with('inner = "full_pressure"', 'inner = "nope"', tmp_path))
    with pytest.raises(InputError) as in_file:
        build_strategies(source)
    assert not isinstance(in_file.value, OptionError)
    assert in_file.value.where == "edited-scenario.toml"
    assert in_file.value.problem.startswith("strategies.full_pressure_paced.inner: ")
    with pytest.raises(InputError) as bare:
        build_strategies(source.scenario, ["full_pressure_paced"])
    assert bare.value.where == "strategies.full_pressure_paced.inner"


def test_the_same_strategies_from_a_file_or_its_scenario():
    """Both call forms build equal strategies, in the order asked for (all: the file's)."""
    source = load_scenario(QUICK_PATH)
    assert build_strategies(source) == build_strategies(source.scenario)
    assert list(build_strategies(source, ["conciliation", "full_pressure"])) == ["conciliation", "full_pressure"]
    assert list(build_strategies(source, [])) == list(QUICK.strategies)


@pytest.mark.parametrize("path", ["war.recovery_weeks", "leader.valuation_weeks", "inner_circle.purge_climate_weeks"])
def test_a_time_constant_of_zero_is_refused_where_its_lower_bound_is_excluded(path):
    """Expectation: time constants must be above 0 (the schema's gt=0): an override or an
    uncertainty range that reaches 0 is refused naming the parameter and the open range,
    while a value just above 0 is accepted (so the refusal is about the bound, not the
    parameter)."""
    with pytest.raises(InputError, match=rf"overrides\.{path}: values must be finite and within \(0\.0, None\]"):
        to_params(QUICK, 2, {path: np.zeros(2)})
    assert to_params(QUICK, 2, {path: np.full(2, 1e-3)}) is not None
    text = QUICK_PATH.read_text().replace("[uncertainties]\n", f'[uncertainties]\n"{path}" = [0.0, 5.0]\n')
    with pytest.raises(InputError, match=rf"uncertainties\.{path}: \[0\.0, 5\.0\] leaves the allowed range \(0\.0"):
        parse_scenario(text, "zero.toml")
    parse_scenario(text.replace(f'"{path}" = [0.0, 5.0]', f'"{path}" = [0.5, 5.0]'), "positive.toml")
