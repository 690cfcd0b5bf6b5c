"""The leader: a decision on values and beliefs, with a logit tremble, and the internal
security forces he allocates.

Mechanism
---------
Each week the leader compares the **values** of continuing the war, escalating it and
settling (the off-ramp), in the tradition of the bargaining model of war termination:
wars go on while the sides' expectations differ and end when they converge (Fearon 1995;
Slantchev 2003) or on the battlefield. He holds a **belief** mu^ about the front's weekly
drift, updated from battlefield news, and values the war score he expects to hold after
``valuation_weeks`` against the terms on the table now:

    X^ = clip(X + H mu^, -1, 1)                        (his expected war score)
    V_continue = ideology X^ - money M - coercion Theta + emboldening kappa_bar
    V_escalate = ideology X^_esc - money M - coercion Theta + emboldening kappa_bar
                 - coercion (escalation_cost - desperation pi Theta)
    V_settle   = ideology X + ego (face_saving kappa - face_loss)
                 - coercion settlement_risk Theta

with X the war score, M economic pain, Theta the survival threat, pi paranoia, kappa this
week's concessions and kappa_bar the concessions he has seen lately. He takes the best
action with a logit tremble of precision lambda (``precision``):
P(a) = exp(lambda V_a) / sum_b exp(lambda V_b). He also allocates internal security
forces across the K periphery regions, following unrest with inertia; the share of
forces diverted there is taken from the war effort (``war``).

Sources
-------
- J. D. Fearon, "Rationalist Explanations for War", International Organization 49(3),
  379-414 (1995); B. L. Slantchev, "The Principle of Convergence in Wartime
  Negotiations", APSR 97(4), 621-632 (2003); D. Reiter, *How Wars End* (2009).
- H. E. Goemans, "Fighting for Survival", J. Conflict Resolution 44(5), 555-579 (2000),
  and *War and Punishment* (2000): a leader who expects punishment after a moderate loss
  gambles for resurrection (``settlement_risk`` above 1).
- R. D. McKelvey and T. R. Palfrey, "Quantal Response Equilibria for Normal Form Games",
  Games and Economic Behavior 10(1), 6-38 (1995), doi:10.1006/game.1995.1023: the tremble.
- J. F. Muth, "Optimal Properties of Exponentially Weighted Forecasts", JASA 55(290),
  299-306 (1960): exponential smoothing is the steady-state Kalman filter of a drift
  observed in noise, the learning rule used for the belief.

Choices and deviations (numbered, referred to in the docs)
----------------------------------------------------------
1. Values are in value units [v]; only differences matter. The war's stake is the war
   score: settling locks in the terms on the table (X, Filson & Werner 2002: offers
   follow the front); continuing is worth the score he expects after H weeks. Costs that
   go on while the war goes on (pain M, the threat Theta) are charged to continuing over
   the same horizon; settling ends the sanctions' pain but keeps a share
   ``settlement_risk`` of the survival threat (above 1: settling is more dangerous than
   fighting on, the gamble-for-resurrection case).
2. The motive weights (money, ideology, coercion, ego) scale their terms and are **not**
   renormalised: raising one leaves the others as they are (claim C2).
3. Belief: mu^ <- mu^ + learning_rate (news - mu^), from mu^_0 = (the front's true drift
   at the start) + optimism. A leader who starts optimistic learns the truth at the rate
   ``learning_rate``; the war ends when belief and costs make settling worth more
   (Slantchev's convergence), not when a draw lands.
4. Concessions act through two named channels only (claim C1): face-saving value of
   settling this week (ego face_saving kappa) and emboldening: concessions seen lately,
   kappa_bar <- kappa_bar + (kappa - kappa_bar)(1 - e^{-1/concession_memory_weeks}),
   read as the coercer's weakness, add emboldening kappa_bar to the value of fighting on.
5. Escalating improves his expected drift by what a surge of his own forces would add
   (``war.escalation_prospect``), costs ``escalation_cost`` and grows more attractive with
   desperation pi Theta.
6. Survival threat Theta = 1 - exp(-(unrest_threat sum_k w_k U_k + defection_threat D +
   paranoia_threat pi)), with D the coup-relevant defected share of the inner circle.
7. Paranoia relaxes toward its baseline with time constant ``paranoia_decay_weeks`` and
   rises with exposed contacts, attributions and failed coups:
   pi <- 1 - (1 - pi') exp(-(a x + b n + c f)). The leader learns of a contact only when
   it is exposed.
8. Security forces: the diverted share d follows
   d* = max_diversion (1 - exp(-diversion_response sum_k w_k U_k)), and the allocation
   across regions follows shares proportional to allocation_floor + w_k U_k, both with
   time constant ``allocation_weeks``. :func:`police_factor` turns them into police
   strength per region relative to an even split with no diversion.
9. Order within the week: paranoia, belief (this week's news), concessions seen,
   security forces, survival threat, values, choice. One uniform per world per week is
   drawn for the choice (inverse CDF); ``is_best`` says whether the action taken had the
   highest value (ties count as best).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from functools import partial

import numpy as np
from numpy.typing import ArrayLike

from offramp.model._broadcast import REGIONAL, per_world, per_world_column, relax
from offramp.model.streams import WorldStreams

__all__ = [
    "Action",
    "LeaderParams",
    "LeaderState",
    "LeaderDrivers",
    "LeaderRecord",
    "choice_probabilities",
    "action_values",
    "police_factor",
    "survival_threat",
    "init_leader",
    "step_leader",
]


class Action(IntEnum):
    """The leader's weekly choice; the index of the values' last axis."""

    CONTINUE = 0
    ESCALATE = 1
    OFFRAMP = 2


@dataclass(frozen=True, slots=True)
class LeaderParams:
    """Parameters of the leader.

    Every float field is a scalar or a float64 array of shape (B,) when swept, except
    ``region_weights``. Defaults are mirrored in the scenario schema, which is generated
    from this class. Values are in value units [v]; the logit precision is in 1/[v].

    Attributes
    ----------
    precision : float
        lambda, the logit precision of the tremble [1/v]. 0 is random choice, inf the
        best response. Default 300.
    money_weight, coercion_weight, ego_weight : float
        Motive weights on pain, the survival threat and face; not renormalised [-].
        Default 1 each.
    ideology_weight : float
        The war's stake: the value of a decisive result (war score 1) [v]. Default 4.
    valuation_weeks : float
        H, the horizon over which he values fighting on [weeks]. Default 26.
    optimism : float
        Bias of his initial belief about the front's drift, in his favour [x/week].
        Default 0.005.
    learning_rate : float
        Weight of a week's battlefield news in his belief [-, 0..1]. Default 0.03.
    emboldening : float
        Value of fighting on per unit of concessions seen lately [v]. Default 0.2.
    concession_memory_weeks : float
        Time constant of the concessions he has seen lately [weeks]. Default 8.
    face_saving : float
        Value of settling per unit of this week's concessions, ego term [v]. Default 0.5.
    face_loss : float
        Cost in face of settling without concessions, ego term [v]. Default 0.5.
    settlement_risk : float
        Share of the survival threat that stays after a settlement [-]; above 1 settling
        is more dangerous than fighting on. Default 0.8.
    desperation : float
        Value of escalating per unit of paranoia x survival threat, coercion term [v].
        Default 2.
    escalation_cost : float
        Cost of escalating, coercion term [v]. Default 1.
    paranoia_initial : float
        Paranoia at the start [-, 0..1]. Default 0.2.
    paranoia_baseline : float
        Paranoia relaxes toward this [-, 0..1]. Default 0.2.
    paranoia_decay_weeks : float
        Time constant of that relaxation [weeks]. Default 12.
    exposure_paranoia : float
        Hazard-scale rise of paranoia per exposed contact [1/exposure]. Default 0.15.
    attribution_paranoia : float
        Hazard-scale rise of paranoia per attributed covert support [1/attribution].
        Default 0.1.
    failed_coup_paranoia : float
        Hazard-scale rise of paranoia after a failed coup [-]. Default 1.
    unrest_threat : float
        Survival-threat hazard per unit of weighted unrest sum_k w_k U_k [-]. Default 3.
    defection_threat : float
        Survival-threat hazard per unit of the defected share [-]. Default 3.
    paranoia_threat : float
        Survival-threat hazard per unit of paranoia [-]. Default 0.5.
    region_weights : float or float64 (K,) or (B, K)
        w_k, how much a fully active region threatens the regime [-]. Default 1.
    max_diversion : float
        Largest share of the war effort diverted to internal security [-]. Default 0.3.
    diversion_response : float
        Steepness of diversion in weighted unrest [-]. Default 5.
    allocation_weeks : float
        Inertia (time constant) of diversion and allocation [weeks]. Default 4.
    allocation_floor : float
        Base weight of every region in the allocation, against w_k U_k [-]. Default 0.1.
    internal_forces_ratio : float
        Internal security forces at baseline per unit of war effort [-]. Default 0.25.
    """

    precision: float | np.ndarray = 300.0
    money_weight: float | np.ndarray = 1.0
    ideology_weight: float | np.ndarray = 4.0
    coercion_weight: float | np.ndarray = 1.0
    ego_weight: float | np.ndarray = 1.0
    valuation_weeks: float | np.ndarray = 26.0
    optimism: float | np.ndarray = 0.005
    learning_rate: float | np.ndarray = 0.03
    emboldening: float | np.ndarray = 0.2
    concession_memory_weeks: float | np.ndarray = 8.0
    face_saving: float | np.ndarray = 0.5
    face_loss: float | np.ndarray = 0.5
    settlement_risk: float | np.ndarray = 0.8
    desperation: float | np.ndarray = 2.0
    escalation_cost: float | np.ndarray = 1.0
    paranoia_initial: float | np.ndarray = 0.2
    paranoia_baseline: float | np.ndarray = 0.2
    paranoia_decay_weeks: float | np.ndarray = 12.0
    exposure_paranoia: float | np.ndarray = 0.15
    attribution_paranoia: float | np.ndarray = 0.1
    failed_coup_paranoia: float | np.ndarray = 1.0
    unrest_threat: float | np.ndarray = 3.0
    defection_threat: float | np.ndarray = 3.0
    paranoia_threat: float | np.ndarray = 0.5
    region_weights: float | np.ndarray = field(default=1.0, metadata=REGIONAL)
    max_diversion: float | np.ndarray = 0.3
    diversion_response: float | np.ndarray = 5.0
    allocation_weeks: float | np.ndarray = 4.0
    allocation_floor: float | np.ndarray = 0.1
    internal_forces_ratio: float | np.ndarray = 0.25


@dataclass(frozen=True, slots=True)
class LeaderState:
    """The leader of every world.

    Attributes
    ----------
    belief : float64 (B,)
        mu^, his estimate of the front's weekly drift [x/week].
    paranoia : float64 (B,)
        pi, in [0, 1].
    concessions_seen : float64 (B,)
        kappa_bar, the concessions he has seen lately, in [0, 1].
    survival_threat : float64 (B,)
        Theta computed this week, in [0, 1]; next week's driver of the inner circle.
    diverted_share : float64 (B,)
        d, share of the war effort diverted to internal security, in [0, max_diversion].
    security_allocation : float64 (B, K)
        Shares of internal security forces per region, summing to 1 over K.
    action : int8 (B,)
        :class:`Action` chosen this week (CONTINUE before the first week).
    is_best : bool (B,)
        Whether that action had the highest value this week (choice 9).
    """

    belief: np.ndarray
    paranoia: np.ndarray
    concessions_seen: np.ndarray
    survival_threat: np.ndarray
    diverted_share: np.ndarray
    security_allocation: np.ndarray
    action: np.ndarray
    is_best: np.ndarray


@dataclass(frozen=True, slots=True)
class LeaderDrivers:
    """Inputs of one week.

    Attributes
    ----------
    concessions : float64 (B,)
        kappa in [0, 1].
    economic_pain : float64 (B,)
        M in [0, 1] (``war``).
    war_score : float64 (B,)
        X after this week's fighting [x].
    news : float64 (B,)
        This week's move of the war score [x].
    escalation_prospect : float64 (B,)
        The war score an escalation would add over its surge [x] (``war.escalation_prospect``).
    unrest : float64 (B, K)
        U_k, active share of citizens per region, in [0, 1].
    defected_share : float64 (B,)
        D, the coup-relevant defected share of the inner circle, in [0, 1].
    exposures : int64 (B,)
        Outreach contacts exposed to the leader this week.
    attributions : int64 (B,)
        Covert support attributed last week (summed over regions).
    failed_coups : int64 (B,)
        Coups that failed this week (0 or 1).
    """

    concessions: np.ndarray
    economic_pain: np.ndarray
    war_score: np.ndarray
    news: np.ndarray
    escalation_prospect: np.ndarray
    unrest: np.ndarray
    defected_share: np.ndarray
    exposures: np.ndarray
    attributions: np.ndarray
    failed_coups: np.ndarray


@dataclass(frozen=True, slots=True)
class LeaderRecord:
    """What one week reports per world.

    Attributes
    ----------
    values : float64 (B, 3)
        V per :class:`Action` [v].
    probabilities : float64 (B, 3)
        Choice probabilities per :class:`Action`.
    is_escalation : bool (B,)
        The leader escalated this week.
    is_offramp : bool (B,)
        The leader took the off-ramp this week (absorbing: the runner freezes the world).
    """

    values: np.ndarray
    probabilities: np.ndarray
    is_escalation: np.ndarray
    is_offramp: np.ndarray


def choice_probabilities(utilities: ArrayLike, precision: ArrayLike) -> np.ndarray:
    """Logit (quantal response) choice probabilities: a softmax over the last axis.

    P_a = exp(lambda U_a) / sum_b exp(lambda U_b), computed as exp(lambda (U_a - max U))
    so that no exponent is positive. lambda = 0 gives the uniform choice; lambda = inf
    gives the best response, ties split evenly.

    Parameters
    ----------
    utilities : array_like of float, shape (..., A)
        Finite utilities of the A actions [u].
    precision : float or array_like, shape broadcastable to utilities[..., 0]
        lambda >= 0 [1/u]; ``np.inf`` allowed.

    Returns
    -------
    float64 ndarray, shape (..., A)
        Probabilities in [0, 1], summing to 1 over the last axis.

    References
    ----------
    McKelvey and Palfrey (1995), doi:10.1006/game.1995.1023.
    """
    utilities = np.asarray(utilities, dtype=np.float64)
    precision = np.asarray(precision, dtype=np.float64)[..., None]
    gap = utilities - utilities.max(axis=-1, keepdims=True)  # <= 0, and 0 at the best
    # lambda * gap, leaving 0 where gap == 0 so that inf * 0 never makes a NaN.
    shape = np.broadcast_shapes(gap.shape, precision.shape)
    scaled = np.multiply(precision, gap, out=np.zeros(shape), where=gap != 0)
    weights = np.exp(scaled)
    return weights / weights.sum(axis=-1, keepdims=True)


def action_values(
    *,
    war_score: np.ndarray,
    belief: np.ndarray,
    escalation_prospect: np.ndarray,
    economic_pain: np.ndarray,
    survival_threat: np.ndarray,
    paranoia: np.ndarray,
    concessions: np.ndarray,
    concessions_seen: np.ndarray,
    params: LeaderParams,
) -> np.ndarray:
    """The values of continue, escalate and settle (module docstring, choices 1-5).

    Parameters
    ----------
    war_score, belief, escalation_prospect : float64 (B,)
        X [x], mu^ [x/week] and the war score an escalation would add [x].
    economic_pain, survival_threat, paranoia : float64 (B,)
        M, Theta, pi, each in [0, 1].
    concessions, concessions_seen : float64 (B,)
        kappa and kappa_bar, each in [0, 1].
    params : LeaderParams

    Returns
    -------
    float64 ndarray, shape (B, 3)
        V indexed by :class:`Action` [v].
    """
    p = partial(per_world, n_worlds=np.shape(war_score)[0])
    money, ideology, coercion, ego = (
        p(params.money_weight),
        p(params.ideology_weight),
        p(params.coercion_weight),
        p(params.ego_weight),
    )
    horizon = p(params.valuation_weeks)
    expected = np.clip(war_score + horizon * belief, -1.0, 1.0)
    expected_escalated = np.clip(war_score + horizon * belief + escalation_prospect, -1.0, 1.0)
    going_on = -money * economic_pain - coercion * survival_threat + p(params.emboldening) * concessions_seen
    v_continue = ideology * expected + going_on
    v_escalate = (
        ideology * expected_escalated
        + going_on
        - coercion * (p(params.escalation_cost) - p(params.desperation) * paranoia * survival_threat)
    )
    v_settle = (
        ideology * np.clip(war_score, -1.0, 1.0)
        + ego * (p(params.face_saving) * concessions - p(params.face_loss))
        - coercion * p(params.settlement_risk) * survival_threat
    )
    return np.stack([v_continue, v_escalate, v_settle], axis=-1)


def survival_threat(
    weighted_unrest: np.ndarray, defected_share: np.ndarray, paranoia: np.ndarray, params: LeaderParams
) -> np.ndarray:
    """Theta = 1 - exp(-(unrest_threat sum_k w_k U_k + defection_threat D + paranoia_threat pi))
    (choice 6).

    Parameters
    ----------
    weighted_unrest : float64 (B,)
        sum_k w_k U_k.
    defected_share, paranoia : float64 (B,)
        D and pi in [0, 1].
    params : LeaderParams

    Returns
    -------
    float64 (B,), in [0, 1].
    """
    p = partial(per_world, n_worlds=weighted_unrest.shape[0])
    hazard = (
        p(params.unrest_threat) * weighted_unrest
        + p(params.defection_threat) * defected_share
        + p(params.paranoia_threat) * paranoia
    )
    return -np.expm1(-hazard)


def police_factor(state: LeaderState, params: LeaderParams) -> np.ndarray:
    """Police strength per region relative to an even split with no diversion.

    factor_k = K a_k (1 + d / internal_forces_ratio): 1 in every region at the start.

    Parameters
    ----------
    state : LeaderState
    params : LeaderParams

    Returns
    -------
    float64 ndarray, shape (B, K)
    """
    n_worlds, n_regions = state.security_allocation.shape
    surge = 1.0 + state.diverted_share / per_world(params.internal_forces_ratio, n_worlds)
    return n_regions * state.security_allocation * surge[:, None]


def init_leader(params: LeaderParams, n_regions: int, initial_drift: np.ndarray) -> LeaderState:
    """The leader at the start of the war (deterministic).

    Parameters
    ----------
    params : LeaderParams
    n_regions : int
        K.
    initial_drift : float64 (B,)
        The front's true drift at the start (``war.front_drift``); his belief starts
        ``optimism`` above it (choice 3).

    Returns
    -------
    LeaderState
    """
    n_worlds = initial_drift.shape[0]
    zeros = np.zeros(n_worlds)
    return LeaderState(
        belief=initial_drift + per_world(params.optimism, n_worlds),
        paranoia=per_world(params.paranoia_initial, n_worlds).copy(),
        concessions_seen=zeros.copy(),
        survival_threat=zeros.copy(),
        diverted_share=zeros.copy(),
        security_allocation=np.full((n_worlds, n_regions), 1.0 / n_regions),
        action=np.full(n_worlds, Action.CONTINUE, dtype=np.int8),
        is_best=np.ones(n_worlds, dtype=bool),
    )


def step_leader(
    state: LeaderState, params: LeaderParams, drivers: LeaderDrivers, streams: WorldStreams
) -> tuple[LeaderState, LeaderRecord]:
    """One week of the leader: update beliefs and forces, then choose an action.

    Parameters
    ----------
    state : LeaderState
        Shapes (B,) and (B, K).
    params : LeaderParams
    drivers : LeaderDrivers
        This week's levers, news and events.
    streams : WorldStreams
        The leader stream of each world (B generators).

    Returns
    -------
    new_state : LeaderState
    record : LeaderRecord
    """
    n_worlds, n_regions = state.security_allocation.shape
    p = partial(per_world, n_worlds=n_worlds)
    choice_draw = streams.uniform(())

    # Paranoia (choice 7).
    relaxed = relax(state.paranoia, p(params.paranoia_baseline), p(params.paranoia_decay_weeks))
    events = (
        p(params.exposure_paranoia) * drivers.exposures
        + p(params.attribution_paranoia) * drivers.attributions
        + p(params.failed_coup_paranoia) * drivers.failed_coups
    )
    paranoia = 1.0 - (1.0 - relaxed) * np.exp(-events)

    # Belief from battlefield news (choice 3); concessions seen (choice 4).
    belief = state.belief + p(params.learning_rate) * (drivers.news - state.belief)
    concessions_seen = relax(state.concessions_seen, drivers.concessions, p(params.concession_memory_weeks))

    # Internal security forces (choice 8).
    region_weights = np.broadcast_to(np.asarray(params.region_weights, np.float64), (n_worlds, n_regions))
    weighted_unrest = region_weights * drivers.unrest  # w_k U_k, (B, K)
    total_unrest = weighted_unrest.sum(axis=-1)
    diversion_target = p(params.max_diversion) * -np.expm1(-p(params.diversion_response) * total_unrest)
    diverted_share = relax(state.diverted_share, diversion_target, p(params.allocation_weeks))
    allocation_weight = per_world_column(params.allocation_floor, n_worlds) + weighted_unrest
    allocation_target = allocation_weight / allocation_weight.sum(axis=-1, keepdims=True)
    security_allocation = relax(
        state.security_allocation, allocation_target, per_world_column(params.allocation_weeks, n_worlds)
    )

    threat = survival_threat(total_unrest, drivers.defected_share, paranoia, params)
    values = action_values(
        war_score=drivers.war_score,
        belief=belief,
        escalation_prospect=drivers.escalation_prospect,
        economic_pain=drivers.economic_pain,
        survival_threat=threat,
        paranoia=paranoia,
        concessions=drivers.concessions,
        concessions_seen=concessions_seen,
        params=params,
    )
    probabilities = choice_probabilities(values, p(params.precision))
    # Inverse-CDF draw: the first action whose cumulative probability exceeds the uniform.
    cumulative = np.cumsum(probabilities, axis=-1)
    action = np.minimum(np.count_nonzero(cumulative <= choice_draw[:, None], axis=-1), len(Action) - 1)
    chosen_value = np.take_along_axis(values, action[:, None], axis=-1)[:, 0]
    is_best = chosen_value >= values.max(axis=-1)

    new_state = LeaderState(
        belief=belief,
        paranoia=paranoia,
        concessions_seen=concessions_seen,
        survival_threat=threat,
        diverted_share=diverted_share,
        security_allocation=security_allocation,
        action=action.astype(np.int8),
        is_best=is_best,
    )
    record = LeaderRecord(
        values=values,
        probabilities=probabilities,
        is_escalation=action == Action.ESCALATE,
        is_offramp=action == Action.OFFRAMP,
    )
    return new_state, record
