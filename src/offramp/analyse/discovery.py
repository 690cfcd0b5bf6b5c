"""Scenario discovery: where in the parameter space a strategy fails, as boxes and rules.

Given the sampled parameter values of each sample and whether a strategy failed there
(did not satisfice), PRIM, the patient rule induction method (Friedman & Fisher 1999),
peels a box around the failures one thin slice at a time and records every box on the
way: its *coverage* (the share of all failures inside it), *density* (the share of the
box that fails) and *mass* (the share of samples inside it). The analyst picks one box
of this trade-off (Bryant & Lempert 2010); its restricted parameters are the conditions
under which the strategy fails. CART (Breiman et al. 1984) splits the same data into
leaves, a second and independent description of the same region.

Both algorithms are EMA Workbench's (Kwakkel 2017), ``ema_workbench.analysis.prim.Prim``
and ``ema_workbench.analysis.cart.CART``, used on plain tables; nothing here reimplements
them. EMA Workbench is an optional dependency (the ``analysis`` extra), imported only when
discovery runs (:func:`require_ema`).

Choices
-------
1. The box is chosen by a stated rule, not interactively: among the steps of the peeling
   trajectory whose density is at least ``threshold``, the one with the highest
   coverage (ties: the higher density, then fewer restricted parameters, then the
   earlier step). If no step reaches ``threshold``, the densest step, and
   :attr:`Discovery.density` shows that it falls short.
2. EMA keeps a trajectory only when its *last* box reaches ``threshold`` (otherwise it
   returns a one-row "dump box"). We want the whole trajectory to choose from (choice
   1), so PRIM is given the smallest positive threshold, which every box holding a
   failure meets; with y in {0, 1} its count of cases of interest (``y >= threshold``)
   is the number of failures either way. ``threshold`` is applied in choice 1.
3. With pandas 3, EMA 2.5's ``boxes_to_dataframe`` (of ``Prim``, ``PrimBox`` and
   ``CART``) returns zeros: it writes through a chained assignment that copy-on-write
   discards. Limits are therefore read from ``PrimBox.box_lims`` (one DataFrame per
   step, row 0 the lower and row 1 the upper limit) and from ``CART.boxes``.
4. Parameters are cast to float64 and constant ones are dropped before PRIM and CART:
   EMA treats only float64 and int columns as numbers (float32 would be ignored), its
   integer pasting calls ``np.int``, which NumPy 2 removed, and a constant column cannot
   be restricted.
5. A side of a box that PRIM did not restrict is reported as the end of the sampled range
   (``bounds``), not as the smallest or largest sampled value, since it is no condition.
   Whether a parameter is restricted is EMA's test (a limit differs from the data's).
6. CART's tree is fitted as EMA's ``build_tree`` fits it (a classification tree whose
   leaves hold at least ``mass_min`` of the samples), but with ``random_state=0`` (EMA
   leaves it unset, so sklearn draws its feature order from the global generator and
   ties between equal splits could vary between runs) and at least one sample per leaf
   (EMA's ``int(mass_min * n)`` is 0 below 1 / mass_min samples, which sklearn refuses).
7. PRIM's pasting uses EMA's default ``paste_alpha`` (0.05) and its default objective
   (``LENIENT1``: gain in density per mass peeled).
8. Every step's box is kept (:attr:`Discovery.steps`), in the same table as the chosen
   one, so an analyst can look at another point of the trade-off (the app's PRIM curve);
   the chosen box and the tables ``offramp analyze`` writes do not depend on them.

References
----------
Friedman, J. H., Fisher, N. I. (1999). Bump hunting in high-dimensional data. Statistics
and Computing 9(2), 123-143. https://doi.org/10.1023/A:1008894516817

Breiman, L., Friedman, J. H., Olshen, R. A., Stone, C. J. (1984). Classification and
regression trees. Wadsworth. https://doi.org/10.1201/9781315139470

Bryant, B. P., Lempert, R. J. (2010). Thinking inside the box: a participatory,
computer-assisted approach to scenario discovery. Technological Forecasting and Social
Change 77(1), 34-49. https://doi.org/10.1016/j.techfore.2009.08.002

Kwakkel, J. H. (2017). The Exploratory Modeling Workbench: an open source toolkit for
exploratory modeling, scenario discovery, and (multi-objective) robust decision making.
Environmental Modelling & Software 96, 239-250. https://doi.org/10.1016/j.envsoft.2017.06.054
"""

from __future__ import annotations

import contextlib
import importlib
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import ModuleType

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from offramp.analyse.criteria import DiscoverySettings
from offramp.analyse.study import Study
from offramp.errors import InputError, OfframpError

__all__ = ["Discovery", "require_ema", "discover", "discover_failures"]


#: PRIM's threshold for the peel itself (choice 2): every box holding a failure meets it.
_ACCEPT_ANY_BOX = float(np.nextafter(0.0, 1.0))

#: CART's tree is fitted with this seed (choice 6).
_CART_SEED = 0


def require_ema(purpose: str = "scenario discovery") -> ModuleType:
    """Import EMA Workbench, quietly, or say how to install it.

    Imports ``ema_workbench`` and its ``analysis`` subpackage (PRIM, CART, feature
    scoring), which warn about optional packages they cannot find (ipyparallel, altair)
    and offramp does not use; those warnings are silenced here. Other modules that use
    EMA (feature scoring) call this first, then import what they need from it.

    Parameters
    ----------
    purpose : str
        What needs EMA Workbench, for the message if it is missing.

    Returns
    -------
    module
        ``ema_workbench``, with ``ema_workbench.analysis`` loaded.

    Raises
    ------
    OfframpError
        EMA Workbench is not installed (the message names the ``analysis`` extra).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            importlib.import_module("ema_workbench.analysis")
            return importlib.import_module("ema_workbench")
    except ImportError:
        raise OfframpError(f"{purpose} needs EMA Workbench: pip install 'offramp[analysis]'") from None


@contextlib.contextmanager
def _quiet_upstream() -> Iterator[None]:
    """Silence deprecation warnings that pandas raises inside EMA's code (``inplace=``):
    they are EMA's to fix, not the user's to act on."""
    with warnings.catch_warnings():
        for category in (DeprecationWarning, FutureWarning):
            warnings.filterwarnings("ignore", category=category, module=r"ema_workbench\.")
        yield


@dataclass(frozen=True, eq=False)
class Discovery:
    """Where a strategy fails: PRIM's trajectory and chosen box, and CART's leaves.

    Attributes
    ----------
    strategy : str
        The strategy whose failures are explained.
    failure : str
        The failure in words (``"fails: P(settlement within 52 weeks) ≥ 0.25 and ..."``).
    samples : int
        Rows given to PRIM and CART.
    failures : int
        Rows that fail (y = 1).
    trajectory : pandas.DataFrame
        PRIM's peeling and pasting trajectory, one row per step: ``box`` (int, the step),
        ``coverage``, ``density``, ``mass`` (float in [0, 1]) and ``restricted`` (int,
        the number of restricted parameters).
    chosen : int
        The step chosen (module choice 1): the highest coverage among the steps with
        density >= ``threshold``; if there is none, the step with the highest density.
    box : pandas.DataFrame
        The chosen box, one row per restricted parameter, the best-supported restriction
        first: ``parameter``, ``low``, ``high`` (the box's closed limits; an unrestricted
        side is the end of the range, choice 5), ``range_low``, ``range_high`` (the range
        sampled), ``qp_low``, ``qp_high`` (EMA's quasi-p-values of the lower and upper
        restriction, a one-sided binomial test of the density gained by it, Bryant &
        Lempert 2010; NaN for a side not restricted) and ``qp`` (the larger of the two:
        the weaker restriction's).
    coverage, density, mass : float
        Of the chosen box.
    cart_leaves : pandas.DataFrame
        CART's leaves, densest first: ``leaf`` (sklearn's node id), ``coverage``,
        ``density``, ``mass``, ``restricted`` and ``rule``, the leaf's limits in words
        (``"0.1 < leader.money_weight ≤ 0.3 and ..."``; a split sends ``x ≤ t`` left).
    cart_text : str
        The tree as text (``sklearn.tree.export_text``).
    base_rate : float
        failures / samples: the density of the box that restricts nothing.
    steps : tuple of pandas.DataFrame
        Every step's box in the columns of ``box``, indexed by ``box`` (the step), so that
        a box other than the chosen one can be shown (choice 8); ``steps[chosen]`` is
        ``box``.
    """

    strategy: str
    failure: str
    samples: int
    failures: int
    trajectory: pd.DataFrame
    chosen: int
    box: pd.DataFrame
    coverage: float
    density: float
    mass: float
    cart_leaves: pd.DataFrame
    cart_text: str
    base_rate: float
    steps: tuple[pd.DataFrame, ...] = ()

    def step_box(self, step: int) -> pd.DataFrame:
        """The box of one step of the trajectory, in the columns of :attr:`box`.

        Parameters
        ----------
        step : int
            A value of ``trajectory["box"]``.

        Returns
        -------
        pandas.DataFrame

        Raises
        ------
        InputError
            No such step.
        """
        if not 0 <= step < len(self.steps):
            raise InputError(
                f"PRIM box of {self.strategy}" if self.strategy else "PRIM box",
                f"no step {step}; the trajectory has steps 0 to {len(self.steps) - 1}",
            )
        return self.steps[step]

    @property
    def rule(self) -> str:
        """The chosen box in words (``"a ≥ 0.6 and b ≤ 0.3"``); ``"any sample"`` if unrestricted."""
        terms = []
        for row in self.box.itertuples(index=False):
            has_low, has_high = not np.isnan(row.qp_low), not np.isnan(row.qp_high)
            if has_low and has_high:
                terms.append(f"{_number(row.low)} \u2264 {row.parameter} \u2264 {_number(row.high)}")
            elif has_low:
                terms.append(f"{row.parameter} \u2265 {_number(row.low)}")
            else:
                terms.append(f"{row.parameter} \u2264 {_number(row.high)}")
        return " and ".join(terms) if terms else "any sample"


def _number(value: float) -> str:
    return f"{value:.4g}"


def _checked(x: pd.DataFrame, y: ArrayLike, where: str) -> tuple[pd.DataFrame, np.ndarray]:
    """The inputs as EMA needs them (float64 columns that vary, reset index; int y), or an error."""
    if not isinstance(x, pd.DataFrame):
        raise InputError(where, f"x must be a pandas DataFrame, got {type(x).__name__}")
    y = np.asarray(y)
    if y.ndim != 1:
        raise InputError(where, f"y must be one-dimensional, got shape {y.shape}")
    if len(y) != len(x):
        raise InputError(where, f"x has {len(x)} rows but y has {len(y)} values")
    if len(y) == 0:
        raise InputError(where, "no samples")
    is_binary = np.isin(y, (0, 1))
    if not is_binary.all():
        raise InputError(where, f"y must be 0 (success) or 1 (failure), got {y[~is_binary][0]!r}")
    y = y.astype(np.int64)
    if y.all():
        raise InputError(where, "every sample fails; nothing to explain")
    if not y.any():
        raise InputError(where, "no sample fails; nothing to explain")
    for column in x.columns:
        if not pd.api.types.is_numeric_dtype(x[column]) or pd.api.types.is_bool_dtype(x[column]):
            raise InputError(where, f"parameter {column!r} is not numeric")
    values = x.astype(np.float64).reset_index(drop=True)  # choice 4
    if not np.isfinite(values.to_numpy()).all():
        column = values.columns[~np.isfinite(values.to_numpy()).all(axis=0)][0]
        raise InputError(where, f"parameter {column!r} has a missing or infinite value")
    varies = values.max() > values.min()
    if not varies.any():
        raise InputError(where, "no parameter varies; nothing to explain failure with")
    return values.loc[:, varies], y


def _choose(trajectory: pd.DataFrame, threshold: float) -> int:
    """The chosen step (choice 1)."""
    dense = trajectory[trajectory["density"] >= threshold]
    if len(dense) == 0:
        return int(trajectory.loc[trajectory["density"].idxmax(), "box"])
    best = dense.sort_values(
        ["coverage", "density", "restricted", "box"], ascending=[False, False, True, True], kind="stable"
    )
    return int(best["box"].iloc[0])


def _box_table(
    limits: pd.DataFrame, initial: pd.DataFrame, qp: Mapping[str, list], ranges: Mapping[str, tuple[float, float]]
) -> pd.DataFrame:
    """One row per restricted parameter of a box given as EMA limits (choices 3 and 5)."""
    rows = []
    for parameter in limits.columns:
        is_low = limits.loc[0, parameter] != initial.loc[0, parameter]
        is_high = limits.loc[1, parameter] != initial.loc[1, parameter]
        if not (is_low or is_high):
            continue
        range_low, range_high = ranges[parameter]
        qp_low, qp_high = qp.get(parameter, (-1.0, -1.0))
        # EMA marks a side without a restriction by a quasi-p-value of -1.
        qp_low = float(qp_low) if is_low and qp_low >= 0 else np.nan
        qp_high = float(qp_high) if is_high and qp_high >= 0 else np.nan
        rows.append(
            {
                "parameter": parameter,
                "low": float(limits.loc[0, parameter]) if is_low else range_low,
                "high": float(limits.loc[1, parameter]) if is_high else range_high,
                "range_low": range_low,
                "range_high": range_high,
                "qp_low": qp_low,
                "qp_high": qp_high,
                "qp": float(np.nanmax([qp_low, qp_high])) if not (np.isnan(qp_low) and np.isnan(qp_high)) else np.nan,
            }
        )
    columns = ["parameter", "low", "high", "range_low", "range_high", "qp_low", "qp_high", "qp"]
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values("qp", kind="stable", na_position="last").reset_index(drop=True)


def _leaf_rule(limits: pd.DataFrame, initial: pd.DataFrame) -> str:
    """A CART leaf in words: a split sends ``x <= t`` left, so lower limits are strict."""
    terms = []
    for parameter in limits.columns:
        low, high = limits.loc[0, parameter], limits.loc[1, parameter]
        is_low, is_high = low != initial.loc[0, parameter], high != initial.loc[1, parameter]
        if is_low and is_high:
            terms.append(f"{_number(low)} < {parameter} \u2264 {_number(high)}")
        elif is_low:
            terms.append(f"{parameter} > {_number(low)}")
        elif is_high:
            terms.append(f"{parameter} \u2264 {_number(high)}")
    return " and ".join(terms) if terms else "any sample"


def _cart(x: pd.DataFrame, y: np.ndarray, mass_min: float) -> tuple[pd.DataFrame, str]:
    """CART's leaves and the tree as text (choice 6)."""
    from ema_workbench.analysis.cart import CART
    from sklearn.tree import DecisionTreeClassifier, export_text

    with _quiet_upstream():
        cart = CART(x, y, mass_min=mass_min)
        # EMA's build_tree, with a seed and at least one sample per leaf (choice 6).
        cart.clf = DecisionTreeClassifier(min_samples_leaf=max(1, int(mass_min * len(x))), random_state=_CART_SEED)
        cart.clf.fit(x.to_numpy(), y)
    text = export_text(cart.clf, feature_names=list(cart.feature_names), class_names=["success", "failure"], decimals=4)
    columns = ["leaf", "coverage", "density", "mass", "restricted", "rule"]
    tree = cart.clf.tree_
    if tree.node_count == 1:
        # No split: EMA's boxes would look for the root's parent and fail.
        leaves = [
            {"leaf": 0, "coverage": 1.0, "density": float(y.mean()), "mass": 1.0, "restricted": 0, "rule": "any sample"}
        ]
        return pd.DataFrame(leaves, columns=columns), text
    with _quiet_upstream():
        boxes, stats = cart.boxes, cart.stats
    initial = x.agg(["min", "max"]).reset_index(drop=True)
    leaf_ids = np.flatnonzero(tree.children_left == -1)  # EMA's order of boxes and stats
    rows = []
    for leaf, limits, leaf_stats in zip(leaf_ids, boxes, stats, strict=True):
        rows.append(
            {
                "leaf": int(leaf),
                "coverage": float(leaf_stats["coverage"]),
                "density": float(leaf_stats["density"]),
                "mass": float(leaf_stats["mass"]),
                "restricted": int(leaf_stats["res dim"]),
                "rule": _leaf_rule(limits, initial),
            }
        )
    leaves = pd.DataFrame(rows, columns=columns)
    leaves = leaves.sort_values(["density", "coverage", "leaf"], ascending=[False, False, True], kind="stable")
    return leaves.reset_index(drop=True), text


def discover(
    x: pd.DataFrame,
    y: np.ndarray,
    settings: DiscoverySettings,
    *,
    strategy: str = "",
    failure: str = "",
    bounds: Mapping[str, tuple[float, float]] | None = None,
) -> Discovery:
    """Find the region of parameter space where failures concentrate, with PRIM and CART.

    Parameters
    ----------
    x : pandas.DataFrame
        One row per sample, one numeric column per parameter (its sampled value).
    y : int or bool array (N,)
        1 (True) where the sample fails, 0 where it succeeds; N = ``len(x)``, in row order.
    settings : DiscoverySettings
        ``threshold`` (the least density of the chosen box), ``peel_alpha`` and
        ``mass_min``; ``strategies`` is not used here.
    strategy : str
        The strategy whose failures these are (for messages and the result).
    failure : str
        The failure in words.
    bounds : dict of str to (float, float), optional
        The range each parameter was sampled over; a parameter not in it (or all of them,
        if None) takes its smallest and largest value in ``x``.

    Returns
    -------
    Discovery

    Raises
    ------
    InputError
        ``x`` and ``y`` differ in length, ``y`` is not 0/1, every sample fails or none
        does, a parameter is not numeric or has a missing value, or none varies.
    OfframpError
        EMA Workbench is not installed.
    """
    where = f"scenario discovery for {strategy}" if strategy else "scenario discovery"
    values, y = _checked(x, y, where)
    require_ema()
    from ema_workbench.analysis.prim import Prim

    bounds = {} if bounds is None else bounds
    ranges: dict[str, tuple[float, float]] = {}
    for column in values.columns:
        low, high = bounds[column] if column in bounds else (values[column].min(), values[column].max())
        ranges[column] = (float(low), float(high))
    with _quiet_upstream():
        prim = Prim(values, y, threshold=_ACCEPT_ANY_BOX, peel_alpha=settings.peel_alpha, mass_min=settings.mass_min)
        found = prim.find_box()
    steps = found.peeling_trajectory
    trajectory = pd.DataFrame(
        {
            "box": steps["id"].astype(np.int64).to_numpy(),
            "coverage": steps["coverage"].astype(np.float64).to_numpy(),
            "density": steps["density"].astype(np.float64).to_numpy(),
            "mass": steps["mass"].astype(np.float64).to_numpy(),
            "restricted": steps["res_dim"].astype(np.int64).to_numpy(),
        }
    )
    chosen = _choose(trajectory, settings.threshold)
    # Every step's limits, not only the chosen one's (choice 8); the step ids are 0..n-1.
    steps = tuple(_box_table(found.box_lims[step], prim.box_init, found.qp[step], ranges) for step in trajectory["box"])
    box = steps[chosen]
    leaves, text = _cart(values, y, settings.mass_min)
    row = trajectory.loc[trajectory["box"] == chosen].iloc[0]
    failures = int(y.sum())
    return Discovery(
        strategy=strategy,
        failure=failure,
        samples=len(y),
        failures=failures,
        trajectory=trajectory,
        chosen=chosen,
        box=box,
        coverage=float(row["coverage"]),
        density=float(row["density"]),
        mass=float(row["mass"]),
        cart_leaves=leaves,
        cart_text=text,
        base_rate=failures / len(y),
        steps=steps,
    )


def discover_failures(
    study: Study, satisfied: pd.DataFrame, strategy: str, settings: DiscoverySettings, failure: str
) -> Discovery:
    """Scenario discovery for one strategy of a study: where does it not satisfice?

    Parameters
    ----------
    study : Study
        Gives the sampled values (:meth:`Study.design_values`) and ranges.
    satisfied : pandas.DataFrame
        :func:`offramp.analyse.robustness.satisficing`'s table (``strategy``, ``sample``,
        ``satisfices``, ...).
    strategy : str
        The strategy to explain.
    settings : DiscoverySettings
    failure : str
        The failure in words (the criteria not met).

    Returns
    -------
    Discovery
        y = 1 in the samples where ``strategy`` does not satisfice; rows in ascending
        sample order.

    Raises
    ------
    InputError
        The strategy has no rows in ``satisfied``, a sample is missing from the study,
        or :func:`discover` refuses the data.
    OfframpError
        EMA Workbench is not installed.
    """
    where = f"scenario discovery for {strategy}"
    rows = satisfied.loc[satisfied["strategy"] == strategy, ["sample", "satisfices"]]
    if len(rows) == 0:
        raise InputError(where, "the strategy has no satisficing results")
    rows = rows.sort_values("sample", kind="stable")
    values = study.design_values()
    missing = ~rows["sample"].isin(values.index)
    if missing.any():
        raise InputError(where, f"sample {int(rows['sample'][missing].iloc[0])} is not in the study")
    x = values.loc[rows["sample"].to_numpy(), list(study.parameters)].reset_index(drop=True)
    y = (~rows["satisfices"].to_numpy(bool)).astype(np.int64)
    return discover(x, y, settings, strategy=strategy, failure=failure, bounds=study.bounds)
