"""Scenario -> model parameters: the single translation point.

After :func:`to_params` the engine trusts its parameters and checks nothing again.
Values sampled for exploration arrive as ``overrides``: parameter paths (as in the
scenario's uncertainties) mapped to per-world arrays of shape (B,).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from offramp.errors import InputError, OptionError
from offramp.model.cascade import CascadeParams
from offramp.model.coercer import Strategy, build_strategy
from offramp.model.escalation import EscalationParams
from offramp.model.leader import LeaderParams
from offramp.model.observation import ObservationParams
from offramp.model.periphery import PeripheryParams, RegionTable
from offramp.model.unrest import UnrestParams
from offramp.model.war import WarParams
from offramp.model.world import WorldParams
from offramp.scenario.load import ScenarioSource
from offramp.scenario.schema import Scenario, excludes_lower_bound, parameter_bounds

__all__ = ["to_params", "build_strategies"]


def _section_values(scenario: Scenario, section: str, overrides: Mapping[str, np.ndarray]) -> dict:
    values = getattr(scenario, section).model_dump()
    for path, array in overrides.items():
        head, _, field = path.partition(".")
        if head == section:
            values[field] = np.asarray(array, np.float64)
    return values


def _region_column(scenario: Scenario, field: str, worlds: int, overrides: Mapping[str, np.ndarray]) -> np.ndarray:
    """A region field as (B, K): the file's values, with per-world overrides."""
    column = np.array([getattr(region, field) for region in scenario.regions], np.float64)
    table = np.broadcast_to(column, (worlds, column.size)).copy()
    for k, region in enumerate(scenario.regions):
        path = f"regions.{region.name}.{field}"
        if path in overrides:
            table[:, k] = overrides[path]
    return table


def to_params(scenario: Scenario, worlds: int, overrides: Mapping[str, np.ndarray] | None = None) -> WorldParams:
    """The model's parameters for ``worlds`` worlds of a scenario.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario.
    worlds : int
        B, the number of worlds in the batch.
    overrides : mapping of str to float64 (B,), optional
        Per-world values of parameters (paths as in ``uncertainties``); each must lie in
        the parameter's range.

    Returns
    -------
    WorldParams
    """
    overrides = dict(overrides or {})
    for path, values in overrides.items():
        array = np.asarray(values, np.float64)
        try:
            low, high = parameter_bounds(scenario, path)
            excluded = excludes_lower_bound(scenario, path)
        except ValueError as error:
            raise InputError("overrides", str(error)) from None
        if array.shape != (worlds,):
            raise InputError(f"overrides.{path}", f"needs shape ({worlds},), got {array.shape}")
        below = low is not None and (array.min() <= low if excluded else array.min() < low)
        if not np.isfinite(array).all() or below or (high is not None and array.max() > high):
            opening = "(" if excluded else "["
            raise InputError(f"overrides.{path}", f"values must be finite and within {opening}{low}, {high}]")
        overrides[path] = array
    n_regions = len(scenario.regions)

    def region(field: str) -> np.ndarray:
        return _region_column(scenario, field, worlds, overrides)

    unrest = _section_values(scenario, "unrest", overrides)
    police_density = region("police_density")
    citizen_density = np.minimum(region("citizen_density"), 1.0 - police_density)
    regions = RegionTable(
        names=scenario.region_names,
        is_core=np.array([r.core for r in scenario.regions], bool),
        allows_covert=np.array([r.covert_support for r in scenario.regions], bool),
        weight=region("weight"),
        base_legitimacy=region("base_legitimacy"),
        hardship_scale=region("hardship_scale"),
        citizen_density=citizen_density,
        police_density=police_density,
        max_jail_steps=np.rint(region("max_jail_steps")).astype(np.int64),
    )
    arrest_constant = np.broadcast_to(np.asarray(unrest["arrest_constant"], np.float64), (worlds,))
    unrest_params = UnrestParams(
        height=unrest["height"],
        width=unrest["width"],
        citizen_density=citizen_density.reshape(-1),
        police_density=police_density.reshape(-1),
        citizen_vision=unrest["citizen_vision"],
        police_vision=unrest["police_vision"],
        max_jail_steps=regions.max_jail_steps.reshape(-1),
        arrest_constant=np.repeat(arrest_constant, n_regions),
        variant=scenario.unrest.variant,
        ratio_rounding=scenario.unrest.ratio_rounding,
        movement=unrest["movement"],
        move_attempts=unrest["move_attempts"],
    )
    leader = _section_values(scenario, "leader", overrides)
    return WorldParams(
        horizon_weeks=scenario.scenario.horizon_weeks,
        engine_steps_per_week=scenario.scenario.engine_steps_per_week,
        unrest=unrest_params,
        regions=regions,
        periphery=PeripheryParams(**_section_values(scenario, "periphery", overrides)),
        inner_circle=CascadeParams(**_section_values(scenario, "inner_circle", overrides)),
        leader=LeaderParams(**leader, region_weights=regions.weight),
        war=WarParams(**_section_values(scenario, "war", overrides)),
        escalation=EscalationParams(**_section_values(scenario, "escalation", overrides)),
        coercer=ObservationParams(**_section_values(scenario, "coercer", overrides)),
    )


def _strategy_spec(scenario: Scenario, name: str, seen: tuple[str, ...] = ()) -> dict:
    """A strategy's data, with a named ``inner`` strategy resolved (regions closed to covert
    support are enforced by the model's coupling, for every kind of strategy)."""
    if name in seen:
        raise InputError(f"strategies.{seen[-1]}.inner", "strategies refer to each other in a circle")
    if name not in scenario.strategies:  # only an inner name can be unknown here
        raise InputError(f"strategies.{seen[-1]}.inner", f"no strategy named {name!r}")
    spec = scenario.strategies[name].model_dump()
    spec.pop("description", None)
    inner = spec.get("inner")
    if isinstance(inner, str):
        spec["inner"] = _strategy_spec(scenario, inner, (*seen, name))
    return spec


def build_strategies(scenario: Scenario | ScenarioSource, names: Sequence[str] | None = None) -> dict[str, Strategy]:
    """The scenario's strategies (all, or those named), built from their data and checked
    once, here: the engine's ``levers`` trust them every week.

    Parameters
    ----------
    scenario : Scenario or ScenarioSource
        A validated scenario; given as the loaded file (:class:`ScenarioSource`), problems
        in its strategies name the file.
    names : sequence of str, optional
        The strategies wanted (the ``strategy`` option), in this order; all of the
        scenario's, in its order, when None or empty.

    Returns
    -------
    dict of str to Strategy

    Raises
    ------
    OptionError
        ``strategy``: a name the scenario does not have.
    InputError
        A strategy's data that cannot be built (unknown kind or parameter, a wrong
        number of per-region values): ``file: strategies.NAME.field: problem`` for a
        :class:`ScenarioSource`, ``strategies.NAME.field: problem`` for a bare scenario.
    """
    source_name = scenario.name if isinstance(scenario, ScenarioSource) else None
    body = scenario.scenario if isinstance(scenario, ScenarioSource) else scenario
    chosen = list(names) if names else list(body.strategies)
    unknown = [n for n in chosen if n not in body.strategies]
    if unknown:
        known = ", ".join(body.strategies)
        raise OptionError("strategy", f"no strategy named {unknown[0]!r}; the scenario has {known}")
    strategies = {}
    for name in chosen:
        where = f"strategies.{name}"
        try:
            strategies[name] = build_strategy(_strategy_spec(body, name), where, n_regions=len(body.regions))
        except InputError as error:
            raise _in_file(error, source_name) from None
        except (TypeError, ValueError) as error:  # a strategy class refusing its arguments
            raise _in_file(InputError(where, str(error)), source_name) from None
    return strategies


def _in_file(error: InputError, source_name: str | None) -> InputError:
    """A problem in a scenario's data, naming the file it came from when there is one."""
    return error if source_name is None else InputError(source_name, str(error))
