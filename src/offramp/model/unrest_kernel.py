"""The unrest engine's compiled per-agent kernel (Numba): one step of many grids.

Source: J. M. Epstein, "Modeling civil violence: An agent-based computational approach",
PNAS 99 (suppl. 3), 7243-7250 (2002), doi:10.1073/pnas.092080199, and Mesa 3.x's
``EpsteinCivilViolence`` example for the ``mesa`` variant. The rules, the variants and
their numbered choices are documented in :mod:`offramp.model.unrest`; this module is how
they run. :func:`step_grids` is the only entry point; ``unrest.advance_with_words``
prepares its arrays and is what the rest of the package calls.

Choices (implementation only; none changes a rule)
--------------------------------------------------
1. One grid at a time, agents one at a time, in a loop compiled by Numba
   (``nopython``, ``nogil``, ``cache=True``). :func:`step_grids` has one explicit
   signature, so it is compiled (or loaded from the on-disk cache) when this module is
   imported, and never again for other argument types. Grids are independent, so the
   caller may split them between threads (``nogil``) without changing any result.
2. Counts within vision read a *packed* grid: every cell holds one uint32, ``1`` for an
   empty cell, ``1 << 8`` for an active citizen, ``1 << 16`` for a police officer on
   duty, 0 otherwise, so one sum over the diamond gives empty cells, active citizens and
   police at once (each count <= 2 v (v + 1) = 220 < 256 at v <= 10, so the bytes never
   carry into each other).
3. The packed grid is padded by ``r`` (the larger vision) cells of torus wrap on every
   side, so each of the diamond's ``2 v + 1`` rows is one contiguous run of cells; a write
   updates the cell and its (at most three) wrap copies. Each row is summed over a
   fixed-width window (8, 16 or 32 cells, at least ``2 v + 1``) under a mask of the
   diamond, in LLVM vector code (:func:`_vector_intrinsics`: Numba leaves these short
   loops scalar). The running totals over the rows are kept, so "the rank-th empty cell
   (or active citizen) within vision, in the canonical order of
   ``grid.diamond_offsets``" is found without a loop of unpredictable branches: its row by
   comparing the running totals with the rank, its cell from the bit mask of the row's
   matching cells.
4. A citizen whose grievance does not exceed the threshold stays quiet whatever she sees
   (grievance - risk >= 0 cannot exceed it either, exactly, in floating point:
   subtracting a non-negative number never rounds up), so her estimate is not computed.
   With the ``floor`` and ``round`` operators C/A is a whole number n, and
   ``1 - exp(-k n)`` comes from a table made once per value of k (and the decision then
   needs no branch). Decisions are the same bit for bit.
5. Uniform integers in 0 .. n-1 are ``floor(word * n / 2**32)`` from a uint32 word, as
   in the loop reference; Fisher-Yates (Durstenfeld) with these integers gives the
   ``mesa`` variant's random order.
6. Conflicts in the ``paper`` variant are settled by a priority ``order word * H W +
   cell``: order word first, then the cell, as the former whole-array engine did with
   ``(word << 32) | flat index`` (the same order within a grid).
7. The on-disk cache: Numba's own places (``NUMBA_CACHE_DIR``, ``__pycache__`` beside this
   file, the user's cache folder). Where none of them can be written (a read-only install
   without a writable home), Numba would refuse to define the kernel at all; this module
   then gives it a folder in the system's temporary directory (:func:`cache_fallback`),
   so offramp runs, at worst compiling once per machine boot.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import caching, cgutils
from numba.core import config as numba_config
from numba.extending import intrinsic

__all__ = ["MESA_ROWS", "PAPER_ROWS", "ROUNDING_CODES", "cache_fallback", "step_grids"]


class _Locator(Protocol):
    """What this module needs of a Numba cache locator class."""

    def from_function(self, py_func: Callable[[], None], py_file: str) -> object | None:
        """The locator for a function, or None where its place cannot be written."""


def _probe() -> None:
    """A function of this file, for asking Numba's cache locators where it would go."""


def cache_fallback(locators: Sequence[_Locator] | None = None, probe: Callable[[], None] = _probe) -> str | None:
    """A cache folder for Numba when none of its own places can be written (choice 7).

    Parameters
    ----------
    locators : sequence of Numba cache-locator classes, optional
        The places to try, as Numba tries them (default: Numba's own list).
    probe : callable
        A function defined in the file whose cache is wanted.

    Returns
    -------
    str or None
        None when one of Numba's places is writable (Numba uses it); otherwise a folder
        in the system's temporary directory, created.
    """
    # Numba's own list, in its order (user-provided folder, __pycache__, the user's cache...);
    # Numba annotates it as list[type], hence the ignore.
    own: Sequence[_Locator] = caching.CacheImpl._locator_classes  # type: ignore[assignment]  # list[type] in Numba
    classes = own if locators is None else locators
    if any(locator.from_function(probe, __file__) is not None for locator in classes):
        return None
    folder = Path(tempfile.gettempdir()) / "offramp-numba-cache"
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder)


if (_fallback := cache_fallback()) is not None:
    # Numba sets CACHE_DIR from the environment at import (no stub declares it); its
    # locators read it when each kernel below is defined.
    numba_config.CACHE_DIR = _fallback  # type: ignore[attr-defined]  # a runtime attribute

# Occupant and citizen codes: the values of unrest.Occupant and unrest.Citizen.
_EMPTY, _CITIZEN, _POLICE = 0, 1, 2
_QUIET, _ACTIVE, _JAILED = 0, 1, 2

# Packed cell values (choice 2) and the byte of each count.
_PACKED_EMPTY = 1
_PACKED_ACTIVE = 1 << 8
_PACKED_POLICE = 1 << 16
_EMPTY_SHIFT, _ACTIVE_SHIFT = 0, 8

#: The C/A operator's codes in the kernel: literal, floor, round (unrest.RatioRounding).
ROUNDING_CODES = {"literal": 0, "floor": 1, "round": 2}
_LITERAL, _FLOOR, _ROUND = 0, 1, 2

#: Rows of the ``mesa`` variant's words: the shuffle, an officer's pick, the jail term it
#: gives, the move (the last only with movement).
MESA_ROWS = {"order": 0, "pick": 1, "jail": 2, "move": 3}
#: Rows of the ``paper`` variant's words: order key, pick (an officer's choice, a citizen's
#: jail term), second pick, then one row per movement round.
PAPER_ROWS = {"order": 0, "pick": 1, "pick2": 2, "move": 3}

_M_ORDER, _M_PICK, _M_JAIL, _M_MOVE = 0, 1, 2, 3
_P_ORDER, _P_PICK, _P_PICK2, _P_MOVE = 0, 1, 2, 3

_NO_CLAIM = np.iinfo(np.int64).max

# Position of a single set bit b of a uint64: _DEBRUIJN[(b * 0x022FDD63CC95386D) >> 58].
_DEBRUIJN = np.zeros(64, np.int64)
for _bit in range(64):
    _DEBRUIJN[((((1 << _bit) * 0x022FDD63CC95386D) & 0xFFFFFFFFFFFFFFFF) >> 58)] = _bit
del _bit


@njit(cache=True, nogil=True, inline="always")
def _scaled(word, n):
    """floor(word * n / 2**32): uniform in 0 .. n-1 (word * n < 2**63 for n < 2**31)."""
    return (np.int64(word) * np.int64(n)) >> 32


def _vector_intrinsics(width: int):
    """Two whole-window operations on ``width`` uint32 cells, written as LLVM vector code
    (Numba does not vectorize them by itself): the masked sum of a window, and the bit
    mask of the window's cells equal to a value. ``row`` is a slice of at least ``width``
    cells, ``mask`` one of exactly ``width``."""

    def load(context, builder, array_type, value):
        array = context.make_array(array_type)(context, builder, value)
        vector = ir.VectorType(ir.IntType(32), width)
        return builder.load(builder.bitcast(array.data, vector.as_pointer()), align=4)

    @intrinsic
    def masked_sum(typingctx, row_type, mask_type):
        def codegen(context, builder, signature, args):
            masked = builder.and_(load(context, builder, row_type, args[0]), load(context, builder, mask_type, args[1]))
            reduce = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(ir.IntType(32), [masked.type]), f"llvm.vector.reduce.add.v{width}i32"
            )
            return builder.call(reduce, [masked])

        return types.uint32(row_type, mask_type), codegen

    @intrinsic
    def match_bits(typingctx, row_type, mask_type, value_type):
        def codegen(context, builder, signature, args):
            vector = ir.VectorType(ir.IntType(32), width)
            value = builder.insert_element(ir.Constant(vector, ir.Undefined), args[2], ir.Constant(ir.IntType(32), 0))
            value = builder.shuffle_vector(
                value, ir.Constant(vector, ir.Undefined), ir.Constant(ir.VectorType(ir.IntType(32), width), [0] * width)
            )
            equal = builder.icmp_unsigned("==", load(context, builder, row_type, args[0]), value)
            inside = builder.icmp_unsigned("!=", load(context, builder, mask_type, args[1]), ir.Constant(vector, 0))
            bits = builder.bitcast(builder.and_(equal, inside), ir.IntType(width))
            return builder.zext(bits, ir.IntType(64))

        return types.uint64(row_type, mask_type, types.uint32), codegen

    return masked_sum, match_bits


@intrinsic
def _rows_before(typingctx, running_type, shift_type, rank_type, rows_type):
    """How many of the first ``rows`` (<= 32) running row totals have their byte at
    ``shift`` <= ``rank``: the rows that end before the rank-th marked cell (vector code,
    as above; ``running`` has 32 elements)."""

    def codegen(context, builder, signature, args):
        array = context.make_array(running_type)(context, builder, args[0])
        vector = ir.VectorType(ir.IntType(32), 32)
        running = builder.load(builder.bitcast(array.data, vector.as_pointer()), align=4)

        def splat(value):
            value = builder.insert_element(ir.Constant(vector, ir.Undefined), value, ir.Constant(ir.IntType(32), 0))
            return builder.shuffle_vector(
                value, ir.Constant(vector, ir.Undefined), ir.Constant(ir.VectorType(ir.IntType(32), 32), [0] * 32)
            )

        counts = builder.and_(builder.lshr(running, splat(args[1])), ir.Constant(vector, 0xFF))
        rank = builder.trunc(args[2], ir.IntType(32))
        bits = builder.bitcast(builder.icmp_unsigned("<=", counts, splat(rank)), ir.IntType(32))
        # Only the diamond's rows: bits & (2**rows - 1), computed in 64 bits (rows may be 32).
        one = ir.Constant(ir.IntType(64), 1)
        rows = builder.sub(builder.shl(one, args[3]), one)
        bits = builder.and_(bits, builder.trunc(rows, ir.IntType(32)))
        ctpop = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.IntType(32), [ir.IntType(32)]), "llvm.ctpop.i32"
        )
        return builder.zext(builder.call(ctpop, [bits]), ir.IntType(64))

    return types.int64(running_type, types.uint32, types.int64, types.int64), codegen


_masked_sum8, _match_bits8 = _vector_intrinsics(8)
_masked_sum16, _match_bits16 = _vector_intrinsics(16)
_masked_sum32, _match_bits32 = _vector_intrinsics(32)


@njit(cache=True, nogil=True)
def _tables(height, width, reach, vision, window):
    """The diamond of a vision as window masks: mask (2v+1, window) uint32 of all-ones
    inside the diamond's row, and each row's start offset from the centre's padded index."""
    padded_width = width + 2 * reach
    mask = np.zeros((2 * vision + 1, window), np.uint32)
    start = np.empty(2 * vision + 1, np.int64)
    for i in range(2 * vision + 1):
        dy = i - vision
        half = vision - abs(dy)
        for j in range(vision - half, vision + half + 1):
            mask[i, j] = np.uint32(0xFFFFFFFF)
        start[i] = dy * padded_width - vision
    return mask, start


@njit(cache=True, nogil=True, inline="always")
def _window_sum(packed, base, row_mask, window):
    """Masked sum of the window of cells starting at padded index ``base``."""
    if window == 16:
        return _masked_sum16(packed[base : base + 16], row_mask)
    if window == 8:
        return _masked_sum8(packed[base : base + 8], row_mask)
    return _masked_sum32(packed[base : base + 32], row_mask)


@njit(cache=True, nogil=True, inline="always")
def _window_bits(packed, base, row_mask, window, value):
    """Bit j set iff cell j of the window is inside the mask and equal to ``value``."""
    if window == 16:
        return _match_bits16(packed[base : base + 16], row_mask, value)
    if window == 8:
        return _match_bits8(packed[base : base + 8], row_mask, value)
    return _match_bits32(packed[base : base + 32], row_mask, value)


@njit(cache=True, nogil=True, inline="always")
def _diamond_sums(packed, centre, mask, start, window, running):
    """Sum the packed grid over each row of the diamond around the padded index
    ``centre``, centre included; fills ``running[i]`` with the sum over rows 0 .. i and
    returns the total (``running`` has 32 elements)."""
    total = np.uint32(0)
    for i in range(mask.shape[0]):
        total = np.uint32(total + _window_sum(packed, centre + start[i], mask[i], window))
        running[i] = total
    return total


@njit(cache=True, nogil=True, inline="always")
def _nth_within_vision(packed, centre, mask, start, window, running, shift, rank, unpad):
    """The cell (flat, unpadded) of the rank-th marked cell within vision in canonical
    order (rows top to bottom, then left to right); marked means packed == 1 << shift.
    ``running`` holds :func:`_diamond_sums`' running totals for this centre and grid state.

    Few branches, since which row and which cell are random: the row is the number of
    rows whose running count stays <= rank; in it, the marked cells become a bit mask,
    whose lowest set bits are cleared until the wanted one is the lowest.
    """
    shift_bits = np.uint32(shift)
    row = _rows_before(running, shift_bits, rank, np.int64(mask.shape[0]))
    before = np.int64((running[row - 1] >> shift_bits) & np.uint32(0xFF)) if row > 0 else np.int64(0)
    base = centre + start[row]
    bits = _window_bits(packed, base, mask[row], window, np.uint32(1) << shift_bits)
    for _ in range(rank - before):
        bits &= bits - np.uint64(1)
    lowest = bits & (~bits + np.uint64(1))  # the wanted bit alone
    return unpad[base + _DEBRUIJN[(lowest * np.uint64(0x022FDD63CC95386D)) >> np.uint64(58)]]


@njit(cache=True, nogil=True, inline="always")
def _put(packed, copies, cell, value):
    """Write a packed cell and its wrap copies (choice 3): four writes, without a branch
    (a cell with fewer copies points the others at a scratch element)."""
    where = copies[cell]
    packed[where[0]] = value
    packed[where[1]] = value
    packed[where[2]] = value
    packed[where[3]] = value


@njit(cache=True, nogil=True, inline="always")
def _is_active_now(
    hardship, risk_aversion, total, legitimacy, threshold, arrest_constant, rounding, risk_factor, table
):
    """Epstein's rule in float64, in the former engine's order of operations; ``total`` is
    the packed sum over the citizen's vision, centre excluded; ``table[n]`` holds
    1 - exp(-k n) for whole-number ratios (choice 4)."""
    grievance = np.float64(hardship) * (1.0 - legitimacy)
    police_seen = np.float64(total >> np.uint32(16))
    actives_seen = np.float64((total >> np.uint32(8)) & np.uint32(0xFF)) + 1.0  # she counts herself
    ratio = police_seen / actives_seen
    if rounding == _LITERAL:
        if not grievance > threshold:
            return False  # choice 4: no exp for a citizen who cannot turn active
        arrest = 1.0 - np.exp(-arrest_constant * ratio)
    elif rounding == _ROUND:
        arrest = table[np.int64(np.rint(ratio))]  # half to even, like Python's round in Mesa
    else:
        arrest = table[np.int64(np.floor(ratio))]  # NetLogo Rebellion
    # Both comparisons without a branch: which citizens are aggrieved enough is random.
    return (grievance > threshold) & (grievance - np.float64(risk_aversion) * (arrest * risk_factor) > threshold)


@njit(cache=True, nogil=True, inline="always")
def _move(source, target, occupant, status, jail, hardship, risk, duty, packed, copies, pad_of):
    """Move the agent at ``source`` to the empty cell ``target`` with all its fields."""
    occupant[target] = occupant[source]
    status[target] = status[source]
    jail[target] = jail[source]
    hardship[target] = hardship[source]
    risk[target] = risk[source]
    duty[target] = duty[source]
    occupant[source] = _EMPTY
    status[source] = _QUIET
    jail[source] = 0
    hardship[source] = 0
    risk[source] = 0
    duty[source] = -1
    _put(packed, copies, target, packed[pad_of[source]])
    _put(packed, copies, source, np.uint32(_PACKED_EMPTY))


@njit(cache=True, nogil=True)
def _mesa_grid(
    occupant,
    status,
    jail,
    hardship,
    risk,
    duty,
    words,
    packed,
    row_sums,
    order,
    table,
    pad_of,
    unpad,
    copies,
    citizen_mask,
    citizen_start,
    citizen_window,
    police_mask,
    police_start,
    police_window,
    legitimacy,
    threshold,
    on_duty,
    risk_factor,
    arrest_constant,
    max_jail,
    rounding,
    movement,
):
    """One step of one grid in Mesa's random sequential order; returns (arrests, moves)."""
    agents = 0
    for c in range(occupant.size):
        if occupant[c] == _CITIZEN or (occupant[c] == _POLICE and duty[c] < on_duty):
            order[agents] = c
            agents += 1
    # Mesa's shuffle_do: a fresh uniform order of all agents every step (Fisher-Yates).
    for i in range(agents - 1, 0, -1):
        j = _scaled(words[_M_ORDER, i], i + 1)
        order[i], order[j] = order[j], order[i]
    # The agent k-th in the order reads word k of the other rows: a sequential read.
    pick_words, jail_words, move_words = words[_M_PICK], words[_M_JAIL], words[_M_MOVE if movement else _M_PICK]
    arrests = 0
    moves = 0
    for k in range(agents):
        c = order[k]  # an agent moves only when it acts, so it acts from its start cell
        centre = pad_of[c]
        if occupant[c] == _CITIZEN:
            # Mesa: `if self.jail_sentence: self.jail_sentence -= 1; return`; a term of 0
            # frees the citizen at her turn, and she decides and moves at once.
            if status[c] == _JAILED and jail[c] > 0:
                jail[c] -= 1
                continue
            total = _diamond_sums(packed, centre, citizen_mask, citizen_start, citizen_window, row_sums)
            was = packed[centre]
            total -= was  # the centre is not within vision
            is_active = _is_active_now(
                hardship[c], risk[c], total, legitimacy, threshold, arrest_constant, rounding, risk_factor, table
            )
            status[c] = _ACTIVE if is_active else _QUIET
            now = np.uint32(_PACKED_ACTIVE) if is_active else np.uint32(0)
            if now != was:
                _put(packed, copies, c, now)
            empties = np.int64(total & np.uint32(0xFF))
            if movement and empties > 0:
                # Her own change of state does not change which cells are empty.
                target = _nth_within_vision(
                    packed,
                    centre,
                    citizen_mask,
                    citizen_start,
                    citizen_window,
                    row_sums,
                    _EMPTY_SHIFT,
                    _scaled(move_words[k], empties),
                    unpad,
                )
                _move(c, target, occupant, status, jail, hardship, risk, duty, packed, copies, pad_of)
                moves += 1
        else:  # a police officer on duty: arrest one active citizen in sight, then move
            total = _diamond_sums(packed, centre, police_mask, police_start, police_window, row_sums)
            actives = np.int64((total >> np.uint32(8)) & np.uint32(0xFF))
            if actives > 0:
                arrested = _nth_within_vision(
                    packed,
                    centre,
                    police_mask,
                    police_start,
                    police_window,
                    row_sums,
                    _ACTIVE_SHIFT,
                    _scaled(pick_words[k], actives),
                    unpad,
                )
                status[arrested] = _JAILED
                jail[arrested] = _scaled(jail_words[k], max_jail + 1)  # U{0 .. J_max}, Mesa's randint
                _put(packed, copies, arrested, np.uint32(0))
                arrests += 1
            empties = np.int64(total & np.uint32(0xFF))  # an arrest empties no cell
            if movement and empties > 0:
                target = _nth_within_vision(
                    packed,
                    centre,
                    police_mask,
                    police_start,
                    police_window,
                    row_sums,
                    _EMPTY_SHIFT,
                    _scaled(move_words[k], empties),
                    unpad,
                )
                _move(c, target, occupant, status, jail, hardship, risk, duty, packed, copies, pad_of)
                moves += 1
    return arrests, moves


@njit(cache=True, nogil=True)
def _paper_grid(
    occupant,
    status,
    jail,
    hardship,
    risk,
    duty,
    words,
    packed,
    row_sums,
    cells_a,
    cells_b,
    values,
    claim,
    table,
    pad_of,
    unpad,
    copies,
    citizen_mask,
    citizen_start,
    citizen_window,
    police_mask,
    police_start,
    police_window,
    legitimacy,
    threshold,
    on_duty,
    risk_factor,
    arrest_constant,
    max_jail,
    rounding,
    movement,
    move_attempts,
):
    """One step of one grid with Epstein's simultaneous update; returns (arrests, moves).

    ``claim`` (int64, cells) must hold ``_NO_CLAIM`` everywhere; it is left so.
    """
    cells = occupant.size
    # 1. Citizens count down or decide, all from the grid as the step found it.
    deciding = 0
    for c in range(cells):
        if occupant[c] != _CITIZEN:
            continue
        if status[c] == _JAILED and jail[c] > 0:
            jail[c] -= 1
            continue
        is_active = False
        if np.float64(hardship[c]) * (1.0 - legitimacy) > threshold:  # choice 4: skip the count
            centre = pad_of[c]
            total = _diamond_sums(packed, centre, citizen_mask, citizen_start, citizen_window, row_sums)
            total -= packed[centre]
            is_active = _is_active_now(
                hardship[c], risk[c], total, legitimacy, threshold, arrest_constant, rounding, risk_factor, table
            )
        cells_a[deciding] = c
        values[deciding] = _ACTIVE if is_active else _QUIET
        deciding += 1
    for i in range(deciding):
        c = cells_a[i]
        status[c] = values[i]
        _put(packed, copies, c, np.uint32(_PACKED_ACTIVE) if values[i] == _ACTIVE else np.uint32(0))
    # 2. Officers on duty arrest: a pick each, conflicts to the smallest priority; the
    #    losers pick once more among the active citizens still free, then give up.
    officers = 0
    for c in range(cells):
        if occupant[c] == _POLICE and duty[c] < on_duty:
            cells_b[officers] = c
            officers += 1
    arrests = 0
    for row in (_P_PICK, _P_PICK2):
        claims = 0
        for i in range(officers):
            c = cells_b[i]
            centre = pad_of[c]
            total = _diamond_sums(packed, centre, police_mask, police_start, police_window, row_sums)
            actives = np.int64((total >> np.uint32(8)) & np.uint32(0xFF))
            if actives == 0:
                continue
            target = _nth_within_vision(
                packed,
                centre,
                police_mask,
                police_start,
                police_window,
                row_sums,
                _ACTIVE_SHIFT,
                _scaled(words[row, c], actives),
                unpad,
            )
            claim[target] = min(claim[target], np.int64(words[_P_ORDER, c]) * cells + c)
            cells_a[claims] = c
            values[claims] = target
            claims += 1
        losers = 0
        for i in range(claims):
            c, target = cells_a[i], values[i]
            if claim[target] == np.int64(words[_P_ORDER, c]) * cells + c:
                status[target] = _JAILED
                # The jail term is the arrested citizen's own pick word (she has not moved).
                jail[target] = _scaled(words[_P_PICK, target], max_jail + 1)
                arrests += 1
            else:
                cells_b[losers] = c
                losers += 1
        for i in range(claims):
            target = values[i]
            if claim[target] != _NO_CLAIM:
                claim[target] = _NO_CLAIM
                _put(packed, copies, target, np.uint32(0))
        officers = losers
    # 3. Free agents move in rounds: each picks a cell empty at the start of the round;
    #    where several pick one cell, the smallest priority moves and the others try again
    #    (reading the next move row) until they have used ``move_attempts`` attempts.
    moves = 0
    if not movement:
        return arrests, moves
    movers = 0
    for c in range(cells):
        if (occupant[c] == _CITIZEN and status[c] != _JAILED) or (occupant[c] == _POLICE and duty[c] < on_duty):
            cells_b[movers] = c
            values[movers] = 0  # failed attempts so far
            movers += 1
    for _ in range(move_attempts):
        claims = 0
        for i in range(movers):
            c = cells_b[i]
            cells_a[i] = -1  # no claim (yet) this round
            if c < 0:
                continue  # moved, or out of attempts
            centre = pad_of[c]
            if occupant[c] == _POLICE:
                mask, start, window = police_mask, police_start, police_window
            else:
                mask, start, window = citizen_mask, citizen_start, citizen_window
            total = _diamond_sums(packed, centre, mask, start, window, row_sums)
            empties = np.int64(total & np.uint32(0xFF))
            if empties == 0:
                continue  # nowhere to go this round: no attempt used
            target = _nth_within_vision(
                packed,
                centre,
                mask,
                start,
                window,
                row_sums,
                _EMPTY_SHIFT,
                _scaled(words[_P_MOVE + values[i], c], empties),
                unpad,
            )
            claim[target] = min(claim[target], np.int64(words[_P_ORDER, c]) * cells + c)
            cells_a[i] = target
            claims += 1
        if claims == 0:
            break
        for i in range(movers):
            c, target = cells_b[i], cells_a[i]
            if c < 0 or target < 0:
                continue
            if claim[target] == np.int64(words[_P_ORDER, c]) * cells + c:
                _move(c, target, occupant, status, jail, hardship, risk, duty, packed, copies, pad_of)
                moves += 1
                cells_b[i] = -1
            else:
                values[i] += 1
                if values[i] >= move_attempts:
                    cells_b[i] = -1
        for i in range(movers):
            if cells_a[i] >= 0:
                claim[cells_a[i]] = _NO_CLAIM
    return arrests, moves


_IN2 = {dtype: types.Array(dtype, 2, "C", readonly=True) for dtype in (types.int8, types.int16, types.float32)}
_OUT2 = {dtype: types.Array(dtype, 2, "C") for dtype in (types.int8, types.int16, types.float32, types.int64)}
_IN1 = {dtype: types.Array(dtype, 1, "C", readonly=True) for dtype in (types.float64, types.int64)}
_SIGNATURE = types.void(
    _IN2[types.int8],
    _IN2[types.int8],
    _IN2[types.int16],
    _IN2[types.float32],
    _IN2[types.float32],
    _IN2[types.int16],
    types.Array(types.uint32, 3, "C", readonly=True),
    _IN1[types.float64],
    _IN1[types.float64],
    _IN1[types.int64],
    _IN1[types.float64],
    _IN1[types.float64],
    _IN1[types.int64],
    types.int64,
    types.int64,
    types.int64,
    types.int64,
    types.int64,
    types.boolean,
    types.boolean,
    types.int64,
    _OUT2[types.int8],
    _OUT2[types.int8],
    _OUT2[types.int16],
    _OUT2[types.float32],
    _OUT2[types.float32],
    _OUT2[types.int16],
    _OUT2[types.int64],
)


@njit(_SIGNATURE, cache=True, nogil=True)
def step_grids(
    occupant_in,
    status_in,
    jail_in,
    hardship_in,
    risk_in,
    duty_in,
    words,
    legitimacy,
    threshold,
    on_duty,
    risk_factor,
    arrest_constant,
    max_jail,
    height,
    width,
    citizen_vision,
    police_vision,
    rounding,
    movement,
    sequential,
    move_attempts,
    occupant,
    status,
    jail,
    hardship,
    risk,
    duty,
    record,
):
    """One engine step of G grids; reads the ``*_in`` arrays, writes the others.

    Parameters
    ----------
    occupant_in, status_in : int8 (G, H W)
    jail_in, duty_in : int16 (G, H W)
    hardship_in, risk_in : float32 (G, H W)
        The state at the start of the step, cells flattened row by row (not modified).
    words : uint32 (G, rows, H W)
        The step's random words (:data:`MESA_ROWS` or :data:`PAPER_ROWS`).
    legitimacy, threshold, risk_factor, arrest_constant : float64 (G,)
    on_duty, max_jail : int64 (G,)
        Per-grid drivers and parameters.
    height, width, citizen_vision, police_vision : int
        Grid size and visions (1 <= v <= 10, 2 v + 1 <= min(H, W)).
    rounding : int
        :data:`ROUNDING_CODES` of the C/A operator.
    movement : bool
        Whether free agents move.
    sequential : bool
        True: the ``mesa`` variant (random sequential order); False: ``paper``.
    move_attempts : int
        Movement rounds of the ``paper`` variant (ignored by ``mesa``).
    occupant, status, jail, hardship, risk, duty : same as the inputs, writable
        Filled with the state after the step.
    record : int64 (G, 5)
        Filled with quiet, active, jailed citizens after the step, arrests and moves.
    """
    grids = occupant_in.shape[0]
    cells = height * width
    reach = max(citizen_vision, police_vision)
    padded_height, padded_width = height + 2 * reach, width + 2 * reach
    citizen_window = 8 if 2 * citizen_vision + 1 <= 8 else (16 if 2 * citizen_vision + 1 <= 16 else 32)
    police_window = 8 if 2 * police_vision + 1 <= 8 else (16 if 2 * police_vision + 1 <= 16 else 32)
    citizen_mask, citizen_start = _tables(height, width, reach, citizen_vision, citizen_window)
    police_mask, police_start = _tables(height, width, reach, police_vision, police_window)
    # The last row's window may read past the padded grid: 32 cells of slack, masked out;
    # then one scratch element for the copies a cell does not have (see _put).
    padded_size = padded_height * padded_width
    packed = np.zeros(padded_size + 33, np.uint32)
    unpad = np.full(packed.size, -1, np.int32)  # padded index -> flat cell
    pad_of = np.empty(cells, np.int32)  # flat cell -> its padded index (the unwrapped copy)
    copies = np.full((cells, 4), padded_size + 32, np.int32)  # flat cell -> padded indices holding it
    count = np.zeros(cells, np.int64)
    for py in range(padded_height):
        for px in range(padded_width):
            c = ((py - reach) % height) * width + (px - reach) % width
            p = py * padded_width + px
            unpad[p] = c
            copies[c, count[c]] = p
            count[c] += 1
    for c in range(cells):
        pad_of[c] = (c // width + reach) * padded_width + c % width + reach
    row_sums = np.zeros(32, np.uint32)  # running totals over the diamond's rows
    cells_a = np.empty(cells, np.int64)  # the mesa order, or the paper's lists
    cells_b = np.empty(cells, np.int64)
    values = np.empty(cells, np.int64)
    claim = np.full(cells, _NO_CLAIM, np.int64)
    table = np.empty(2 * citizen_vision * (citizen_vision + 1) + 1, np.float64)  # 1 - exp(-k n), n = 0 .. C max
    table_constant = np.nan
    cell_value = np.empty(cells, np.uint32)
    for g in range(grids):
        occupant[g, :] = occupant_in[g]
        status[g, :] = status_in[g]
        jail[g, :] = jail_in[g]
        hardship[g, :] = hardship_in[g]
        risk[g, :] = risk_in[g]
        duty[g, :] = duty_in[g]
        occ, sta, dut = occupant[g], status[g], duty[g]
        limit = on_duty[g]
        for c in range(cells):
            value = np.uint32(0)
            if occ[c] == _EMPTY:
                value = np.uint32(_PACKED_EMPTY)
            elif occ[c] == _CITIZEN:
                if sta[c] == _ACTIVE:
                    value = np.uint32(_PACKED_ACTIVE)
            elif dut[c] < limit:
                value = np.uint32(_PACKED_POLICE)
            cell_value[c] = value
        for p in range(padded_size):
            packed[p] = cell_value[unpad[p]]
        if rounding != _LITERAL and arrest_constant[g] != table_constant:  # usually once per call
            table_constant = arrest_constant[g]
            for n in range(table.size):
                table[n] = 1.0 - np.exp(-table_constant * np.float64(n))
        if sequential:
            arrests, moves = _mesa_grid(
                occ,
                sta,
                jail[g],
                hardship[g],
                risk[g],
                dut,
                words[g],
                packed,
                row_sums,
                cells_a,
                table,
                pad_of,
                unpad,
                copies,
                citizen_mask,
                citizen_start,
                citizen_window,
                police_mask,
                police_start,
                police_window,
                legitimacy[g],
                threshold[g],
                limit,
                risk_factor[g],
                arrest_constant[g],
                max_jail[g],
                rounding,
                movement,
            )
        else:
            arrests, moves = _paper_grid(
                occ,
                sta,
                jail[g],
                hardship[g],
                risk[g],
                dut,
                words[g],
                packed,
                row_sums,
                cells_a,
                cells_b,
                values,
                claim,
                table,
                pad_of,
                unpad,
                copies,
                citizen_mask,
                citizen_start,
                citizen_window,
                police_mask,
                police_start,
                police_window,
                legitimacy[g],
                threshold[g],
                limit,
                risk_factor[g],
                arrest_constant[g],
                max_jail[g],
                rounding,
                movement,
                move_attempts,
            )
        quiet = active = jailed = 0
        for c in range(cells):
            is_citizen = occ[c] == _CITIZEN
            active += is_citizen and sta[c] == _ACTIVE
            jailed += is_citizen and sta[c] == _JAILED
            quiet += is_citizen and sta[c] == _QUIET
        record[g, 0] = quiet
        record[g, 1] = active
        record[g, 2] = jailed
        record[g, 3] = arrests
        record[g, 4] = moves
