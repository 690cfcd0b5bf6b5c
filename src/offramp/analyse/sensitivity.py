"""Global sensitivity: how much of a per-sample measure each sampled parameter explains.

Two methods, chosen by the design the study was run with:

- **Sobol' indices** (Sobol' 2001) for a ``sobol`` design: the first-order index S1 of a
  parameter is the share of the measure's variance over the design that the parameter
  explains alone, the total index ST the share it explains with all its interactions
  (``ST - S1`` is interaction). Estimated from Saltelli's A, B and AB matrices with the
  estimators of Saltelli et al. (2010) in SALib, with bootstrap confidence intervals.
- **Extra-trees feature scores** (Geurts, Ernst & Wehenkel 2006) for any other design
  (``lhs``, ``morris``, ``factorial``, ``claims``), or a sobol design with samples
  missing: the mean decrease in impurity each parameter brings to a forest fitted to the
  measure, as EMA Workbench computes it (Jaxa-Rozen & Kwakkel 2018). The scores rank
  parameters and sum to 1; they are not shares of variance.

Choices
-------
1. The Saltelli estimator needs every row of the design in its order (each AB row is
   compared with the A and B rows of its block), so a missing sample, or one whose
   measure is undefined (NaN), is refused by :func:`sobol_indices`;
   :func:`sensitivity` then falls back to feature scoring, which takes any rows, and
   says so in the notes it returns beside the table. Those notes are returned as data,
   not carried in the table's ``attrs``, so that they reach a reader by one channel
   (``Analysis.notes``) only.
2. A measure that does not vary (every world settled, say) has no variance to share
   out: the indices are 0/0. Both functions return NaN with a note in ``attrs["note"]``
   instead of SALib's warnings and normalisation by a zero standard deviation. For
   Sobol' the test is on the A and B rows, the ones the variance is estimated from.
3. SALib's ``analyze`` reads its seed with ``if seed:``, so seed 0 would fall back to
   NumPy's global generator and the intervals would change from run to run. We pass a
   nonzero seed derived from ours with ``SeedSequence`` (:func:`_salib_seed`).
4. The model is stochastic and a sample's measure averages its replications. Noise
   that is independent between samples (variance s2 on top of the parameters' V) is
   not explained by any parameter: S1 estimates V1 / (V + s2), shrunk, and ST estimates
   (VT + s2) / (V + s2), raised by the noise's share for every parameter. More
   replications shrink s2.
5. Feature scoring uses EMA Workbench's defaults (100 trees, bootstrap, ``max_features``
   a third of the parameters, leaves of at least sqrt(S / 1000) samples), with three
   changes: ``max_features`` is at least 1 (EMA's ``round(D / 3)`` is 0 for one
   parameter, which scikit-learn refuses), the out-of-bag score is not computed (we never read it, and
   small designs warn about it), and ``random_state`` is our seed, so the scores are
   the same on every run. A measure that only takes the values 0 and 1 (one
   replication and a probability) is scored as a classification (Gini impurity), any
   other as a regression (squared error).
6. EMA Workbench is an optional dependency (the ``analysis`` extra), imported only when
   feature scoring is needed. Its import-time warnings (ipyparallel, altair: optional
   parts we never use) are silenced.
7. Second-order indices are not reported: a design drawn with ``second_order=True``
   is accepted (its BA rows are skipped) and gives S1 and ST like any other.

References
----------
Sobol', I. M. (2001). Global sensitivity indices for nonlinear mathematical models and
their Monte Carlo estimates. Mathematics and Computers in Simulation 55(1-3), 271-280.
https://doi.org/10.1016/S0378-4754(00)00270-6

Saltelli, A., Annoni, P., Azzini, I., Campolongo, F., Ratto, M., Tarantola, S. (2010).
Variance based sensitivity analysis of model output. Design and estimator for the total
sensitivity index. Computer Physics Communications 181(2), 259-270.
https://doi.org/10.1016/j.cpc.2009.09.018

Geurts, P., Ernst, D., Wehenkel, L. (2006). Extremely randomized trees. Machine Learning
63(1), 3-42. https://doi.org/10.1007/s10994-006-6226-1

Jaxa-Rozen, M., Kwakkel, J. (2018). Tree-based ensemble methods for sensitivity analysis
of environmental models: a performance comparison with Sobol and Morris techniques.
Environmental Modelling & Software 107, 245-266.
https://doi.org/10.1016/j.envsoft.2018.06.011

Herman, J., Usher, W. (2017). SALib: an open-source Python library for sensitivity
analysis. Journal of Open Source Software 2(9), 97. https://doi.org/10.21105/joss.00097
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from offramp.analyse.criteria import Measure
from offramp.analyse.discovery import require_ema
from offramp.analyse.study import Study
from offramp.errors import InputError

__all__ = ["SOBOL_COLUMNS", "SENSITIVITY_COLUMNS", "sobol_indices", "feature_scores", "sensitivity"]

#: Columns of :func:`sobol_indices`'s table.
SOBOL_COLUMNS: tuple[str, ...] = ("parameter", "S1", "S1_conf", "ST", "ST_conf")
#: Columns of :func:`sensitivity`'s table.
SENSITIVITY_COLUMNS: tuple[str, ...] = ("strategy", "method", "parameter", "S1", "S1_conf", "ST", "ST_conf", "score")


def _check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**32:
        raise InputError("seed", f"must be a whole number in [0, 2**32), got {seed!r}")
    return int(seed)


def _check_num_resamples(num_resamples: object) -> int:
    if isinstance(num_resamples, bool) or not isinstance(num_resamples, (int, np.integer)) or num_resamples < 2:
        raise InputError("num_resamples", f"must be a whole number >= 2, got {num_resamples!r}")
    return int(num_resamples)


def _salib_seed(seed: int) -> int:
    """A nonzero seed for SALib, derived from ``seed`` (choice 3)."""
    # SALib tests `if seed:`, so 0 would mean NumPy's global generator; `| 1` keeps it nonzero.
    return int(np.random.SeedSequence(seed).generate_state(1)[0]) | 1


def sobol_indices(
    values: np.ndarray,
    parameters: Sequence[str],
    bounds: Mapping[str, tuple[float, float]],
    *,
    second_order: bool = False,
    seed: int = 0,
    num_resamples: int = 200,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """First-order and total Sobol' indices of an output over a ``sobol`` design.

    Parameters
    ----------
    values : float array (S,)
        The output for each design row, in the design's (Saltelli) order: S = N (D + 2),
        or N (2D + 2) for a design drawn with ``second_order``.
    parameters : sequence of str
        The design's D parameters, in its column order.
    bounds : dict of str to (float, float)
        The range each parameter was sampled over (the SALib problem's bounds).
    second_order : bool
        Whether the design was drawn with ``second_order=True`` (its layout; choice 7).
    seed : int
        Seed of the bootstrap that gives the confidence intervals (choice 3), >= 0.
    num_resamples : int
        Bootstrap resamples, >= 2.
    conf_level : float
        Level of the confidence intervals, in (0, 1).

    Returns
    -------
    pandas.DataFrame
        One row per parameter, in ``parameters`` order: ``parameter``, ``S1``,
        ``S1_conf``, ``ST``, ``ST_conf`` (float64, shares of the output's variance;
        ``*_conf`` is the half-width of the bootstrap interval, so the interval is
        ``S1 ± S1_conf``). Estimates may fall slightly outside [0, 1]. All NaN when the
        output does not vary, with the reason in ``attrs["note"]`` (choice 2).

    Raises
    ------
    InputError
        No parameters, a parameter without bounds, ``values`` of a length that is not a
        multiple of D + 2 (2D + 2), or with missing (NaN) or infinite values, or a bad
        ``seed``, ``num_resamples`` or ``conf_level``.

    References
    ----------
    Saltelli et al. (2010), https://doi.org/10.1016/j.cpc.2009.09.018
    """
    from SALib.analyze import sobol

    parameters = [str(p) for p in parameters]
    d = len(parameters)
    if d == 0:
        raise InputError("parameters", "Sobol indices need at least one parameter")
    for name in parameters:
        if name not in bounds:
            raise InputError("bounds", f"no range for parameter {name!r}")
    seed = _check_seed(seed)
    num_resamples = _check_num_resamples(num_resamples)
    if not 0.0 < conf_level < 1.0:
        raise InputError("conf_level", f"must be within (0, 1), got {conf_level!r}")
    y = np.asarray(values, dtype=np.float64)
    if y.ndim != 1:
        raise InputError("values", f"must hold one value per design row (1-D), got shape {y.shape}")
    step = 2 * d + 2 if second_order else d + 2
    if y.size == 0 or y.size % step:
        layout = "N (2D + 2), second order" if second_order else "N (D + 2)"
        raise InputError(
            "values",
            f"Sobol indices need {layout} values in the design's order; with D = {d} "
            f"parameters that is a multiple of {step}, got {y.size}",
        )
    missing = int(np.isnan(y).sum())
    if missing:
        raise InputError("values", f"Sobol indices need every sample of the design; {missing} of {y.size} are missing")
    if not np.isfinite(y).all():
        raise InputError(
            "values", f"Sobol indices need finite values; {int(np.isinf(y).sum())} of {y.size} are infinite"
        )

    # Each block of `step` rows is A, AB_1 .. AB_D, (BA_1 .. BA_D,) B; the variance the
    # indices are shares of is estimated from the A and B rows alone (choice 2).
    a_and_b = np.r_[y[0::step], y[step - 1 :: step]]
    if np.ptp(a_and_b) == 0.0:
        nan = np.full(d, np.nan)
        table = pd.DataFrame({"parameter": parameters, "S1": nan, "S1_conf": nan, "ST": nan, "ST_conf": nan})
        what = "the output is constant" if np.ptp(y) == 0.0 else "the output does not vary over the A and B rows"
        table.attrs["note"] = f"{what}: there is no variance to share out, so no Sobol indices"
        return table

    problem = {"num_vars": d, "names": parameters, "bounds": [[float(v) for v in bounds[p]] for p in parameters]}
    result = sobol.analyze(
        problem,
        y,
        calc_second_order=bool(second_order),
        num_resamples=int(num_resamples),
        conf_level=float(conf_level),
        seed=_salib_seed(seed),
    )
    return pd.DataFrame({"parameter": parameters, **{c: np.asarray(result[c], np.float64) for c in SOBOL_COLUMNS[1:]}})


def feature_scores(x: pd.DataFrame, y: np.ndarray, *, seed: int = 0) -> pd.DataFrame:
    """Extra-trees feature scores of an output over any design (EMA Workbench).

    Parameters
    ----------
    x : pandas.DataFrame
        S rows, one numeric column per parameter (the sampled values).
    y : float or bool array (S,)
        The output for each row of ``x``. Only 0 and 1: classification; otherwise
        regression (choice 5).
    seed : int
        The forest's ``random_state``, >= 0; the same seed gives the same scores.

    Returns
    -------
    pandas.DataFrame
        ``parameter`` and ``score`` (float64, >= 0, summing to 1), highest score first
        (ties in column order). All NaN, in column order, when ``y`` does not vary, with
        the reason in ``attrs["note"]`` (choice 2).

    Raises
    ------
    InputError
        ``x`` without columns, fewer than two rows, ``y`` of another length or with
        missing or infinite values, or a bad ``seed``.
    OfframpError
        EMA Workbench is not installed.

    References
    ----------
    Jaxa-Rozen & Kwakkel (2018), https://doi.org/10.1016/j.envsoft.2018.06.011
    """
    seed = _check_seed(seed)
    if not isinstance(x, pd.DataFrame) or x.shape[1] == 0:
        raise InputError("x", "feature scoring needs a table with one column per parameter")
    target = np.asarray(y)
    if target.ndim != 1 or len(target) != len(x):
        raise InputError("y", f"needs one value per row of x ({len(x)}), got shape {target.shape}")
    if len(x) < 2:
        raise InputError("x", f"feature scoring needs at least two samples, got {len(x)}")
    target = target.astype(np.float64)
    if not np.isfinite(target).all():
        bad = int((~np.isfinite(target)).sum())
        raise InputError(
            "y", f"feature scoring needs a value for every sample; {bad} of {len(target)} are missing or infinite"
        )
    parameters = [str(c) for c in x.columns]
    if np.ptp(target) == 0.0:
        table = pd.DataFrame({"parameter": parameters, "score": np.full(len(parameters), np.nan)})
        table.attrs["note"] = "the output is constant: there is nothing to explain, so no feature scores"
        return table

    require_ema("feature scoring")
    from ema_workbench.analysis import feature_scoring as scoring
    from ema_workbench.analysis.scenario_discovery_util import RuleInductionType

    is_binary = bool(np.isin(target, (0.0, 1.0)).all())
    scores, _ = scoring.get_ex_feature_scores(
        x.reset_index(drop=True),
        target.astype(np.int64) if is_binary else target,
        mode=RuleInductionType.CLASSIFICATION if is_binary else RuleInductionType.REGRESSION,
        # EMA's default round(D / 3) is 0 for one parameter, which scikit-learn refuses (choice 5).
        max_features=max(1, round(x.shape[1] / 3)),
        oob_score=False,
        random_state=seed,
    )
    table = pd.DataFrame({"parameter": [str(p) for p in scores.index], "score": scores.iloc[:, 0].to_numpy(np.float64)})
    # Re-sort in column order first, so ties do not depend on EMA's sort.
    table["_column"] = table["parameter"].map({p: i for i, p in enumerate(parameters)})
    table = table.sort_values(["score", "_column"], ascending=[False, True], kind="stable")
    return table.drop(columns="_column").reset_index(drop=True)


def _empty_rows(strategy: str, method: str, parameters: Sequence[str]) -> pd.DataFrame:
    nan = np.full(len(parameters), np.nan)
    return pd.DataFrame(
        {
            "strategy": strategy,
            "method": method,
            "parameter": list(parameters),
            **dict.fromkeys(SENSITIVITY_COLUMNS[3:], nan),
        }
    )


def sensitivity(
    study: Study, per_sample: pd.DataFrame, measure: Measure, strategies: Sequence[str], *, seed: int = 0
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Sensitivity of a measure to the sampled parameters, per strategy.

    Sobol' indices when the study's design is ``sobol`` and the strategy has the measure
    for every one of its samples; extra-trees feature scores otherwise (choice 1).

    Parameters
    ----------
    study : Study
        Gives the design (``design``, ``design_settings``, ``samples``), the parameters,
        their bounds and the sampled values.
    per_sample : pandas.DataFrame
        :func:`offramp.analyse.robustness.sample_measures`'s table, with the measure's
        column (``measure.key``).
    measure : Measure
        The per-sample measure explained.
    strategies : sequence of str
        The strategies to analyse, in display order (each one of the study's).
    seed : int
        Seed of the Sobol' bootstrap and of the forest, >= 0.

    Returns
    -------
    table : pandas.DataFrame
        Columns ``strategy``, ``method`` (``"sobol"`` or ``"feature_scoring"``),
        ``parameter``, ``S1``, ``S1_conf``, ``ST``, ``ST_conf``, ``score``; one row per
        strategy and parameter, NaN where the method does not give a column. Sobol'
        rows are in the design's parameter order, feature scores highest first. A
        strategy whose measure does not vary gets NaN rows. Its ``attrs`` are empty.
    notes : dict of str to str
        Maps a strategy to why it fell back to feature scoring or got no indices
        (choice 1); strategies without a note are absent.

    Raises
    ------
    InputError
        ``per_sample`` lacks the measure's column or holds a sample twice for a
        strategy, a strategy is not the study's, or a sampled row is not in the study.
    OfframpError
        Feature scoring is needed and EMA Workbench is not installed.
    """
    key = measure.key
    for column in ("strategy", "sample", key):
        if column not in per_sample.columns:
            raise InputError("per_sample", f"no {column!r} column (sample_measures(experiments, [measure]) gives it)")
    seed = _check_seed(seed)
    parameters = list(study.parameters)
    design = study.design_values()
    second_order = bool(study.design_settings.get("second_order", False))
    blocks: list[pd.DataFrame] = []
    notes: dict[str, str] = {}
    for strategy in strategies:
        if strategy not in study.strategies:
            raise InputError(
                "strategies", f"{strategy!r} is not one of the study's strategies ({', '.join(study.strategies)})"
            )
        rows = per_sample.loc[per_sample["strategy"] == strategy, ["sample", key]].sort_values("sample", kind="stable")
        samples = rows["sample"].to_numpy(np.int64)
        if len(np.unique(samples)) != len(samples):
            raise InputError(
                "per_sample", f"strategy {strategy!r} has a sample more than once; give one row per (strategy, sample)"
            )
        y = rows[key].to_numpy(np.float64)
        defined = ~np.isnan(y)  # a sample whose measure is undefined counts as missing (choice 1)
        samples, y = samples[defined], y[defined]
        is_complete = study.design == "sobol" and np.array_equal(samples, np.arange(study.samples))
        if len(y) < 2:  # a complete sobol design has at least D + 2 >= 3 samples
            blocks.append(_empty_rows(strategy, "feature_scoring", parameters))
            notes[strategy] = f"{len(y)} sample{'s' if len(y) != 1 else ''} with a value: nothing to analyse"
            continue
        if is_complete:
            table = sobol_indices(y, parameters, study.bounds, second_order=second_order, seed=seed)
            table.insert(0, "method", "sobol")
            table["score"] = np.nan
        else:
            if study.design == "sobol":
                notes[strategy] = (
                    f"sobol design, but {study.samples - len(y)} of {study.samples} samples are "
                    "missing or undefined: feature scores instead"
                )
            unknown = np.setdiff1d(samples, design.index.to_numpy())
            if len(unknown):
                raise InputError("per_sample", f"sample {int(unknown[0])} is not among the study's experiments")
            scores = feature_scores(design.loc[samples, parameters], y, seed=seed)
            table = pd.DataFrame(
                {
                    "method": "feature_scoring",
                    "parameter": scores["parameter"],
                    **dict.fromkeys(SOBOL_COLUMNS[1:], np.nan),
                    "score": scores["score"],
                }
            )
            table.attrs = scores.attrs
        if "note" in table.attrs:
            notes[strategy] = table.attrs["note"]
        table.attrs = {}  # the note travels in `notes` (choice 1), not with the rows
        table.insert(0, "strategy", strategy)
        blocks.append(table)
    if blocks:
        out = pd.concat(blocks, ignore_index=True)[list(SENSITIVITY_COLUMNS)]
    else:
        out = pd.DataFrame(
            {
                c: pd.Series(dtype=str if c in ("strategy", "method", "parameter") else np.float64)
                for c in SENSITIVITY_COLUMNS
            }
        )
    return out, notes
