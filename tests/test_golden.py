"""Golden files: small runs of ``offramp run``, ``epstein``, ``explore`` and ``analyze``
give exactly the numbers stored in ``tests/golden/``.

Integers, strings and booleans must be equal; floats equal to ``rtol=1e-12`` (the files
store floats with 17 significant digits, which round-trip exactly, so the tolerance only absorbs a change of
summation order, never of a mechanism). A failure means results changed: if that was
intended, rerun ``python tests/make_golden.py`` and review ``git diff tests/golden``.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from golden_cases import CASES, golden_path, to_golden_text


@pytest.mark.parametrize("case", sorted(CASES))
def test_results_equal_the_golden_files(case, tmp_path):
    tables = CASES[case](tmp_path)
    stored = {path.stem for path in golden_path("x").parent.glob(f"{case}_*.csv")}
    assert set(tables) == stored, f"tables written {sorted(tables)} != golden files {sorted(stored)}"
    for table, frame in tables.items():
        path = golden_path(table)
        assert path.is_file(), f"{path.name} missing: run python tests/make_golden.py {case}"
        got = pd.read_csv(io.StringIO(to_golden_text(frame)))
        want = pd.read_csv(path)
        assert list(got.columns) == list(want.columns), f"{table}: columns changed"
        assert len(got) == len(want), f"{table}: {len(got)} rows, golden has {len(want)}"
        for column in want.columns:
            a, b = got[column].to_numpy(), want[column].to_numpy()
            if want[column].dtype.kind == "f" or got[column].dtype.kind == "f":
                np.testing.assert_allclose(
                    a.astype(float), b.astype(float), rtol=1e-12, atol=0, err_msg=f"{table}.{column}"
                )
            else:
                assert (a == b).all(), f"{table}.{column}: {np.flatnonzero(a != b)[:5]} differ"
