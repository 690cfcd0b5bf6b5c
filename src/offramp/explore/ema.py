"""An EMA Workbench model made from a scenario, for users who already know EMA Workbench.

:func:`ema_model` turns a scenario into an ``ema_workbench.Model``: its uncertainties
become EMA uncertainties, its strategies a lever, and one EMA experiment runs a batch of
``replications`` worlds through offramp's engine and returns shares and means.

Choices
-------
1. A plain ``Model`` (EMA's single-replication kind), not a ``ReplicatorModel``: one call
   of the model function runs all ``replications`` worlds as one batch, because the
   engine is batched over worlds; a ``ReplicatorModel`` would call it once per world.
   The outcomes are therefore already aggregated over the replications.
2. The worlds of every experiment are worlds 0 .. R-1 of ``seed``: the same experiment
   gives the same outcomes however often and wherever it runs, and every experiment sees
   the same random streams (common random numbers across strategies and sampled
   vectors). EMA's random generator only chooses which experiments run, never a result.
3. EMA parameter names are the parameter paths with ``.`` replaced by ``__``
   (``leader.emboldening`` -> ``leader__emboldening``), since EMA Workbench will require
   Python identifiers; each parameter's ``variable_name`` is the path itself, so the
   model function receives paths. Integer fields become ``IntegerParameter`` over
   [ceil(low), floor(high)]; the rest ``RealParameter``.
4. The lever ``strategy`` is a ``CategoricalParameter`` over the scenario's strategies (or
   those named); with a single strategy it is a ``Constant`` (EMA needs two categories).
5. Outcomes are ``ScalarOutcome``s of kind INFO: for each end state (the model's
   :class:`~offramp.model.outcomes.Outcome`) the share of the R worlds that ended so, and
   the means over the R worlds of end_week, war_deaths, periphery_casualties,
   peak_tension, final_war_score and final_war_capacity. Periphery casualties are
   censored (NaN) in worlds that ended in direct conflict (``run.runner`` choice 4): their
   mean is over the other worlds, NaN when there are none. Users who optimize set the
   kinds they want; offramp does not choose an objective.
6. The model function is a picklable object holding the scenario as JSON (not as the
   pydantic object), so EMA's multiprocessing evaluator can ship it to workers. That
   evaluator sends one experiment per task; for large designs, ``offramp explore`` sends
   chunks and is faster.
7. ``ema_workbench`` is imported only when a model is made: it is an optional
   dependency (it pulls in platypus-opt, which is GPL-3; offramp itself does not need it).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from offramp.errors import InputError
from offramp.explore.designs import is_integer_parameter
from offramp.model.outcomes import Outcome
from offramp.scenario.schema import Scenario

if TYPE_CHECKING:
    from ema_workbench import Model

    from offramp.model.coercer import Strategy

__all__ = ["ema_model", "ema_name", "SHARE_OUTCOMES", "MEAN_OUTCOMES"]

#: Outcomes that are the share of the replications ending in that state.
SHARE_OUTCOMES: tuple[str, ...] = tuple(outcome.label for outcome in Outcome)
#: Outcomes that are means over the replications of the runner's column of that name.
MEAN_OUTCOMES: tuple[str, ...] = (
    "end_week",
    "war_deaths",
    "periphery_casualties",
    "peak_tension",
    "final_war_score",
    "final_war_capacity",
)


def _censored_mean(values: np.ndarray) -> float:
    """The mean over the worlds where a column is defined (choice 5); NaN when none is."""
    values = np.asarray(values, np.float64)
    defined = ~np.isnan(values)
    return float(values[defined].mean()) if defined.any() else math.nan


def _check_whole(where: str, value: object, low: int, high: int | None = None) -> int:
    """``value`` as an int, or an InputError naming ``where`` (bools and fractions are refused)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or value < low
        or (high is not None and value > high)
    ):
        span = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise InputError(where, f"must be a whole number {span}, got {value!r}")
    return int(value)


def ema_name(path: str) -> str:
    """The EMA parameter name of a parameter path (choice 3).

    Parameters
    ----------
    path : str
        ``section.field`` or ``regions.NAME.field``.

    Returns
    -------
    str
        The path with ``.`` replaced by ``__``: a Python identifier.
    """
    return path.replace(".", "__")


class _Experiment:
    """The model function: one experiment, R worlds in one batch (choices 1, 2 and 6)."""

    def __init__(self, scenario_json: str, paths: tuple[str, ...], replications: int, seed: int) -> None:
        self.scenario_json = scenario_json
        self.paths = paths
        self.replications = replications
        self.seed = seed
        self._cache: dict = {}

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_cache"] = {}  # rebuilt on the worker from the JSON
        return state

    def _scenario(self) -> Scenario:
        if "scenario" not in self._cache:
            self._cache["scenario"] = Scenario.model_validate_json(self.scenario_json)
        return self._cache["scenario"]

    def _strategy(self, name: str) -> Strategy:
        from offramp.scenario.translate import build_strategies

        key = ("strategy", name)
        if key not in self._cache:
            self._cache[key] = build_strategies(self._scenario(), [name])[name]
        return self._cache[key]

    def __call__(self, **values: float | str) -> dict[str, float]:
        from offramp.run.runner import run_worlds
        from offramp.scenario.translate import to_params

        scenario = self._scenario()
        name = str(values["strategy"])
        overrides = {path: np.full(self.replications, float(values[path])) for path in self.paths}
        columns = run_worlds(
            to_params(scenario, self.replications, overrides),
            self._strategy(name),
            name,
            np.arange(self.replications),
            self.seed,
        )
        results = {label: float(np.mean(columns["outcome"] == label)) for label in SHARE_OUTCOMES}
        results.update({column: _censored_mean(columns[column]) for column in MEAN_OUTCOMES})
        return results


def ema_model(
    scenario: Scenario,
    replications: int = 10,
    seed: int = 0,
    horizon_weeks: int | None = None,
    strategies: Sequence[str] | None = None,
) -> Model:
    """An EMA Workbench model of a scenario (see the module's choices).

    Parameters
    ----------
    scenario : Scenario
        A validated scenario; its ``uncertainties`` become EMA uncertainties.
    replications : int
        R, worlds per experiment (>= 1); the outcomes are shares and means over them.
    seed : int
        offramp's seed (>= 0): every experiment runs worlds 0 .. R-1 of this seed.
    horizon_weeks : int, optional
        A shorter (or longer) horizon than the scenario's, e.g. for quick tests.
    strategies : sequence of str, optional
        The strategies the lever chooses from; all of the scenario's when empty.

    Returns
    -------
    ema_workbench.Model
        Named ``offramp``; uncertainties, the ``strategy`` lever and scalar outcomes set.

    Raises
    ------
    InputError
        Bad ``replications``, ``seed``, ``horizon_weeks`` or strategy names.
    """
    from ema_workbench import CategoricalParameter, Constant, IntegerParameter, Model, RealParameter, ScalarOutcome

    from offramp.scenario.translate import build_strategies

    _check_whole("replications", replications, 1)
    _check_whole("seed", seed, 0)
    if horizon_weeks is not None:
        field = type(scenario.scenario).model_fields["horizon_weeks"]
        limits = {bound: getattr(c, bound) for c in field.metadata for bound in ("ge", "le") if hasattr(c, bound)}
        # The schema's range, so the two cannot disagree.
        horizon = _check_whole("horizon_weeks", horizon_weeks, limits["ge"], limits["le"])
        data = scenario.model_dump(mode="json")
        data["scenario"]["horizon_weeks"] = horizon
        scenario = Scenario.model_validate(data)
    names = list(build_strategies(scenario, list(strategies) if strategies else None))
    paths = tuple(scenario.uncertainties)
    model = Model("offramp", function=_Experiment(scenario.model_dump_json(), paths, int(replications), int(seed)))
    uncertainties = []
    for path in paths:
        lower, upper = scenario.uncertainties[path]
        if is_integer_parameter(scenario, path):
            uncertainties.append(
                IntegerParameter(ema_name(path), math.ceil(lower), math.floor(upper), variable_name=path)
            )
        else:
            uncertainties.append(RealParameter(ema_name(path), float(lower), float(upper), variable_name=path))
    model.uncertainties = uncertainties
    if len(names) > 1:
        model.levers = [CategoricalParameter("strategy", names)]
    else:
        model.constants = [Constant("strategy", names[0])]
    model.outcomes = [ScalarOutcome(name) for name in (*SHARE_OUTCOMES, *MEAN_OUTCOMES)]
    return model
