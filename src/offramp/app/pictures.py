"""Pictures of a world's state: each region's grid and the inner circle, as PNG images.

Pure NumPy and Pillow (matplotlib's own image dependency), no web framework: a UI shows
the bytes as it likes. A 12x12 grid is drawn in well under a millisecond, so a week's
pictures cost nothing next to the week's step.

Choices
-------
1. Colours follow the report's figures: quiet citizens grey, active citizens red, jailed
   citizens dark violet, police blue, empty cells white; loyal elites grey, wavering
   orange, defected red, purged black. Red is what changed against the regime.
2. Cells are drawn as squares of ``scale`` pixels (nearest-neighbour), so a grid's cells
   stay sharp at any size; the scale is chosen so that a grid is about 150 pixels wide.
"""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from offramp.app.session import Cell
from offramp.model.cascade import Elite

__all__ = ["CELL_COLOURS", "ELITE_COLOURS", "grid_png", "elites_png", "data_uri"]

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

_CELL_LUT = np.array([CELL_COLOURS[Cell(code)] for code in range(len(Cell))], dtype=np.uint8)
_ELITE_LUT = np.array([ELITE_COLOURS[Elite(code)] for code in range(len(Elite))], dtype=np.uint8)


def _png(rgb: np.ndarray, scale: int) -> bytes:
    big = np.repeat(np.repeat(rgb, scale, axis=0), scale, axis=1)
    out = io.BytesIO()
    Image.fromarray(big, mode="RGB").save(out, format="PNG", compress_level=1)
    return out.getvalue()


def grid_png(grid: np.ndarray, width: int = 150) -> bytes:
    """One region's grid as a PNG (choice 2).

    Parameters
    ----------
    grid : int8 (H, W)
        :class:`~offramp.app.session.Cell` codes.
    width : int
        About how many pixels wide the picture is.

    Returns
    -------
    bytes
    """
    return _png(_CELL_LUT[np.asarray(grid, dtype=np.intp)], max(1, width // max(1, grid.shape[1])))


def elites_png(elites: np.ndarray, per_row: int = 10, scale: int = 14) -> bytes:
    """The inner circle as a strip of squares, one per elite, coloured by status.

    Parameters
    ----------
    elites : int8 (E,)
        :class:`~offramp.model.cascade.Elite` codes.
    per_row : int
        Elites per row.
    scale : int
        Pixels per elite.

    Returns
    -------
    bytes
    """
    codes = np.asarray(elites, dtype=np.intp)
    rows = -(-len(codes) // per_row) if len(codes) else 1
    rgb = np.full((rows * per_row, 3), 255, dtype=np.uint8)
    rgb[: len(codes)] = _ELITE_LUT[codes]
    return _png(rgb.reshape(rows, per_row, 3), scale)


def data_uri(png: bytes) -> str:
    """A PNG as a ``data:`` URI, for an ``<img>`` that needs no file and no request.

    Parameters
    ----------
    png : bytes

    Returns
    -------
    str
    """
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
