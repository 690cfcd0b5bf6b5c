"""Robustness: per-sample outcome probabilities, regret, and satisficing.

A *sample* is one point of the design (one plausible world, up to the model's own
randomness); its *replications* are worlds run at that point with different seeds. For
each strategy and sample we estimate the probability of each end state (the share of
replications that ended in it) and the criteria's measures. Then:

- **regret** of a strategy in a sample is how much worse it does on the objective than
  the best strategy in that sample (Savage 1951; the form used in robust decision
  making, Lempert, Popper & Bankes 2003): ``max_s' f(s', x) - f(s, x)`` when more is
  better, ``f(s, x) - min_s' f(s', x)`` when less is. Zero for the best strategy.
- **satisficing**: a strategy satisfices in a sample when it meets every criterion
  (Simon 1955; the "domain criterion" of Starr 1963); its satisficing share is the share
  of samples in which it does, with a Wilson interval.

Choices
-------
1. Regret compares strategies within a sample, so only samples every strategy has
   (complete cases) count; the count is reported.
2. With one replication per sample the per-sample probability is 0 or 1: satisficing
   then says whether the event happened, and its share estimates the probability over
   the design rather than the share of worlds where the strategy is reliable. The
   report says so; use ``--replications`` for per-sample probabilities.

References
----------
Savage, L. J. (1951). The theory of statistical decision. JASA 46(253), 55-67.
https://doi.org/10.1080/01621459.1951.10500768

Simon, H. A. (1955). A behavioral model of rational choice. QJE 69(1), 99-118.
https://doi.org/10.2307/1884852

Starr, M. K. (1963). Product design and decision theory. Prentice-Hall.

Lempert, R. J., Popper, S. W., Bankes, S. C. (2003). Shaping the next one hundred years.
RAND MR-1626. https://doi.org/10.7249/MR1626
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from offramp.analyse.criteria import Criteria, Measure
from offramp.analyse.outcomes import wilson_interval
from offramp.run.runner import OUTCOME_LABELS

__all__ = ["sample_measures", "regret", "regret_table", "satisficing", "robustness_summary"]


def sample_measures(experiments: pd.DataFrame, measures: Sequence[Measure] = ()) -> pd.DataFrame:
    """Per (strategy, sample): the probability of each end state over the replications,
    and each measure.

    Parameters
    ----------
    experiments : pandas.DataFrame
        Experiment rows (``strategy``, ``sample``, ``outcome``, ``end_week`` and any
        column a measure names).
    measures : sequence of Measure

    Returns
    -------
    pandas.DataFrame
        Columns ``strategy``, ``sample``, ``replications``, ``p_<end state>`` for every
        end state, then one column per measure (``Measure.key``), in order of first
        appearance of the strategy and ascending sample.
    """
    outcome = experiments["outcome"].to_numpy()
    columns: dict[str, np.ndarray] = {label: outcome == label for label in OUTCOME_LABELS}
    values = {f"p_{label}": columns[label].astype(np.float64) for label in OUTCOME_LABELS}
    week = experiments["end_week"].to_numpy()
    for measure in measures:
        if measure.key in values:
            continue
        if measure.outcome is not None:
            hit = columns[measure.outcome] & (week <= measure.within_weeks if measure.within_weeks else True)
            values[measure.key] = hit.astype(np.float64)
        else:
            values[measure.key] = experiments[measure.column].to_numpy(np.float64)
    table = pd.DataFrame(values)
    table["strategy"] = experiments["strategy"].to_numpy()
    table["sample"] = experiments["sample"].to_numpy()
    groups = table.groupby(["strategy", "sample"], sort=False)
    out = groups.mean()
    out.insert(0, "replications", groups.size())
    out = out.reset_index()
    order = {name: i for i, name in enumerate(pd.unique(experiments["strategy"]))}
    out = out.sort_values(
        ["strategy", "sample"], key=lambda c: c.map(order) if c.name == "strategy" else c, kind="stable"
    )
    return out.reset_index(drop=True)


def regret(values: pd.DataFrame, sense: str = "maximize") -> pd.DataFrame:
    """Regret of each strategy (column) in each sample (row) against the sample's best.

    Parameters
    ----------
    values : pandas.DataFrame
        One row per sample, one column per strategy: the objective.
    sense : {"maximize", "minimize"}
        Whether more of the objective is better.

    Returns
    -------
    pandas.DataFrame
        Same shape; >= 0, and 0 for the best strategy of each sample. Rows with a
        missing value stay NaN (choice 1).
    """
    if sense not in ("maximize", "minimize"):
        raise ValueError(f"sense must be 'maximize' or 'minimize', got {sense!r}")
    array = values.to_numpy(np.float64)
    complete = ~np.isnan(array).any(axis=1, keepdims=True)
    if sense == "maximize":
        out = array.max(axis=1, keepdims=True, initial=-np.inf, where=complete) - array
    else:
        out = array - array.min(axis=1, keepdims=True, initial=np.inf, where=complete)
    out = np.where(complete, out, np.nan)
    return pd.DataFrame(out, index=values.index, columns=values.columns)


def _wide(per_sample: pd.DataFrame, column: str, strategies: Sequence[str]) -> pd.DataFrame:
    wide = per_sample.pivot(index="sample", columns="strategy", values=column)
    return wide.reindex(columns=list(strategies))


def regret_table(per_sample: pd.DataFrame, criteria: Criteria, strategies: Sequence[str]) -> pd.DataFrame:
    """Per (strategy, sample): the objective, the sample's best value and the regret.

    Parameters
    ----------
    per_sample : pandas.DataFrame
        :func:`sample_measures`'s table, with the objective's column.
    criteria : Criteria
    strategies : sequence of str
        The strategies compared, in display order.

    Returns
    -------
    pandas.DataFrame
        Columns ``strategy``, ``sample``, ``objective``, ``best``, ``regret``, ``best_strategy``
        (the first strategy attaining the best), complete cases only (choice 1).
    """
    objective = criteria.objective
    wide = _wide(per_sample, objective.key, strategies).dropna()
    regrets = regret(wide, objective.sense)
    best = wide.max(axis=1) if objective.sense == "maximize" else wide.min(axis=1)
    best_strategy = regrets.idxmin(axis=1) if len(regrets) else pd.Series(dtype=object)
    long = regrets.stack().rename("regret").reset_index()
    long["objective"] = wide.stack().to_numpy()
    long["best"] = best.reindex(long["sample"]).to_numpy()
    long["best_strategy"] = best_strategy.reindex(long["sample"]).to_numpy()
    order = {name: i for i, name in enumerate(strategies)}
    long = long.sort_values(
        ["strategy", "sample"], key=lambda c: c.map(order) if c.name == "strategy" else c, kind="stable"
    )
    return long[["strategy", "sample", "objective", "best", "regret", "best_strategy"]].reset_index(drop=True)


def satisficing(per_sample: pd.DataFrame, criteria: Criteria) -> pd.DataFrame:
    """Per (strategy, sample): whether each criterion is met, and whether all are.

    Parameters
    ----------
    per_sample : pandas.DataFrame
        :func:`sample_measures`'s table, with every criterion's column.
    criteria : Criteria

    Returns
    -------
    pandas.DataFrame
        ``strategy``, ``sample``, one bool column per criterion (``meets_<i>``), and
        ``satisfices`` (all of them).
    """
    out = per_sample[["strategy", "sample"]].copy()
    every = np.ones(len(per_sample), bool)
    for i, criterion in enumerate(criteria.satisficing):
        met = np.asarray(criterion.met(per_sample[criterion.key].to_numpy(np.float64)), bool)
        out[f"meets_{i}"] = met
        every &= met
    out["satisfices"] = every
    return out


def robustness_summary(per_sample: pd.DataFrame, criteria: Criteria, strategies: Sequence[str]) -> pd.DataFrame:
    """Per strategy: objective, regret and satisficing, summarised over the samples.

    Parameters
    ----------
    per_sample : pandas.DataFrame
        :func:`sample_measures`'s table.
    criteria : Criteria
    strategies : sequence of str

    Returns
    -------
    pandas.DataFrame
        One row per strategy: ``samples`` (complete cases), ``mean_objective``,
        ``mean_regret``, ``p90_regret``, ``max_regret``, ``share_best`` (samples where
        it attains the best, ties counted for each), ``satisficing_share`` with
        ``satisficing_low``/``satisficing_high`` (95% Wilson), and ``rank`` (1 = highest
        satisficing share, then lowest mean regret).
    """
    regrets = regret_table(per_sample, criteria, strategies)
    satisfied = satisficing(per_sample, criteria)
    rows = []
    for strategy in strategies:
        mine = regrets[regrets["strategy"] == strategy]
        met = satisfied.loc[satisfied["strategy"] == strategy, "satisfices"].to_numpy()
        low, high = wilson_interval(met.sum(), len(met))
        r = mine["regret"].to_numpy()
        rows.append(
            {
                "strategy": strategy,
                "samples": len(mine),
                "mean_objective": float(mine["objective"].mean()) if len(mine) else np.nan,
                "mean_regret": float(r.mean()) if len(r) else np.nan,
                "p90_regret": float(np.quantile(r, 0.9)) if len(r) else np.nan,
                "max_regret": float(r.max()) if len(r) else np.nan,
                "share_best": float(np.mean(r == 0)) if len(r) else np.nan,
                "satisficing_share": float(met.mean()) if len(met) else np.nan,
                "satisficing_low": float(low),
                "satisficing_high": float(high),
            }
        )
    table = pd.DataFrame(rows)
    ranked = table.sort_values(["satisficing_share", "mean_regret"], ascending=[False, True], kind="stable")
    table["rank"] = pd.Series(np.arange(1, len(table) + 1), index=ranked.index)
    return table
