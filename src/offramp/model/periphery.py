"""The periphery regions' coupling to the campaign: legitimacy, organised opposition,
policing and human cost.

Each of the K periphery regions runs the unrest engine (:mod:`offramp.model.unrest`) on
its own grid. This module holds what drives those grids week by week and what they
report back, per MODEL.md ("Couplings of a region to the rest of the model").

Sources
-------
- J. M. Epstein (2002), doi:10.1073/pnas.092080199: legitimacy, hardship and police set
  the unrest; legitimacy's *pace* of change matters (Figs. 9-10).
- Repression backlash: M. I. Lichbach, "Deterrence or Escalation? The Puzzle of Aggregate
  Studies of Repression and Dissent", J. Conflict Resolution 31(2), 266-297 (1987),
  doi:10.1177/0022002787031002004.
- External support to rebels: I. Salehyan, K. S. Gleditsch, D. E. Cunningham (2011),
  doi:10.1017/S0020818311000233; fungible support and war termination: P. Sawyer,
  K. G. Cunningham, W. Reed (2017), doi:10.1177/0022002715600761.

Choices (numbered, referred to in the docs)
-------------------------------------------
1. Legitimacy relaxes toward its base value with time constant ``legitimacy_weeks``, and
   falls each week by ``information_effect * mu * war_cost`` (the information campaign
   bites in proportion to how costly the war has become) and by
   ``repression_effect * arrested share`` (arrests this week over citizens). It stays in
   [0, 1].
2. The war's cost, in [0, 1], is the mean of the economic pain and the war capacity
   already lost: ``(M + (1 - W)) / 2``.
3. Organised opposition capacity O_k in [0, 1]: O <- (1 - opposition_decay) O + growth u_k
   (clipped). It lowers the activation threshold, T (1 - threshold_effect O), and the
   perceived arrest probability, P (1 - risk_effect O): organisation and secure
   communication (the engine's choice 7).
4. Above ``arming_level``, active citizens are armed: clashes kill
   ``armed_clash_deaths * active * (O - arming_level) / (1 - arming_level)`` people a
   week in the region, both sides counted; repression kills ``arrest_deaths`` per arrest
   either way. Casualties are periphery casualties, kept apart from war deaths.
5. Police on duty in region k: every officer of the grid is on duty at the leader's
   full allocation; the leader's force factor f_k (1 at an even split with no diversion,
   :func:`offramp.model.leader.police_factor`) scales a baseline share:
   ``round(police * min(1, duty_share * f_k))``.
6. War deaths accrue at ``war_deaths_per_week * (0.5 + 0.5 W)`` while the war goes on:
   an earlier end saves lives, and a war effort that has lost capacity kills less.
7. A popular uprising happens when a *core* region's active share stays at or above
   ``uprising_level`` for ``uprising_weeks`` consecutive weeks.
8. Hardship in region k is Epstein's H ~ U(0, 1) scaled by ``hardship_scale_k`` (claim
   C4: discontent already ripe).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from offramp.model._broadcast import REGIONAL, per_world_column, relax

__all__ = [
    "PeripheryParams",
    "RegionTable",
    "PeripheryState",
    "PeripheryDrivers",
    "PeripheryRecord",
    "init_periphery",
    "war_cost",
    "step_legitimacy",
    "step_opposition",
    "organisation_effects",
    "police_on_duty",
    "armed_share",
    "weekly_casualties",
    "war_deaths",
    "step_uprising",
]


@dataclass(frozen=True, slots=True)
class RegionTable:
    """The regions of a scenario: what differs between them. Arrays are (K,) or (B, K).

    Attributes
    ----------
    names : tuple of str
        Region names (roles, not places), K of them.
    is_core : bool (K,)
        Whether unrest in the region can become a popular uprising (choice 7).
    allows_covert : bool (K,)
        Whether the coercer may support the opposition in the region; the coupling
        zeroes covert support elsewhere, whatever the strategy.
    weight : float64 (K,) or (B, K)
        w_k, how much a fully active region threatens the regime [-].
    base_legitimacy : float64 (K,) or (B, K)
        L0_k, the legitimacy the region relaxes to [0..1].
    hardship_scale : float64 (K,) or (B, K)
        Scale of hardship, H ~ U(0, scale) [0..1].
    citizen_density, police_density : float64 (K,) or (B, K)
        Shares of cells starting with a citizen / a police officer.
    max_jail_steps : int64 (K,) or (B, K)
        J_max of the region's courts [engine steps].
    """

    # REGIONAL: a (K,) array is every world's; a (B, K) array has a row per world.
    names: tuple[str, ...]
    is_core: np.ndarray = field(metadata=REGIONAL)
    allows_covert: np.ndarray = field(metadata=REGIONAL)
    weight: np.ndarray = field(metadata=REGIONAL)
    base_legitimacy: np.ndarray = field(metadata=REGIONAL)
    hardship_scale: np.ndarray = field(metadata=REGIONAL)
    citizen_density: np.ndarray = field(metadata=REGIONAL)
    police_density: np.ndarray = field(metadata=REGIONAL)
    max_jail_steps: np.ndarray = field(metadata=REGIONAL)

    @property
    def count(self) -> int:
        """K."""
        return len(self.names)


@dataclass(frozen=True, slots=True)
class PeripheryParams:
    """Coupling parameters shared by the regions. Floats are scalars or (B,) when swept.

    Defaults are illustrative (docs/model.md); the scenario schema takes them from here.

    Attributes
    ----------
    legitimacy_weeks : float
        Time constant of legitimacy's relaxation to its base [weeks].
    information_effect : float
        Weekly legitimacy loss at full information campaign and full war cost [1/week].
    repression_effect : float
        Legitimacy loss per unit of arrested share in a week [-].
    opposition_decay : float
        delta_O, weekly decay of organised capacity [1/week].
    opposition_growth : float
        g, weekly growth of organised capacity at full covert support [1/week].
    threshold_effect : float
        Relative drop of the activation threshold at full organisation [-].
    risk_effect : float
        Relative drop of the perceived arrest probability at full organisation [-].
    arming_level : float
        Organised capacity above which active citizens are armed [0..1].
    armed_clash_deaths : float
        Deaths a week per active citizen at full armed capacity [deaths/active/week].
    arrest_deaths : float
        Deaths per arrest (repression) [deaths/arrest].
    duty_share : float
        Share of a region's police on duty at an even allocation with no diversion [-].
    war_deaths_per_week : float
        War deaths a week at full war capacity [deaths/week].
    uprising_level : float
        Active share of a core region that counts toward an uprising [0..1].
    uprising_weeks : int
        Consecutive weeks at or above that level that make an uprising [weeks].
    active_threshold : float
        Epstein's T before organisation lowers it [-].
    """

    # Defaults here are the single source: the scenario schema is generated from them.
    legitimacy_weeks: float | np.ndarray = 26.0
    information_effect: float | np.ndarray = 0.01
    repression_effect: float | np.ndarray = 0.5
    opposition_decay: float | np.ndarray = 0.02
    opposition_growth: float | np.ndarray = 0.02
    threshold_effect: float | np.ndarray = 0.5
    risk_effect: float | np.ndarray = 0.5
    arming_level: float | np.ndarray = 0.5
    armed_clash_deaths: float | np.ndarray = 0.05
    arrest_deaths: float | np.ndarray = 0.01
    duty_share: float | np.ndarray = 0.8
    war_deaths_per_week: float | np.ndarray = 500.0
    uprising_level: float | np.ndarray = 0.25
    uprising_weeks: int = 4
    active_threshold: float | np.ndarray = 0.1


@dataclass(frozen=True, slots=True)
class PeripheryState:
    """The regions' coupling state, every field float64 (B, K) unless said.

    Attributes
    ----------
    legitimacy : float64 (B, K)
        L_k in [0, 1].
    opposition : float64 (B, K)
        O_k, organised opposition capacity in [0, 1].
    uprising_weeks : int64 (B, K)
        Consecutive weeks a region has been at or above the uprising level.
    """

    legitimacy: np.ndarray
    opposition: np.ndarray
    uprising_weeks: np.ndarray


@dataclass(frozen=True, slots=True)
class PeripheryDrivers:
    """What a week brings to the regions.

    Attributes
    ----------
    information : float64 (B,)
        mu, the coercer's information campaign [0..1].
    covert_support : float64 (B, K)
        u_k [0..1].
    war_cost : float64 (B,)
        How costly the war has become (choice 2) [0..1].
    arrested_share : float64 (B, K)
        Last week's arrests over citizens, per region [0..1].
    """

    information: np.ndarray
    covert_support: np.ndarray
    war_cost: np.ndarray
    arrested_share: np.ndarray


@dataclass(frozen=True, slots=True)
class PeripheryRecord:
    """What the regions report after a week.

    Attributes
    ----------
    unrest : float64 (B, K)
        U_k, active share of citizens at the end of the week.
    arrests : int64 (B, K)
        Arrests during the week.
    casualties : float64 (B, K)
        Periphery casualties of the week (repression and armed clashes) [deaths].
    police_on_duty : int64 (B, K)
        Officers on duty during the week (choice 5).
    is_uprising : bool (B,)
        A core region has completed an uprising this week (choice 7).
    """

    unrest: np.ndarray
    arrests: np.ndarray
    casualties: np.ndarray
    police_on_duty: np.ndarray
    is_uprising: np.ndarray


def init_periphery(regions: RegionTable, n_worlds: int) -> PeripheryState:
    """Legitimacy at its base, no organisation, no uprising under way.

    Parameters
    ----------
    regions : RegionTable
    n_worlds : int
        B.

    Returns
    -------
    PeripheryState
    """
    shape = (n_worlds, regions.count)
    return PeripheryState(
        legitimacy=np.broadcast_to(np.asarray(regions.base_legitimacy, np.float64), shape).copy(),
        opposition=np.zeros(shape),
        uprising_weeks=np.zeros(shape, np.int64),
    )


def war_cost(economic_pain: np.ndarray, war_capacity: np.ndarray) -> np.ndarray:
    """How costly the war has become (choice 2): ``(M + (1 - W)) / 2`` in [0, 1].

    Parameters
    ----------
    economic_pain : float64 (B,)
        M, the economic pain [0..1].
    war_capacity : float64 (B,)
        W, the war capacity left [0..1].

    Returns
    -------
    float64 (B,), in [0, 1].
    """
    return np.clip(0.5 * (economic_pain + (1.0 - war_capacity)), 0.0, 1.0)


def step_legitimacy(
    legitimacy: np.ndarray, regions: RegionTable, params: PeripheryParams, drivers: PeripheryDrivers
) -> np.ndarray:
    """Next week's legitimacy per region (choice 1).

    Parameters
    ----------
    legitimacy : float64 (B, K)
    regions : RegionTable
    params : PeripheryParams
    drivers : PeripheryDrivers

    Returns
    -------
    float64 (B, K), in [0, 1].
    """
    n_worlds = legitimacy.shape[0]
    base = np.broadcast_to(np.asarray(regions.base_legitimacy, np.float64), legitimacy.shape)
    # L <- L + (L0 - L)(1 - e^{-1/tau}) - info mu cost - repression arrested
    relaxed = relax(legitimacy, base, per_world_column(params.legitimacy_weeks, n_worlds))
    information_loss = (
        per_world_column(params.information_effect, n_worlds) * (drivers.information * drivers.war_cost)[:, None]
    )
    repression_loss = per_world_column(params.repression_effect, n_worlds) * drivers.arrested_share
    return np.clip(relaxed - information_loss - repression_loss, 0.0, 1.0)


def step_opposition(opposition: np.ndarray, params: PeripheryParams, covert_support: np.ndarray) -> np.ndarray:
    """Next week's organised opposition capacity (choice 3).

    Parameters
    ----------
    opposition : float64 (B, K)
        O_k this week.
    params : PeripheryParams
    covert_support : float64 (B, K)
        u_k, the coercer's covert support this week [0..1].

    Returns
    -------
    float64 (B, K), in [0, 1].
    """
    n_worlds = opposition.shape[0]
    decay = per_world_column(params.opposition_decay, n_worlds)
    growth = per_world_column(params.opposition_growth, n_worlds)
    return np.clip((1.0 - decay) * opposition + growth * covert_support, 0.0, 1.0)


def organisation_effects(opposition: np.ndarray, params: PeripheryParams) -> tuple[np.ndarray, np.ndarray]:
    """Activation threshold and perceived-risk factor per region (choice 3).

    Parameters
    ----------
    opposition : float64 (B, K)
        O_k, organised opposition capacity.
    params : PeripheryParams

    Returns
    -------
    (float64 (B, K), float64 (B, K))
        The activation threshold T (1 - threshold_effect O), and the factor on the
        perceived arrest probability, 1 - risk_effect O, in [0, 1].
    """
    n_worlds = opposition.shape[0]
    threshold = per_world_column(params.active_threshold, n_worlds) * (
        1.0 - per_world_column(params.threshold_effect, n_worlds) * opposition
    )
    risk_factor = 1.0 - per_world_column(params.risk_effect, n_worlds) * opposition
    return threshold, np.clip(risk_factor, 0.0, 1.0)


def police_on_duty(police: np.ndarray, force_factor: np.ndarray, params: PeripheryParams) -> np.ndarray:
    """Police on duty per region (choice 5).

    Parameters
    ----------
    police : int64 (B, K)
        Officers on the region's grid.
    force_factor : float64 (B, K)
        The leader's police strength per region relative to an even split.
    params : PeripheryParams

    Returns
    -------
    int64 (B, K)
    """
    share = np.minimum(1.0, per_world_column(params.duty_share, police.shape[0]) * force_factor)
    return np.rint(police * share).astype(np.int64)


def armed_share(opposition: np.ndarray, params: PeripheryParams) -> np.ndarray:
    """How armed the opposition is (choice 4): ``(O - arming_level) / (1 - arming_level)``
    in [0, 1], 0 at or below the arming level.

    Parameters
    ----------
    opposition : float64 (B, K)
        O_k, organised opposition capacity.
    params : PeripheryParams

    Returns
    -------
    float64 (B, K), in [0, 1].
    """
    arming = per_world_column(params.arming_level, opposition.shape[0])
    # The floor on the denominator keeps arming_level = 1 finite (nobody is ever armed).
    return np.clip((opposition - arming) / np.maximum(1.0 - arming, 1e-12), 0.0, 1.0)


def weekly_casualties(
    active: np.ndarray, arrests: np.ndarray, opposition: np.ndarray, params: PeripheryParams
) -> np.ndarray:
    """Periphery casualties of a week (choice 4).

    Parameters
    ----------
    active : float64 (B, K)
        Active citizens at the end of the week (a count).
    arrests : int64 (B, K)
        Arrests during the week.
    opposition : float64 (B, K)
        O_k.
    params : PeripheryParams

    Returns
    -------
    float64 (B, K) [deaths]
    """
    n_worlds = active.shape[0]
    clashes = per_world_column(params.armed_clash_deaths, n_worlds) * active * armed_share(opposition, params)
    return clashes + per_world_column(params.arrest_deaths, n_worlds) * arrests


def war_deaths(war_capacity: np.ndarray, params: PeripheryParams) -> np.ndarray:
    """War deaths of a week while the war goes on (choice 6).

    Parameters
    ----------
    war_capacity : float64 (B,)
        W, the war capacity this week [0..1].
    params : PeripheryParams

    Returns
    -------
    float64 (B,) [deaths]
    """
    rate = np.broadcast_to(np.asarray(params.war_deaths_per_week, np.float64), war_capacity.shape)
    return rate * (0.5 + 0.5 * war_capacity)


def step_uprising(
    uprising_weeks: np.ndarray, unrest: np.ndarray, regions: RegionTable, params: PeripheryParams
) -> tuple[np.ndarray, np.ndarray]:
    """Count consecutive weeks of core unrest at the uprising level (choice 7).

    Parameters
    ----------
    uprising_weeks : int64 (B, K)
        Consecutive weeks each region has been at or above the level so far.
    unrest : float64 (B, K)
        This week's active share per region.
    regions : RegionTable
    params : PeripheryParams

    Returns
    -------
    (int64 (B, K), bool (B,))
        The new counters and whether an uprising happened this week.
    """
    level = per_world_column(params.uprising_level, unrest.shape[0])
    counter = np.where(unrest >= level, uprising_weeks + 1, 0)
    needed = np.broadcast_to(np.asarray(params.uprising_weeks), (unrest.shape[0],))[:, None]  # scalar or (B,)
    is_uprising = np.asarray((np.asarray(regions.is_core, bool) & (counter >= needed)).any(axis=1))
    return counter.astype(np.int64), is_uprising
