"""Torus geometry of the unrest grids: von Neumann vision and its canonical order.

A region is an H x W torus of cells. An agent with vision v sees the von Neumann diamond
``|dy| + |dx| <= v`` around its cell, centre excluded: ``2 v (v + 1)`` cells (112 at
v = 7), as in Mesa's ``OrthogonalVonNeumannGrid.get_neighborhood(radius=v)``.

Choices
-------
1. A diamond must not overlap itself on the torus (``2v + 1 <= min(H, W)``); the scenario
   layer enforces this, since Mesa would then count a cell once where we would count it
   twice.
2. "The j-th marked cell within vision" uses one canonical order of the diamond's cells:
   rows from top (dy = -v) to bottom, then columns left to right. The compiled kernel
   (``unrest_kernel``) and the loop-based reference in the tests use the same order,
   which is what makes the differential test exact.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

__all__ = ["diamond_offsets", "vision_cell_count"]


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
    """Number of cells an agent with this vision sees.

    Parameters
    ----------
    vision : int
        Radius v >= 1 in cells.

    Returns
    -------
    int
        2 v (v + 1).
    """
    return 2 * vision * (vision + 1)
