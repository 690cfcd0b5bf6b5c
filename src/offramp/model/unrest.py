"""Civil unrest in a periphery region: Epstein's civil-violence model, batched.

Source: J. M. Epstein, "Modeling civil violence: An agent-based computational approach",
PNAS 99 (suppl. 3), 7243-7250 (2002), doi:10.1073/pnas.092080199. The ``mesa`` variant
follows Mesa 3.x's ``EpsteinCivilViolence`` example, the engine's external reference.

Every array carries a leading grid axis G (one grid per world, or per world and region in
the coupled model), then the H x W torus. One call of :func:`step_unrest` is one engine
step ("cycle" in Epstein's words) for all grids at once; no Python loop runs over agents
or grids.

Rules (both variants)
---------------------
- citizen: hardship H ~ U(0,1), risk aversion R ~ U(0,1); grievance G = H (1 - L);
- estimated arrest probability P = 1 - exp(-k * op(C / A)), C the police on duty and A
  the active citizens within the citizen's vision, A counting the citizen herself;
  ``op`` is the named C/A operator (:class:`RatioRounding`);
- a free citizen is active iff G - R P > T, else quiet;
- each police officer on duty arrests one random active citizen within its vision; the
  jail term is U{0 .. J_max} steps, inclusive;
- every free agent then moves to a uniformly random empty cell within its vision.

Choices and deviations (numbered, referred to in the docs)
----------------------------------------------------------
1. Jailed citizens keep their cell (Mesa); the cell is not empty while they serve.
   A jailed citizen with ``jail_steps > 0`` counts down one step and does nothing else;
   one with ``jail_steps == 0`` is free again this step (Mesa's ``if self.jail_sentence``).
2. Random sequential activation in turns. Mesa activates all agents one at a time in a
   shuffled order; a vectorized engine cannot. Each step, every agent draws an order key
   that places it in one of ``turns`` turns, uniformly at random. Turns run one after
   the other; within a turn, agents act at once: the citizens whose turn it is decide
   (or count down their jail term), then the police officers whose turn it is arrest,
   then the agents whose turn it is move. An agent sees the grid as earlier turns left
   it. With one turn this is Epstein's simultaneous update (the ``paper`` variant); as
   the number of turns grows it becomes Mesa's random sequential update, and the
   default for the ``mesa`` variant was chosen by comparison with Mesa (docs/unrest.md).
3. A citizen arrested in an earlier turn than her own counts down at her turn in the same
   step, as in Mesa: her term is effectively one step shorter, and a term of 0 frees her
   at once.
4. Two officers of one turn choosing the same citizen: the one with the smaller order key
   arrests; the other chooses again among the active citizens still free (a second
   pick), then gives up. No officer is favoured by position.
5. Movement: the turns are split into ``move_rounds`` consecutive blocks. At the end of
   a block, its agents (and those of earlier blocks whose move failed) pick a uniformly
   random cell among those empty at the start of the move within their vision; where
   several pick the same cell, the one with the smallest order key moves and the others
   try again at the next move, up to ``move_attempts`` attempts in all (extra rounds run
   after the last turn for the last block's losers). Mesa moves each agent right after
   it acts; by comparison with Mesa, that timing matters (docs/unrest.md), so the
   ``mesa`` variant moves after every turn.
6. The random empty cell is drawn exactly uniformly in one of two ways, fixed by the
   parameters (never by the batch): with one turn, as the rank-th empty cell for a
   uniform rank; with several turns (few movers per round), by up to eight quick random
   tries first and the rank only for the agents whose tries all missed.
6. Police off duty (the coupled model's allocation) occupy their cell, neither count in
   citizens' estimates nor arrest nor move. Which officers are on duty is a fixed random
   rank per officer: the first ``police_on_duty`` ranks serve.
7. The coupled model lowers the *perceived* arrest probability by multiplying P by a
   factor in [0, 1] (organised opposition); 1 reproduces Epstein.
8. Hardship and risk aversion are stored as float32 with 24 random bits (quantized to
   2**-24) and promoted to float64 for the rule, so the rule's arithmetic is float64 as in
   Mesa and the paper, and L >= 0.9 gives no activity exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import ArrayLike

from offramp.model.grid import count_in_vision, neighbour_index, nth_marked_in_vision
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
]

_TWO32 = np.float64(2.0**32)


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
        Rule variant (a label: the rules differ by ``turns``, ``move_rounds``,
        ``move_attempts`` and ``ratio_rounding``, whose defaults it sets in the scenario
        layer).
    ratio_rounding : RatioRounding
        The C/A operator.
    movement : bool
        Whether free agents move.
    turns : int
        Turns per step (choice 2), >= 1.
    move_rounds : int
        Movement rounds during the turns, 1 .. turns: the turns are split into this many
        consecutive blocks, and the agents of a block move at its end (choice 5).
    move_attempts : int
        Attempts an agent gets to move in a step, >= 1 (choice 5).
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
    turns: int
    move_rounds: int
    move_attempts: int


#: More officers than any grid holds: every officer serves.
_ALL_ON_DUTY = int(np.iinfo(np.int32).max)


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
        """Drivers broadcast to G grids (scalars or (G,) arrays).

        Parameters
        ----------
        grids : int
            G, the number of grids.
        legitimacy : float or float64 array (G,)
            L per grid.
        active_threshold : float or float64 array (G,)
            T per grid.
        police_on_duty : int or int64 array (G,)
            Officers on duty per grid (all when left out).
        perceived_risk_factor : float or float64 array (G,)
            Factor on the perceived arrest probability, in [0, 1] (1: Epstein's rule).

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
    """Rows of uint32 words drawn per cell per step: order key, pick (an officer's arrest
    choice, a citizen's jail term), second pick, and per movement attempt the words of
    :func:`_words_per_attempt`. Each agent reads its words at its start-of-step cell, so
    the count does not grow with turns.

    Parameters
    ----------
    params : UnrestParams

    Returns
    -------
    int
    """
    return 3 + (_words_per_attempt(params) * params.move_attempts if params.movement else 0)


def _words_per_attempt(params: UnrestParams) -> int:
    """Words per movement attempt: the exact choice's rank, after two words of quick
    tries when several turns make the movers of a round few (choice 6)."""
    return _TRY_WORDS + 1 if params.turns > 1 else 1


# Row indices of the per-step block of random words (see draw_rows).
_ORDER, _PICK, _PICK2, _MOVE = 0, 1, 2, 3
_TRY_WORDS = 2  # words of quick tries per movement attempt, four tries per word


def _cells_first(array: np.ndarray) -> np.ndarray:
    """(G, H, W) -> (H, W, G), the engine's working layout (see grid.py, choice 4).

    A view for states the engine made; a contiguous copy for any other, because the step
    writes through flat views of its working arrays.
    """
    return np.ascontiguousarray(np.moveaxis(array, 0, -1))


def _grids_first(array: np.ndarray) -> np.ndarray:
    """(H, W, G) -> (G, H, W) view: the layout the state shows its users."""
    return np.moveaxis(array, -1, 0)


def _scaled(words: np.ndarray, n: int | np.ndarray) -> np.ndarray:
    """Uniform integers in 0 .. n-1 from uint32 words: floor(word * n / 2**32).

    Computed in float64, exactly: word * n < 2**48 for n < 2**16, and scaling by the power
    of two 2**-32 loses nothing, so the floor is the integer formula's.
    """
    return (words * (np.asarray(n, np.float64) * 2.0**-32)).astype(np.int64)


def _unit(words: np.ndarray) -> np.ndarray:
    """float32 uniforms on [0, 1) from the top 24 bits of uint32 words (exact in float32)."""
    return ((words >> np.uint32(8)).astype(np.float32)) * np.float32(2.0**-24)


def _state(**cells_first: np.ndarray) -> UnrestState:
    """Build a state from (H, W, G) working arrays, shown as (G, H, W) views."""
    return UnrestState(**{name: _grids_first(array) for name, array in cells_first.items()})


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
        Arrays shaped (G, H, W), G = len(streams) * grids_per_stream, stored grid-innermost.
    """
    grids, height, width = len(streams) * grids_per_stream, params.height, params.width
    words = streams.bits32_batch_last((4, height, width), grids_per_stream)
    placement = words[0] / _TWO32
    citizen_density = np.broadcast_to(np.asarray(params.citizen_density, np.float64), (grids,))
    police_density = np.broadcast_to(np.asarray(params.police_density, np.float64), (grids,))
    # Mesa draws each cell's occupant from cumulative weights (citizen, police, empty).
    is_citizen = placement < citizen_density
    is_police = ~is_citizen & (placement < citizen_density + police_density)
    occupant = np.where(is_citizen, Occupant.CITIZEN, np.where(is_police, Occupant.POLICE, Occupant.EMPTY))
    hardship = np.where(is_citizen, _unit(words[1]), np.float32(0))
    risk_aversion = np.where(is_citizen, _unit(words[2]), np.float32(0))
    # Duty ranks: police sorted by a random key, per grid.
    key = np.where(is_police, words[3].astype(np.int64), np.int64(1) << 40).reshape(-1, grids)
    order = np.argsort(key, axis=0, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(order.shape[0])[:, None], axis=0)
    duty_rank = np.where(is_police, rank.reshape(height, width, grids), -1)
    return _state(
        occupant=occupant.astype(np.int8),
        status=np.zeros((height, width, grids), np.int8),
        jail_steps=np.zeros((height, width, grids), np.int16),
        hardship=hardship.astype(np.float32),
        risk_aversion=risk_aversion.astype(np.float32),
        duty_rank=duty_rank.astype(np.int16),
    )


def arrest_probability(
    police_seen: ArrayLike, actives_seen: ArrayLike, arrest_constant: float | np.ndarray, rounding: RatioRounding
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
    return 1.0 - np.exp(-arrest_constant * ratio)


def citizen_counts(state: UnrestState) -> np.ndarray:
    """Citizens per state, int64 (G, 3), columns in :class:`Citizen` order.

    Parameters
    ----------
    state : UnrestState

    Returns
    -------
    int64 array (G, 3)
        Quiet, active and jailed citizens per grid.
    """
    occupant, status = _cells_first(state.occupant), _cells_first(state.status)
    # status is QUIET wherever no citizen stands, so count citizens and the other two.
    citizens = np.count_nonzero(occupant == Occupant.CITIZEN, axis=(0, 1))
    active = np.count_nonzero(status == Citizen.ACTIVE, axis=(0, 1))
    jailed = np.count_nonzero(status == Citizen.JAILED, axis=(0, 1))
    return np.stack([citizens - active - jailed, active, jailed], axis=1).astype(np.int64)


def step_unrest(
    state: UnrestState, params: UnrestParams, drivers: UnrestDrivers, streams: WorldStreams
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
        of len(streams)); the step draws ``draw_rows(params)`` uint32 words per cell.

    Returns
    -------
    (UnrestState, UnrestRecord)
    """
    per_stream = state.occupant.shape[0] // len(streams)
    words = streams.bits32_batch_last((draw_rows(params), params.height, params.width), per_stream)
    return advance_with_words(state, params, drivers, words)


def advance_with_words(
    state: UnrestState, params: UnrestParams, drivers: UnrestDrivers, words: np.ndarray
) -> tuple[UnrestState, UnrestRecord]:
    """The step, given its random words: uint32 (draw_rows, H, W, G).

    :func:`step_unrest` draws the words; tests feed the same words to the loop-based
    reference and to this function. Every agent reads its words at the cell where it
    started the step, wherever it stands when it uses them.

    Parameters
    ----------
    state : UnrestState
    params : UnrestParams
    drivers : UnrestDrivers
    words : uint32 array (draw_rows(params), H, W, G)

    Returns
    -------
    (UnrestState, UnrestRecord)
    """
    occupant = _cells_first(state.occupant)
    grids = occupant.shape[-1]  # (H, W, G)
    size = occupant.size
    # moveaxis is a view; .copy() makes the one C-ordered working copy the step writes to.
    cells = {name: np.moveaxis(getattr(state, name), 0, -1).copy() for name in _STATE_FIELDS}
    # Working fields that travel with an agent: where it started (to read its words), and
    # whether it still has a move to make this step.
    start = np.arange(size, dtype=np.int64).reshape(occupant.shape)
    cells["origin"] = np.where(occupant != Occupant.EMPTY, start, -1)
    cells["to_move"] = np.zeros(occupant.shape, bool)
    attempts = np.zeros(occupant.shape, np.int8)  # failed moves so far (losers stay put)
    flat_words = words.reshape(words.shape[0], -1)
    order = flat_words[_ORDER]
    # An agent's turn: floor(key * turns / 2**32), uniform over the turns (choice 2).
    turn_of = _scaled(words[_ORDER], params.turns)
    is_police = occupant == Occupant.POLICE
    arrests = np.zeros(grids, np.int64)
    moves = np.zeros(grids, np.int64)
    max_jail = np.broadcast_to(np.asarray(params.max_jail_steps, np.int64), (grids,))
    for turn in range(params.turns):
        # Agents act from the cell they started in (they move only at or after their
        # turn), so this turn's agents are the start-of-step agents with this turn.
        is_turn = (cells["origin"] == start) & (turn_of == turn)
        _decide(cells, is_turn & (cells["occupant"] == Occupant.CITIZEN), params, drivers)
        on_duty = _on_duty(cells, drivers)
        officers = np.flatnonzero(is_turn & on_duty)
        arrested, made = _arrest(cells, officers, flat_words[_PICK], flat_words[_PICK2], order, params)
        arrests += made
        # The jail term is the arrested citizen's own draw (choice 1: 0 .. J_max).
        term = _scaled(flat_words[_PICK][cells["origin"].reshape(-1)[arrested]], max_jail[arrested % grids] + 1)
        cells["status"].reshape(-1)[arrested] = Citizen.JAILED
        cells["jail_steps"].reshape(-1)[arrested] = term
        if params.movement:
            is_free = (cells["occupant"] == Occupant.CITIZEN) & (cells["status"] != Citizen.JAILED)
            cells["to_move"] |= is_turn & (is_free | (is_police & on_duty))
            cells["to_move"] &= cells["status"] != Citizen.JAILED  # arrested this turn: no move
            block = turn * params.move_rounds // params.turns
            if turn == params.turns - 1 or (turn + 1) * params.move_rounds // params.turns != block:
                moves += _move_round(cells, attempts, flat_words[_MOVE:], order, params)
    if params.movement:
        for _ in range(params.move_attempts - 1):  # the last block's losers try again
            moves += _move_round(cells, attempts, flat_words[_MOVE:], order, params)
    new_state = _state(**{name: cells[name] for name in _STATE_FIELDS})
    counts = citizen_counts(new_state)
    record = UnrestRecord(
        quiet=counts[:, Citizen.QUIET],
        active=counts[:, Citizen.ACTIVE],
        jailed=counts[:, Citizen.JAILED],
        arrests=arrests,
        moves=moves,
    )
    return new_state, record


_STATE_FIELDS = ("occupant", "status", "jail_steps", "hardship", "risk_aversion", "duty_rank")


def _on_duty(cells: dict, drivers: UnrestDrivers) -> np.ndarray:
    """Police on duty, where they stand now: bool (H, W, G)."""
    return (cells["occupant"] == Occupant.POLICE) & (cells["duty_rank"] < drivers.police_on_duty)


def _decide(cells: dict, is_turn_citizen: np.ndarray, params: UnrestParams, drivers: UnrestDrivers) -> None:
    """This turn's citizens count down their jail term or decide (choices 1-3). Mutates."""
    status, jail_steps = cells["status"], cells["jail_steps"]
    is_serving = is_turn_citizen & (status == Citizen.JAILED) & (jail_steps > 0)
    np.subtract(jail_steps, 1, out=jail_steps, where=is_serving)
    deciding = np.flatnonzero(is_turn_citizen & ~is_serving)
    if deciding.size == 0:
        return
    grids = status.shape[-1]
    is_active = status == Citizen.ACTIVE
    on_duty = _on_duty(cells, drivers)
    # One pass counts both: packed = active + 256 * police, each count < 256.
    packed = count_in_vision(is_active.astype(np.uint16) + (on_duty.astype(np.uint16) << 8), params.citizen_vision)
    packed = packed.reshape(-1)[deciding]
    grid = deciding % grids
    police_seen = packed >> 8
    actives_seen = (packed & 0xFF) + 1  # the citizen counts herself (Mesa; Epstein's A)
    arrest_constant = np.broadcast_to(np.asarray(params.arrest_constant, np.float64), (grids,))[grid]
    perceived = arrest_probability(police_seen, actives_seen, arrest_constant, params.ratio_rounding)
    perceived = perceived * drivers.perceived_risk_factor[grid]
    grievance = cells["hardship"].reshape(-1)[deciding].astype(np.float64) * (1.0 - drivers.legitimacy[grid])
    net_risk = cells["risk_aversion"].reshape(-1)[deciding].astype(np.float64) * perceived
    is_active_now = grievance - net_risk > drivers.active_threshold[grid]
    status.reshape(-1)[deciding] = np.where(is_active_now, Citizen.ACTIVE, Citizen.QUIET)


def _priority(cells: dict, at: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Unique priorities of the agents at flat cells ``at``: order key, then start cell."""
    origin = cells["origin"].reshape(-1)[at]
    return (order[origin].astype(np.uint64) << np.uint64(32)) | origin.astype(np.uint64)


def _winners(targets: np.ndarray, priority: np.ndarray, size: int) -> np.ndarray:
    """Among claims on the same target, the one with the smallest priority wins."""
    best = np.full(size, np.iinfo(np.uint64).max, np.uint64)
    np.minimum.at(best, targets, priority)
    return best[targets] == priority


def _arrest(
    cells: dict[str, np.ndarray],
    officers: np.ndarray,
    pick: np.ndarray,
    pick2: np.ndarray,
    order: np.ndarray,
    params: UnrestParams,
) -> tuple[np.ndarray, np.ndarray]:
    """Officers (flat cells) each arrest one random active citizen within vision (choice 4).

    Returns the flat cells of the arrested citizens and the arrests per grid. A flat index
    is ``cell * G + grid`` (arrays are (H, W, G)).
    """
    status = cells["status"]
    height, width, grids = status.shape
    none = np.empty(0, np.int64)
    if officers.size == 0:
        return none, np.zeros(grids, np.int64)
    is_active = status == Citizen.ACTIVE
    vision = params.police_vision
    # Only officers with someone active in sight do any work: in quiet times, none.
    officers = officers[count_in_vision(is_active, vision).reshape(-1)[officers] > 0]
    if officers.size == 0:
        return none, np.zeros(grids, np.int64)
    table = neighbour_index(height, width, vision)
    near = table[officers // grids].astype(np.int64) * grids + (officers % grids)[:, None]  # (n, 2v(v+1))
    visible = is_active.reshape(-1)[near]
    origin = cells["origin"].reshape(-1)[officers]
    priority = _priority(cells, officers, order)
    taken = np.zeros(status.size, bool)
    arrested_per_pick: list[np.ndarray] = []
    pending = np.arange(officers.size)
    for words in (pick, pick2):
        seen = visible[pending] & ~taken[near[pending]]
        n_seen = seen.sum(axis=1)
        has = n_seen > 0
        pending, seen, n_seen = pending[has], seen[has], n_seen[has]
        if pending.size == 0:
            break
        rank = _scaled(words[origin[pending]], n_seen)
        column = np.argmax(np.cumsum(seen, axis=1, dtype=np.int16) > rank[:, None], axis=1)  # the rank-th one
        target = near[pending, column]
        won = _winners(target, priority[pending], status.size)
        arrested_per_pick.append(target[won])
        taken[target[won]] = True
        pending = pending[~won]
    arrested = np.concatenate(arrested_per_pick) if arrested_per_pick else none
    return arrested, np.bincount(arrested % grids, minlength=grids).astype(np.int64)


_MOVING_FIELDS = ("status", "jail_steps", "hardship", "risk_aversion", "duty_rank", "origin")


def _move_round(
    cells: dict[str, np.ndarray], attempts: np.ndarray, move_words: np.ndarray, order: np.ndarray, params: UnrestParams
) -> np.ndarray:
    """One movement round (choice 5). Mutates ``cells`` and ``attempts``; returns moves
    per grid. ``move_words`` is (move_attempts, cells): an agent's a-th attempt reads row a
    at its start cell."""
    occupant, to_move = cells["occupant"], cells["to_move"]
    grids = occupant.shape[-1]
    if not to_move.any():
        return np.zeros(grids, np.int64)
    is_empty = occupant == Occupant.EMPTY
    is_police = occupant == Occupant.POLICE
    origin = cells["origin"].reshape(-1)
    sources: list[np.ndarray] = []
    choices: list[np.ndarray] = []
    for vision in sorted({params.citizen_vision, params.police_vision}):
        if params.citizen_vision == params.police_vision:
            asking = to_move
        elif vision == params.police_vision:
            asking = to_move & is_police
        else:
            asking = to_move & ~is_police
        n_empty = count_in_vision(is_empty, vision)
        where = np.flatnonzero(asking & (n_empty > 0))
        if where.size == 0:
            continue
        per_attempt = _words_per_attempt(params)
        first_row = per_attempt * attempts.reshape(-1)[where].astype(np.int64)
        origin_here = origin[where]
        target = np.full(where.size, -1, np.int64)
        if params.turns > 1:
            # Few movers per turn: quick tries first (choice 6), exact choice for the rest.
            for row in range(_TRY_WORDS):
                rest = np.flatnonzero(target < 0)
                target[rest] = _tries_in_vision(
                    is_empty, where[rest], move_words[first_row[rest] + row, origin_here[rest]], vision
                )
        is_unplaced = target < 0
        rank = _scaled(
            move_words[first_row[is_unplaced] + per_attempt - 1, origin_here[is_unplaced]],
            n_empty.reshape(-1)[where[is_unplaced]],
        )
        target[is_unplaced] = _target_in_vision(is_empty, where[is_unplaced], rank, vision)
        sources.append(where)
        choices.append(target)
    if not sources:
        return np.zeros(grids, np.int64)
    source, target = np.concatenate(sources), np.concatenate(choices)
    won = _winners(target, _priority(cells, source, order), occupant.size)
    flat_attempts = attempts.reshape(-1)
    lost = source[~won]
    flat_attempts[lost] += 1
    to_move.reshape(-1)[lost[flat_attempts[lost] >= params.move_attempts]] = False
    source, target = source[won], target[won]
    flat = {name: cells[name].reshape(-1) for name in (*_MOVING_FIELDS, "occupant", "to_move")}
    for name in _MOVING_FIELDS:
        flat[name][target] = flat[name][source]
    flat["occupant"][target] = flat["occupant"][source]
    flat["occupant"][source] = Occupant.EMPTY
    flat["status"][source] = Citizen.QUIET
    flat["jail_steps"][source] = 0
    flat["hardship"][source] = 0
    flat["risk_aversion"][source] = 0
    flat["duty_rank"][source] = -1
    flat["origin"][source] = -1
    flat["to_move"][source] = False  # moved: done for this step (the target held no mover)
    return np.bincount(source % grids, minlength=grids).astype(np.int64)


def _tries_in_vision(is_marked: np.ndarray, asking: np.ndarray, words: np.ndarray, vision: int) -> np.ndarray:
    """Up to four random tries per asking cell for a marked cell within vision (choice 6).

    Try t reads byte t of the asking agent's word; a byte b below the largest multiple m
    of the diamond's size n is the offset b mod n (exactly uniform), a byte >= m is a
    wasted try. The first try that lands on a marked cell is the choice: given that a try
    succeeds, the chosen cell is uniform among the marked ones.

    Returns
    -------
    int64 (n,)
        Flat cells chosen, or -1 where every try missed.
    """
    height, width, grids = is_marked.shape
    table = neighbour_index(height, width, vision)
    n_offsets = table.shape[1]
    usable = (256 // n_offsets) * n_offsets
    cell, grid = np.divmod(asking, grids)
    chosen = np.full(asking.size, -1, np.int64)
    pending = np.arange(asking.size)
    flat_marked = is_marked.reshape(-1)
    for t in range(4):
        byte = (words[pending] >> np.uint32(8 * t)) & np.uint32(0xFF)
        target = table[cell[pending], byte % n_offsets].astype(np.int64) * grids + grid[pending]
        hit = (byte < usable) & flat_marked[target]  # an unusable byte wastes this try only
        chosen[pending[hit]] = target[hit]
        pending = pending[~hit]
        if pending.size == 0:
            break
    return chosen


def _target_in_vision(is_marked: np.ndarray, asking: np.ndarray, rank: np.ndarray, vision: int) -> np.ndarray:
    """Flat cell of the ``rank``-th marked cell within vision of each asking flat cell.

    Two exact routes to the same answer: for a few asking cells, gather their
    neighbourhoods (work ~ asking x 2v(v+1)); for many, walk the diamond with whole-grid
    views (work ~ cells x 2v(v+1), on one-byte integers, so far cheaper per element).
    """
    height, width, grids = is_marked.shape
    table = neighbour_index(height, width, vision)
    cell, grid = np.divmod(asking, grids)
    if asking.size * 8 < is_marked.size:
        # int32 indices: half the memory traffic of int64 (the batch has < 2**31 cells)
        near = table[cell] * np.int32(grids) + grid[:, None].astype(np.int32)
        marks = np.cumsum(is_marked.reshape(-1)[near], axis=1, dtype=np.int16)
        index = np.argmax(marks > rank[:, None], axis=1)
    else:
        full_rank = np.full(is_marked.shape, -1, np.int64)
        full_rank.reshape(-1)[asking] = rank
        index = nth_marked_in_vision(is_marked, full_rank, vision).reshape(-1)[asking]
    return table[cell, index].astype(np.int64) * grids + grid
