"""Random streams: the only place in offramp that creates random generators.

Every world gets its own generators, derived from the run's seed and the world's index
with :class:`numpy.random.SeedSequence`, one independent stream per submodel:

    world i, submodel s, (region k)  ->  SeedSequence(seed, spawn_key=(i, s, k))

Choices
-------
1. A world's numbers depend only on ``(seed, world index)``: never on the batch size, the
   chunk a world lands in, the number of workers or the executor. This is what makes
   results identical however a run is split (``SeedSequence(42).spawn(5)[3]`` equals
   ``SeedSequence(42, spawn_key=(3,))``).
2. One stream per submodel, so a new draw in the leader does not shift the unrest engine.
3. The strategy is *not* part of the key: strategies compared on the same world index
   see the same random numbers (common random numbers).
4. The bit generator is SFC64: statistically strong and the fastest NumPy offers here
   (about 1 ns per byte drawn), which matters because the unrest engine draws a block
   per grid per step.
5. Drawing loops over the B generators (about 1 us per world per call); every function
   draws one block per world per call and slices it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

__all__ = ["Stream", "WorldStreams", "world_seed_sequence"]


class Stream(IntEnum):
    """Stream ids, one per submodel. Never renumber: results depend on them."""

    UNREST = 0
    INNER_CIRCLE = 1
    LEADER = 2
    ESCALATION = 3
    COERCER = 4
    REGION_COUPLING = 5
    WAR = 6


def world_seed_sequence(seed: int, world: int, stream: Stream, *subkey: int) -> np.random.SeedSequence:
    """The seed sequence of one world's stream.

    Parameters
    ----------
    seed : int
        The run's seed (non-negative).
    world : int
        The world's index in the run (non-negative).
    stream : Stream
        Which submodel's stream.
    *subkey : int
        Further keys, e.g. the region index for per-region unrest grids.

    Returns
    -------
    numpy.random.SeedSequence
    """
    if seed is None:
        raise TypeError("seed: a seed is required (an integer >= 0)")
    return np.random.SeedSequence(int(seed), spawn_key=(int(world), int(stream), *map(int, subkey)))


def _words(generator: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """uint32 words straight from the bit generator: each raw 64-bit output is two words
    (twice as fast as ``integers(dtype=uint32)``, and every bit is uniform)."""
    count = math.prod(shape)
    raw = generator.bit_generator.random_raw((count + 1) // 2)
    return raw.view(np.uint32)[:count].reshape(shape)


@dataclass(frozen=True, slots=True)
class WorldStreams:
    """One random generator per row of a batch (a world, or a world's region).

    Drawing advances the generators: a ``WorldStreams`` is the one stateful thing a step
    function receives, and it is passed explicitly.
    """

    generators: tuple[np.random.Generator, ...]

    @classmethod
    def for_worlds(cls, seed: int, worlds: Sequence[int] | np.ndarray, stream: Stream, *subkey: int) -> WorldStreams:
        """Streams for the given world indices.

        Parameters
        ----------
        seed : int
            The run's seed.
        worlds : sequence of int, shape (B,)
            World indices (their position in the run, not in the batch).
        stream : Stream
            The submodel.
        *subkey : int
            Further keys (region index).
        """
        bit_generators = (
            np.random.SFC64(world_seed_sequence(seed, w, stream, *subkey))  # noqa: TID251 - the one module that creates generators
            for w in np.asarray(worlds).ravel()
        )
        return cls(tuple(np.random.Generator(bits) for bits in bit_generators))

    def __len__(self) -> int:
        return len(self.generators)

    def take(self, rows: Sequence[int] | np.ndarray) -> WorldStreams:
        """The streams of a subset of rows (shared generators, not copies).

        Parameters
        ----------
        rows : sequence of int or int array
            Positions of the rows to keep, in the order wanted.

        Returns
        -------
        WorldStreams
        """
        return WorldStreams(tuple(self.generators[int(i)] for i in np.asarray(rows).ravel()))

    def uniform(self, shape: tuple[int, ...] = ()) -> np.ndarray:
        """float64 uniforms on [0, 1), shape (B, *shape).

        Parameters
        ----------
        shape : tuple of int
            The shape of each world's draws.

        Returns
        -------
        float64 array (B, *shape)
        """
        out = np.empty((len(self.generators), *shape))
        if not shape:  # one number per world: no per-world array to fill
            out[:] = [g.random() for g in self.generators]
            return out
        for i, g in enumerate(self.generators):
            g.random(out=out[i])  # the same numbers as g.random(shape), without a stack
        return out

    def bits32(self, shape: tuple[int, ...], rows_per_generator: int = 1) -> np.ndarray:
        """Uniform uint32 words, batch first: shape (B * rows_per_generator, *shape).

        Each generator fills ``rows_per_generator`` consecutive batch rows (e.g. the K
        regions of one world) from one block that it draws laid out
        ``(*shape, rows_per_generator)``, so the per-call cost is paid once per generator,
        not once per row, and a row's words do not depend on the batch around it.

        Parameters
        ----------
        shape : tuple of int
            The shape of each row's words (e.g. rows x cells).
        rows_per_generator : int
            Batch rows each generator fills.

        Returns
        -------
        uint32 array (B * rows_per_generator, *shape)
        """
        out = np.empty((len(self.generators) * rows_per_generator, *shape), np.uint32)
        # Each generator's rows as a (rows, words) view of ``out``; the block drawn laid out
        # (words, rows) is written into it transposed (np.moveaxis does the same at several
        # times the cost per call, and this runs once per world per engine step).
        rows = out.reshape(len(self.generators), rows_per_generator, math.prod(shape))
        for i, g in enumerate(self.generators):
            rows[i] = _words(g, (math.prod(shape), rows_per_generator)).T
        return out

    def normal(self, shape: tuple[int, ...] = ()) -> np.ndarray:
        """Standard normal draws, shape (B, *shape).

        Parameters
        ----------
        shape : tuple of int
            The shape of each world's draws.

        Returns
        -------
        float64 array (B, *shape)
        """
        if not self.generators:
            return np.empty((0, *shape))
        return np.stack([g.standard_normal(shape) for g in self.generators])
