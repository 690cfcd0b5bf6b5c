"""What the coercer can see, and what the coalition lets it do: noisy, lagged
observations and the erosion of sanctions by coalition fatigue.

Mechanism
---------
No strategy reads the true state. Each week the coercer sees tension, the leader's
paranoia, unrest per region and the defected share of the inner circle as they were
``observation_lag`` weeks before, each read with proportional noise of scale
``observation_noise``: log-normal for tension, logit-normal for shares. The sanctions a
strategy asks for are capped by what the coalition still backs, exp(-fatigue_rate t)
in week t.

Sources
-------
- Intelligence on a closed regime is late and noisy: R. Jervis, *Why Intelligence
  Fails* (2010). The pace regulator (claim C7) needs timely, accurate readings of
  tension and paranoia; noise and lag are what it fails on.
- Sanctions coalitions erode over time: D. W. Drezner, *The Sanctions Paradox* (1999);
  G. C. Hufbauer et al., *Economic Sanctions Reconsidered* (3rd ed., 2007).

Choices (numbered, referred to in the docs)
-------------------------------------------
1. The coercer keeps the last ``MAX_LAG + 1`` weeks of the true quantities (week 0's
   values fill it at the start); a lag of L weeks reads the values the world had at the
   end of week t - 1 - L. The lag is a per-world parameter rounded to whole weeks.
2. Noise is proportional, so that no reading is biased by a bound: tension is read as
   Z exp(s eps) and a share q as expit(logit(q) + s eps), eps ~ N(0, 1), s =
   ``observation_noise`` (in log and log-odds units). A true 0 (no tension, nobody
   active) reads 0 and a share stays in [0, 1]; additive noise clipped at the bounds
   would read a calm week as tense and make the pace regulator throttle for nothing.
   One block of 3 + K normals per world per week from the coercer stream.
3. Coalition fatigue caps the sanctions, not the other levers: the attainable level is
   exp(-fatigue_rate t), 1 in the first week. Evasion, which erodes the bite rather than
   the level, is the war economy's (``war``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from offramp.model._broadcast import per_world
from offramp.model.coercer import Observation
from offramp.model.streams import WorldStreams

__all__ = [
    "MAX_LAG",
    "ObservationParams",
    "ObservationHistory",
    "init_history",
    "record_history",
    "observe",
    "attainable_sanctions",
]

MAX_LAG = 8
"""The longest observation lag a scenario may set [weeks]."""


@dataclass(frozen=True, slots=True)
class ObservationParams:
    """What the coercer sees and what its coalition backs.

    Every field is a scalar or a float64 array of shape (B,) when swept. Defaults are
    mirrored in the scenario schema (section ``coercer``), which is generated from this
    class.

    Attributes
    ----------
    observation_noise : float
        Scale of the noise on each observed quantity, in log units for tension and
        log-odds units for shares [-]. Default 0.2.
    observation_lag : float
        Age of the observations, rounded to whole weeks, at most 8 [weeks]. Default 1.
    fatigue_rate : float
        Rate at which the sanctions the coalition backs erode [1/week]. Default 0.003.
    """

    observation_noise: float | np.ndarray = 0.2
    observation_lag: float | np.ndarray = 1.0
    fatigue_rate: float | np.ndarray = 0.003


@dataclass(frozen=True, slots=True)
class ObservationHistory:
    """The last MAX_LAG + 1 weeks of what the coercer can observe, newest first.

    Attributes
    ----------
    tension, paranoia, defected_share : float64 (B, MAX_LAG + 1)
    unrest : float64 (B, MAX_LAG + 1, K)
    """

    tension: np.ndarray
    paranoia: np.ndarray
    defected_share: np.ndarray
    unrest: np.ndarray


def init_history(
    tension: np.ndarray, paranoia: np.ndarray, defected_share: np.ndarray, unrest: np.ndarray
) -> ObservationHistory:
    """A history filled with the values of week 0 (choice 1).

    Parameters
    ----------
    tension, paranoia, defected_share : float64 (B,)
    unrest : float64 (B, K)

    Returns
    -------
    ObservationHistory
    """
    depth = MAX_LAG + 1
    return ObservationHistory(
        tension=np.repeat(tension[:, None], depth, axis=1),
        paranoia=np.repeat(paranoia[:, None], depth, axis=1),
        defected_share=np.repeat(defected_share[:, None], depth, axis=1),
        unrest=np.repeat(unrest[:, None, :], depth, axis=1),
    )


def record_history(
    history: ObservationHistory,
    tension: np.ndarray,
    paranoia: np.ndarray,
    defected_share: np.ndarray,
    unrest: np.ndarray,
) -> ObservationHistory:
    """The history with this week's values in front and the oldest week dropped.

    Parameters
    ----------
    history : ObservationHistory
    tension, paranoia, defected_share : float64 (B,)
    unrest : float64 (B, K)

    Returns
    -------
    ObservationHistory
    """
    return ObservationHistory(
        tension=np.concatenate([tension[:, None], history.tension[:, :-1]], axis=1),
        paranoia=np.concatenate([paranoia[:, None], history.paranoia[:, :-1]], axis=1),
        defected_share=np.concatenate([defected_share[:, None], history.defected_share[:, :-1]], axis=1),
        unrest=np.concatenate([unrest[:, None, :], history.unrest[:, :-1, :]], axis=1),
    )


def observe(history: ObservationHistory, week: int, params: ObservationParams, streams: WorldStreams) -> Observation:
    """What the coercer sees at the start of a week (choices 1-2).

    Parameters
    ----------
    history : ObservationHistory
    week : int
        Weeks simulated so far.
    params : ObservationParams
    streams : WorldStreams
        The coercer stream of each world.

    Returns
    -------
    Observation
    """
    n_worlds, _, n_regions = history.unrest.shape
    p = partial(per_world, n_worlds=n_worlds)
    lag = np.clip(np.rint(p(params.observation_lag)), 0, MAX_LAG).astype(np.intp)
    rows = np.arange(n_worlds)
    noise = streams.normal((3 + n_regions,)) * p(params.observation_noise)[:, None]
    return Observation(
        week=week,
        tension=history.tension[rows, lag] * np.exp(noise[:, 0]),
        paranoia_estimate=_noisy_share(history.paranoia[rows, lag], noise[:, 1]),
        unrest=_noisy_share(history.unrest[rows, lag], noise[:, 3:]),
        defected_share=_noisy_share(history.defected_share[rows, lag], noise[:, 2]),
    )


def _noisy_share(share: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """expit(logit(q) + noise) (choice 2); 0 and 1 read as themselves."""
    share = np.clip(share, 0.0, 1.0)
    with np.errstate(divide="ignore"):  # logit(0) = -inf and logit(1) = inf read back exactly
        log_odds = np.log(share) - np.log1p(-share)
    # Where there is no noise the share is read exactly (the round trip through the
    # log-odds would move it by an ulp).
    return np.where(noise == 0.0, share, 1.0 / (1.0 + np.exp(-(log_odds + noise))))


def attainable_sanctions(week: int, params: ObservationParams, n_worlds: int) -> np.ndarray:
    """The sanctions the coalition still backs in a week (choice 3): exp(-fatigue_rate t).

    Parameters
    ----------
    week : int
        Weeks simulated so far (0 in the first week).
    params : ObservationParams
    n_worlds : int
        B.

    Returns
    -------
    float64 (B,), in (0, 1].
    """
    return np.exp(-per_world(params.fatigue_rate, n_worlds) * week)
