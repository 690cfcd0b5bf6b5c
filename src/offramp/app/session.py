"""The app's sessions: one world week by week, two strategies on it in step, and the
seminar game in which the user is the coercer.

A session holds one world (B = 1) of a scenario and steps it with the model's own
``init_world`` / ``step_world`` and the world's own streams (``WorldStreamSet.for_worlds``
with the seed and the world's index), so it is the world ``offramp run`` simulates for that
seed and index (common random numbers; batch invariance makes B = 1 the same world as
its row in any batch).

Choices
-------
1. A week is shown as a :class:`WeekView`: plain, read-only Python and NumPy data a UI
   can draw, built from the state after the week and the week's record.
2. A world ends at its outcome or at the horizon; after that ``step`` does nothing and
   returns None (the history is unchanged).
3. ``jump`` runs forward from where the session is; a week already passed is reached by
   starting the world again and running to it (the world is deterministic).
4. The game's levers are held for ``turn_weeks`` weeks. The world is stepped with the
   static schedule of the turns played so far (:meth:`GameSession.schedule`), so replaying
   that schedule is the same world by construction, not by a second code path.
5. What the player sees (:meth:`GameSession.observation`) is the model's noisy, lagged
   :func:`~offramp.model.observation.observe`, drawn from a *copy* of the world's coercer
   stream: showing it consumes nothing, and it is exactly the observation the coercer's
   step draws at the start of the next week (the same numbers from the same stream state).
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from enum import IntEnum
from pathlib import Path
from typing import Any

import numpy as np

from offramp.model.coercer import Levers, Strategy, build_strategy
from offramp.model.leader import Action
from offramp.model.observation import observe
from offramp.model.unrest import Citizen, Occupant
from offramp.model.world import WeekRecord, WorldState, WorldStreamSet, init_world, step_world
from offramp.run.chunks import world_chunks
from offramp.run.runner import OUTCOME_LABELS, run_worlds
from offramp.scenario.load import ScenarioSource, load_scenario
from offramp.scenario.translate import build_strategies, to_params

__all__ = [
    "Cell",
    "LEVERS",
    "LeverView",
    "WeekView",
    "ObservedWeek",
    "WorldSession",
    "CompareSession",
    "Turn",
    "GameLog",
    "GameSession",
    "Debrief",
    "replay",
]

LEVERS = ("sanctions", "concessions", "information", "outreach", "covert_support")
"""The coercer's levers, in the order a UI shows them."""

_SCALAR_LEVERS = LEVERS[:4]


class Cell(IntEnum):
    """What a grid cell shows: nobody, a citizen by status, or a police officer."""

    EMPTY = 0
    QUIET = 1
    ACTIVE = 2
    JAILED = 3
    POLICE = 4


def _read_only(values: Any, dtype: Any = np.float64) -> np.ndarray:
    array = np.array(values, dtype=dtype)  # a copy: the view never aliases the state
    array.setflags(write=False)
    return array


def _cells(occupant: np.ndarray, status: np.ndarray) -> np.ndarray:
    """int8 (K, H, W) :class:`Cell` codes from the grids' occupant and status codes."""
    is_citizen = occupant == Occupant.CITIZEN
    return np.select(
        [
            occupant == Occupant.POLICE,
            is_citizen & (status == Citizen.ACTIVE),
            is_citizen & (status == Citizen.JAILED),
            is_citizen,
        ],
        [Cell.POLICE, Cell.ACTIVE, Cell.JAILED, Cell.QUIET],
        default=Cell.EMPTY,
    ).astype(np.int8)


@dataclass(frozen=True, slots=True)
class LeverView:
    """The levers of one week as applied (covert support zeroed where closed, sanctions
    capped by coalition fatigue), each in [0, 1].

    Attributes
    ----------
    sanctions, concessions, information, outreach : float
    covert_support : tuple of float (K,)
    """

    sanctions: float
    concessions: float
    information: float
    outreach: float
    covert_support: tuple[float, ...]

    @classmethod
    def of(cls, levers: Levers) -> LeverView:
        """World 0's levers of a (B = 1) batch.

        Parameters
        ----------
        levers : Levers

        Returns
        -------
        LeverView
        """
        return cls(
            sanctions=float(levers.sanctions[0]),
            concessions=float(levers.concessions[0]),
            information=float(levers.information[0]),
            outreach=float(levers.outreach[0]),
            covert_support=tuple(float(v) for v in levers.covert_support[0]),
        )


@dataclass(frozen=True, slots=True)
class WeekView:
    """One week of one world, as a UI draws it (arrays read-only).

    Attributes
    ----------
    week : int
        The week just simulated (1-based).
    outcome : str
        The world's outcome label after the week ("ongoing" while it goes on).
    is_final : bool
        The world ended this week, or the horizon was reached.
    regions : tuple of str (K,)
    grids : int8 (K, H, W)
        :class:`Cell` codes of each region's grid after the week.
    legitimacy, opposition, unrest : float64 (K,)
        Legitimacy, organised capacity and the active share per region.
    elites : int8 (E,)
        :class:`~offramp.model.cascade.Elite` code of each member of the inner circle.
    values, probabilities : float64 (3,)
        The leader's value and choice probability of each action, indexed by
        :class:`~offramp.model.leader.Action` (continue, escalate, off-ramp/settle).
    belief : float
        The leader's belief about the front's weekly drift.
    action : str
        His choice this week (``continue``, ``escalate``, ``offramp``).
    war_score : float
    war_deaths : float
        Deaths of the week.
    war_deaths_total : float
        Deaths so far.
    tension, hazard : float
        Tension after the week and the week's direct-conflict hazard.
    levers : LeverView
    """

    week: int
    outcome: str
    is_final: bool
    regions: tuple[str, ...]
    grids: np.ndarray
    legitimacy: np.ndarray
    opposition: np.ndarray
    unrest: np.ndarray
    elites: np.ndarray
    values: np.ndarray
    probabilities: np.ndarray
    belief: float
    action: str
    war_score: float
    war_deaths: float
    war_deaths_total: float
    tension: float
    hazard: float
    levers: LeverView


def _week_view(state: WorldState, record: WeekRecord, regions: tuple[str, ...], horizon_weeks: int) -> WeekView:
    return WeekView(
        week=state.week,
        outcome=OUTCOME_LABELS[int(state.outcome[0])],
        is_final=bool(state.is_done[0]) or state.week >= horizon_weeks,
        regions=regions,
        grids=_read_only(_cells(state.grids.occupant, state.grids.status), np.int8),
        legitimacy=_read_only(record.legitimacy[0]),
        opposition=_read_only(record.opposition[0]),
        unrest=_read_only(record.unrest[0]),
        elites=_read_only(state.inner_circle.status[0], np.int8),
        values=_read_only(record.values[0]),
        probabilities=_read_only(record.probabilities[0]),
        belief=float(record.belief[0]),
        action=Action(int(record.action[0])).name.lower(),
        war_score=float(record.war_score[0]),
        war_deaths=float(record.war_deaths[0]),
        war_deaths_total=float(state.war.deaths[0]),
        tension=float(state.escalation.tension[0]),
        hazard=float(record.hazard[0]),
        levers=LeverView.of(record.levers),
    )


def _source(scenario: str | Path | ScenarioSource) -> ScenarioSource:
    return scenario if isinstance(scenario, ScenarioSource) else load_scenario(scenario)


def _check_world(world: int, seed: int) -> None:
    if int(world) < 0:
        raise ValueError(f"world: must be at least 0, got {world}")
    if int(seed) < 0:
        raise ValueError(f"seed: must be at least 0, got {seed}")


class WorldSession:
    """One world of a scenario under one strategy, week by week (module choices 1-3).

    Parameters
    ----------
    scenario : path or ScenarioSource
        The scenario file or a loaded one.
    strategy : str or Strategy
        A strategy of the scenario by name, or a strategy object (e.g. a replayed game's
        static schedule).
    world : int
        The world's index (its place in ``offramp run``).
    seed : int
        The run's seed.

    Raises
    ------
    OptionError
        ``strategy``: a name the scenario does not have.
    InputError
        A bad scenario file.
    ValueError
        A negative world index or seed.
    """

    def __init__(self, scenario: str | Path | ScenarioSource, strategy: str | Strategy, world: int, seed: int) -> None:
        _check_world(world, seed)
        self.source = _source(scenario)
        if isinstance(strategy, str):
            self.strategy_name = strategy
            self._strategy = build_strategies(self.source, [strategy])[strategy]
        else:
            self.strategy_name = type(strategy).__name__
            self._strategy = strategy
        self.world, self.seed = int(world), int(seed)
        self.params = to_params(self.source.scenario, 1)
        self.regions: tuple[str, ...] = tuple(self.params.regions.names)
        self._restart()

    def _restart(self) -> None:
        self._streams = WorldStreamSet.for_worlds(self.seed, [self.world])
        self._state = init_world(self.params, self._streams)
        self.history: list[WeekView] = []

    @property
    def week(self) -> int:
        """Weeks simulated so far."""
        return self._state.week

    @property
    def horizon_weeks(self) -> int:
        """The scenario's horizon [weeks]."""
        return self.params.horizon_weeks

    @property
    def grid_shape(self) -> tuple[int, int]:
        """(height, width) of the regions' grids [cells]."""
        height, width = self._state.grids.occupant.shape[-2:]
        return int(height), int(width)

    @property
    def circle_size(self) -> int:
        """Elites in the inner circle."""
        return int(self._state.inner_circle.status.shape[-1])

    @property
    def is_done(self) -> bool:
        """The world has ended (an outcome, or the horizon reached)."""
        return bool(self._state.is_done[0]) or self._state.week >= self.params.horizon_weeks

    @property
    def outcome(self) -> str:
        """The outcome label so far ("ongoing" while the world goes on)."""
        return OUTCOME_LABELS[int(self._state.outcome[0])]

    @property
    def end_week(self) -> int:
        """The week the world ended in, or the weeks simulated so far (as ``offramp
        run``'s ``end_week``)."""
        end = int(self._state.end_week[0])
        return end if end > 0 else self._state.week

    def step(self) -> WeekView | None:
        """Advance one week.

        Returns
        -------
        WeekView or None
            The week just simulated; None when the world had already ended (nothing
            changes, module choice 2).
        """
        if self.is_done:
            return None
        self._state, record = step_world(self._state, self.params, self._strategy, self._streams)
        view = _week_view(self._state, record, self.regions, self.params.horizon_weeks)
        self.history.append(view)
        return view

    def jump(self, week: int) -> WeekView | None:
        """Run to a week: forward from here, or from the start for a week already passed
        (module choice 3). The run stops early where the world ends.

        Parameters
        ----------
        week : int
            The week to reach, in [0, horizon_weeks].

        Returns
        -------
        WeekView or None
            The last week simulated; None at week 0.

        Raises
        ------
        ValueError
            ``week`` outside [0, horizon_weeks] (the session is unchanged).
        """
        if not 0 <= int(week) <= self.params.horizon_weeks:
            raise ValueError(f"week: must be in [0, {self.params.horizon_weeks}], got {week}")
        if week < self.week:
            self._restart()
        while self.week < week and self.step() is not None:
            pass
        return self.history[-1] if self.history else None

    def use_strategy(self, strategy: Strategy) -> None:
        """Step the coming weeks with another strategy (the game's schedule grows turn by
        turn; strategies are memoryless, so the weeks already played stay as they were).

        Parameters
        ----------
        strategy : Strategy
        """
        self._strategy = strategy

    def coercer_view(self) -> ObservedWeek:
        """What the coercer's next step will observe (module choice 5), consuming no
        random numbers of the world.

        Returns
        -------
        ObservedWeek
        """
        streams = copy.deepcopy(self._streams.coercer)  # the draws of the next step, not taken from it
        seen = observe(self._state.observed, self._state.week, self.params.coercer, streams)
        return ObservedWeek(
            week=int(seen.week),
            tension=float(seen.tension[0]),
            paranoia_estimate=float(seen.paranoia_estimate[0]),
            defected_share=float(seen.defected_share[0]),
            unrest=tuple(float(v) for v in seen.unrest[0]),
        )


class CompareSession:
    """The same world under two strategies, in step.

    Parameters
    ----------
    scenario : path or ScenarioSource
    strategies : (str or Strategy, str or Strategy)
        The two strategies.
    world : int
    seed : int

    Raises
    ------
    ValueError
        Not exactly two strategies, or a bad world or seed.
    """

    def __init__(
        self,
        scenario: str | Path | ScenarioSource,
        strategies: Sequence[str | Strategy],
        world: int,
        seed: int,
    ) -> None:
        if len(strategies) != 2:
            raise ValueError(f"strategies: give two strategies, got {len(strategies)}")
        source = _source(scenario)
        self.sessions = (
            WorldSession(source, strategies[0], world, seed),
            WorldSession(source, strategies[1], world, seed),
        )

    @property
    def is_done(self) -> bool:
        """Both worlds have ended."""
        return all(s.is_done for s in self.sessions)

    def step(self) -> tuple[WeekView | None, WeekView | None]:
        """Advance both worlds one week.

        Returns
        -------
        (WeekView or None, WeekView or None)
            Each world's week; None for a world that had already ended.
        """
        return self.sessions[0].step(), self.sessions[1].step()

    def jump(self, week: int) -> tuple[WeekView | None, WeekView | None]:
        """Run both worlds to a week (:meth:`WorldSession.jump`).

        Parameters
        ----------
        week : int

        Returns
        -------
        (WeekView or None, WeekView or None)
        """
        if not 0 <= int(week) <= self.sessions[0].horizon_weeks:  # checked before either moves
            raise ValueError(f"week: must be in [0, {self.sessions[0].horizon_weeks}], got {week}")
        return self.sessions[0].jump(week), self.sessions[1].jump(week)


@dataclass(frozen=True, slots=True)
class ObservedWeek:
    """What the coercer observes at the start of a week: noisy and lagged, never the
    true state (:func:`offramp.model.observation.observe`).

    Attributes
    ----------
    week : int
        Weeks simulated so far (the observation is taken before the next week).
    tension, paranoia_estimate, defected_share : float
    unrest : tuple of float (K,)
    """

    week: int
    tension: float
    paranoia_estimate: float
    defected_share: float
    unrest: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Turn:
    """One turn of the game: the levers the player set and what they saw first.

    Attributes
    ----------
    start_week : int
        Weeks simulated before the turn (the turn's first week is ``start_week + 1``).
    weeks : int
        Weeks the turn ran (fewer than ``turn_weeks`` where the world ended).
    sanctions, concessions, information, outreach : float
        In [0, 1], as set (before fatigue's cap).
    covert_support : tuple of float (K,)
        As set, per region (before closed regions are zeroed).
    observation : ObservedWeek
        What the player saw when setting them.
    """

    start_week: int
    weeks: int
    sanctions: float
    concessions: float
    information: float
    outreach: float
    covert_support: tuple[float, ...]
    observation: ObservedWeek


@dataclass(frozen=True, slots=True)
class GameLog:
    """The record of a game: enough to replay it exactly (:func:`replay`).

    Attributes
    ----------
    scenario_hash : str
        SHA-256 of the scenario file's text.
    scenario_name : str
    seed, world, turn_weeks : int
    turns : tuple of Turn
    outcome : str
        The outcome label so far.
    end_week : int
        The week the world ended in, or the weeks played.
    """

    scenario_hash: str
    scenario_name: str
    seed: int
    world: int
    turn_weeks: int
    turns: tuple[Turn, ...] = field(default=())
    outcome: str = "ongoing"
    end_week: int = 0

    def to_json(self) -> str:
        """The log as JSON text (floats written exactly).

        Returns
        -------
        str
        """
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> GameLog:
        """A log from :meth:`to_json`'s text.

        Parameters
        ----------
        text : str

        Returns
        -------
        GameLog

        Raises
        ------
        ValueError
            Not JSON, or not a game log (a missing or unknown field).
        """
        try:
            data = json.loads(text)
            turns = tuple(
                Turn(
                    **{
                        **turn,
                        "covert_support": tuple(turn["covert_support"]),
                        "observation": ObservedWeek(
                            **{**turn["observation"], "unrest": tuple(turn["observation"]["unrest"])}
                        ),
                    }
                )
                for turn in data.pop("turns")
            )
            return cls(**data, turns=turns)
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"game log: not a game log ({error})") from None


def _lever_value(name: str, value: object) -> float:
    """A lever's value as a float in [0, 1], or ValueError naming the lever."""
    try:
        number = float(value)  # type: ignore[arg-type]  # anything float() takes; the rest is refused below
    except (TypeError, ValueError):
        raise ValueError(f"{name}: must be a number in [0, 1], got {value!r}") from None
    if not (math.isfinite(number) and 0.0 <= number <= 1.0):
        raise ValueError(f"{name}: must be in [0, 1], got {value!r}")
    return number


def _check_levers(levers: Mapping[str, object], regions: tuple[str, ...]) -> dict[str, Any]:
    """The player's levers, checked: unknown names and values out of [0, 1] refused; a
    lever not given is 0; covert support one value for every region or one per region."""
    unknown = sorted(set(levers) - set(LEVERS))
    if unknown:
        raise ValueError(f"{unknown[0]}: not a lever; the levers are {', '.join(LEVERS)}")
    checked: dict[str, Any] = {name: _lever_value(name, levers.get(name, 0.0)) for name in _SCALAR_LEVERS}
    covert = levers.get("covert_support", 0.0)
    if isinstance(covert, Mapping):
        wrong = sorted(set(covert) - set(regions))
        if wrong:
            raise ValueError(f"covert_support: no region named {wrong[0]!r}; the regions are {', '.join(regions)}")
        covert = [covert.get(name, 0.0) for name in regions]
    if isinstance(covert, (str, bytes)) or not isinstance(covert, Sequence | np.ndarray):
        covert = [covert] * len(regions)
    covert = list(covert)
    if len(covert) != len(regions):
        raise ValueError(f"covert_support: {len(covert)} values for {len(regions)} regions (give 1 or {len(regions)})")
    checked["covert_support"] = tuple(
        _lever_value(f"covert_support[{name}]", value) for name, value in zip(regions, covert, strict=True)
    )
    return checked


def _schedule_spec(turns: Sequence[Turn], turn_weeks: int, n_regions: int) -> dict[str, Any]:
    """The static strategy spec of the turns: piecewise constant, a point at each turn's
    first week and one at its last (module choice 4)."""

    def points(values: Sequence[float]) -> list[list[float]]:
        out: list[list[float]] = []
        for turn, value in zip(turns, values, strict=True):
            start = float(turn.start_week)  # the observation's week of the turn's first step
            out.append([start, value])
            if turn_weeks > 1:  # no whole week lies between a turn's last week and the next turn's first
                out.append([start + turn_weeks - 1, value])
        return out or [[0.0, 0.0]]

    spec: dict[str, Any] = {"kind": "static"}
    for name in _SCALAR_LEVERS:
        spec[name] = points([getattr(turn, name) for turn in turns])
    spec["covert_support"] = [points([turn.covert_support[k] for turn in turns]) for k in range(n_regions)]
    return spec


class GameSession:
    """The seminar game: the player is the coercer, one turn of ``turn_weeks`` weeks at a
    time (module choices 4-5).

    Parameters
    ----------
    scenario : path or ScenarioSource
    world : int
    seed : int
    turn_weeks : int
        Weeks each turn's levers hold (>= 1).

    Raises
    ------
    ValueError
        ``turn_weeks`` below 1, or a bad world or seed.
    """

    def __init__(self, scenario: str | Path | ScenarioSource, world: int, seed: int, turn_weeks: int = 4) -> None:
        if int(turn_weeks) < 1:
            raise ValueError(f"turn_weeks: must be at least 1, got {turn_weeks}")
        self.source = _source(scenario)
        self.turn_weeks = int(turn_weeks)
        self.turns: list[Turn] = []
        self.regions: tuple[str, ...] = tuple(self.source.scenario.region_names)
        self._world = WorldSession(self.source, self.strategy(), world, seed)

    @property
    def world(self) -> WorldSession:
        """The world being played (read it; play it with :meth:`play_turn`)."""
        return self._world

    @property
    def is_done(self) -> bool:
        """The world has ended."""
        return self._world.is_done

    @property
    def history(self) -> list[WeekView]:
        """Every week played so far."""
        return self._world.history

    def observation(self) -> ObservedWeek:
        """What the coercer can observe now: the noisy, lagged observation its next step
        draws, from a copy of the world's coercer stream (module choice 5). Calling it
        changes nothing.

        Returns
        -------
        ObservedWeek
        """
        return self._world.coercer_view()

    def schedule(self) -> dict[str, Any]:
        """The levers played so far as a ``static`` strategy spec (a scenario's
        ``[strategies.NAME]`` table): piecewise constant, points at each turn's first
        and last week; every lever off before any turn.

        Returns
        -------
        dict
            ``{"kind": "static", "sanctions": [[week, value], ...], ...,
            "covert_support": [one schedule per region]}``.
        """
        return _schedule_spec(self.turns, self.turn_weeks, len(self.regions))

    def strategy(self) -> Strategy:
        """:meth:`schedule` built as a strategy (checked against the scenario's regions).

        Returns
        -------
        Strategy
        """
        return build_strategy(self.schedule(), "game", n_regions=len(self.regions))

    def play_turn(self, levers: Mapping[str, object]) -> list[WeekView]:
        """Set the levers and run the turn's weeks (fewer where the world ends).

        Parameters
        ----------
        levers : mapping
            ``sanctions``, ``concessions``, ``information``, ``outreach``: each a number in
            [0, 1]; ``covert_support``: one number for every region, a sequence of K, or
            a mapping of region name to number. A lever not given is 0.

        Returns
        -------
        list of WeekView
            The turn's weeks; empty when the world had already ended (no turn is logged).

        Raises
        ------
        ValueError
            An unknown lever or a value outside [0, 1], naming the lever; the session is
            unchanged.
        """
        checked = _check_levers(levers, self.regions)
        if self.is_done:
            return []
        seen = self.observation()
        start = self._world.week
        turn = Turn(start_week=start, weeks=0, observation=seen, **checked)
        self.turns.append(turn)
        # The schedule with this turn agrees with the last one on every week played (choice 4).
        self._world.use_strategy(self.strategy())
        views = []
        for _ in range(self.turn_weeks):
            view = self._world.step()
            if view is None:
                break
            views.append(view)
        self.turns[-1] = replace(turn, weeks=len(views))
        return views

    def log(self) -> GameLog:
        """The game so far, as a log to save and replay.

        Returns
        -------
        GameLog
        """
        return GameLog(
            scenario_hash=self.source.hash,
            scenario_name=self.source.scenario.scenario.name,
            seed=self._world.seed,
            world=self._world.world,
            turn_weeks=self.turn_weeks,
            turns=tuple(self.turns),
            outcome=self._world.outcome,
            end_week=self._world.end_week,
        )

    def debrief(self, worlds: int = 100, chunk_size: int = 500) -> Debrief:
        """How the shipped strategies did on this world, and the player's schedule over
        many worlds of the scenario beside them (common random numbers).

        Parameters
        ----------
        worlds : int
            N, worlds of the ensemble (indices 0 .. N - 1, as ``offramp run``).
        chunk_size : int
            Worlds simulated at once (memory); no result depends on it.

        Returns
        -------
        Debrief

        Raises
        ------
        ValueError
            ``worlds`` or ``chunk_size`` below 1.
        """
        if int(worlds) < 1:
            raise ValueError(f"worlds: must be at least 1, got {worlds}")
        if int(chunk_size) < 1:
            raise ValueError(f"chunk_size: must be at least 1, got {chunk_size}")
        shipped = build_strategies(self.source)
        everyone: dict[str, Strategy] = {**shipped, Debrief.PLAYER: self.strategy()}
        seed, world = self._world.seed, self._world.world
        same_world = []
        one = to_params(self.source.scenario, 1)
        for name, strategy in everyone.items():
            row = run_worlds(one, strategy, name, [world], seed)
            same_world.append(
                {
                    "strategy": name,
                    "outcome": str(row["outcome"][0]),
                    "end_week": int(row["end_week"][0]),
                    "war_deaths": float(row["war_deaths"][0]),
                }
            )
        counts = {name: dict.fromkeys(OUTCOME_LABELS, 0) for name in everyone}
        for chunk in world_chunks(int(worlds), int(chunk_size)):
            indices = np.arange(chunk.start, chunk.stop)
            params = to_params(self.source.scenario, indices.size)  # every strategy on the same worlds
            for name, strategy in everyone.items():
                labels, found = np.unique(
                    run_worlds(params, strategy, name, indices, seed)["outcome"], return_counts=True
                )
                for label, count in zip(labels, found, strict=True):
                    counts[name][str(label)] += int(count)
        shares = {name: {label: n / int(worlds) for label, n in row.items()} for name, row in counts.items()}
        return Debrief(worlds=int(worlds), seed=seed, same_world=tuple(same_world), shares=shares)


@dataclass(frozen=True, slots=True)
class Debrief:
    """The game's debrief.

    Attributes
    ----------
    worlds : int
        N, worlds of the ensemble.
    seed : int
    same_world : tuple of dict
        For each shipped strategy, then the player's schedule (:attr:`PLAYER`): its
        ``strategy``, ``outcome``, ``end_week`` and ``war_deaths`` on the game's world.
    shares : dict of str to dict of str to float
        Strategy -> outcome label -> share of the N worlds (each row sums to 1).
    """

    PLAYER = "your_schedule"

    worlds: int
    seed: int
    same_world: tuple[dict[str, Any], ...]
    shares: dict[str, dict[str, float]]


def replay(scenario: str | Path | ScenarioSource, log: GameLog) -> GameSession:
    """Play a logged game again, turn by turn, and check it is the same game.

    Parameters
    ----------
    scenario : path or ScenarioSource
        The scenario the game was played on.
    log : GameLog

    Returns
    -------
    GameSession
        The game, replayed.

    Raises
    ------
    ValueError
        Another scenario (its hash differs), or a replay that departs from the log (a
        turn's observation or the outcome differs: another version of the model).
    """
    source = _source(scenario)
    if source.hash != log.scenario_hash:
        raise ValueError(
            f"game log: played on another scenario (hash {log.scenario_hash[:12]}, not {source.hash[:12]})"
        )
    game = GameSession(source, log.world, log.seed, log.turn_weeks)
    for number, turn in enumerate(log.turns, start=1):
        levers = {name: getattr(turn, name) for name in LEVERS}
        if game.observation() != turn.observation:
            raise ValueError(f"game log: turn {number}'s observation differs on replay (another model version?)")
        game.play_turn(levers)
    if (game.world.outcome, game.world.end_week) != (log.outcome, log.end_week):
        raise ValueError(
            f"game log: replay ends {game.world.outcome} in week {game.world.end_week}, "
            f"the log {log.outcome} in week {log.end_week}"
        )
    return game
