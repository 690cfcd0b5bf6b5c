"""Torus geometry of the unrest grids: von Neumann vision, counts and choices within it.

A region is an H x W torus of cells. An agent with vision v sees the von Neumann diamond
``|dy| + |dx| <= v`` around its cell, centre excluded: ``2 v (v + 1)`` cells (112 at
v = 7), as in Mesa's ``OrthogonalVonNeumannGrid.get_neighborhood(radius=v)``.

Choices
-------
1. Counts within vision are computed for every cell of every grid at once from row-wise
   prefix sums: the diamond is ``2v + 1`` row segments, each an O(1) difference of
   prefix sums, so a count costs ``2v + 1`` whole-array subtractions whatever the grid
   size (the summed-area-table idea of MODEL.md, laid out for a diamond).
2. Prefix sums are kept in uint16 and subtracted modulo 2**16: a segment holds at most
   ``2v + 1`` cells, each contributing < 256, so the true difference is < 2**16 and the
   modular difference is exact even where the running sum wraps around.
3. A diamond must not overlap itself on the torus (``2v + 1 <= min(H, W)``); the scenario
   layer enforces this, since Mesa would then count a cell once where we would count it
   twice.
4. Arrays are laid out cells first, batch last: (H, W, *batch). A shifted view of the
   grid is then one contiguous block per row, so whole-array operations on it run at
   full speed however many grids the batch holds.
5. "The j-th marked cell within vision" uses one canonical order of the diamond's cells:
   rows from top (dy = -v) to bottom, then columns left to right. The loop-based
   reference in the tests uses the same order, which is what makes the differential
   test exact.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

import numpy as np

__all__ = [
    "diamond_offsets",
    "vision_cell_count",
    "torus_row_prefix",
    "count_in_vision",
    "nth_marked_in_vision",
    "neighbour_index",
]


@lru_cache(maxsize=64)
def diamond_offsets(vision: int) -> np.ndarray:
    """Offsets of the cells within von Neumann vision, in canonical order.

    Parameters
    ----------
    vision : int
        Radius v >= 1 in cells.

    Returns
    -------
    numpy.ndarray
        int16 (2 v (v + 1), 2): rows of ``(dy, dx)``, dy ascending then dx ascending, the
        centre (0, 0) excluded. Read-only.
    """
    rows = [(dy, dx) for dy in range(-vision, vision + 1) for dx in range(-(vision - abs(dy)), vision - abs(dy) + 1)]
    offsets = np.array([o for o in rows if o != (0, 0)], dtype=np.int16)
    offsets.setflags(write=False)
    return offsets


def vision_cell_count(vision: int) -> int:
    """Number of cells an agent with this vision sees: 2 v (v + 1).

    Parameters
    ----------
    vision : int
        Radius of the von Neumann diamond [cells].

    Returns
    -------
    int
        Cells in the diamond, the centre excluded (112 at radius 7).
    """
    return 2 * vision * (vision + 1)


def torus_row_prefix(mask: np.ndarray, reach: int) -> np.ndarray:
    """Row-wise prefix sums of a mask padded by ``reach`` cells of torus wrap on each side.

    Parameters
    ----------
    mask : numpy.ndarray
        Integer or bool (H, W, *batch), each value < 256.
    reach : int
        Padding in cells (the vision).

    Returns
    -------
    numpy.ndarray
        uint16 (H + 2 reach, W + 2 reach + 1, *batch); ``prefix[r, c]`` is the sum of the
        padded row r over padded columns ``[0, c)``, modulo 2**16.
    """
    pad = ((reach, reach), (reach, reach)) + ((0, 0),) * (mask.ndim - 2)
    padded = np.pad(mask.astype(np.uint16, copy=False), pad, mode="wrap")
    prefix = np.empty((padded.shape[0], padded.shape[1] + 1, *padded.shape[2:]), dtype=np.uint16)
    prefix[:, 0] = 0
    # A loop over columns beats np.cumsum(axis=1) here: each addition runs over a
    # contiguous (rows x batch) block, where cumsum walks a short strided axis.
    for column in range(padded.shape[1]):
        np.add(prefix[:, column], padded[:, column], out=prefix[:, column + 1])
    return prefix


def _row_segments(prefix: np.ndarray, vision: int, height: int, width: int) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (dy, segment count) for the 2v+1 rows of the diamond, as (H, W, *batch) uint16."""
    r = vision
    for dy in range(-vision, vision + 1):
        half = vision - abs(dy)
        rows = prefix[r + dy : r + dy + height]
        # sum of mask[y+dy, x-half .. x+half] = P[x+half+1] - P[x-half]  (padded coordinates)
        yield dy, rows[:, r + half + 1 : r + half + 1 + width] - rows[:, r - half : r - half + width]


def count_in_vision(mask: np.ndarray, vision: int, prefix: np.ndarray | None = None) -> np.ndarray:
    """For every cell, the sum of ``mask`` over the cells within vision (centre excluded).

    Parameters
    ----------
    mask : numpy.ndarray
        Integer or bool (H, W, *batch); values < 256 (two counts may be packed as
        ``a + 256 b`` when the packed total stays below 2**16).
    vision : int
        Radius v.
    prefix : numpy.ndarray, optional
        ``torus_row_prefix(mask, vision)`` if the caller has it already.

    Returns
    -------
    numpy.ndarray
        uint16 (H, W, *batch).
    """
    height, width = mask.shape[:2]
    if prefix is None:
        prefix = torus_row_prefix(mask, vision)
    total = mask.astype(np.uint16)
    np.negative(total, out=total)  # the centre is not within vision: start from -mask (mod 2**16)
    for _, segment in _row_segments(prefix, vision, height, width):
        total += segment
    return total


def nth_marked_in_vision(mask: np.ndarray, rank: np.ndarray, vision: int) -> np.ndarray:
    """For every cell, the offset index of the ``rank``-th marked cell within its vision.

    Parameters
    ----------
    mask : numpy.ndarray
        bool (H, W, *batch): the marked cells (e.g. empty cells). The centre is skipped
        even if marked.
    rank : numpy.ndarray
        Integer (H, W, *batch): 0-based rank in canonical order; cells with rank < 0 or
        rank >= the number of marked cells in vision get no choice.
    vision : int
        Radius v.

    Returns
    -------
    numpy.ndarray
        int16 (H, W, *batch): index into :func:`diamond_offsets` (vision), or -1 where
        there is no choice.

    Notes
    -----
    Walks the diamond in canonical order with one shifted view per offset, counting the
    marks down from the rank: the chosen index is the number of offsets after which the
    count is still >= 0,

        chosen = sum over offsets o of [rank - marks(offsets 0..o) >= 0],

    three whole-array operations per offset on one-byte integers. (A two-stage search,
    row by prefix sums then column by binary search, does fewer operations but on
    64-bit gathered indices, and measured three times slower for 1,000 grids.)
    """
    height, width = mask.shape[:2]
    r = vision
    n_offsets = vision_cell_count(vision)
    # One-byte counters while every rank fits (2v(v+1) <= 127, v <= 7); two above.
    count_type = np.int8 if n_offsets <= 127 else np.int16
    # Same-type operands throughout: mixing int8 with uint8 or bool would send NumPy to a
    # casting loop that runs at half the speed of the plain one.
    padded = np.pad(mask, ((r, r), (r, r)) + ((0, 0),) * (mask.ndim - 2), mode="wrap").astype(count_type)
    rank = np.asarray(rank)
    remaining = np.where(rank < 0, -1, rank).astype(count_type)
    passed = np.zeros(mask.shape, count_type)
    is_left = np.empty(mask.shape, bool)
    # A bool is one byte holding 0 or 1: seen as int8 it adds without a casting loop.
    left_count = is_left.view(np.int8) if count_type is np.int8 else is_left
    for dy, dx in diamond_offsets(vision):
        np.subtract(remaining, padded[r + dy : r + dy + height, r + dx : r + dx + width], out=remaining)
        np.greater_equal(remaining, 0, out=is_left)
        passed += left_count
    # rank >= marks in vision leaves every offset passed: no choice; rank < 0 passes none.
    return np.where((rank >= 0) & (passed < n_offsets), passed, -1).astype(np.int16)


@lru_cache(maxsize=16)
def neighbour_index(height: int, width: int, vision: int) -> np.ndarray:
    """Flat torus index of every cell's neighbours, in canonical order.

    Returns
    -------
    numpy.ndarray
        int32 (H * W, 2 v (v + 1)); row ``y * W + x`` lists ``((y + dy) % H) * W + (x + dx) % W``.
        Read-only.
    """
    offsets = diamond_offsets(vision).astype(np.int64)
    ys, xs = np.divmod(np.arange(height * width), width)
    table = ((ys[:, None] + offsets[None, :, 0]) % height) * width + (xs[:, None] + offsets[None, :, 1]) % width
    table = table.astype(np.int32)
    table.setflags(write=False)
    return table
