"""The batch axes of the campaign model, in one place (private).

Every array of a world state or of the parameters lies along the batch axis B (the
worlds) in one of three ways. A dataclass field declares which in its metadata, and
nothing else in the package needs to know:

1. **World rows** (the default). A state array has shape (B, ...). A parameter is a
   scalar, the same for every world, or an array of shape (B,) when it is swept.
2. **Region-shaped parameters** (``metadata=REGIONAL``): (K,), the same for every world,
   or (B, K), one row per world. The declaration is what tells a (K,) table from a
   swept (B,) parameter when K happens to equal B.
3. **Grid rows** (``metadata=GRID_ROWS``): a nested dataclass whose arrays have B * K
   rows, world-major (the regions' grids, and the unrest parameters of those grids).

:func:`map_world_rows` walks states and parameters by these declarations;
:func:`take_worlds` (``WorldParams.take``, ``WorldState.take``) and the freezing of ended
worlds are built on it. :func:`per_world` and :func:`per_world_column` turn a scalar or
(B,) parameter into an array that broadcasts against state arrays, so that every rule
is written once; :func:`relax` is the one exponential relaxation of the submodels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, is_dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, TypeVar

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = [
    "REGIONAL",
    "GRID_ROWS",
    "per_world",
    "per_world_column",
    "relax",
    "map_world_rows",
    "count_worlds",
    "world_index",
    "take_worlds",
]

_AXES = "batch_axes"
REGIONAL = MappingProxyType({_AXES: "regional"})
"""Field metadata: a parameter of shape (K,) for every world, or (B, K) per world."""
GRID_ROWS = MappingProxyType({_AXES: "grid_rows"})
"""Field metadata: a nested dataclass whose arrays have K rows per world (B * K)."""

_Batched = TypeVar("_Batched", bound="DataclassInstance")
"""A state or parameters dataclass: the walks below return one of the type they are given."""


def per_world(value: ArrayLike, n_worlds: int) -> np.ndarray:
    """A scalar or (B,) parameter as a read-only float64 (B,) view.

    Parameters
    ----------
    value : float or array_like, shape () or (B,)
        The parameter.
    n_worlds : int
        B, the number of worlds.

    Returns
    -------
    float64 ndarray, shape (B,)
    """
    return np.broadcast_to(np.asarray(value, dtype=np.float64), (n_worlds,))


def per_world_column(value: ArrayLike, n_worlds: int) -> np.ndarray:
    """A scalar or (B,) parameter as a read-only float64 (B, 1) view, broadcastable over
    a second axis (regions K or elites E).

    Parameters
    ----------
    value : float or array_like, shape () or (B,)
        The parameter.
    n_worlds : int
        B, the number of worlds.

    Returns
    -------
    float64 ndarray, shape (B, 1)
    """
    return per_world(value, n_worlds)[:, None]


def relax(value: np.ndarray, target: float | np.ndarray, time_constant_weeks: float | np.ndarray) -> np.ndarray:
    """One week of exponential relaxation toward a target.

    ``value + (target - value) (1 - exp(-1 / tau))``; ``-expm1`` keeps the step exact for
    long time constants.

    Parameters
    ----------
    value : float64 array
        The quantity now, (B,) or (B, K).
    target : float or float64 array
        Where it relaxes to, broadcastable against ``value``.
    time_constant_weeks : float or float64 array
        tau, broadcastable against ``value`` [weeks].

    Returns
    -------
    float64 array, the shape of ``value`` broadcast with the others
    """
    return value + (target - value) * -np.expm1(-1.0 / np.asarray(time_constant_weeks, np.float64))


def map_world_rows(
    function: Callable[..., np.ndarray],
    *items: _Batched,
    n_worlds: int | None,
    n_regions: int,
    rows_per_world: int = 1,
) -> _Batched:
    """Apply ``function(rows_per_world, *arrays)`` to every per-world array of dataclasses
    of one type (states, or parameters), following the fields' declared axes.

    An array is per world when it has more axes than its field declares without the
    world axis (none by default, one for ``REGIONAL`` fields); its leading axis is then
    B times the rows each world has (K inside a ``GRID_ROWS`` field, 1 elsewhere).
    Nested dataclasses are walked; everything else (scalars, names, enums, shared
    arrays) is taken from the last item.

    Parameters
    ----------
    function : callable
        ``function(rows_per_world, *arrays) -> array``, called once per per-world field
        with that field of every item.
    *items : dataclass instances of one type
    n_worlds : int or None
        B; every per-world array is checked against it. None skips the check (used to
        find B).
    n_regions : int
        K, the rows per world inside ``GRID_ROWS`` fields.
    rows_per_world : int
        Rows per world of the arrays at this level (1 at the top).

    Returns
    -------
    A dataclass of the items' type.

    Raises
    ------
    ValueError
        A per-world array whose leading axis is not B times its rows per world.
    """
    last = items[-1]
    values: dict[str, object] = {}
    for field in fields(last):
        parts = [getattr(item, field.name) for item in items]
        value = parts[-1]
        axes = field.metadata.get(_AXES)
        per_world = rows_per_world * n_regions if axes == GRID_ROWS[_AXES] else rows_per_world
        shared_ndim = 1 if axes == REGIONAL[_AXES] else 0
        if is_dataclass(value) and not isinstance(value, type):
            values[field.name] = map_world_rows(
                function, *parts, n_worlds=n_worlds, n_regions=n_regions, rows_per_world=per_world
            )
        elif isinstance(value, np.ndarray) and value.ndim > shared_ndim:
            rows = value.shape[0]
            if (n_worlds is not None and rows != n_worlds * per_world) or rows % per_world:
                expected = f"{n_worlds} worlds x {per_world}" if n_worlds is not None else f"a multiple of {per_world}"
                raise ValueError(f"{field.name}: leading axis {rows} is not {expected}")
            values[field.name] = function(per_world, *parts)
        else:
            values[field.name] = value
    return type(last)(**values)


def count_worlds(item: DataclassInstance, n_regions: int) -> int | None:
    """B, read off the per-world arrays of a state or of parameters.

    Parameters
    ----------
    item : dataclass instance
    n_regions : int
        K.

    Returns
    -------
    int or None
        None when no array is per world (every parameter is shared by all worlds).

    Raises
    ------
    ValueError
        Per-world arrays that disagree on B.
    """
    sizes: set[int] = set()

    def note(per_world: int, array: np.ndarray) -> np.ndarray:
        sizes.add(array.shape[0] // per_world)
        return array

    map_world_rows(note, item, n_worlds=None, n_regions=n_regions)
    if len(sizes) > 1:
        raise ValueError(f"per-world arrays disagree on the number of worlds: {sorted(sizes)}")
    return sizes.pop() if sizes else None


def world_index(rows: ArrayLike, n_worlds: int) -> np.ndarray:
    """Positions in the batch, from an int index array or a bool mask of shape (B,).

    Parameters
    ----------
    rows : int array (N,) or bool array (B,)
        Which worlds, in the order wanted (a mask keeps the batch's order).
    n_worlds : int
        B.

    Returns
    -------
    intp array (N,)

    Raises
    ------
    IndexError
        An index outside 0 .. B-1, or a mask of another length.
    """
    rows = np.asarray(rows)
    if rows.dtype != bool and rows.size == 0:
        rows = rows.astype(np.intp)  # an empty list arrives as float64
    return np.arange(n_worlds)[rows]


def take_worlds(item: _Batched, rows: ArrayLike, n_worlds: int, n_regions: int) -> _Batched:
    """The worlds ``rows`` of a state or of parameters; shared values stay as they are.

    Parameters
    ----------
    item : dataclass instance
        A state or parameters of B worlds.
    rows : int array (N,) or bool array (B,)
        Which worlds, in the order wanted.
    n_worlds : int
        B.
    n_regions : int
        K.

    Returns
    -------
    A dataclass of the item's type, for N worlds.
    """
    index = world_index(rows, n_worlds)

    def pick(per_world: int, array: np.ndarray) -> np.ndarray:
        if per_world == 1:
            return array[index]
        # World i's rows are i * per_world .. i * per_world + per_world - 1 (world-major).
        return array[(index[:, None] * per_world + np.arange(per_world)).ravel()]

    return map_world_rows(pick, item, n_worlds=n_worlds, n_regions=n_regions)
