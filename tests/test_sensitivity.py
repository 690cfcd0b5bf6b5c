"""Global sensitivity: Sobol' indices through offramp's own design and study, their
refusals, extra-trees feature scores, the choice between the two, and the figure.

The Sobol' check is the Ishigami function (Ishigami & Homma 1990), whose indices are
known in closed form; it is drawn by :func:`make_design` on a scenario's uncertainties
and read back through :class:`Study`, :func:`sample_measures` and :func:`sensitivity`,
so the order of the design's rows is checked end to end.
"""

from __future__ import annotations

import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from offramp.analyse.criteria import Measure
from offramp.analyse.robustness import sample_measures
from offramp.analyse.sensitivity import SENSITIVITY_COLUMNS, feature_scores, sensitivity, sobol_indices
from offramp.analyse.study import Study
from offramp.errors import InputError, OfframpError
from offramp.explore.designs import is_integer_parameter, make_design
from offramp.report.sensitivity_figures import plot_sensitivity
from offramp.scenario.load import parse_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
# quick.toml with three continuous uncertainties in place of its own (and no claims).
ISHIGAMI_SCENARIO = parse_scenario(
    (SCENARIOS / "quick.toml").read_text().split("[uncertainties]")[0]
    + '[uncertainties]\n"leader.emboldening" = [0.0, 0.2]\n"leader.money_weight" = [0.1, 0.5]\n'
    '"regions.periphery.base_legitimacy" = [0.6, 0.85]\n',
    "ishigami.toml",
)
MEASURE = Measure(column="ishigami")

# Closed-form Ishigami indices for a = 7, b = 0.1 (Saltelli et al. 2008, sec. 4.8; also
# Sobol' & Levitan 1999): V1 = (1 + b pi^4 / 5)^2 / 2, V2 = a^2 / 8, V13 = 8 b^2 pi^8 / 225.
A, B = 7.0, 0.1
_V1 = 0.5 * (1 + B * math.pi**4 / 5) ** 2
_V2 = A**2 / 8
_V13 = 8 * B**2 * math.pi**8 / 225
_V = _V1 + _V2 + _V13
ISHIGAMI_S1 = np.array([_V1, _V2, 0.0]) / _V  # (0.314, 0.442, 0)
ISHIGAMI_ST = np.array([_V1 + _V13, _V2, _V13]) / _V  # (0.558, 0.442, 0.244)


def _ishigami(design) -> np.ndarray:
    """Ishigami on the design's rows, each column mapped affinely from its range to [-pi, pi]."""
    low, high = np.array(design.problem["bounds"]).T
    x = -math.pi + 2 * math.pi * (design.samples.to_numpy() - low) / (high - low)
    return np.sin(x[:, 0]) + A * np.sin(x[:, 1]) ** 2 + B * x[:, 2] ** 4 * np.sin(x[:, 0])


def _study(design, outputs: dict[str, np.ndarray]) -> Study:
    """A study with one experiment per (sample, strategy): the design's values and the output."""
    blocks = []
    for strategy, y in outputs.items():
        block = design.samples.reset_index()
        block.insert(1, "replication", 0)
        block.insert(2, "strategy", strategy)
        block["outcome"] = "ongoing"
        block["end_week"] = 26
        block["ishigami"] = y
        blocks.append(block)
    names = design.problem["names"]
    return Study(
        experiments=pd.concat(blocks, ignore_index=True),
        parameters=tuple(names),
        bounds={name: tuple(bounds) for name, bounds in zip(names, design.problem["bounds"], strict=True)},
        strategies=tuple(outputs),
        design=design.name,
        design_settings=design.settings,
        samples=len(design.samples),
    )


@pytest.mark.parametrize("second_order", [False, True])
def test_ishigami_sobol_indices_through_design_and_study(second_order):
    """S1 and ST of Ishigami from a sobol design of N = 1024, within 0.05 of the exact values.

    Affine maps of the inputs do not change Sobol' indices, so the scenario's ranges stand
    in for [-pi, pi]. Tolerance: at N = 1024 SALib's bootstrap half-widths are 0.02-0.09,
    and a scrambled Sobol' sequence does better than the Monte-Carlo rate they assume
    (over 20 seeds of SALib's own sampler the largest error was 0.026); 0.05 also catches
    a wrong row order, which moves indices by 0.2 or more (e.g. S1 of x3 from 0 to ~0.3).
    The second-order layout (2D + 2 rows per block) must give the same first and total
    indices.
    """
    assert not any(is_integer_parameter(ISHIGAMI_SCENARIO, p) for p in ISHIGAMI_SCENARIO.uncertainties)
    design = make_design(ISHIGAMI_SCENARIO, "sobol", samples=1024, seed=20240611, second_order=second_order)
    assert len(design.samples) == 1024 * (8 if second_order else 5)
    study = _study(design, {"s": _ishigami(design)})
    per_sample = sample_measures(study.experiments, [MEASURE])

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # SALib's constant-output and divide warnings would be bugs here
        table, notes = sensitivity(study, per_sample, MEASURE, ["s"], seed=3)

    assert list(table.columns) == list(SENSITIVITY_COLUMNS)
    assert (table["method"] == "sobol").all() and table["score"].isna().all()
    assert list(table["parameter"]) == list(design.problem["names"])
    np.testing.assert_allclose(table["S1"], ISHIGAMI_S1, atol=0.05)
    np.testing.assert_allclose(table["ST"], ISHIGAMI_ST, atol=0.05)
    assert (table["S1_conf"] > 0).all() and (table["ST_conf"] > 0).all()
    assert notes == {} and table.attrs == {}


def test_sobol_indices_refuse_wrong_lengths_and_missing_values():
    parameters, bounds = ["a", "b", "c"], {"a": (0, 1), "b": (0, 1), "c": (0, 1)}
    y = np.random.default_rng(0).random(8 * 5)  # N = 8 blocks of D + 2 = 5

    with pytest.raises(InputError, match=r"multiple of 5, got 41"):
        sobol_indices(np.r_[y, 0.5], parameters, bounds)
    with pytest.raises(InputError, match=r"second order.*multiple of 8, got 45"):
        sobol_indices(np.r_[y, y[:5]], parameters, bounds, second_order=True)
    with pytest.raises(InputError, match=r"multiple of 5, got 0"):
        sobol_indices(np.array([]), parameters, bounds)
    with pytest.raises(InputError, match=r"1-D"):
        sobol_indices(y.reshape(8, 5), parameters, bounds)
    holes = y.copy()
    holes[[3, 17]] = np.nan
    with pytest.raises(InputError, match=r"Sobol indices need every sample of the design; 2 of 40 are missing"):
        sobol_indices(holes, parameters, bounds)
    with pytest.raises(InputError, match=r"no range for parameter 'c'"):
        sobol_indices(y, parameters, {"a": (0, 1), "b": (0, 1)})
    with pytest.raises(InputError, match=r"seed"):
        sobol_indices(y, parameters, bounds, seed=-1)
    assert sobol_indices(y, parameters, bounds)["S1"].notna().all()  # the refusals were not about y itself


def test_sobol_indices_of_a_constant_output_are_nan_with_a_note_and_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = sobol_indices(np.full(20, 0.25), ["a", "b", "c"], dict.fromkeys("abc", (0, 1)))
    assert list(table["parameter"]) == ["a", "b", "c"]
    assert table[["S1", "S1_conf", "ST", "ST_conf"]].isna().all().all()
    assert "constant" in table.attrs["note"]


def test_sobol_indices_use_their_seed_and_leave_numpys_global_generator_alone():
    """SALib reads ``if seed:``; seed 0 must still be a seed (the style guide's SALib trap)."""
    y = np.random.default_rng(1).random(64 * 5)
    problem = (["a", "b", "c"], dict.fromkeys("abc", (0, 1)))
    state = np.random.get_state()[1].copy()
    first = sobol_indices(y, *problem, seed=0)
    assert np.array_equal(np.random.get_state()[1], state)
    pd.testing.assert_frame_equal(first, sobol_indices(y, *problem, seed=0))
    assert not np.array_equal(first["S1_conf"], sobol_indices(y, *problem, seed=1)["S1_conf"])


def _synthetic(rows: int = 400) -> pd.DataFrame:
    return pd.DataFrame(np.random.default_rng(5).random((rows, 4)), columns=["w", "x", "y", "z"])


def test_feature_scoring_ranks_the_driving_parameter_first_and_is_deterministic():
    x = _synthetic()
    noise = np.random.default_rng(6).normal(0.0, 0.05, len(x))
    y = 3.0 * x["y"].to_numpy() + noise  # regression: only y drives it
    scores = feature_scores(x, y, seed=11)
    assert list(scores.columns) == ["parameter", "score"]
    assert scores["parameter"].iloc[0] == "y"
    assert sorted(scores["parameter"]) == ["w", "x", "y", "z"]
    assert scores["score"].is_monotonic_decreasing
    assert scores["score"].sum() == pytest.approx(1.0)
    state = np.random.get_state()[1].copy()
    pd.testing.assert_frame_equal(scores, feature_scores(x, y, seed=11))
    assert np.array_equal(np.random.get_state()[1], state)  # the forest draws from its own seed only
    assert not np.array_equal(scores["score"], feature_scores(x, y, seed=12)["score"])

    # 0/1 outputs (one replication, a probability) are a classification.
    event = x["w"].to_numpy() > 0.6
    assert feature_scores(x, event, seed=11)["parameter"].iloc[0] == "w"
    assert feature_scores(x, event.astype(float), seed=11)["parameter"].iloc[0] == "w"
    # One parameter: EMA's max_features = round(D / 3) would be 0.
    assert feature_scores(x[["z"]], y, seed=11)["score"].tolist() == [1.0]


def test_feature_scoring_classifies_0_1_outputs_and_regresses_the_rest(monkeypatch):
    from ema_workbench.analysis import feature_scoring
    from ema_workbench.analysis.scenario_discovery_util import RuleInductionType

    modes = []
    original = feature_scoring.get_ex_feature_scores

    def spy(x, y, **kwargs):
        modes.append((kwargs["mode"], y.dtype.kind))
        return original(x, y, **kwargs)

    monkeypatch.setattr(feature_scoring, "get_ex_feature_scores", spy)
    x = _synthetic(60)
    feature_scores(x, x["w"].to_numpy() > 0.5)
    feature_scores(x, (x["w"].to_numpy() > 0.5).astype(float))
    feature_scores(x, x["w"].to_numpy())
    feature_scores(x, np.where(x["w"].to_numpy() > 0.5, 1.0, 0.5))  # two values, but not 0/1: a share
    assert modes == [
        (RuleInductionType.CLASSIFICATION, "i"),
        (RuleInductionType.CLASSIFICATION, "i"),
        (RuleInductionType.REGRESSION, "f"),
        (RuleInductionType.REGRESSION, "f"),
    ]


def test_feature_scoring_refusals_constant_output_and_missing_ema(monkeypatch):
    x = _synthetic(50)
    with pytest.raises(InputError, match=r"one value per row of x \(50\)"):
        feature_scores(x, np.zeros(49))
    with pytest.raises(InputError, match=r"1 of 50 are missing"):
        feature_scores(x, np.r_[np.zeros(49), np.nan])
    constant = feature_scores(x, np.ones(50))
    assert constant["score"].isna().all() and "constant" in constant.attrs["note"]

    for name in (
        "ema_workbench",
        "ema_workbench.analysis",
        "ema_workbench.analysis.feature_scoring",
        "ema_workbench.analysis.scenario_discovery_util",
    ):
        monkeypatch.setitem(sys.modules, name, None)  # None in sys.modules: the import fails
    with pytest.raises(OfframpError, match=r"pip install 'offramp\[analysis\]'"):
        feature_scores(x, x["w"].to_numpy())


def test_non_sobol_designs_and_incomplete_sobol_designs_use_feature_scoring():
    lhs = make_design(ISHIGAMI_SCENARIO, "lhs", samples=300, seed=4)
    y = _ishigami(lhs)
    study = _study(lhs, {"s": y, "flat": np.zeros(len(y))})
    table, notes = sensitivity(study, sample_measures(study.experiments, [MEASURE]), MEASURE, ["s", "flat"], seed=2)
    assert list(table.columns) == list(SENSITIVITY_COLUMNS)
    assert list(table["strategy"]) == ["s"] * 3 + ["flat"] * 3
    assert (table["method"] == "feature_scoring").all()
    scored = table[table["strategy"] == "s"]
    assert scored[["S1", "S1_conf", "ST", "ST_conf"]].isna().all().all()
    assert scored["score"].sum() == pytest.approx(1.0)
    assert table.loc[table["strategy"] == "flat", "score"].isna().all()  # constant: NaN, no crash
    assert list(notes) == ["flat"] and "constant" in notes["flat"]
    assert table.attrs == {}  # the note travels once, in `notes`, not also with the rows

    # A sobol design missing one sample cannot give Sobol' indices: feature scores, with a note.
    sobol = make_design(ISHIGAMI_SCENARIO, "sobol", samples=64, seed=4)
    study = _study(sobol, {"s": _ishigami(sobol), "t": _ishigami(sobol)})
    per_sample = sample_measures(study.experiments, [MEASURE])
    per_sample = per_sample.drop(per_sample.index[(per_sample["strategy"] == "t") & (per_sample["sample"] == 7)])
    table, notes = sensitivity(study, per_sample, MEASURE, ["s", "t"])
    assert table.groupby("strategy")["method"].first().to_dict() == {"s": "sobol", "t": "feature_scoring"}
    assert list(notes) == ["t"] and "1 of 320 samples are missing" in notes["t"]


def test_sensitivity_refuses_a_missing_measure_and_an_unknown_strategy():
    design = make_design(ISHIGAMI_SCENARIO, "sobol", samples=8, seed=4)
    study = _study(design, {"s": _ishigami(design)})
    per_sample = sample_measures(study.experiments, [MEASURE])
    with pytest.raises(InputError, match=r"no 'mean_other' column"):
        sensitivity(study, per_sample, Measure(column="other"), ["s"])
    with pytest.raises(InputError, match=r"'u' is not one of the study's strategies"):
        sensitivity(study, per_sample, MEASURE, ["u"])


@pytest.mark.parametrize("design_name", ["sobol", "lhs"])
def test_the_figure_is_written_for_both_methods(tmp_path, design_name):
    design = make_design(ISHIGAMI_SCENARIO, design_name, samples=64, seed=9)
    y = _ishigami(design)
    outputs = {"s": y, "t": -2.0 * y, "flat": np.zeros(len(y))}  # three panels, one without indices
    study = _study(design, outputs)
    table, _ = sensitivity(study, sample_measures(study.experiments, [MEASURE]), MEASURE, list(outputs))
    assert set(table["method"]) == {"sobol" if design_name == "sobol" else "feature_scoring"}
    path = plot_sensitivity(table, tmp_path / f"{design_name}.png", MEASURE.label)
    assert path == tmp_path / f"{design_name}.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5_000
    with pytest.raises(ValueError, match="no sensitivity rows"):
        plot_sensitivity(table.iloc[:0], tmp_path / "empty.png", MEASURE.label)
