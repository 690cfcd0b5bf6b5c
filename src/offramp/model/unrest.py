"""Civil unrest in a periphery region: Epstein's civil-violence model, batched.

Source: J. M. Epstein, "Modeling civil violence: An agent-based computational approach",
PNAS 99 (suppl. 3), 7243-7250 (2002), doi:10.1073/pnas.092080199. The ``mesa`` variant
follows Mesa 3.x's ``EpsteinCivilViolence`` example, the engine's external reference.

Every array carries a leading grid axis G (one grid per world, or per world and region in
the coupled model), then the H x W torus. One call of :func:`step_unrest` is one engine
step ("cycle" in Epstein's words) for all grids at once: one call of a compiled kernel
(:mod:`offramp.model.unrest_kernel`) that loops over the grids and, inside each, over the
agents one at a time.

Rules (both variants)
---------------------
- citizen: hardship H ~ U(0,1), risk aversion R ~ U(0,1); grievance G = H (1 - L);
- estimated arrest probability P = 1 - exp(-k * op(C / A)), C the police on duty and A
  the active citizens within the citizen's vision, A counting the citizen herself;
  ``op`` is the named C/A operator (:class:`RatioRounding`);
- a free citizen is active iff G - R P > T, else quiet;
- each police officer on duty arrests one random active citizen within its vision; the
  jail term is U{0 .. J_max} steps, inclusive;
- every free agent moves to a uniformly random empty cell within its vision.

Choices and deviations (numbered, referred to in the docs)
----------------------------------------------------------
1. Jailed citizens keep their cell (Mesa); the cell is not empty while they serve.
   A jailed citizen with ``jail_steps > 0`` counts down one step and does nothing else;
   one with ``jail_steps == 0`` is free again at her activation (Mesa's
   ``if self.jail_sentence``): she decides, and moves.
2. ``mesa``: Mesa's random sequential activation, exactly. Each step draws a fresh
   uniform order of all agents (citizens, and police on duty); each acts in turn on the
   grid as the agents before it left it: a citizen counts down her term, or decides and
   then moves; a police officer arrests and then moves. ``move_attempts`` plays no part
   here: an agent acting alone always gets the cell it picks, so no cell is contested.
3. As a consequence of 2 (and as in Mesa), a citizen arrested before her own activation
   in a step counts down at it in the same step: her term is effectively one step
   shorter, and a term of 0 frees her at once. A citizen whose term ran out after her
   activation stays jailed (and is counted so) until her next one.
4. ``paper``: Epstein's simultaneous update. All citizens count down or decide from the
   grid as the step found it; then every officer on duty picks an active citizen in
   sight, and where two pick the same citizen the one with the smaller order key
   arrests, the other picking once more among the active citizens still free (a second
   pick), then giving up; then every free agent moves: movers pick a uniformly random
   cell among those empty at the start of a movement round, the smallest order key
   wins a contested cell, and the others try again in the next round, up to
   ``move_attempts`` rounds. No agent is favoured by its position on the grid. This is
   the former whole-array engine's simultaneous update, bit for bit on the same random
   words.
5. A random choice within vision (an empty cell, an active citizen) is the rank-th
   candidate in the canonical order of :func:`offramp.model.grid.diamond_offsets`, the
   rank ``floor(word * n / 2**32)`` for a uint32 word and n candidates.
6. Police off duty (the coupled model's allocation) occupy their cell, neither count in
   citizens' estimates nor arrest nor move, and are not in the ``mesa`` order. Which
   officers are on duty is a fixed random rank per officer: the first
   ``police_on_duty`` ranks serve.
7. The coupled model lowers the *perceived* arrest probability by multiplying P by a
   factor in [0, 1] (organised opposition); 1 reproduces Epstein.
8. Hardship and risk aversion are stored as float32 with 24 random bits (quantized to
   2**-24) and promoted to float64 for the rule, so the rule's arithmetic is float64 as in
   Mesa and the paper, and L >= 0.9 gives no activity exactly.
9. Random words: each generator draws one block of uint32 words per step for its grids
   (:func:`draw_rows` rows per cell). In ``mesa`` the first row drives the shuffle and
   the agent k-th in the order reads word k of the others; in ``paper`` every agent reads
   its words at the cell where it started the step. A world's results therefore do not
   depend on the batch, its order, the chunks or the number of threads.
"""

from __future__ import annotations

import itertools
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import ArrayLike

from offramp.model.streams import WorldStreams
from offramp.model.variants import RatioRounding, Variant

__all__ = [
    "Occupant",
    "Citizen",
    "Variant",
    "RatioRounding",
    "UnrestParams",
    "UnrestDrivers",
    "UnrestState",
    "UnrestRecord",
    "init_unrest",
    "step_unrest",
    "citizen_counts",
    "arrest_probability",
    "draw_rows",
    "advance_with_words",
]

_TWO32 = np.float64(2.0**32)


#: Officers on duty when a caller sets no allocation: all of them.
_ALL_ON_DUTY = int(np.iinfo(np.int32).max)


class Occupant(IntEnum):
    """What stands on a cell."""

    EMPTY = 0
    CITIZEN = 1
    POLICE = 2


class Citizen(IntEnum):
    """A citizen's state; the same codes order the count columns (quiet, active, jailed)."""

    QUIET = 0
    ACTIVE = 1
    JAILED = 2


@dataclass(frozen=True, slots=True)
class UnrestParams:
    """Parameters of the unrest engine (no defaults here: they live in the scenario schema).

    Attributes
    ----------
    height, width : int
        Grid size in cells (structural: the same for every grid of a batch).
    citizen_density, police_density : float or float64 (G,)
        Probability that a cell starts with a citizen / a police officer.
    citizen_vision, police_vision : int
        Von Neumann vision radius in cells (structural).
    max_jail_steps : int or int64 (G,)
        J_max: jail terms are drawn from 0 .. J_max steps inclusive (<= 30000).
    arrest_constant : float or float64 (G,)
        k in P = 1 - exp(-k op(C/A)).
    variant : Variant
        Rule variant: ``mesa``, Mesa's random sequential activation (choice 2), or
        ``paper``, Epstein's simultaneous update (choice 4).
    ratio_rounding : RatioRounding
        The C/A operator.
    movement : bool
        Whether free agents move.
    move_attempts : int
        Movement rounds of the ``paper`` variant, >= 1: a mover that lost a contested
        cell tries again until it has had this many (choice 4). ``mesa`` never contests
        a cell and does not read it (choice 2).
    """

    height: int
    width: int
    citizen_density: float | np.ndarray
    police_density: float | np.ndarray
    citizen_vision: int
    police_vision: int
    max_jail_steps: int | np.ndarray
    arrest_constant: float | np.ndarray
    variant: Variant
    ratio_rounding: RatioRounding
    movement: bool
    move_attempts: int


@dataclass(frozen=True, slots=True)
class UnrestDrivers:
    """Inputs that the coupled model (or a schedule) sets for each step.

    Attributes
    ----------
    legitimacy : float64 (G,)
        Regime legitimacy L in [0, 1].
    active_threshold : float64 (G,)
        Activation threshold T.
    police_on_duty : int64 (G,)
        How many police officers are on duty (ranks below this serve).
    perceived_risk_factor : float64 (G,)
        Multiplies the estimated arrest probability, in [0, 1]; 1 is Epstein's rule.
    """

    legitimacy: np.ndarray
    active_threshold: np.ndarray
    police_on_duty: np.ndarray
    perceived_risk_factor: np.ndarray

    @classmethod
    def constant(
        cls,
        grids: int,
        legitimacy: ArrayLike,
        active_threshold: ArrayLike,
        police_on_duty: ArrayLike = _ALL_ON_DUTY,
        perceived_risk_factor: ArrayLike = 1.0,
    ) -> UnrestDrivers:
        """Drivers broadcast to G grids.

        Parameters
        ----------
        grids : int
            G.
        legitimacy, active_threshold : float or float64 (G,)
            L and T.
        police_on_duty : int or int64 (G,)
            Police officers on duty (ranks below it serve); all by default.
        perceived_risk_factor : float or float64 (G,)
            Multiplies the estimated arrest probability; 1 is Epstein's rule.

        Returns
        -------
        UnrestDrivers
        """
        return cls(
            legitimacy=np.broadcast_to(np.asarray(legitimacy, np.float64), (grids,)),
            active_threshold=np.broadcast_to(np.asarray(active_threshold, np.float64), (grids,)),
            police_on_duty=np.broadcast_to(np.asarray(police_on_duty, np.int64), (grids,)),
            perceived_risk_factor=np.broadcast_to(np.asarray(perceived_risk_factor, np.float64), (grids,)),
        )


@dataclass(frozen=True, slots=True)
class UnrestState:
    """The grids. Every field has shape (G, H, W); 14 bytes per cell in all.

    Attributes
    ----------
    occupant : int8 (G, H, W)
        :class:`Occupant` code.
    status : int8 (G, H, W)
        :class:`Citizen` code where a citizen stands, QUIET elsewhere.
    jail_steps : int16 (G, H, W)
        Steps a jailed citizen still has to serve before it is free again.
    hardship : float32 (G, H, W)
        H in [0, 1) where a citizen stands, 0 elsewhere.
    risk_aversion : float32 (G, H, W)
        R in [0, 1) where a citizen stands, 0 elsewhere.
    duty_rank : int16 (G, H, W)
        A police officer's rank for duty (0 serves first), -1 elsewhere.
    """

    occupant: np.ndarray
    status: np.ndarray
    jail_steps: np.ndarray
    hardship: np.ndarray
    risk_aversion: np.ndarray
    duty_rank: np.ndarray


@dataclass(frozen=True, slots=True)
class UnrestRecord:
    """What one step reports per grid (all int64 (G,)): citizen counts after the step,
    arrests made during it, and agents that moved."""

    quiet: np.ndarray
    active: np.ndarray
    jailed: np.ndarray
    arrests: np.ndarray
    moves: np.ndarray


def draw_rows(params: UnrestParams) -> int:
    """Rows of uint32 words drawn per cell per step.

    ``mesa``: the shuffle (word i for the i-th swap), then for the agent k-th in the
    shuffled order word k of: an officer's pick, the jail term it gives, and with
    movement the move. ``paper``: order key, pick (an officer's choice, a citizen's jail
    term), second pick, and with movement one row per movement round, each agent reading
    its words at the cell where it started the step.

    Parameters
    ----------
    params : UnrestParams

    Returns
    -------
    int
    """
    if params.variant == Variant.MESA:
        return 3 + int(params.movement)
    return 3 + (params.move_attempts if params.movement else 0)


def _unit(words: np.ndarray) -> np.ndarray:
    """float32 uniforms on [0, 1) from the top 24 bits of uint32 words (exact in float32)."""
    return ((words >> np.uint32(8)).astype(np.float32)) * np.float32(2.0**-24)


def init_unrest(params: UnrestParams, streams: WorldStreams, grids_per_stream: int = 1) -> UnrestState:
    """Populate G grids: each cell holds a citizen, a police officer or nothing.

    Parameters
    ----------
    params : UnrestParams
    streams : WorldStreams
        One generator per ``grids_per_stream`` consecutive grids (one per world for a
        world's K regions, say).
    grids_per_stream : int
        Grids each generator serves.

    Returns
    -------
    UnrestState
        Arrays shaped (G, H, W), G = len(streams) * grids_per_stream, C-contiguous.
    """
    grids, height, width = len(streams) * grids_per_stream, params.height, params.width
    words = streams.bits32((4, height * width), grids_per_stream).reshape(grids, 4, height, width)
    placement = words[:, 0] / _TWO32
    citizen_density = np.broadcast_to(np.asarray(params.citizen_density, np.float64), (grids,))[:, None, None]
    police_density = np.broadcast_to(np.asarray(params.police_density, np.float64), (grids,))[:, None, None]
    # Mesa draws each cell's occupant from cumulative weights (citizen, police, empty).
    is_citizen = placement < citizen_density
    is_police = ~is_citizen & (placement < citizen_density + police_density)
    occupant = np.where(is_citizen, Occupant.CITIZEN, np.where(is_police, Occupant.POLICE, Occupant.EMPTY))
    hardship = np.where(is_citizen, _unit(words[:, 1]), np.float32(0))
    risk_aversion = np.where(is_citizen, _unit(words[:, 2]), np.float32(0))
    # Duty ranks: police sorted by a random key, per grid (ties: the earlier cell first).
    key = np.where(is_police, words[:, 3].astype(np.int64), np.int64(1) << 40).reshape(grids, height * width)
    order = np.argsort(key, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(order.shape[1])[None, :], axis=1)
    duty_rank = np.where(is_police, rank.reshape(grids, height, width), -1)
    return UnrestState(
        occupant=occupant.astype(np.int8),
        status=np.zeros((grids, height, width), np.int8),
        jail_steps=np.zeros((grids, height, width), np.int16),
        hardship=hardship.astype(np.float32),
        risk_aversion=risk_aversion.astype(np.float32),
        duty_rank=duty_rank.astype(np.int16),
    )


def arrest_probability(
    police_seen: ArrayLike, actives_seen: ArrayLike, arrest_constant: ArrayLike, rounding: RatioRounding
) -> np.ndarray:
    """Estimated arrest probability P = 1 - exp(-k op(C/A)).

    Parameters
    ----------
    police_seen : int array
        C, police on duty within vision.
    actives_seen : int array
        A, active citizens within vision, counting the citizen herself (so A >= 1).
    arrest_constant : float or array
        k, broadcastable.
    rounding : RatioRounding
        The C/A operator.

    Returns
    -------
    numpy.ndarray
        float64, same shape.
    """
    ratio = np.asarray(police_seen, np.float64) / np.asarray(actives_seen, np.float64)
    if rounding is RatioRounding.ROUND:
        ratio = np.rint(ratio)  # half to even, like Python's round in Mesa
    elif rounding is RatioRounding.FLOOR:
        ratio = np.floor(ratio)  # NetLogo Rebellion
    return 1.0 - np.exp(-np.asarray(arrest_constant, np.float64) * ratio)


def citizen_counts(state: UnrestState) -> np.ndarray:
    """Citizens per state.

    Parameters
    ----------
    state : UnrestState

    Returns
    -------
    numpy.ndarray
        int64 (G, 3), columns in :class:`Citizen` order.
    """
    occupant, status = state.occupant, state.status
    # status is QUIET wherever no citizen stands, so count citizens and the other two.
    citizens = np.count_nonzero(occupant == Occupant.CITIZEN, axis=(1, 2))
    active = np.count_nonzero(status == Citizen.ACTIVE, axis=(1, 2))
    jailed = np.count_nonzero(status == Citizen.JAILED, axis=(1, 2))
    return np.stack([citizens - active - jailed, active, jailed], axis=1).astype(np.int64)


def step_unrest(
    state: UnrestState, params: UnrestParams, drivers: UnrestDrivers, streams: WorldStreams, *, threads: int = 1
) -> tuple[UnrestState, UnrestRecord]:
    """Advance every grid by one engine step.

    Parameters
    ----------
    state : UnrestState
        Grids at the start of the step (not modified).
    params : UnrestParams
    drivers : UnrestDrivers
        Legitimacy, threshold, police on duty and perceived-risk factor per grid (G,).
    streams : WorldStreams
        One generator per grid, or per group of consecutive grids (G must be a multiple
        of len(streams)); each draws ``draw_rows(params)`` uint32 words per cell of its
        grids.
    threads : int
        Threads the grids are split between (>= 1); results do not depend on it.

    Returns
    -------
    (UnrestState, UnrestRecord)
    """
    grids, height, width = state.occupant.shape
    per_stream = grids // len(streams) if len(streams) else 1
    rows = draw_rows(params)
    words = streams.bits32((rows, height * width), per_stream)
    return advance_with_words(state, params, drivers, words.reshape(grids, rows, height, width), threads=threads)


_STATE_FIELDS = ("occupant", "status", "jail_steps", "hardship", "risk_aversion", "duty_rank")
_STATE_DTYPES = (np.int8, np.int8, np.int16, np.float32, np.float32, np.int16)


def advance_with_words(
    state: UnrestState, params: UnrestParams, drivers: UnrestDrivers, words: np.ndarray, *, threads: int = 1
) -> tuple[UnrestState, UnrestRecord]:
    """The step, given its random words.

    :func:`step_unrest` draws the words; tests feed the same words to the loop-based
    reference and to this function.

    Parameters
    ----------
    state : UnrestState
        Grids at the start of the step (not modified).
    params : UnrestParams
    drivers : UnrestDrivers
    words : numpy.ndarray
        uint32 (G, draw_rows(params), H, W): grid g's words (:func:`draw_rows` says which
        agent reads which).
    threads : int
        Threads the grids are split between (>= 1); each runs the kernel on its own
        consecutive grids, so results do not depend on it.

    Returns
    -------
    (UnrestState, UnrestRecord)
    """
    from offramp.model import unrest_kernel  # compiled on first use (or loaded from its cache)

    grids, height, width = state.occupant.shape
    cells = height * width
    inputs = [
        np.ascontiguousarray(getattr(state, name), dtype).reshape(grids, cells)
        for name, dtype in zip(_STATE_FIELDS, _STATE_DTYPES, strict=True)
    ]
    outputs = [np.empty((grids, cells), dtype) for dtype in _STATE_DTYPES]
    record = np.empty((grids, 5), np.int64)
    words = np.ascontiguousarray(words, np.uint32).reshape(grids, words.shape[1], cells)
    per_grid = [
        np.ascontiguousarray(np.broadcast_to(np.asarray(value, dtype), (grids,)))
        for value, dtype in (
            (drivers.legitimacy, np.float64),
            (drivers.active_threshold, np.float64),
            (drivers.police_on_duty, np.int64),
            (drivers.perceived_risk_factor, np.float64),
            (params.arrest_constant, np.float64),
            (params.max_jail_steps, np.int64),
        )
    ]
    options = (
        int(height),
        int(width),
        int(params.citizen_vision),
        int(params.police_vision),
        unrest_kernel.ROUNDING_CODES[str(params.ratio_rounding)],
        bool(params.movement),
        params.variant == Variant.MESA,
        int(params.move_attempts),
    )

    def run(lo: int, hi: int) -> None:
        unrest_kernel.step_grids(  # type: ignore[call-arg]  # numba's Dispatcher stub takes no arguments
            *(array[lo:hi] for array in inputs),
            words[lo:hi],
            *(array[lo:hi] for array in per_grid),
            *options,
            *(array[lo:hi] for array in outputs),
            record[lo:hi],
        )

    bounds = np.linspace(0, grids, min(max(int(threads), 1), max(grids, 1)) + 1).astype(int)
    if len(bounds) == 2:
        run(0, grids)
    else:
        # The kernel releases the GIL: threads run the chunks at once.
        for future in [_executor(len(bounds) - 1).submit(run, lo, hi) for lo, hi in itertools.pairwise(bounds)]:
            future.result()
    new_state = UnrestState(
        **{name: array.reshape(grids, height, width) for name, array in zip(_STATE_FIELDS, outputs, strict=True)}
    )
    return new_state, UnrestRecord(
        quiet=record[:, 0], active=record[:, 1], jailed=record[:, 2], arrests=record[:, 3], moves=record[:, 4]
    )


_EXECUTORS: dict[tuple[int, int], ThreadPoolExecutor] = {}


def _executor(threads: int) -> ThreadPoolExecutor:
    """A thread pool per thread count, made once per process (a forked child makes its
    own: the parent's threads do not survive a fork)."""
    key = (os.getpid(), threads)
    if key not in _EXECUTORS:
        _EXECUTORS[key] = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="offramp-unrest")
    return _EXECUTORS[key]
