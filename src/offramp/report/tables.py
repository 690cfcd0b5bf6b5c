"""Tables: summaries of outcome tables, per strategy."""

from __future__ import annotations

import numpy as np

__all__ = ["wilson_interval", "outcome_summary"]


def wilson_interval(successes, trials, z: float = 1.959963984540054) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial share (95% by default).

    Parameters
    ----------
    successes, trials : int arrays
    z : float
        Normal quantile of the two-sided level.

    Returns
    -------
    (low, high) : float64 arrays

    References
    ----------
    E. B. Wilson, "Probable inference, the law of succession, and statistical inference",
    JASA 22(158), 209-212 (1927), doi:10.1080/01621459.1927.10502953.
    """
    n = np.asarray(trials, np.float64)
    p = np.asarray(successes, np.float64) / np.maximum(n, 1)
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def outcome_summary(frame, outcomes: tuple[str, ...]):
    """Per strategy: share of each end state with its 95% interval, the median week of the
    end (worlds that ended), mean human costs in separate columns, and escalation risk.

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows per (strategy, world), columns as written by ``offramp run``.
    outcomes : tuple of str
        The outcome labels, in display order.

    Returns
    -------
    pandas.DataFrame
        One row per strategy, in order of first appearance.
    """
    import pandas as pd

    rows = []
    for strategy, group in frame.groupby("strategy", sort=False):
        n = len(group)
        row = {"strategy": strategy, "worlds": n}
        for outcome in outcomes:
            count = int((group["outcome"] == outcome).sum())
            low, high = wilson_interval(count, n)
            row[f"{outcome}_share"] = count / n
            row[f"{outcome}_low"] = float(low)
            row[f"{outcome}_high"] = float(high)
        ended = group.loc[group["outcome"] != "ongoing", "end_week"]
        row["median_end_week"] = float(ended.median()) if len(ended) else float("nan")
        row["mean_war_deaths"] = float(group["war_deaths"].mean())
        row["mean_periphery_casualties"] = float(group["periphery_casualties"].mean())
        row["direct_conflict_share"] = float(group["direct_conflict"].mean())
        row["mean_peak_tension"] = float(group["peak_tension"].mean())
        rows.append(row)
    return pd.DataFrame(rows)
