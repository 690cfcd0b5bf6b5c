"""The coupled campaign model: one week of every world, all submodels in a fixed order.

This is the only place where the submodels meet. The order of the calls in
:func:`step_world` is a timing assumption of the model, documented here and in
docs/odd.md ("Process overview and scheduling"):

1. **Coercer.** The strategy reads noisy, lagged observations of tension, paranoia,
   unrest and defections (``observation``) and sets this week's levers. Covert support
   to a region closed to it (``allows_covert``) is zeroed, and sanctions are capped by
   what the coalition still backs (fatigue), whatever the strategy.
2. **Periphery.** Rally, legitimacy (information x war cost, last week's arrests,
   casualties and rally in the core) and organised opposition are updated; police on
   duty follow the leader's last allocation; the grids run ``engine_steps_per_week``
   engine steps; unrest, arrests and casualties are read off; core uprisings counted.
3. **Inner circle.** Rents (last week's pain), contacts, exposures, wavering, purges
   (last week's paranoia), the public cascade, coups.
4. **War.** The economy under this week's sanctions, capacity (this week's purges, last
   week's diversion), the front (last week's escalation surge), war deaths.
5. **Leader.** Paranoia (exposures, last week's attributions, failed coups), belief from
   this week's battlefield news, security forces, survival threat, values, the choice.
6. **Escalation.** Attributions of this week's covert support, tension, the
   direct-conflict draw.
7. **Outcome.** The first event of the week in the order above ends the world:
   uprising, removal by insiders, a military result, settlement, direct conflict. A
   world that has ended is frozen (absorbing): its state no longer changes.

Human costs are kept apart: war deaths, periphery casualties, and the direct-conflict
flag. How a world that ended in direct conflict is charged is the run's
(:func:`offramp.run.runner.outcome_rows`).
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
from offramp.model.coercer import Levers, Strategy
from offramp.model.escalation import (
    EscalationDrivers,
    EscalationParams,
    EscalationState,
    init_escalation,
    step_escalation,
)
from offramp.model.leader import (
    Action,
    LeaderDrivers,
    LeaderParams,
    LeaderState,
    init_leader,
    police_factor,
    step_leader,
)
from offramp.model.observation import (
    ObservationHistory,
    ObservationParams,
    attainable_sanctions,
    init_history,
    observe,
    record_history,
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
    step_rally,
    step_uprising,
    war_cost,
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
from offramp.model.war import (
    WarDrivers,
    WarParams,
    WarState,
    escalation_prospect,
    front_drift,
    init_war,
    step_war,
    weariness,
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
    war : WarParams
    escalation : EscalationParams
    coercer : ObservationParams
        What the coercer sees and what its coalition backs.
    """

    horizon_weeks: int
    engine_steps_per_week: int
    unrest: UnrestParams = field(metadata=GRID_ROWS)
    regions: RegionTable
    periphery: PeripheryParams
    inner_circle: CascadeParams
    leader: LeaderParams
    war: WarParams
    escalation: EscalationParams
    coercer: ObservationParams

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
    war: WorldStreams
    coercer: WorldStreams

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
            war=WorldStreams.for_worlds(seed, worlds, Stream.WAR),
            coercer=WorldStreams.for_worlds(seed, worlds, Stream.COERCER),
        )


@dataclass(frozen=True, slots=True)
class Tallies:
    """Running totals and extremes of every world, for the outcome table.

    Attributes
    ----------
    periphery_casualties : float64 (B, K)
        Casualties of repression and armed clashes so far, per region.
    peak_tension : float64 (B,)
    purges, defections, attributions, contacts, exposures, escalations : int64 (B,)
        Counts so far (attributions summed over regions).
    coup_attempts : int64 (B,)
        Coups attempted so far.
    peak_unrest : float64 (B, K)
        Highest weekly active share per region.
    unrest_sum : float64 (B, K)
        Sum of weekly active shares (mean = sum / weeks simulated).
    """

    periphery_casualties: np.ndarray
    peak_tension: np.ndarray
    purges: np.ndarray
    defections: np.ndarray
    attributions: np.ndarray
    contacts: np.ndarray
    exposures: np.ndarray
    escalations: np.ndarray
    coup_attempts: np.ndarray
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
    war : WarState
    escalation : EscalationState
    observed : ObservationHistory
        What the coercer can observe, the last weeks of it.
    unrest : float64 (B, K)
        Last week's active share per region.
    arrested_share : float64 (B, K)
        Last week's arrests over citizens per region.
    economic_pain : float64 (B,)
        Last week's economic pain M.
    sanctions : float64 (B,)
        Last week's sanctions in force.
    attributions : int64 (B, K)
        Last week's attributions per region (they reach the leader and the region this week).
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
    war: WarState
    escalation: EscalationState
    observed: ObservationHistory
    unrest: np.ndarray
    arrested_share: np.ndarray
    economic_pain: np.ndarray
    sanctions: np.ndarray
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
        As applied (covert support zeroed where closed, sanctions capped by fatigue).
    legitimacy, opposition, unrest, police_on_duty, casualties : (B, K)
        After the week's periphery update (police_on_duty int64).
    arrests : int64 (B, K)
    contacts, exposures, defections, purges, coup_attempts : int64 (B,)
    defected_share : float64 (B,)
    rents : float64 (B,)
    economic_pain : float64 (B,)
    war_score, war_capacity, war_deaths : float64 (B,)
        After this week's fighting; deaths of the week.
    belief : float64 (B,)
        The leader's belief about the front's drift.
    values, probabilities : float64 (B, 3)
        The leader's action values and choice probabilities (continue, escalate, off-ramp).
    action : int8 (B,)
    attributions : int64 (B, K)
    hazard : float64 (B,)
        Direct-conflict hazard of the week.
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
    coup_attempts: np.ndarray
    defected_share: np.ndarray
    rents: np.ndarray
    economic_pain: np.ndarray
    war_score: np.ndarray
    war_capacity: np.ndarray
    war_deaths: np.ndarray
    belief: np.ndarray
    values: np.ndarray
    probabilities: np.ndarray
    action: np.ndarray
    attributions: np.ndarray
    hazard: np.ndarray


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
    war = init_war(params.war, n_worlds)
    leader = init_leader(params.leader, n_regions, front_drift(war.capacity, war.surge, params.war))
    inner_circle = init_inner_circle(params.inner_circle, streams.inner_circle)
    escalation = init_escalation(n_worlds)
    return WorldState(
        week=0,
        grids=grids,
        citizens=citizens.astype(np.int64),
        police=police.astype(np.int64),
        periphery=init_periphery(params.regions, n_worlds),
        inner_circle=inner_circle,
        leader=leader,
        war=war,
        escalation=escalation,
        observed=init_history(escalation.tension, leader.paranoia, inner_circle.defected_share, zeros_k),
        unrest=zeros_k.copy(),
        arrested_share=zeros_k.copy(),
        economic_pain=zeros.copy(),
        sanctions=zeros.copy(),
        attributions=np.zeros((n_worlds, n_regions), np.int64),
        outcome=np.full(n_worlds, Outcome.ONGOING, np.int8),
        end_week=counts.copy(),
        tallies=Tallies(
            periphery_casualties=zeros_k.copy(),
            peak_tension=zeros.copy(),
            purges=counts.copy(),
            defections=counts.copy(),
            attributions=counts.copy(),
            contacts=counts.copy(),
            exposures=counts.copy(),
            escalations=counts.copy(),
            coup_attempts=counts.copy(),
            peak_unrest=zeros_k.copy(),
            unrest_sum=zeros_k.copy(),
        ),
    )


def _run_regions(
    state: WorldState, params: WorldParams, levers: Levers, streams: WorldStreams, *, threads: int = 1
) -> tuple[WorldState, PeripheryRecord]:
    """Step 2 of the week: the periphery and its grids.

    Parameters
    ----------
    state : WorldState
        The worlds at the start of the week (last week's pain, war, arrests,
        attributions and the leader's police allocation drive the regions).
    params : WorldParams
    levers : Levers
        This week's levers as applied.
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
    wear = weariness(state.war.deaths, params.war)
    drivers = PeripheryDrivers(
        information=levers.information,
        covert_support=levers.covert_support,
        war_cost=war_cost(state.economic_pain, state.war.capacity, wear),
        weariness=wear,
        arrested_share=state.arrested_share,
        sanctions_rise=np.maximum(levers.sanctions - state.sanctions, 0.0),
        attributions=state.attributions,
    )
    rally = step_rally(state.periphery.rally, params.periphery, drivers)
    legitimacy = step_legitimacy(state.periphery.legitimacy, rally, params.regions, params.periphery, drivers)
    opposition = step_opposition(state.periphery.opposition, params.periphery, levers.covert_support)
    is_attributed = state.periphery.is_attributed | (state.attributions > 0)
    threshold, risk_factor = organisation_effects(opposition, is_attributed, params.periphery)
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
    periphery = PeripheryState(
        legitimacy=legitimacy,
        opposition=opposition,
        uprising_weeks=uprising_weeks,
        is_attributed=is_attributed,
        rally=rally,
    )
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

    # 1. Coercer: what it sees, what it does, what the world lets it do.
    levers = strategy.levers(observe(state.observed, state.week, params.coercer, streams.coercer))
    levers = replace(
        levers,
        sanctions=np.minimum(levers.sanctions, attainable_sanctions(state.week, params.coercer, n_worlds)),
        covert_support=np.where(params.regions.allows_covert, levers.covert_support, 0.0),
    )

    # 2. Periphery.
    regions, week_regions = _run_regions(state, params, levers, streams.unrest, threads=threads)
    unrest, arrests, casualties = week_regions.unrest, week_regions.arrests, week_regions.casualties

    # 3. Inner circle.
    inner_circle, circle = step_inner_circle(
        state.inner_circle,
        params.inner_circle,
        InnerCircleDrivers(
            outreach=levers.outreach,
            survival_threat=state.leader.survival_threat,
            paranoia=state.leader.paranoia,
            economic_pain=state.economic_pain,
            war_score=state.war.score,
        ),
        streams.inner_circle,
    )

    # 4. War.
    war, front = step_war(
        state.war,
        params.war,
        WarDrivers(
            sanctions=levers.sanctions,
            diverted_share=state.leader.diverted_share,
            purges=circle.purges,
            escalated=state.leader.action == Action.ESCALATE,
        ),
        streams.war,
    )

    # 5. Leader.
    leader, choice = step_leader(
        state.leader,
        params.leader,
        LeaderDrivers(
            concessions=levers.concessions,
            economic_pain=front.economic_pain,
            war_score=war.score,
            news=front.news,
            escalation_prospect=escalation_prospect(war.capacity, params.war),
            unrest=unrest,
            defected_share=circle.defected_share,
            exposures=circle.exposures,
            attributions=state.attributions.sum(axis=1),
            failed_coups=circle.failed_coups,
        ),
        streams.leader,
    )

    # 6. Escalation.
    escalation, hazard = step_escalation(
        state.escalation,
        params.escalation,
        EscalationDrivers(is_escalation=choice.is_escalation, covert_support=levers.covert_support),
        streams.escalation,
    )

    # 7. Outcome: the first event of the week, in the order the submodels ran.
    outcome = np.full(n_worlds, Outcome.ONGOING, np.int8)
    for event, happened in (
        (Outcome.DIRECT_CONFLICT, hazard.is_conflict_onset),
        (Outcome.SETTLEMENT, choice.is_offramp),
        (Outcome.MILITARY_DEFEAT, front.is_defeat),
        (Outcome.MILITARY_VICTORY, front.is_victory),
        (Outcome.INSIDER_REMOVAL, circle.is_coup),
        (Outcome.UPRISING, week_regions.is_uprising),
    ):  # later events first, so that earlier ones overwrite them
        outcome = np.where(happened, np.int8(event), outcome)
    # An onset in a week that an earlier event ended is not the world's direct conflict.
    escalation = replace(
        escalation,
        is_direct_conflict=state.escalation.is_direct_conflict | (outcome == Outcome.DIRECT_CONFLICT),
    )
    week = state.week + 1
    old = state.tallies
    tallies = Tallies(
        periphery_casualties=old.periphery_casualties + casualties,
        peak_tension=np.maximum(old.peak_tension, escalation.tension),
        purges=old.purges + circle.purges,
        defections=old.defections + circle.defections,
        attributions=old.attributions + hazard.attributions.sum(axis=1),
        contacts=old.contacts + circle.contacts,
        exposures=old.exposures + circle.exposures,
        escalations=old.escalations + choice.is_escalation,
        coup_attempts=old.coup_attempts + circle.coup_attempts,
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
        war=war,
        escalation=escalation,
        observed=record_history(state.observed, escalation.tension, leader.paranoia, circle.defected_share, unrest),
        unrest=unrest,
        arrested_share=arrests / np.maximum(state.citizens, 1),
        economic_pain=front.economic_pain,
        sanctions=levers.sanctions,
        attributions=hazard.attributions,
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
        coup_attempts=circle.coup_attempts,
        defected_share=circle.defected_share,
        rents=inner_circle.rents,
        economic_pain=front.economic_pain,
        war_score=war.score,
        war_capacity=war.capacity,
        war_deaths=front.deaths,
        belief=leader.belief,
        values=choice.values,
        probabilities=choice.probabilities,
        action=leader.action,
        attributions=hazard.attributions,
        hazard=hazard.hazard,
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
