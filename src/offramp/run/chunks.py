"""Chunks of world indices: the one place where a run is cut into batches.

``offramp run`` simulates its worlds a chunk at a time (memory), and ``offramp explore``
makes a chunk the unit of work, of resume and of a file. Both cut the world indices
``0 .. worlds - 1`` into the same contiguous ranges here. A world's numbers depend only
on the seed and its index, so the cut changes no result.
"""

from __future__ import annotations

__all__ = ["world_chunks"]


def world_chunks(worlds: int, chunk_size: int) -> list[range]:
    """Contiguous ranges of world indices, ``chunk_size`` each (the last may be shorter).

    Parameters
    ----------
    worlds : int
        World indices in all (>= 0).
    chunk_size : int
        World indices per chunk (>= 1).

    Returns
    -------
    list of range
        ``range(0, c), range(c, 2c), ...`` covering ``0 .. worlds - 1`` once, in order.
    """
    return [range(start, min(start + chunk_size, worlds)) for start in range(0, worlds, chunk_size)]
