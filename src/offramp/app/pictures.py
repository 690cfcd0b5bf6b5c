"""Pictures of a world's state: each region's grid and the inner circle, as RGBA images.

Pure NumPy, no web framework: a UI draws the arrays as it likes (the app's views with
Bokeh's ``image_rgba``, so a new week sends a few hundred numbers per grid and the
browser repaints a canvas, with no page layout to redo).

Choices
-------
1. Colours follow the report's figures: quiet citizens grey, active citizens red, jailed
   citizens dark violet, police blue, empty cells white; loyal elites grey, wavering
   orange, defected red, purged black. Red is what changed against the regime.
2. Images are uint32 RGBA (one value per pixel, red in the lowest byte, as Bokeh and
   browsers read them) with their first row at the *bottom*, as a plot's y axis runs: row
   0 of a grid is drawn at the top, where a reader expects it.
"""

from __future__ import annotations

import numpy as np

from offramp.app.session import Cell
from offramp.model.cascade import Elite

__all__ = ["CELL_COLOURS", "ELITE_COLOURS", "grid_rgba", "elites_rgba", "ELITES_PER_ROW"]

CELL_COLOURS: dict[Cell, tuple[int, int, int]] = {
    Cell.EMPTY: (255, 255, 255),
    Cell.QUIET: (190, 190, 190),
    Cell.ACTIVE: (214, 39, 40),
    Cell.JAILED: (88, 24, 120),
    Cell.POLICE: (31, 119, 180),
}
"""RGB of each :class:`~offramp.app.session.Cell` code (choice 1)."""

ELITE_COLOURS: dict[Elite, tuple[int, int, int]] = {
    Elite.LOYAL: (190, 190, 190),
    Elite.WAVERING: (255, 127, 14),
    Elite.DEFECTED: (214, 39, 40),
    Elite.PURGED: (30, 30, 30),
}
"""RGB of each :class:`~offramp.model.cascade.Elite` status (choice 1)."""

ELITES_PER_ROW = 6
"""Elites per row of the inner circle's picture."""

_NOBODY = 0xFFFFFFFF  # white, opaque: a place in the circle's last row with no elite


def _rgba(colours: dict) -> np.ndarray:
    return np.array(
        [r | (g << 8) | (b << 16) | (255 << 24) for r, g, b in (colours[key] for key in sorted(colours))],
        dtype=np.uint32,
    )


_CELL_LUT = _rgba(CELL_COLOURS)
_ELITE_LUT = _rgba(ELITE_COLOURS)


def grid_rgba(grid: np.ndarray) -> np.ndarray:
    """One region's grid as an image (choice 2).

    Parameters
    ----------
    grid : int8 (H, W)
        :class:`~offramp.app.session.Cell` codes, row 0 at the top.

    Returns
    -------
    uint32 (H, W)
        RGBA, row 0 at the bottom.
    """
    return np.ascontiguousarray(_CELL_LUT[np.asarray(grid, dtype=np.intp)][::-1])


def elites_rgba(elites: np.ndarray, per_row: int = ELITES_PER_ROW) -> np.ndarray:
    """The inner circle as an image: one square per elite, coloured by status, ``per_row``
    to a row, the first elite top left (choice 2).

    Parameters
    ----------
    elites : int8 (E,)
        :class:`~offramp.model.cascade.Elite` codes.
    per_row : int
        Elites per row.

    Returns
    -------
    uint32 (ceil(E / per_row), per_row)
        RGBA, row 0 at the bottom.
    """
    codes = np.asarray(elites, dtype=np.intp)
    rows = max(1, -(-len(codes) // per_row))
    image = np.full(rows * per_row, _NOBODY, dtype=np.uint32)
    image[: len(codes)] = _ELITE_LUT[codes]
    return np.ascontiguousarray(image.reshape(rows, per_row)[::-1])
