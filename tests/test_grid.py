"""Torus geometry: counts and choices within vision against brute force."""

from __future__ import annotations

import numpy as np
import pytest

from offramp.model.grid import (
    count_in_vision,
    diamond_offsets,
    neighbour_index,
    nth_marked_in_vision,
    vision_cell_count,
)


@pytest.mark.parametrize("vision", [1, 2, 3, 7])
def test_diamond_has_2v_v_plus_1_cells_in_canonical_order(vision):
    offsets = diamond_offsets(vision)
    assert len(offsets) == vision_cell_count(vision) == 2 * vision * (vision + 1)
    assert (np.abs(offsets).sum(axis=1) <= vision).all()
    assert not ((offsets == 0).all(axis=1)).any()
    assert [tuple(o) for o in offsets] == sorted(tuple(o) for o in offsets)
    assert vision_cell_count(7) == 112  # Mesa's von Neumann radius-7 neighbourhood


def _brute_counts(mask, vision):
    height, width = mask.shape[:2]
    out = np.zeros(mask.shape, np.int64)
    for y in range(height):
        for x in range(width):
            for dy, dx in diamond_offsets(vision):
                out[y, x] += mask[(y + dy) % height, (x + dx) % width]
    return out


@pytest.mark.parametrize(("height", "width", "vision"), [(5, 5, 2), (7, 11, 3), (15, 16, 7), (9, 9, 1)])
def test_count_in_vision_matches_brute_force(height, width, vision):
    rng = np.random.default_rng(height * width + vision)
    mask = rng.random((height, width, 3)) < 0.4
    np.testing.assert_array_equal(count_in_vision(mask, vision), _brute_counts(mask, vision))
    packed = mask.astype(np.uint16) + (rng.random(mask.shape) < 0.2).astype(np.uint16) * 256
    counts = count_in_vision(packed, vision)
    np.testing.assert_array_equal(counts & 0xFF, _brute_counts(packed & 0xFF, vision))
    np.testing.assert_array_equal(counts >> 8, _brute_counts(packed >> 8, vision))


@pytest.mark.parametrize(("height", "width", "vision"), [(5, 5, 2), (7, 11, 3), (15, 16, 7), (9, 9, 1), (21, 21, 10)])
def test_nth_marked_matches_brute_force(height, width, vision):
    rng = np.random.default_rng(vision)
    mask = rng.random((height, width, 4)) < 0.3
    asks = rng.random(mask.shape) < 0.8
    counts = count_in_vision(mask, vision)
    rank = np.where(asks, rng.integers(-1, counts.astype(np.int64) + 2), -1)
    chosen = nth_marked_in_vision(mask, rank, vision)
    table = neighbour_index(height, width, vision)
    for y in range(height):
        for x in range(width):
            for b in range(mask.shape[2]):
                marked = [i for i, c in enumerate(table[y * width + x]) if mask.reshape(-1, 4)[c, b]]
                k = rank[y, x, b]
                expected = marked[k] if 0 <= k < len(marked) and asks[y, x, b] else -1
                assert chosen[y, x, b] == expected, (y, x, b, k)


@pytest.mark.parametrize("vision", [2, 7])
def test_both_routes_to_a_target_agree(vision):
    """The gather route (few asking cells) and the walk route (many) give the same cells."""
    from offramp.model import unrest

    rng = np.random.default_rng(vision)
    mask = rng.random((16, 16, 5)) < 0.3
    counts = count_in_vision(mask, vision).reshape(-1)
    asking = np.flatnonzero(~mask.reshape(-1) & (counts > 0))
    rank = (rng.random(asking.size) * counts[asking]).astype(np.int64)
    few = np.concatenate(
        [unrest._target_in_vision(mask, asking[i : i + 3], rank[i : i + 3], vision) for i in range(0, asking.size, 3)]
    )
    many = unrest._target_in_vision(mask, asking, rank, vision)
    np.testing.assert_array_equal(few, many)
    assert mask.reshape(-1)[many].all()
