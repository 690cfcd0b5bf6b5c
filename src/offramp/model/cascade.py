"""The inner circle: a threshold cascade of public defections among the regime's elites.

Mechanism
---------
Each of E elites defects publicly once enough others have done so. Granovetter's
threshold model gives the dynamics: with F(r) the number of people whose threshold is at
most r, the number defected follows r(t+1) = F(r(t)) from r(0) = 0 and stops at the
least fixed point r* = F(r*). Kuran's preference falsification reads the same model as
elites who privately waver but defect publicly only when it is safe; outside outreach
lowers their thresholds and a paranoid leader's purges remove them.

Sources
-------
- M. Granovetter, "Threshold Models of Collective Behavior", American Journal of
  Sociology 83(6), 1420-1443 (1978), doi:10.1086/226707.
- T. Kuran, "Now out of Never: The Element of Surprise in the East European Revolution
  of 1989", World Politics 44(1), 7-48 (1991), doi:10.2307/2010422.

Choices and deviations (numbered, referred to in the docs)
----------------------------------------------------------
1. :func:`cascade` takes thresholds as *counts* of others already defected, as in
   Granovetter's examples. Fractional counts are accepted and compared with the count as
   they are (a threshold of 1.5 needs 2 others); NaN never defects; -inf always does,
   +inf never (used below to mark the already defected and the purged).
2. The inner circle measures thresholds as *shares* of the elites still in the circle
   (not purged), in [0, 1]: an elite defects when the defected share reaches its
   threshold. :func:`cascade_fixed_point` covers both with its ``population`` argument.
3. Initial thresholds and loyalties are normal draws clipped to [0, 1]. Loyalty is a
   fixed trait: it scales how much a contact lowers the threshold, (1 - loyalty).
4. Outreach contacts each loyal or wavering elite with weekly probability
   min(1, contact_rate * outreach). A contact lowers the threshold by
   contact_threshold_drop * (1 - loyalty) * (1 + threat_amplification * survival_threat)
   (floored at 0) and turns a loyal elite wavering. Wavering elites never turn loyal again.
5. Each contact is exposed to the leader with probability ``exposure_probability``; the
   leader's paranoia reads the count (leader module). Exposure does not single out the
   exposed elite for purging: purges target the wavering as a class.
6. Within a week the order is: contacts, exposures, purges, the purges' threshold shift,
   the cascade, the coup draw. Purges therefore pre-empt defections in the same week, and
   the paranoia and survival threat used are the previous week's (the leader moves after
   the inner circle in ``world.step``).
7. Purges: a wavering elite is purged with weekly probability min(1, purge_rate *
   paranoia), a loyal one by mistake with mistaken_purge_ratio times that. Publicly
   defected elites are out of reach. Each purge shifts the thresholds of the remaining
   (loyal or wavering) elites by ``purge_threshold_shift`` (clipped to [0, 1]): positive
   is fear, negative is threat; the sign is an explored uncertainty (claim C8).
8. Coup: when the defected share among non-purged elites is at least ``coup_level``, the
   leader is removed by insiders with weekly probability ``coup_probability``.
9. Each world draws one block of 3E + 1 uniforms per step (contact, exposure, purge per
   elite; one for the coup), so a world's draws do not depend on the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from functools import partial

import numpy as np
from numpy.typing import ArrayLike

from offramp.model._broadcast import per_world, per_world_column
from offramp.model.streams import WorldStreams

__all__ = [
    "Elite",
    "CascadeParams",
    "InnerCircleState",
    "InnerCircleDrivers",
    "InnerCircleRecord",
    "cascade",
    "cascade_fixed_point",
    "init_inner_circle",
    "step_inner_circle",
]


class Elite(IntEnum):
    """Status of one elite in the inner circle."""

    LOYAL = 0
    WAVERING = 1
    DEFECTED = 2
    PURGED = 3


@dataclass(frozen=True, slots=True)
class CascadeParams:
    """Parameters of the inner circle.

    Every float field is a scalar or a float64 array of shape (B,) when swept. Defaults
    are illustrative; they are mirrored in the scenario schema, which is the single
    source of defaults for runs (keep the two in step).

    Attributes
    ----------
    n_elites : int
        E, elites in the inner circle (structural: the same for every world). Default 12.
    threshold_mean : float
        Mean initial defection threshold, as a share of non-purged elites publicly
        defected [share]. Default 0.5: an elite needs half the circle to go first.
    threshold_spread : float
        Standard deviation of the initial thresholds before clipping to [0, 1] [share].
        Default 0.15.
    loyalty_mean : float
        Mean loyalty (resistance to outreach) in [0, 1] [-]. Default 0.6.
    loyalty_spread : float
        Standard deviation of loyalty before clipping to [0, 1] [-]. Default 0.2.
    contact_rate : float
        Weekly probability that full outreach (1) contacts a given loyal or wavering elite
        [1/week]. Default 0.25.
    contact_threshold_drop : float
        Threshold drop per contact for a disloyal elite (loyalty 0) at no survival threat
        [share]. Default 0.08.
    threat_amplification : float
        Relative increase of the drop at full survival threat (Theta = 1) [-]. Default 1.
    exposure_probability : float
        p_x, probability that a contact is exposed to the leader [-]. Default 0.15.
    purge_rate : float
        Weekly probability that a wavering elite is purged at full paranoia [1/week].
        Default 0.1.
    mistaken_purge_ratio : float
        Purge probability of a loyal elite relative to a wavering one [-]. Default 0.1.
    purge_threshold_shift : float
        Signed shift of every remaining elite's threshold per purge [share/purge]:
        positive is fear, negative is threat. Default 0.02 (fear).
    coup_level : float
        chi, the defected share at which insiders can remove the leader [share].
        Default 0.5.
    coup_probability : float
        Weekly probability of removal while the defected share is at least chi
        [1/week]. Default 0.3.
    """

    # Defaults mirrored in the scenario schema (the single source of defaults for runs).
    n_elites: int = 12
    threshold_mean: float | np.ndarray = 0.5
    threshold_spread: float | np.ndarray = 0.15
    loyalty_mean: float | np.ndarray = 0.6
    loyalty_spread: float | np.ndarray = 0.2
    contact_rate: float | np.ndarray = 0.25
    contact_threshold_drop: float | np.ndarray = 0.08
    threat_amplification: float | np.ndarray = 1.0
    exposure_probability: float | np.ndarray = 0.15
    purge_rate: float | np.ndarray = 0.1
    mistaken_purge_ratio: float | np.ndarray = 0.1
    purge_threshold_shift: float | np.ndarray = 0.02
    coup_level: float | np.ndarray = 0.5
    coup_probability: float | np.ndarray = 0.3


@dataclass(frozen=True, slots=True)
class InnerCircleState:
    """The elites of every world.

    Attributes
    ----------
    loyalty : float64 (B, E)
        Loyalty in [0, 1]; a fixed trait (choice 3).
    threshold : float64 (B, E)
        Defection threshold as a share of non-purged elites, in [0, 1].
    status : int8 (B, E)
        :class:`Elite` code.
    """

    loyalty: np.ndarray
    threshold: np.ndarray
    status: np.ndarray

    @property
    def defected_share(self) -> np.ndarray:
        """float64 (B,): publicly defected elites as a share of the non-purged ones."""
        return _defected_share(self.status)


@dataclass(frozen=True, slots=True)
class InnerCircleDrivers:
    """Inputs of one week.

    Attributes
    ----------
    outreach : float64 (B,)
        omega, the coercer's outreach lever in [0, 1].
    survival_threat : float64 (B,)
        Theta, the regime's survival threat in [0, 1] (last week's, from the leader).
    paranoia : float64 (B,)
        pi, the leader's paranoia in [0, 1] (last week's).
    """

    outreach: np.ndarray
    survival_threat: np.ndarray
    paranoia: np.ndarray


@dataclass(frozen=True, slots=True)
class InnerCircleRecord:
    """What one week reports per world.

    Attributes
    ----------
    contacts : int64 (B,)
        Elites contacted by outreach this week.
    exposures : int64 (B,)
        Contacts exposed to the leader this week.
    defections : int64 (B,)
        Elites who defected publicly this week.
    purges : int64 (B,)
        Elites purged this week (the competence cost the leader pays), mistaken ones
        included.
    mistaken_purges : int64 (B,)
        Of those, loyal elites purged by mistake.
    defected_share : float64 (B,)
        Publicly defected elites as a share of non-purged ones, after the cascade.
    is_coup : bool (B,)
        The leader was removed by insiders this week.
    """

    contacts: np.ndarray
    exposures: np.ndarray
    defections: np.ndarray
    purges: np.ndarray
    mistaken_purges: np.ndarray
    defected_share: np.ndarray
    is_coup: np.ndarray


def _share_level(defected: np.ndarray, population: np.ndarray) -> np.ndarray:
    """Defected count as a share of the population; an empty population counts as 1
    (it has nobody left to defect, so the share is 0)."""
    return defected / np.maximum(population, 1)


def cascade_fixed_point(thresholds: ArrayLike, population: ArrayLike | None = None) -> np.ndarray:
    """Granovetter's iteration r(t+1) = F(r(t)) from r(0) = 0, batched.

    F(r) counts the people whose threshold is reached: ``threshold <= r`` for count
    thresholds, ``threshold <= r / population`` for share thresholds. F is monotone, so
    the iteration rises to the least fixed point r* = F(r*) in at most N + 1 rounds.

    Parameters
    ----------
    thresholds : array_like of float, shape (..., N)
        Each person's threshold: a count of others already defected (``population`` is
        None) or a share of ``population`` (module choices 1-2). -inf marks someone who
        has defected already, +inf or NaN someone who never will.
    population : array_like of int, shape (...) or broadcastable, optional
        The denominator of share thresholds (people still counted); below 1 it counts
        as 1.

    Returns
    -------
    int64 ndarray, shape (...)
        r*, the number who end up defected.

    References
    ----------
    Granovetter (1978), doi:10.1086/226707.
    """
    thresholds = np.asarray(thresholds, dtype=np.float64)
    n_people = thresholds.shape[-1]
    defected = np.zeros(thresholds.shape[:-1], dtype=np.int64)
    # r(t) rises by at least one per round until it stops, so N + 1 rounds suffice; the
    # loop runs over rounds of the iteration, never over worlds or people.
    for _ in range(n_people + 1):
        level = defected if population is None else _share_level(defected, np.asarray(population))
        # F(r) = #{i : threshold_i <= r}; NaN compares False and never counts.
        reached = np.count_nonzero(thresholds <= np.asarray(level, np.float64)[..., None], axis=-1)
        if np.array_equal(reached, defected):
            break
        defected = reached.astype(np.int64)
    return defected


def cascade(thresholds: ArrayLike) -> int | np.ndarray:
    """How many end up defected in Granovetter's threshold model.

    Runs r(t+1) = F(r(t)) from r(0) = 0, where F(r) is the number of people whose
    threshold (a count of others already defected) is at most r.

    Parameters
    ----------
    thresholds : array_like of float, shape (N,) or (..., N)
        Thresholds as counts of others (fractional counts allowed; module choice 1).

    Returns
    -------
    int or int64 ndarray, shape (...)
        The number defected at the fixed point: a Python int for one population.

    References
    ----------
    Granovetter (1978), doi:10.1086/226707: thresholds 0, 1, ..., 99 give 100;
    changing the threshold 1 to 2 gives 1.

    Examples
    --------
    >>> cascade(range(100))
    100
    >>> cascade([0, 2, *range(2, 100)])
    1
    """
    result = cascade_fixed_point(thresholds)
    return int(result) if result.ndim == 0 else result


def _defected_share(status: np.ndarray) -> np.ndarray:
    """float64 (B,): DEFECTED elites over non-PURGED elites (0 when all are purged)."""
    in_circle = np.count_nonzero(status != Elite.PURGED, axis=-1)
    return _share_level(np.count_nonzero(status == Elite.DEFECTED, axis=-1), in_circle)


def init_inner_circle(params: CascadeParams, streams: WorldStreams) -> InnerCircleState:
    """Draw every world's elites: all loyal, with clipped-normal thresholds and loyalties.

    Parameters
    ----------
    params : CascadeParams
    streams : WorldStreams
        The inner-circle stream of each of the B worlds.

    Returns
    -------
    InnerCircleState
        Shapes (B, E) with E = ``params.n_elites``.
    """
    n_worlds, n_elites = len(streams), params.n_elites
    normal = streams.normal((2, n_elites))
    column = partial(per_world_column, n_worlds=n_worlds)
    threshold = np.clip(column(params.threshold_mean) + column(params.threshold_spread) * normal[:, 0], 0.0, 1.0)
    loyalty = np.clip(column(params.loyalty_mean) + column(params.loyalty_spread) * normal[:, 1], 0.0, 1.0)
    return InnerCircleState(
        loyalty=loyalty,
        threshold=threshold,
        status=np.full((n_worlds, n_elites), Elite.LOYAL, dtype=np.int8),
    )


def step_inner_circle(
    state: InnerCircleState, params: CascadeParams, drivers: InnerCircleDrivers, streams: WorldStreams
) -> tuple[InnerCircleState, InnerCircleRecord]:
    """One week of the inner circle: outreach, exposure, purges, cascade, coup.

    Parameters
    ----------
    state : InnerCircleState
        Shapes (B, E).
    params : CascadeParams
    drivers : InnerCircleDrivers
        Outreach, last week's survival threat and paranoia, each float64 (B,).
    streams : WorldStreams
        The inner-circle stream of each world (B generators).

    Returns
    -------
    new_state : InnerCircleState
    record : InnerCircleRecord
    """
    n_worlds, n_elites = state.status.shape
    column = partial(per_world_column, n_worlds=n_worlds)
    draws = streams.uniform((3 * n_elites + 1,))
    contact_draw, exposure_draw, purge_draw = (draws[:, i * n_elites : (i + 1) * n_elites] for i in range(3))
    coup_draw = draws[:, -1]

    # Outreach (choice 4).
    status = state.status
    is_reachable = (status == Elite.LOYAL) | (status == Elite.WAVERING)
    contact_probability = np.clip(column(params.contact_rate) * column(drivers.outreach), 0.0, 1.0)
    is_contacted = is_reachable & (contact_draw < contact_probability)
    drop = (
        column(params.contact_threshold_drop)
        * (1.0 - state.loyalty)
        * (1.0 + column(params.threat_amplification) * column(drivers.survival_threat))
    )
    threshold = np.where(is_contacted, np.maximum(state.threshold - drop, 0.0), state.threshold)
    status = np.where(is_contacted & (status == Elite.LOYAL), Elite.WAVERING, status)
    is_exposed = is_contacted & (exposure_draw < column(params.exposure_probability))

    # Purges (choice 7), from last week's paranoia.
    wavering_purge = np.clip(column(params.purge_rate) * column(drivers.paranoia), 0.0, 1.0)
    purge_probability = np.where(
        status == Elite.WAVERING,
        wavering_purge,
        np.where(status == Elite.LOYAL, wavering_purge * column(params.mistaken_purge_ratio), 0.0),
    )
    is_purged = purge_draw < purge_probability
    is_mistaken = is_purged & (status == Elite.LOYAL)
    status = np.where(is_purged, Elite.PURGED, status)
    purges = np.count_nonzero(is_purged, axis=-1)
    is_remaining = (status == Elite.LOYAL) | (status == Elite.WAVERING)
    shifted = np.clip(threshold + column(params.purge_threshold_shift) * purges[:, None], 0.0, 1.0)
    threshold = np.where(is_remaining, shifted, threshold)

    # Public cascade among the non-purged (choice 2): the already defected count from the
    # start (-inf), the purged never (+inf).
    is_in_circle = status != Elite.PURGED
    was_defected = status == Elite.DEFECTED
    in_circle = np.count_nonzero(is_in_circle, axis=-1)
    cascade_thresholds = np.where(was_defected, -np.inf, np.where(is_in_circle, threshold, np.inf))
    defected = cascade_fixed_point(cascade_thresholds, population=in_circle)
    # The same share expression as inside the iteration, so exactly the counted elites defect.
    level = _share_level(defected, in_circle)
    is_new_defection = is_in_circle & ~was_defected & (threshold <= level[:, None])
    status = np.where(is_new_defection, Elite.DEFECTED, status).astype(np.int8)
    defected_share = _defected_share(status)

    # Removal by insiders (choice 8).
    is_coup = (defected_share >= per_world(params.coup_level, n_worlds)) & (
        coup_draw < per_world(params.coup_probability, n_worlds)
    )

    new_state = InnerCircleState(loyalty=state.loyalty, threshold=threshold, status=status)
    record = InnerCircleRecord(
        contacts=np.count_nonzero(is_contacted, axis=-1).astype(np.int64),
        exposures=np.count_nonzero(is_exposed, axis=-1).astype(np.int64),
        defections=np.count_nonzero(is_new_defection, axis=-1).astype(np.int64),
        purges=purges.astype(np.int64),
        mistaken_purges=np.count_nonzero(is_mistaken, axis=-1).astype(np.int64),
        defected_share=defected_share,
        is_coup=is_coup,
    )
    return new_state, record
