"""Escalation: tension between the coercer and the leader, and the hazard of direct
conflict.

Mechanism
---------
Tension Z decays each week and rises with the leader's escalations and with the
attribution of the coercer's covert support. Direct conflict starts with the weekly
hazard 1 - exp(-(h_0 + h_Z Z)), a proportional-hazards form with a constant baseline,
and is absorbing.

Sources
-------
- T. C. Schelling, *Arms and Influence* (Yale University Press, 1966): "the threat that
  leaves something to chance"; tension raises the risk of a war neither side chose.
- Base rates (REFERENCES.md, section 6.5): a few percent of militarised disputes reach
  war; there has been no direct great-power war since 1945. The default hazard keeps
  direct conflict rare without escalation.

Choices and deviations (numbered, referred to in the docs)
----------------------------------------------------------
1. Tension decays exponentially: Z <- Z exp(-1/tau_Z), then adds escalation_tension for
   an escalation and attribution_tension per attributed region this week.
2. Each week, covert support u_k in region k is attributed to the coercer with
   probability min(1, attribution_rate u_k), independently per region. Attribution also
   feeds the leader's paranoia: the record returns attributions per region.
3. The hazard uses this week's tension, after the update (escalations bite at once).
4. Direct conflict is absorbing: once it has started, ``is_direct_conflict`` stays True.
   The runner freezes the world; the step does not need to know.
5. Each world draws one block of K + 1 uniforms per step (K attributions, one for the
   hazard).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
from numpy.typing import ArrayLike

from offramp.model._broadcast import per_world, per_world_column
from offramp.model.streams import WorldStreams

__all__ = [
    "EscalationParams",
    "EscalationState",
    "EscalationDrivers",
    "EscalationRecord",
    "conflict_hazard",
    "init_escalation",
    "step_escalation",
]


@dataclass(frozen=True, slots=True)
class EscalationParams:
    """Parameters of escalation.

    Every field is a scalar or a float64 array of shape (B,) when swept. Defaults are
    illustrative; they are mirrored in the scenario schema, which is the single source
    of defaults for runs (keep the two in step). Tension Z is in tension units [z]: one
    escalation adds ``escalation_tension``.

    Attributes
    ----------
    tension_decay_weeks : float
        tau_Z, time constant of the tension's decay [weeks]. Default 8.
    escalation_tension : float
        Tension added by one escalation by the leader [z]. Default 0.5.
    attribution_tension : float
        Tension added per attributed region per week [z]. Default 0.25.
    attribution_rate : float
        Weekly attribution probability of full covert support (u_k = 1) in a region
        [1/week]. Default 0.05.
    baseline_hazard : float
        h_0, weekly hazard of direct conflict at zero tension [1/week]. Default 5e-5
        (about 0.5% over two years; docs/escalation.md justifies it in weekly terms).
    tension_hazard : float
        h_Z, weekly hazard per unit of tension [1/(week z)]. Default 1e-3.
    """

    # Defaults mirrored in the scenario schema (the single source of defaults for runs).
    tension_decay_weeks: float | np.ndarray = 8.0
    escalation_tension: float | np.ndarray = 0.5
    attribution_tension: float | np.ndarray = 0.25
    attribution_rate: float | np.ndarray = 0.05
    baseline_hazard: float | np.ndarray = 5e-5
    tension_hazard: float | np.ndarray = 1e-3


@dataclass(frozen=True, slots=True)
class EscalationState:
    """Tension and the direct-conflict flag of every world.

    Attributes
    ----------
    tension : float64 (B,)
        Z >= 0 [z].
    is_direct_conflict : bool (B,)
        Direct conflict with the coercer has started (absorbing).
    """

    tension: np.ndarray
    is_direct_conflict: np.ndarray


@dataclass(frozen=True, slots=True)
class EscalationDrivers:
    """Inputs of one week.

    Attributes
    ----------
    is_escalation : bool (B,)
        The leader escalated this week.
    covert_support : float64 (B, K)
        u_k, the coercer's covert support per region, in [0, 1].
    """

    is_escalation: np.ndarray
    covert_support: np.ndarray


@dataclass(frozen=True, slots=True)
class EscalationRecord:
    """What one week reports per world.

    Attributes
    ----------
    attributions : int64 (B, K)
        1 where region k's covert support was attributed this week, else 0.
    hazard : float64 (B,)
        Weekly direct-conflict hazard used this week, in [0, 1].
    is_conflict_onset : bool (B,)
        Direct conflict started this week.
    """

    attributions: np.ndarray
    hazard: np.ndarray
    is_conflict_onset: np.ndarray


def conflict_hazard(tension: ArrayLike, params: EscalationParams) -> np.ndarray:
    """Weekly probability of direct conflict: 1 - exp(-(h_0 + h_Z Z)).

    Parameters
    ----------
    tension : float or float64 array, shape (B,) or broadcastable
        Z >= 0 [z].
    params : EscalationParams
        Supplies h_0 and h_Z (scalars or shape (B,)).

    Returns
    -------
    float64 ndarray, shape of the broadcast of tension and the parameters
        Hazard in [0, 1] [1/week].
    """
    rate = np.asarray(params.baseline_hazard, np.float64) + np.asarray(params.tension_hazard, np.float64) * np.asarray(
        tension, np.float64
    )
    # -expm1(-x) is 1 - exp(-x) without cancellation for small rates; clip guards rounding.
    return np.clip(-np.expm1(-rate), 0.0, 1.0)


def init_escalation(n_worlds: int) -> EscalationState:
    """No tension and no conflict at the start.

    Parameters
    ----------
    n_worlds : int
        B.

    Returns
    -------
    EscalationState
    """
    return EscalationState(tension=np.zeros(n_worlds), is_direct_conflict=np.zeros(n_worlds, dtype=bool))


def step_escalation(
    state: EscalationState, params: EscalationParams, drivers: EscalationDrivers, streams: WorldStreams
) -> tuple[EscalationState, EscalationRecord]:
    """One week of escalation: attributions, tension, the direct-conflict draw.

    Parameters
    ----------
    state : EscalationState
        Shapes (B,).
    params : EscalationParams
    drivers : EscalationDrivers
        The leader's escalation flag (B,) and covert support (B, K).
    streams : WorldStreams
        The escalation stream of each world (B generators).

    Returns
    -------
    new_state : EscalationState
    record : EscalationRecord
    """
    n_worlds, n_regions = drivers.covert_support.shape
    p = partial(per_world, n_worlds=n_worlds)
    draws = streams.uniform((n_regions + 1,))
    attribution_draw, conflict_draw = draws[:, :n_regions], draws[:, n_regions]

    # Attribution (choice 2).
    attribution_rate = per_world_column(params.attribution_rate, n_worlds)
    attribution_probability = np.clip(attribution_rate * drivers.covert_support, 0.0, 1.0)
    is_attributed = attribution_draw < attribution_probability
    attributions = is_attributed.astype(np.int64)

    # Tension (choice 1).
    decayed = state.tension * np.exp(-1.0 / p(params.tension_decay_weeks))
    tension = (
        decayed
        + p(params.escalation_tension) * drivers.is_escalation
        + p(params.attribution_tension) * attributions.sum(axis=-1)
    )

    # Direct conflict (choices 3-4).
    hazard = conflict_hazard(tension, params) * np.ones(n_worlds)
    is_onset = ~state.is_direct_conflict & (conflict_draw < hazard)
    new_state = EscalationState(tension=tension, is_direct_conflict=state.is_direct_conflict | is_onset)
    record = EscalationRecord(attributions=attributions, hazard=hazard, is_conflict_onset=is_onset)
    return new_state, record
