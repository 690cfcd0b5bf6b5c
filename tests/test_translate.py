"""Scenario -> parameters: per-world overrides reach the parameters they name."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from offramp.scenario.load import load_scenario
from offramp.scenario.translate import to_params

QUICK = load_scenario(Path(__file__).parents[1] / "scenarios" / "quick.toml").scenario


def test_region_overrides_reach_the_grids_of_that_region_only():
    jail = np.array([3.0, 7.0, 11.0])
    legitimacy = np.array([0.6, 0.7, 0.8])
    params = to_params(QUICK, 3, {"regions.periphery.max_jail_steps": jail,
                                  "regions.periphery.base_legitimacy": legitimacy})
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
