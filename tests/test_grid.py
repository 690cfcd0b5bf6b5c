"""Torus geometry: the vision diamond and its canonical order. (Counts and choices within
vision are the kernel's, checked against the loop reference in test_unrest_differential.py.)"""

from __future__ import annotations

import numpy as np
import pytest

from offramp.model.grid import diamond_offsets, vision_cell_count


@pytest.mark.parametrize("vision", [1, 2, 3, 7])
def test_diamond_has_2v_v_plus_1_cells_in_canonical_order(vision):
    offsets = diamond_offsets(vision)
    assert len(offsets) == vision_cell_count(vision) == 2 * vision * (vision + 1)
    assert (np.abs(offsets).sum(axis=1) <= vision).all()
    assert not ((offsets == 0).all(axis=1)).any()
    assert [tuple(o) for o in offsets] == sorted(tuple(o) for o in offsets)
    assert vision_cell_count(7) == 112  # Mesa's von Neumann radius-7 neighbourhood
