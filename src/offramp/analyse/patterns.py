"""The patterns' statistics per sample, and which samples reproduce them (pattern-oriented
modelling; Grimm et al. 2005, *Science* 310(5750): 987–991, doi:10.1126/science.1116681).

The vocabulary and the file are :mod:`offramp.scenario.patterns`; this module computes
a statistic for every sample at once from experiment rows.

Choices
-------
1. A sample's statistic pools its replications: a share is over all the sample's worlds
   under the strategy (every replication is one world), a mean or quantile over all of
   them that end in the chosen outcomes.
2. NaN is "cannot be computed" and never passes (``scenario.patterns`` choice 2): a
   ratio whose denominator is 0, a mean or quantile over no worlds. NaN values in a
   column (costs censored by a direct conflict, ``runner`` choice 4) are left out of a
   mean or quantile, as censored values, not counted as zero.
3. Quantiles interpolate linearly between order statistics (pandas' and NumPy's default).
4. Everything is grouped by sample with pandas (one pass per pattern, no loop over
   samples), and samples come out in ascending order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from offramp.scenario.patterns import (
    MeanStatistic,
    Patterns,
    QuantileStatistic,
    RatioStatistic,
    ShareStatistic,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["pattern_statistics", "pattern_acceptance"]

_Statistic = ShareStatistic | MeanStatistic | QuantileStatistic | RatioStatistic


def _needed_columns(statistic: _Statistic) -> set[str]:
    if isinstance(statistic, RatioStatistic):
        return _needed_columns(statistic.numerator) | _needed_columns(statistic.denominator)
    if isinstance(statistic, ShareStatistic):
        return {"end_week"} if statistic.within_weeks is not None else set()
    return {statistic.column}


def _statistic(rows: pd.DataFrame, statistic: _Statistic, samples: pd.Index) -> pd.Series:
    """One statistic per sample, float64, NaN where it cannot be computed (choice 2)."""
    if isinstance(statistic, RatioStatistic):
        numerator = _statistic(rows, statistic.numerator, samples)
        denominator = _statistic(rows, statistic.denominator, samples)
        # x / 0 is inf for x > 0 and NaN for 0: both mean "no ratio", so NaN for both.
        return numerator / denominator.where(denominator != 0)
    chosen = rows[rows["strategy"] == statistic.strategy]
    if isinstance(statistic, ShareStatistic):
        is_hit = chosen["outcome"].isin(statistic.outcomes)
        if statistic.within_weeks is not None:
            is_hit &= chosen["end_week"] <= statistic.within_weeks
        share = is_hit.astype("float64").groupby(chosen["sample"]).mean()
        return share.reindex(samples)
    if statistic.outcomes is not None:
        chosen = chosen[chosen["outcome"].isin(statistic.outcomes)]
    # Boolean columns (direct_conflict, settled_as_best) average to shares.
    grouped = chosen[statistic.column].astype("float64").groupby(chosen["sample"])
    values = grouped.mean() if isinstance(statistic, MeanStatistic) else grouped.quantile(statistic.q)
    return values.reindex(samples)


def pattern_statistics(rows: pd.DataFrame, patterns: Patterns) -> pd.DataFrame:
    """Every pattern's statistic for every sample.

    Parameters
    ----------
    rows : pandas.DataFrame
        Experiment rows as :func:`offramp.explore.dataset.load` returns them: one row per
        (sample, replication, strategy), with columns ``sample``, ``strategy``,
        ``outcome``, ``end_week`` and the outcome columns the patterns name.
    patterns : Patterns

    Returns
    -------
    pandas.DataFrame
        float64, one row per sample (index ``sample``, ascending), one column per pattern
        (in the file's order); NaN where a statistic cannot be computed (choice 2).

    Raises
    ------
    ValueError
        ``rows`` lack a column the patterns need, or hold none of the rows of a strategy
        they need (the experiment did not run it).
    """
    import pandas as pd

    statistics = [pattern.statistic for pattern in patterns.patterns]
    needed = {"sample", "strategy", "outcome"}.union(*(_needed_columns(s) for s in statistics))
    missing = sorted(needed - set(rows.columns))
    if missing:
        raise ValueError(f"rows: no column {missing[0]!r} (the patterns need {', '.join(sorted(needed))})")
    samples = pd.Index(sorted(rows["sample"].unique()), name="sample")
    if len(rows):
        absent = [name for name in patterns.strategies if not (rows["strategy"] == name).any()]
        if absent:
            raise ValueError(f"rows: no experiment ran strategy {absent[0]!r}, which the patterns need")
    columns = {pattern.name: _statistic(rows, pattern.statistic, samples) for pattern in patterns.patterns}
    return pd.DataFrame(columns, index=samples, columns=list(patterns.names), dtype="float64")


def pattern_acceptance(statistics: pd.DataFrame, patterns: Patterns) -> pd.DataFrame:
    """Which samples reproduce which patterns.

    Parameters
    ----------
    statistics : pandas.DataFrame
        :func:`pattern_statistics`'s table.
    patterns : Patterns

    Returns
    -------
    pandas.DataFrame
        bool, the same rows: one column per pattern, True where the statistic lies in
        the pattern's accepted range (bounds included; NaN never does), then
        ``accepted``, True where every pattern passes.
    """
    import pandas as pd

    passes = {}
    for pattern in patterns.patterns:
        low, high = pattern.accepted
        values = statistics[pattern.name]
        # NaN compares False both ways: a statistic that cannot be computed never passes.
        passes[pattern.name] = (values >= low) & (values <= high)
    table = pd.DataFrame(passes, index=statistics.index, columns=list(patterns.names), dtype=bool)
    table["accepted"] = table.all(axis=1)
    return table
