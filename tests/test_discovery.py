"""Scenario discovery (PRIM and CART through EMA Workbench) on planted rules."""

from __future__ import annotations

import dataclasses
import re
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from offramp.analyse.criteria import DiscoverySettings
from offramp.analyse.discovery import Discovery, _choose, discover, discover_failures, require_ema
from offramp.analyse.study import Study
from offramp.errors import InputError, OfframpError

A, B = "leader.money_weight", "coercer.pressure"  # the planted rule's parameters
NAMES = [A, B, "noise.c", "noise.d", "noise.e"]
SETTINGS = DiscoverySettings()  # threshold 0.8, peel_alpha 0.05, mass_min 0.05


def _planted(rows: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Five parameters uniform on [0, 1]; a sample fails exactly when a > 0.6 and b < 0.3."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.uniform(size=(rows, len(NAMES))), columns=NAMES)
    y = ((x[A] > 0.6) & (x[B] < 0.3)).to_numpy().astype(np.int64)
    return x, y


@pytest.fixture(scope="module")
def planted() -> tuple[pd.DataFrame, np.ndarray, Discovery]:
    pytest.importorskip("ema_workbench")
    x, y = _planted(2000, seed=20240601)
    found = discover(
        x, y, SETTINGS, strategy="full_pressure", failure="fails: the rule", bounds=dict.fromkeys(NAMES, (0.0, 1.0))
    )
    return x, y, found


def _in_box(x: pd.DataFrame, box: pd.DataFrame) -> np.ndarray:
    inside = np.ones(len(x), bool)
    for row in box.itertuples(index=False):
        inside &= (x[row.parameter] >= row.low).to_numpy() & (x[row.parameter] <= row.high).to_numpy()
    return inside


def test_prim_finds_the_planted_box(planted):
    _, y, found = planted
    box = found.box.set_index("parameter")
    assert set(box.index) == {A, B}
    assert abs(box.loc[A, "low"] - 0.6) <= 0.05 and box.loc[A, "high"] == 1.0  # upper side: the range's end
    assert abs(box.loc[B, "high"] - 0.3) <= 0.05 and box.loc[B, "low"] == 0.0
    assert found.density >= 0.9
    assert found.coverage >= 0.8
    assert found.samples == 2000 and found.failures == int(y.sum())
    assert found.base_rate == pytest.approx(y.mean())
    assert found.strategy == "full_pressure" and found.failure == "fails: the rule"
    assert re.fullmatch(
        rf"({re.escape(A)} ≥ [\d.]+|{re.escape(B)} ≤ [\d.]+) and "
        rf"({re.escape(A)} ≥ [\d.]+|{re.escape(B)} ≤ [\d.]+)",
        found.rule,
    )


def test_the_chosen_step_follows_the_stated_rule(planted):
    _, _, found = planted
    trajectory = found.trajectory
    assert list(trajectory.columns) == ["box", "coverage", "density", "mass", "restricted"]
    assert trajectory["box"].tolist() == list(range(len(trajectory)))
    row = trajectory.loc[found.chosen]
    assert (row["coverage"], row["density"], row["mass"]) == (found.coverage, found.density, found.mass)
    assert row["restricted"] == len(found.box)
    dense = trajectory[trajectory["density"] >= SETTINGS.threshold]
    assert found.coverage == dense["coverage"].max()
    # The first step is the box of all samples: full coverage at the base rate.
    assert trajectory.loc[0, ["coverage", "density", "mass", "restricted"]].tolist() == [1.0, found.base_rate, 1.0, 0]


def test_choice_breaks_ties_by_density_and_falls_back_to_the_densest_step():
    trajectory = pd.DataFrame(
        {
            "box": [0, 1, 2, 3],
            "coverage": [1.0, 1.0, 1.0, 0.7],
            "density": [0.2, 0.85, 0.95, 1.0],
            "mass": [1.0, 0.3, 0.25, 0.15],
            "restricted": [0, 1, 2, 2],
        }
    )
    assert _choose(trajectory, 0.8) == 2  # equal coverage: the denser box
    assert _choose(trajectory, 0.99) == 3
    assert _choose(trajectory.iloc[:3], 0.99) == 2  # none reaches the threshold: the densest


def test_box_limits_describe_the_box_prim_scored(planted):
    """The limits come from ``PrimBox.box_lims`` (with pandas 3, ``boxes_to_dataframe``
    gives zeros): the share of failures inside them must be the box's coverage and
    density, which EMA computed from its own limits."""
    x, y, found = planted
    inside = _in_box(x, found.box)
    assert found.box[["low", "high"]].abs().to_numpy().sum() > 0
    assert y[inside].sum() / y.sum() == pytest.approx(found.coverage)
    assert y[inside].mean() == pytest.approx(found.density)
    assert inside.mean() == pytest.approx(found.mass)
    assert (found.box["qp"] < 1e-6).all()  # both restrictions are far from chance


def test_every_step_keeps_the_box_prim_scored(planted):
    """Each step's limits (kept so the app can show any point of the trade-off) hold that
    step's coverage, density and mass as EMA computed them; the chosen step's are ``box``."""
    x, y, found = planted
    assert len(found.steps) == len(found.trajectory) > 2
    pd.testing.assert_frame_equal(found.step_box(found.chosen), found.box)
    for step in found.trajectory.itertuples(index=False):
        box = found.step_box(step.box)
        inside = _in_box(x, box)
        assert len(box) == step.restricted
        assert y[inside].sum() / y.sum() == pytest.approx(step.coverage)
        assert y[inside].mean() == pytest.approx(step.density)
        assert inside.mean() == pytest.approx(step.mass)
    assert found.step_box(0).empty  # the first box restricts nothing
    with pytest.raises(InputError, match=rf"no step {len(found.steps)}; the trajectory has steps 0 to"):
        found.step_box(len(found.steps))
    with pytest.raises(InputError, match="no step -1"):
        found.step_box(-1)


@pytest.mark.skipif(int(pd.__version__.split(".")[0]) < 3, reason="the upstream bug needs pandas 3's copy-on-write")
def test_upstream_boxes_to_dataframe_still_gives_zeros_with_pandas_3():
    """Known EMA Workbench 2.5 bug (module choice 3): ``boxes_to_dataframe`` writes through
    a chained assignment that pandas 3 discards, so every limit reads 0. If this test
    fails, upstream fixed it, and the workaround could go."""
    require_ema()
    from ema_workbench.analysis.prim import Prim

    x, y = _planted(500, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prim = Prim(x, y, threshold=0.8)
        prim.find_box()
        table = prim.boxes_to_dataframe()
    assert (table.to_numpy() == 0).all()
    assert (prim.boxes[0].to_numpy() != 0).any()


def _mentioned(rule: str) -> set[str]:
    return {name for name in NAMES if re.search(rf"(^|\s){re.escape(name)}(\s|$)", rule)}


def test_cart_finds_a_dense_leaf_naming_both_parameters(planted):
    _, _, found = planted
    leaves = found.cart_leaves
    assert list(leaves.columns) == ["leaf", "coverage", "density", "mass", "restricted", "rule"]
    densest = leaves.iloc[0]
    assert densest["density"] >= 0.95 and densest["coverage"] >= 0.8
    assert _mentioned(densest["rule"]) == {A, B}
    assert re.search(rf"{re.escape(A)} > 0\.[56]\d*", densest["rule"])
    assert re.search(rf"{re.escape(B)} ≤ 0\.[23]\d*", densest["rule"])
    assert leaves["mass"].sum() == pytest.approx(1.0)  # leaves partition the samples
    assert A in found.cart_text and "class: failure" in found.cart_text


def test_discovery_is_deterministic_and_drops_constant_parameters():
    pytest.importorskip("ema_workbench")
    x, y = _planted(400, seed=7)
    x = x.assign(**{"fixed.one": 1.0, "noise.d": x["noise.d"].astype(np.float32)})
    first = discover(x, y, SETTINGS)
    second = discover(x.copy(), y.copy(), SETTINGS)
    pd.testing.assert_frame_equal(first.box, second.box)
    pd.testing.assert_frame_equal(first.cart_leaves, second.cart_leaves)
    assert first.cart_text == second.cart_text
    assert "fixed.one" not in first.cart_text and "fixed.one" not in set(first.box["parameter"])
    assert set(first.box["parameter"]) == {A, B}


@pytest.mark.parametrize(
    ("y", "message"),
    [
        (np.ones(50, int), "scenario discovery for full_pressure: every sample fails; nothing to explain"),
        (np.zeros(50, int), "scenario discovery for full_pressure: no sample fails; nothing to explain"),
        (np.zeros(49, int), "scenario discovery for full_pressure: x has 50 rows but y has 49 values"),
        (np.full(50, 2), "scenario discovery for full_pressure: y must be 0 (success) or 1 (failure), got "),
    ],
)
def test_unexplainable_data_is_refused_in_one_line(y, message):
    x, _ = _planted(50, seed=1)
    with pytest.raises(InputError) as error:
        discover(x, y, SETTINGS, strategy="full_pressure")
    assert str(error.value).startswith(message)


def test_parameters_must_vary_and_be_known():
    x, y = _planted(50, seed=1)
    y[:2] = (0, 1)
    with pytest.raises(InputError, match="no parameter varies"):
        discover(pd.DataFrame({"a": np.ones(50)}), y, SETTINGS)
    with pytest.raises(InputError, match=re.escape("'noise.c' has a missing")):
        discover(x.assign(**{"noise.c": np.nan}), y, SETTINGS)
    with pytest.raises(InputError, match="must be a pandas DataFrame"):
        discover(x.to_numpy(), y, SETTINGS)


def test_missing_ema_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ema_workbench", None)  # import ema_workbench now fails
    with pytest.raises(OfframpError, match=re.escape("pip install 'offramp[analysis]'")):
        require_ema()
    x, y = _planted(200, seed=2)
    with pytest.raises(OfframpError, match="needs EMA Workbench"):
        discover(x, y, SETTINGS)


def _study(samples: int, rng: np.random.Generator) -> Study:
    """Two strategies, two replications per sample, three parameters on [0, 1]."""
    params = ["p.a", "p.b", "p.c"]
    values = rng.uniform(0.02, 0.98, size=(samples, 3))  # strictly inside the bounds
    rows = [
        {
            "sample": sample,
            "replication": replication,
            "strategy": strategy,
            "outcome": "settlement",
            "end_week": 10,
            **dict(zip(params, values[sample], strict=True)),
        }
        for strategy in ("talk", "press")
        for sample in range(samples)
        for replication in range(2)
    ]
    return Study(
        experiments=pd.DataFrame(rows),
        parameters=tuple(params),
        bounds=dict.fromkeys(params, (0.0, 1.0)),
        strategies=("talk", "press"),
    )


def test_discover_failures_explains_the_named_strategy():
    pytest.importorskip("ema_workbench")
    rng = np.random.default_rng(11)
    study = _study(400, rng)
    values = study.design_values()
    fails = {"talk": (values["p.a"] > 0.7).to_numpy(), "press": (values["p.b"] < 0.25).to_numpy()}
    satisfied = pd.concat(
        [
            pd.DataFrame({"strategy": name, "sample": values.index, "meets_0": ~bad, "satisfices": ~bad})
            for name, bad in fails.items()
        ]
    )
    satisfied = satisfied.sample(frac=1.0, random_state=3)  # shuffled: rows must be matched by sample
    found = discover_failures(study, satisfied, "press", SETTINGS, "fails: P(settlement) ≥ 0.5")
    assert (found.strategy, found.failure) == ("press", "fails: P(settlement) ≥ 0.5")
    assert found.samples == 400 and found.failures == int(fails["press"].sum())
    box = found.box.set_index("parameter")
    assert list(box.index) == ["p.b"]
    assert abs(box.loc["p.b", "high"] - 0.25) <= 0.05
    assert box.loc["p.b", "low"] == 0.0 and box.loc["p.b", ["range_low", "range_high"]].tolist() == [0.0, 1.0]
    assert found.density >= 0.9 and found.coverage >= 0.8
    with pytest.raises(InputError, match="scenario discovery for wait: the strategy has no satisficing results"):
        discover_failures(study, satisfied, "wait", SETTINGS, "fails")


def test_figures_are_written(planted, tmp_path):
    from offramp.report.discovery_figures import plot_prim_box, plot_prim_tradeoff

    _, _, found = planted
    written = [
        plot_prim_tradeoff(found, tmp_path / "tradeoff.png"),
        plot_prim_box(found, tmp_path / "box.svg"),
        plot_prim_box(dataclasses.replace(found, box=found.box.iloc[:0]), tmp_path / "empty.png"),
    ]
    assert written == [tmp_path / "tradeoff.png", tmp_path / "box.svg", tmp_path / "empty.png"]
    assert written[0].read_bytes().startswith(b"\x89PNG") and written[0].stat().st_size > 5000
    svg = written[1].read_text()
    assert "<svg" in svg and svg.count("<path") > 3
    assert written[2].stat().st_size > 1000
