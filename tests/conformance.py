"""The conformance suite (STYLE.md, "Contract suite over the registry"), as plain functions.

Every submodel step and every strategy must:

- keep the shapes and dtypes of its state;
- not mutate its inputs (digests of every array before and after);
- give identical output for identical streams (same seed), and different output for
  another seed (a step that ignores its streams fails);
- give world i identical results whether run with B = 1, B = 64 or in a permuted batch
  (batch invariance: world i's numbers depend only on (seed, i)).

Inputs are nested frozen dataclasses of arrays. A field is treated as per-world when it
is an array whose leading axis has length B; pick B different from every other axis
length (K, E, the observation history's MAX_LAG + 1, ...) so that no field is mistaken
for a per-world one.

Which functions the suite must cover is found, not listed: :func:`model_step_functions`
collects every step of :mod:`offramp.model` (a public function taking ``(state, params,
drivers, streams)``), so a new submodel without a conformance case fails
``tests/test_conformance.py``. What the coercer observes is a step too
(:func:`step_observation`: this week's truth into the history, then the noisy, lagged
view the strategy gets).
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import offramp.model
from offramp.model.coercer import Observation
from offramp.model.observation import ObservationHistory, ObservationParams, observe, record_history
from offramp.model.streams import Stream, WorldStreams

__all__ = [
    "STEP_PARAMETERS",
    "model_step_functions",
    "ObservedWeek",
    "step_observation",
    "leaves",
    "array_digest",
    "take_rows",
    "assert_trees_equal",
    "assert_structure_kept",
    "permutation",
    "check_step",
    "check_strategy",
    "documented_parameters",
    "check_documented_parameters",
]


STEP_PARAMETERS = ("state", "params", "drivers", "streams")
"""The signature of a submodel's step (STYLE.md): inputs, then params, then streams."""


def model_step_functions() -> dict[str, Callable]:
    """Every submodel step of :mod:`offramp.model`: the public functions, defined in
    their module, whose positional parameters are exactly :data:`STEP_PARAMETERS` (any
    others keyword-only, with defaults: how a step is run, e.g. ``threads``).

    Returns
    -------
    dict of str to callable
        ``module.function`` names (``cascade.step_inner_circle``) to the functions.
    """
    steps = {}
    for info in pkgutil.iter_modules(offramp.model.__path__):
        module = importlib.import_module(f"offramp.model.{info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or function.__module__ != module.__name__:
                continue
            parameters = inspect.signature(function).parameters.values()
            positional = tuple(p.name for p in parameters if p.kind is not p.KEYWORD_ONLY)
            if positional == STEP_PARAMETERS and all(
                p.default is not p.empty for p in parameters if p.kind is p.KEYWORD_ONLY
            ):
                steps[f"{info.name}.{name}"] = function
    return steps


@dataclasses.dataclass(frozen=True, slots=True)
class ObservedWeek:
    """What a week leaves for the coercer to observe (the drivers of
    :func:`step_observation`).

    Attributes
    ----------
    week : int
        Weeks simulated so far, as the strategy will be told.
    tension, paranoia, defected_share : float64 (B,)
        The true values at the end of the week.
    unrest : float64 (B, K)
        The true active shares at the end of the week.
    """

    week: int
    tension: np.ndarray
    paranoia: np.ndarray
    defected_share: np.ndarray
    unrest: np.ndarray


def step_observation(
    state: ObservationHistory, params: ObservationParams, drivers: ObservedWeek, streams: WorldStreams
) -> tuple[ObservationHistory, Observation]:
    """The coercer's observation as a step: the week's truth enters the history, then the
    strategy's noisy, lagged view is drawn from it (``world.step_world`` does the two at
    the end of a week and at the start of the next).

    Parameters
    ----------
    state : ObservationHistory
        The history so far, (B, MAX_LAG + 1).
    params : ObservationParams
    drivers : ObservedWeek
    streams : WorldStreams
        The coercer stream of each world.

    Returns
    -------
    new_state : ObservationHistory
    record : Observation
    """
    history = record_history(state, drivers.tension, drivers.paranoia, drivers.defected_share, drivers.unrest)
    return history, observe(history, drivers.week, params, streams)


def leaves(tree: Any, path: str = "") -> list[tuple[str, Any]]:
    """(path, leaf) pairs of a nested dataclass / tuple / list / dict, depth first."""
    if dataclasses.is_dataclass(tree) and not isinstance(tree, type):
        return [item for f in dataclasses.fields(tree) for item in leaves(getattr(tree, f.name), f"{path}.{f.name}")]
    if isinstance(tree, dict):
        return [item for key in sorted(tree) for item in leaves(tree[key], f"{path}[{key!r}]")]
    if isinstance(tree, (tuple, list)):
        return [item for i, value in enumerate(tree) for item in leaves(value, f"{path}[{i}]")]
    return [(path, tree)]


def array_digest(tree: Any) -> str:
    """SHA-256 over every leaf: arrays by dtype, shape and bytes, other leaves by repr."""
    digest = hashlib.sha256()
    for path, leaf in leaves(tree):
        digest.update(path.encode())
        if isinstance(leaf, np.ndarray):
            digest.update(f"{leaf.dtype}{leaf.shape}".encode())
            digest.update(np.ascontiguousarray(leaf).tobytes())
        else:
            digest.update(repr(leaf).encode())
    return digest.hexdigest()


def take_rows(tree: Any, rows: Sequence[int] | np.ndarray, n_worlds: int) -> Any:
    """The same tree restricted to the given worlds: every array whose leading axis has
    length ``n_worlds`` is indexed by ``rows``; scalars and other arrays are kept."""
    rows = np.asarray(rows)
    if isinstance(tree, np.ndarray):
        return tree[rows] if tree.ndim >= 1 and tree.shape[0] == n_worlds else tree
    if dataclasses.is_dataclass(tree) and not isinstance(tree, type):
        values = {f.name: take_rows(getattr(tree, f.name), rows, n_worlds) for f in dataclasses.fields(tree) if f.init}
        return type(tree)(**values)
    if isinstance(tree, dict):
        return {key: take_rows(value, rows, n_worlds) for key, value in tree.items()}
    if isinstance(tree, (tuple, list)):
        return type(tree)(take_rows(value, rows, n_worlds) for value in tree)
    return tree


def assert_trees_equal(actual: Any, expected: Any, context: str = "") -> None:
    """Exact equality of every leaf (NaN equals NaN), with dtypes and shapes."""
    actual_leaves, expected_leaves = leaves(actual), leaves(expected)
    assert [p for p, _ in actual_leaves] == [p for p, _ in expected_leaves], f"{context}: different structure"
    for (path, a), (_, b) in zip(actual_leaves, expected_leaves, strict=True):
        if isinstance(b, np.ndarray):
            assert isinstance(a, np.ndarray), f"{context}{path}: not an array"
            assert a.dtype == b.dtype and a.shape == b.shape, (
                f"{context}{path}: {a.dtype}{a.shape} != {b.dtype}{b.shape}"
            )
            np.testing.assert_array_equal(a, b, err_msg=f"{context}{path}")
        else:
            assert a == b, f"{context}{path}: {a!r} != {b!r}"


def assert_structure_kept(before: Any, after: Any, context: str = "") -> None:
    """Same fields, and every array keeps its dtype and shape."""
    before_leaves, after_leaves = leaves(before), leaves(after)
    assert [p for p, _ in before_leaves] == [p for p, _ in after_leaves], f"{context}: different structure"
    for (path, b), (_, a) in zip(before_leaves, after_leaves, strict=True):
        if isinstance(b, np.ndarray):
            assert isinstance(a, np.ndarray), f"{context}{path}: became {type(a).__name__}"
            assert (a.dtype, a.shape) == (b.dtype, b.shape), (
                f"{context}{path}: {b.dtype}{b.shape} -> {a.dtype}{a.shape}"
            )


def permutation(n: int) -> np.ndarray:
    """A fixed, non-trivial permutation of 0..n-1 (no random generator needed)."""
    stride = next(s for s in range(n // 2 + 1, n + 1) if np.gcd(s, n) == 1) if n > 2 else 1
    return (np.arange(n) * stride + 1) % n


def _run_steps(step, state, params, drivers, streams, n_steps):
    """Run ``n_steps`` steps with the same drivers; return every (state, record)."""
    outputs = []
    for _ in range(n_steps):
        state, record = step(state, params, drivers, streams)
        outputs.append((state, record))
    return outputs


def check_step(
    step: Callable,
    state: Any,
    params: Any,
    drivers: Any,
    stream: Stream,
    *,
    seed: int = 20220,
    worlds: np.ndarray | None = None,
    n_steps: int = 3,
    take: Callable[[Any, np.ndarray, int], Any] = take_rows,
) -> None:
    """Run the whole conformance suite on one step function.

    Parameters
    ----------
    step : callable
        ``step(state, params, drivers, streams) -> (new_state, record)``.
    state, params, drivers
        Inputs for B worlds (B = 64 recommended; params may hold (B,) arrays).
    stream : Stream
        The submodel's stream id.
    seed : int
        The run's seed.
    worlds : int64 array (B,), optional
        World indices of the batch rows; default 0..B-1, B being the length of the
        state's first leaf (give ``worlds`` when that leaf is not per world).
    n_steps : int
        Steps run with the same drivers (the state evolves).
    take : callable
        ``take(tree, rows, n_worlds)``: inputs and outputs restricted to some worlds;
        :func:`take_rows` unless some arrays have several rows per world.
    """
    n_worlds = len(leaves(state)[0][1]) if worlds is None else len(worlds)
    worlds = np.arange(n_worlds) if worlds is None else np.asarray(worlds)
    streams = lambda rows, seed=seed: WorldStreams.for_worlds(seed, worlds[rows], stream)  # noqa: E731
    everyone = np.arange(n_worlds)
    inputs = (state, params, drivers)

    # Inputs not mutated.
    before = array_digest(inputs)
    full = _run_steps(step, state, params, drivers, streams(everyone), n_steps)
    assert array_digest(inputs) == before, f"{step.__name__} mutated its inputs"

    # Shapes and dtypes kept, step after step.
    for new_state, _ in full:
        assert_structure_kept(state, new_state, f"{step.__name__} state")

    # Identical streams -> identical output; another seed -> other output somewhere, or
    # the step does not read its streams and the checks above and below prove nothing
    # about them.
    again = _run_steps(step, state, params, drivers, streams(everyone), n_steps)
    assert_trees_equal(again, full, f"{step.__name__} rerun")
    other = _run_steps(step, state, params, drivers, streams(everyone, seed + 1), n_steps)
    assert array_digest(other) != array_digest(full), (
        f"{step.__name__}: seed {seed + 1} gives the output of seed {seed}"
    )

    # Batch invariance: one world alone, and the batch permuted.
    for i in sorted({0, n_worlds // 2, n_worlds - 1}):
        alone = _run_steps(step, *take(inputs, np.array([i]), n_worlds), streams([i]), n_steps)
        assert_trees_equal(alone, take(full, np.array([i]), n_worlds), f"{step.__name__} world {i} alone")
    order = permutation(n_worlds)
    permuted = _run_steps(step, *take(inputs, order, n_worlds), streams(order), n_steps)
    assert_trees_equal(permuted, take(full, order, n_worlds), f"{step.__name__} permuted")


def check_strategy(strategy: Any, observation: Any, *, n_weeks: int = 3) -> None:
    """Run the conformance suite on a strategy (deterministic, so no streams).

    Parameters
    ----------
    strategy : Strategy
        May carry per-world (B,) parameter arrays.
    observation : Observation
        For B worlds (B = 64 recommended) and K regions.
    n_weeks : int
        Weeks evaluated (the week of ``observation`` plus 0 .. n_weeks-1).
    """
    n_worlds, n_regions = observation.unrest.shape
    name = type(strategy).__name__
    observations = [dataclasses.replace(observation, week=observation.week + w) for w in range(n_weeks)]

    before = array_digest((strategy, observations))
    full = [strategy.levers(obs) for obs in observations]
    assert array_digest((strategy, observations)) == before, f"{name} mutated its inputs"

    for levers in full:
        for path, leaf in leaves(levers):
            assert isinstance(leaf, np.ndarray) and leaf.dtype == np.float64, f"{name}{path}: not float64"
            expected = (n_worlds, n_regions) if path == ".covert_support" else (n_worlds,)
            assert leaf.shape == expected, f"{name}{path}: shape {leaf.shape} != {expected}"
            assert np.all((leaf >= 0) & (leaf <= 1)), f"{name}{path}: lever outside [0, 1]"

    assert_trees_equal([strategy.levers(obs) for obs in observations], full, f"{name} rerun")

    for rows in ([0], [n_worlds - 1], permutation(n_worlds)):
        sub_strategy = take_rows(strategy, rows, n_worlds)
        got = [sub_strategy.levers(take_rows(obs, rows, n_worlds)) for obs in observations]
        assert_trees_equal(got, take_rows(full, rows, n_worlds), f"{name} rows {list(rows)[:3]}...")


_SECTION = re.compile(
    r"^\s*Parameters\n\s*-+\n(?P<body>.*?)(?:\n\s*\n\s*(?:Returns|Raises|Yields|References|Examples|Notes)\n\s*-+|\Z)",
    re.DOTALL | re.MULTILINE,
)


def documented_parameters(function: Callable) -> list[str]:
    """Parameter names listed in a numpydoc ``Parameters`` section, in order."""
    doc = inspect.getdoc(function) or ""
    match = _SECTION.search(doc)
    if match is None:
        return []
    names = []
    for line in match.group("body").splitlines():
        if line and not line[0].isspace():
            head = line.split(" : ")[0].strip()
            names.extend(name.strip().lstrip("*") for name in head.split(","))
    return names


def check_documented_parameters(function: Callable) -> None:
    """The documented parameter names equal the signature's (the Mesa drift check)."""
    signature = [name for name in inspect.signature(function).parameters if name != "self"]
    assert documented_parameters(function) == signature, f"{function.__qualname__}: docstring vs signature"
