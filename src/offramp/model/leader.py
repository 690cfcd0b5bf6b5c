"""The leader: a MICE-weighted logit (quantal response) choice to continue, escalate or
take the off-ramp, with the state that feeds it.

Mechanism
---------
Each week the leader updates what he feels and believes (economic pain, survival threat,
war prospects, paranoia, resolve, the coercer's resolve), scores three actions by
utilities whose terms are weighted by his motives (MICE: money, ideology, coercion, ego)
and picks one with logit (quantal response) probabilities of precision lambda:

    P(a) = exp(lambda U_a) / sum_b exp(lambda U_b).

He also allocates internal security forces across the K periphery regions, following
unrest with inertia, and the share of forces diverted there is taken from the war effort.

Sources
-------
- R. D. McKelvey and T. R. Palfrey, "Quantal Response Equilibria for Normal Form Games",
  Games and Economic Behavior 10(1), 6-38 (1995), doi:10.1006/game.1995.1023.
- MICE (money, ideology, coercion, ego) is the motive taxonomy of the intelligence
  literature on why people act; we use it only as four weights on utility terms.
- H. E. Goemans, "Fighting for Survival", Journal of Conflict Resolution 44(5), 555-579
  (2000): the survival risk that a settlement carries.

Utilities (the functional forms; the docs repeat them)
-----------------------------------------------------
With w_M, w_I, w_C, w_E the MICE weights normalised to sum to 1, r resolve, W war
capacity, M economic pain, rho the perceived coercer resolve, Theta the survival threat,
pi paranoia and kappa concessions:

    expected pain   M~ = M (1 + rho) / 2
    U_continue = w_I r W - w_M M~ - w_C Theta
    U_escalate = U_continue + w_C (desperation pi Theta - escalation_cost)
    U_offramp  = w_E (face_saving kappa - face_loss) - w_C settlement_threat_share Theta

Choices and deviations (numbered, referred to in the docs)
----------------------------------------------------------
1. Utilities are relative: only differences matter to the logit. The off-ramp forgoes
   the war's ideological value and ends the economic pain; it keeps part of the survival
   threat (``settlement_threat_share``: a leader who settles after a loss risks
   punishment at home, Goemans 2000) and costs face unless concessions save it.
2. The MICE weights are normalised by their sum, so they are motive *shares*: raising
   one (claim C2) lowers the others.
3. Expected pain weighs the current pain by how long the leader expects it to last: half
   when he believes the coercer will fold (rho = 0), in full when he believes it will not
   (rho = 1). rho follows the signal clip(sanctions - concessions, 0, 1) with time
   constant ``belief_weeks``: concessions read as weakness.
4. Sanctions bite and adaptation: the economy adapts to the sanctions level A with time
   constant tau_adapt, A <- A + (sigma - A)(1 - exp(-1/tau_adapt)), and pain is
   M = clip(sigma - (1 - residual_bite) A, 0, 1). Constant sanctions decay to
   residual_bite * sigma; rising sanctions keep biting; lifting adapted sanctions leaves
   no pain (claim C10).
5. Survival threat Theta = 1 - exp(-(unrest_threat sum_k w_k U_k + defection_threat D +
   paranoia_threat pi)), saturating in [0, 1]; the region weights w_k are not normalised
   (w_k is how much a fully active region k threatens the regime).
6. Paranoia relaxes toward its baseline with time constant ``paranoia_decay_weeks`` and
   rises with exposures and attributions: pi <- 1 - (1 - pi') exp(-(a x + b n)), which
   stays in [0, 1] and rises with every event.
7. Concessions enter twice, with separate parameters (claim C1): as face-saving value of
   the off-ramp (``face_saving``) and as emboldening, r <- r + emboldening kappa (1 - r).
   Resolve relaxes toward its baseline with ``resolve_relaxation_weeks``; escalating
   raises it by escalation_resolve_gain (1 - r).
8. Security forces: the diverted share of the war effort d follows
   d* = max_diversion (1 - exp(-diversion_response sum_k w_k U_k)), and the allocation
   across regions follows shares proportional to allocation_floor + w_k U_k, both with
   time constant ``allocation_weeks`` (inertia). :func:`police_factor` turns them into
   police strength per region relative to an even split with no diversion.
9. War capacity W recovers toward 1 with time constant ``war_recovery_weeks`` and falls
   each week by sanctions_war_cost M + diversion_war_cost d + purge_war_cost purges,
   clipped to [0, 1]. War capacity falls with the *pain* of sanctions, so adaptation
   softens it too.
10. Within a week the order is: paranoia, sanctions pain, belief, security allocation,
    war capacity, survival threat, resolve (emboldening), choice, then the effect of an
    escalation on resolve. The choice therefore sees this week's levers and events.
11. The off-ramp is absorbing, but this step only reports it (``is_offramp``); the runner
    freezes the world. One uniform per world per week is drawn for the choice.
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
    "action_utilities",
    "police_factor",
    "init_leader",
    "step_leader",
]


class Action(IntEnum):
    """The leader's weekly choice; the index of the utilities' last axis."""

    CONTINUE = 0
    ESCALATE = 1
    OFFRAMP = 2


@dataclass(frozen=True, slots=True)
class LeaderParams:
    """Parameters of the leader.

    Every float field is a scalar or a float64 array of shape (B,) when swept, except
    ``region_weights``. Defaults are illustrative; they are mirrored in the scenario
    schema, which is the single source of defaults for runs (keep the two in step).
    Utility terms are in utility units [u]; the logit precision is in 1/[u].

    Attributes
    ----------
    precision : float
        lambda, the logit precision [1/u]. 0 is random choice, inf the best response.
        Default 20.
    money_weight, ideology_weight, coercion_weight, ego_weight : float
        MICE weights (normalised by their sum in the step) [-]. Default 0.25 each.
    resolve_initial : float
        Resolve at the start [-, 0..1]. Default 0.7.
    resolve_baseline : float
        Resolve relaxes toward this [-, 0..1]. Default 0.7.
    resolve_relaxation_weeks : float
        Time constant of that relaxation [weeks]. Default 26.
    emboldening : float
        Weekly resolve gain per unit of concessions, saturating [1/week]. Default 0.05.
    face_saving : float
        Off-ramp utility per unit of concessions, ego term [u]. Default 0.5.
    face_loss : float
        Off-ramp's cost in face without concessions, ego term [u]. Default 1.2.
    escalation_resolve_gain : float
        Resolve gain of an escalation, saturating [-]. Default 0.05.
    desperation : float
        Escalation utility per unit of paranoia x survival threat, coercion term [u].
        Default 2.
    escalation_cost : float
        Escalation's cost, coercion term [u]. Default 1.
    settlement_threat_share : float
        Share of the survival threat that remains after a settlement [-]. Default 0.5.
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
    unrest_threat : float
        Survival-threat hazard per unit of weighted unrest sum_k w_k U_k [-]. Default 3.
    defection_threat : float
        Survival-threat hazard per unit of defected share [-]. Default 3.
    paranoia_threat : float
        Survival-threat hazard per unit of paranoia [-]. Default 0.5.
    region_weights : float or float64 (K,) or (B, K)
        w_k, how much a fully active region threatens the regime [-]. Default 1.
    adaptation_weeks : float
        tau_adapt, time constant of the economy's adaptation to sanctions [weeks].
        Default 26.
    residual_bite : float
        Share of the pain of constant sanctions left after full adaptation [-].
        Default 0.3.
    perceived_resolve_initial : float
        rho at the start, the perceived coercer resolve [-, 0..1]. Default 0.5.
    belief_weeks : float
        Time constant of rho's update [weeks]. Default 8.
    war_capacity_initial : float
        W at the start [-, 0..1]. Default 0.8.
    war_recovery_weeks : float
        Time constant of W's recovery toward 1 [weeks]. Default 52.
    sanctions_war_cost : float
        Weekly loss of W at full economic pain [1/week]. Default 0.01.
    diversion_war_cost : float
        Weekly loss of W per unit of diverted share [1/week]. Default 0.02.
    purge_war_cost : float
        Loss of W per purged elite (competence) [1/purge]. Default 0.01.
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

    # Defaults mirrored in the scenario schema (the single source of defaults for runs).
    precision: float | np.ndarray = 20.0
    money_weight: float | np.ndarray = 0.25
    ideology_weight: float | np.ndarray = 0.25
    coercion_weight: float | np.ndarray = 0.25
    ego_weight: float | np.ndarray = 0.25
    resolve_initial: float | np.ndarray = 0.7
    resolve_baseline: float | np.ndarray = 0.7
    resolve_relaxation_weeks: float | np.ndarray = 26.0
    emboldening: float | np.ndarray = 0.05
    face_saving: float | np.ndarray = 0.5
    face_loss: float | np.ndarray = 1.2
    escalation_resolve_gain: float | np.ndarray = 0.05
    desperation: float | np.ndarray = 2.0
    escalation_cost: float | np.ndarray = 1.0
    settlement_threat_share: float | np.ndarray = 0.5
    paranoia_initial: float | np.ndarray = 0.2
    paranoia_baseline: float | np.ndarray = 0.2
    paranoia_decay_weeks: float | np.ndarray = 12.0
    exposure_paranoia: float | np.ndarray = 0.15
    attribution_paranoia: float | np.ndarray = 0.1
    unrest_threat: float | np.ndarray = 3.0
    defection_threat: float | np.ndarray = 3.0
    paranoia_threat: float | np.ndarray = 0.5
    region_weights: float | np.ndarray = field(default=1.0, metadata=REGIONAL)
    adaptation_weeks: float | np.ndarray = 26.0
    residual_bite: float | np.ndarray = 0.3
    perceived_resolve_initial: float | np.ndarray = 0.5
    belief_weeks: float | np.ndarray = 8.0
    war_capacity_initial: float | np.ndarray = 0.8
    war_recovery_weeks: float | np.ndarray = 52.0
    sanctions_war_cost: float | np.ndarray = 0.01
    diversion_war_cost: float | np.ndarray = 0.02
    purge_war_cost: float | np.ndarray = 0.01
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
    resolve : float64 (B,)
        r, determination to pursue the war, in [0, 1].
    paranoia : float64 (B,)
        pi, in [0, 1].
    war_capacity : float64 (B,)
        W, the war effort's capacity, in [0, 1].
    perceived_coercer_resolve : float64 (B,)
        rho, the coercer's resolve as the leader reads it, in [0, 1].
    sanctions_adapted : float64 (B,)
        A, the sanctions level the economy has adapted to, in [0, 1] (choice 4).
    survival_threat : float64 (B,)
        Theta computed this week, in [0, 1]; next week's driver of the inner circle.
    diverted_share : float64 (B,)
        d, share of the war effort diverted to internal security, in [0, max_diversion].
    security_allocation : float64 (B, K)
        Shares of internal security forces per region, summing to 1 over K.
    action : int8 (B,)
        :class:`Action` chosen this week (CONTINUE before the first week).
    """

    resolve: np.ndarray
    paranoia: np.ndarray
    war_capacity: np.ndarray
    perceived_coercer_resolve: np.ndarray
    sanctions_adapted: np.ndarray
    survival_threat: np.ndarray
    diverted_share: np.ndarray
    security_allocation: np.ndarray
    action: np.ndarray


@dataclass(frozen=True, slots=True)
class LeaderDrivers:
    """Inputs of one week.

    Attributes
    ----------
    sanctions : float64 (B,)
        sigma in [0, 1].
    concessions : float64 (B,)
        kappa in [0, 1].
    unrest : float64 (B, K)
        U_k, active share of citizens per region, in [0, 1].
    defected_share : float64 (B,)
        D, publicly defected share of the inner circle, in [0, 1].
    exposures : int64 (B,)
        Outreach contacts exposed to the leader this week.
    attributions : int64 (B,)
        Covert support attributed this week (summed over regions).
    purges : int64 (B,)
        Elites purged this week.
    """

    sanctions: np.ndarray
    concessions: np.ndarray
    unrest: np.ndarray
    defected_share: np.ndarray
    exposures: np.ndarray
    attributions: np.ndarray
    purges: np.ndarray


@dataclass(frozen=True, slots=True)
class LeaderRecord:
    """What one week reports per world.

    Attributes
    ----------
    economic_pain : float64 (B,)
        M in [0, 1].
    utilities : float64 (B, 3)
        U per :class:`Action` [u].
    probabilities : float64 (B, 3)
        Choice probabilities per :class:`Action`.
    is_escalation : bool (B,)
        The leader escalated this week.
    is_offramp : bool (B,)
        The leader took the off-ramp this week (absorbing: the runner freezes the world).
    """

    economic_pain: np.ndarray
    utilities: np.ndarray
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


def _mice_weights(params: LeaderParams, n_worlds: int) -> tuple[np.ndarray, ...]:
    """Normalised (money, ideology, coercion, ego) weights, each float64 (B,) (choice 2)."""
    raw = [
        per_world(w, n_worlds)
        for w in (params.money_weight, params.ideology_weight, params.coercion_weight, params.ego_weight)
    ]
    total = raw[0] + raw[1] + raw[2] + raw[3]
    # Guard: all-zero weights (rejected by the schema) would give zero utilities, i.e. uniform choice.
    total = np.where(total > 0, total, 1.0)
    return tuple(w / total for w in raw)


def action_utilities(
    *,
    resolve: np.ndarray,
    war_capacity: np.ndarray,
    economic_pain: np.ndarray,
    perceived_coercer_resolve: np.ndarray,
    survival_threat: np.ndarray,
    paranoia: np.ndarray,
    concessions: np.ndarray,
    params: LeaderParams,
) -> np.ndarray:
    """The utilities of continue, escalate and off-ramp (module docstring).

    Parameters
    ----------
    resolve, war_capacity, economic_pain, perceived_coercer_resolve : float64 (B,)
        r, W, M, rho, each in [0, 1].
    survival_threat, paranoia, concessions : float64 (B,)
        Theta, pi, kappa, each in [0, 1].
    params : LeaderParams

    Returns
    -------
    float64 ndarray, shape (B, 3)
        U indexed by :class:`Action` [u].
    """
    n_worlds = np.shape(resolve)[0]
    p = partial(per_world, n_worlds=n_worlds)
    money, ideology, coercion, ego = _mice_weights(params, n_worlds)
    expected_pain = economic_pain * (1.0 + perceived_coercer_resolve) / 2.0
    u_continue = ideology * resolve * war_capacity - money * expected_pain - coercion * survival_threat
    desperation = p(params.desperation) * paranoia * survival_threat
    u_escalate = u_continue + coercion * (desperation - p(params.escalation_cost))
    u_offramp = (
        ego * (p(params.face_saving) * concessions - p(params.face_loss))
        - coercion * p(params.settlement_threat_share) * survival_threat
    )
    return np.stack([u_continue, u_escalate, u_offramp], axis=-1)


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


def init_leader(params: LeaderParams, n_worlds: int, n_regions: int) -> LeaderState:
    """The leader at the start of the war (deterministic).

    Parameters
    ----------
    params : LeaderParams
    n_worlds : int
        B.
    n_regions : int
        K.

    Returns
    -------
    LeaderState
    """
    zeros = np.zeros(n_worlds)
    return LeaderState(
        resolve=per_world(params.resolve_initial, n_worlds).copy(),
        paranoia=per_world(params.paranoia_initial, n_worlds).copy(),
        war_capacity=per_world(params.war_capacity_initial, n_worlds).copy(),
        perceived_coercer_resolve=per_world(params.perceived_resolve_initial, n_worlds).copy(),
        sanctions_adapted=zeros.copy(),
        survival_threat=zeros.copy(),
        diverted_share=zeros.copy(),
        security_allocation=np.full((n_worlds, n_regions), 1.0 / n_regions),
        action=np.full(n_worlds, Action.CONTINUE, dtype=np.int8),
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
        This week's levers and events.
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

    # Paranoia (choice 6).
    relaxed = relax(state.paranoia, p(params.paranoia_baseline), p(params.paranoia_decay_weeks))
    events = p(params.exposure_paranoia) * drivers.exposures + p(params.attribution_paranoia) * drivers.attributions
    paranoia = 1.0 - (1.0 - relaxed) * np.exp(-events)

    # Sanctions bite and adaptation (choice 4).
    sanctions_adapted = relax(state.sanctions_adapted, drivers.sanctions, p(params.adaptation_weeks))
    economic_pain = np.clip(drivers.sanctions - (1.0 - p(params.residual_bite)) * sanctions_adapted, 0.0, 1.0)

    # Perceived coercer resolve (choice 3).
    signal = np.clip(drivers.sanctions - drivers.concessions, 0.0, 1.0)
    perceived = relax(state.perceived_coercer_resolve, signal, p(params.belief_weeks))

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

    # War capacity (choice 9).
    recovered = relax(state.war_capacity, 1.0, p(params.war_recovery_weeks))
    losses = (
        p(params.sanctions_war_cost) * economic_pain
        + p(params.diversion_war_cost) * diverted_share
        + p(params.purge_war_cost) * drivers.purges
    )
    war_capacity = np.clip(recovered - losses, 0.0, 1.0)

    # Survival threat (choice 5).
    threat_hazard = (
        p(params.unrest_threat) * total_unrest
        + p(params.defection_threat) * drivers.defected_share
        + p(params.paranoia_threat) * paranoia
    )
    survival_threat = -np.expm1(-threat_hazard)

    # Resolve: relaxation, then emboldening by concessions (choice 7).
    resolve = relax(state.resolve, p(params.resolve_baseline), p(params.resolve_relaxation_weeks))
    resolve = resolve + p(params.emboldening) * drivers.concessions * (1.0 - resolve)

    utilities = action_utilities(
        resolve=resolve,
        war_capacity=war_capacity,
        economic_pain=economic_pain,
        perceived_coercer_resolve=perceived,
        survival_threat=survival_threat,
        paranoia=paranoia,
        concessions=drivers.concessions,
        params=params,
    )
    probabilities = choice_probabilities(utilities, p(params.precision))
    # Inverse-CDF draw: the first action whose cumulative probability exceeds the uniform.
    cumulative = np.cumsum(probabilities, axis=-1)
    action = np.minimum(np.count_nonzero(cumulative <= choice_draw[:, None], axis=-1), len(Action) - 1)
    is_escalation = action == Action.ESCALATE
    resolve = np.where(is_escalation, resolve + p(params.escalation_resolve_gain) * (1.0 - resolve), resolve)

    new_state = LeaderState(
        resolve=resolve,
        paranoia=paranoia,
        war_capacity=war_capacity,
        perceived_coercer_resolve=perceived,
        sanctions_adapted=sanctions_adapted,
        survival_threat=survival_threat,
        diverted_share=diverted_share,
        security_allocation=security_allocation,
        action=action.astype(np.int8),
    )
    record = LeaderRecord(
        economic_pain=economic_pain,
        utilities=utilities,
        probabilities=probabilities,
        is_escalation=is_escalation,
        is_offramp=action == Action.OFFRAMP,
    )
    return new_state, record
