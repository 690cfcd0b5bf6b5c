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
- Rally round the flag: J. E. Mueller, *War, Presidents and Public Opinion* (1973);
  J. Galtung, "On the Effects of International Economic Sanctions", World Politics 19(3),
  378-416 (1967).
- The foreign hand: E. Chenoweth and M. J. Stephan, *Why Civil Resistance Works*
  (updated ed., 2021).
- External support to rebels: I. Salehyan, K. S. Gleditsch, D. E. Cunningham (2011),
  doi:10.1017/S0020818311000233; fungible support and war termination: P. Sawyer,
  K. G. Cunningham, W. Reed (2017), doi:10.1177/0022002715600761.

Choices (numbered, referred to in the docs)
-------------------------------------------
1. Legitimacy relaxes with time constant ``legitimacy_weeks`` toward a target that the
   week's events shift away from the region's base L0:

       target = L0 - information_effect mu war_cost - repression_effect arrested_share
                [core regions: + rally - casualty_sensitivity weariness]

   and the target is clipped to the band [L0 - legitimacy_band, L0 + legitimacy_band]
   (within [0, 1]). Legitimacy is a convex combination of values in that band, so it
   stays in it at every parameter value: events move it, they cannot run it away
   (version 1 subtracted a weekly loss with no floor). ``repression_effect`` is signed,
   its sign an explored uncertainty (Lichbach 1987): positive is backlash (arrests cost
   legitimacy), negative is deterrence (order restored raises it).
2. The war's cost, in [0, 1], is the mean of the economic pain, the war capacity
   already lost and war weariness (casualties): ``(M + (1 - W) + w) / 3``. The
   information campaign bites in proportion to it.
3. Organised opposition capacity O_k in [0, 1]: O <- (1 - decay) O + growth u_k
   (clipped), with decay = opposition_decay (1 - fungible_share) while the region gets
   support: fungible support (money, arms) keeps organisations alive, lengthening rather
   than ending fighting (Sawyer et al. 2017), where the scenario sets ``fungible_share``.
   Organisation lowers the activation threshold, T (1 - threshold_effect O h), and the
   perceived arrest probability, P (1 - risk_effect O h), with h = 1 - foreign_hand once
   the region's support has been attributed (the foreign hand: a movement seen as a
   foreign tool loses mobilising power, Chenoweth & Stephan 2021), h = 1 before.
4. Above ``arming_level``, active citizens are armed: clashes kill
   ``armed_clash_deaths * active * (O - arming_level) / (1 - arming_level)`` people a
   week in the region, both sides counted; repression kills ``arrest_deaths`` per arrest
   either way. Casualties are periphery casualties, kept apart from war deaths.
5. Police on duty in region k: every officer of the grid is on duty at the leader's
   full allocation; the leader's force factor f_k (1 at an even split with no diversion,
   :func:`offramp.model.leader.police_factor`) scales a baseline share:
   ``round(police * min(1, duty_share * f_k))``.
6. Rally round the flag: rally <- rally e^{-1/rally_weeks} + rally_effect (rise of
   sanctions this week, if any) + rally_attribution (attributions last week); it raises
   the core regions' legitimacy target for a while (Mueller 1973; Galtung 1967 on
   sanctions strengthening the target's cohesion).
7. A popular uprising happens when a *core* region's active share stays at or above
   ``uprising_level`` for ``uprising_weeks`` consecutive weeks.
8. Hardship in region k is Epstein's H ~ U(0, 1) scaled by ``hardship_scale_k`` (claim
   C4: discontent already ripe).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import numpy as np

from offramp.model._broadcast import REGIONAL, per_world, per_world_column, relax

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
    "legitimacy_band",
    "step_rally",
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
        Time constant of legitimacy's relaxation to its target [weeks].
    legitimacy_band : float
        Legitimacy stays within this distance of the region's base [0..1].
    information_effect : float
        Drop of the legitimacy target at full information campaign and full war cost [-].
    repression_effect : float
        Drop of the legitimacy target per unit of arrested share in a week, signed:
        positive is backlash, negative deterrence [-].
    casualty_sensitivity : float
        Drop of the core's legitimacy target at full war weariness [-].
    rally_effect : float
        Rally per unit rise of sanctions in a week [-].
    rally_attribution : float
        Rally per attributed covert support (the foreign interference made public) [-].
    rally_weeks : float
        Time constant of the rally's decay [weeks].
    foreign_hand : float
        Share of organisation's mobilising effects lost once a region's support is
        attributed [0..1].
    fungible_share : float
        Share of the decay of organised capacity that fungible support offsets while it
        flows [0..1].
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
    uprising_level : float
        Active share of a core region that counts toward an uprising [0..1].
    uprising_weeks : int
        Consecutive weeks at or above that level that make an uprising [weeks].
    active_threshold : float
        Epstein's T before organisation lowers it [-].
    """

    # Defaults here are the single source: the scenario schema is generated from them.
    legitimacy_weeks: float | np.ndarray = 13.0
    legitimacy_band: float | np.ndarray = 0.25
    information_effect: float | np.ndarray = 0.2
    repression_effect: float | np.ndarray = 1.0
    casualty_sensitivity: float | np.ndarray = 0.1
    rally_effect: float | np.ndarray = 0.5
    rally_attribution: float | np.ndarray = 0.02
    rally_weeks: float | np.ndarray = 12.0
    foreign_hand: float | np.ndarray = 0.3
    fungible_share: float | np.ndarray = 0.0
    opposition_decay: float | np.ndarray = 0.02
    opposition_growth: float | np.ndarray = 0.02
    threshold_effect: float | np.ndarray = 0.5
    risk_effect: float | np.ndarray = 0.5
    arming_level: float | np.ndarray = 0.5
    armed_clash_deaths: float | np.ndarray = 0.05
    arrest_deaths: float | np.ndarray = 0.01
    duty_share: float | np.ndarray = 0.8
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
    is_attributed : bool (B, K)
        The coercer's support to the region has been attributed (choice 3).
    rally : float64 (B,)
        Rally round the flag (choice 6) [-].
    """

    legitimacy: np.ndarray
    opposition: np.ndarray
    uprising_weeks: np.ndarray
    is_attributed: np.ndarray
    rally: np.ndarray


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
    weariness : float64 (B,)
        War weariness (``war.weariness``) [0..1].
    arrested_share : float64 (B, K)
        Last week's arrests over citizens, per region [0..1].
    sanctions_rise : float64 (B,)
        This week's rise of sanctions over last week's, 0 if they did not rise.
    attributions : int64 (B, K)
        Last week's attributions of covert support per region.
    """

    information: np.ndarray
    covert_support: np.ndarray
    war_cost: np.ndarray
    weariness: np.ndarray
    arrested_share: np.ndarray
    sanctions_rise: np.ndarray
    attributions: np.ndarray


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
        is_attributed=np.zeros(shape, bool),
        rally=np.zeros(n_worlds),
    )


def war_cost(economic_pain: np.ndarray, war_capacity: np.ndarray, weariness: np.ndarray) -> np.ndarray:
    """How costly the war has become (choice 2): ``(M + (1 - W) + w) / 3`` in [0, 1].

    Parameters
    ----------
    economic_pain : float64 (B,)
        M, the economic pain [0..1].
    war_capacity : float64 (B,)
        W, the war capacity left [0..1].
    weariness : float64 (B,)
        w, war weariness from casualties [0..1].

    Returns
    -------
    float64 (B,), in [0, 1].
    """
    return np.clip((economic_pain + (1.0 - war_capacity) + weariness) / 3.0, 0.0, 1.0)


def legitimacy_band(regions: RegionTable, params: PeripheryParams, n_worlds: int) -> tuple[np.ndarray, np.ndarray]:
    """The band legitimacy stays in (choice 1): [L0 - band, L0 + band] within [0, 1].

    Parameters
    ----------
    regions : RegionTable
    params : PeripheryParams
    n_worlds : int
        B.

    Returns
    -------
    (float64 (B, K), float64 (B, K))
        Lower and upper ends.
    """
    base = np.broadcast_to(np.asarray(regions.base_legitimacy, np.float64), (n_worlds, regions.count))
    band = per_world_column(params.legitimacy_band, n_worlds)
    return np.clip(base - band, 0.0, 1.0), np.clip(base + band, 0.0, 1.0)


def step_rally(rally: np.ndarray, params: PeripheryParams, drivers: PeripheryDrivers) -> np.ndarray:
    """Next week's rally round the flag (choice 6).

    Parameters
    ----------
    rally : float64 (B,)
    params : PeripheryParams
    drivers : PeripheryDrivers

    Returns
    -------
    float64 (B,), >= 0.
    """
    p = partial(per_world, n_worlds=rally.shape[0])
    return (
        rally * np.exp(-1.0 / p(params.rally_weeks))
        + p(params.rally_effect) * drivers.sanctions_rise
        + p(params.rally_attribution) * drivers.attributions.sum(axis=1)
    )


def step_legitimacy(
    legitimacy: np.ndarray, rally: np.ndarray, regions: RegionTable, params: PeripheryParams, drivers: PeripheryDrivers
) -> np.ndarray:
    """Next week's legitimacy per region (choice 1).

    Parameters
    ----------
    legitimacy : float64 (B, K)
    rally : float64 (B,)
        This week's rally (choice 6).
    regions : RegionTable
    params : PeripheryParams
    drivers : PeripheryDrivers

    Returns
    -------
    float64 (B, K), within the band of :func:`legitimacy_band`.
    """
    n_worlds = legitimacy.shape[0]
    column = partial(per_world_column, n_worlds=n_worlds)
    base = np.broadcast_to(np.asarray(regions.base_legitimacy, np.float64), legitimacy.shape)
    information = column(params.information_effect) * (drivers.information * drivers.war_cost)[:, None]
    repression = column(params.repression_effect) * drivers.arrested_share
    core = (rally - per_world(params.casualty_sensitivity, n_worlds) * drivers.weariness)[:, None]
    target = base - information - repression + np.where(np.asarray(regions.is_core, bool), core, 0.0)
    low, high = legitimacy_band(regions, params, n_worlds)
    return relax(legitimacy, np.clip(target, low, high), column(params.legitimacy_weeks))


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
    column = partial(per_world_column, n_worlds=n_worlds)
    decay = column(params.opposition_decay) * np.where(covert_support > 0.0, 1.0 - column(params.fungible_share), 1.0)
    return np.clip((1.0 - decay) * opposition + column(params.opposition_growth) * covert_support, 0.0, 1.0)


def organisation_effects(
    opposition: np.ndarray, is_attributed: np.ndarray, params: PeripheryParams
) -> tuple[np.ndarray, np.ndarray]:
    """Activation threshold and perceived-risk factor per region (choice 3).

    Parameters
    ----------
    opposition : float64 (B, K)
        O_k, organised opposition capacity.
    is_attributed : bool (B, K)
        Whether the region's support has been attributed (the foreign hand).
    params : PeripheryParams

    Returns
    -------
    (float64 (B, K), float64 (B, K))
        The activation threshold T (1 - threshold_effect O), and the factor on the
        perceived arrest probability, 1 - risk_effect O, in [0, 1].
    """
    n_worlds = opposition.shape[0]
    column = partial(per_world_column, n_worlds=n_worlds)
    mobilising = opposition * np.where(is_attributed, 1.0 - column(params.foreign_hand), 1.0)
    threshold = column(params.active_threshold) * (1.0 - column(params.threshold_effect) * mobilising)
    risk_factor = 1.0 - column(params.risk_effect) * mobilising
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
