"""The war: a stochastic contest between the leader's state and its opponent, the economy
that pays for it under sanctions, and the deaths it costs.

Mechanism
---------
A war score X (the front; 0 at the start, +1 the leader prevails, -1 he is defeated)
moves each week with a drift set by the two sides' effective capacities and with noise:

    X <- X + front_speed (W_eff - opponent_capacity) + front_noise eps,  eps ~ N(0, 1).

W, the leader's war capacity in [0, 1], falls with the pain of sanctions, with forces
diverted to internal security and with purges (lost competence), and recovers slowly.
An escalation by the leader surges his effective capacity for a while,
W_eff = W (1 + escalation_gain S), with S the surge. Fighting intensity, the mean of the
two sides' effective capacities, sets the week's war deaths. When |X| reaches
``decisive_score`` the war ends on the battlefield.

Sources
-------
- Wars as contests whose battles reveal relative strength: W. Filson and S. Werner,
  "A Bargaining Model of War and Peace", AJPS 46(4), 819-837 (2002); B. L. Slantchev,
  "The Principle of Convergence in Wartime Negotiations", APSR 97(4), 621-632 (2003).
- Wars are not duration dependent (a roughly constant hazard of ending) and kill at a
  roughly constant rate per month: D. S. Bennett and A. C. Stam, "The Duration of
  Interstate Wars, 1816-1985", APSR 90(2), 239-257 (1996).
- Sanctions' bite fades as the target adapts and evades: G. C. Hufbauer et al.,
  *Economic Sanctions Reconsidered* (3rd ed., 2007); D. W. Drezner, *The Sanctions
  Paradox* (1999) (REFERENCES.md section 6).
- War weariness grows with the logarithm-like saturation of cumulative casualties:
  J. E. Mueller, *War, Presidents and Public Opinion* (1973).

Choices (numbered, referred to in the docs)
-------------------------------------------
1. Economy. The economy adapts to the sanctions level sigma with time constant
   ``adaptation_weeks`` (A <- A + (sigma - A)(1 - e^{-1/tau})); evasion V relaxes toward
   ``evasion_max`` while sanctions are in force (and toward 0 otherwise) with time
   constant ``evasion_weeks``. Pain M = (1 - V) clip(sigma - (1 - residual_bite) A, 0, 1):
   constant sanctions decay to residual_bite sigma before evasion; rising sanctions keep
   biting (claim C10).
2. Capacity. W <- clip(W + (1 - W)(1 - e^{-1/recovery_weeks}) - sanctions_war_cost M -
   diversion_war_cost d - purge_war_cost purges, 0, 1), with d the share of forces the
   leader diverted to internal security last week and purges this week's.
3. Surge. An escalation sets S to 1; S decays as e^{-1/surge_weeks} a week. The week
   after an escalation the leader's effective capacity is W (1 + escalation_gain S).
4. Front. The drift uses this week's effective capacity; the noise is one standard
   normal per world per week from the war stream. X is not clipped; the war ends on the
   battlefield (``military_victory`` at X >= decisive_score, ``military_defeat`` at
   X <= -decisive_score) the week it crosses.
5. Deaths. Weekly war deaths = war_deaths_per_week * intensity, intensity =
   min(1, (W_eff + opponent_capacity) / 2): a war effort that has lost capacity kills
   less, and no week is deadlier than full intensity (the bound that direct conflict is
   charged with, see ``world``).
6. Weariness. w = 1 - exp(-deaths so far / casualty_scale) in [0, 1]: the share of the
   core's tolerance of casualties used up; it lowers the core's legitimacy (periphery
   choice 1, through ``casualty_sensitivity``) and adds to the war's cost that the
   information campaign reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from offramp.model._broadcast import per_world, relax
from offramp.model.streams import WorldStreams

__all__ = [
    "WarParams",
    "WarState",
    "WarDrivers",
    "WarRecord",
    "front_drift",
    "escalation_prospect",
    "weariness",
    "init_war",
    "step_war",
]


@dataclass(frozen=True, slots=True)
class WarParams:
    """Parameters of the war and the economy that pays for it.

    Every field is a scalar or a float64 array of shape (B,) when swept. Defaults are
    modelling choices of the scale docs/war.md explains; they are mirrored in the
    scenario schema, which is generated from this class. The war score X is in score
    units [x]: 1 is a decisive result.

    Attributes
    ----------
    opponent_capacity : float
        The opponent's effective war capacity, on the leader's scale (above 1: an
        opponent stronger than the leader's full strength) [-, 0..2]. Default 0.75.
    capacity_initial : float
        W at the start [-, 0..1]. Default 0.8.
    recovery_weeks : float
        Time constant of W's recovery toward 1 [weeks]. Default 52.
    sanctions_war_cost : float
        Weekly loss of W at full economic pain [1/week]. Default 0.01.
    diversion_war_cost : float
        Weekly loss of W per unit of the share of forces diverted to internal security
        [1/week]. Default 0.02.
    purge_war_cost : float
        Loss of W per purged elite (competence) [1/purge]. Default 0.01.
    adaptation_weeks : float
        Time constant of the economy's adaptation to sanctions [weeks]. Default 26.
    residual_bite : float
        Share of the pain of constant sanctions left after full adaptation [-]. Default 0.3.
    evasion_max : float
        Share of the pain that evasion removes in the long run [-, 0..1]. Default 0.3.
    evasion_weeks : float
        Time constant of evasion's growth while sanctions are in force [weeks]. Default 52.
    front_speed : float
        Weekly drift of the war score per unit of capacity gap [x/week]. Default 0.03.
    front_noise : float
        Standard deviation of the weekly move of the war score [x/week]. Default 0.01.
    decisive_score : float
        |X| at which the war ends on the battlefield [x]. Default 1.
    escalation_gain : float
        Relative gain of effective capacity at a full escalation surge [-]. Default 0.2.
    surge_weeks : float
        Time constant of an escalation surge's decay [weeks]. Default 8.
    war_deaths_per_week : float
        War deaths a week at full fighting intensity [deaths/week]. Default 2000.
    casualty_scale : float
        Deaths at which 63% of the core's tolerance of casualties is used up [deaths].
        Default 100000.
    """

    opponent_capacity: float | np.ndarray = 0.75
    capacity_initial: float | np.ndarray = 0.8
    recovery_weeks: float | np.ndarray = 52.0
    sanctions_war_cost: float | np.ndarray = 0.01
    diversion_war_cost: float | np.ndarray = 0.02
    purge_war_cost: float | np.ndarray = 0.01
    adaptation_weeks: float | np.ndarray = 26.0
    residual_bite: float | np.ndarray = 0.3
    evasion_max: float | np.ndarray = 0.3
    evasion_weeks: float | np.ndarray = 52.0
    front_speed: float | np.ndarray = 0.03
    front_noise: float | np.ndarray = 0.01
    decisive_score: float | np.ndarray = 1.0
    escalation_gain: float | np.ndarray = 0.2
    surge_weeks: float | np.ndarray = 8.0
    war_deaths_per_week: float | np.ndarray = 2000.0
    casualty_scale: float | np.ndarray = 100000.0


@dataclass(frozen=True, slots=True)
class WarState:
    """The war of every world, each field float64 (B,).

    Attributes
    ----------
    score : float64 (B,)
        X, the war score [x]: positive is the leader gaining.
    capacity : float64 (B,)
        W in [0, 1].
    sanctions_adapted : float64 (B,)
        A, the sanctions level the economy has adapted to, in [0, 1].
    evasion : float64 (B,)
        V, the share of the pain evaded, in [0, evasion_max].
    surge : float64 (B,)
        S, the escalation surge in [0, 1].
    deaths : float64 (B,)
        War deaths so far [deaths].
    """

    score: np.ndarray
    capacity: np.ndarray
    sanctions_adapted: np.ndarray
    evasion: np.ndarray
    surge: np.ndarray
    deaths: np.ndarray


@dataclass(frozen=True, slots=True)
class WarDrivers:
    """Inputs of one week.

    Attributes
    ----------
    sanctions : float64 (B,)
        sigma, the sanctions in force this week (after coalition fatigue) [0..1].
    diverted_share : float64 (B,)
        d, the share of forces the leader diverted to internal security last week.
    purges : int64 (B,)
        Elites purged this week.
    escalated : bool (B,)
        The leader escalated last week.
    """

    sanctions: np.ndarray
    diverted_share: np.ndarray
    purges: np.ndarray
    escalated: np.ndarray


@dataclass(frozen=True, slots=True)
class WarRecord:
    """What one week of the war reports per world.

    Attributes
    ----------
    economic_pain : float64 (B,)
        M in [0, 1].
    news : float64 (B,)
        This week's move of the war score [x]: the battlefield news the leader reads.
    deaths : float64 (B,)
        This week's war deaths [deaths].
    is_victory, is_defeat : bool (B,)
        The war ended on the battlefield this week, for or against the leader.
    """

    economic_pain: np.ndarray
    news: np.ndarray
    deaths: np.ndarray
    is_victory: np.ndarray
    is_defeat: np.ndarray


def front_drift(capacity: np.ndarray, surge: np.ndarray, params: WarParams) -> np.ndarray:
    """The front's weekly drift (choices 3-4): front_speed (W (1 + gain S) - opponent).

    Parameters
    ----------
    capacity, surge : float64 (B,)
        W and S.
    params : WarParams

    Returns
    -------
    float64 (B,) [x/week]
    """
    p = partial(per_world, n_worlds=capacity.shape[0])
    effective = capacity * (1.0 + p(params.escalation_gain) * surge)
    return p(params.front_speed) * (effective - p(params.opponent_capacity))


def escalation_prospect(capacity: np.ndarray, params: WarParams) -> np.ndarray:
    """The war score a fresh escalation is worth over its surge: the extra drift of a full
    surge, front_speed escalation_gain W, integrated over the surge's decay
    (x surge_weeks). What the leader expects from escalating, on his own forces' strength.

    Parameters
    ----------
    capacity : float64 (B,)
        W.
    params : WarParams

    Returns
    -------
    float64 (B,) [x]
    """
    p = partial(per_world, n_worlds=capacity.shape[0])
    return p(params.front_speed) * p(params.escalation_gain) * capacity * p(params.surge_weeks)


def weariness(deaths: np.ndarray, params: WarParams) -> np.ndarray:
    """The share of the core's tolerance of casualties used up (choice 6).

    Parameters
    ----------
    deaths : float64 (B,)
        War deaths so far.
    params : WarParams

    Returns
    -------
    float64 (B,), in [0, 1].
    """
    return -np.expm1(-deaths / per_world(params.casualty_scale, deaths.shape[0]))


def init_war(params: WarParams, n_worlds: int) -> WarState:
    """The war at the start: score 0, capacity at its initial value, no sanctions yet.

    Parameters
    ----------
    params : WarParams
    n_worlds : int
        B.

    Returns
    -------
    WarState
    """
    zeros = np.zeros(n_worlds)
    return WarState(
        score=zeros.copy(),
        capacity=per_world(params.capacity_initial, n_worlds).copy(),
        sanctions_adapted=zeros.copy(),
        evasion=zeros.copy(),
        surge=zeros.copy(),
        deaths=zeros.copy(),
    )


def step_war(
    state: WarState, params: WarParams, drivers: WarDrivers, streams: WorldStreams
) -> tuple[WarState, WarRecord]:
    """One week of the war: the economy, capacity, the front and its deaths.

    Parameters
    ----------
    state : WarState
    params : WarParams
    drivers : WarDrivers
    streams : WorldStreams
        The war stream of each world (one normal per world per week).

    Returns
    -------
    new_state : WarState
    record : WarRecord
    """
    n_worlds = state.score.shape[0]
    p = partial(per_world, n_worlds=n_worlds)
    shock = streams.normal(())

    # Economy (choice 1).
    adapted = relax(state.sanctions_adapted, drivers.sanctions, p(params.adaptation_weeks))
    evasion = relax(state.evasion, p(params.evasion_max) * (drivers.sanctions > 0.0), p(params.evasion_weeks))
    bite = np.clip(drivers.sanctions - (1.0 - p(params.residual_bite)) * adapted, 0.0, 1.0)
    economic_pain = (1.0 - evasion) * bite

    # Capacity (choice 2).
    losses = (
        p(params.sanctions_war_cost) * economic_pain
        + p(params.diversion_war_cost) * drivers.diverted_share
        + p(params.purge_war_cost) * drivers.purges
    )
    capacity = np.clip(relax(state.capacity, 1.0, p(params.recovery_weeks)) - losses, 0.0, 1.0)

    # Surge and front (choices 3-4).
    surge = np.where(drivers.escalated, 1.0, state.surge * np.exp(-1.0 / p(params.surge_weeks)))
    news = front_drift(capacity, surge, params) + p(params.front_noise) * shock
    score = state.score + news

    # Deaths (choice 5).
    effective = capacity * (1.0 + p(params.escalation_gain) * surge)
    intensity = np.minimum(1.0, 0.5 * (effective + p(params.opponent_capacity)))
    deaths = p(params.war_deaths_per_week) * intensity

    decisive = p(params.decisive_score)
    new_state = WarState(
        score=score,
        capacity=capacity,
        sanctions_adapted=adapted,
        evasion=evasion,
        surge=surge,
        deaths=state.deaths + deaths,
    )
    record = WarRecord(
        economic_pain=economic_pain,
        news=news,
        deaths=deaths,
        is_victory=score >= decisive,
        is_defeat=score <= -decisive,
    )
    return new_state, record
