"""The coercer: weekly levers and the strategies that set them.

Mechanism
---------
Each week the coercer sets five levers, each in [0, 1]: sanctions sigma, concessions
kappa, information campaign mu, covert support u_k per region, and outreach omega to the
inner circle. A strategy maps what the coercer can plausibly observe (an
:class:`Observation`: the week, tension, an estimate of the leader's paranoia, unrest
per region, the defected share of the inner circle) to levers, for all worlds at once.

Strategies are frozen dataclasses registered under a *kind* name
(:data:`STRATEGY_KINDS`); a scenario file names a kind and gives its parameters as data,
and :func:`build_strategy` turns that data into a strategy. Scenario files never carry
code: new kinds are added here, in Python.

Source
------
The pressure campaign of the 2022 policy essay that offramp examines (MODEL.md): rising
sanctions, information about the war's costs, covert support where unrest simmers,
outreach to the inner circle, "regulating the pace"; and the incentives approach it
criticises. The pace regulator is our reading of "regulate the pace".

Choices and deviations (numbered, referred to in the docs)
----------------------------------------------------------
1. Strategies are deterministic and memoryless: levers depend on the current observation
   only (the week included). A ramp is a function of the week, not of past levers.
2. ``static``: each lever is a piecewise-linear schedule of (week, value) points, held
   constant before the first and after the last point (numpy.interp). Covert support
   takes one schedule per region, or a single schedule for every region.
3. ``adaptive``: sanctions ramp, min(cap, initial + step * week); concessions,
   information and outreach constant; covert support at a level in the regions whose
   observed unrest is above a trigger (strictly), optionally restricted to a region mask
   (e.g. periphery only). Every numeric parameter may be a per-world (B,) array.
4. ``paced`` (the pace regulator) wraps another strategy and multiplies its covert
   support and outreach by ``throttle`` in the weeks when observed tension or the
   paranoia estimate is above its ceiling (strictly); other levers pass through.
5. Every strategy clips its levers to [0, 1].
6. What the coercer observes is the coupling code's choice (``world.step``): the
   paranoia estimate may be noisy or lagged; strategies take it as given.
7. A strategy is checked once, when it is built: schedules at construction, per-region
   parameters (covert-support schedules, the region mask) against the scenario's K
   regions by :func:`check_regions` (which :func:`build_strategy` calls when given K).
   ``levers`` runs every week and trusts them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import Field, dataclass, fields
from itertools import pairwise
from types import MappingProxyType
from typing import Any, ClassVar, Protocol, TypeVar, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike

from offramp.errors import InputError
from offramp.model._broadcast import per_world, per_world_column

__all__ = [
    "Levers",
    "Observation",
    "Strategy",
    "Schedule",
    "StaticSchedule",
    "AdaptiveRule",
    "PaceRegulator",
    "STRATEGY_KINDS",
    "register_strategy_kind",
    "build_strategy",
    "check_regions",
    "shipped_strategies",
    "SHIPPED_STRATEGIES",
]

Schedule = tuple[tuple[float, float], ...]
"""Piecewise-linear schedule: (week, value) points with strictly increasing weeks."""


@dataclass(frozen=True, slots=True)
class Levers:
    """The coercer's levers for one week, each in [0, 1].

    Attributes
    ----------
    sanctions : float64 (B,)
        sigma.
    concessions : float64 (B,)
        kappa.
    information : float64 (B,)
        mu, the information campaign about the war's costs.
    covert_support : float64 (B, K)
        u_k, covert support to the opposition per region.
    outreach : float64 (B,)
        omega, back-channel outreach to the inner circle.
    """

    sanctions: np.ndarray
    concessions: np.ndarray
    information: np.ndarray
    covert_support: np.ndarray
    outreach: np.ndarray

    @classmethod
    def zeros(cls, n_worlds: int, n_regions: int) -> Levers:
        """All levers at 0 for B worlds and K regions.

        Parameters
        ----------
        n_worlds : int
            B.
        n_regions : int
            K.

        Returns
        -------
        Levers
        """
        return cls(
            np.zeros(n_worlds),
            np.zeros(n_worlds),
            np.zeros(n_worlds),
            np.zeros((n_worlds, n_regions)),
            np.zeros(n_worlds),
        )


@dataclass(frozen=True, slots=True)
class Observation:
    """What the coercer can plausibly see at the start of a week.

    Attributes
    ----------
    week : int or int64 (B,)
        Weeks since the campaign started (0 in the first week).
    tension : float64 (B,)
        Z, tension with the leader [z].
    paranoia_estimate : float64 (B,)
        The coercer's estimate of the leader's paranoia, in [0, 1].
    unrest : float64 (B, K)
        U_k, active share per region, in [0, 1].
    defected_share : float64 (B,)
        Publicly defected share of the inner circle, in [0, 1].
    """

    week: int | np.ndarray
    tension: np.ndarray
    paranoia_estimate: np.ndarray
    unrest: np.ndarray
    defected_share: np.ndarray

    @property
    def n_worlds(self) -> int:
        """B."""
        return self.unrest.shape[0]

    @property
    def n_regions(self) -> int:
        """K."""
        return self.unrest.shape[1]


@runtime_checkable
class Strategy(Protocol):
    """A coercer strategy: deterministic, batched over worlds (module choice 1)."""

    def levers(self, observation: Observation) -> Levers:
        """The levers of this week for every world.

        Parameters
        ----------
        observation : Observation
            What the coercer sees this week, per world (never the true state).

        Returns
        -------
        Levers
        """
        ...


class _StrategyKind(Strategy, Protocol):
    """What a registered kind is: a strategy dataclass with a ``kind`` class attribute
    (declared ``kind: ClassVar[str]``, set by :func:`register_strategy_kind`)."""

    kind: ClassVar[str]
    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]


_Kind = TypeVar("_Kind", bound=type[_StrategyKind])

STRATEGY_KINDS: dict[str, type[_StrategyKind]] = {}
"""Registry: kind name -> strategy class. Add kinds with :func:`register_strategy_kind`."""


def register_strategy_kind(kind: str) -> Callable[[_Kind], _Kind]:
    """Class decorator that registers a strategy class under ``kind``.

    Parameters
    ----------
    kind : str
        The name a scenario file uses.

    Returns
    -------
    callable
        The decorator; it returns the class unchanged apart from its ``kind`` attribute.
    """

    def register(cls: _Kind) -> _Kind:
        if kind in STRATEGY_KINDS:
            raise ValueError(f"strategy kind {kind!r} is already registered")
        cls.kind = kind
        STRATEGY_KINDS[kind] = cls
        return cls

    return register


def _clip01(values: ArrayLike) -> np.ndarray:
    return np.clip(np.asarray(values, dtype=np.float64), 0.0, 1.0)


def _as_schedule(points: Iterable[Sequence[float]], where: str) -> Schedule:
    """Normalise (week, value) points to a tuple of float pairs; weeks strictly rising."""
    schedule = tuple((float(week), float(value)) for week, value in points)
    if not schedule:
        raise InputError(where, "a schedule needs at least one (week, value) point")
    weeks = [week for week, _ in schedule]
    if any(later <= earlier for earlier, later in pairwise(weeks)):
        raise InputError(where, "schedule weeks must be strictly increasing")
    return schedule


def _interpolate(schedule: Schedule, week: int | np.ndarray) -> np.ndarray:
    """Piecewise-linear value at ``week`` (held constant outside the points)."""
    weeks, values = zip(*schedule, strict=True)
    return np.interp(np.asarray(week, dtype=np.float64), weeks, values)


@register_strategy_kind("static")
@dataclass(frozen=True, slots=True)
class StaticSchedule:
    """Levers from piecewise-linear schedules of the week (module choice 2).

    Attributes
    ----------
    sanctions, concessions, information, outreach : Schedule
        (week, value) points; default ((0, 0),), i.e. the lever off.
    covert_support : tuple of Schedule
        One schedule per region (K of them), or one for every region; empty is off.
    """

    kind: ClassVar[str]
    sanctions: Schedule = ((0.0, 0.0),)
    concessions: Schedule = ((0.0, 0.0),)
    information: Schedule = ((0.0, 0.0),)
    outreach: Schedule = ((0.0, 0.0),)
    covert_support: tuple[Schedule, ...] = ()

    def __post_init__(self) -> None:
        # Normalise lists from scenario data to hashable tuples, once, at construction.
        for name in ("sanctions", "concessions", "information", "outreach"):
            object.__setattr__(self, name, _as_schedule(getattr(self, name), f"static.{name}"))
        covert = tuple(
            _as_schedule(points, f"static.covert_support[{k}]") for k, points in enumerate(self.covert_support)
        )
        object.__setattr__(self, "covert_support", covert)

    def check_regions(self, n_regions: int, where: str = "static") -> None:
        """Check that the covert-support schedules fit K regions: none, one, or K.

        Parameters
        ----------
        n_regions : int
            K, the scenario's regions.
        where : str
            Where the strategy comes from, for the message.

        Raises
        ------
        InputError
            ``{where}.covert_support``: another number of schedules.
        """
        if len(self.covert_support) not in (0, 1, n_regions):
            raise InputError(
                f"{where}.covert_support",
                f"{len(self.covert_support)} schedules for {n_regions} regions (give 1 or {n_regions})",
            )

    def levers(self, observation: Observation) -> Levers:
        """Levers of this week for every world.

        Parameters
        ----------
        observation : Observation
            Only the week is read.

        Returns
        -------
        Levers
        """
        n_worlds, n_regions = observation.n_worlds, observation.n_regions

        def lever(schedule: Schedule) -> np.ndarray:
            return _clip01(per_world(_interpolate(schedule, observation.week), n_worlds))

        if not self.covert_support:
            covert = np.zeros((n_worlds, n_regions))
        else:  # 1 or K schedules: checked once, by check_regions, when the strategy was built
            per_region = [lever(schedule) for schedule in self.covert_support]
            covert = np.broadcast_to(np.stack(per_region, axis=-1), (n_worlds, n_regions)).copy()
        return Levers(
            sanctions=lever(self.sanctions),
            concessions=lever(self.concessions),
            information=lever(self.information),
            covert_support=covert,
            outreach=lever(self.outreach),
        )


@register_strategy_kind("adaptive")
@dataclass(frozen=True, slots=True)
class AdaptiveRule:
    """A rule that reads the week and observed unrest (module choice 3).

    Every numeric field is a scalar or a float64 array of shape (B,).

    Attributes
    ----------
    sanctions_initial : float
        Sanctions in week 0. Default 0.
    sanctions_step_per_week : float
        Weekly rise of sanctions [1/week]. Default 0.
    sanctions_cap : float
        Sanctions never exceed this. Default 1.
    concessions : float
        Constant concessions. Default 0.
    information : float
        Constant information campaign. Default 0.
    covert_support : float
        Covert support in each supported region. Default 0.
    covert_unrest_trigger : float
        A region is supported while its observed unrest is above this [share]. Default 0.
    covert_regions : tuple of bool, optional
        Regions that may be supported (K flags); None means all. Default None.
    outreach : float
        Constant outreach. Default 0.
    """

    kind: ClassVar[str]
    sanctions_initial: float | np.ndarray = 0.0
    sanctions_step_per_week: float | np.ndarray = 0.0
    sanctions_cap: float | np.ndarray = 1.0
    concessions: float | np.ndarray = 0.0
    information: float | np.ndarray = 0.0
    covert_support: float | np.ndarray = 0.0
    covert_unrest_trigger: float | np.ndarray = 0.0
    covert_regions: tuple[bool, ...] | None = None
    outreach: float | np.ndarray = 0.0

    def __post_init__(self) -> None:
        if self.covert_regions is not None:
            object.__setattr__(self, "covert_regions", tuple(bool(flag) for flag in self.covert_regions))

    def check_regions(self, n_regions: int, where: str = "adaptive") -> None:
        """Check that the region mask, if any, has one flag per region.

        Parameters
        ----------
        n_regions : int
            K, the scenario's regions.
        where : str
            Where the strategy comes from, for the message.

        Raises
        ------
        InputError
            ``{where}.covert_regions``: another number of flags.
        """
        if self.covert_regions is not None and len(self.covert_regions) != n_regions:
            raise InputError(f"{where}.covert_regions", f"{len(self.covert_regions)} flags for {n_regions} regions")

    def levers(self, observation: Observation) -> Levers:
        """Levers of this week for every world.

        Parameters
        ----------
        observation : Observation
            The week and unrest per region are read.

        Returns
        -------
        Levers
        """
        n_worlds = observation.n_worlds

        def p(value: ArrayLike) -> np.ndarray:
            return per_world(value, n_worlds)

        week = p(observation.week)
        ramp = p(self.sanctions_initial) + p(self.sanctions_step_per_week) * week
        sanctions = np.minimum(ramp, p(self.sanctions_cap))
        is_supported = observation.unrest > per_world_column(self.covert_unrest_trigger, n_worlds)
        if self.covert_regions is not None:  # K flags: checked once, by check_regions, when built
            is_supported = is_supported & np.asarray(self.covert_regions, dtype=bool)
        covert = np.where(is_supported, per_world_column(self.covert_support, n_worlds), 0.0)
        return Levers(
            sanctions=_clip01(sanctions),
            concessions=_clip01(p(self.concessions)),
            information=_clip01(p(self.information)),
            covert_support=_clip01(covert),
            outreach=_clip01(p(self.outreach)),
        )


@register_strategy_kind("paced")
@dataclass(frozen=True, slots=True)
class PaceRegulator:
    """The pace regulator: throttles another strategy's covert support and outreach
    while observed tension or paranoia is above its ceiling (module choice 4).

    Numeric fields are scalars or float64 arrays of shape (B,).

    Attributes
    ----------
    inner : Strategy
        The strategy being regulated.
    tension_ceiling : float
        Throttle while observed tension is above this [z]. Default 1.
    paranoia_ceiling : float
        Throttle while the paranoia estimate is above this [-]. Default 0.6.
    throttle : float
        Multiplier on covert support and outreach while throttled, in [0, 1]. Default 0.25.
    """

    kind: ClassVar[str]
    inner: Strategy
    tension_ceiling: float | np.ndarray = 1.0
    paranoia_ceiling: float | np.ndarray = 0.6
    throttle: float | np.ndarray = 0.25

    def check_regions(self, n_regions: int, where: str = "paced") -> None:
        """Check the wrapped strategy's per-region parameters (the regulator has none).

        Parameters
        ----------
        n_regions : int
            K, the scenario's regions.
        where : str
            Where the strategy comes from, for the message.

        Raises
        ------
        InputError
            The inner strategy's problem, under ``{where}.inner``.
        """
        check_regions(self.inner, n_regions, f"{where}.inner")

    def levers(self, observation: Observation) -> Levers:
        """Levers of this week for every world.

        Parameters
        ----------
        observation : Observation
            Tension and the paranoia estimate are read here; the inner strategy reads
            what it reads.

        Returns
        -------
        Levers
        """
        n_worlds = observation.n_worlds
        inner = self.inner.levers(observation)
        is_throttled = (observation.tension > per_world(self.tension_ceiling, n_worlds)) | (
            observation.paranoia_estimate > per_world(self.paranoia_ceiling, n_worlds)
        )
        scale = np.where(is_throttled, per_world(self.throttle, n_worlds), 1.0)
        return Levers(
            sanctions=inner.sanctions,
            concessions=inner.concessions,
            information=inner.information,
            covert_support=_clip01(inner.covert_support * scale[:, None]),
            outreach=_clip01(inner.outreach * scale),
        )


def check_regions(strategy: Strategy, n_regions: int, where: str = "strategy") -> None:
    """Check a strategy's per-region parameters against K regions, once, before it runs.

    ``levers`` does not check shapes every week; a kind with per-region parameters defines
    a ``check_regions(n_regions, where)`` method, which this calls (kinds without one have
    nothing to check).

    Parameters
    ----------
    strategy : Strategy
    n_regions : int
        K, the regions of the scenario the strategy will run in.
    where : str
        Where the strategy comes from, for error messages (e.g. ``strategies.full_pressure``).

    Raises
    ------
    InputError
        ``{where}.field``: a per-region parameter of another length.
    """
    check = getattr(strategy, "check_regions", None)
    if check is not None:
        check(n_regions, where)


def build_strategy(spec: Mapping[str, Any], where: str = "strategy", n_regions: int | None = None) -> Strategy:
    """A strategy from plain data: ``{"kind": name, **parameters}``, checked once.

    A ``paced`` spec carries its wrapped strategy as a nested spec under ``inner``.

    Parameters
    ----------
    spec : mapping
        The kind and the parameters (as a scenario file gives them).
    where : str
        Where the spec comes from, for error messages (e.g. ``strategies.full_pressure``).
    n_regions : int, optional
        K, the regions the strategy will run in: per-region parameters are checked
        against it (:func:`check_regions`). Without it they are checked by nothing, and
        a mismatch fails in the first week.

    Returns
    -------
    Strategy

    Raises
    ------
    InputError
        Unknown kind or parameter, or per-region parameters that do not fit K regions.
    """
    parameters = dict(spec)
    kind = parameters.pop("kind", None)
    if kind not in STRATEGY_KINDS:
        raise InputError(f"{where}.kind", f"unknown strategy kind {kind!r}; known: {', '.join(sorted(STRATEGY_KINDS))}")
    cls = STRATEGY_KINDS[kind]
    known = {field.name for field in fields(cls)}
    unknown = sorted(set(parameters) - known)
    if unknown:
        raise InputError(f"{where}.{unknown[0]}", f"unknown parameter of strategy kind {kind!r}")
    if "inner" in parameters and isinstance(parameters["inner"], Mapping):
        parameters["inner"] = build_strategy(parameters["inner"], f"{where}.inner")
    strategy = cls(**parameters)
    if n_regions is not None:
        check_regions(strategy, n_regions, where)  # the inner strategy is checked through its wrapper
    return strategy


# The essay's sanctions: start moderate, keep rising for 60 weeks, then hold.
_SANCTIONS_RAMP: dict[str, Any] = {"sanctions_initial": 0.2, "sanctions_step_per_week": 0.01, "sanctions_cap": 0.8}
_COVERT: dict[str, Any] = {"covert_support": 0.6, "covert_unrest_trigger": 0.02}


def shipped_strategies(covert_regions: Sequence[bool] | None = None) -> dict[str, Strategy]:
    """The strategies offramp ships, by name.

    - ``nothing``: every lever off, the baseline every other strategy is compared with.
    - ``sanctions_only``: the sanctions ramp alone.
    - ``conciliation``: the incentives approach the essay criticises: concessions at 0.6
      from the start, sanctions eased from 0.2 to 0 over 26 weeks.
    - ``full_pressure``: the essay's campaign: the sanctions ramp, information 0.6,
      covert support 0.6 where unrest is above 2%, outreach 0.5, no concessions.
    - ``full_pressure_paced``: the same under the pace regulator (tension ceiling 1,
      paranoia ceiling 0.6, throttle 0.25).
    - ``covert_only``, ``outreach_only``, ``information_only``: single-lever ablations
      at the full campaign's levels.

    Parameters
    ----------
    covert_regions : sequence of bool, optional
        Regions that may receive covert support (e.g. the periphery, not the core);
        None means all.

    Returns
    -------
    dict of str to Strategy
    """
    mask = None if covert_regions is None else tuple(covert_regions)
    full_pressure = AdaptiveRule(**_SANCTIONS_RAMP, **_COVERT, covert_regions=mask, information=0.6, outreach=0.5)
    return {
        "nothing": StaticSchedule(),
        "sanctions_only": AdaptiveRule(**_SANCTIONS_RAMP),
        "conciliation": StaticSchedule(sanctions=((0.0, 0.2), (26.0, 0.0)), concessions=((0.0, 0.6),)),
        "full_pressure": full_pressure,
        "full_pressure_paced": PaceRegulator(
            inner=full_pressure, tension_ceiling=1.0, paranoia_ceiling=0.6, throttle=0.25
        ),
        "covert_only": AdaptiveRule(**_COVERT, covert_regions=mask),
        "outreach_only": AdaptiveRule(outreach=0.5),
        "information_only": AdaptiveRule(information=0.6),
    }


SHIPPED_STRATEGIES: Mapping[str, Strategy] = MappingProxyType(shipped_strategies())
"""The shipped strategies with covert support allowed in every region (read-only)."""
