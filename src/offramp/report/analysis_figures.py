"""Figures of ``offramp analyze``'s outcome and robustness tables (matplotlib, drawn off-screen).

Four figures for the HTML report (:mod:`offramp.report.html`): how the probability of each
end state spreads across the design's samples (:func:`plot_outcome_spread`), the end week
and human costs over worlds (:func:`plot_distributions`), the satisficing share of each
strategy (:func:`plot_satisficing`) and its regret over samples (:func:`plot_regret`).

Choices
-------
1. Every figure draws summaries the analysis already computed (quantiles, Wilson
   intervals) or, for regret, the per-sample values; none re-derives an estimate the tables
   do not hold, so a figure and its table never disagree.
2. One visual grammar for a distribution: a thick bar from the 10th to the 90th
   percentile (the 25th to the 75th as a darker box where the quartiles are known), a
   vertical tick at the median, a dot at the mean and a thin line on to the maximum. It is
   drawn from five numbers, so it works from the tables' quantiles, and a reader who has
   learnt it on one figure reads the others. Box plots proper (``Axes.boxplot``) would
   need the raw values and changed their keywords between matplotlib 3.8 and 3.11.
3. End states keep their colours (:data:`offramp.report.figures.OUTCOME_COLOURS`); the
   other figures colour by kind of quantity (time, human cost, tension) rather than by
   strategy, since strategies are rows and already labelled.
4. Human costs are separate panels with their own units (deaths, casualties) and are
   never summed (:mod:`offramp.analyse.outcomes`, choice 4). A quantity without ended
   worlds (every world still at war) says so in its panel instead of drawing nothing.
5. Strategies are drawn top to bottom in the table's order (the robustness figures: by
   rank, the best on top), so a figure reads like the table beside it.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from offramp.report.figures import OUTCOME_COLOURS, pyplot, save_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "QUANTITY_LABELS",
    "plot_distributions",
    "plot_outcome_spread",
    "plot_regret",
    "plot_satisficing",
    "quantity_label",
]

#: Per quantity of :func:`offramp.analyse.outcomes.distributions`: panel title and axis label (with the unit).
QUANTITY_LABELS = {
    "end_week": ("When the war ended", "week (worlds that ended)"),
    "war_deaths": ("War deaths", "deaths per world"),
    "periphery_casualties": ("Periphery casualties, all regions", "casualties per world"),
    "peak_tension": ("Peak tension", "tension index Z (no unit)"),
    "escalations": ("Escalations", "escalations per world (count)"),
}

# Colours by kind of quantity (choice 3).
_TIME, _COST, _TENSION, _INK = "#3b5b92", "#a4452c", "#c77d14", "#3b5b92"


def quantity_label(quantity: str) -> tuple[str, str]:
    """A quantity of :func:`offramp.analyse.outcomes.distributions` in words, with its unit.

    Parameters
    ----------
    quantity : str
        ``end_week``, ``war_deaths``, ``casualties_<region>``, ...

    Returns
    -------
    (str, str)
        The panel's title and the axis label with the unit
        (``("War deaths", "deaths per world")``).
    """
    if quantity in QUANTITY_LABELS:
        return QUANTITY_LABELS[quantity]
    if quantity.startswith("casualties_"):
        return f"Casualties in {quantity.removeprefix('casualties_')}", "casualties per world"
    return quantity.replace("_", " ").capitalize(), "value per world"


def _quantity_colour(quantity: str) -> str:
    if quantity == "end_week":
        return _TIME
    if quantity in ("peak_tension", "escalations"):
        return _TENSION
    return _COST


def _draw_interval(ax: Axes, y: float, stats: dict[str, float], colour: str) -> None:
    """Choice 2: 10-90% bar, optional quartile box, median tick, mean dot, line to the maximum."""
    p10, p90 = stats["p10"], stats["p90"]
    ax.plot([p10, p90], [y, y], color=colour, lw=7, alpha=0.35, solid_capstyle="butt")
    if "p25" in stats:
        ax.plot([stats["p25"], stats["p75"]], [y, y], color=colour, lw=7, alpha=0.8, solid_capstyle="butt")
    if "max" in stats and np.isfinite(stats["max"]) and stats["max"] > p90:
        ax.plot([p90, stats["max"]], [y, y], color=colour, lw=1, alpha=0.8)
        ax.plot(stats["max"], y, marker="|", color=colour, ms=7, mew=1)
    ax.plot(stats["p50"], y, marker="|", color="black", ms=16, mew=2)
    ax.plot(stats["mean"], y, marker="o", color="white", mec="black", ms=5.5, mew=1.2)


def _legend_handles(colour: str, quartiles: bool = False, maximum: bool = True) -> list:
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=colour, lw=7, alpha=0.35, label="10th to 90th percentile")]
    if quartiles:
        handles.append(Line2D([], [], color=colour, lw=7, alpha=0.8, label="25th to 75th percentile"))
    handles.append(Line2D([], [], color="black", marker="|", ms=12, mew=2, lw=0, label="median"))
    handles.append(Line2D([], [], color="white", marker="o", mec="black", ms=5.5, mew=1.2, lw=0, label="mean"))
    if maximum:
        handles.append(Line2D([], [], color=colour, lw=1, marker="|", ms=7, label="up to the maximum"))
    return handles


def _plain_numbers(ax: Axes) -> None:
    """Tick labels as people write numbers (11,200, not 1.12e4 with an offset)."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))  # room for "11,500" in a small panel
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.6g}"))


def plot_outcome_spread(
    spread: pd.DataFrame, path: str | Path, title: str = "How the chance of each end state varies across samples"
) -> Path:
    """Small multiples, one per end state: the per-sample probability's spread per strategy.

    Parameters
    ----------
    spread : pandas.DataFrame
        :func:`offramp.analyse.outcomes.outcome_spread`'s table (``strategy``,
        ``outcome``, ``samples``, ``mean``, ``p10``, ``p50``, ``p90``).
    path : str or Path
        Where to write the figure (format from the suffix, e.g. ``.png``).
    title : str
        Figure title.

    Returns
    -------
    Path
        The file written.
    """
    plt = pyplot()
    strategies = list(pd.unique(spread["strategy"]))
    outcomes = [o for o in OUTCOME_COLOURS if o in set(spread["outcome"])]
    outcomes += [o for o in pd.unique(spread["outcome"]) if o not in outcomes]
    fig, axes = plt.subplots(
        1,
        len(outcomes),
        figsize=(1.9 * len(outcomes) + 1.9, 0.42 * len(strategies) + 1.9),
        sharey=True,
        layout="constrained",
        squeeze=False,
    )
    cells = spread.set_index(["strategy", "outcome"])
    y = np.arange(len(strategies))
    for ax, outcome in zip(axes[0], outcomes, strict=True):
        colour = OUTCOME_COLOURS.get(outcome, _INK)
        for i, strategy in enumerate(strategies):
            if (strategy, outcome) in cells.index and cells.loc[(strategy, outcome), "samples"] > 0:
                _draw_interval(ax, i, cells.loc[(strategy, outcome)].to_dict(), colour)
        ax.set_title(outcome.replace("_", " "), color="black", fontsize="medium")
        ax.axvline(0, color="#dddddd", lw=0.8, zorder=0)
        ax.set_xlim(-0.04, 1.04)
        ax.set_xticks([0, 0.5, 1], ["0", "0.5", "1"])  # short labels: neighbouring panels' ends do not touch
        ax.set_xlabel("P(end state) in a sample")
        ax.grid(axis="x", alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)
        for spine in ("bottom", "left"):
            ax.spines[spine].set_color("#888888")
    first = axes[0][0]
    first.set_yticks(y, strategies)
    first.set_ylim(len(strategies) - 0.5, -0.5)  # the table's order, top to bottom (choice 5)
    samples = int(spread["samples"].max()) if len(spread) else 0
    fig.suptitle(f"{title} ({samples} samples per strategy)")
    fig.legend(
        handles=_legend_handles("#777777", maximum=False),
        loc="outside lower center",
        ncols=3,
        frameon=False,
        fontsize="small",
    )
    return save_figure(fig, path)


def plot_distributions(
    distributions: pd.DataFrame, path: str | Path, title: str = "When the war ended, and its human costs, over worlds"
) -> Path:
    """Small multiples, one per quantity: its distribution over worlds per strategy.

    Parameters
    ----------
    distributions : pandas.DataFrame
        :func:`offramp.analyse.outcomes.distributions`'s table (``strategy``,
        ``quantity``, ``worlds``, ``mean``, ``p10``, ``p50``, ``p90``, ``max``).
    path : str or Path
        Where to write the figure (format from the suffix, e.g. ``.png``).
    title : str
        Figure title.

    Returns
    -------
    Path
        The file written. Panels have their own axes and units (choice 4).
    """
    plt = pyplot()
    strategies = list(pd.unique(distributions["strategy"]))
    quantities = list(pd.unique(distributions["quantity"]))
    columns = 4 if len(quantities) > 6 else min(3, max(len(quantities), 1))
    rows = max(1, -(-len(quantities) // columns))
    fig, axes = plt.subplots(
        rows,
        columns,
        figsize=(11, rows * (0.36 * len(strategies) + 1.35) + 0.9),
        sharey=True,
        layout="constrained",
        squeeze=False,
    )
    cells = distributions.set_index(["strategy", "quantity"])
    for ax, quantity in zip(axes.flat, quantities, strict=False):  # a grid may have spare panels
        heading, unit = quantity_label(quantity)
        colour = _quantity_colour(quantity)
        empty = []
        for i, strategy in enumerate(strategies):
            key = (strategy, quantity)
            if key not in cells.index or cells.loc[key, "worlds"] == 0 or not np.isfinite(cells.loc[key, "p50"]):
                empty.append(i)
                continue
            _draw_interval(ax, i, cells.loc[key].to_dict(), colour)
        for i in empty:  # choice 4: say so rather than leave a gap
            ax.text(
                0.5,
                i,
                "no world ended" if quantity == "end_week" else "no value",
                transform=ax.get_yaxis_transform(),
                ha="center",
                va="center",
                fontsize="small",
                color="#777777",
            )
        ax.set_title(heading, fontsize="medium")
        ax.set_xlabel(unit)
        _plain_numbers(ax)
        ax.grid(axis="x", alpha=0.3)
        ax.spines[["top", "right"]].set_visible(False)
    for ax in list(axes.flat)[len(quantities) :]:
        ax.set_visible(False)
    for row in axes:
        row[0].set_yticks(np.arange(len(strategies)), strategies)
    axes[0][0].set_ylim(len(strategies) - 0.5, -0.5)
    worlds = int(distributions["worlds"].max()) if len(distributions) else 0
    fig.suptitle(f"{title} (up to {worlds} worlds per strategy)")
    fig.legend(handles=_legend_handles("#777777"), loc="outside lower center", ncols=4, frameon=False, fontsize="small")
    return save_figure(fig, path)


def plot_satisficing(
    robustness: pd.DataFrame, path: str | Path, criteria: str = "", title: str = "How often each strategy satisfices"
) -> Path:
    """Satisficing share per strategy with its 95% Wilson interval, best-ranked on top.

    Parameters
    ----------
    robustness : pandas.DataFrame
        :func:`offramp.analyse.robustness.robustness_summary`'s table (``strategy``,
        ``samples``, ``satisficing_share``, ``satisficing_low``, ``satisficing_high``,
        ``rank``).
    path : str or Path
        Where to write the figure (format from the suffix, e.g. ``.png``).
    criteria : str
        The criteria in words, shown under the title.
    title : str
        Figure title.

    Returns
    -------
    Path
        The file written.
    """
    plt = pyplot()
    table = robustness.sort_values("rank", kind="stable")
    strategies = list(table["strategy"])
    share = table["satisficing_share"].to_numpy(np.float64)
    low, high = table["satisficing_low"].to_numpy(np.float64), table["satisficing_high"].to_numpy(np.float64)
    y = np.arange(len(strategies))
    fig, ax = plt.subplots(figsize=(9, 0.42 * len(strategies) + 1.9), layout="constrained")
    ax.hlines(y, low, high, color=_INK, lw=2.5, alpha=0.5, label="95% interval (Wilson)")
    ax.plot(share, y, "o", color=_INK, ms=7, label="share of samples that satisfice")
    for i in range(len(strategies)):
        if np.isfinite(share[i]):
            ax.annotate(
                f"{100 * share[i]:.3g}%",
                (high[i], y[i]),
                xytext=(6, 0),
                textcoords="offset points",
                va="center",
                fontsize="small",
            )
    ax.set_yticks(y, strategies)
    ax.set_ylim(len(strategies) - 0.5, -0.5)
    ax.set_xlim(0, 1.08)
    ax.xaxis.set_major_formatter(lambda x, _: f"{100 * x:.0f}%")
    samples = int(table["samples"].max()) if len(table) else 0
    ax.set_xlabel(f"share of samples in which the strategy meets every criterion ({samples} samples)")
    ax.grid(axis="x", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    subtitle = "\n".join(textwrap.wrap(f"criteria: {criteria}", 100)) if criteria else ""
    ax.set_title(f"{title}\n{subtitle}" if subtitle else title, fontsize="medium")
    fig.legend(loc="outside lower center", ncols=2, frameon=False, fontsize="small")
    return save_figure(fig, path)


def plot_regret(
    regret: pd.DataFrame,
    path: str | Path,
    order: Sequence[str] | None = None,
    objective: str = "the objective",
    title: str = "Regret across samples",
) -> Path:
    """Distribution of each strategy's regret over the samples (choice 2, with quartiles).

    Parameters
    ----------
    regret : pandas.DataFrame
        :func:`offramp.analyse.robustness.regret_table`'s table (``strategy``,
        ``sample``, ``regret``).
    path : str or Path
        Where to write the figure (format from the suffix, e.g. ``.png``).
    order : sequence of str, optional
        Strategies top to bottom (default: the table's order).
    objective : str
        The objective in words (``P(settlement within 52 weeks)``): regret is in its unit.
    title : str
        Figure title.

    Returns
    -------
    Path
        The file written.
    """
    plt = pyplot()
    strategies = list(order) if order is not None else list(pd.unique(regret["strategy"]))
    fig, ax = plt.subplots(figsize=(9, 0.42 * len(strategies) + 1.9), layout="constrained")
    top = 0.0
    for i, strategy in enumerate(strategies):
        values = regret.loc[regret["strategy"] == strategy, "regret"].to_numpy(np.float64)
        values = values[np.isfinite(values)]
        if not len(values):
            ax.text(
                0.5,
                i,
                "no complete sample",
                transform=ax.get_yaxis_transform(),
                ha="center",
                va="center",
                fontsize="small",
                color="#777777",
            )
            continue
        q = np.quantile(values, [0.1, 0.25, 0.5, 0.75, 0.9])
        stats = dict(zip(("p10", "p25", "p50", "p75", "p90"), q, strict=True), mean=values.mean(), max=values.max())
        _draw_interval(ax, i, stats, _INK)
        ax.annotate(
            f"mean {stats['mean']:.3g}",
            (stats["max"], i),
            xytext=(8, 0),
            textcoords="offset points",
            va="center",
            fontsize="small",
            color="#444444",
        )
        top = max(top, stats["max"])
    ax.set_yticks(np.arange(len(strategies)), strategies)
    ax.set_ylim(len(strategies) - 0.5, -0.5)
    ax.set_xlim(-0.02 * (top or 1), 1.18 * (top or 1))  # room for the "mean" labels
    _plain_numbers(ax)
    ax.set_xlabel(f"regret on {objective}: distance from the best strategy of the sample (0: it is the best)")
    ax.grid(axis="x", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    samples = int(regret.groupby("strategy")["sample"].nunique().max()) if len(regret) else 0
    ax.set_title(f"{title} ({samples} samples per strategy)", fontsize="medium")
    fig.legend(
        handles=_legend_handles(_INK, quartiles=True),
        loc="outside lower center",
        ncols=5,
        frameon=False,
        fontsize="small",
    )
    return save_figure(fig, path)
