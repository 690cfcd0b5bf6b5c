"""The coupled campaign model: one week of every world, all submodels in a fixed order.

This is the only place where the submodels meet. The order of the calls in
:func:`step_world` is a timing assumption of the model, documented here and in
docs/model.md:

1. **Coercer.** The strategy observes last week's tension, the leader's paranoia, the
   regions' unrest and the defected share, and sets this week's levers. Covert support
   to a region closed to it (``allows_covert``) is zeroed here, whatever the strategy.
2. **Periphery.** Legitimacy (information campaign x war cost, last week's arrests) and
   organised opposition (covert support) are updated; police on duty follow the leader's
   last allocation; the regions' grids run ``engine_steps_per_week`` engine steps; unrest,
   arrests and casualties are read off; core-region uprisings are counted.
3. **Inner circle.** Outreach contacts, exposures, purges (last week's paranoia), the
   public cascade, the coup draw.
4. **Leader.** Sanctions pain, this week's unrest, defections, exposures and purges, last
   week's attributions (attribution reaches the leader a week later), then the choice.
5. **Escalation.** Attributions of this week's covert support, tension from this week's
   escalation, the direct-conflict draw.
6. **Outcome.** The first event of the week in the order above ends the world: uprising,
   removal by insiders, settlement (off-ramp), direct conflict. A world that has ended is
   frozen (absorbing): its state no longer changes.

Human costs are kept apart: war deaths (while the war goes on), periphery casualties
(repression and armed clashes), and the direct-conflict flag.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace

import numpy as np
from numpy.typing import ArrayLike

from offramp.model._broadcast import GRID_ROWS, count_worlds, map_world_rows, take_worlds, world_index
from offramp.model.cascade import (
    CascadeParams,
    InnerCircleDrivers,
    InnerCircleState,
    init_inner_circle,
    step_inner_circle,
)
from offramp.model.coercer import Levers, Observation, Strategy
from offramp.model.escalation import (
    EscalationDrivers,
    EscalationParams,
    EscalationState,
    init_escalation,
    step_escalation,
)
from offramp.model.leader import (
    LeaderDrivers,
    LeaderParams,
    LeaderState,
    init_leader,
    police_factor,
    step_leader,
)
from offramp.model.outcomes import Outcome
from offramp.model.periphery import (
    PeripheryDrivers,
    PeripheryParams,
    PeripheryRecord,
    PeripheryState,
    RegionTable,
    init_periphery,
    organisation_effects,
    police_on_duty,
    step_legitimacy,
    step_opposition,
    step_uprising,
    war_cost,
    war_deaths,
    weekly_casualties,
)
from offramp.model.streams import Stream, WorldStreams
from offramp.model.unrest import (
    Occupant,
    UnrestDrivers,
    UnrestParams,
    UnrestState,
    init_unrest,
    step_unrest,
)

__all__ = [
    "Outcome",
    "WorldParams",
    "WorldStreamSet",
    "Tallies",
    "WorldState",
    "WeekRecord",
    "init_world",
    "step_world",
]


@dataclass(frozen=True, slots=True)
class WorldParams:
    """Everything a world needs, translated from a scenario (``scenario.translate``).

    Attributes
    ----------
    horizon_weeks : int
        T, weeks simulated at most.
    engine_steps_per_week : int
        Unrest-engine steps per week (Epstein's cycles have no calendar meaning).
    unrest : UnrestParams
        The grids' parameters; per-grid arrays have shape (B * K,), world-major.
    regions : RegionTable
    periphery : PeripheryParams
    inner_circle : CascadeParams
    leader : LeaderParams
    escalation : EscalationParams
    """

    horizon_weeks: int
    engine_steps_per_week: int
    unrest: UnrestParams = field(metadata=GRID_ROWS)
    regions: RegionTable
    periphery: PeripheryParams
    inner_circle: CascadeParams
    leader: LeaderParams
    escalation: EscalationParams

    @property
    def n_worlds(self) -> int | None:
        """B, read off the per-world values; None when every value is shared by all
        worlds (such parameters fit a batch of any size)."""
        return count_worlds(self, self.regions.count)

    def take(self, rows: ArrayLike) -> WorldParams:
        """The parameters of some of the worlds, in the order of ``rows``.

        Per-world values (swept parameters, (B, K) region tables, the grids' (B * K,)
        values) are indexed; values shared by every world (scalars, (K,) tables) stay
        as they are, so a batch cut down keeps what :func:`offramp.scenario.translate.to_params`
        would have given for those worlds, without translating the scenario again.

        Parameters
        ----------
        rows : int array (N,) or bool array (B,)
            Positions of the worlds in this batch, or a mask over it.

        Returns
        -------
        WorldParams
            For N worlds.
        """
        n_worlds = self.n_worlds
        if n_worlds is None:  # every value is shared: any subset has the same parameters
            return self
        return take_worlds(self, rows, n_worlds, self.regions.count)


@dataclass(frozen=True, slots=True)
class WorldStreamSet:
    """The random streams of B worlds, one per submodel (the strategy is not in the key:
    common random numbers across strategies)."""

    unrest: WorldStreams  # B generators, each drawing for its world's K grids
    inner_circle: WorldStreams
    leader: WorldStreams
    escalation: WorldStreams

    def take(self, rows: ArrayLike) -> WorldStreamSet:
        """The streams of some of the worlds (shared generators, not copies).

        Parameters
        ----------
        rows : int array (N,) or bool array (B,)
            Positions of the worlds in this batch, or a mask over it.

        Returns
        -------
        WorldStreamSet
            For N worlds.
        """
        index = world_index(rows, len(self.leader))
        return WorldStreamSet(*(getattr(self, f.name).take(index) for f in fields(self)))

    @classmethod
    def for_worlds(cls, seed: int, worlds: Sequence[int] | np.ndarray) -> WorldStreamSet:
        """Streams of the given world indices (their place in the run); a world's unrest
        stream draws for all its K grids.

        Parameters
        ----------
        seed : int
            The run's seed.
        worlds : sequence of int (B,)
            World indices.

        Returns
        -------
        WorldStreamSet
        """
        return cls(
            unrest=WorldStreams.for_worlds(seed, worlds, Stream.UNREST),
            inner_circle=WorldStreams.for_worlds(seed, worlds, Stream.INNER_CIRCLE),
            leader=WorldStreams.for_worlds(seed, worlds, Stream.LEADER),
            escalation=WorldStreams.for_worlds(seed, worlds, Stream.ESCALATION),
        )


@dataclass(frozen=True, slots=True)
class Tallies:
    """Running totals and extremes of every world, for the outcome table.

    Attributes
    ----------
    war_deaths : float64 (B,)
        Deaths in the war so far.
    periphery_casualties : float64 (B, K)
        Casualties of repression and armed clashes so far, per region.
    peak_tension : float64 (B,)
    purges, defections, attributions, contacts, exposures, escalations : int64 (B,)
        Counts so far (attributions summed over regions).
    peak_unrest : float64 (B, K)
        Highest weekly active share per region.
    unrest_sum : float64 (B, K)
        Sum of weekly active shares (mean = sum / weeks simulated).
    """

    war_deaths: np.ndarray
    periphery_casualties: np.ndarray
    peak_tension: np.ndarray
    purges: np.ndarray
    defections: np.ndarray
    attributions: np.ndarray
    contacts: np.ndarray
    exposures: np.ndarray
    escalations: np.ndarray
    peak_unrest: np.ndarray
    unrest_sum: np.ndarray


@dataclass(frozen=True, slots=True)
class WorldState:
    """The state of B worlds at the start of a week.

    Attributes
    ----------
    week : int
        Weeks simulated so far (0 before the first).
    grids : UnrestState
        The regions' grids, (B * K, H, W), world-major.
    citizens, police : int64 (B, K)
        Citizens and police officers on each region's grid (constant).
    periphery : PeripheryState
    inner_circle : InnerCircleState
    leader : LeaderState
    escalation : EscalationState
    unrest : float64 (B, K)
        Last week's active share per region.
    arrested_share : float64 (B, K)
        Last week's arrests over citizens per region.
    economic_pain : float64 (B,)
        Last week's economic pain M.
    attributions : int64 (B,)
        Last week's attributions (they reach the leader this week).
    outcome : int8 (B,)
        :class:`Outcome`.
    end_week : int64 (B,)
        The week the world ended in (1-based), or 0 while it goes on.
    tallies : Tallies
    """

    week: int
    grids: UnrestState = field(metadata=GRID_ROWS)
    citizens: np.ndarray
    police: np.ndarray
    periphery: PeripheryState
    inner_circle: InnerCircleState
    leader: LeaderState
    escalation: EscalationState
    unrest: np.ndarray
    arrested_share: np.ndarray
    economic_pain: np.ndarray
    attributions: np.ndarray
    outcome: np.ndarray
    end_week: np.ndarray
    tallies: Tallies

    @property
    def is_done(self) -> np.ndarray:
        """bool (B,): the world has ended."""
        return self.outcome != Outcome.ONGOING

    def take(self, rows: ArrayLike) -> WorldState:
        """The state of some of the worlds, in the order of ``rows`` (grids included).

        Parameters
        ----------
        rows : int array (N,) or bool array (B,)
            Positions of the worlds in this batch, or a mask over it.

        Returns
        -------
        WorldState
            For N worlds; the week counter is the batch's.
        """
        n_worlds, n_regions = self.unrest.shape
        return take_worlds(self, rows, n_worlds, n_regions)


@dataclass(frozen=True, slots=True)
class WeekRecord:
    """What one week shows, for traces: levers, drivers and events, per world.

    Attributes
    ----------
    levers : Levers
    legitimacy, opposition, unrest, police_on_duty, casualties : (B, K)
        After the week's periphery update (police_on_duty int64).
    arrests : int64 (B, K)
    contacts, exposures, defections, purges : int64 (B,)
    defected_share : float64 (B,)
    economic_pain : float64 (B,)
    probabilities : float64 (B, 3)
        The leader's choice probabilities (continue, escalate, off-ramp).
    action : int8 (B,)
    attributions : int64 (B, K)
    hazard : float64 (B,)
        Direct-conflict hazard of the week.
    war_deaths : float64 (B,)
        War deaths of the week.
    """

    levers: Levers
    legitimacy: np.ndarray
    opposition: np.ndarray
    unrest: np.ndarray
    police_on_duty: np.ndarray
    casualties: np.ndarray
    arrests: np.ndarray
    contacts: np.ndarray
    exposures: np.ndarray
    defections: np.ndarray
    purges: np.ndarray
    defected_share: np.ndarray
    economic_pain: np.ndarray
    probabilities: np.ndarray
    action: np.ndarray
    attributions: np.ndarray
    hazard: np.ndarray
    war_deaths: np.ndarray


def _by_world(grid_values: np.ndarray, n_worlds: int) -> np.ndarray:
    """(B * K,) per-grid values as (B, K)."""
    return np.asarray(grid_values).reshape(n_worlds, -1)


def init_world(params: WorldParams, streams: WorldStreamSet) -> WorldState:
    """B worlds at the start of the campaign.

    Parameters
    ----------
    params : WorldParams
    streams : WorldStreamSet

    Returns
    -------
    WorldState
    """
    n_worlds, n_regions = len(streams.leader), params.regions.count
    grids = init_unrest(params.unrest, streams.unrest, grids_per_stream=n_regions)
    # Hardship scaled per region (periphery choice 8): H ~ U(0, scale).
    scale = np.broadcast_to(np.asarray(params.regions.hardship_scale, np.float64), (n_worlds, n_regions))
    grids = replace(grids, hardship=(grids.hardship * scale.reshape(-1, 1, 1).astype(np.float32)))
    occupant = grids.occupant
    citizens = np.count_nonzero(occupant == Occupant.CITIZEN, axis=(1, 2)).reshape(n_worlds, n_regions)
    police = np.count_nonzero(occupant == Occupant.POLICE, axis=(1, 2)).reshape(n_worlds, n_regions)
    zeros = np.zeros(n_worlds)
    zeros_k = np.zeros((n_worlds, n_regions))
    counts = np.zeros(n_worlds, np.int64)
    return WorldState(
        week=0,
        grids=grids,
        citizens=citizens.astype(np.int64),
        police=police.astype(np.int64),
        periphery=init_periphery(params.regions, n_worlds),
        inner_circle=init_inner_circle(params.inner_circle, streams.inner_circle),
        leader=init_leader(params.leader, n_worlds, n_regions),
        escalation=init_escalation(n_worlds),
        unrest=zeros_k.copy(),
        arrested_share=zeros_k.copy(),
        economic_pain=zeros.copy(),
        attributions=counts.copy(),
        outcome=np.full(n_worlds, Outcome.ONGOING, np.int8),
        end_week=counts.copy(),
        tallies=Tallies(
            war_deaths=zeros.copy(),
            periphery_casualties=zeros_k.copy(),
            peak_tension=zeros.copy(),
            purges=counts.copy(),
            defections=counts.copy(),
            attributions=counts.copy(),
            contacts=counts.copy(),
            exposures=counts.copy(),
            escalations=counts.copy(),
            peak_unrest=zeros_k.copy(),
            unrest_sum=zeros_k.copy(),
        ),
    )


def observe(state: WorldState) -> Observation:
    """What the coercer sees at the start of the week (last week's values).

    Parameters
    ----------
    state : WorldState

    Returns
    -------
    Observation
    """
    return Observation(
        week=state.week,
        tension=state.escalation.tension,
        paranoia_estimate=state.leader.paranoia,
        unrest=state.unrest,
        defected_share=state.inner_circle.defected_share,
    )


def _run_regions(
    state: WorldState, params: WorldParams, levers: Levers, streams: WorldStreams, *, threads: int = 1
) -> tuple[WorldState, PeripheryRecord]:
    """Step 2 of the week: the periphery and its grids.

    Parameters
    ----------
    state : WorldState
        The worlds at the start of the week (last week's pain, war capacity, arrests and
        the leader's police allocation drive the regions).
    params : WorldParams
    levers : Levers
        This week's levers, covert support already zeroed where it is not allowed.
    streams : WorldStreams
        The unrest stream of each world (B generators, each drawing for its K grids).
    threads : int
        Threads the B x K grids are split between (:func:`step_unrest`; no result depends on it).

    Returns
    -------
    new_state : WorldState
        ``state`` with its grids and periphery advanced; the rest of the week updates
        everything else.
    record : PeripheryRecord
    """
    n_worlds = state.unrest.shape[0]
    drivers = PeripheryDrivers(
        information=levers.information,
        covert_support=levers.covert_support,
        war_cost=war_cost(state.economic_pain, state.leader.war_capacity),
        arrested_share=state.arrested_share,
    )
    legitimacy = step_legitimacy(state.periphery.legitimacy, params.regions, params.periphery, drivers)
    opposition = step_opposition(state.periphery.opposition, params.periphery, levers.covert_support)
    threshold, risk_factor = organisation_effects(opposition, params.periphery)
    on_duty = police_on_duty(state.police, police_factor(state.leader, params.leader), params.periphery)
    unrest_drivers = UnrestDrivers(
        legitimacy=legitimacy.reshape(-1),
        active_threshold=threshold.reshape(-1),
        police_on_duty=on_duty.reshape(-1),
        perceived_risk_factor=risk_factor.reshape(-1),
    )
    # At least one engine step a week (the schema's engine_steps_per_week >= 1): the first
    # is taken before the loop, so the record the week reads (the last step's) always exists.
    grids, record = step_unrest(state.grids, params.unrest, unrest_drivers, streams, threads=threads)
    arrests = record.arrests.astype(np.int64)  # a copy: the sum of the week's arrests
    for _ in range(params.engine_steps_per_week - 1):
        grids, record = step_unrest(grids, params.unrest, unrest_drivers, streams, threads=threads)
        arrests += record.arrests
    active = _by_world(record.active, n_worlds).astype(np.float64)
    arrests = _by_world(arrests, n_worlds)
    unrest = active / np.maximum(state.citizens, 1)
    casualties = weekly_casualties(active, arrests, opposition, params.periphery)
    uprising_weeks, is_uprising = step_uprising(
        state.periphery.uprising_weeks, unrest, params.regions, params.periphery
    )
    periphery = PeripheryState(legitimacy=legitimacy, opposition=opposition, uprising_weeks=uprising_weeks)
    return replace(state, grids=grids, periphery=periphery), PeripheryRecord(
        unrest=unrest, arrests=arrests, casualties=casualties, police_on_duty=on_duty, is_uprising=is_uprising
    )


def step_world(
    state: WorldState, params: WorldParams, strategy: Strategy, streams: WorldStreamSet, *, threads: int = 1
) -> tuple[WorldState, WeekRecord]:
    """Advance B worlds by one week (the order is in the module docstring).

    Parameters
    ----------
    state : WorldState
    params : WorldParams
    strategy : Strategy
        The coercer's strategy (batched over worlds).
    streams : WorldStreamSet
    threads : int
        Threads the unrest engine splits the worlds' grids between (>= 1): how the work
        is run, not a parameter of the model; no result depends on it.

    Returns
    -------
    (WorldState, WeekRecord)
    """
    n_worlds = state.unrest.shape[0]
    was_done = state.is_done

    # 1. Coercer; regions closed to covert support get none, whatever the strategy says.
    levers = strategy.levers(observe(state))
    levers = replace(levers, covert_support=np.where(params.regions.allows_covert, levers.covert_support, 0.0))

    # 2. Periphery.
    regions, week_regions = _run_regions(state, params, levers, streams.unrest, threads=threads)
    unrest, arrests, casualties = week_regions.unrest, week_regions.arrests, week_regions.casualties

    # 3. Inner circle.
    inner_circle, circle = step_inner_circle(
        state.inner_circle,
        params.inner_circle,
        InnerCircleDrivers(
            outreach=levers.outreach, survival_threat=state.leader.survival_threat, paranoia=state.leader.paranoia
        ),
        streams.inner_circle,
    )

    # 4. Leader.
    leader, choice = step_leader(
        state.leader,
        params.leader,
        LeaderDrivers(
            sanctions=levers.sanctions,
            concessions=levers.concessions,
            unrest=unrest,
            defected_share=circle.defected_share,
            exposures=circle.exposures,
            attributions=state.attributions,
            purges=circle.purges,
        ),
        streams.leader,
    )

    # 5. Escalation.
    escalation, hazard = step_escalation(
        state.escalation,
        params.escalation,
        EscalationDrivers(is_escalation=choice.is_escalation, covert_support=levers.covert_support),
        streams.escalation,
    )

    # 6. Outcome: the first event of the week, in the order the submodels ran.
    outcome = np.full(n_worlds, Outcome.ONGOING, np.int8)
    for event, happened in (
        (Outcome.DIRECT_CONFLICT, hazard.is_conflict_onset),
        (Outcome.SETTLEMENT, choice.is_offramp),
        (Outcome.INSIDER_REMOVAL, circle.is_coup),
        (Outcome.UPRISING, week_regions.is_uprising),
    ):  # later events first, so that earlier ones overwrite them
        outcome = np.where(happened, np.int8(event), outcome)
    week = state.week + 1
    weekly_war_deaths = war_deaths(leader.war_capacity, params.periphery)
    old = state.tallies
    attributions = hazard.attributions.sum(axis=1)
    tallies = Tallies(
        war_deaths=old.war_deaths + weekly_war_deaths,
        periphery_casualties=old.periphery_casualties + casualties,
        peak_tension=np.maximum(old.peak_tension, escalation.tension),
        purges=old.purges + circle.purges,
        defections=old.defections + circle.defections,
        attributions=old.attributions + attributions,
        contacts=old.contacts + circle.contacts,
        exposures=old.exposures + circle.exposures,
        escalations=old.escalations + choice.is_escalation,
        peak_unrest=np.maximum(old.peak_unrest, unrest),
        unrest_sum=old.unrest_sum + unrest,
    )
    new_state = WorldState(
        week=week,
        grids=regions.grids,
        citizens=state.citizens,
        police=state.police,
        periphery=regions.periphery,
        inner_circle=inner_circle,
        leader=leader,
        escalation=escalation,
        unrest=unrest,
        arrested_share=arrests / np.maximum(state.citizens, 1),
        economic_pain=choice.economic_pain,
        attributions=attributions,
        outcome=outcome,
        end_week=np.where(outcome != Outcome.ONGOING, week, 0),
        tallies=tallies,
    )
    record = WeekRecord(
        levers=levers,
        legitimacy=regions.periphery.legitimacy,
        opposition=regions.periphery.opposition,
        unrest=unrest,
        police_on_duty=week_regions.police_on_duty,
        casualties=casualties,
        arrests=arrests,
        contacts=circle.contacts,
        exposures=circle.exposures,
        defections=circle.defections,
        purges=circle.purges,
        defected_share=circle.defected_share,
        economic_pain=choice.economic_pain,
        probabilities=choice.probabilities,
        action=leader.action,
        attributions=hazard.attributions,
        hazard=hazard.hazard,
        war_deaths=weekly_war_deaths,
    )
    # Worlds that had already ended stay as they were (absorbing); the week counter alone
    # moves on for the batch.
    return replace(_freeze(was_done, state, new_state), week=week), record


def _freeze(is_done: np.ndarray, old: WorldState, new: WorldState) -> WorldState:
    """``new`` with every array of the worlds in ``is_done`` taken from ``old``."""
    if not is_done.any():
        return new

    def keep_old(per_world: int, before: np.ndarray, after: np.ndarray) -> np.ndarray:
        mask = np.repeat(is_done, per_world).reshape((-1,) + (1,) * (after.ndim - 1))
        return np.where(mask, before, after)

    return map_world_rows(keep_old, old, new, n_worlds=is_done.size, n_regions=new.unrest.shape[1])
