"""Aggregates per (sample, strategy) of experiment rows, on a hand-made table."""

from __future__ import annotations

import pandas as pd
import pytest

from offramp import aggregate


def test_aggregate_shares_and_means_on_a_known_table():
    frame = pd.DataFrame(
        {
            "sample": [0, 0, 0, 0, 1, 1],
            "replication": [0, 1, 0, 1, 0, 1],
            "world": [0, 1, 0, 1, 2, 3],
            "strategy": ["a", "a", "b", "b", "a", "a"],
            "seed": 0,
            "leader.emboldening": [0.1, 0.1, 0.1, 0.1, 0.2, 0.2],
            "outcome": ["settlement", "ongoing", "direct_conflict", "direct_conflict", "uprising", "settlement"],
            "end_week": [10, 104, 5, 7, 20, 30],
            "war_deaths": [100.0, 900.0, 50.0, 70.0, 200.0, 300.0],
            "periphery_casualties": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "direct_conflict": [False, False, True, True, False, False],
            "peak_tension": [0.1, 0.2, 2.0, 3.0, 0.5, 0.5],
        }
    )
    out = aggregate(frame).set_index(["sample", "strategy"])
    assert len(out) == 3
    row = out.loc[(0, "a")]
    assert row["p_settlement"] == pytest.approx(0.5) and row["p_ongoing"] == pytest.approx(0.5)
    assert row["p_uprising"] == 0 and row["replications"] == 2
    assert row["mean_war_deaths"] == pytest.approx(500.0) and row["mean_end_week"] == pytest.approx(57.0)
    assert out.loc[(0, "b"), "direct_conflict_share"] == 1.0
    assert out.loc[(1, "a"), "leader.emboldening"] == 0.2
    shares = out[[c for c in out.columns if c.startswith("p_")]].sum(axis=1)
    assert (shares.round(12) == 1.0).all()
