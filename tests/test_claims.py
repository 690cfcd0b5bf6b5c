"""The claim audit on planted studies: a dependence put in by hand must be found, and
noise must not be.

The studies are built directly (no model run): a claims design of 2**n side combinations
x ``per_combination`` samples, each claim with one parameter drawn within the side's
range, and outcomes drawn from a seeded generator with a settlement probability that
depends on the sides only where the test plants it. With the default criteria a sample
satisfices when P(settlement within 52 weeks) >= 0.25 (and no direct conflict).

Error rates: Holm keeps the chance of any false fall for a strategy at alpha = 0.05, and
likewise of any false flip; so a noise claim is flagged with probability at most about
0.1 for one seed. The planted effects are far beyond the tests' power (a satisficing
share of 0.9 against 0.05 on 320 samples a side gives p < 1e-100), so the seeds were not
chosen; any seed passes except in that rare false-flag case.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from offramp.analyse.claims import claim_audit, claim_sides, holm
from offramp.analyse.criteria import Criteria, parse_criteria
from offramp.analyse.robustness import sample_measures, satisficing
from offramp.analyse.study import Claim, Study
from offramp.report.claims_figures import plot_claim_audit

#: One parameter per claim, essay range then sceptic range (disjoint).
_RANGES = {
    "C1": ("leader.emboldening", (0.1, 0.2), (0.0, 0.03)),
    "C2": ("leader.money_weight", (0.3, 0.5), (0.05, 0.15)),
    "C3": ("leader.unrest_threat", (3.0, 5.0), (0.5, 1.5)),
    "C4": ("periphery.information_effect", (0.015, 0.03), (0.0, 0.003)),
}


def _claims(ids):
    return tuple(Claim(i, f"claim {i}", {_RANGES[i][0]: _RANGES[i][1]}, {_RANGES[i][0]: _RANGES[i][2]}) for i in ids)


def _claims_study(rng, ids, per_combination, replications, settle_probability):
    """A claims-design study; ``settle_probability(strategy, sides)`` gives P(settlement)
    per sample, sides a dict of claim id -> bool array (True on the essay side)."""
    combos = np.array(list(itertools.product([True, False], repeat=len(ids))))  # first claim slowest, as designed
    is_essay = np.repeat(combos, per_combination, axis=0)  # (S, claims)
    samples = len(is_essay)
    sides = {claim_id: is_essay[:, k] for k, claim_id in enumerate(ids)}
    columns = {}
    for k, claim_id in enumerate(ids):
        path, essay, sceptic = _RANGES[claim_id]
        low = np.where(is_essay[:, k], essay[0], sceptic[0])
        high = np.where(is_essay[:, k], essay[1], sceptic[1])
        columns[path] = low + rng.random(samples) * (high - low)
    strategies = ("A", "B")
    blocks = []
    for strategy in strategies:
        p = np.broadcast_to(settle_probability(strategy, sides), (samples,))
        settles = rng.random((replications, samples)) < p  # (R, S)
        block = pd.DataFrame(
            {
                "sample": np.tile(np.arange(samples), replications),
                "replication": np.repeat(np.arange(replications), samples),
                "strategy": strategy,
                "outcome": np.where(settles.ravel(), "settlement", "ongoing"),
                "end_week": np.where(settles.ravel(), 20, 104),
            }
        )
        for path, values in columns.items():
            block[path] = np.tile(values, replications)
        for claim_id in ids:
            block[f"claims.{claim_id}"] = np.tile(np.where(sides[claim_id], "essay", "sceptic"), replications)
        blocks.append(block)
    experiments = pd.concat(blocks, ignore_index=True)
    parameters = tuple(_RANGES[i][0] for i in ids)
    bounds = {
        _RANGES[i][0]: (min(_RANGES[i][1][0], _RANGES[i][2][0]), max(_RANGES[i][1][1], _RANGES[i][2][1])) for i in ids
    }
    return Study(
        experiments=experiments,
        parameters=parameters,
        bounds=bounds,
        strategies=strategies,
        claims=_claims(ids),
        design="claims",
        replications=replications,
    )


def _audit(study, criteria=None):
    criteria = criteria or Criteria()
    per_sample = sample_measures(study.experiments, criteria.measures)
    satisfied = satisficing(per_sample, criteria)
    return claim_audit(study, per_sample, satisfied, criteria, study.strategies)


def _row(detail, strategy, claim):
    return detail[(detail["strategy"] == strategy) & (detail["claim"] == claim)].iloc[0]


@pytest.fixture(scope="module")
def planted_fall():
    """A settles (p 0.9) only when C2 is on the essay side (p 0.05 otherwise); B settles
    with p 0.6 everywhere. 16 combinations x 40 samples, one replication."""
    rng = np.random.default_rng(20240611)

    def settle(strategy, sides):
        if strategy == "A":
            return np.where(sides["C2"], 0.9, 0.05)
        return np.full(len(sides["C2"]), 0.6)

    study = _claims_study(rng, ["C1", "C2", "C3", "C4"], 40, 1, settle)
    return study, *_audit(study)


def test_a_planted_fall_is_flagged_on_its_claim_only(planted_fall):
    _, detail, verdicts = planted_fall
    a = detail[detail["strategy"] == "A"].set_index("claim")
    assert a["depends"].tolist() == [False, True, False, False]
    assert bool(a.at["C2", "falls"])
    assert a.at["C2", "satisficing_essay"] > 0.8 and a.at["C2", "satisficing_sceptic"] < 0.1
    assert a.at["C2", "verdict"].startswith("depends: satisficing falls 0.")
    # On C2's sceptic side B (0.6) beats A (0.05): A is also overtaken there, and only there.
    assert a.at["C2", "overtaken_by"] == "B"
    assert (a.drop("C2")["overtaken_by"] == "").all()
    assert (a["essay_samples"] == 320).all() and (a["sceptic_samples"] == 320).all()
    b = detail[detail["strategy"] == "B"]
    assert not b["depends"].any()
    assert (b["verdict"] == "does not depend").all()
    assert verdicts.set_index("strategy").loc["A"].tolist() == ["-", "depends", "-", "-", "C2"]
    assert verdicts.set_index("strategy").at["B", "depends_on"] == "none"
    assert list(verdicts.columns) == ["strategy", "C1", "C2", "C3", "C4", "depends_on"]


def test_ranks_follow_the_side(planted_fall):
    _, detail, _ = planted_fall
    assert (_row(detail, "A", "C2")["rank_essay"], _row(detail, "A", "C2")["rank_sceptic"]) == (1, 2)
    assert (_row(detail, "B", "C2")["rank_essay"], _row(detail, "B", "C2")["rank_sceptic"]) == (2, 1)


def test_a_ranking_flip_is_flagged_as_a_flip_not_a_fall():
    """A settles with p 0.9 when C1 holds and 0.6 when it does not; B with 0.75 always.
    With 10 replications both satisfice (P >= 0.25) in nearly every sample on both sides,
    so nothing falls; but A's objective beats B's on the essay side and loses on the
    sceptic side (differences of 0.15 on 60 paired samples a side)."""
    rng = np.random.default_rng(7)

    def settle(strategy, sides):
        if strategy == "A":
            return np.where(sides["C1"], 0.9, 0.6)
        return np.full(len(sides["C1"]), 0.75)

    study = _claims_study(rng, ["C1", "C2"], 60, 10, settle)
    detail, verdicts = _audit(study)
    a1 = _row(detail, "A", "C1")
    assert a1["satisficing_essay"] > 0.9 and a1["satisficing_sceptic"] > 0.9
    assert not a1["falls"]
    assert a1["flips"] and a1["overtaken_by"] == "B"
    assert a1["depends"] and a1["verdict"] == "depends: overtaken by B"
    assert a1["objective_essay"] > _row(detail, "B", "C1")["objective_essay"]
    assert not _row(detail, "A", "C2")["depends"]
    # B is the one that gains when C1 fails: that is not a dependence on C1.
    assert not detail[detail["strategy"] == "B"]["depends"].any()
    assert verdicts.set_index("strategy")["depends_on"].to_dict() == {"A": "C1", "B": "none"}


def test_a_drop_across_the_level_that_chance_explains_is_not_a_fall():
    """11 of 20 essay-side samples satisfice against 9 of 20 sceptic-side ones: the share
    crosses the level (0.55 -> 0.45) but Fisher's one-sided p is P(X >= 11) for X
    hypergeometric (40 samples, 20 satisficing, 20 drawn), about 0.38."""
    from scipy import stats

    rng = np.random.default_rng(0)
    settles = np.isin(np.arange(40), [*range(11), *range(20, 29)]).astype(float)  # essay side: samples 0..19
    study = _claims_study(rng, ["C1"], 20, 1, lambda strategy, sides: settles)
    detail, _ = _audit(study)
    a1 = _row(detail, "A", "C1")
    assert (a1["satisficing_essay"], a1["satisficing_sceptic"]) == (0.55, 0.45)
    assert a1["p_fall"] == pytest.approx(stats.hypergeom.sf(10, 40, 20, 20), rel=1e-9)
    assert not a1["falls"] and a1["verdict"] == "does not depend"


def test_minimize_reverses_what_beats_means():
    """With the objective P(settlement) minimized, the planted flip runs the other way:
    B (constant) is overtaken by A when C1 holds and A is worse when it does not."""
    rng = np.random.default_rng(7)

    def settle(strategy, sides):
        if strategy == "A":
            return np.where(sides["C1"], 0.9, 0.6)
        return np.full(len(sides["C1"]), 0.75)

    study = _claims_study(rng, ["C1", "C2"], 60, 10, settle)
    criteria = parse_criteria('[objective]\noutcome = "settlement"\nwithin_weeks = 52\nsense = "minimize"\n')
    detail, _ = _audit(study, criteria)
    assert _row(detail, "B", "C1")["overtaken_by"] == "A"
    assert _row(detail, "A", "C1")["overtaken_by"] == ""


def test_claim_sides_of_a_non_claims_design_come_from_the_ranges():
    """Hand table: p is C1's parameter; C2 names q (varied) and r (not varied), so only q
    decides; C3 names r only, so it is "neither" everywhere."""
    claims = (
        Claim("C1", "one", {"p": (0.0, 1.0)}, {"p": (2.0, 3.0)}),
        Claim("C2", "two", {"q": (0.0, 0.5), "r": (0.0, 0.1)}, {"q": (0.6, 1.0), "r": (0.9, 1.0)}),
        Claim("C3", "three", {"r": (0.0, 0.1)}, {"r": (0.9, 1.0)}),
    )
    p = [0.5, 2.5, 1.5, 1.0, 3.0, 0.0]
    q = [0.2, 0.8, 0.55, 0.5, 1.0, 2.0]
    experiments = pd.DataFrame(
        {
            "sample": [5, 1, 2, 3, 4, 0],
            "replication": 0,
            "strategy": "A",
            "outcome": "ongoing",
            "end_week": 104,
            "p": p,
            "q": q,
        }
    )
    study = Study(
        experiments=experiments,
        parameters=("p", "q"),
        bounds={"p": (0, 3), "q": (0, 2)},
        strategies=("A",),
        claims=claims,
        design="lhs",
    )
    sides = claim_sides(study)
    assert list(sides.index) == [0, 1, 2, 3, 4, 5]
    assert list(sides.columns) == ["C1", "C2", "C3"]
    by_sample = sides.to_dict(orient="index")
    assert [by_sample[i]["C1"] for i in range(6)] == ["essay", "sceptic", "neither", "essay", "sceptic", "essay"]
    assert [by_sample[i]["C2"] for i in range(6)] == ["neither", "sceptic", "neither", "essay", "sceptic", "essay"]
    assert (sides["C3"] == "neither").all()


def test_claim_sides_take_a_claims_designs_columns():
    rng = np.random.default_rng(1)
    study = _claims_study(rng, ["C1", "C2"], 3, 2, lambda strategy, sides: 0.5)
    sides = claim_sides(study)
    assert sides["C1"].tolist() == ["essay"] * 6 + ["sceptic"] * 6
    assert sides["C2"].tolist() == (["essay"] * 3 + ["sceptic"] * 3) * 2


def test_overlapping_sides_are_neither():
    claims = (Claim("C1", "one", {"p": (0.0, 0.6)}, {"p": (0.4, 1.0)}),)
    experiments = pd.DataFrame(
        {"sample": [0, 1, 2], "strategy": "A", "outcome": "ongoing", "end_week": 104, "p": [0.2, 0.5, 0.8]}
    )
    study = Study(experiments=experiments, parameters=("p",), bounds={"p": (0, 1)}, strategies=("A",), claims=claims)
    assert claim_sides(study)["C1"].tolist() == ["essay", "neither", "sceptic"]


def test_too_few_samples_give_no_verdict():
    """C1's sceptic side has 5 samples (< min_samples = 10); A's success depends on it so
    strongly that a test would flag it, but the audit must refuse a verdict."""
    rng = np.random.default_rng(3)
    study = _claims_study(rng, ["C1", "C2"], 20, 1, lambda strategy, sides: np.where(sides["C1"], 1.0, 0.0))
    frame = study.experiments
    sceptic = frame.loc[frame["claims.C1"] == "sceptic", "sample"].unique()
    keep = frame["claims.C1"].eq("essay") | frame["sample"].isin(sceptic[:5])
    study = Study(
        experiments=frame[keep].reset_index(drop=True),
        parameters=study.parameters,
        bounds=study.bounds,
        strategies=study.strategies,
        claims=study.claims,
        design="claims",
    )
    detail, verdicts = _audit(study)
    a1 = _row(detail, "A", "C1")
    assert a1["verdict"] == "too few samples (40 essay, 5 sceptic)"
    assert pd.isna(a1["depends"]) and pd.isna(a1["falls"])
    assert a1["depends"] is not True
    assert verdicts.set_index("strategy").at["A", "C1"] == "n/a"
    assert verdicts.set_index("strategy").at["A", "depends_on"] == "none"
    assert _row(detail, "A", "C2")["verdict"] == "does not depend"


def test_holm_matches_the_step_down_by_hand():
    # sorted 0.01, 0.02, 0.04 with m = 3: 0.03, 0.04, 0.04 (monotone), NaN untouched
    adjusted = holm([0.04, np.nan, 0.01, 0.02])
    np.testing.assert_allclose(adjusted, [0.04, np.nan, 0.03, 0.04])


def test_the_figure_is_written(planted_fall, tmp_path):
    _, detail, _ = planted_fall
    path = plot_claim_audit(detail, tmp_path / "claims.png")
    assert path.exists() and path.stat().st_size > 1000


def test_a_claims_column_that_holds_no_side_is_refused():
    from offramp.errors import InputError

    rng = np.random.default_rng(2)
    study = _claims_study(rng, ["C1"], 2, 1, lambda strategy, sides: 0.5)
    frame = study.experiments.assign(**{"claims.C1": "maybe"})
    study = Study(
        experiments=frame,
        parameters=study.parameters,
        bounds=study.bounds,
        strategies=study.strategies,
        claims=study.claims,
        design="claims",
    )
    with pytest.raises(InputError, match="'maybe' is not a side"):
        claim_sides(study)
