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
2. Citizens decide simultaneously, each from the grid as it was at the start of the step.
   Mesa activates agents one at a time in a shuffled order; a vectorized engine cannot.
3. ``mesa`` variant: each agent draws an order key per step, standing for its place in
   Mesa's shuffled sequence. A police officer sees a citizen's new state if the citizen
   comes earlier in the order, and its state at the start of the step otherwise; a
   citizen arrested by an officer who comes earlier starts serving at once (one step
   less, and a term of 0 steps is void), as in Mesa. ``paper`` variant: police see the
   new states and terms start next step.
4. Two officers choosing the same citizen: the one earlier in the order arrests; the
   other chooses again among the active citizens still free (a second round), then gives
   up. No officer is favoured by position.
5. Movement happens in ``move_rounds`` rounds. In each round every free agent that has
   not moved yet picks a uniformly random cell among those empty at the start of the
   round within its vision; where several pick the same cell, the one earliest in the
   order moves and the others stay for the next round. More rounds move more agents
   (Mesa moves almost every agent every step); the default was chosen by comparison
   with Mesa, see docs/unrest.md.
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
from enum import IntEnum, StrEnum

import numpy as np

from offramp.model.grid import count_in_vision, neighbour_index, nth_marked_in_vision, torus_row_prefix
from offramp.run.streams import WorldStreams

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


class Variant(StrEnum):
    """Rule variant: Epstein as published, or Mesa's implementation."""

    PAPER = "paper"
    MESA = "mesa"


class RatioRounding(StrEnum):
    """The operator applied to C/A in the arrest probability.

    The paper writes k (C/A) literally; NetLogo's Rebellion floors it; Mesa rounds it
    half-to-even (Python's ``round``). Both implementations say the dynamics of the paper
    (punctuated equilibrium) do not appear without their operator.
    """

    LITERAL = "literal"
    FLOOR = "floor"
    ROUND = "round"


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
        Rule variant (see the module docstring, choices 3-4).
    ratio_rounding : RatioRounding
        The C/A operator.
    movement : bool
        Whether free agents move.
    move_rounds : int
        Rounds of the movement phase (choice 5), >= 1.
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
    move_rounds: int


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
        cls, grids: int, legitimacy, active_threshold, police_on_duty=np.iinfo(np.int32).max, perceived_risk_factor=1.0
    ) -> UnrestDrivers:
        """Drivers broadcast to G grids (scalars or (G,) arrays)."""
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
    """Rows of uint32 words drawn per cell per step: order, pick, second pick, one per
    movement round."""
    return 3 + (params.move_rounds if params.movement else 0)


# Row indices of the per-step block of random words (see draw_rows).
_ORDER, _PICK, _PICK2, _MOVE = 0, 1, 2, 3


def _cells_first(array: np.ndarray) -> np.ndarray:
    """(G, H, W) -> (H, W, G), the engine's working layout (see grid.py, choice 4).

    A view for states the engine made; a contiguous copy for any other, because the step
    writes through flat views of its working arrays.
    """
    return np.ascontiguousarray(np.moveaxis(array, 0, -1))


def _grids_first(array: np.ndarray) -> np.ndarray:
    """(H, W, G) -> (G, H, W) view: the layout the state shows its users."""
    return np.moveaxis(array, -1, 0)


def _scaled(words: np.ndarray, n) -> np.ndarray:
    """Uniform integers in 0 .. n-1 from uint32 words: floor(word * n / 2**32)."""
    return ((words.astype(np.uint64) * np.asarray(n).astype(np.uint64)) >> np.uint64(32)).astype(np.int64)


def _unit(words: np.ndarray) -> np.ndarray:
    """float32 uniforms on [0, 1) from the top 24 bits of uint32 words (exact in float32)."""
    return ((words >> np.uint32(8)).astype(np.float32)) * np.float32(2.0**-24)


def _state(**cells_first: np.ndarray) -> UnrestState:
    """Build a state from (H, W, G) working arrays, shown as (G, H, W) views."""
    return UnrestState(**{name: _grids_first(array) for name, array in cells_first.items()})


def init_unrest(params: UnrestParams, streams: WorldStreams) -> UnrestState:
    """Populate G grids: each cell holds a citizen, a police officer or nothing.

    Parameters
    ----------
    params : UnrestParams
    streams : WorldStreams
        One generator per grid (G of them).

    Returns
    -------
    UnrestState
        Arrays shaped (G, H, W), stored grid-innermost.
    """
    grids, height, width = len(streams), params.height, params.width
    words = streams.bits32_batch_last((4, height, width))
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


def arrest_probability(police_seen, actives_seen, arrest_constant, rounding: RatioRounding) -> np.ndarray:
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
    """Citizens per state, int64 (G, 3), columns in :class:`Citizen` order."""
    occupant, status = _cells_first(state.occupant), _cells_first(state.status)
    # status is QUIET wherever no citizen stands, so count citizens and the other two.
    citizens = np.count_nonzero(occupant == Occupant.CITIZEN, axis=(0, 1))
    active = np.count_nonzero(status == Citizen.ACTIVE, axis=(0, 1))
    jailed = np.count_nonzero(status == Citizen.JAILED, axis=(0, 1))
    return np.stack([citizens - active - jailed, active, jailed], axis=1).astype(np.int64)


def _winners(targets: np.ndarray, priority: np.ndarray, size: int) -> np.ndarray:
    """Among claims on the same target, the one with the smallest priority wins.

    Priorities must be unique (order key in the high bits, claimant's flat index low).
    """
    best = np.full(size, np.iinfo(np.uint64).max, np.uint64)
    np.minimum.at(best, targets, priority)
    return best[targets] == priority


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
        One generator per grid; the step draws ``draw_rows(params)`` uint32 words per cell.

    Returns
    -------
    (UnrestState, UnrestRecord)
    """
    words = streams.bits32_batch_last((draw_rows(params), params.height, params.width))
    return advance_with_words(state, params, drivers, words)


def advance_with_words(
    state: UnrestState, params: UnrestParams, drivers: UnrestDrivers, words: np.ndarray
) -> tuple[UnrestState, UnrestRecord]:
    """The step, given its random words: uint32 (draw_rows, H, W, G).

    :func:`step_unrest` draws the words; tests feed the same words to the loop-based
    reference and to this function.
    """
    occupant, status = _cells_first(state.occupant), _cells_first(state.status)
    height, width, grids = occupant.shape
    is_mesa = params.variant is Variant.MESA
    order = words[_ORDER]

    is_citizen = occupant == Occupant.CITIZEN
    on_duty = (occupant == Occupant.POLICE) & (_cells_first(state.duty_rank) < drivers.police_on_duty)
    was_active = status == Citizen.ACTIVE  # only citizens are ever active

    # 1. Jail: serving citizens count down; a term at zero means free this step (choice 1).
    jail_steps = _cells_first(state.jail_steps)
    is_serving = (status == Citizen.JAILED) & (jail_steps > 0)
    jail_steps = np.where(is_serving, jail_steps - 1, jail_steps).astype(np.int16)
    is_free = is_citizen & ~is_serving

    # 2. Activation, all citizens at once from the start-of-step grid (choice 2).
    # One pass counts both: packed = active + 256 * police, each count < 256.
    packed = count_in_vision(was_active.astype(np.uint16) + (on_duty.astype(np.uint16) << 8), params.citizen_vision)
    police_seen = packed >> 8
    actives_seen = (packed & 0xFF) + 1  # the citizen counts herself (Mesa; Epstein's A)
    perceived = arrest_probability(police_seen, actives_seen, params.arrest_constant, params.ratio_rounding)
    perceived *= drivers.perceived_risk_factor
    grievance = _cells_first(state.hardship).astype(np.float64) * (1.0 - drivers.legitimacy)
    net_risk = _cells_first(state.risk_aversion).astype(np.float64) * perceived
    is_active = is_free & (grievance - net_risk > drivers.active_threshold)
    new_status = np.where(is_free, is_active.astype(np.int8) * np.int8(Citizen.ACTIVE), status).astype(np.int8)

    # 3. Arrests.
    arrested, arrests = _arrest(on_duty, is_active, was_active, order, words[_PICK], words[_PICK2], params, is_mesa)
    max_jail = np.broadcast_to(np.asarray(params.max_jail_steps, np.int64), (grids,))
    jail_term = _scaled(words[_PICK].reshape(-1)[arrested.citizen], max_jail[arrested.citizen % grids] + 1)
    if is_mesa:
        # An officer earlier in the order than the citizen: she serves a step at once.
        term = np.where(arrested.officer_first, jail_term - 1, jail_term)
        is_jailed = term >= 0  # a term of 0 served at once is void (choice 3)
    else:
        term, is_jailed = jail_term, np.ones(jail_term.shape, bool)
    new_status.reshape(-1)[arrested.citizen[is_jailed]] = Citizen.JAILED
    jail_steps.reshape(-1)[arrested.citizen[is_jailed]] = term[is_jailed]

    fields = {
        "occupant": occupant.copy(),
        "status": new_status,
        "jail_steps": jail_steps,
        "hardship": _cells_first(state.hardship).copy(),
        "risk_aversion": _cells_first(state.risk_aversion).copy(),
        "duty_rank": _cells_first(state.duty_rank).copy(),
    }
    moves = np.zeros(grids, np.int64)
    if params.movement:
        moves = _move(fields, on_duty, order, words[_MOVE:], params)
    new_state = _state(**fields)
    counts = citizen_counts(new_state)
    record = UnrestRecord(
        quiet=counts[:, Citizen.QUIET],
        active=counts[:, Citizen.ACTIVE],
        jailed=counts[:, Citizen.JAILED],
        arrests=arrests,
        moves=moves,
    )
    return new_state, record


@dataclass(frozen=True, slots=True)
class _Arrests:
    citizen: np.ndarray  # int64 (n,): flat (cells-first) index of each arrested citizen
    officer_first: np.ndarray  # bool (n,): the officer comes earlier in the order


def _arrest(on_duty, is_active, was_active, order, pick, pick2, params, is_mesa):
    """Each officer on duty arrests one random visible active citizen (choices 3-4).

    Arrays are (H, W, G); a flat index is ``cell * G + grid``.
    """
    height, width, grids = on_duty.shape
    vision = params.police_vision
    # Only officers with someone possibly visible do any work: in quiet times, none.
    maybe_seen = count_in_vision(is_active | was_active, vision)
    officers = np.flatnonzero(on_duty & (maybe_seen > 0))
    if officers.size == 0:
        return _Arrests(np.empty(0, np.int64), np.empty(0, bool)), np.zeros(grids, np.int64)
    table = neighbour_index(height, width, vision)
    grid = officers % grids
    near = table[officers // grids].astype(np.int64) * grids + grid[:, None]  # (n, 2v(v+1)) flat indices
    order_flat = order.reshape(-1)
    active_near = is_active.reshape(-1)[near]
    if is_mesa:
        # What officer o sees of citizen c: her new state if c precedes o, else her old one.
        is_earlier = order_flat[near] < order_flat[officers][:, None]
        visible = np.where(is_earlier, active_near, was_active.reshape(-1)[near])
    else:
        visible = active_near

    size = on_duty.size
    arrested, arresting = [], []
    taken = np.zeros(size, bool)
    pending = np.arange(officers.size)
    for words in (pick, pick2):
        seen = visible[pending] & ~taken[near[pending]]
        n_seen = seen.sum(axis=1)
        pending, seen, n_seen = pending[n_seen > 0], seen[n_seen > 0], n_seen[n_seen > 0]
        if pending.size == 0:
            break
        rank = _scaled(words.reshape(-1)[officers[pending]], n_seen)
        column = np.argmax(np.cumsum(seen, axis=1) > rank[:, None], axis=1)  # the rank-th visible one
        target = near[pending, column]
        priority = (order_flat[officers[pending]].astype(np.uint64) << np.uint64(32)) | officers[pending].astype(
            np.uint64
        )
        won = _winners(target, priority, size)
        arrested.append(target[won])
        arresting.append(officers[pending[won]])
        taken[target[won]] = True
        pending = pending[~won]
    arrested = np.concatenate(arrested) if arrested else np.empty(0, np.int64)
    arresting = np.concatenate(arresting) if arresting else np.empty(0, np.int64)
    officer_first = order_flat[arresting] < order_flat[arrested]
    arrests = np.bincount(arrested % grids, minlength=grids).astype(np.int64)
    return _Arrests(arrested, officer_first), arrests


# What travels with an agent when it moves, packed in one record so that a move is one
# gather and one scatter of raw bytes, whatever the number of attributes.
_PAYLOAD = np.dtype(
    [
        ("status", np.int8),
        ("jail_steps", np.int16),
        ("hardship", np.float32),
        ("risk_aversion", np.float32),
        ("duty_rank", np.int16),
        ("priority", np.uint64),
    ]
)
_PAYLOAD_FIELDS = ("status", "jail_steps", "hardship", "risk_aversion", "duty_rank")
_BYTES = np.dtype((np.void, _PAYLOAD.itemsize))
# What a cell holds once its agent has left it.
_VACATED = np.array((Citizen.QUIET, 0, 0.0, 0.0, -1, 0), dtype=_PAYLOAD).view(_BYTES)


def _move(fields: dict, on_duty, order, move_words, params) -> np.ndarray:
    """Free agents move to random empty cells within vision, in rounds (choice 5).

    Mutates the working copies in ``fields`` (owned by the step); returns moves per grid.
    Arrays are (H, W, G); a flat index is ``cell * G + grid``.
    """
    occupant = fields["occupant"]
    height, width, grids = occupant.shape
    size = occupant.size
    payload = np.empty(occupant.shape, _PAYLOAD)
    for name in _PAYLOAD_FIELDS:
        payload[name] = fields[name]
    payload["priority"] = (order.astype(np.uint64) << np.uint64(32)) | np.arange(size, dtype=np.uint64).reshape(
        occupant.shape
    )
    is_mover = on_duty | ((occupant == Occupant.CITIZEN) & (fields["status"] != Citizen.JAILED))
    flat_payload, flat_bytes = payload.reshape(-1), payload.reshape(-1).view(_BYTES)
    flat_occupant, flat_mover = occupant.reshape(-1), is_mover.reshape(-1)
    visions = sorted({params.citizen_vision, params.police_vision})
    moves = np.zeros(grids, np.int64)
    for round_words in move_words:
        is_empty = occupant == Occupant.EMPTY
        is_police = occupant == Occupant.POLICE
        chosen = np.full(occupant.shape, -1, np.int16)
        for vision in visions:
            if len(visions) == 1:
                sees_this_far = is_mover
            elif vision == params.police_vision:
                sees_this_far = is_mover & is_police
            else:
                sees_this_far = is_mover & ~is_police
            prefix = torus_row_prefix(is_empty, vision)
            n_empty = count_in_vision(is_empty, vision, prefix)
            rank = np.where(sees_this_far & (n_empty > 0), _scaled(round_words, n_empty), -1)
            np.copyto(chosen, nth_marked_in_vision(is_empty, rank, vision), where=sees_this_far)
        source = np.flatnonzero(chosen >= 0)
        if source.size == 0:
            break
        target = np.empty_like(source)
        source_is_police = is_police.reshape(-1)[source]
        for vision in visions:
            mine = (
                np.ones(source.shape, bool)
                if len(visions) == 1
                else (source_is_police == (vision == params.police_vision))
            )
            table = neighbour_index(height, width, vision)
            cell, grid = np.divmod(source[mine], grids)
            target[mine] = table[cell, chosen.reshape(-1)[source[mine]]].astype(np.int64) * grids + grid
        won = _winners(target, flat_payload["priority"][source], size)
        source, target = source[won], target[won]
        flat_bytes[target] = flat_bytes[source]
        flat_bytes[source] = _VACATED
        flat_occupant[target] = flat_occupant[source]
        flat_occupant[source] = Occupant.EMPTY
        # The targets were empty, so none held a mover: every agent moves at most once.
        flat_mover[source] = False
        moves += np.bincount(source % grids, minlength=grids)
    for name in _PAYLOAD_FIELDS:
        fields[name] = np.ascontiguousarray(payload[name])
    return moves
