"""The scenario file's schema: every parameter with its unit, range and default.

A scenario is a TOML file with these tables:

- ``[scenario]``: name, description, horizon and engine steps per week;
- ``[unrest]``: the unrest engine's settings, shared by every region's grid;
- ``[[regions]]``: the periphery regions (roles, not places), at least one;
- ``[periphery]``, ``[inner_circle]``, ``[leader]``, ``[war]``, ``[escalation]``: the
  submodels; ``[coercer]``: what the coercer sees (noise, lag) and coalition fatigue;
- ``[strategies.NAME]``: strategies, by built-in kind, with their parameters as data;
- ``[uncertainties]``: parameter ranges to explore (``"leader.emboldening" = [0, 0.2]``);
- ``[claims.Cn]``: the essay's claims as named groups of parameters, each with the
  essay's range and a sceptic's range.

Choices
-------
1. The submodels' tables are generated from their parameter dataclasses: a field's
   default comes from the dataclass, its description and unit from the dataclass's
   docstring, its range from :data:`BOUNDS` below. There is one place for each fact, so
   the file, the docs and the code cannot disagree on a default.
2. Every table forbids unknown keys, rejects NaN and infinities, and is frozen.
3. Parameter paths in uncertainties and claims are ``section.field`` or
   ``regions.NAME.field``; each must name a numeric parameter, and each range must lie
   inside that parameter's allowed range.
4. Nothing in a scenario is ever evaluated as code: strategies are built-in kinds with
   parameters as data.
5. Strategy parameters are checked here, once, by the shape their field declares in
   :mod:`offramp.model.coercer`: finite numbers (levers and shares in [0, 1]), schedules
   of [week, value] points, region flags, the name of an inner strategy. The strategy
   classes trust what they get.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import MISSING, fields
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator

from offramp.model.cascade import CascadeParams
from offramp.model.coercer import STRATEGY_KINDS
from offramp.model.escalation import EscalationParams
from offramp.model.leader import LeaderParams
from offramp.model.observation import MAX_LAG, ObservationParams
from offramp.model.periphery import PeripheryParams
from offramp.model.variants import RatioRounding, Variant
from offramp.model.war import WarParams

__all__ = [
    "Scenario",
    "SUBMODEL_SECTIONS",
    "BOUNDS",
    "parameter_bounds",
    "excludes_lower_bound",
    "UnrestSection",
    "RegionSection",
    "ScenarioInfo",
]

_STRICT = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

# Ranges of the submodels' parameters: (lower, upper, lower bound exclusive?). Fields not
# listed are >= 0 with no upper bound; None means unbounded on that side.
_UNIT = (0.0, 1.0, False)
_WEEKS = (0.0, None, True)
BOUNDS: dict[str, dict[str, tuple[float | None, float | None, bool]]] = {
    "leader": {
        **dict.fromkeys(
            ("paranoia_initial", "paranoia_baseline", "max_diversion", "allocation_floor", "learning_rate"),
            _UNIT,
        ),
        **dict.fromkeys(
            ("paranoia_decay_weeks", "allocation_weeks", "concession_memory_weeks", "valuation_weeks"),
            _WEEKS,
        ),
        "precision": (0.0, None, False),
        "optimism": (-0.05, 0.05, False),
        "settlement_risk": (0.0, 5.0, False),
    },
    "inner_circle": {
        "n_elites": (1, 200, False),
        **dict.fromkeys(
            (
                "threshold_mean",
                "loyalty_mean",
                "contact_rate",
                "exposure_probability",
                "purge_rate",
                "coup_success",
                "coup_attempt_rate",
                "contact_threshold_drop",
                "rent_cut",
                "rent_effect",
                "war_effect",
                "survival_effect",
                "wavering_level",
                "detection_rate",
                "mistaken_purge_ratio",
                "failed_coup_purge",
            ),
            _UNIT,
        ),
        "coup_level": (0.0, 1.0, True),
        "rent_weeks": _WEEKS,
        "purge_climate_weeks": _WEEKS,
        "purge_threshold_shift": (-1.0, 1.0, False),
    },
    "war": {
        "opponent_capacity": (0.0, 2.0, False),
        **dict.fromkeys(
            (
                "capacity_initial",
                "residual_bite",
                "evasion_max",
                "escalation_gain",
                "sanctions_war_cost",
                "diversion_war_cost",
                "purge_war_cost",
                "front_speed",
                "front_noise",
            ),
            _UNIT,
        ),
        **dict.fromkeys(
            ("recovery_weeks", "adaptation_weeks", "evasion_weeks", "surge_weeks", "casualty_scale", "decisive_score"),
            _WEEKS,
        ),
    },
    "escalation": {
        "tension_decay_weeks": _WEEKS,
        "attribution_rate": _UNIT,
        "baseline_hazard": (0.0, 10.0, False),
        "tension_hazard": (0.0, 10.0, False),
    },
    "periphery": {
        **dict.fromkeys(("legitimacy_weeks", "rally_weeks"), _WEEKS),
        **dict.fromkeys(
            (
                "legitimacy_band",
                "opposition_decay",
                "opposition_growth",
                "threshold_effect",
                "risk_effect",
                "arming_level",
                "duty_share",
                "uprising_level",
                "active_threshold",
                "foreign_hand",
                "fungible_share",
                "casualty_sensitivity",
                "information_effect",
            ),
            _UNIT,
        ),
        "repression_effect": (-10.0, 10.0, False),
        "uprising_weeks": (1, 1000, False),
    },
    "coercer": {
        "observation_noise": (0.0, 3.0, False),
        "observation_lag": (0.0, float(MAX_LAG), False),
        "fatigue_rate": (0.0, 1.0, False),
    },
}

#: The submodel tables of a scenario and the parameter dataclasses they are made from.
SUBMODEL_SECTIONS = {
    "periphery": PeripheryParams,
    "inner_circle": CascadeParams,
    "leader": LeaderParams,
    "war": WarParams,
    "escalation": EscalationParams,
    "coercer": ObservationParams,
}
# Parameters a scenario sets elsewhere (the regions table sets the leader's weights).
_SET_ELSEWHERE = {"leader": {"region_weights"}}


def _docstring_descriptions(cls: type) -> dict[str, str]:
    """Field descriptions from a numpydoc ``Attributes`` section, without 'Default ...'."""
    text = cls.__doc__ or ""
    section = text.split("Attributes\n", 1)[-1]
    descriptions: dict[str, str] = {}
    names: list[str] = []
    for line in section.splitlines():
        header = re.match(r"^    (\w[\w, ]*) : ", line)
        if header:
            names = [n.strip() for n in header.group(1).split(",")]
            for name in names:
                descriptions[name] = ""
        elif line.startswith("        ") and names:
            for name in names:
                descriptions[name] = (descriptions[name] + " " + line.strip()).strip()
    # Everything from "Default" on is the default and what justifies it; the schema gives
    # the default itself. (A default with a decimal point, "Default 0.75.", must go too.)
    return {name: re.sub(r"\s*\bDefault\b.*$", "", value).strip() for name, value in descriptions.items()}


def _section_model(section: str, cls: type[Any]) -> type[BaseModel]:
    """A pydantic model for a submodel's table, generated from its dataclass (choice 1)."""
    descriptions = _docstring_descriptions(cls)
    bounds = BOUNDS.get(section, {})
    definitions: dict[str, Any] = {}
    for field in fields(cls):
        if field.name in _SET_ELSEWHERE.get(section, ()):
            continue
        if field.default is MISSING:
            raise TypeError(f"{cls.__name__}.{field.name} has no default")
        low, high, exclusive = bounds.get(field.name, (0.0, None, False))
        kind = int if isinstance(field.default, int) and not isinstance(field.default, bool) else float
        definitions[field.name] = (
            kind,
            Field(
                field.default,
                description=descriptions.get(field.name, field.name),
                gt=low if exclusive else None,  # None: no such limit
                ge=None if exclusive else low,
                le=high,
                # No coercion: a TOML true is not 1.0, nor "2" a 2 (the printed schema's
                # "number" refuses them too); an integer is still a float.
                strict=True,
            ),
        )
    return create_model(f"{cls.__name__}Section", __config__=_STRICT, **definitions)


_SECTION_MODELS = {section: _section_model(section, cls) for section, cls in SUBMODEL_SECTIONS.items()}
PeripherySection = _SECTION_MODELS["periphery"]
InnerCircleSection = _SECTION_MODELS["inner_circle"]
LeaderSection = _SECTION_MODELS["leader"]
EscalationSection = _SECTION_MODELS["escalation"]
WarSection = _SECTION_MODELS["war"]
CoercerSection = _SECTION_MODELS["coercer"]


class ScenarioInfo(BaseModel):
    """``[scenario]``: what the scenario is and how long it runs."""

    model_config = _STRICT
    name: str = Field("unnamed", min_length=1, max_length=200, description="short name")
    description: str = Field("", max_length=20_000, description="what the scenario stands for")
    horizon_weeks: int = Field(104, ge=1, le=5200, description="weeks simulated at most [weeks]")
    engine_steps_per_week: int = Field(1, ge=1, le=100, description="unrest-engine steps per week [steps/week]")


class UnrestSection(BaseModel):
    """``[unrest]``: the unrest engine's settings, the same for every region's grid."""

    model_config = _STRICT
    width: int = Field(24, ge=3, le=1024, description="grid width [cells]")
    height: int = Field(24, ge=3, le=1024, description="grid height [cells]")
    citizen_vision: int = Field(3, ge=1, le=10, description="citizens' von Neumann vision [cells]")
    police_vision: int = Field(3, ge=1, le=10, description="police's von Neumann vision [cells]")
    arrest_constant: float = Field(2.3, gt=0.0, le=100.0, description="k in P = 1 - exp(-k op(C/A)) [-]")
    variant: Variant = Field(Variant.PAPER, description="rule variant: paper (simultaneous) or mesa")
    ratio_rounding: RatioRounding = Field(RatioRounding.FLOOR, description="operator on C/A: literal, floor, round")
    movement: bool = Field(True, description="whether free agents move")
    move_attempts: int = Field(
        3,
        ge=1,
        le=8,
        description="paper variant only: movement rounds per step, a mover that lost a contested cell trying "
        "again until it has had this many (mesa moves one agent at a time and refuses any other value)",
    )

    @model_validator(mode="after")
    def _check(self) -> UnrestSection:
        for name in ("citizen_vision", "police_vision"):
            if 2 * getattr(self, name) + 1 > min(self.width, self.height):
                raise ValueError(f"{name}: 2 * vision + 1 must fit in the grid (width and height)")
        # The mesa engine never reads move_attempts: a value set for it is refused rather
        # than ignored in silence (the default passes, as for every field left out).
        if self.variant is Variant.MESA and self.move_attempts != type(self).model_fields["move_attempts"].default:
            raise ValueError("move_attempts: only the paper variant uses it (mesa moves one agent at a time)")
        return self


class RegionSection(BaseModel):
    """``[[regions]]``: one periphery region, described by its role."""

    model_config = _STRICT
    name: str = Field(..., pattern=r"^[a-z][a-z0-9_]{0,39}$", description="identifier (lower case, digits, _)")
    role: str = Field("", max_length=500, description="what the region stands for (a role, not a place)")
    core: bool = Field(False, description="unrest here can become a popular uprising")
    covert_support: bool = Field(True, description="the coercer may support the opposition here")
    weight: float = Field(1.0, ge=0.0, le=10.0, description="w_k: how much a fully active region threatens the regime")
    base_legitimacy: float = Field(0.8, ge=0.0, le=1.0, description="legitimacy the region relaxes to")
    hardship_scale: float = Field(1.0, ge=0.0, le=1.0, description="hardship H ~ U(0, scale)")
    citizen_density: float = Field(0.7, ge=0.0, le=1.0, description="share of cells with a citizen")
    police_density: float = Field(0.04, ge=0.0, le=1.0, description="share of cells with a police officer")
    max_jail_steps: int = Field(30, ge=0, le=30000, description="J_max [engine steps]")

    @model_validator(mode="after")
    def _check(self) -> RegionSection:
        if self.citizen_density + self.police_density > 1.0:
            raise ValueError("police_density: citizen_density + police_density must be at most 1")
        return self


_Range = Annotated[list[float], Field(min_length=2, max_length=2)]


class ClaimSection(BaseModel):
    """``[claims.Cn]``: one of the essay's claims as a group of parameter ranges."""

    model_config = _STRICT
    claim: str = Field(..., min_length=1, max_length=500, description="the claim in words")
    essay: dict[str, _Range] = Field(..., min_length=1, description="ranges if the essay is right")
    sceptic: dict[str, _Range] = Field(..., min_length=1, description="ranges if a sceptic is right")

    @model_validator(mode="after")
    def _same_parameters(self) -> ClaimSection:
        if set(self.essay) != set(self.sceptic):
            missing = min(set(self.essay) ^ set(self.sceptic))
            raise ValueError(f"{missing}: the essay and the sceptic must range over the same parameters")
        return self


class StrategySection(BaseModel):
    """``[strategies.NAME]``: a built-in strategy kind and its parameters (data only)."""

    model_config = ConfigDict(extra="allow", frozen=True, allow_inf_nan=False)
    kind: str = Field(..., description=f"strategy kind: one of {', '.join(sorted(STRATEGY_KINDS))}")
    description: str = Field("", max_length=2000, description="what the strategy stands for")

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        if kind not in STRATEGY_KINDS:
            raise ValueError(f"unknown strategy kind {kind!r}; known: {', '.join(sorted(STRATEGY_KINDS))}")
        return kind

    @model_validator(mode="after")
    def _check_parameters(self) -> StrategySection:
        # Extra keys are the kind's parameters; pydantic does not check them (choice 5).
        given = dict(self.model_extra or {})
        for field in fields(STRATEGY_KINDS[self.kind]):
            if field.name not in given:
                if field.default is MISSING:
                    raise ValueError(f"{field.name}: required by strategy kind {self.kind!r}")
                continue
            _check_strategy_value(field.name, str(field.type), given.pop(field.name))
        if given:
            raise ValueError(f"{min(given)}: unknown parameter of strategy kind {self.kind!r}")
        return self


# Strategy parameters that are lever levels or shares, in [0, 1] (the levers are clipped
# to [0, 1] anyway; a value outside is a mistake in the file, not a stronger lever).
_STRATEGY_SHARES = {
    "sanctions_initial",
    "sanctions_cap",
    "concessions",
    "information",
    "covert_support",
    "covert_unrest_trigger",
    "outreach",
    "paranoia_ceiling",
    "throttle",
}


def _finite(value: object, where: str, limits: tuple[float, float] | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{where}: must be a number, got {type(value).__name__}")
    try:
        number = float(value)
    except OverflowError:  # a TOML integer too large for a float
        number = math.inf
    if not math.isfinite(number):
        raise ValueError(f"{where}: must be a finite number")
    if limits is not None and not limits[0] <= number <= limits[1]:
        raise ValueError(f"{where}: must lie in [{limits[0]}, {limits[1]}], got {value}")
    return number


def _check_schedule(points: object, where: str) -> None:
    """A schedule: a non-empty list of [week, value] points, weeks rising, values in [0, 1]."""
    if not isinstance(points, list) or not points:
        raise ValueError(f"{where}: a schedule is a non-empty list of [week, value] points")
    weeks: list[float] = []
    for number, point in enumerate(points, start=1):
        if not isinstance(point, list) or len(point) != 2:
            raise ValueError(f"{where}: point {number} is not a [week, value] pair")
        weeks.append(_finite(point[0], f"{where}: point {number}: week"))
        _finite(point[1], f"{where}: point {number}: value", (0.0, 1.0))
    if any(later <= earlier for earlier, later in itertools.pairwise(weeks)):
        raise ValueError(f"{where}: schedule weeks must be strictly increasing")


def _check_strategy_value(name: str, annotation: str, value: object) -> None:
    """Check one strategy parameter against the shape its dataclass field declares."""
    if annotation == "Schedule":
        _check_schedule(value, name)
    elif annotation.startswith("tuple[Schedule"):
        if not isinstance(value, list):
            raise ValueError(f"{name}: a list of schedules (one per region, or one for all)")
        for index, points in enumerate(value):
            _check_schedule(points, f"{name}: schedule {index + 1}")
    elif annotation.startswith("tuple[bool"):
        if not isinstance(value, list) or not all(isinstance(flag, bool) for flag in value):
            raise ValueError(f"{name}: a list of true/false flags, one per region")
    elif annotation == "Strategy":
        if not isinstance(value, str):
            raise ValueError(f"{name}: the name of another strategy")
    elif annotation.startswith("float"):
        _finite(value, name, (0.0, 1.0) if name in _STRATEGY_SHARES else None)
    else:  # a new field type in model.coercer: fail loudly here rather than pass it on unchecked
        raise TypeError(f"strategy parameter {name!r} has an annotation the schema does not know: {annotation}")


def parameter_bounds(scenario: Scenario, path: str) -> tuple[float | None, float | None]:
    """The allowed range of the numeric parameter at ``path`` (choice 3).

    Parameters
    ----------
    scenario : Scenario
    path : str
        ``section.field`` or ``regions.NAME.field``.

    Returns
    -------
    (float or None, float or None)
        The lower and upper bound (None: unbounded); whether the lower bound itself is
        allowed is :func:`excludes_lower_bound`'s.

    Raises
    ------
    ValueError
        The path names no numeric parameter.
    """
    low = high = None
    for constraint in _numeric_field(scenario, path).metadata:
        low = getattr(constraint, "ge", getattr(constraint, "gt", low))
        high = getattr(constraint, "le", getattr(constraint, "lt", high))
    return low, high


def excludes_lower_bound(scenario: Scenario, path: str) -> bool:
    """Whether the lower bound of the parameter at ``path`` is excluded (a time constant
    must be above 0, not 0).

    Parameters
    ----------
    scenario : Scenario
    path : str
        ``section.field`` or ``regions.NAME.field``.

    Returns
    -------
    bool

    Raises
    ------
    ValueError
        The path names no numeric parameter.
    """
    return any(getattr(constraint, "gt", None) is not None for constraint in _numeric_field(scenario, path).metadata)


def _numeric_field(scenario: Scenario, path: str) -> Any:
    """The pydantic field of the numeric parameter at ``path`` (ValueError if none)."""
    parts = path.split(".")
    model: type[BaseModel]
    if len(parts) == 3 and parts[0] == "regions":
        names = {region.name for region in scenario.regions}
        if parts[1] not in names:
            raise ValueError(f"{path}: no region named {parts[1]!r}")
        model, field = RegionSection, parts[2]
    elif len(parts) == 2 and parts[0] in _SECTION_MODELS:
        model, field = _SECTION_MODELS[parts[0]], parts[1]
    elif len(parts) == 2 and parts[0] == "unrest":
        model, field = UnrestSection, parts[1]
    else:
        raise ValueError(f"{path}: not a parameter path (section.field or regions.NAME.field)")
    info = model.model_fields.get(field)
    if info is None or info.annotation not in (float, int):
        raise ValueError(f"{path}: not a numeric parameter")
    if model is UnrestSection and field in (
        "width",
        "height",
        "citizen_vision",
        "police_vision",
        "move_attempts",
    ):
        raise ValueError(f"{path}: structural (the same for every world), so it cannot vary")
    if model is _SECTION_MODELS["inner_circle"] and field == "n_elites":
        raise ValueError(f"{path}: structural (the same for every world), so it cannot vary")
    return info


def _check_range(scenario: Scenario, where: str, path: str, bounds: list[float]) -> None:
    low, high = bounds
    if low > high:
        raise ValueError(f"{where}.{path}: the lower end {low} is above the upper end {high}")
    try:
        allowed_low, allowed_high = parameter_bounds(scenario, path)
    except ValueError as error:
        raise ValueError(f"{where}.{error}") from None  # the message starts with the path
    excluded = excludes_lower_bound(scenario, path)
    below = allowed_low is not None and (low <= allowed_low if excluded else low < allowed_low)
    if below or (allowed_high is not None and high > allowed_high):
        opening = "(" if excluded else "["
        raise ValueError(
            f"{where}.{path}: [{low}, {high}] leaves the allowed range {opening}{allowed_low}, {allowed_high}]"
        )


class Scenario(BaseModel):
    """A whole scenario file."""

    model_config = _STRICT
    scenario: ScenarioInfo = Field(default_factory=ScenarioInfo)
    unrest: UnrestSection = Field(default_factory=UnrestSection)
    regions: list[RegionSection] = Field(..., min_length=1, max_length=32, description="periphery regions (K >= 1)")
    periphery: PeripherySection = Field(default_factory=PeripherySection)  # type: ignore[valid-type]  # generated at import (choice 1)
    inner_circle: InnerCircleSection = Field(default_factory=InnerCircleSection)  # type: ignore[valid-type]  # generated at import (choice 1)
    leader: LeaderSection = Field(default_factory=LeaderSection)  # type: ignore[valid-type]  # generated at import (choice 1)
    war: WarSection = Field(default_factory=WarSection)  # type: ignore[valid-type]  # generated at import (choice 1)
    escalation: EscalationSection = Field(default_factory=EscalationSection)  # type: ignore[valid-type]  # generated at import (choice 1)
    coercer: CoercerSection = Field(default_factory=CoercerSection)  # type: ignore[valid-type]  # generated at import (choice 1)
    uprising: bool = Field(True, description="whether the popular-uprising outcome is in play (needs a core region)")
    strategies: dict[str, StrategySection] = Field(..., min_length=1, description="strategies by name")
    uncertainties: dict[str, _Range] = Field(default_factory=dict, description="parameter ranges to explore")
    claims: dict[str, ClaimSection] = Field(default_factory=dict, description="the essay's claims")

    @model_validator(mode="after")
    def _cross_field_rules(self) -> Scenario:
        names = [region.name for region in self.regions]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"regions: region name {duplicates[0]!r} is used twice")
        if self.uprising and not any(region.core for region in self.regions):
            raise ValueError(
                "regions: the uprising outcome needs a region marked core = true (or set uprising = false)"
            )
        for name in self.strategies:
            if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", name):
                raise ValueError(f"strategies.{name}: strategy names are lower case letters, digits and _")
            # Per-region lever data (K flags; 1 or K schedules) is checked once, where the
            # strategy is built (coercer.check_regions via translate.build_strategies).
        for path, bounds in self.uncertainties.items():
            _check_range(self, "uncertainties", path, bounds)
        for claim_id, claim in self.claims.items():
            if not re.fullmatch(r"C\d{1,2}", claim_id):
                raise ValueError(f"claims.{claim_id}: claims are named C1, C2, ...")
            for side in ("essay", "sceptic"):
                for path, bounds in getattr(claim, side).items():
                    _check_range(self, f"claims.{claim_id}.{side}", path, bounds)
        return self

    @property
    def region_names(self) -> tuple[str, ...]:
        """The regions' names, in file order."""
        return tuple(region.name for region in self.regions)
