"""The inner circle: a selectorate whose loyalty rests on rents, the war and the regime's
prospects; a threshold cascade of public defections; coup-proofing purges; coups.

Mechanism
---------
Each of E elites defects publicly once enough others have done so. Granovetter's
threshold model gives the dynamics: with F(r) the number of people whose threshold is at
most r, the number defected follows r(t+1) = F(r(t)) from r(0) = 0 and stops at the
least fixed point r* = F(r*). Kuran's preference falsification reads the same model as
elites who privately waver but defect publicly only when it is safe.

What moves the thresholds is the selectorate's bargain (Bueno de Mesquita et al. 2003):
an elite stays loyal for private goods (rents), which sanctions cut once their bite sets
in, for a war that goes well and for a regime that looks likely to survive. Outside
outreach lowers a contacted elite's threshold further. The leader purges on evidence —
exposed contacts and wavering he has observed — to coup-proof his rule (Sudduth 2017;
Svolik 2012): a purge removes potential plotters, so it lowers coup capacity in the
short run, at a cost in competence (``war``) and in the fear or resentment of the rest.
When the defected share of the circle reaches the coup level, insiders attempt a coup;
it succeeds with a probability near the published 48% (Powell & Thyne 2011), and a
failed coup is followed by a purge wave.

Sources
-------
- M. Granovetter, "Threshold Models of Collective Behavior", American Journal of
  Sociology 83(6), 1420-1443 (1978), doi:10.1086/226707.
- T. Kuran, "Now out of Never", World Politics 44(1), 7-48 (1991), doi:10.2307/2010422.
- B. Bueno de Mesquita, A. Smith, R. M. Siverson, J. D. Morrow, *The Logic of Political
  Survival* (2003); A. Escriba-Folch and J. Wright, "Dealing with Tyranny", International
  Studies Quarterly 54(2), 335-359 (2010): sanctions destabilise personalist rulers
  through their coalitions, by cutting rents.
- J. K. Sudduth, "Strategic Logic of Elite Purges in Dictatorships", Comparative
  Political Studies 50(13) (2017); M. W. Svolik, *The Politics of Authoritarian Rule*
  (2012): coup-proofing.
- J. M. Powell and C. L. Thyne, "Global instances of coups from 1950 to 2010", Journal of
  Peace Research 48(2), 249-259 (2011): 48% of attempts succeed.

Choices and deviations (numbered, referred to in the docs)
----------------------------------------------------------
1. :func:`cascade` takes thresholds as *counts* of others already defected, as in
   Granovetter's examples. Fractional counts are accepted and compared with the count as
   they are (a threshold of 1.5 needs 2 others); NaN never defects; -inf always does,
   +inf never (used below to mark the already defected and the purged).
2. The inner circle measures thresholds and the defected share D as shares of the
   **original** circle (E elites): a purge removes people who could defect and never
   raises D. D is the coup-relevant share.
3. Initial base thresholds and loyalties are normal draws clipped to [0, 1]. Loyalty is
   a fixed trait: it scales how much a contact lowers the threshold, (1 - loyalty).
4. Effective threshold = base - rent_effect (1 - R) + war_effect X - survival_effect Theta
   + C (the purge climate, choice 7),
   with rents R <- R + (1 - rent_cut M - R)(1 - e^{-1/rent_weeks}) (the bite of sanctions
   reaches the elites' private goods with a lag), X the war score and Theta the survival
   threat (last week's). The cascade runs on effective thresholds.
5. Outreach contacts each loyal or wavering elite with weekly probability
   min(1, contact_rate * outreach). A contact lowers the base threshold by
   contact_threshold_drop * (1 - loyalty) * (1 + threat_amplification * Theta) (floored
   at 0) and leaves the elite wavering for good. Each contact is exposed to the leader
   with probability ``exposure_probability``; an exposed elite becomes a suspect.
6. An elite is wavering when contacted or when his effective threshold is below
   ``wavering_level`` (he would follow a few defectors); the leader notices a wavering
   elite with weekly probability ``detection_rate``, and that elite becomes a suspect.
   The leader never learns of an unexposed contact.
7. Purges, from last week's paranoia pi: a suspect (defected ones included: public
   defection is evidence) is purged with weekly probability min(1, purge_rate pi); an
   unsuspected loyal or wavering elite by mistake with mistaken_purge_ratio times that.
   A purge acts at once only by removing people (coup-proofing: capacity falls in the
   short run). What it does to the rest builds up over months: the purge climate C
   relaxes toward ``purge_threshold_shift`` x (purges so far) with time constant
   ``purge_climate_weeks`` and is added to every effective threshold: positive is fear,
   negative is resentment; the sign is an explored uncertainty (claim C8). (A shift
   applied in the purge's own week would let a purge raise the coup risk of the next
   weeks, against the short-run logic of coup-proofing.)
8. Coup: while D >= coup_level, insiders attempt a coup with weekly probability
   ``coup_attempt_rate``; it succeeds with probability ``coup_success``
   (:func:`coup_probability`). A failed coup purges each defected elite with probability
   ``failed_coup_purge`` at once, and the leader's paranoia jumps (``leader``).
9. Within a week the order is: rents and the purge climate, contacts and exposures,
   wavering and detection, purges, the public cascade, the coup. Each world draws one
   block of 5E + 2 uniforms per step (contact, exposure, detection, purge, failed-coup
   purge per elite; coup attempt and success), so a world's draws do not depend on the
   others.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from functools import partial

import numpy as np
from numpy.typing import ArrayLike

from offramp.model._broadcast import per_world, per_world_column, relax
from offramp.model.streams import WorldStreams

__all__ = [
    "Elite",
    "CascadeParams",
    "InnerCircleState",
    "InnerCircleDrivers",
    "InnerCircleRecord",
    "cascade",
    "cascade_fixed_point",
    "coup_probability",
    "effective_thresholds",
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
    are mirrored in the scenario schema, which is generated from this class.

    Attributes
    ----------
    n_elites : int
        E, elites in the inner circle (structural: the same for every world) [elites].
        Default 12.
    threshold_mean : float
        Mean initial base threshold, as a share of the circle publicly defected [share].
        Default 0.5: an elite needs half the circle to go first.
    threshold_spread : float
        Standard deviation of the base thresholds before clipping to [0, 1] [share].
        Default 0.15.
    loyalty_mean : float
        Mean loyalty (resistance to outreach) in [0, 1] [-]. Default 0.6.
    loyalty_spread : float
        Standard deviation of loyalty before clipping to [0, 1] [-]. Default 0.2.
    rent_cut : float
        Share of the elites' rents that full economic pain cuts [-]. Default 0.8.
    rent_weeks : float
        Time constant with which rents follow the pain of sanctions [weeks]. Default 13.
    rent_effect : float
        Threshold drop when rents are gone [share]. Default 0.25.
    war_effect : float
        Threshold rise per unit of war score (a losing war lowers it) [share/x]. Default 0.15.
    survival_effect : float
        Threshold drop at full survival threat (elites leave a sinking regime) [share].
        Default 0.15.
    contact_rate : float
        Weekly probability that full outreach (1) contacts a given loyal or wavering elite
        [1/week]. Default 0.25.
    contact_threshold_drop : float
        Threshold drop per contact for a disloyal elite (loyalty 0) at no survival threat
        [share]. Default 0.08.
    threat_amplification : float
        Relative increase of the drop at full survival threat (Theta = 1) [-]. Default 1.
    exposure_probability : float
        Probability that a contact is exposed to the leader [-]. Default 0.15.
    wavering_level : float
        Effective threshold below which an elite wavers visibly [share]. Default 0.3.
    detection_rate : float
        Weekly probability that the leader notices a wavering elite [1/week]. Default 0.05.
    purge_rate : float
        Weekly probability that a suspect is purged at full paranoia [1/week]. Default 0.5.
    mistaken_purge_ratio : float
        Purge probability of an unsuspected elite relative to a suspect [-]. Default 0.05.
    purge_threshold_shift : float
        Signed shift of every elite's threshold per purge, once the purge climate has
        built up [share/purge]: positive is fear, negative is resentment. Default 0.
    purge_climate_weeks : float
        Time constant with which fear or resentment of purges builds up [weeks]. Default 26.
    coup_level : float
        The defected share of the circle at which insiders can attempt a coup [share].
        Default 0.4.
    coup_attempt_rate : float
        Weekly probability of an attempt while the defected share is at the coup level
        [1/week]. Default 0.3.
    coup_success : float
        Probability that an attempt removes the leader [-]. Default 0.48.
    failed_coup_purge : float
        Probability that a failed coup's defected elite is purged at once [-]. Default 0.8.
    """

    n_elites: int = 12
    threshold_mean: float | np.ndarray = 0.5
    threshold_spread: float | np.ndarray = 0.15
    loyalty_mean: float | np.ndarray = 0.6
    loyalty_spread: float | np.ndarray = 0.2
    rent_cut: float | np.ndarray = 0.8
    rent_weeks: float | np.ndarray = 13.0
    rent_effect: float | np.ndarray = 0.25
    war_effect: float | np.ndarray = 0.15
    survival_effect: float | np.ndarray = 0.15
    contact_rate: float | np.ndarray = 0.25
    contact_threshold_drop: float | np.ndarray = 0.08
    threat_amplification: float | np.ndarray = 1.0
    exposure_probability: float | np.ndarray = 0.15
    wavering_level: float | np.ndarray = 0.3
    detection_rate: float | np.ndarray = 0.05
    purge_rate: float | np.ndarray = 0.5
    mistaken_purge_ratio: float | np.ndarray = 0.05
    purge_threshold_shift: float | np.ndarray = 0.0
    purge_climate_weeks: float | np.ndarray = 26.0
    coup_level: float | np.ndarray = 0.4
    coup_attempt_rate: float | np.ndarray = 0.3
    coup_success: float | np.ndarray = 0.48
    failed_coup_purge: float | np.ndarray = 0.8


@dataclass(frozen=True, slots=True)
class InnerCircleState:
    """The elites of every world.

    Attributes
    ----------
    loyalty : float64 (B, E)
        Loyalty in [0, 1]; a fixed trait (choice 3).
    threshold : float64 (B, E)
        Base defection threshold as a share of the circle, in [0, 1] (choice 4).
    status : int8 (B, E)
        :class:`Elite` code.
    is_contacted : bool (B, E)
        Contacted by outreach at least once (wavering for good).
    is_suspect : bool (B, E)
        The leader holds evidence against the elite (choices 5-6).
    rents : float64 (B,)
        R, the elites' private goods relative to before the war, in [0, 1].
    purges : float64 (B,)
        Purges so far.
    purge_climate : float64 (B,)
        C, the fear (> 0) or resentment (< 0) purges have bred so far [share] (choice 7).
    """

    loyalty: np.ndarray
    threshold: np.ndarray
    status: np.ndarray
    is_contacted: np.ndarray
    is_suspect: np.ndarray
    rents: np.ndarray
    purges: np.ndarray
    purge_climate: np.ndarray

    @property
    def defected_share(self) -> np.ndarray:
        """float64 (B,): publicly defected elites as a share of the original circle."""
        return _defected_share(self.status)


@dataclass(frozen=True, slots=True)
class InnerCircleDrivers:
    """Inputs of one week, each float64 (B,).

    Attributes
    ----------
    outreach : float64 (B,)
        omega, the coercer's outreach lever in [0, 1].
    survival_threat : float64 (B,)
        Theta, the regime's survival threat in [0, 1] (last week's, from the leader).
    paranoia : float64 (B,)
        pi, the leader's paranoia in [0, 1] (last week's).
    economic_pain : float64 (B,)
        M, last week's economic pain in [0, 1].
    war_score : float64 (B,)
        X, last week's war score [x].
    """

    outreach: np.ndarray
    survival_threat: np.ndarray
    paranoia: np.ndarray
    economic_pain: np.ndarray
    war_score: np.ndarray


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
        Elites purged this week (the competence cost the leader pays), mistaken ones and
        the purge wave after a failed coup included.
    mistaken_purges : int64 (B,)
        Of those, unsuspected elites purged by mistake.
    defected_share : float64 (B,)
        D after the week (after a failed coup's purge wave).
    coup_attempts : int64 (B,)
        Coups attempted this week (0 or 1).
    failed_coups : int64 (B,)
        Coups that failed this week (0 or 1).
    is_coup : bool (B,)
        The leader was removed by insiders this week.
    """

    contacts: np.ndarray
    exposures: np.ndarray
    defections: np.ndarray
    purges: np.ndarray
    mistaken_purges: np.ndarray
    defected_share: np.ndarray
    coup_attempts: np.ndarray
    failed_coups: np.ndarray
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
    """float64 (B,): DEFECTED elites over the original circle (choice 2)."""
    return np.count_nonzero(status == Elite.DEFECTED, axis=-1) / status.shape[-1]


def coup_probability(defected_share: ArrayLike, params: CascadeParams) -> np.ndarray:
    """Weekly probability that insiders remove the leader at a defected share D (choice 8):
    coup_attempt_rate * coup_success while D >= coup_level, else 0.

    Parameters
    ----------
    defected_share : float or float64 (B,)
        D, as a share of the original circle.
    params : CascadeParams

    Returns
    -------
    float64 ndarray, shape of ``defected_share`` broadcast against the parameters.
    """
    share = np.asarray(defected_share, np.float64)
    at_level = share >= np.asarray(params.coup_level, np.float64)
    rate = np.asarray(params.coup_attempt_rate, np.float64) * np.asarray(params.coup_success, np.float64)
    return np.where(at_level, rate, 0.0)


def effective_thresholds(state: InnerCircleState, drivers: InnerCircleDrivers, params: CascadeParams) -> np.ndarray:
    """Each elite's effective threshold (choice 4), from his base threshold, the rents,
    the war score and the survival threat.

    Parameters
    ----------
    state : InnerCircleState
        Base thresholds (B, E) and rents (B,).
    drivers : InnerCircleDrivers
    params : CascadeParams

    Returns
    -------
    float64 (B, E), in [0, 1].
    """
    column = partial(per_world_column, n_worlds=state.threshold.shape[0])
    shift = (
        -column(params.rent_effect) * (1.0 - state.rents[:, None])
        + column(params.war_effect) * np.clip(drivers.war_score, -1.0, 1.0)[:, None]
        - column(params.survival_effect) * drivers.survival_threat[:, None]
        + state.purge_climate[:, None]
    )
    return np.clip(state.threshold + shift, 0.0, 1.0)


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
    flags = np.zeros((n_worlds, n_elites), dtype=bool)
    return InnerCircleState(
        loyalty=loyalty,
        threshold=threshold,
        status=np.full((n_worlds, n_elites), Elite.LOYAL, dtype=np.int8),
        is_contacted=flags.copy(),
        is_suspect=flags.copy(),
        rents=np.ones(n_worlds),
        purges=np.zeros(n_worlds),
        purge_climate=np.zeros(n_worlds),
    )


def step_inner_circle(
    state: InnerCircleState, params: CascadeParams, drivers: InnerCircleDrivers, streams: WorldStreams
) -> tuple[InnerCircleState, InnerCircleRecord]:
    """One week of the inner circle (order: choice 9).

    Parameters
    ----------
    state : InnerCircleState
        Shapes (B, E).
    params : CascadeParams
    drivers : InnerCircleDrivers
    streams : WorldStreams
        The inner-circle stream of each world (B generators).

    Returns
    -------
    new_state : InnerCircleState
    record : InnerCircleRecord
    """
    n_worlds, n_elites = state.status.shape
    column = partial(per_world_column, n_worlds=n_worlds)
    p = partial(per_world, n_worlds=n_worlds)
    draws = streams.uniform((5 * n_elites + 2,))
    contact_draw, exposure_draw, detection_draw, purge_draw, wave_draw = (
        draws[:, i * n_elites : (i + 1) * n_elites] for i in range(5)
    )
    attempt_draw, success_draw = draws[:, -2], draws[:, -1]

    # Rents (choice 4); the purge climate builds toward what past purges bred (choice 7).
    rents = relax(state.rents, 1.0 - p(params.rent_cut) * drivers.economic_pain, p(params.rent_weeks))
    climate = relax(state.purge_climate, p(params.purge_threshold_shift) * state.purges, p(params.purge_climate_weeks))

    # Outreach and exposure (choice 5).
    status = state.status
    is_reachable = (status == Elite.LOYAL) | (status == Elite.WAVERING)
    contact_probability = np.clip(column(params.contact_rate) * column(drivers.outreach), 0.0, 1.0)
    is_contacted_now = is_reachable & (contact_draw < contact_probability)
    drop = (
        column(params.contact_threshold_drop)
        * (1.0 - state.loyalty)
        * (1.0 + column(params.threat_amplification) * column(drivers.survival_threat))
    )
    threshold = np.where(is_contacted_now, np.maximum(state.threshold - drop, 0.0), state.threshold)
    is_contacted = state.is_contacted | is_contacted_now
    is_exposed = is_contacted_now & (exposure_draw < column(params.exposure_probability))
    is_suspect = state.is_suspect | is_exposed

    # Wavering and its detection (choice 6).
    with_rents = InnerCircleState(
        state.loyalty, threshold, status, is_contacted, is_suspect, rents, state.purges, climate
    )
    effective = effective_thresholds(with_rents, drivers, params)
    is_wavering = is_reachable & (is_contacted | (effective < column(params.wavering_level)))
    status = np.where(is_reachable, np.where(is_wavering, Elite.WAVERING, Elite.LOYAL), status)
    is_suspect = is_suspect | (is_wavering & (detection_draw < column(params.detection_rate)))

    # Purges on evidence (choice 7), from last week's paranoia. Public defection is
    # evidence: a defected elite is purged at a suspect's rate, suspected or not.
    suspect_purge = np.clip(column(params.purge_rate) * column(drivers.paranoia), 0.0, 1.0)
    is_in_circle = status != Elite.PURGED
    has_evidence = is_suspect | (status == Elite.DEFECTED)
    purge_probability = np.where(
        has_evidence,
        suspect_purge,
        np.where(is_reachable, suspect_purge * column(params.mistaken_purge_ratio), 0.0),
    )
    is_purged = is_in_circle & (purge_draw < purge_probability)
    is_mistaken = is_purged & ~has_evidence
    status = np.where(is_purged, Elite.PURGED, status)
    purges = np.count_nonzero(is_purged, axis=-1)
    is_remaining = (status == Elite.LOYAL) | (status == Elite.WAVERING)

    # Public cascade among those still in the circle, shares of the original circle
    # (choice 2): the defected count from the start (-inf), the purged never (+inf).
    was_defected = status == Elite.DEFECTED
    cascade_thresholds = np.where(was_defected, -np.inf, np.where(status != Elite.PURGED, effective, np.inf))
    population = np.full(n_worlds, n_elites)
    defected = cascade_fixed_point(cascade_thresholds, population=population)
    # The same share expression as inside the iteration, so exactly the counted elites defect.
    level = _share_level(defected, population)
    is_new_defection = is_remaining & (effective <= level[:, None])
    status = np.where(is_new_defection, Elite.DEFECTED, status)

    # Coup (choice 8).
    is_attempt = (_defected_share(status) >= p(params.coup_level)) & (attempt_draw < p(params.coup_attempt_rate))
    is_coup = is_attempt & (success_draw < p(params.coup_success))
    is_failed = is_attempt & ~is_coup
    is_wave = is_failed[:, None] & (status == Elite.DEFECTED) & (wave_draw < column(params.failed_coup_purge))
    status = np.where(is_wave, Elite.PURGED, status).astype(np.int8)

    new_state = InnerCircleState(
        loyalty=state.loyalty,
        threshold=threshold,
        status=status,
        is_contacted=is_contacted,
        is_suspect=is_suspect,
        rents=rents,
        purges=state.purges + purges + np.count_nonzero(is_wave, axis=-1),
        purge_climate=climate,
    )
    record = InnerCircleRecord(
        contacts=np.count_nonzero(is_contacted_now, axis=-1).astype(np.int64),
        exposures=np.count_nonzero(is_exposed, axis=-1).astype(np.int64),
        defections=np.count_nonzero(is_new_defection, axis=-1).astype(np.int64),
        purges=(purges + np.count_nonzero(is_wave, axis=-1)).astype(np.int64),
        mistaken_purges=np.count_nonzero(is_mistaken, axis=-1).astype(np.int64),
        defected_share=_defected_share(status),
        coup_attempts=is_attempt.astype(np.int64),
        failed_coups=is_failed.astype(np.int64),
        is_coup=is_coup,
    )
    return new_state, record
