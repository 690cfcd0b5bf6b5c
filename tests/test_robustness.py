"""Per-sample measures, regret and satisficing on hand-made tables with known answers;
the criteria file's validation."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from offramp.analyse.criteria import Criteria, Criterion, Objective, load_criteria, parse_criteria
from offramp.analyse.robustness import regret, regret_table, robustness_summary, sample_measures, satisficing
from offramp.errors import InputError


def _experiments(rows):
    """Experiment rows from (strategy, sample, outcome, end_week, war_deaths) tuples."""
    frame = pd.DataFrame(rows, columns=["strategy", "sample", "outcome", "end_week", "war_deaths"])
    frame["replication"] = frame.groupby(["strategy", "sample"]).cumcount()
    return frame


def test_regret_against_the_best_strategy_of_each_sample():
    values = pd.DataFrame(
        {"A": [0.5, 0.9, np.nan], "B": [0.7, 0.1, 0.3], "C": [0.2, 0.9, 0.4]}, index=pd.Index([0, 1, 2], name="sample")
    )
    more = regret(values, "maximize")
    np.testing.assert_allclose(more.loc[0].to_numpy(), [0.2, 0.0, 0.5])
    np.testing.assert_allclose(more.loc[1].to_numpy(), [0.0, 0.8, 0.0])
    assert more.loc[2].isna().all()  # a sample missing a strategy is not compared
    less = regret(values, "minimize")
    np.testing.assert_allclose(less.loc[0].to_numpy(), [0.3, 0.5, 0.0])
    np.testing.assert_allclose(less.loc[1].to_numpy(), [0.8, 0.0, 0.8])
    with pytest.raises(ValueError, match="sense"):
        regret(values, "best")


def test_sample_measures_count_replications_and_weeks():
    frame = _experiments(
        [
            ("A", 0, "settlement", 10, 100.0),
            ("A", 0, "settlement", 60, 300.0),
            ("A", 0, "ongoing", 104, 500.0),
            ("A", 0, "direct_conflict", 20, 700.0),
            ("A", 1, "uprising", 5, 0.0),
            ("A", 1, "settlement", 52, 10.0),
        ]
    )
    measures = [Criterion(outcome="settlement", within_weeks=52, at_least=0.2), Objective(column="war_deaths")]
    table = sample_measures(frame, measures).set_index("sample")
    assert table.loc[0, "replications"] == 4 and table.loc[1, "replications"] == 2
    assert table.loc[0, "p_settlement"] == 0.5
    assert table.loc[0, "p_settlement_by_52"] == 0.25  # the week-60 settlement is too late
    assert table.loc[1, "p_settlement_by_52"] == 0.5  # week 52 counts
    assert table.loc[0, "p_direct_conflict"] == 0.25
    assert table.loc[0, "mean_war_deaths"] == 400.0
    shares = table[[c for c in table.columns if c.startswith("p_") and "_by_" not in c]].sum(axis=1)
    np.testing.assert_allclose(shares.to_numpy(), 1.0)


def _per_sample():
    # Two strategies, three samples: objective = P(settlement within 52 weeks).
    return pd.DataFrame(
        {
            "strategy": ["A"] * 3 + ["B"] * 3,
            "sample": [0, 1, 2] * 2,
            "replications": 10,
            "p_settlement_by_52": [0.30, 0.25, 0.10, 0.20, 0.40, 0.10],
            "p_direct_conflict": [0.00, 0.05, 0.00, 0.10, 0.00, 0.00],
        }
    )


def test_satisficing_needs_every_criterion_bounds_included():
    criteria = Criteria()  # settlement within 52 weeks >= 0.25 and direct conflict <= 0.05
    met = satisficing(_per_sample(), criteria)
    assert met["meets_0"].tolist() == [True, True, False, False, True, False]
    assert met["meets_1"].tolist() == [True, True, True, False, True, True]
    assert met["satisfices"].tolist() == [True, True, False, False, True, False]


def test_robustness_summary_by_hand():
    criteria = Criteria()
    regrets = regret_table(_per_sample(), criteria, ["A", "B"])
    assert regrets.loc[regrets["strategy"] == "A", "regret"].round(12).tolist() == [0.0, 0.15, 0.0]
    assert regrets.loc[regrets["strategy"] == "B", "regret"].round(12).tolist() == [0.1, 0.0, 0.0]
    assert regrets.loc[regrets["sample"] == 1, "best_strategy"].unique().tolist() == ["B"]
    summary = robustness_summary(_per_sample(), criteria, ["A", "B"]).set_index("strategy")
    assert summary.loc["A", "satisficing_share"] == pytest.approx(2 / 3)
    assert summary.loc["B", "satisficing_share"] == pytest.approx(1 / 3)
    assert summary.loc["A", "mean_regret"] == pytest.approx(0.05)
    assert summary.loc["B", "mean_regret"] == pytest.approx(0.1 / 3)
    assert summary.loc["A", "max_regret"] == pytest.approx(0.15)
    assert summary.loc["A", "share_best"] == pytest.approx(2 / 3)  # ties count for each
    assert summary.loc["B", "share_best"] == pytest.approx(2 / 3)
    assert summary.loc["A", "rank"] == 1 and summary.loc["B", "rank"] == 2
    assert summary.loc["A", "satisficing_low"] < 2 / 3 < summary.loc["A", "satisficing_high"]


def test_regret_on_a_minimised_mean_column():
    criteria = Criteria(objective=Objective(column="war_deaths", sense="minimize"))
    per_sample = pd.DataFrame(
        {"strategy": ["A", "A", "B", "B"], "sample": [0, 1, 0, 1], "mean_war_deaths": [100.0, 50.0, 80.0, 90.0]}
    )
    regrets = regret_table(per_sample, criteria, ["A", "B"])
    assert regrets["regret"].tolist() == [20.0, 0.0, 0.0, 40.0]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('[objective]\noutcome = "setlement"', "objective.outcome"),
        ('[objective]\noutcome = "settlement"\nsence = "maximize"', "objective.sence"),
        ('[[satisficing]]\noutcome = "settlement"\nat_least = 1.5', "satisficing[0].at_least"),
        ('[[satisficing]]\noutcome = "settlement"\nat_least = 0.2\nat_most = 0.4', "satisficing[0].at_least"),
        ("[claim_audit]\nalpha = nan", "claim_audit.alpha"),
        ("[discovery]\nthreshold = 0", "discovery.threshold"),
        ('[objective]\ncolumn = "war_deaths"\nwithin_weeks = 3', "objective.within_weeks"),
        ("satisficing = [", "not valid TOML"),
    ],
)
def test_criteria_errors_name_the_field(text, where):
    with pytest.raises(InputError) as caught:
        parse_criteria(text, "mine.toml")
    assert str(caught.value).startswith("mine.toml: ")
    assert where in str(caught.value)
    assert "\n" not in str(caught.value)


def test_criteria_file_defaults_and_missing_file(tmp_path):
    assert load_criteria(None) == Criteria()
    path = tmp_path / "c.toml"
    path.write_text('[objective]\ncolumn = "war_deaths"\nsense = "minimize"\n')
    criteria = load_criteria(path)
    assert criteria.objective.key == "mean_war_deaths"
    assert criteria.satisficing == Criteria().satisficing
    with pytest.raises(InputError, match="no such file"):
        load_criteria(tmp_path / "absent.toml")


def test_criteria_checked_against_the_study():
    criteria = parse_criteria('[objective]\ncolumn = "war_death"\n', "c.toml")
    with pytest.raises(InputError, match=re.escape("c.toml: objective.column: no outcome column 'war_death'")):
        criteria.check_against(["outcome", "war_deaths", "strategy"], ["A"], where="c.toml")
    named = parse_criteria('[discovery]\nstrategies = ["Z"]\n', "c.toml")
    with pytest.raises(InputError, match="'Z' was not run"):
        named.check_against(["outcome"], ["A", "B"], where="c.toml")


def test_the_shipped_criteria_file_holds_the_defaults():
    assert load_criteria(Path(__file__).resolve().parents[1] / "scenarios" / "criteria.toml") == Criteria()
