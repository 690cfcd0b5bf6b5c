"""Outcomes per strategy: shares of each end state with intervals, how they spread
across the design's samples, and distributions of the time to the end and of the
human costs.

Choices
-------
1. Pooled shares (over every world of a strategy) carry Wilson intervals, which stay
   inside [0, 1] and keep their coverage near 0 and 1, where the rare end states live.
2. Across samples, the per-sample probability of each end state is summarised by its
   mean and 10/50/90% quantiles: the spread says how much the answer depends on the
   uncertain parameters, which a pooled share hides.
3. The time to the end counts worlds that ended; worlds still at war at the horizon are
   reported as the ``ongoing`` share, not as ending at the horizon.
4. Human costs stay in separate columns (war deaths, periphery casualties, per region):
   they are different harms and are never summed into one number.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    import pandas as pd  # for annotations only: pandas is imported when a table is made

__all__ = ["wilson_interval", "outcome_summary", "outcome_spread", "distributions", "COST_COLUMNS"]


def wilson_interval(
    successes: ArrayLike, trials: ArrayLike, z: float = 1.959963984540054
) -> tuple[np.ndarray, np.ndarray]:
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


def outcome_summary(frame: pd.DataFrame, outcomes: tuple[str, ...]) -> pd.DataFrame:
    """Per strategy: share of each end state with its 95% interval (choice 1), the median
    week of the end (worlds that ended), mean human costs in separate columns, and
    escalation risk (the direct-conflict share, and the share of worlds with at least one
    escalation, with intervals, when the rows have ``escalations``).

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
        if "escalations" in group.columns:
            escalated = int((group["escalations"] > 0).sum())
            low, high = wilson_interval(escalated, n)
            row["any_escalation_share"] = escalated / n
            row["any_escalation_low"], row["any_escalation_high"] = float(low), float(high)
        rows.append(row)
    return pd.DataFrame(rows)


#: Human-cost columns of every run, before the per-region ``casualties_<region>`` columns.
COST_COLUMNS = ("war_deaths", "periphery_casualties")
_QUANTILES = (0.1, 0.5, 0.9)


def outcome_spread(per_sample: pd.DataFrame, strategies: Sequence[str], outcomes: tuple[str, ...]) -> pd.DataFrame:
    """Per (strategy, end state): how the per-sample probability spreads across samples (choice 2).

    Parameters
    ----------
    per_sample : pandas.DataFrame
        :func:`offramp.analyse.robustness.sample_measures`'s table.
    strategies : sequence of str
    outcomes : tuple of str

    Returns
    -------
    pandas.DataFrame
        Columns ``strategy``, ``outcome``, ``samples``, ``mean``, ``p10``, ``p50``, ``p90``.
    """
    import pandas as pd

    rows = []
    for strategy in strategies:
        mine = per_sample[per_sample["strategy"] == strategy]
        for outcome in outcomes:
            values = mine[f"p_{outcome}"].to_numpy(np.float64)
            q = np.quantile(values, _QUANTILES) if len(values) else np.full(3, np.nan)
            rows.append(
                {
                    "strategy": strategy,
                    "outcome": outcome,
                    "samples": len(values),
                    "mean": float(values.mean()) if len(values) else np.nan,
                    "p10": float(q[0]),
                    "p50": float(q[1]),
                    "p90": float(q[2]),
                }
            )
    return pd.DataFrame(rows)


def distributions(experiments: pd.DataFrame, strategies: Sequence[str]) -> pd.DataFrame:
    """Per (strategy, quantity): the distribution over worlds of the week the war ended
    (worlds that ended, choice 3), of each human cost (choice 4), and of escalation.

    Parameters
    ----------
    experiments : pandas.DataFrame
        Experiment rows with ``outcome``, ``end_week``, the cost columns and
        ``peak_tension``/``escalations`` when present.
    strategies : sequence of str

    Returns
    -------
    pandas.DataFrame
        Columns ``strategy``, ``quantity``, ``worlds``, ``mean``, ``p10``, ``p50``,
        ``p90``, ``max``; quantities ``end_week``, ``war_deaths``,
        ``periphery_casualties``, ``casualties_<region>``, ``peak_tension``,
        ``escalations``.
    """
    import pandas as pd

    regional = [c for c in experiments.columns if c.startswith("casualties_")]
    quantities = [
        q for q in ("end_week", *COST_COLUMNS, *regional, "peak_tension", "escalations") if q in experiments.columns
    ]
    rows = []
    for strategy in strategies:
        mine = experiments[experiments["strategy"] == strategy]
        ended = mine["outcome"].to_numpy() != "ongoing"
        for quantity in quantities:
            values = mine[quantity].to_numpy(np.float64)
            if quantity == "end_week":
                values = values[ended]
            if len(values):
                q = np.quantile(values, _QUANTILES)
                stats = {
                    "mean": float(values.mean()),
                    "p10": float(q[0]),
                    "p50": float(q[1]),
                    "p90": float(q[2]),
                    "max": float(values.max()),
                }
            else:
                stats = dict.fromkeys(("mean", "p10", "p50", "p90", "max"), np.nan)
            rows.append({"strategy": strategy, "quantity": quantity, "worlds": len(values), **stats})
    return pd.DataFrame(rows)
