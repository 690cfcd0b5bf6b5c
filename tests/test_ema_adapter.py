"""The EMA Workbench adapter, run by EMA Workbench's own perform_experiments."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

ema_workbench = pytest.importorskip("ema_workbench")

from offramp.errors import InputError  # noqa: E402
from offramp.explore.ema import MEAN_OUTCOMES, SHARE_OUTCOMES, ema_model, ema_name  # noqa: E402
from offramp.scenario.load import parse_scenario  # noqa: E402

QUICK_TEXT = (Path(__file__).resolve().parents[1] / "scenarios" / "quick.toml").read_text()
QUICK = parse_scenario(QUICK_TEXT, "quick.toml")
REPLICATIONS = 4


@pytest.fixture(scope="module")
def model():
    return ema_model(QUICK, replications=REPLICATIONS, seed=3)


@pytest.fixture(scope="module")
def results(model):
    from ema_workbench import SequentialEvaluator, perform_experiments

    with SequentialEvaluator(model) as evaluator:
        return perform_experiments(model, scenarios=4, policies=2, evaluator=evaluator)


def _arguments(row) -> dict:
    """The model function's keyword arguments for one row of EMA's experiments table."""
    arguments = {path: row[ema_name(path)] for path in QUICK.uncertainties}
    arguments["strategy"] = row["strategy"]
    return arguments


def test_the_model_is_built_from_the_scenario(model):
    assert [u.name for u in model.uncertainties] == [ema_name(p) for p in QUICK.uncertainties]
    assert [u.variable_name for u in model.uncertainties] == [[p] for p in QUICK.uncertainties]
    for uncertainty, (low, high) in zip(model.uncertainties, QUICK.uncertainties.values(), strict=True):
        assert isinstance(uncertainty, ema_workbench.RealParameter)
        assert (uncertainty.lower_bound, uncertainty.upper_bound) == (low, high)
    (lever,) = model.levers
    assert lever.name == "strategy" and [c.value for c in lever.categories] == list(QUICK.strategies)
    assert [o.name for o in model.outcomes] == [*SHARE_OUTCOMES, *MEAN_OUTCOMES]


def test_perform_experiments_returns_every_experiment_and_outcome(results):
    experiments, outcomes = results
    assert len(experiments) == 4 * 2
    for path in QUICK.uncertainties:
        low, high = QUICK.uncertainties[path]
        assert experiments[ema_name(path)].between(low, high).all()
    assert set(experiments["strategy"]) <= set(QUICK.strategies)
    assert set(outcomes) == {*SHARE_OUTCOMES, *MEAN_OUTCOMES}
    for name, values in outcomes.items():
        assert values.shape == (8,) and np.isfinite(values).all(), name
    shares = np.stack([outcomes[label] for label in SHARE_OUTCOMES])
    assert np.allclose(shares.sum(axis=0), 1.0)  # every world ends in exactly one state
    assert np.allclose(shares * REPLICATIONS, np.rint(shares * REPLICATIONS))  # shares of R worlds
    horizon = QUICK.scenario.horizon_weeks
    assert ((outcomes["end_week"] >= 1) & (outcomes["end_week"] <= horizon)).all()


def test_the_same_experiment_gives_the_same_outcomes(model, results):
    """Determinism comes from offramp's seed: rerunning an experiment EMA ran, and running
    it in a fresh copy of the model function (as a worker would), gives its outcomes."""
    experiments, outcomes = results
    for index in (0, 5):
        arguments = _arguments(experiments.iloc[index])
        again = model.function(**arguments)
        shipped = pickle.loads(pickle.dumps(model.function))(**arguments)
        for name in outcomes:
            assert again[name] == outcomes[name][index] == shipped[name], name


def test_a_different_seed_gives_different_worlds(results):
    """Another seed draws other worlds: the same experiment's outcomes differ somewhere.
    (War deaths alone can coincide: over quick.toml's 26 weeks they follow the war's
    capacity, which the random draws rarely move; the periphery's unrest always differs.)"""
    experiments, outcomes = results
    other = ema_model(QUICK, replications=REPLICATIONS, seed=4)
    arguments = _arguments(experiments.iloc[0])
    again = other.function(**arguments)
    assert any(again[name] != outcomes[name][0] for name in ("periphery_casualties", "peak_tension", "war_deaths"))


def test_the_horizon_can_be_shortened():
    short = ema_model(QUICK, replications=2, seed=0, horizon_weeks=3)
    arguments = {path: low for path, (low, _) in QUICK.uncertainties.items()}
    result = short.function(**arguments, strategy="full_pressure")
    assert result["end_week"] <= 3


def test_integer_parameters_become_integer_uncertainties_and_one_strategy_a_constant():
    scenario = parse_scenario(
        QUICK_TEXT.replace("[uncertainties]\n", '[uncertainties]\n"periphery.uprising_weeks" = [2.5, 7]\n'),
        "integers.toml",
    )
    model = ema_model(scenario, strategies=["conciliation"])
    weeks = model.uncertainties[ema_name("periphery.uprising_weeks")]
    assert isinstance(weeks, ema_workbench.IntegerParameter)
    assert (weeks.lower_bound, weeks.upper_bound) == (3, 7)
    assert len(model.levers) == 0 and model.constants["strategy"].value == "conciliation"


@pytest.mark.parametrize(
    ("settings", "where"),
    [
        ({"replications": 0}, "replications"),
        ({"seed": -1}, "seed"),
        ({"horizon_weeks": 0}, "horizon_weeks"),
        ({"strategies": ["nope"]}, "strategy"),
    ],
)
def test_bad_settings_are_refused(settings, where):
    with pytest.raises(InputError) as caught:
        ema_model(QUICK, **settings)
    assert caught.value.where == where
