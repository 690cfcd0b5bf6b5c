"""Scenario -> parameters: per-world overrides reach the parameters they name."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from offramp.errors import InputError, OptionError
from offramp.scenario.load import load_scenario
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
