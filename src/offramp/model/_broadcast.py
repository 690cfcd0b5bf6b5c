"""Broadcasting helpers shared by the campaign submodels (private).

A parameter is a scalar or a float64 array of shape (B,) when it is swept across worlds.
These helpers turn either form into an array that broadcasts against state arrays with a
leading world axis, so every rule is written once.
"""

from __future__ import annotations

import numpy as np

__all__ = ["per_world", "per_world_column"]


def per_world(value, n_worlds: int) -> np.ndarray:
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


def per_world_column(value, n_worlds: int) -> np.ndarray:
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
