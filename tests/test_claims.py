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


def _claims_study(rng, ids, per_combination, replications, settle_probability, strategies=("A", "B")):
    """A claims-design study; ``settle_probability(strategy, sides)`` gives P(settlement)
    per sample, sides a dict of claim id -> bool array (True on the essay side).

    Every strategy settles a world when the world's one uniform draw is below its
    probability: common random numbers, as the model's strategies share their streams,
    so a strategy with a higher probability settles every world a lower one settles."""
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
    draws = rng.random((replications, samples))  # (R, S), shared by the strategies
    blocks = []
    for strategy in strategies:
        p = np.broadcast_to(settle_probability(strategy, sides), (samples,))
        settles = draws < p  # (R, S)
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
    assert verdicts.set_index("strategy").loc["A"].tolist() == ["-", "depends", "-", "-", "C2", "n/a"]
    assert verdicts.set_index("strategy").at["B", "depends_on"] == "none"
    assert list(verdicts.columns) == ["strategy", "C1", "C2", "C3", "C4", "depends_on", "uplift_depends_on"]


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


# -- the uplift over the baseline (claims.py, choices 8-11) ---------------------------------
#
# With 10 replications and common random numbers, a strategy whose settlement probability
# is the baseline's plus d settles every world the baseline settles and a share d more, so
# its per-sample uplift is Binomial(10, d) / 10: the same distribution wherever d is the
# same. Error rate as above: a null claim is flagged with probability at most about alpha.

_UPLIFT_CLAIMS = ["C1", "C2", "C3"]  # 8 combinations x 40 samples: 160 samples a side


@pytest.fixture(scope="module")
def baseline_shift():
    """C3 moves the baseline (P 0.45 -> 0) and A (0.6 -> 0.15) alike."""
    rng = np.random.default_rng(11)

    def settle(strategy, sides):
        nothing = np.where(sides["C3"], 0.45, 0.0)
        return nothing if strategy == "nothing" else nothing + 0.15

    study = _claims_study(rng, _UPLIFT_CLAIMS, 40, 10, settle, strategies=("nothing", "A"))
    return study, *_audit(study)


def test_a_claim_that_moves_every_strategy_alike_moves_absolute_success_not_the_uplift(baseline_shift):
    """A's absolute success falls with C3 (satisficing about 0.99 -> 0.18); its uplift
    over the baseline stays at 0.15 on both sides."""
    _, detail, verdicts = baseline_shift
    a3 = _row(detail, "A", "C3")
    assert a3["depends"] and a3["falls"]
    assert a3["uplift_depends"] is not pd.NA and not a3["uplift_depends"]
    assert a3["uplift_verdict"] == "uplift does not depend"
    # Binomial(10, 0.15) / 10 over 160 samples: standard error 0.009 per side.
    assert a3["uplift_essay"] == pytest.approx(0.15, abs=0.04)
    assert a3["uplift_sceptic"] == pytest.approx(0.15, abs=0.04)
    assert a3["uplift_p_holm"] > 0.05
    a = detail[detail["strategy"] == "A"]
    assert not a["uplift_depends"].any() and a["uplift_p"].notna().all()
    # The baseline's own success depends on C3 too; it has no uplift over itself.
    nothing = detail[detail["strategy"] == "nothing"].set_index("claim")
    assert nothing.at["C3", "depends"]
    assert nothing[["uplift_essay", "uplift_sceptic", "uplift_p", "uplift_p_holm"]].isna().all().all()
    assert nothing["uplift_depends"].isna().all() and (nothing["uplift_verdict"] == "the baseline").all()
    by_strategy = verdicts.set_index("strategy")
    assert by_strategy.at["A", "depends_on"] == "C3" and by_strategy.at["A", "uplift_depends_on"] == "none"
    assert by_strategy.at["nothing", "uplift_depends_on"] == "baseline"


def _effect_on_c2(essay, sceptic):
    """nothing settles with P 0.4 everywhere; A with ``essay`` on C2's essay side and
    ``sceptic`` on its sceptic side."""

    def settle(strategy, sides):
        nothing = np.full(len(sides["C2"]), 0.4)
        return nothing if strategy == "nothing" else np.where(sides["C2"], essay, sceptic)

    return settle


def test_a_claim_a_strategys_own_effect_rests_on_moves_its_uplift_only():
    """A doubles the baseline's settlement (0.4 -> 0.8) only when C2 holds and does
    nothing otherwise. Its absolute success does not fall (satisficing about 1 -> 0.83,
    above the level) and nothing overtakes it (on the sceptic side the two settle the same
    worlds), but its uplift goes from about 0.4 to exactly 0."""
    rng = np.random.default_rng(12)
    study = _claims_study(rng, _UPLIFT_CLAIMS, 40, 10, _effect_on_c2(0.8, 0.4), strategies=("nothing", "A"))
    detail, verdicts = _audit(study)
    a = detail[detail["strategy"] == "A"].set_index("claim")
    assert not a.at["C2", "depends"] and a.at["C2", "satisficing_sceptic"] > 0.7
    assert a.at["C2", "uplift_depends"]
    assert a.at["C2", "uplift_essay"] == pytest.approx(0.4, abs=0.05) and a.at["C2", "uplift_sceptic"] == 0.0
    assert a.at["C2", "uplift_p_holm"] < 1e-6
    assert a.at["C2", "uplift_verdict"].startswith("uplift depends: 0.")
    assert a.at["C2", "uplift_verdict"].endswith("\u2192 0")
    # C1 and C3 only split the same uplift into halves: no dependence there.
    assert a["uplift_depends"].tolist() == [False, True, False]
    assert a.at["C1", "uplift_essay"] == pytest.approx(0.2, abs=0.05)
    by_strategy = verdicts.set_index("strategy")
    assert by_strategy.at["A", "depends_on"] == "none" and by_strategy.at["A", "uplift_depends_on"] == "C2"


def test_the_uplift_test_is_one_sided_and_needs_an_uplift_above_min_uplift():
    """An uplift that appears only when C2 fails is not one that rests on C2 (one-sided);
    a small uplift (0.1 -> 0) depends by default, not when min_uplift asks for 0.2."""
    rng = np.random.default_rng(13)
    reverse = _claims_study(rng, _UPLIFT_CLAIMS, 40, 10, _effect_on_c2(0.4, 0.8), strategies=("nothing", "A"))
    a2 = _row(_audit(reverse)[0], "A", "C2")
    assert a2["uplift_sceptic"] > 0.3 and a2["uplift_essay"] == 0.0
    assert not a2["uplift_depends"] and a2["uplift_p"] > 0.5
    small = _claims_study(rng, _UPLIFT_CLAIMS, 40, 10, _effect_on_c2(0.5, 0.4), strategies=("nothing", "A"))
    assert _row(_audit(small)[0], "A", "C2")["uplift_depends"]
    demanding = parse_criteria("[claim_audit]\nmin_uplift = 0.2\n")
    a2 = _row(_audit(small, demanding)[0], "A", "C2")
    assert a2["uplift_essay"] == pytest.approx(0.1, abs=0.04) and a2["uplift_p_holm"] < 1e-6
    assert not a2["uplift_depends"] and a2["uplift_verdict"] == "uplift does not depend"


def test_a_minimized_objective_turns_the_uplift_round():
    """Minimizing P(settlement), A's extra settlements when C2 holds are a loss against the
    baseline: the uplift is negative there, so it rests on no claim."""
    rng = np.random.default_rng(12)
    study = _claims_study(rng, _UPLIFT_CLAIMS, 40, 10, _effect_on_c2(0.8, 0.4), strategies=("nothing", "A"))
    criteria = parse_criteria('[objective]\noutcome = "settlement"\nwithin_weeks = 52\nsense = "minimize"\n')
    a2 = _row(_audit(study, criteria)[0], "A", "C2")
    assert a2["uplift_essay"] == pytest.approx(-0.4, abs=0.05) and a2["uplift_sceptic"] == 0.0
    assert not a2["uplift_depends"]


def test_without_the_baseline_the_uplift_is_not_audited(planted_fall):
    """The planted study runs A and B, no ``nothing``: every uplift column is NA, the
    absolute verdicts stand."""
    _, detail, verdicts = planted_fall
    uplift = detail[["uplift_essay", "uplift_sceptic", "uplift_p", "uplift_p_holm"]]
    assert uplift.isna().all().all() and (uplift.dtypes == np.float64).all()
    assert detail["uplift_depends"].isna().all()
    assert (detail["uplift_verdict"] == "not audited: no 'nothing' strategy").all()
    assert verdicts["uplift_depends_on"].tolist() == ["n/a", "n/a"]
    assert _row(detail, "A", "C2")["depends"]


def test_the_baseline_is_named_in_the_criteria(planted_fall):
    """With B as the baseline, A's uplift over B (0.9 - 0.6 when C2 holds, 0.05 - 0.6 when
    not; one replication, so per-sample uplifts of -1, 0 or 1) depends on C2 alone."""
    study, _, _ = planted_fall
    detail, verdicts = _audit(study, parse_criteria('[claim_audit]\nbaseline = "B"\n'))
    a = detail[detail["strategy"] == "A"].set_index("claim")
    assert a["uplift_depends"].tolist() == [False, True, False, False]
    assert a.at["C2", "uplift_essay"] == pytest.approx(0.3, abs=0.1)
    assert a.at["C2", "uplift_sceptic"] == pytest.approx(-0.55, abs=0.1)
    assert verdicts.set_index("strategy")["uplift_depends_on"].to_dict() == {"A": "C2", "B": "baseline"}


def test_min_uplift_is_in_the_objectives_unit():
    from offramp.errors import InputError

    for text, problem in [
        (
            "min_uplift = 1.0",
            "min_uplift: the objective is a probability, so an uplift over the baseline is below 1, got 1",
        ),
        ("min_uplift = -0.1", "min_uplift: Input should be greater than or equal to 0"),
        ('baseline = ""', "baseline: String should have at least 1 character"),
    ]:
        with pytest.raises(InputError) as caught:
            parse_criteria(f"[claim_audit]\n{text}\n")
        assert str(caught.value) == f"criteria: claim_audit.{problem}"
    mean = parse_criteria('[objective]\ncolumn = "war_deaths"\nsense = "minimize"\n[claim_audit]\nmin_uplift = 500\n')
    assert mean.claim_audit.min_uplift == 500


def test_holm_matches_the_step_down_by_hand():
    # sorted 0.01, 0.02, 0.04 with m = 3: 0.03, 0.04, 0.04 (monotone), NaN untouched
    adjusted = holm([0.04, np.nan, 0.01, 0.02])
    np.testing.assert_allclose(adjusted, [0.04, np.nan, 0.03, 0.04])


def _png_size(path):
    import struct

    return struct.unpack(">II", path.read_bytes()[16:24])  # the PNG header's IHDR chunk: width, height


def test_the_figure_is_written(planted_fall, tmp_path):
    _, detail, _ = planted_fall
    path = plot_claim_audit(detail, tmp_path / "claims.png")
    assert path.exists() and path.stat().st_size > 1000


def test_the_figure_has_an_uplift_panel_when_the_baseline_was_run(baseline_shift, tmp_path):
    """The uplift panel sits below the absolute one, on the same rows and columns: the
    figure is as wide and twice as tall. A baseline the study lacks draws the absolute
    panel only."""
    _, detail, _ = baseline_shift
    one = _png_size(plot_claim_audit(detail, tmp_path / "one.png"))
    absent = _png_size(plot_claim_audit(detail, tmp_path / "absent.png", baseline="conciliation"))
    two = _png_size(plot_claim_audit(detail, tmp_path / "two.png", baseline="nothing"))
    assert absent == one
    assert two[0] == one[0] and two[1] == 2 * one[1]


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
